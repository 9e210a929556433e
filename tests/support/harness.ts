// Runs the whole program (index.ts) under Pulumi's runtime mocks and records what it declares.
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { mock } from "node:test";
import { at, found } from "./present";
import { projectDir } from "./project";

export { at, found, projectDir };

export const fakeKubeconfig = "apiVersion: v1\nkind: Config\nclusters: []\n";
export const fakeImageId = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/** The inputs of a `command:local:Command`, as the tests read them. */
export interface CommandInputs {
    /** Unset on a command that acts only when deleted. */
    create?: string;
    update?: string;
    delete?: string;
    /** Text, or a secret's wrapper (Pulumi's signature key and `value`). */
    stdin?: unknown;
    environment: Record<string, string>;
    triggers: unknown[];
    interpreter?: string[];
    /** Where it runs; unset: the project directory, which `node runtime/...` relies on. */
    dir?: string;
    logging?: string;
}

/** The inputs of a `docker:index/image:Image`, as the tests read them. */
export interface ImageInputs {
    imageName: string;
    skipPush: boolean;
    build: { context: string; platform: string; args?: Record<string, string> };
}

/**
 * The inputs the mocks receive (Outputs resolved to plain values), by resource type, for the
 * types the tests read; a Kubernetes object's are that object.
 */
export interface InputsOf {
    "kubernetes:apps/v1:Deployment": k8s.types.output.apps.v1.Deployment;
    "kubernetes:core/v1:Service": k8s.types.output.core.v1.Service;
    "kubernetes:policy/v1:PodDisruptionBudget": k8s.types.output.policy.v1.PodDisruptionBudget;
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": k8s.types.output.networking.v1.NetworkPolicy;
    "kubernetes:core/v1:Namespace": k8s.types.output.core.v1.Namespace;
    "kubernetes:core/v1:Secret": k8s.types.output.core.v1.Secret;
    "command:local:Command": CommandInputs;
    "docker:index/image:Image": ImageInputs;
    "pulumi:providers:kubernetes": { kubeconfig: unknown; context?: string; deleteUnreachable?: string; clusterIdentifier: string };
    "pulumi:providers:docker": { host: string };
}

export interface Declared<Inputs = Record<string, unknown>> {
    type: string;
    name: string;
    inputs: Inputs;
    /** Provider reference `urn::id`, when one was passed. */
    provider?: string | undefined;
    urn: string;
    /** URNs this resource waits for (dependsOn and inputs). */
    dependencies: string[];
    /** Resource options the mocks API does not show, read off the registration. */
    options: { replaceWith: string[]; deletedWith: string; deleteBeforeReplace: boolean; ignoreChanges: string[] };
}

export interface ProgramRun {
    declared: Declared[];
    /** Resource types and invoke tokens, in the order the program sent them to the engine. */
    requests: string[];
    outputs: Record<string, pulumi.Output<unknown>>;
    error?: Error | undefined;
}

/**
 * A folder with fakes of `kind` and `docker` that succeed, or only those named. The `docker`
 * gives each context NAME the endpoint unix:///run/contexts/NAME/docker.sock, and has a running
 * control-plane node (no API server port published, so nothing waits for it) for each of
 * `clusters`, which `docker ps` finds by its kind label and `docker inspect` describes; the
 * API server there lists `registeredNodes`.
 */
export function fakeTools(tools: string[] = ["kind", "docker"], clusters: string[] = [], registeredNodes: string[] = []): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-tools-"));
    const answers: Record<string, string> = {
        kind: "",
        docker: [
            `[ "$1 $2" = "context inspect" ] && echo "unix:///run/contexts/$5/docker.sock"`,
            `if [ "$1" = ps ]; then case " ${clusters.join(" ")} " in *" \${4#label=io.x-k8s.kind.cluster=} "*) echo "id-\${4#label=io.x-k8s.kind.cluster=}" ;; esac; fi`,
            `[ "$1" = inspect ] && echo "/\${4#id-}-control-plane true 2026-12-01T07:00:00Z 2026-12-01T07:00:01Z "`,
            // The API server's list of nodes (kubectl get nodes in the control plane).
            `[ "$1" = exec ] && printf 'node/%s\\n' ${registeredNodes.join(" ")}`,
            "",
        ].join("\n"),
    };
    for (const tool of tools) {
        const answer = answers[tool];
        fs.writeFileSync(path.join(dir, tool), `#!/bin/sh\n${answer ?? ""}exit 0\n`, { mode: 0o755 });
    }
    return dir;
}

/** Until `restore`, every port on 127.0.0.1 binds, whatever this machine runs on 8080 or 6443. */
function everyPortFree(): { restore(): void } {
    const listen = mock.method(net.Server.prototype, "listen", function (this: net.Server, ...args: unknown[]) {
        const callback = args.find((arg) => typeof arg === "function") as (() => void) | undefined;
        if (callback) {
            this.once("listening", callback);
        }
        process.nextTick(() => this.emit("listening"));
        return this;
    });
    return { restore: () => { listen.mock.restore(); } };
}

export interface World {
    /** Folder with the `kind` and `docker` the program finds on PATH. */
    tools?: string;
    /** Clusters whose nodes the default `docker` has. */
    existingClusters?: string[];
    /**
     * The docker CLI's variables the program sees, whatever this process has: DOCKER_HOST and
     * DOCKER_CONTEXT unset, DOCKER_CONFIG an empty folder, unless given here.
     */
    dockerEnv?: { DOCKER_HOST?: string; DOCKER_CONTEXT?: string; DOCKER_CONFIG?: string };
    /** The program binds this machine's ports to see whether they are free; else each one is. */
    realPorts?: boolean;
}

/** What the mocked providers compute: the kubeconfig a cluster prints, an image's ID. */
function mockState(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
    switch (type) {
        case "command:local:Command": {
            const { create } = inputs as Partial<CommandInputs>;
            return { ...inputs, stdout: create?.includes("kind get kubeconfig") ? fakeKubeconfig : "", stderr: "" };
        }
        case "docker:index/image:Image":
            return { ...inputs, repoDigest: fakeImageId, baseImageName: (inputs as Partial<ImageInputs>).imageName, registryServer: "" };
        default:
            return inputs;
    }
}

const dockerVariables = ["DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG"] as const;

function setVariable(name: string, value: string | undefined): void {
    if (value === undefined) {
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- an unset variable is a deleted key of process.env
        delete process.env[name];
    } else {
        process.env[name] = value;
    }
}

/**
 * Runs index.ts's program with the given stack config (keys without the project prefix) in `world`.
 * A program that throws is reported in `error`, with whatever it declared before.
 */
export async function runProgram(config: Record<string, string> = {}, world: World = {}): Promise<ProgramRun> {
    const monitorRecords: Omit<Declared, "urn" | "dependencies" | "options">[] = [];
    const requests: string[] = [];
    await pulumi.runtime.setMocks({
        newResource: (args) => {
            const inputs = args.inputs as Record<string, unknown>;
            monitorRecords.push({ type: args.type, name: args.name, inputs, provider: args.provider });
            requests.push(args.type);
            return { id: `${args.name}-id`, state: mockState(args.type, inputs) };
        },
        call: (args) => {
            requests.push(args.token);
            return args.inputs as Record<string, unknown>;
        },
    }, "kube-demo", "dev", false, "organization");
    // The mocks API hides a registration's dependencies; read them off the request.
    const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor;
    const dependencies = new Map<string, string[]>();
    const options = new Map<string, Declared["options"]>();
    const registerResource = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        dependencies.set(req.getName(), req.getDependenciesList());
        options.set(req.getName(), {
            replaceWith: req.getReplaceWithList(),
            deletedWith: req.getDeletedwith(),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            ignoreChanges: req.getIgnorechangesList(),
        });
        return registerResource(req, callback);
    };
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`kube-demo:${k}`, v])));

    // A fresh copy of the program's modules for every run.
    for (const id of Object.keys(require.cache)) {
        if (id.startsWith(projectDir) && !id.includes(`${path.sep}node_modules${path.sep}`)) {
            // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- Node's module registry: deleting an entry is how a module is loaded anew
            delete require.cache[id];
        }
    }
    const saved = { PATH: process.env.PATH, ...Object.fromEntries(dockerVariables.map((name) => [name, process.env[name]])) };
    // The folders made here are removed after the run (a world's own tools are its caller's).
    const tools = world.tools ?? fakeTools(undefined, world.existingClusters);
    const dockerConfig = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-docker-config-"));
    process.env.PATH = tools;
    const dockerEnv = { DOCKER_CONFIG: dockerConfig, ...world.dockerEnv };
    for (const name of dockerVariables) {
        setVariable(name, dockerEnv[name]);
    }
    let outputs: Record<string, pulumi.Output<unknown>> = {};
    let error: Error | undefined;
    const ports = world.realPorts ? undefined : everyPortFree();
    try {
        // A fresh load of the program each run, which an import cannot do.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const program = require(path.join(projectDir, "index.ts")) as () => Promise<Record<string, pulumi.Output<unknown>>>;
        outputs = await program();
    } catch (err) {
        error = err as Error;
    } finally {
        ports?.restore();
        for (const [name, value] of Object.entries(saved)) {
            setVariable(name, value);
        }
    }
    // Waits until every registration of this run reached the mock monitor, so that none
    // lands in the next run's.
    await pulumi.runtime.disconnect();
    for (const dir of tools === world.tools ? [dockerConfig] : [dockerConfig, tools]) {
        fs.rmSync(dir, { recursive: true, force: true });
    }

    const urns = [...monitor.getRegisteredResources().keys()];
    const declared = monitorRecords.map((record) => ({
        ...record,
        urn: found(urns.find((urn) => urn.endsWith(`::${record.name}`) && urn.split("::")[2]?.endsWith(record.type)), `the URN of ${record.name}`),
        dependencies: dependencies.get(record.name) ?? [],
        options: found(options.get(record.name), `the options of ${record.name}`),
    }));
    return { declared, requests, outputs, error };
}

/** The value of an output or a plain export. */
export function value<T>(output: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(output).apply((v) => { resolve(v as T); return v; }));
}

/** What the program declared of `type`, with the inputs of that type. */
export function declaredOf<T extends keyof InputsOf>(run: ProgramRun, type: T): Declared<InputsOf[T]>[] {
    return run.declared.filter((d) => d.type === type) as unknown as Declared<InputsOf[T]>[];
}

export function only<T extends keyof InputsOf>(run: ProgramRun, type: T): Declared<InputsOf[T]> {
    const matches = declaredOf(run, type);
    if (matches.length !== 1) {
        throw new Error(`expected one ${type}, found ${matches.length}`);
    }
    return at(matches, 0);
}

/**
 * The Kubernetes objects the program declares with the default config, as `kubectl apply` would
 * get them: Pulumi's own annotations (pulumi.com/...) left out.
 */
export async function declaredObjects(): Promise<KubernetesObject[]> {
    const run = await runProgram();
    if (run.error) {
        throw run.error;
    }
    return run.declared.filter((d) => d.type.startsWith("kubernetes:")).map((d) => {
        const object = structuredClone(d.inputs) as KubernetesObject;
        const annotations = Object.entries(object.metadata?.annotations ?? {}).filter(([k]) => !k.startsWith("pulumi.com/"));
        if (annotations.length > 0 && object.metadata) {
            object.metadata.annotations = Object.fromEntries(annotations);
        } else {
            delete object.metadata?.annotations;
        }
        return object;
    });
}

/** A Kubernetes object as `kubectl apply` takes it: the fields the tests read, and any others. */
export interface KubernetesObject {
    apiVersion: string;
    kind: string;
    metadata?: { name?: string; annotations?: Record<string, string> };
    [field: string]: unknown;
}

/** The part of the mock monitor (@pulumi/pulumi's runtime/mocks.ts) read and wrapped here. */
interface MockMonitor {
    registerResource(req: RegisterResourceRequest, callback: unknown): unknown;
    getRegisteredResources(): Map<string, unknown>;
}

/** The getters read here of the engine's RegisterResourceRequest (generated protobuf). */
interface RegisterResourceRequest {
    getName(): string;
    getDependenciesList(): string[];
    getReplaceWithList(): string[];
    getDeletedwith(): string;
    getDeletebeforereplace(): boolean;
    getIgnorechangesList(): string[];
}
