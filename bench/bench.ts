// `npm run bench`: the stack against the manual kind + kubectl workflow, alternately, on this
// machine, in one run. Prints a table and writes it to BENCHMARKS.md.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { kindConfig } from "../cluster";
import { appNodePort } from "../config";
import { contentTag } from "../image";
import { appNames } from "../workload";
import { waitForUrl } from "../runtime/wait-for-url.js";
import { DevLoop, updateLine } from "../tests/support/dev-loop";
import { changedResources } from "../tests/support/events";
import { freePort } from "../tests/support/ports";
import { projectDir } from "../tests/support/project";
import { lastLoad, newStack, removeStack, TestStack } from "../tests/support/stack";
import { prepareToolchain } from "../tests/support/toolchain";
import { soakHeading } from "../tests/support/soak";
import { at, found } from "../tests/support/present";
import { LocalWorkspace, type EngineEvent } from "@pulumi/pulumi/automation";

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const toolchain = prepareToolchain();
if ("missing" in toolchain) {
    console.log(`bench skipped: ${toolchain.missing}`);
    process.exit(1);
}
const toolchainEnv = toolchain.env;
const env = process.env;

type Figures = Record<string, number[]>;
const manual: Figures = {};
const stack: Figures = {};
const record = (side: Figures, figure: string, value: number) => (side[figure] ??= []).push(value);
/** Stack figures with no manual figure of their name, and the manual figure they are against. */
const manualReference: Record<string, string> = {
    "`npm run up` edit": "edit to ready",
    "dev loop: first save to served": "edit to ready",
    "dev loop: later save to served": "edit to ready",
};
const sh = (command: string, args: string[], input?: string) =>
    execFileSync(command, args, { env, encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 1 << 30 });

async function timed(body: () => unknown): Promise<number> {
    const started = performance.now();
    await body();
    return (performance.now() - started) / 1000;
}

/** Waits until `count` replies in a row (new connections) contain `text`. */
function untilServing(url: string, text: string, count = 15, timeoutSeconds = 300): Promise<void> {
    return waitForUrl({ url, expect: text, inARow: count, timeoutSeconds });
}

/** Peak resident memory (VmHWM) of the Pulumi program process seen while `body` runs. */
async function peakProgramMemory<T>(body: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
    let peakKiB = 0;
    // Once found, only the program's own status is read: scanning /proc costs CPU the timed
    // operation would share.
    let program: string | undefined;
    const sample = setInterval(() => {
        try {
            program ??= fs.readdirSync("/proc").find((pid) => /^\d+$/.test(pid)
                && fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("@pulumi/pulumi/cmd/run"));
            if (program) {
                const hwm = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${program}/status`, "utf8"));
                peakKiB = Math.max(peakKiB, Number(hwm?.[1] ?? 0));
            }
        } catch {
            // A process ended between listing and reading: look again at the next sample.
            program = undefined;
        }
    }, 100);
    try {
        return { result: await body(), peakMiB: peakKiB / 1024 };
    } finally {
        clearInterval(sample);
    }
}

/** Makes the app answer `<text>: <uuid>`, whatever it answered before. */
function editReply(appDir: string, text: string) {
    const server = path.join(appDir, "server.js");
    const before = fs.readFileSync(server, "utf8");
    const after = before.replace(/`[^`$]*: \$\{instanceId\}/, `\`${text}: \${instanceId}`);
    if (after === before) {
        throw new Error(`bench: could not change the reply in ${server}`);
    }
    fs.writeFileSync(server, after);
}

/** The seed's commands, typed by hand. */
async function manualRound(round: number) {
    const name = `bench-manual-${round}-${Math.random().toString(36).slice(2, 6)}`;
    const hostPort = await freePort();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-bench-"));
    fs.cpSync(path.join(projectDir, "app"), path.join(work, "app"), { recursive: true });
    const config = kindConfig({ hostPort, nodePort: appNodePort, apiServerPort: await freePort(), workers: 0, nodeImage: env.KIND_NODE_IMAGE });
    const url = `http://127.0.0.1:${hostPort}`;
    const kubectl = (...args: string[]) => sh("kubectl", ["--context", `kind-${name}`, ...args]);
    const build = (tag: string) => sh("docker", ["build", "-q", "-t", `node-app:${tag}`, "--build-arg", `BASE_IMAGE=${env.NODE_BASE_IMAGE}`, path.join(work, "app")]);
    try {
        record(manual, "cold start", await timed(async () => {
            build("v1");
            sh("kind", ["create", "cluster", "--name", name, "--config", "-", "--wait", "3m"], config);
            sh("kind", ["load", "docker-image", "node-app:v1", "--name", name]);
            sh("kubectl", ["--context", `kind-${name}`, "apply", "-f", "-"],
                fs.readFileSync(path.join(__dirname, "manual.yaml"), "utf8").replace("image: IMAGE", "image: node-app:v1"));
            kubectl("rollout", "status", `deployment/${appNames.deployment}`, "--timeout=3m");
            await untilServing(url, "Hello World");
        }));
        editReply(path.join(work, "app"), `Manual edit ${round}`);
        record(manual, "edit to ready", await timed(async () => {
            build("v2");
            sh("kind", ["load", "docker-image", "node-app:v2", "--name", name]);
            record(manual, "edit: of which rollout", await timed(() => {
                kubectl("set", "image", `deployment/${appNames.deployment}`, `${appNames.container}=node-app:v2`);
                kubectl("rollout", "status", `deployment/${appNames.deployment}`, "--timeout=3m");
            }));
            await untilServing(url, `Manual edit ${round}`);
        }));
        // kind load pipes the whole `docker save` archive into the node.
        record(manual, "bytes loaded per edit (KiB)", Number(sh("sh", ["-c", "docker save node-app:v2 | wc -c"]).trim()) / 1024);
    } finally {
        record(manual, "teardown", await timed(() => sh("kind", ["delete", "cluster", "--name", name])));
        fs.rmSync(work, { recursive: true, force: true });
    }
}

/** Cold start to 15 answers, both sides, on a cluster with two workers (kindnetd), then teardown. */
async function twoWorkerRound(round: number) {
    const figure = "cold start, 2 workers";
    const name = `bench-manual-w-${round}-${Math.random().toString(36).slice(2, 6)}`;
    const hostPort = await freePort();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-bench-"));
    fs.cpSync(path.join(projectDir, "app"), path.join(work, "app"), { recursive: true });
    const config = kindConfig({ hostPort, nodePort: appNodePort, apiServerPort: await freePort(), workers: 2, nodeImage: env.KIND_NODE_IMAGE });
    try {
        record(manual, figure, await timed(async () => {
            sh("docker", ["build", "-q", "-t", "node-app:v1", "--build-arg", `BASE_IMAGE=${env.NODE_BASE_IMAGE}`, path.join(work, "app")]);
            sh("kind", ["create", "cluster", "--name", name, "--config", "-", "--wait", "3m"], config);
            sh("kind", ["load", "docker-image", "node-app:v1", "--name", name]);
            sh("kubectl", ["--context", `kind-${name}`, "apply", "-f", "-"],
                fs.readFileSync(path.join(__dirname, "manual.yaml"), "utf8").replace("image: IMAGE", "image: node-app:v1"));
            sh("kubectl", ["--context", `kind-${name}`, "rollout", "status", `deployment/${appNames.deployment}`, "--timeout=3m"]);
            await untilServing(`http://127.0.0.1:${hostPort}`, "Hello World");
        }));
    } finally {
        sh("kind", ["delete", "cluster", "--name", name]);
        fs.rmSync(work, { recursive: true, force: true });
    }
    const test = await newStack(toolchainEnv, { workers: "2" });
    try {
        const url = `http://127.0.0.1:${(await test.stack.getConfig("hostPort")).value}`;
        record(stack, figure, await timed(async () => {
            await pulumi(test, `round ${round} up, 2 workers`, ["up", "--yes", "--skip-preview"]);
            await untilServing(url, "Hello World");
        }));
    } finally {
        await removeStack(test);
    }
}

type TimedEvent = { at: number; event: EngineEvent };

/** Each resource step (not "same" or "read") of an operation: the resource and when it started and ended. */
function resourceSteps(events: TimedEvent[]): { name: string; type: string; start: number; end: number }[] {
    const started = new Map<string, number>();
    const steps = [];
    for (const { at, event } of events) {
        const pre = event.resourcePreEvent?.metadata;
        if (pre && !["same", "read"].includes(pre.op)) started.set(pre.urn, at);
        const done = event.resOutputsEvent?.metadata;
        const start = done && started.get(done.urn);
        if (done && start !== undefined) {
            steps.push({ name: done.urn.split("::").pop() ?? done.urn, type: done.type, start, end: at });
        }
    }
    return steps;
}

/** Seconds of the named resource's longest step (a replacement's create, not its instant delete). */
function stepSeconds(events: TimedEvent[], name: string): number {
    const durations = resourceSteps(events).filter((s) => s.name === name).map((s) => (s.end - s.start) / 1000);
    return Math.max(0, ...durations);
}

/** When each resource's step started and ended, in seconds from the operation's start. */
function timeline(events: TimedEvent[]): string {
    const origin = events[0]?.at ?? 0;
    const seconds = (at: number) => ((at - origin) / 1000).toFixed(1);
    const steps = resourceSteps(events)
        .filter((step) => !step.type.startsWith("kube-demo:") && step.type !== "pulumi:pulumi:Stack")
        .sort((x, y) => x.start - y.start)
        .map((step) => `${step.name} ${seconds(step.start)}-${seconds(step.end)}`);
    return `${steps.join(", ")}; last event at ${seconds(events[events.length - 1]?.at ?? origin)}`;
}

const profile: string[] = [];

/**
 * Runs a `pulumi` command as a user types it, in the stack's project copy. Engine events come
 * from --event-log, stamped as they appear; the Pulumi program's peak memory is sampled.
 */
async function pulumi(test: TestStack, label: string, args: string[], recordMemory = true): Promise<{ events: EngineEvent[]; stepSeconds: (name: string) => number }> {
    const eventLog = path.join(test.dir, `events-${Date.now()}.jsonl`);
    const events: TimedEvent[] = [];
    let read = 0;
    const tail = () => {
        if (!fs.existsSync(eventLog)) return;
        const text = fs.readFileSync(eventLog, "utf8");
        const complete = text.slice(0, text.lastIndexOf("\n") + 1);
        for (const line of complete.slice(read).split("\n").filter(Boolean)) {
            events.push({ at: Date.now(), event: JSON.parse(line) as EngineEvent });
        }
        read = complete.length;
    };
    const started = Date.now();
    const { peakMiB } = await peakProgramMemory(() => new Promise<void>((resolve, reject) => {
        const child = spawn("pulumi", [...args, "--stack", test.stack.name, "--non-interactive", "--event-log", eventLog], {
            cwd: test.dir,
            // --event-log is one of the CLI's debug flags (the Automation API uses it too).
            env: { ...process.env, ...test.env, PULUMI_DEBUG_COMMANDS: "true" },
            stdio: ["ignore", "pipe", "pipe"],
        });
        // The CLI prints its errors on stdout; keep the end of both for a failure's message.
        let output = "";
        const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
        child.stdout.on("data", keep);
        child.stderr.on("data", keep);
        const poll = setInterval(tail, 50);
        child.on("exit", (code) => {
            clearInterval(poll);
            tail();
            if (code === 0) {
                resolve();
            } else {
                reject(new Error(`pulumi ${args.join(" ")} failed (${label}):\n${output}`));
            }
        });
    }));
    // A command too quick for the 100 ms sampler shows no program process at all.
    if (recordMemory && peakMiB > 0) {
        record(stack, "peak program memory (MiB)", peakMiB);
    }
    profile.push(`${label} (${((Date.now() - started) / 1000).toFixed(1)} s): ${timeline(events)}`);
    return { events: events.map(({ event }) => event), stepSeconds: (name) => stepSeconds(events, name) };
}

/**
 * `npm run up` (tools/up.sh) as a user runs it, in the stack's project copy: its backend is the
 * copy's Pulumi.yaml's, the stack the test stack, with the test stack's passphrase.
 */
function npmRunUp(test: TestStack, label: string): Promise<void> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn("bash", ["tools/up.sh"], {
            cwd: test.dir,
            env: { ...process.env, ...test.env, KUBE_DEMO_STACK: test.stack.name },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
        child.stdout.on("data", keep);
        child.stderr.on("data", keep);
        child.on("exit", (code) => {
            profile.push(`${label} (${((Date.now() - started) / 1000).toFixed(1)} s): ${output.trim().split("\n").pop() ?? ""}`);
            if (code === 0) {
                resolve();
            } else {
                reject(new Error(`tools/up.sh failed (${label}):\n${output}`));
            }
        });
    });
}

/** Fails when the stack's state does not hold what runs: an untimed preview that must change nothing. */
async function stateHoldsWhatRuns(test: TestStack, label: string): Promise<void> {
    await pulumi(test, label, ["preview", "--expect-no-changes"], false);
}

/**
 * The floor of a no-op preview or up: an empty TypeScript program (one getStack() output) on the
 * same kind of backend, passphrase and swc transpile as the stack, with nothing to change.
 */
async function floorStack(): Promise<TestStack> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-floor-"));
    fs.copyFileSync(path.join(projectDir, "tsconfig.json"), path.join(dir, "tsconfig.json"));
    // ts-node's fastest setting: transpile only, by swc (the stack's own loader is transpile.js).
    fs.writeFileSync(path.join(dir, "tsconfig.pulumi.json"), JSON.stringify({
        extends: "./tsconfig.json", compilerOptions: { noCheck: true }, "ts-node": { swc: true },
    }));
    fs.symlinkSync(path.join(projectDir, "node_modules"), path.join(dir, "node_modules"));
    fs.mkdirSync(path.join(dir, "state"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), [
        "name: kube-demo-floor",
        "runtime:", "  name: nodejs", "  options:", "    typescript: true", "    tsconfig: tsconfig.pulumi.json",
        `backend:`, `  url: file://${dir}/state`, "",
    ].join("\n"));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "kube-demo-floor", main: "index.ts" }));
    fs.writeFileSync(path.join(dir, "index.ts"), 'import * as pulumi from "@pulumi/pulumi";\nexport const stack = pulumi.getStack();\n');
    const floorEnv = { ...toolchainEnv, PULUMI_CONFIG_PASSPHRASE: "e2e" };
    const workspace = await LocalWorkspace.createStack({ workDir: dir, stackName: "floor" }, { workDir: dir, envVars: floorEnv });
    await workspace.up();
    return { stack: workspace, dir, clusterName: "", kubeconfigPath: "", env: floorEnv };
}

async function stackRound(round: number) {
    const test = await newStack(toolchainEnv, {});
    const url = `http://127.0.0.1:${(await test.stack.getConfig("hostPort")).value}`;
    try {
        record(stack, "cold start", await timed(async () => {
            await pulumi(test, `round ${round} up`, ["up", "--yes", "--skip-preview"]);
            await untilServing(url, "Hello World");
        }));
        let changes: string[] = [];
        // The floor just before the stack's own, so that both see the machine alike.
        const floor = await floorStack();
        try {
            record(stack, "no-op preview of an empty program (floor)", await timed(() => pulumi(floor, `round ${round} floor preview`, ["preview", "--expect-no-changes"], false)));
            record(stack, "no-op up of an empty program (floor)", await timed(() => pulumi(floor, `round ${round} floor up`, ["up", "--yes", "--skip-preview"], false)));
        } finally {
            fs.rmSync(floor.dir, { recursive: true, force: true });
        }
        record(stack, "no-op preview", await timed(async () => {
            changes = changedResources((await pulumi(test, `round ${round} preview`, ["preview"])).events);
        }));
        record(stack, "no-op preview changes", changes.length);
        let upChanges: string[] = [];
        record(stack, "no-op up", await timed(async () => {
            upChanges = changedResources((await pulumi(test, `round ${round} no-op up`, ["up", "--yes", "--skip-preview"])).events);
        }));
        record(stack, "no-op up changes (builds, loads)", upChanges.length);
        editReply(path.join(test.dir, "app"), `Stack edit ${round}`);
        record(stack, "edit to ready", await timed(async () => {
            const up = await pulumi(test, `round ${round} edit up`, ["up", "--yes", "--skip-preview"]);
            // The Deployment's patch and the rollout check's wait (workload.ts).
            record(stack, "edit: of which rollout", up.stepSeconds("app-deployment") + up.stepSeconds("app-rollout"));
            await untilServing(url, `Stack edit ${round}`);
        }));
        // This edit's load: a later one (the dev loop's update after its fast path) finds the image there.
        record(stack, "bytes loaded per edit (KiB)", (await lastLoad(test)).reduce((sum, node) => sum + node.bytes, 0) / 1024);
        // The next edit as the README has it: `npm run up`, one `pulumi up --skip-preview`
        // with the stack and settings already there. A user's first `npm run up` of a checkout
        // runs the policy pack's preview pass as well (tools/up.sh); this untimed one is that.
        await npmRunUp(test, `round ${round} npm run up, first of the stack (untimed)`);
        editReply(path.join(test.dir, "app"), `Script edit ${round}`);
        record(stack, "`npm run up` edit", await timed(async () => {
            await npmRunUp(test, `round ${round} npm run up edit`);
            await untilServing(url, `Script edit ${round}`);
        }));
        await stateHoldsWhatRuns(test, `round ${round} preview after the edits`);
        // The same edit through the dev loop: the program runs inline (Automation API) instead
        // of a new `pulumi up` process; timed from the save, like the manual edit from its build.
        const loop = new DevLoop(test);
        try {
            await loop.line(/^watching /, 0, 120);
            const first = loop.lines.length;
            record(stack, "dev loop: first save to served", await timed(async () => {
                editReply(path.join(test.dir, "app"), `Loop edit ${round}`);
                await untilServing(url, `Loop edit ${round}`);
            }));
            const printed = await loop.line(updateLine, first, 120);
            record(stack, "dev loop: its printed save-to-served", Number(found(printed.match.groups, "the line's fields").seconds));
            profile.push(`round ${round} dev loop printed: ${printed.match[0]}`);
            // A save once the first update has ended, as most saves of a session are.
            const later = printed.index + 1;
            record(stack, "dev loop: later save to served", await timed(async () => {
                editReply(path.join(test.dir, "app"), `Loop edit ${round} again`);
                await untilServing(url, `Loop edit ${round} again`);
            }));
            profile.push(`round ${round} dev loop printed: ${(await loop.line(updateLine, later, 120)).match[0]}`);
            const stopping = performance.now();
            process.kill(-loop.pid, "SIGINT"); // as a terminal does: to the whole foreground group
            await loop.exited;
            record(stack, "dev loop: Ctrl-C to exit", (performance.now() - stopping) / 1000);
        } finally {
            await loop.stop();
        }
        await stateHoldsWhatRuns(test, `round ${round} preview after the dev loop`);
        const tag = contentTag(path.join(test.dir, "app"), { BASE_IMAGE: found(env.NODE_BASE_IMAGE, "NODE_BASE_IMAGE") });
        const imageBytes = Number(sh("docker", ["image", "inspect", "-f", "{{.Size}}", `node-app:${tag}`]).trim());
        const baseBytes = Number(sh("docker", ["image", "inspect", "-f", "{{.Size}}", found(env.NODE_BASE_IMAGE, "NODE_BASE_IMAGE")]).trim());
        record(stack, "image size over its base (KiB)", (imageBytes - baseBytes) / 1024);
        record(stack, "teardown", await timed(() => pulumi(test, `round ${round} destroy`, ["destroy", "--yes", "--skip-preview"])));
    } finally {
        await removeStack(test);
    }
}

function stats(values: number[] | undefined): [number, number, number] | undefined {
    if (!values?.length) return undefined;
    const sorted = [...values].sort((a, b) => a - b);
    return [at(sorted, 0), at(sorted, Math.floor((sorted.length - 1) / 2)), at(sorted, sorted.length - 1)];
}

function table(): string {
    const figures = [...new Set([...Object.keys(manual), ...Object.keys(stack)])];
    const cell = (v?: [number, number, number]) => (v ? v.map((x) => x.toFixed(1)).join(" / ") : "-");
    const rows = figures.map((figure) => {
        const reference = manual[figure] ? undefined : manualReference[figure];
        const m = stats(manual[reference ?? figure]);
        const s = stats(stack[figure]);
        const ratio = m && s && m[1] > 0 ? (s[1] / m[1]).toFixed(2) : "-";
        return `| ${figure} | ${cell(m)}${m && reference ? ` (${reference})` : ""} | ${cell(s)} | ${ratio} |`;
    });
    return ["| figure (seconds unless named) | manual min / median / max | stack min / median / max | stack / manual (median) |",
        "|---|---|---|---|", ...rows].join("\n");
}

async function main() {
    for (let round = 1; round <= rounds; round++) {
        console.log(`round ${round}/${rounds}: manual`);
        await manualRound(round);
        console.log(`round ${round}/${rounds}: stack`);
        await stackRound(round);
    }
    for (let round = 1; round <= rounds; round++) {
        console.log(`round ${round}/${rounds}: 2 workers, manual and stack`);
        await twoWorkerRound(round);
    }
    const machine = `${os.cpus().length} cores (${at(os.cpus(), 0).model}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}`;
    const report = [
        "# Benchmarks", "",
        `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench\` (${rounds} rounds, manual and stack alternately) on ${machine}.`,
        `Docker ${sh("docker", ["version", "-f", "{{.Server.Version}}"]).trim()}, ${sh("kind", ["version"]).trim()}, Pulumi ${sh("pulumi", ["version"]).trim()}.`,
        "Manual: the seed's commands (`docker build`, `kind create cluster`, `kind load docker-image`, `kubectl apply` of bench/manual.yaml,",
        "`kubectl rollout status`; for an edit `docker build` of a new tag, `kind load`, `kubectl set image`, `rollout status`). Stack: `pulumi up --yes",
        "--skip-preview`, `pulumi preview`, `pulumi destroy --yes --skip-preview`. Every figure ends when 15 replies in a row carry the expected text.",
        "\"Of which rollout\": manual `kubectl set image` + `rollout status`, stack the Deployment's patch and the rollout check (runtime/rollout-status.js).",
        "`npm run up` edit: the next one-line edit, applied by `npm run up` (tools/up.sh: with the stack and its settings there, one",
        "`pulumi up --yes --skip-preview --policy-pack policy`, the URL read from the state) on the same stack, until 15 replies in a row",
        "carry the new text; after an untimed `npm run up` with nothing to change, as a user's first one runs the pack's preview pass too.",
        "Dev loop: `npm run dev`'s loop (tools/dev.ts) on the same stack, timed from the save until 15 replies in a row carry the new text:",
        "the first save after it prints `watching`, and a later one once that update has ended; its printed figure is its own (first save),",
        "from the first file event until every replica runs the save, Ready. A save under app/ is served by the loop's fast path",
        "(tools/fast-rollout.ts: build, load, patch, rollout check) before the update records it. Rows with no manual figure of their own are against the manual figure named",
        "in parentheses. After the edits and after the dev loop an untimed `pulumi preview --expect-no-changes` must pass: the state holds",
        "what runs. Bytes per edit: manual the `docker save`",
        "archive kind load pipes into the node, stack what runtime/load-image.js reported sending (the layers the node lacked).",
        "Cold start, 2 workers: the same cold start on a control plane and two workers (kindnetd), after the other rounds.",
        "What differs between the sides: the manual cluster has kind's defaults; the stack's has its own tuning (cluster.ts: kube-proxy",
        "applies endpoint changes at once), carries edits through a registry of its own (runtime/load-image.js, filled in the background",
        "after the cold start's load), and its teardown removes the nodes' volumes after `destroy` returns (cluster.ts).",
        "The floor is the issue's: ts-node with swc (transpile only); the stack's program is transpiled by swc through transpile.js.", "",
        table(), "",
        "Where the stack's time goes: each resource's step, in seconds from the operation's first engine event:", "",
        ...profile.map((line) => `- ${line}`), "",
    ].join("\n");
    console.log(report);
    // The soak's section (npm run test:soak writes it) stays: this run did not measure it.
    const file = path.join(projectDir, "BENCHMARKS.md");
    const before = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    const soak = before.indexOf(`\n${soakHeading}\n`);
    fs.writeFileSync(file, soak < 0 ? report : `${report}\n${before.slice(soak + 1)}`);
}

main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
});
