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
    readonly nodeImage?: string;
    /** Repository name of the app image; the tag is the content hash. */
    readonly imageName: string;
    /** BASE_IMAGE build argument of the app's Dockerfile; the Dockerfile's default when unset. */
    readonly baseImage?: string;
}

export const defaults = {
    clusterName: "kube-demo",
    replicas: 3,
    hostPort: 8080,
    apiServerPort: 6443,
    workers: 0,
    imageName: "node-app",
} as const;

/** The NodePort the Service uses and the cluster maps to `hostPort`; any free value of 30000-32767. */
export const appNodePort = 30080;

/** A setting with a value it cannot take. Its message is the one line the user sees. */
export class ConfigError extends Error {
    constructor(key: string, value: string, allowed: string) {
        super(`invalid config ${key}=${JSON.stringify(value)}: ${allowed}`);
        this.name = "ConfigError";
    }
}

// kind accepts [a-z0-9.-]+ and warns above 50 characters; the first and last character must be
// alphanumeric because the name also becomes a Docker container name and a kubeconfig context.
const clusterNamePattern = /^[a-z0-9]([a-z0-9.-]{0,48}[a-z0-9])?$/;
// A Docker repository name without tag or digest: lowercase path components, optional registry host.
const repositoryPattern = /^([a-z0-9.-]+(:[0-9]+)?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
// An image reference: a repository with an optional tag and/or digest (case allowed in host and tag).
const imageReferencePattern = /^[A-Za-z0-9.-]+(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

function integerIn(key: string, raw: string | undefined, fallback: number, min: number, max: number, why: string): number {
    if (raw === undefined) {
        return fallback;
    }
    const value = Number(raw.trim());
    if (raw.trim() === "" || !Number.isInteger(value) || value < min || value > max) {
        throw new ConfigError(key, raw, `must be an integer from ${min} to ${max}${why}`);
    }
    return value;
}

function matching(key: string, raw: string | undefined, fallback: string, pattern: RegExp, allowed: string): string;
function matching(key: string, raw: string | undefined, fallback: undefined, pattern: RegExp, allowed: string): string | undefined;
function matching(key: string, raw: string | undefined, fallback: string | undefined, pattern: RegExp, allowed: string): string | undefined {
    // Pulumi.yaml declares optional strings with the default "", which means unset.
    if (raw === undefined || (raw === "" && fallback === undefined)) {
        return fallback;
    }
    if (!pattern.test(raw)) {
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
        clusterName: matching("clusterName", raw.clusterName, defaults.clusterName, clusterNamePattern,
            "must be 1 to 50 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit"),
        replicas: integerIn("replicas", raw.replicas, defaults.replicas, 1, 20, " (a local cluster on a laptop)"),
        hostPort: integerIn("hostPort", raw.hostPort, defaults.hostPort, 1, 65535, ""),
        apiServerPort: integerIn("apiServerPort", raw.apiServerPort, defaults.apiServerPort, 1, 65535, ""),
        workers: integerIn("workers", raw.workers, defaults.workers, 0, 4, " (each worker is a container on this machine)"),
        nodeImage: matching("nodeImage", raw.nodeImage, undefined, imageReferencePattern,
            "must be an image reference such as kindest/node:v1.34.0"),
        imageName: matching("imageName", raw.imageName, defaults.imageName, repositoryPattern,
            "must be a lowercase image repository name without a tag, such as node-app (the tag is the content hash)"),
        baseImage: matching("baseImage", raw.baseImage, undefined, imageReferencePattern,
            "must be an image reference such as node:20-slim"),
    };
    if (config.apiServerPort === config.hostPort) {
        throw new ConfigError("apiServerPort", String(config.apiServerPort), "must differ from hostPort");
    }
    return config;
}

const keys = ["clusterName", "replicas", "hostPort", "apiServerPort", "workers", "nodeImage", "imageName", "baseImage"] as const;

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
