// What the engine events of an operation (up, preview) say it changed.
import type { EngineEvent } from "@pulumi/pulumi/automation";

/**
 * "<op> <type>" for each resource an operation changes, from its engine events: one entry per
 * resource, its replacement steps counted as one "replace". Reads are not changes.
 */
export function changedResources(events: EngineEvent[]): string[] {
    const changes = new Map<string, string>();
    for (const event of events) {
        const meta = event.resourcePreEvent?.metadata;
        if (!meta || ["same", "read"].includes(meta.op)) {
            continue;
        }
        const op = ["create-replacement", "delete-replaced", "replace"].includes(meta.op) ? "replace" : meta.op;
        changes.set(meta.urn, `${op} ${meta.type}`);
    }
    return [...changes.values()].sort();
}
