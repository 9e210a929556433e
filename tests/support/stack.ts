// Real stacks (Pulumi CLI, providers, Docker, kind) driven through the Automation API, each on a
// copy of the project with its own state, cluster name, ports and kubeconfig; what they hold.
import { Deployment, LocalWorkspace, OutputMap, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { portProxyLabel } from "../../readiness";
import { recorded } from "./leaks";
import { freePort } from "./ports";
import { found } from "./present";
import { copyProject } from "./project";

export interface TestStack {
    stack: Stack;
    dir: string;
    clusterName: string;
    /** The kubeconfig kind writes to: the user's own, in a test. */
    kubeconfigPath: string;
    env: Record<string, string>;
}

/**
 * A new stack on a copy of the project (or `dir`, a copy made by copyProject), configured through
 * the API; `pulumiCommand` runs the CLI some other way than the `pulumi` on PATH.
 */
export async function newStack(toolchainEnv: Record<string, string>, config: Record<string, string>,
    envOverrides: Record<string, string> = {}, pulumiCommand?: PulumiCommand, dir = copyProject()): Promise<TestStack> {
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
        registryImage: found(toolchainEnv.REGISTRY_IMAGE, "REGISTRY_IMAGE"),
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
        spawnSync("docker", ["rm", "--force", "--volumes", registryContainer(test)], { env: { ...process.env, ...test.env }, stdio: "ignore" });
        // The port proxies of its apps (readiness.ts), had destroy not removed them.
        spawnSync("sh", ["-c", 'docker ps --all --quiet --filter "label=$1" | xargs -r docker rm --force', "sh", `${portProxyLabel}=${test.clusterName}`],
            { env: { ...process.env, ...test.env }, stdio: "ignore" });
        fs.rmSync(test.dir, { recursive: true, force: true });
    }
}

export function kind(test: TestStack, args: string[]): string {
    return execFileSync("kind", args, { env: { ...process.env, ...test.env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export function clusters(test: TestStack): string[] {
    return kind(test, ["get", "clusters"]).split("\n").filter(Boolean);
}

/** The Docker volumes of the cluster's node containers (kind gives each node one for /var). */
export function nodeVolumes(test: TestStack): string[] {
    const docker = (args: string[]) => execFileSync("docker", args, { env: { ...process.env, ...test.env }, encoding: "utf8" });
    const nodes = docker(["ps", "--all", "--quiet", "--filter", `label=io.x-k8s.kind.cluster=${test.clusterName}`]).split("\n").filter(Boolean);
    return nodes.length === 0 ? [] : docker(["inspect", "--format", '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}', ...nodes])
        .split(/\s+/).filter(Boolean);
}

/** Which of `volumes` Docker still has. */
export function volumesLeft(test: TestStack, volumes: string[]): string[] {
    const all = new Set(execFileSync("docker", ["volume", "ls", "--quiet"], { env: { ...process.env, ...test.env }, encoding: "utf8" }).split("\n"));
    return volumes.filter((volume) => all.has(volume));
}

export function kubectl(test: TestStack, args: string[]): string {
    return execFileSync("kubectl", ["--context", `kind-${test.clusterName}`, ...args],
        { env: { ...process.env, ...test.env }, encoding: "utf8" });
}

/** A resource of an exported state (apitype.ResourceV3): the fields read here. */
export interface StateResource {
    urn: string;
    type: string;
    outputs?: { stdout?: string; stderr?: string };
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
 * What runtime/load-image.js reported for one node: the layers sent of the image's total, the
 * bytes and whether they went through the cluster's registry, or that the node held the image already.
 */
export type NodeLoad = { node: string; alreadyThere: false; sent: number; total: number; bytes: number; viaRegistry: boolean }
    | { node: string; alreadyThere: true; sent: 0; bytes: 0 };

/** The per-node lines of a load report (prefixed "preloaded " by the preload). */
function nodeLoads(report: string): NodeLoad[] {
    return [...report.matchAll(/-> (\S+): (?:(\d+) of (\d+) layers sent, (\d+) bytes(, through the cluster's registry)?|(already there), nothing sent)$/gm)]
        .map(([, node = "", sent, total, bytes, registry, already]): NodeLoad => already
            ? { node, alreadyThere: true, sent: 0, bytes: 0 }
            : { node, alreadyThere: false, sent: Number(sent), total: Number(total), bytes: Number(bytes), viaRegistry: registry !== undefined });
}

/** The container of the registry runtime/load-image.js runs for the stack's cluster. */
export const registryContainer = (test: TestStack): string => `${test.clusterName}-registry`;

/** Waits (at most `seconds`) until the cluster's registry holds an image of `repository`: the load's seed, run in the background, is done. */
export async function untilRegistryHolds(test: TestStack, repository: string, seconds = 120): Promise<void> {
    const until = Date.now() + seconds * 1000;
    for (;;) {
        const address = execFileSync("docker", ["port", registryContainer(test), "5000/tcp"], { env: { ...process.env, ...test.env }, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
            .split("\n").find((line) => line.startsWith("127.0.0.1:"));
        const listed = address ? await fetch(`http://${address}/v2/${repository}/tags/list`).then(async (r) => r.ok ? (await r.json() as { tags?: string[] }).tags ?? [] : [], () => []) : [];
        if (listed.length > 0) return;
        if (Date.now() > until) throw new Error(`the registry of ${test.clusterName} holds no ${repository} after ${seconds} s`);
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
}

/** The containers of the stack's registry still there (running or not). */
export function registryContainers(test: TestStack): string[] {
    return execFileSync("docker", ["ps", "--all", "--quiet", "--filter", `label=kube-demo.registry-of=${test.clusterName}`], { env: { ...process.env, ...test.env }, encoding: "utf8" })
        .split("\n").filter(Boolean);
}

/** The output `name` (stdout, stderr) of the stack's command resource whose URN ends in `::resource`. */
async function commandOutput(test: TestStack, resource: string, name: "stdout" | "stderr"): Promise<string> {
    const state = await test.stack.exportStack();
    const command = stateResources(state).find((r) => r.urn.endsWith(`::${resource}`));
    return command?.outputs?.[name] ?? "";
}

/** What the last image load sent, as runtime/load-image.js reported it, per node. */
export async function lastLoad(test: TestStack): Promise<NodeLoad[]> {
    const report = await commandOutput(test, "app-load", "stdout");
    const loads = nodeLoads(report);
    if (loads.length === 0) {
        throw new Error(`the image load reported nothing: ${JSON.stringify(report)}`);
    }
    return loads;
}

/** What the preload beside kind create sent, per node, as the cluster's create reported it; none when it did not load. */
export async function preloads(test: TestStack): Promise<NodeLoad[]> {
    const report = await commandOutput(test, "cluster-kind", "stderr");
    return nodeLoads(report.split("\n").filter((line) => line.startsWith("preloaded ")).join("\n"));
}

/** Whether `node` has the whole image: sent every layer by the preload or by the load. */
export function nodeGotWholeImage(node: string, preloaded: NodeLoad[], loaded: NodeLoad[]): boolean {
    const whole = (load: NodeLoad | undefined) => load !== undefined && !load.alreadyThere && load.sent === load.total;
    return whole(preloaded.find((l) => l.node === node)) || whole(loaded.find((l) => l.node === node));
}
