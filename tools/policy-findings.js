#!/usr/bin/env node
// @ts-check
// One line per policy finding. The dev loop (tools/dev.ts) formats the engine's events with
// `violationLine`; `npm run up` (tools/up.sh) pipes the events of its preview pass here, as
// `PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true pulumi preview --json` streams them, since the
// CLI's own display gives each finding three lines and a pack cannot change that.
//
// Usage: pulumi preview --json ... | node tools/policy-findings.js
//   prints each mandatory finding and each error on one line (stderr); exits 1 if there was one.
"use strict";

const readline = require("node:readline");
const { asType } = require("../runtime/as-type");

/**
 * One line for a policy finding: the rule, the resource (its type and name, from its URN) and
 * the finding, which is the last line of the event's message (the rule's description comes first).
 * @param {{ policyName: string, resourceUrn?: string | undefined, message: string }} event
 */
function violationLine(event) {
    const [qualifiedType = "", name = ""] = event.resourceUrn?.split("::").slice(-2) ?? [];
    const resource = event.resourceUrn ? ` on ${qualifiedType.split("$").pop() ?? ""} ${name}` : "";
    return `${event.policyName}${resource}: ${event.message.trim().split("\n").pop() ?? ""}`;
}

/**
 * The line an engine event of a preview shows, if any: a mandatory finding, or an error other
 * than the closing "preview failed" (a bad setting's one line, a program error).
 * @param {string} text one line of the stream: a JSON engine event
 * @returns {string | undefined}
 */
function findingLine(text) {
    /** @type {{ policyEvent?: { policyName: string, resourceUrn?: string, message: string, enforcementLevel: string }, diagnosticEvent?: { severity: string, message: string } }} */
    let event;
    try {
        event = asType(JSON.parse(text));
    } catch {
        return undefined; // not an event: the CLI prints nothing else on stdout in this mode
    }
    if (event.policyEvent?.enforcementLevel === "mandatory") {
        return violationLine(event.policyEvent);
    }
    const diagnostic = event.diagnosticEvent;
    if (diagnostic?.severity === "error" && diagnostic.message.trim() !== "preview failed") {
        return `error: ${diagnostic.message.trim()}`;
    }
    return undefined;
}

if (require.main === module) {
    let found = false;
    readline.createInterface({ input: process.stdin }).on("line", (text) => {
        const line = findingLine(text);
        if (line !== undefined) {
            found = true;
            process.stderr.write(`${line}\n`);
        }
    }).on("close", () => {
        process.exitCode = found ? 1 : 0;
    });
}

module.exports = { violationLine, findingLine };
