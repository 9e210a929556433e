// End to end: `npm run up` (tools/up.sh) interrupted as users interrupt it, Ctrl-C while the
// cluster is being created and `kill -9` of the Pulumi CLI while the image loads, then run
// again. The rerun must succeed with no state surgery and leave nothing behind: one cluster,
// one node container, no lock, no pending operation, a preview with no changes.
// Runs on a copy of the project with the project's own local backend (.pulumi-state) and
// stack `dev`, exactly as the README's command runs.
import assert from "node:assert/strict";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe } from "node:test";
import { at, found } from "../support/present";
import { servedWithin } from "../support/load";
import { freePort } from "../support/ports";
import { processesInGroup } from "../support/processes";
import { copyProject, projectDir } from "../support/project";
import { timedScenarios } from "../support/scenarios";
import { toolchainForTests } from "../support/toolchain";

const { env: toolchainEnv, skip } = toolchainForTests("e2e");
const scenario = timedScenarios(skip);

/** `npm run up` as a terminal runs it: its own process group, output collected. */
class Up {
    readonly child: ChildProcess;
    output = "";
    readonly exited: Promise<number | null>;
    constructor(dir: string, env: Record<string, string>) {
        this.child = spawn("bash", ["tools/up.sh"], { cwd: dir, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        found(this.child.stdout, "its stdout").on("data", (chunk: Buffer) => { this.output += chunk.toString(); });
        found(this.child.stderr, "its stderr").on("data", (chunk: Buffer) => { this.output += chunk.toString(); });
        this.exited = new Promise((resolve) => this.child.on("exit", resolve));
    }
    /** Running processes of its group whose command line matches. */
    processes(pattern: RegExp): { pid: number; args: string }[] {
        return processesInGroup(found(this.child.pid, "its pid")).map((line) => found(/^(\d+)\s+\S+\s+(.*)$/.exec(line), `a process in ${line}`))
            .map(([, pid, args = ""]) => ({ pid: Number(pid), args })).filter((p) => pattern.test(p.args));
    }
}

async function until<T>(what: string, seconds: number, probe: () => T | undefined): Promise<T> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
        const found = probe();
        if (found) {
            return found;
        }
        if (Date.now() > deadline) {
            throw new Error(`${what}: not within ${seconds} s`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

describe("npm run up, interrupted and run again", () => {
    let dir: string;
    let env: Record<string, string>;
    let clusterName: string;
    let hostPort: number;
    const pulumi = (...args: string[]) => execFileSync("pulumi", args, { cwd: dir, env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const docker = (...args: string[]) => execFileSync("docker", args, { env: { ...process.env, ...env }, encoding: "utf8" });
    const nodeContainers = () => docker("ps", "-a", "--filter", `label=io.x-k8s.kind.cluster=${clusterName}`, "--format", "{{.Names}}").split("\n").filter(Boolean);
    const pendingOperations = () => (JSON.parse(pulumi("stack", "export")) as { deployment?: { pending_operations?: unknown[] } }).deployment?.pending_operations ?? [];
    const locks = () => {
        const root = path.join(dir, ".pulumi-state", ".pulumi", "locks");
        return fs.existsSync(root) ? (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith(".json")) : [];
    };

    /** Pulumi plugins still running in the project's folder (Linux: read from /proc). */
    const pluginsRunningHere = () => fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).flatMap((pid) => {
        try {
            const program = path.basename(at(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0"), 0));
            const state = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
            return /^pulumi-/.test(program) && state !== "Z" && fs.realpathSync(`/proc/${pid}/cwd`) === fs.realpathSync(dir) ? [`${program} (pid ${pid})`] : [];
        } catch {
            return [];
        }
    });

    /** The checks after every successful rerun: `answer` is the version it deployed. */
    async function nothingLeftBehind(answer: string) {
        assert.deepEqual(pluginsRunningHere(), []);
        await servedWithin(`http://127.0.0.1:${hostPort}`, answer);
        assert.deepEqual(nodeContainers(), [`${clusterName}-control-plane`]);
        assert.deepEqual(pendingOperations(), []);
        assert.deepEqual(locks(), []);
        pulumi("preview", "--expect-no-changes");
    }

    before(() => {
        if (skip) {
            return;
        }
        dir = copyProject();
        // The project's own backend, as in a clone: tools/up.sh and its recovery use it.
        fs.copyFileSync(path.join(projectDir, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        fs.rmSync(path.join(dir, "Pulumi.dev.yaml"), { force: true });
        fs.mkdirSync(path.join(dir, ".pulumi-state"));
        env = { ...toolchainEnv, PULUMI_CONFIG_PASSPHRASE: "e2e", KUBECONFIG: path.join(dir, "kubeconfig") };
    });

    after(() => {
        if (!dir) {
            return;
        }
        try {
            pulumi("destroy", "--yes", "--skip-preview");
            // The claim goes with the cluster (cluster.ts).
            assert.equal(docker("volume", "ls", "-q", "--filter", `name=^kube-demo-claim-${clusterName}$`).trim(), "");
        } finally {
            execFileSync("kind", ["delete", "cluster", "--name", clusterName], { env: { ...process.env, ...env }, stdio: "ignore" });
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    scenario("1. Ctrl-C while kind creates the cluster: the rerun replaces the half-made cluster this stack claimed", async () => {
        clusterName = `e2e-int-${Math.random().toString(36).slice(2, 8)}`;
        hostPort = await freePort();
        pulumi("stack", "init", "dev");
        for (const [key, value] of <[string, string][]>[["clusterName", clusterName], ["hostPort", String(hostPort)], ["apiServerPort", String(await freePort())]]) {
            pulumi("config", "set", key, value);
        }

        const first = new Up(dir, env);
        await until("the first node container", 120, () => nodeContainers().length > 0 || undefined);
        // What a terminal's Ctrl-C does: SIGINT to every process of the foreground group.
        process.kill(-found(first.child.pid, "its pid"), "SIGINT");
        assert.notEqual(await first.exited, 0, first.output);
        assert.match(first.output, /\^C received; cancelling/);

        const rerun = new Up(dir, env);
        assert.equal(await rerun.exited, 0, rerun.output);
        // The progress of a cold start, in a log too: Pulumi's own display prints each step as
        // it starts and as it ends, with its seconds (`npm run dev` starts with this same up).
        assert.match(rerun.output, /command:local:Command cluster-kind creating/);
        assert.match(rerun.output, /command:local:Command cluster-kind created(?: replacement)? \(\d+(?:\.\d+)?s\)/);
        // Whether kind had finished or not, the cluster was this stack's: made anew, not refused.
        assert.doesNotMatch(rerun.output, /this stack did not create it/);
        if (/began to create in an update that was interrupted/.test(rerun.output)) {
            console.log("# the rerun replaced the cluster the interrupted update had begun");
        }
        await nothingLeftBehind("Hello World: ");
    });

    scenario("2. kill -9 of the Pulumi CLI while the image loads: the rerun removes the stale lock, settles the pending load and rolls out", async () => {
        const server = path.join(dir, "app", "server.js");
        fs.writeFileSync(server, fs.readFileSync(server, "utf8").replace("`Hello World: ", "`Hello after a kill: "));

        const first = new Up(dir, env);
        await until("the image load", 180, () => first.processes(/^node runtime\/load-image\.js /).length > 0 || undefined);
        const [cli] = first.processes(/^pulumi up\b/);
        assert.ok(cli, `the pulumi up process among ${JSON.stringify(first.processes(/./))}`);
        process.kill(cli.pid, "SIGKILL");
        assert.notEqual(await first.exited, 0, first.output);
        assert.equal(locks().length, 1, "the killed update left its lock");

        const rerun = new Up(dir, env);
        assert.equal(await rerun.exited, 0, rerun.output);
        assert.match(rerun.output, /was stopped before it finished; removing its lock \(pulumi cancel\)/);
        assert.match(rerun.output, /The create of app-load was interrupted; the next update redoes it\./);
        assert.doesNotMatch(rerun.output, /pending operations/);
        await nothingLeftBehind("Hello after a kill: ");
    });
});
