// What the end-to-end tests, the stress test, the lint and the benchmark share: real stacks
// (Pulumi CLI, providers, Docker, kind) driven through the Automation API, each on a copy of
// the project with its own state, cluster name, ports and kubeconfig; load, the dev loop.
import { Deployment, EngineEvent, LocalWorkspace, OutputMap, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import * as YAML from "yaml";
import { waitForUrl } from "../../runtime/wait-for-url.js";
import { found } from "./present";

export const projectDir = path.resolve(__dirname, "../..");
export const toolchainDir = process.env.KUBE_DEMO_TOOLCHAIN
    ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "kube-demo-toolchain");

/** The variables the toolchain's env.sh exports, or undefined when it was never built. */
function toolchainEnvironment(): Record<string, string> | undefined {
    const envFile = path.join(toolchainDir, "env.sh");
    if (!fs.existsSync(envFile)) {
        return undefined;
    }
    const dump = execFileSync("bash", ["-c", `. "$1" >/dev/null && env -0`, "bash", envFile], { encoding: "utf8" });
    return Object.fromEntries(dump.split("\0").filter(Boolean).map((line) => {
        const at = line.indexOf("=");
        return [line.slice(0, at), line.slice(at + 1)];
    }));
}

/**
 * The toolchain for a test file that needs it: its environment, or `skip`, the one line (printed
 * here, once) that says what is missing and how to get it, for the file's tests to report.
 */
export function toolchainForTests(suite: string): { env: Record<string, string>; skip: string | false } {
    const toolchain = prepareToolchain();
    if ("missing" in toolchain) {
        const skip = `${suite} skipped: ${toolchain.missing}`;
        console.log(skip);
        return { env: {}, skip };
    }
    return { env: toolchain.env, skip: false };
}

function succeeds(command: string, args: string[], env = process.env): boolean {
    return spawnSync(command, args, { env, stdio: "ignore", timeout: 30_000 }).status === 0;
}

const pluginVersions = (): Record<string, string> => {
    const lock = JSON.parse(fs.readFileSync(path.join(projectDir, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
    return Object.fromEntries(["command", "docker", "kubernetes"].map((name) =>
        [name, found(lock.packages[`node_modules/@pulumi/${name}`], `@pulumi/${name} in package-lock.json`).version]));
};

/**
 * Everything the suite needs, or the first thing missing as one line that says how to get it.
 * Starts the Docker engine when it is installed but not answering (CI starts with none running).
 * When all is there, this process uses the toolchain from then on (the Automation API looks
 * for `pulumi` on its PATH).
 */
export function prepareToolchain(): { env: Record<string, string> } | { missing: string } {
    const build = "build it with `npm run toolchain`";
    const env = toolchainEnvironment();
    if (!env) {
        return { missing: `the offline toolchain (${toolchainDir}/env.sh): ${build}` };
    }
    for (const tool of ["pulumi", "kind", "kubectl", "docker"]) {
        if (!succeeds("sh", ["-c", `command -v ${tool}`], env)) {
            return { missing: `${tool} is not on the toolchain's PATH: ${build}` };
        }
    }
    if (!succeeds("docker", ["info"], env)) {
        const start = spawnSync("bash", [path.join(projectDir, "toolchain/docker/start.sh")], { env, encoding: "utf8" });
        if (start.status !== 0 || !succeeds("docker", ["info"], env)) {
            // null, whatever the type says, when bash could not be started at all
            const stderr = start.stderr as string | null;
            return { missing: `a Docker engine (toolchain/docker/start.sh failed: ${(stderr ?? "").trim().split("\n").pop()}): ${build}` };
        }
    }
    for (const image of [env.KIND_NODE_IMAGE, env.NODE_BASE_IMAGE, env.REGISTRY_IMAGE]) {
        if (!image || !succeeds("docker", ["image", "inspect", image], env)) {
            return { missing: `the local image ${image ?? "(unnamed)"}: ${build}` };
        }
    }
    const plugins = JSON.parse(execFileSync("pulumi", ["plugin", "ls", "--json"], { env, encoding: "utf8" }) || "[]") as
        { name: string; kind: string; version: string }[];
    for (const [name, version] of Object.entries(pluginVersions())) {
        if (!plugins.some((p) => p.name === name && p.kind === "resource" && p.version === version)) {
            return { missing: `the Pulumi plugin ${name} v${version}: ${build}` };
        }
    }
    Object.assign(process.env, env);
    return { env };
}

/**
 * `scenario(name, body, skipThis?)`: a test of an e2e file whose scenarios run in order on one
 * stack, skipped with the file's `skip` line (or its own), printing how long it took.
 */
export function timedScenarios(skip: string | false): (name: string, body: () => void | Promise<void>, skipThis?: string | false) => void {
    return (name, body, skipThis = false) => {
        test(name, { skip: skip || skipThis }, async () => {
            const started = Date.now();
            await body();
            console.log(`# ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
        });
    };
}

/** Whether a TCP server can listen on 127.0.0.1:`port` now. */
function canListen(port: number): Promise<boolean> {
    const server = net.createServer();
    return new Promise((resolve) => {
        server.once("error", () => { resolve(false); });
        server.listen(port, "127.0.0.1", () => server.close(() => { resolve(true); }));
    });
}

/**
 * A TCP port nobody listens on now, for kind to bind later. Taken below the kernels' ephemeral
 * ranges (Linux 32768+, macOS 49152+): a port the OS hands out (listen on 0) can go to any
 * outgoing connection before kind binds it, and did ("address already in use").
 */
export async function freePort(): Promise<number> {
    for (let attempt = 0; attempt < 100; attempt++) {
        const port = 20000 + Math.floor(Math.random() * 12000);
        if (await canListen(port)) {
            return port;
        }
    }
    throw new Error("no free TCP port found in 20000-31999");
}

/**
 * The project's files as git sees them (tracked, or new and not ignored: never its state or
 * node_modules) in a new folder, with a backend of its own.
 */
export function copyProject(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-e2e-"));
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: projectDir, encoding: "utf8" })
        .split("\0").filter((file) => file && fs.existsSync(path.join(projectDir, file)));
    for (const file of files) {
        fs.cpSync(path.join(projectDir, file), path.join(dir, file), { recursive: true });
    }
    fs.symlinkSync(path.join(projectDir, "node_modules"), path.join(dir, "node_modules"));
    const project = YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
    fs.mkdirSync(path.join(dir, "state"));
    project.backend = { url: `file://${dir}/state` };
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), YAML.stringify(project));
    return dir;
}

export interface TestStack {
    stack: Stack;
    dir: string;
    clusterName: string;
    /** The kubeconfig kind writes to: the user's own, in a test. */
    kubeconfigPath: string;
    env: Record<string, string>;
}

/**
 * A new stack on a copy of the project, configured through the API; `pulumiCommand` runs the
 * CLI some other way than the `pulumi` on PATH.
 */
export async function newStack(toolchainEnv: Record<string, string>, config: Record<string, string>,
    envOverrides: Record<string, string> = {}, pulumiCommand?: PulumiCommand): Promise<TestStack> {
    const dir = copyProject();
    const suffix = Math.random().toString(36).slice(2, 8);
    const clusterName = config.clusterName ?? `e2e-${suffix}`;
    const kubeconfigPath = path.join(dir, "kubeconfig");
    const env = {
        ...toolchainEnv,
        PULUMI_CONFIG_PASSPHRASE: "e2e",
        KUBECONFIG: kubeconfigPath,
        ...envOverrides,
    };
    const stack = recorded(await LocalWorkspace.createStack({ workDir: dir, stackName: `e2e-${suffix}` },
        { workDir: dir, envVars: env, ...(pulumiCommand ? { pulumiCommand } : {}) }));
    const settings: Record<string, string> = {
        clusterName,
        hostPort: String(await freePort()),
        apiServerPort: String(await freePort()),
        nodeImage: found(toolchainEnv.KIND_NODE_IMAGE, "KIND_NODE_IMAGE"),
        baseImage: found(toolchainEnv.NODE_BASE_IMAGE, "NODE_BASE_IMAGE"),
        ...config,
    };
    await stack.setAllConfig(Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, { value: v }])));
    return { stack, dir, clusterName, kubeconfigPath, env };
}

/** Destroys and removes the stack, and deletes its cluster if anything was left. */
export async function removeStack(test: TestStack): Promise<void> {
    try {
        await test.stack.destroy();
    } finally {
        await test.stack.workspace.removeStack(test.stack.name, { force: true }).catch(() => undefined);
        kind(test, ["delete", "cluster", "--name", test.clusterName]);
        fs.rmSync(test.dir, { recursive: true, force: true });
    }
}

export function kind(test: TestStack, args: string[]): string {
    return execFileSync("kind", args, { env: { ...process.env, ...test.env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export function clusters(test: TestStack): string[] {
    return kind(test, ["get", "clusters"]).split("\n").filter(Boolean);
}

export function kubectl(test: TestStack, args: string[]): string {
    return execFileSync("kubectl", ["--context", `kind-${test.clusterName}`, ...args],
        { env: { ...process.env, ...test.env }, encoding: "utf8" });
}

/**
 * Resolves once `url` answers with `text` in the body on 5 new connections in a row; fails after
 * `seconds`. For the first look after an `up` that rolled out a new version: like `kubectl rollout
 * status`, the rollout is done once the old pods are terminating, and they keep answering (their
 * preStop pause) until kube-proxy drops them from the Service's rules at its next sync, on Kind at
 * most a second apart. A request in that moment gets the old version, never an error.
 */
export function servedWithin(url: string, text: string, seconds = 10): Promise<void> {
    return waitForUrl({ url, expect: text, inARow: 5, timeoutSeconds: seconds });
}

/** One GET on a new connection; the body, or an Error. */
export async function get(url: string): Promise<string> {
    // Bounded: a port mapping with nothing ready behind it accepts and then hangs.
    const abort = new AbortController();
    const timer = setTimeout(() => { abort.abort(new Error(`no answer from ${url} within 5 s`)); }, 5_000);
    try {
        const res = await fetch(url, { headers: { connection: "close" }, signal: abort.signal });
        const body = await res.text();
        if (res.status !== 200) {
            throw new Error(`HTTP ${res.status}`);
        }
        return body;
    } finally {
        clearTimeout(timer);
    }
}

/**
 * "12.3 s: TypeError: fetch failed (ECONNREFUSED)": when a request failed, counted from the load's
 * start, and the socket's error code, which fetch keeps in `cause`: a refused connection and a
 * reset one have different culprits.
 */
function failureText(err: unknown, started: number): string {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
    const code = cause && "code" in cause ? String(cause.code) : cause?.message;
    return `${((Date.now() - started) / 1000).toFixed(1)} s: ${String(err)}${code ? ` (${code})` : ""}`;
}

/** GETs at a fixed rate until stopped or `maxSeconds` pass; counts replies and failures. */
export interface Load {
    readonly replies: string[];
    readonly failures: string[];
    /** Goes on for `seconds` more and until `atLeast` requests were made, then stops. */
    stop(after?: { seconds: number; atLeast: number }): Promise<void>;
    /** Requests a second, from the start until stopped (or now). */
    rate(): number;
    /** "N requests, F failed, R req/s over S s" */
    summary(): string;
}

/**
 * Steady load on `url`: `connections` loops side by side, each opening a new connection per
 * request (so that every pod is hit), `perSecond` requests a second in all. Twenty loops, not
 * five: each waits for its reply, and on two busy cores replies took 300 to 500 ms, which held
 * five loops to 17 req/s and ten to 20 (CI, 2026-12-02); twenty keep 30 up to 650 ms.
 */
export function loadLoop(url: string, perSecond = 30, connections = 20): Load {
    const replies: string[] = [];
    const failures: string[] = [];
    const started = Date.now();
    let stoppedAt = 0;
    let stopped = false;
    const worker = async () => {
        while (!stopped) {
            const began = Date.now();
            try {
                replies.push(await get(url));
            } catch (err) {
                failures.push(failureText(err, started));
            }
            await new Promise((resolve) => setTimeout(resolve, Math.max(0, (1000 * connections) / perSecond - (Date.now() - began))));
        }
    };
    const workers = Array.from({ length: connections }, (_, i) =>
        new Promise((resolve) => setTimeout(resolve, (i * 1000) / perSecond)).then(worker));
    return {
        replies,
        failures,
        stop: async (after = { seconds: 0, atLeast: 0 }) => {
            const until = Date.now() + after.seconds * 1000;
            while (Date.now() < until || replies.length + failures.length < after.atLeast) {
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            stopped = true;
            await Promise.all(workers);
            stoppedAt = Date.now();
        },
        rate: () => (replies.length + failures.length) / (((stoppedAt || Date.now()) - started) / 1000),
        summary: () => {
            const seconds = ((stoppedAt || Date.now()) - started) / 1000;
            const total = replies.length + failures.length;
            return `${total} requests, ${failures.length} failed, ${(total / seconds).toFixed(1)} req/s over ${seconds.toFixed(1)} s`;
        },
    };
}

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

/** A resource of an exported state (apitype.ResourceV3): the fields read here. */
export interface StateResource {
    urn: string;
    type: string;
    outputs?: { stdout?: string };
}

/** The resources of an exported state (its JSON, apitype.DeploymentV3); none when it has none. */
export function stateResources(state: Deployment): StateResource[] {
    return (state.deployment as { resources?: StateResource[] }).resources ?? [];
}

/** A stack output that is a string (url, image, kubeconfig). */
export function stringOutput(outputs: OutputMap, name: string): string {
    const value: unknown = outputs[name]?.value;
    assert.ok(typeof value === "string", `the stack's ${name} output is a string`);
    return value;
}

/**
 * What the last image load sent, as runtime/load-image.js reported it: per node, the layers
 * sent of the image's total and the bytes.
 */
export async function lastLoad(test: TestStack): Promise<{ node: string; sent: number; total: number; bytes: number }[]> {
    const state = await test.stack.exportStack();
    const load = stateResources(state).find((resource) => resource.urn.endsWith("::app-load"));
    const report = load?.outputs?.stdout ?? "";
    const lines = [...report.matchAll(/-> (\S+): (\d+) of (\d+) layers sent, (\d+) bytes$/gm)];
    if (lines.length === 0) {
        throw new Error(`the image load reported nothing: ${JSON.stringify(report)}`);
    }
    return lines.map(([, node = "", sent, total, bytes]) => ({ node, sent: Number(sent), total: Number(total), bytes: Number(bytes) }));
}

/** Everything the CLI printed for the stacks of this process, and every error it ended with. */
export const printed: string[] = [];
/** The client keys (base64, as in a kubeconfig) of every cluster an `up` of this process made. */
export const clientKeys = new Set<string>();

/** `stack`, with what its operations print kept in `printed` and its clusters' keys in `clientKeys`. */
function recorded(stack: Stack): Stack {
    const keep = (text: string) => { printed.push(text); };
    const also = (handler?: (text: string) => void) => (text: string) => { keep(text); handler?.(text); };
    // What each of these operations takes and gives, as far as it is read here.
    type Printing = { onOutput?: (text: string) => void; onError?: (text: string) => void };
    type Kubeconfig = { users?: { user: { "client-key-data": string } }[] };
    for (const operation of ["up", "preview", "refresh", "destroy"] as const) {
        const original = (stack[operation] as (opts?: Printing) => Promise<{ outputs?: OutputMap }>).bind(stack);
        Object.assign(stack, { [operation]: async (opts: Printing = {}) => {
            try {
                const result = await original({ ...opts, onOutput: also(opts.onOutput), onError: also(opts.onError) });
                const kubeconfig: unknown = result.outputs?.kubeconfig?.value;
                for (const user of typeof kubeconfig === "string" && kubeconfig ? (YAML.parse(kubeconfig) as Kubeconfig).users ?? [] : []) {
                    clientKeys.add(user.user["client-key-data"]);
                }
                return result;
            } catch (err) {
                keep(String(err));
                throw err;
            }
        } });
    }
    return stack;
}

/** The places in `printed` that hold a cluster's client key, base64 or decoded; none, we hope. */
export function printedClientKeys(): string[] {
    return clientKeysIn(printed);
}

/** The start of each cluster client key that `texts` hold in plain text, base64 or decoded. */
export function clientKeysIn(texts: string[]): string[] {
    const leaks: string[] = [];
    for (const key of clientKeys) {
        // The key as in the kubeconfig, and each line of its PEM body as kind would print it.
        const pemLines = Buffer.from(key, "base64").toString("utf8").split("\n").filter((line) => line.length >= 40);
        for (const needle of [key, key.slice(0, 64), ...pemLines]) {
            if (texts.some((text) => text.includes(needle))) {
                leaks.push(needle.slice(0, 12));
            }
        }
    }
    return leaks;
}

/** What the dev loop prints for an update that is served, and for one that failed. */
export const updateLine = /^(?<what>\S.*) -> (?<image>node-app:[0-9a-f]{16}) on (?<ready>\d+)\/(?<want>\d+) pods in (?<seconds>\d+\.\d) s$/;
export const failedLine = /^(?<what>\S.*) -> update failed after (?<seconds>\d+\.\d) s/;

/** The dev loop as a user runs it, in its own process group so that nothing it starts can hide. */
export class DevLoop {
    readonly lines: string[] = [];
    private readonly child: ChildProcess;
    readonly exited: Promise<number | null>;

    constructor(stack: TestStack) {
        this.child = spawn("node", ["--import", "tsx", "tools/dev.ts", "--stack", stack.stack.name],
            { cwd: stack.dir, env: { ...process.env, ...stack.env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        let rest = "";
        const collect = (chunk: Buffer) => {
            const parts = (rest + chunk.toString()).split("\n");
            rest = parts.pop() ?? "";
            this.lines.push(...parts);
        };
        // Both are pipes (stdio above).
        found(this.child.stdout, "the dev loop's stdout").on("data", collect);
        found(this.child.stderr, "the dev loop's stderr").on("data", collect);
        this.exited = new Promise((resolve) => this.child.on("exit", resolve));
    }

    get pid(): number {
        return found(this.child.pid, "the dev loop's pid");
    }

    /** The first line from index `from` on that matches, within `seconds`. */
    async line(pattern: RegExp, from: number, seconds: number): Promise<{ index: number; match: RegExpMatchArray }> {
        const deadline = Date.now() + seconds * 1000;
        for (;;) {
            for (let i = from; i < this.lines.length; i++) {
                const match = this.lines[i]?.match(pattern);
                if (match) {
                    return { index: i, match };
                }
            }
            if (Date.now() > deadline) {
                throw new Error(`no line matching ${pattern} within ${seconds} s; the loop printed:\n${this.lines.slice(from).join("\n")}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
    }

    /** Ends the loop and everything it started, whatever state it is in. */
    async stop(): Promise<void> {
        if (processesInGroup(this.pid).length > 0) {
            process.kill(-this.pid, "SIGKILL");
        }
        await this.exited;
    }

    /** Lines that report an update (done or failed), from index `from` on. */
    updates(from = 0): string[] {
        return this.lines.slice(from).filter((l) => updateLine.test(l) || failedLine.test(l));
    }
}

/**
 * Processes still running in a process group. An exited child waiting for its reaper (a
 * zombie: pid 1 of a container may be slow to reap) runs nothing and is not counted.
 */
export function processesInGroup(pgid: number): string[] {
    const ps = spawnSync("ps", ["-o", "pid=,stat=,args=", "-g", String(pgid)], { encoding: "utf8" });
    return ps.stdout.split("\n").map((l) => l.trim()).filter((l) => l && !/^\d+\s+Z/.test(l));
}

