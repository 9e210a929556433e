// The dev loop (`npm run dev`, after scripts/up.sh has brought the stack up): watch what shapes
// the deployment, run an update on every change, print one line per update with the time from
// the save to every replica serving it, and stream the app's logs.
//
// The program runs inline through the Automation API: its modules (and @pulumi/pulumi's, about
// 2 s here) load once per session, not once per update as with `pulumi up`.
//
// Usage: node --import tsx scripts/dev.ts [--stack NAME]    (the stack defaults to dev)
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { buildContextFiles } from "../image";
import type { StackOutputs } from "../program";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { kindClusterApi } = require("./kube-api.js") as { kindClusterApi: (cluster: string) => KubeApi };

interface KubeApi {
    get(path: string): Promise<any>;
    stream(path: string, onLine: (line: string) => void): { destroy(): void };
    close(): void;
}

const projectDir = path.resolve(__dirname, "..");
const buildContext = "app";
/** Settle time after the last file event: an editor's save is often several writes. */
const settleMs = 100;

/** Every file that shapes the deployment, with a hash of its path, mode and bytes. */
function fingerprint(stackName: string): Map<string, string> {
    const files = [
        ...buildContextFiles(path.join(projectDir, buildContext)).map((f) => `${buildContext}/${f}`),
        ...fs.readdirSync(projectDir).filter((f) => f.endsWith(".ts")),
        ...fs.readdirSync(path.join(projectDir, "scripts")).filter((f) => f.endsWith(".js")).map((f) => `scripts/${f}`),
        "Pulumi.yaml",
        `Pulumi.${stackName}.yaml`,
    ];
    const hashes = new Map<string, string>();
    for (const file of files) {
        try {
            const full = path.join(projectDir, file);
            const mode = fs.statSync(full).mode & 0o7777;
            hashes.set(file, createHash("sha256").update(`${mode}\0`).update(fs.readFileSync(full)).digest("hex"));
        } catch {
            hashes.set(file, "absent"); // deleted between listing and reading: a change
        }
    }
    return hashes;
}

function changedFiles(before: Map<string, string>, after: Map<string, string>): string[] {
    const names = new Set([...before.keys(), ...after.keys()]);
    return [...names].filter((name) => before.get(name) !== after.get(name)).sort();
}

/** The program as of now: a program file that changed is loaded anew, node_modules are not. */
function freshProgram(): () => StackOutputs {
    for (const id of Object.keys(require.cache)) {
        if (id.startsWith(projectDir + path.sep) && !id.includes(`${path.sep}node_modules${path.sep}`) && !id.includes(`${path.sep}scripts${path.sep}`)) {
            delete require.cache[id];
        }
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(path.join(projectDir, "program.ts")) as { kubeDemo: () => StackOutputs }).kubeDemo;
}

/** Follows the logs of every app pod, one prefix per pod, including pods a rollout starts later. */
class PodLogs {
    private readonly followed = new Map<string, { destroy(): void }>();
    private readonly since = new Date().toISOString();
    private timer?: NodeJS.Timeout;
    private api?: KubeApi;

    start(clusterName: string): void {
        this.api?.close();
        this.api = kindClusterApi(clusterName);
        clearInterval(this.timer);
        this.timer = setInterval(() => void this.poll(), 1000);
        void this.poll();
    }

    private async poll(): Promise<void> {
        const pods = await this.api?.get("/api/v1/namespaces/default/pods?labelSelector=app%3Dnode-web").catch(() => undefined);
        for (const pod of pods?.items ?? []) {
            const container = pod.status?.containerStatuses?.[0];
            if (!container?.state?.running) {
                continue;
            }
            // One stream per container instance: a restarted container's log starts anew.
            const key = `${pod.metadata.name}#${container.restartCount}`;
            if (this.followed.has(key)) {
                continue;
            }
            // Pods that ran before the loop started show only what they print from now on.
            const startedBefore = Date.parse(container.state.running.startedAt) < Date.parse(this.since);
            const query = `follow=true&container=${container.name}${startedBefore ? `&sinceTime=${this.since}` : ""}`;
            const prefix = `[${pod.metadata.name}]`;
            this.followed.set(key, this.api!.stream(`/api/v1/namespaces/default/pods/${pod.metadata.name}/log?${query}`,
                (line) => { console.log(`${prefix} ${line}`); }));
        }
    }

    stop(): void {
        clearInterval(this.timer);
        for (const stream of this.followed.values()) {
            stream.destroy();
        }
        this.api?.close();
    }
}

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { stack: { type: "string", default: "dev" } } });
    const stackName = values.stack!;
    process.chdir(projectDir);

    let program = freshProgram();
    const stack: Stack = await LocalWorkspace.selectStack(
        { stackName, projectName: "kube-demo", program: () => Promise.resolve(program()) },
        { workDir: projectDir },
    );
    const outputs = await stack.outputs();
    const clusterName = String(outputs.clusterName?.value ?? "");
    const logs = new PodLogs();
    if (clusterName) {
        logs.start(clusterName);
    }

    let deployed = fingerprint(stackName);
    let firstEventAt = 0;
    let settle: NodeJS.Timeout | undefined;
    let updating = false;
    let stopping = false;

    const update = async (): Promise<void> => {
        const savedAt = firstEventAt;
        const now = fingerprint(stackName);
        const changed = changedFiles(deployed, now);
        if (changed.length === 0) {
            firstEventAt = 0; // a file the build does not see, or a save with the same bytes
            return;
        }
        updating = true;
        firstEventAt = 0;
        if (changed.some((file) => file.endsWith(".ts") || file.startsWith("scripts/"))) {
            program = freshProgram();
        }
        const what = changed.length > 3 ? `${changed.slice(0, 3).join(", ")} and ${changed.length - 3} more` : changed.join(", ");
        const errors: string[] = [];
        try {
            const result = await stack.up({
                onEvent: (event) => {
                    const diag = event.diagnosticEvent;
                    if (diag?.severity === "error" && diag.urn) {
                        errors.push(diag.message.trim());
                    }
                },
            });
            deployed = now;
            const seconds = ((Date.now() - savedAt) / 1000).toFixed(1);
            const name = String(result.outputs.clusterName?.value ?? clusterName);
            const deployment = await kindClusterApi(name).get("/apis/apps/v1/namespaces/default/deployments/node-deployment").catch(() => undefined);
            const pods = deployment ? ` on ${deployment.status?.updatedReplicas ?? 0}/${deployment.spec.replicas} pods` : "";
            console.log(`${what} -> ${result.outputs.image?.value}${pods} in ${seconds} s`);
            logs.start(name);
        } catch (error) {
            // What failed is in the engine's diagnostics; the command's own output repeats it.
            const seconds = ((Date.now() - savedAt) / 1000).toFixed(1);
            const reason = errors.length > 0 ? errors.join("\n") : String((error as Error).message).split("\n").slice(-5).join("\n");
            console.log(`${what} -> update failed after ${seconds} s; the pods that served before still serve:\n${reason}`);
            // Retried on the next save, or now if more was saved meanwhile.
            deployed = now;
        } finally {
            updating = false;
        }
        if (stopping) {
            shutdown();
        } else if (firstEventAt) {
            schedule();
        }
    };

    const schedule = (): void => {
        clearTimeout(settle);
        settle = setTimeout(() => { if (!updating) { void update(); } }, settleMs);
    };

    const watcher = fs.watch(projectDir, { recursive: true }, (_event, file) => {
        if (!file || /^(node_modules|\.git|\.pulumi-state)(\/|$)/.test(file)) {
            return;
        }
        firstEventAt ||= Date.now();
        if (!updating) {
            schedule();
        }
    });

    const shutdown = (): void => {
        watcher.close();
        clearTimeout(settle);
        logs.stop();
        process.exit(0);
    };
    process.on("SIGINT", () => {
        if (!updating) {
            shutdown();
        }
        // A terminal's Ctrl-C also reached `pulumi`, which cancels what it has not started and
        // finishes what it has; stopping then leaves the stack consistent. Sent to this process
        // alone, the update runs to its end first.
        stopping = true;
        console.log("stopping once the update under way ends");
    });
    process.on("SIGTERM", () => { stopping = true; if (!updating) { shutdown(); } });

    console.log(`watching ${buildContext}/ (as .dockerignore lets the build see it), the program and Pulumi.${stackName}.yaml; Ctrl-C to stop`);
}

main().catch((error: unknown) => {
    console.error(`dev loop: ${(error as Error).message}`);
    process.exit(1);
});
