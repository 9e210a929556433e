// The dev loop (`npm run dev`, after tools/up.sh has brought the stack up): watch what shapes
// the deployment, run an update on every change, print one line per update with the time from
// the save to every replica serving it (and its steps while it runs, past 2 s), and stream the
// app's logs. On a cluster the stack did not create (target existing), also keep a port-forward
// to the app open on 127.0.0.1.
//
// The program runs inline through the Automation API: its modules (and @pulumi/pulumi's, about
// 2 s here) load once per session, not once per update as with `pulumi up`.
//
// Usage: node --import tsx tools/dev.ts [--stack NAME]    (the stack defaults to dev)
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, Stack, type PolicyEvent } from "@pulumi/pulumi/automation";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as YAML from "yaml";
import { parseConfig } from "../config";
import { appImageTag, buildContextFiles } from "../image";
import { dockerHost } from "../prerequisites";
import type { StackOutputs } from "../program";
import { appNames, appPort } from "../workload";
import { fastRollout, type FastRolloutTarget } from "./fast-rollout";
import { violationLine } from "./policy-findings";
import { UpdateProgress } from "./progress";
import { kubeApi, kubectlApi, labelSelector, type Deployment, type KubeApi, type List, type Pod } from "../runtime/kube-api.js";
import { pruneImages } from "../runtime/prune-images.js";
import { PortForward, type ForwardTarget } from "./port-forward";

const projectDir = path.resolve(__dirname, "..");
/** The policy pack every update runs, as `npm run up` does. */
const policyPack = path.join(projectDir, "policy");
const buildContext = "app";
/** Settle time after the last file event: an editor's save is often several writes. */
const settleMs = 100;
/** Quiet time after an update before old images go: the old pods have stopped by then (their grace period is 20 s). */
const pruneAfterMs = 25_000;
/** A second look, later: an old pod's exited containers keep its image until the kubelet removes them, slower on a busy machine. */
const pruneAgainAfterMs = 60_000;

/** An app of the stack's `apps` setting, as far as the loop watches it: its name and build context. */
interface ListedApp {
    readonly name: string;
    /** The context folder, relative to the project when inside it. */
    readonly context: string;
    readonly dockerfile: string;
}

/**
 * The `apps` the stack's file lists (unchecked: the update checks them, and says what is wrong),
 * or none: then the loop watches app/ alone, as the stack deploys it alone.
 */
function listedApps(stackName: string): ListedApp[] {
    try {
        const file = YAML.parse(fs.readFileSync(path.join(projectDir, `Pulumi.${stackName}.yaml`), "utf8")) as { config?: Record<string, unknown> } | null;
        const apps = file?.config?.["kube-demo:apps"];
        return (Array.isArray(apps) ? apps as Record<string, unknown>[] : []).flatMap((app) =>
            typeof app.name === "string" && typeof app.context === "string" && fs.existsSync(path.resolve(projectDir, app.context))
                ? [{ name: app.name, context: path.relative(projectDir, path.resolve(projectDir, app.context)), dockerfile: typeof app.dockerfile === "string" ? app.dockerfile : "Dockerfile" }]
                : []);
    } catch {
        return [];
    }
}

/** The build contexts the loop watches: each listed app's, else app/. */
function watchedContexts(apps: readonly ListedApp[]): { context: string; dockerfile: string }[] {
    return apps.length > 0 ? [...apps] : [{ context: buildContext, dockerfile: "Dockerfile" }];
}

/** Every file that shapes the deployment (`apps`: the stack file's, listedApps), with a hash of its path, mode and bytes. */
function fingerprint(stackName: string, apps: readonly ListedApp[]): Map<string, string> {
    const files = [
        ...watchedContexts(apps).flatMap(({ context, dockerfile }) =>
            buildContextFiles(path.resolve(projectDir, context), dockerfile).map((f) => path.join(context, f))),
        ...fs.readdirSync(projectDir).filter((f) => f.endsWith(".ts")),
        ...fs.readdirSync(path.join(projectDir, "runtime")).filter((f) => f.endsWith(".js")).map((f) => `runtime/${f}`),
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

/** What an update did: read back from the stack (its outputs and history), which the engine's events may miss on a busy machine. */
export interface UpdateOutcome {
    /** The image the pods run after the update, and before it. */
    readonly image: string;
    readonly previousImage: string;
    /** The update's operations and how many of each (the stack history's resourceChanges). */
    readonly changes: Readonly<Record<string, number>>;
    /** The resources the engine's events showed changing, by name. */
    readonly changedNames: readonly string[];
}

/**
 * The one line an update prints: the new image and the pods serving it; or, when no image was
 * built (an edited runtime script, a program change), the resources the update did change, or
 * that it changed none. Never the new-version line for an update that rolled nothing out.
 */
export function updateSummary(what: string, outcome: UpdateOutcome, pods: string, seconds: string): string {
    if (outcome.image !== outcome.previousImage) {
        return `${what} -> ${outcome.image}${pods} in ${seconds} s`;
    }
    const count = Object.entries(outcome.changes).filter(([op]) => !["same", "read", "refresh"].includes(op)).reduce((sum, [, n]) => sum + n, 0);
    if (count > 0) {
        const names = outcome.changedNames.length > 0 ? outcome.changedNames.join(", ") : `${count} resource(s)`;
        return `${what} -> ${names} updated, same image (${outcome.image || "none"})${pods} in ${seconds} s`;
    }
    return `${what} -> nothing to deploy: the update changed no resource (${seconds} s)`;
}

/** A string output of the stack, or "" when it has none. */
function outputString(outputs: Record<string, { value: unknown }>, name: string): string {
    const value = outputs[name]?.value;
    return typeof value === "string" ? value : "";
}

function changedFiles(before: Map<string, string>, after: Map<string, string>): string[] {
    const names = new Set([...before.keys(), ...after.keys()]);
    return [...names].filter((name) => before.get(name) !== after.get(name)).sort();
}

/** The program as of now: a program file that changed is loaded anew, node_modules are not. */
function freshProgram(): () => Promise<StackOutputs> {
    for (const id of Object.keys(require.cache)) {
        if (id.startsWith(projectDir + path.sep) && !id.includes(`${path.sep}node_modules${path.sep}`) && !id.includes(`${path.sep}runtime${path.sep}`)) {
            // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- Node's module registry: deleting an entry is how a module is loaded anew
            delete require.cache[id];
        }
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(path.join(projectDir, "program.ts")) as { kubeDemo: () => Promise<StackOutputs> }).kubeDemo;
}

/**
 * Watches folders, not files: an editor that saves by writing a new file and renaming it over
 * the old one (sed -i, vim, many IDEs) leaves a file watch on the old inode, and Node's
 * recursive watch on Linux does the same. A new subfolder of a watched tree is watched too.
 * Only the folders that hold what shapes the deployment: a watch of the whole project would
 * walk node_modules first and miss the saves made meanwhile.
 */
class FolderWatch {
    private readonly watchers = new Map<string, fs.FSWatcher>();
    private readonly trees: string[] = [];

    constructor(private readonly onChange: () => void) {}

    add(folder: string): void {
        if (!this.watchers.has(folder)) {
            this.watchers.set(folder, fs.watch(folder, () => {
                this.trees.forEach((tree) => { this.addTree(tree); });
                this.onChange();
            }));
        }
    }

    addTree(root: string): void {
        if (!this.trees.includes(root)) {
            this.trees.push(root);
        }
        const walk = (folder: string): void => {
            this.add(folder);
            for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
                if (entry.isDirectory() && entry.name !== "node_modules") {
                    walk(path.join(folder, entry.name));
                }
            }
        };
        walk(root);
    }

    close(): void {
        this.watchers.forEach((watcher) => { watcher.close(); });
    }
}

/**
 * The stack's settings as its file holds them (an unset one takes its default), or undefined
 * when the file cannot be read or a value is bad: then the update says what is wrong.
 */
function stackSettings(stackName: string): ReturnType<typeof parseConfig> | undefined {
    try {
        const file = YAML.parse(fs.readFileSync(path.join(projectDir, `Pulumi.${stackName}.yaml`), "utf8")) as { config?: Record<string, unknown> } | null;
        const raw = Object.fromEntries(Object.entries(file?.config ?? {})
            .filter(([key, value]) => key.startsWith("kube-demo:") && ["string", "number", "boolean"].includes(typeof value))
            .map(([key, value]) => [key.slice("kube-demo:".length), String(value)]));
        return parseConfig(raw);
    } catch {
        return undefined;
    }
}

/** The stack's cluster as the loop reaches it: the API and the namespace of the app's objects. */
interface AppInCluster {
    readonly api: KubeApi;
    readonly namespace: string;
    /** What the stack's outputs said of the cluster: the same, and the same API serves. */
    readonly key: string;
    /** Target existing: the Service to keep a port-forward to. */
    readonly forward?: ForwardTarget | undefined;
}

/**
 * The cluster of the stack's outputs: Kind's own kubeconfig (target kind), else the user's file
 * and context (target existing, read through kubectl). `current` when the outputs say the same.
 */
async function appInCluster(outputs: Record<string, { value: unknown }>, current?: AppInCluster): Promise<AppInCluster | undefined> {
    const kubeconfig = outputString(outputs, "kubeconfig");
    const kubeconfigPath = outputString(outputs, "kubeconfigPath");
    const context = outputString(outputs, "kubeContext");
    // No namespace output: the stack was last deployed before there was one; the loop's first
    // update writes it, and until then the logs are looked for in `default`.
    const namespace = outputString(outputs, "namespace") || "default";
    const key = JSON.stringify([kubeconfig, kubeconfigPath, context, namespace]);
    if (current?.key === key) {
        return current;
    }
    if (kubeconfig) {
        return { api: kubeApi(kubeconfig), namespace, key };
    }
    if (kubeconfigPath && context) {
        const forward = { kubeconfigPath, context, namespace, service: appNames.service, port: appPort };
        return { api: await kubectlApi(kubeconfigPath, context), namespace, key, forward };
    }
    return undefined;
}

/** The image a Deployment's pods run (its first container's); "" when unknown. */
function deploymentImage(deployment: Deployment | undefined): string {
    return deployment?.spec.template?.spec?.containers?.[0]?.image ?? "";
}

/** " on N/M pods", the replicas that run a Deployment's current spec; "" when unknown. */
function podsOf(deployment: Deployment | undefined): string {
    return deployment ? ` on ${deployment.status?.updatedReplicas ?? 0}/${deployment.spec.replicas} pods` : "";
}

/** Follows the logs of every app pod, one prefix per pod, including pods a rollout starts later. */
class PodLogs {
    private readonly followed = new Map<string, { destroy(): void }>();
    private readonly since = new Date().toISOString();
    private timer?: NodeJS.Timeout;
    private app?: AppInCluster;

    /**
     * `say` prints a line: above an update's progress line, not through it. `apps`: the names of
     * the listed apps, whose pods carry `app: <name>` and are named after it; none, the seed's.
     */
    constructor(private readonly say: (line: string) => void, private readonly apps: () => string[]) {}

    /** Follows the pods through `app` from now on (a recreated cluster has new credentials). */
    start(app: AppInCluster): void {
        if (this.app && this.app.api !== app.api) {
            this.app.api.close();
        }
        this.app = app;
        clearInterval(this.timer);
        this.timer = setInterval(() => void this.poll(), 1000);
        void this.poll();
    }

    private async poll(): Promise<void> {
        const app = this.app;
        if (!app) {
            return;
        }
        const apps = this.apps();
        const selector = apps.length > 0 ? encodeURIComponent(`app in (${apps.join(",")})`) : labelSelector(appNames.labels);
        const pods = await app.api.get<List<Pod>>(`/api/v1/namespaces/${app.namespace}/pods?labelSelector=${selector}`)
            .catch(() => undefined);
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
            this.followed.set(key, app.api.stream(`/api/v1/namespaces/${app.namespace}/pods/${pod.metadata.name}/log?${query}`,
                (line) => { this.say(`${prefix} ${line}`); }));
        }
        // A pod gone is gone for good (its name is never reused): its stream goes too, or a day of
        // rollouts would keep every one.
        if (pods) {
            const running = new Set(pods.items.map((pod) => pod.metadata.name));
            for (const [key, stream] of this.followed) {
                if (!running.has(key.slice(0, key.lastIndexOf("#")))) {
                    stream.destroy();
                    this.followed.delete(key);
                }
            }
        }
    }

    stop(): void {
        clearInterval(this.timer);
        for (const stream of this.followed.values()) {
            stream.destroy();
        }
        this.app?.api.close();
    }
}

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { stack: { type: "string", default: "dev" } } });
    const stackName = values.stack;
    process.chdir(projectDir);
    // Outlives this loop if it is killed, to stop the plugins an update left and the kubectl
    // processes (target existing), which it finds by this mark in their environment.
    process.env.KUBE_DEMO_DEV_LOOP = String(process.pid);
    spawn(process.execPath, [path.join(projectDir, "tools", "reap-after.js"), String(process.pid)], { detached: true, stdio: "ignore" }).unref();

    // What `npm run up` just deployed; saves from here on are watched, even during start-up.
    // The stack file's apps, read again at each update (the file is one of the saves watched).
    let apps = listedApps(stackName);
    let deployed = fingerprint(stackName, apps);
    let firstEventAt = 0;
    let settle: NodeJS.Timeout | undefined;
    let updating = false;
    let stopping = false;
    let ready = false;
    let prune: NodeJS.Timeout[] = [];
    let pruning: Promise<unknown> = Promise.resolve();

    const schedule = (): void => {
        clearTimeout(settle);
        settle = setTimeout(() => { if (!updating && ready) { void update(); } }, settleMs);
    };
    const changedOnDisk = (): void => {
        firstEventAt ||= Date.now();
        if (!updating) {
            schedule();
        }
    };
    const watchers = new FolderWatch(changedOnDisk);
    watchers.add(projectDir);
    watchers.add(path.join(projectDir, "runtime"));
    const watchContexts = (): void => {
        watchedContexts(apps).forEach(({ context }) => { watchers.addTree(path.resolve(projectDir, context)); });
    };
    watchContexts();

    let program = freshProgram();
    // The engine and resource monitor clients of each run (preview or update), closed once it ends.
    let runClients: unknown[] = [];
    const closeRunClients = (): void => {
        runClients.forEach((client) => { (client as { close?: () => void } | undefined)?.close?.(); });
        runClients = [];
    };
    const stack: Stack = await LocalWorkspace.selectStack(
        {
            stackName, projectName: "kube-demo",
            program: async () => {
                try {
                    return await program();
                } finally {
                    // @pulumi/pulumi closes only its global clients, not those an inline run keeps in
                    // its own store: their gRPC idle timers (30 min) would hold each run's resources.
                    runClients.push(pulumi.runtime.getMonitor(), pulumi.runtime.getEngine());
                }
            },
        },
        { workDir: projectDir },
    );
    // The update under way's progress, which other output goes above.
    let progress: UpdateProgress | undefined;
    const say = (line: string): void => { if (progress) { progress.print(line); } else { console.log(line); } };
    const logs = new PodLogs(say, () => apps.map((listed) => listed.name));
    const portForward = new PortForward();
    // After a rollout: the forward's pod may be gone. A failure is a line, not the loop's end.
    const forward = async (target: ForwardTarget | undefined, tell: boolean): Promise<void> => {
        if (target) {
            await portForward.restart(target).then(
                (url) => { if (tell) { console.log(`the app answers at ${url} (kubectl port-forward to service/${target.service})`); } },
                (error: unknown) => { console.log(`port-forward to service/${target.service} failed: ${(error as Error).message}`); });
        }
    };
    const outputs = await stack.outputs();
    let app = await appInCluster(outputs);
    let deployedImage = outputString(outputs, "image");
    let stackOutputs = outputs;
    // Whether the stack's state holds what runs: the fast path starts only from there.
    let recorded = true;
    const engine = await dockerHost().catch(() => undefined);
    /** The fast path's target and the image of this save, when the save is under app/ alone on a Kind cluster of the stack's own. */
    const fastPath = (changed: string[]): { target: FastRolloutTarget; image: string } | undefined => {
        const settings = stackSettings(stackName);
        const clusterName = outputString(stackOutputs, "clusterName");
        const kubeconfig = outputString(stackOutputs, "kubeconfig");
        // The fast path knows the app of app/ alone; the listed apps go through the update.
        if (!recorded || !settings || apps.length > 0 || !app || !clusterName || !kubeconfig || !deployedImage || !engine?.startsWith("unix://")
            || !changed.every((file) => file.startsWith(`${buildContext}/`))) {
            return undefined;
        }
        const context = path.join(projectDir, buildContext);
        return {
            target: {
                context, baseImage: settings.baseImage, clusterName, dockerHost: engine,
                registryImage: settings.registryImage === "none" ? undefined : settings.registryImage,
                api: app.api, kubeconfig, namespace: app.namespace,
            },
            image: `${settings.imageName}:${appImageTag(context, settings.baseImage)}`,
        };
    };
    if (app) {
        logs.start(app);
        await forward(app.forward, true);
    }
    /** A Deployment of the stack's namespace, as the cluster has it now; undefined when it cannot say. */
    const deploymentOf = (name: string): Promise<Deployment | undefined> =>
        app ? app.api.get<Deployment>(`/apis/apps/v1/namespaces/${app.namespace}/deployments/${name}`).catch(() => undefined) : Promise.resolve(undefined);

    const update = async (): Promise<void> => {
        const savedAt = firstEventAt;
        apps = listedApps(stackName);
        const now = fingerprint(stackName, apps);
        const changed = changedFiles(deployed, now);
        if (changed.length === 0) {
            firstEventAt = 0; // a file the build does not see, or a save with the same bytes
            return;
        }
        updating = true;
        firstEventAt = 0;
        prune.forEach(clearTimeout);
        await pruning; // it could remove the image this update loads before a pod uses it
        if (changed.some((file) => file.endsWith(".ts") || file.startsWith("runtime/"))) {
            program = freshProgram();
        }
        const what = changed.length > 3 ? `${changed.slice(0, 3).join(", ")} and ${changed.length - 3} more` : changed.join(", ");
        const errors: string[] = [];
        const violations: string[] = [];
        const changedNames = new Set<string>();
        let doneAt = 0;
        // Served by the fast path before the update records it: the save's time ends there.
        let servedAt = 0;
        const seconds = () => (((servedAt || doneAt || Date.now()) - savedAt) / 1000).toFixed(1);
        // The listed apps this save touched, and the image each ran before it: their lines name them.
        const touched = apps.filter((listed) => changed.some((file) => file.startsWith(`${listed.context}/`)));
        const imagesBefore = new Map(await Promise.all(touched.map(async (listed) => [listed.name, deploymentImage(await deploymentOf(listed.name))] as const)));
        const fast = fastPath(changed);
        if (fast) {
            // A failure leaves the pods that served before serving (or the new ones, if they are
            // Ready): the update below then does the rest and says what is wrong.
            await fastRollout(fast.target, fast.image, deployedImage).then(() => { servedAt = Date.now(); }, () => undefined);
        }
        const onPolicy = (event: { policyEvent?: PolicyEvent }) => {
            if (event.policyEvent?.enforcementLevel === "mandatory") {
                violations.push(violationLine(event.policyEvent));
            }
        };
        const steps = new UpdateProgress({ write: (text) => process.stdout.write(text), tty: process.stdout.isTTY, now: () => Date.now(), columns: process.stdout.columns });
        progress = steps;
        // Past the grace, a step that runs long still shows: its start, and on a terminal its seconds.
        const ticker = setInterval(() => { steps.tick(); }, 500);
        try {
            // The update alone checks each object only as it reaches it, and the Service's selector
            // only at its end. Only the program and the stack's settings shape what the rules read
            // (an app/ edit changes the image's content tag alone): those get a preview first.
            const contexts = watchedContexts(apps).map(({ context }) => `${context}/`);
            if (changed.some((file) => !contexts.some((context) => file.startsWith(context)) && !file.startsWith("runtime/"))) {
                await stack.preview({ policyPacks: [policyPack], onEvent: onPolicy });
            }
            const result = await stack.up({
                policyPacks: [policyPack],
                onEvent: (event) => {
                    onPolicy(event);
                    steps.event(event);
                    const diag = event.diagnosticEvent;
                    if (diag?.severity === "error" && diag.urn) {
                        errors.push(diag.message.trim());
                    }
                    const step = event.resOutputsEvent?.metadata;
                    if (step && !["same", "read", "refresh"].includes(step.op) && !step.type.startsWith("kube-demo:")) {
                        changedNames.add(step.urn.split("::").pop() ?? step.urn);
                    }
                    // The update is done here; the API then reads the outputs back with two more
                    // CLI runs, which are not part of save-to-served.
                    if (event.summaryEvent) {
                        doneAt = Date.now();
                    }
                },
            });
            const before = app;
            stackOutputs = result.outputs;
            recorded = true;
            app = await appInCluster(result.outputs, app) ?? app;
            const image = outputString(result.outputs, "image");
            const changes = result.summary.resourceChanges ?? {};
            steps.finish();
            if (touched.length > 0) {
                // One line per listed app the save touched, named after it, with its own image.
                for (const listed of touched) {
                    const deployment = await deploymentOf(listed.name);
                    const appImage = deploymentImage(deployment);
                    console.log(updateSummary(`${listed.name}: ${what}`, { image: appImage, previousImage: imagesBefore.get(listed.name) ?? "", changes, changedNames: [...changedNames] },
                        podsOf(deployment), seconds()));
                }
            } else {
                const deployment = await deploymentOf(appNames.deployment);
                console.log(updateSummary(what, { image, previousImage: deployedImage, changes, changedNames: [...changedNames] }, podsOf(deployment), seconds()));
            }
            // Each load removes what no container uses; the images the old pods ran go once they stop.
            const clusterName = outputString(result.outputs, "clusterName");
            if (clusterName && image !== deployedImage) {
                const [current, previous] = [image, deployedImage];
                prune = [pruneAfterMs, pruneAgainAfterMs].map((ms) => setTimeout(() => {
                    pruning = pruneImages(current, clusterName, [previous]).then((line) => { if (line) console.log(line); }, () => { /* the next load retries */ });
                }, ms));
            }
            if (app) {
                logs.start(app);
                if (changedNames.size > 0 || app !== before) {
                    await forward(app.forward, app !== before);
                }
            }
            deployedImage = image;
        } catch (error) {
            // What failed is in the engine's diagnostics; without any, the CLI's last lines.
            recorded = false;
            servedAt = 0;
            steps.finish();
            const reason = errors.length > 0 ? errors.join("\n") : String((error as { message?: unknown }).message).trim().split("\n").slice(-5).join("\n");
            // Ctrl-C from a terminal reaches `pulumi` too, which stops what it has not started.
            console.log(stopping
                ? `${what} -> update interrupted by Ctrl-C after ${seconds()} s; \`npm run up\` completes it`
                : violations.length > 0
                    ? `${what} -> stopped by the policy pack after ${seconds()} s; the pods that served before still serve:\n${violations.join("\n")}`
                    : `${what} -> update failed after ${seconds()} s; the pods that served before still serve:\n${reason}`);
        } finally {
            // A failed update is not retried until the next save: the same files would fail alike.
            deployed = now;
            watchContexts(); // an app added to the stack's file
            updating = false;
            clearInterval(ticker);
            closeRunClients(); // the runs have ended: the CLI has exited
        }
        if (stopping) {
            shutdown();
        } else if (firstEventAt) {
            schedule(); // saved during the update: exactly one more
        }
    };

    const shutdown = (): void => {
        watchers.close();
        clearTimeout(settle);
        prune.forEach(clearTimeout);
        logs.stop();
        void portForward.stop();
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
        say("stopping once the update under way ends");
    });
    process.on("SIGTERM", () => { stopping = true; if (!updating) { shutdown(); } });

    ready = true;
    const contexts = watchedContexts(apps).map(({ context }) => `${context}/`).join(", ");
    console.log(`watching ${contexts} (as .dockerignore lets the build see it), the program and Pulumi.${stackName}.yaml; Ctrl-C to stop`);
    if (firstEventAt) {
        schedule(); // saved while starting
    }
}

if (require.main === module) {
    main().catch((error: unknown) => {
        console.error(`dev loop: ${(error as Error).message}`);
        process.exit(1);
    });
}
