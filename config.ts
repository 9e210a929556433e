// The stack's settings: read once, typed, and validated before any resource is declared.
// Defaults here must equal the defaults declared in Pulumi.yaml (a unit test checks it).
import * as pulumi from "@pulumi/pulumi";

export interface StackConfig {
    /** Name of the Kind cluster; also the kubeconfig context `kind-<name>`. */
    readonly clusterName: string;
    /** Pods of the app. */
    readonly replicas: number;
    /** Port on 127.0.0.1 where the app answers. */
    readonly hostPort: number;
    /** Port on 127.0.0.1 of the cluster's API server. Fixed so the kubeconfig stays the same. */
    readonly apiServerPort: number;
    /** Worker nodes besides the control plane. */
    readonly workers: number;
    /** Kind node image; kind's default when unset. */
    readonly nodeImage?: string | undefined;
    /** Repository name of the app image; the tag is the content hash. */
    readonly imageName: string;
    /** BASE_IMAGE build argument of the app's Dockerfile; the Dockerfile's default when unset. */
    readonly baseImage?: string | undefined;
    /** Namespace of the app's objects; created and deleted by the stack unless it is `default`. */
    readonly namespace: string;
    /** Type of the app's Service. The Kind target maps a NodePort to `hostPort`, so it takes NodePort only. */
    readonly serviceType: ServiceType;
    /** Where the app runs: a Kind cluster this stack creates, or a cluster the user already has. */
    readonly target: KindTarget | ExistingTarget;
}

export type ServiceType = "NodePort" | "LoadBalancer" | "ClusterIP";
export const serviceTypes: readonly ServiceType[] = ["NodePort", "LoadBalancer", "ClusterIP"];

/** The default: a Kind cluster of this stack's own, fed by loading the image into its nodes. */
export interface KindTarget {
    readonly kind: "kind";
}

/** A cluster the stack does not create: reached through the user's kubeconfig, fed through a registry. */
export interface ExistingTarget {
    readonly kind: "existing";
    /** The kubeconfig file; empty means where kubectl looks (KUBECONFIG's first file, else ~/.kube/config). */
    readonly kubeconfig?: string | undefined;
    /** The context in that file: always named, so that no other cluster is changed by accident. */
    readonly context: string;
    /** Registry and path the image is pushed to (`host[:port][/path]`); the cluster's nodes pull from it. */
    readonly registry: string;
}

export const defaults = {
    clusterName: "kube-demo",
    replicas: 3,
    hostPort: 8080,
    apiServerPort: 6443,
    workers: 0,
    imageName: "node-app",
    namespace: "default",
    serviceType: "NodePort",
    target: "kind",
} as const;

/** The NodePort the Service uses and the cluster maps to `hostPort`; any free value of 30000-32767. */
export const appNodePort = 30080;

/** Longest value a message shows whole (as shown: quoted, escaped); a longer one shows its start. */
const shownWhole = 100;
/** How much of a longer value a message shows (as shown, quotes aside). */
const shownStart = 40;

/** `text` in JSON's quoting, with everything outside printable ASCII escaped as \uXXXX. */
function escaped(text: string): string {
    return JSON.stringify(text).slice(1, -1)
        .replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * A value as a message shows it: quoted, in printable ASCII only (a newline, a terminal escape,
 * a right-to-left mark or an invisible space is shown as its escape, so it can neither break
 * the line nor hide), and a long one cut to its first characters and its length.
 */
function shownValue(value: string): string {
    const whole = escaped(value);
    if (whole.length <= shownWhole) {
        return `"${whole}"`;
    }
    const chars = Array.from(value); // code points: a surrogate pair stays whole
    let start = "";
    let count = 0;
    for (const char of chars) {
        const next = escaped(char);
        if (start.length + next.length > shownStart) {
            break;
        }
        start += next;
        count += 1;
    }
    return `"${start}" (first ${count} of ${chars.length} characters)`;
}

/** A setting with a value it cannot take. Its message is the one line the user sees. */
export class ConfigError extends Error {
    constructor(key: string, value: string, allowed: string) {
        super(`invalid config ${key}=${shownValue(value)}: ${allowed}`);
        this.name = "ConfigError";
    }
}

// kind accepts [a-z0-9.-]+ and warns above 50 characters; the first and last character must be
// alphanumeric because the name also becomes a Docker container name and a kubeconfig context.
const clusterNamePattern = /^[a-z0-9]([a-z0-9.-]{0,48}[a-z0-9])?$/;
// A Docker repository name without tag or digest: lowercase path components, optional registry
// host. The host, like every other component, starts and ends with a letter or digit.
const repositoryPattern = /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
// An image reference: a repository with an optional tag and/or digest (case allowed in host and tag).
const imageReferencePattern = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
// Docker's limit on a repository name; an image string this program takes is never longer.
const imageMaxLength = 255;
// A Kubernetes namespace name (an RFC 1123 label).
const namespacePattern = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// A registry host with an optional port and path: where `<registry>/<imageName>:<tag>` is pushed.
const registryPattern = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
// A kubeconfig path: what file names on a developer's machine use, with a leading ~ for home.
// It reaches no shell, but it is printed in a command the user copies (the `url` output).
const pathPattern = /^[A-Za-z0-9._~+/][A-Za-z0-9._~+/-]*$/;
// A kubeconfig context name: kind's, and the ARNs and paths cloud CLIs write (EKS, GKE).
const contextPattern = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/;
// An integer as people write one: decimal digits, no sign, spaces or leading zeros ("0" itself
// aside). Number() alone would also take " 3", "+3", "3.0", "0x10", "1e1" and "".
const integerPattern = /^(0|[1-9][0-9]*)$/;

function integerIn(key: string, raw: string | undefined, fallback: number, min: number, max: number, why: string): number {
    if (raw === undefined) {
        return fallback;
    }
    const value = integerPattern.test(raw) ? Number(raw) : NaN;
    if (!(value >= min && value <= max)) {
        throw new ConfigError(key, raw, `must be an integer from ${min} to ${max}, in digits without sign, spaces or leading zeros${why}`);
    }
    return value;
}

function matching(key: string, raw: string | undefined, fallback: string, pattern: RegExp, maxLength: number, allowed: string): string;
function matching(key: string, raw: string | undefined, fallback: undefined, pattern: RegExp, maxLength: number, allowed: string): string | undefined;
function matching(key: string, raw: string | undefined, fallback: string | undefined, pattern: RegExp, maxLength: number, allowed: string): string | undefined {
    // Pulumi.yaml declares optional strings with the default "", which means unset.
    if (raw === undefined || (raw === "" && fallback === undefined)) {
        return fallback;
    }
    // The patterns admit printable ASCII only, and no space, quote, `$`, `;`, `|`, `&`, `(` or
    // backtick: a value that passes could not change a shell command even if it ever reached one
    // unquoted (none does: cluster.ts and image.ts pass settings as variables and arguments).
    if (raw.length > maxLength || !pattern.test(raw)) {
        throw new ConfigError(key, raw, allowed);
    }
    return raw;
}

/**
 * Validates raw settings (as `pulumi config` stores them: strings, absent when unset).
 * Throws a ConfigError naming the first bad setting.
 */
export function parseConfig(raw: Record<string, string | undefined>): StackConfig {
    const config: StackConfig = {
        clusterName: matching("clusterName", raw.clusterName, defaults.clusterName, clusterNamePattern, 50,
            "must be 1 to 50 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit"),
        replicas: integerIn("replicas", raw.replicas, defaults.replicas, 1, 20, " (a local cluster on a laptop)"),
        hostPort: integerIn("hostPort", raw.hostPort, defaults.hostPort, 1, 65535, ""),
        apiServerPort: integerIn("apiServerPort", raw.apiServerPort, defaults.apiServerPort, 1, 65535, ""),
        workers: integerIn("workers", raw.workers, defaults.workers, 0, 4, " (each worker is a container on this machine)"),
        nodeImage: matching("nodeImage", raw.nodeImage, undefined, imageReferencePattern, imageMaxLength,
            `must be an image reference of at most ${imageMaxLength} characters, such as kindest/node:v1.34.0`),
        imageName: matching("imageName", raw.imageName, defaults.imageName, repositoryPattern, imageMaxLength,
            `must be a lowercase image repository name without a tag, at most ${imageMaxLength} characters, such as node-app (the tag is the content hash)`),
        baseImage: matching("baseImage", raw.baseImage, undefined, imageReferencePattern, imageMaxLength,
            `must be an image reference of at most ${imageMaxLength} characters, such as node:20-slim`),
        namespace: matching("namespace", raw.namespace, defaults.namespace, namespacePattern, 63,
            "must be 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit (a Kubernetes namespace name)"),
        serviceType: oneOf("serviceType", raw.serviceType, defaults.serviceType, serviceTypes),
        target: parseTarget(raw),
    };
    if (config.apiServerPort === config.hostPort) {
        throw new ConfigError("apiServerPort", String(config.apiServerPort), "must differ from hostPort");
    }
    if (config.target.kind === "kind" && config.serviceType !== "NodePort") {
        throw new ConfigError("serviceType", config.serviceType, "must be NodePort when target is kind (its NodePort is what hostPort reaches); the other types are for target existing");
    }
    return config;
}

function oneOf<T extends string>(key: string, raw: string | undefined, fallback: T, allowed: readonly T[]): T {
    if (raw === undefined) {
        return fallback;
    }
    const value = allowed.find((candidate) => candidate === raw);
    if (value === undefined) {
        throw new ConfigError(key, raw, `must be one of ${allowed.join(", ")}`);
    }
    return value;
}

/** The target and its own settings; a setting of the other target is refused rather than ignored. */
function parseTarget(raw: Record<string, string | undefined>): KindTarget | ExistingTarget {
    const target = oneOf("target", raw.target, defaults.target, ["kind", "existing"]);
    const kubeconfig = matching("kubeconfig", raw.kubeconfig, undefined, pathPattern, 255,
        "must be a file path of letters, digits and . _ ~ + / - (not first), at most 255 characters, such as ~/.kube/config");
    const context = matching("context", raw.context, undefined, contextPattern, 253,
        "must be the name of a context in the kubeconfig: a letter or digit, then letters, digits and . _ : / @ + -, at most 253 characters, such as kind-staging");
    const registry = matching("registry", raw.registry, undefined, registryPattern, imageMaxLength,
        `must be a registry host with an optional port and path, at most ${imageMaxLength} characters, such as localhost:5001 or ghcr.io/my-team`);
    if (target === "kind") {
        for (const [key, value] of Object.entries({ kubeconfig, context, registry })) {
            if (value !== undefined) {
                throw new ConfigError(key, value, "applies to target existing only; this stack's target is kind (pulumi config set target existing, or pulumi config rm " + key + ")");
            }
        }
        return { kind: "kind" };
    }
    if (context === undefined) {
        throw new ConfigError("context", "", "must name the kubeconfig context of the cluster to deploy to when target is existing (pulumi config set context NAME; kubectl config get-contexts lists them)");
    }
    if (registry === undefined) {
        throw new ConfigError("registry", "", "must name the registry the cluster's nodes pull from when target is existing (pulumi config set registry HOST[:PORT][/PATH])");
    }
    return { kind: "existing", kubeconfig, context, registry };
}

const keys = ["clusterName", "replicas", "hostPort", "apiServerPort", "workers", "nodeImage", "imageName", "baseImage",
    "namespace", "serviceType", "target", "kubeconfig", "context", "registry"] as const;

/**
 * Reads the stack's configuration. A bad value ends the program with one line and no
 * stack trace (pulumi.RunError), before any resource is declared.
 */
export function loadConfig(): StackConfig {
    const config = new pulumi.Config();
    const raw: Record<string, string | undefined> = {};
    for (const key of keys) {
        raw[key] = config.get(key);
    }
    try {
        return parseConfig(raw);
    } catch (err) {
        if (err instanceof ConfigError) {
            throw new pulumi.RunError(err.message);
        }
        throw err;
    }
}
