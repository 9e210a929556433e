// The stack's settings: each declared once, in `settings`, which drives their parsing,
// defaults and error messages. Pulumi.yaml must declare the same (a unit test checks it).
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";

export const serviceTypes = ["NodePort", "LoadBalancer", "ClusterIP"] as const;
export type ServiceType = (typeof serviceTypes)[number];

/** The default: a Kind cluster of this stack's own, fed by loading the image into its nodes. */
export interface KindTarget {
    readonly kind: "kind";
}

/** A cluster the stack does not create: reached through the user's kubeconfig, fed through a registry. */
export interface ExistingTarget {
    readonly kind: "existing";
    readonly kubeconfig?: string | undefined;
    /** Always named, so that no other cluster is changed by accident. */
    readonly context: string;
    readonly registry: string;
}

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
    /** `where`: which entry of a list the key belongs to, such as `app api`. */
    constructor(key: string, value: string, allowed: string, where?: string) {
        super(`invalid config ${key}=${shownValue(value)}${where ? ` (${where})` : ""}: ${allowed}`);
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

/** An integer setting: its error message gives the range, then `why` in parentheses. */
interface IntegerSetting {
    readonly type: "integer";
    readonly default: number;
    readonly min: number;
    readonly max: number;
    readonly why?: string;
    readonly description: string;
}

/** A string setting matching `pattern`; without a default it is optional, and "" means unset. */
interface StringSetting {
    readonly type: "string";
    readonly default: string | undefined;
    readonly pattern: RegExp;
    readonly maxLength: number;
    /** What the error message says is allowed. */
    readonly allowed: string;
    readonly description: string;
}

/** A string setting that takes one of `values`. */
interface ChoiceSetting {
    readonly type: "string";
    readonly default: string;
    readonly values: readonly string[];
    readonly description: string;
}

type Setting = IntegerSetting | StringSetting | ChoiceSetting;

/**
 * Every setting the program reads, in the order they are checked. `type`, `default` and
 * `description` are what Pulumi.yaml declares (where an unset string's default is "").
 */
export const settings = {
    clusterName: {
        type: "string", default: "kube-demo", pattern: clusterNamePattern, maxLength: 50,
        allowed: "must be 1 to 50 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit",
        description: "Name of the Kind cluster (a-z, 0-9, '.', '-'; up to 50 characters). The kubeconfig context is kind-<name>.",
    },
    replicas: {
        type: "integer", default: 3, min: 1, max: 20, why: "a local cluster on a laptop",
        description: "Number of app pods, 1 to 20.",
    },
    hostPort: {
        type: "integer", default: 8080, min: 1, max: 65535,
        description: "Port on 127.0.0.1 where the app answers (mapped to the Service's NodePort).",
    },
    apiServerPort: {
        type: "integer", default: 6443, min: 1, max: 65535,
        description: "Port on 127.0.0.1 of the cluster's API server; fixed so the kubeconfig does not change when the cluster is recreated.",
    },
    workers: {
        type: "integer", default: 0, min: 0, max: 4, why: "each worker is a container on this machine",
        description: "Worker nodes besides the control plane, 0 to 4.",
    },
    nodeImage: {
        type: "string", default: undefined, pattern: imageReferencePattern, maxLength: imageMaxLength,
        allowed: `must be an image reference of at most ${imageMaxLength} characters, such as kindest/node:v1.34.0`,
        description: "Kind node image (empty for kind's default). On machines without a registry, the toolchain's image (see README).",
    },
    registryImage: {
        type: "string", default: "registry:3", pattern: imageReferencePattern, maxLength: imageMaxLength,
        allowed: `must be an image reference of at most ${imageMaxLength} characters, such as registry:3, or none`,
        description: "Image of the cluster's local registry, which carries each edit's new layers to the nodes (none: the image load sends them itself). On machines without a registry, the toolchain's image (see README).",
    },
    imageName: {
        type: "string", default: "node-app", pattern: repositoryPattern, maxLength: imageMaxLength,
        allowed: `must be a lowercase image repository name without a tag, at most ${imageMaxLength} characters, such as node-app (the tag is the content hash)`,
        description: "Repository name of the app image; the tag is a hash of the app's content.",
    },
    baseImage: {
        type: "string", default: undefined, pattern: imageReferencePattern, maxLength: imageMaxLength,
        allowed: `must be an image reference of at most ${imageMaxLength} characters, such as node:20-slim`,
        description: "BASE_IMAGE build argument of app/Dockerfile, and of each app's in apps unless it sets its own (empty for the Dockerfile's default, an official Node image).",
    },
    namespace: {
        type: "string", default: "default", pattern: namespacePattern, maxLength: 63,
        allowed: "must be 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit (a Kubernetes namespace name)",
        description: "Namespace of the app's objects; created and deleted with the stack unless it is default.",
    },
    serviceType: {
        type: "string", default: "NodePort", values: serviceTypes,
        description: "Type of the app's Service, NodePort, LoadBalancer or ClusterIP. target kind takes NodePort only.",
    },
    target: {
        type: "string", default: "kind", values: ["kind", "existing"],
        description: "Where the app runs. kind, a Kind cluster this stack creates (the settings above); existing, a cluster you already have (kubeconfig, context, registry below).",
    },
    kubeconfig: {
        type: "string", default: undefined, pattern: pathPattern, maxLength: 255,
        allowed: "must be a file path of letters, digits and . _ ~ + / - (not first), at most 255 characters, such as ~/.kube/config",
        description: "target existing: the kubeconfig file (empty for KUBECONFIG's first file, else ~/.kube/config). Read, never written.",
    },
    context: {
        type: "string", default: undefined, pattern: contextPattern, maxLength: 253,
        allowed: "must be the name of a context in the kubeconfig: a letter or digit, then letters, digits and . _ : / @ + -, at most 253 characters, such as kind-staging",
        description: "target existing: the context of that kubeconfig to deploy to (required).",
    },
    registry: {
        type: "string", default: undefined, pattern: registryPattern, maxLength: imageMaxLength,
        allowed: `must be a registry host with an optional port and path, at most ${imageMaxLength} characters, such as localhost:5001 or ghcr.io/my-team`,
        description: "target existing: where the image is pushed, HOST[:PORT][/PATH] (required); the cluster's nodes pull it from there. Credentials as docker login stored them.",
    },
} as const satisfies Record<string, Setting>;

/** A setting's parsed value: undefined only for a string setting without a default. */
type Parsed<S> =
    S extends { readonly values: readonly (infer V)[] } ? V
    : S extends IntegerSetting ? number
    : S extends { readonly default: string } ? string
    : string | undefined;

type Settings = { readonly [K in keyof typeof settings]: Parsed<(typeof settings)[K]> };

/**
 * The `apps` setting: structured, so not in the table above, which holds one value per key.
 * Pulumi.yaml declares it as a list of objects; each app is checked here, key by key.
 */
export const appsSetting = {
    type: "array",
    items: { type: "object" },
    default: [],
    description: "Your own apps, each built from a folder with a Dockerfile and given its own image, Deployment, Service and host port (README, Your own apps). Unset, the one app of app/ under the seed's names.",
} as const;

/** An app of the `apps` setting, as the program builds, deploys and exposes it. */
export interface AppSettings {
    /** Names its Kubernetes objects, its image (unless imageName) and its resources: a DNS label. */
    readonly name: string;
    /** The build context: a folder, relative to the project or absolute. */
    readonly context: string;
    /** The Dockerfile, relative to the context. */
    readonly dockerfile: string;
    readonly buildArgs: Readonly<Record<string, string>>;
    /** Repository of its image; the tag is the content hash. */
    readonly imageName: string;
    /** The port it listens on in its container. */
    readonly port: number;
    /** The HTTP path its readiness probe and the up's wait ask; unset, a TCP connection. */
    readonly readinessPath?: string | undefined;
    readonly replicas: number;
    /** Where it answers on 127.0.0.1. */
    readonly hostPort: number;
    readonly env: Readonly<Record<string, string>>;
    /** Environment the pods read from a Kubernetes Secret: never in an output or the state's plain text. */
    readonly secretEnv: Readonly<Record<string, string>>;
}

/** The settings of target existing, which StackConfig holds in `target` rather than at the top level. */
type TargetSettings = "target" | "kubeconfig" | "context" | "registry";

/** The stack's configuration as the program uses it: every setting parsed, the target's own in `target`. */
export type StackConfig = Omit<Settings, TargetSettings> & {
    readonly target: KindTarget | ExistingTarget;
    /** The `apps` setting; unset (or empty), the one app of app/. */
    readonly apps?: readonly AppSettings[] | undefined;
};

/** One setting's value from its raw string (absent when unset), or a ConfigError saying what it takes. */
function parseSetting(key: string, setting: Setting, raw: string | undefined): number | string | undefined {
    // Pulumi.yaml declares optional strings with the default "", which means unset.
    if (raw === undefined || (raw === "" && setting.default === undefined)) {
        return setting.default;
    }
    if (setting.type === "integer") {
        const value = integerPattern.test(raw) ? Number(raw) : NaN;
        if (!(value >= setting.min && value <= setting.max)) {
            const why = setting.why === undefined ? "" : ` (${setting.why})`;
            throw new ConfigError(key, raw, `must be an integer from ${setting.min} to ${setting.max}, in digits without sign, spaces or leading zeros${why}`);
        }
        return value;
    }
    if ("values" in setting) {
        if (!setting.values.includes(raw)) {
            throw new ConfigError(key, raw, `must be one of ${setting.values.join(", ")}`);
        }
        return raw;
    }
    // The patterns admit printable ASCII only, and no space, quote, `$`, `;`, `|`, `&`, `(` or
    // backtick: a value that passes could not change a shell command even if it ever reached one
    // unquoted (none does: cluster.ts and image.ts pass settings as variables and arguments).
    if (raw.length > setting.maxLength || !setting.pattern.test(raw)) {
        throw new ConfigError(key, raw, setting.allowed);
    }
    return raw;
}

/**
 * Validates raw settings (as `pulumi config` stores them: strings, absent when unset).
 * Throws a ConfigError naming the first bad setting.
 */
export function parseConfig(raw: Record<string, string | undefined>, projectDir = process.cwd()): StackConfig {
    const parsed = Object.fromEntries(Object.entries(settings).map(([key, setting]) => [key, parseSetting(key, setting, raw[key])]));
    // parseSetting gives each setting the type Parsed<> derives from its entry in the table.
    const { target, kubeconfig, context, registry, ...common } = parsed as Settings;
    const apps = parseApps(raw.apps, common, target === "kind", projectDir);
    const config: StackConfig = { ...common, target: parseTarget(target, { kubeconfig, context, registry }), ...(apps ? { apps } : {}) };
    if (config.apiServerPort === config.hostPort) {
        throw new ConfigError("apiServerPort", String(config.apiServerPort), "must differ from hostPort");
    }
    if (config.target.kind === "kind" && config.serviceType !== "NodePort") {
        throw new ConfigError("serviceType", config.serviceType, "must be NodePort when target is kind (its NodePort is what hostPort reaches); the other types are for target existing");
    }
    return config;
}

/** The target and its own settings; a setting of the other target is refused rather than ignored. */
function parseTarget(target: Settings["target"], own: Pick<Settings, "kubeconfig" | "context" | "registry">): KindTarget | ExistingTarget {
    if (target === "kind") {
        for (const [key, value] of Object.entries(own)) {
            if (value !== undefined) {
                throw new ConfigError(key, value, "applies to target existing only; this stack's target is kind (pulumi config set target existing, or pulumi config rm " + key + ")");
            }
        }
        return { kind: "kind" };
    }
    const { kubeconfig, context, registry } = own;
    if (context === undefined) {
        throw new ConfigError("context", "", "must name the kubeconfig context of the cluster to deploy to when target is existing (pulumi config set context NAME; kubectl config get-contexts lists them)");
    }
    if (registry === undefined) {
        throw new ConfigError("registry", "", "must name the registry the cluster's nodes pull from when target is existing (pulumi config set registry HOST[:PORT][/PATH])");
    }
    return { kind: "existing", kubeconfig, context, registry };
}

// An app's name: a DNS label short enough for the names made from it (`<name>-env`, its container's).
const appNamePattern = /^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/;
// A POSIX environment variable name.
const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
// A build argument's name, as Dockerfiles write ARG.
const buildArgPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
// An HTTP path for a probe: printable ASCII from "/", no space.
const httpPathPattern = /^\/[\x21-\x7e]{0,200}$/;
// A path inside a folder, as written in the stack's YAML: no "..", printable, no quote or space.
const relativePathPattern = /^(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._+@/-]{1,255}$/;
// A folder, relative to the project or absolute.
const folderPattern = /^[A-Za-z0-9._+@/-]{1,255}$/;

/** The keys an app takes, in the order they are checked. */
const appKeys = ["name", "context", "dockerfile", "buildArgs", "imageName", "port", "readinessPath", "replicas", "hostPort", "env", "secretEnv"] as const;

/** A value of the stack's YAML as a message shows it. */
function asShown(value: unknown): string {
    return value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * The `apps` setting (a JSON list, as the CLI passes structured config), each app checked
 * against `common` (its replicas default, the ports it may not take: on Kind, the cluster's own
 * too) and the files under `projectDir`; undefined when unset or empty.
 */
function parseApps(raw: string | undefined, common: Pick<Settings, "replicas" | "apiServerPort" | "hostPort">, kindTarget: boolean, projectDir: string): AppSettings[] | undefined {
    if (raw === undefined || raw === "") {
        return undefined;
    }
    let list: unknown;
    try {
        list = JSON.parse(raw);
    } catch {
        list = undefined;
    }
    if (!Array.isArray(list)) {
        throw new ConfigError("apps", raw, "must be a list of apps, set key by key (pulumi config set --path 'apps[0].name' web; README: Your own apps)");
    }
    const apps = list.map((entry: unknown, i) => parseApp(entry, `apps[${i}]`, common, projectDir));
    apps.forEach((app, i) => {
        const earlier = apps.slice(0, i);
        const sameName = earlier.findIndex((other) => other.name === app.name);
        if (sameName >= 0) {
            throw new ConfigError(`apps[${i}].name`, app.name, `is the name of apps[${sameName}] too: each app needs its own`, `app ${app.name}`);
        }
        const samePort = earlier.findIndex((other) => other.hostPort === app.hostPort);
        if (samePort >= 0) {
            throw new ConfigError(`apps[${i}].hostPort`, String(app.hostPort), `is the host port of app ${earlier[samePort]?.name ?? ""} too: each app needs its own`, `app ${app.name}`);
        }
        if (app.hostPort === common.apiServerPort) {
            throw new ConfigError(`apps[${i}].hostPort`, String(app.hostPort), "is the cluster's API server port (apiServerPort): choose another", `app ${app.name}`);
        }
        if (kindTarget && app.hostPort === common.hostPort) {
            throw new ConfigError(`apps[${i}].hostPort`, String(app.hostPort), "is the cluster's own port mapping (the hostPort setting, fixed when kind created the cluster, for the app of app/): choose another, or another hostPort (which recreates the cluster)", `app ${app.name}`);
        }
    });
    return apps.length > 0 ? apps : undefined;
}

/** One app of `apps`, at `at` (`apps[i]`); a ConfigError names the first bad key. */
function parseApp(entry: unknown, at: string, common: Pick<Settings, "replicas">, projectDir: string): AppSettings {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
        throw new ConfigError(at, asShown(entry), `must be an app: an object of ${appKeys.join(", ")}`);
    }
    const fields = entry as Record<string, unknown>;
    const name = typeof fields.name === "string" && appNamePattern.test(fields.name) ? fields.name : undefined;
    const where = name ? `app ${name}` : undefined;
    const bad = (key: string, allowed: string): never => { throw new ConfigError(`${at}.${key}`, asShown(fields[key] ?? ""), allowed, where); };
    if (name === undefined) {
        bad("name", "must be 1 to 40 characters of a-z, 0-9 and '-', starting with a letter and ending with a letter or digit");
    }
    const unknown = Object.keys(fields).find((key) => !(appKeys as readonly string[]).includes(key));
    if (unknown !== undefined) {
        bad(unknown, `is not a key of an app; an app takes ${appKeys.join(", ")}`);
    }
    const text = (key: string, pattern: RegExp, allowed: string, fallback?: string): string => {
        const value = fields[key] ?? fallback;
        return typeof value === "string" && pattern.test(value) ? value : bad(key, allowed);
    };
    const integer = (key: string, min: number, max: number, fallback?: number): number => {
        const value = fields[key] ?? fallback;
        const number = typeof value === "number" ? value : typeof value === "string" && integerPattern.test(value) ? Number(value) : NaN;
        return Number.isInteger(number) && number >= min && number <= max ? number : bad(key, `must be an integer from ${min} to ${max}`);
    };
    const strings = (key: string, namePattern: RegExp, what: string): Record<string, string> => {
        const value = fields[key] ?? {};
        if (typeof value !== "object" || Array.isArray(value)) {
            return bad(key, `must be a map of ${what} to text`);
        }
        for (const [entryName, entryValue] of Object.entries(value)) {
            if (!namePattern.test(entryName) || typeof entryValue !== "string") {
                throw new ConfigError(`${at}.${key}.${entryName}`, asShown(entryValue), `must be text under a ${what} (letters, digits and '_', not starting with a digit)`, where);
            }
        }
        return value as Record<string, string>;
    };

    const context = text("context", folderPattern, "must be the app's folder, relative to the project or absolute, in letters, digits and . _ + @ / -");
    const contextDir = path.resolve(projectDir, context);
    if (!fs.statSync(contextDir, { throwIfNoEntry: false })?.isDirectory()) {
        bad("context", `is not a folder (looked for ${contextDir})`);
    }
    const dockerfile = text("dockerfile", relativePathPattern, "must be a path inside the app's folder, without '..'", "Dockerfile");
    if (!fs.statSync(path.join(contextDir, dockerfile), { throwIfNoEntry: false })?.isFile()) {
        throw new ConfigError(`${at}.dockerfile`, dockerfile, `is not a file in the app's folder (looked for ${path.join(contextDir, dockerfile)})`, where);
    }
    const readinessPath = fields.readinessPath === undefined || fields.readinessPath === "" ? undefined
        : text("readinessPath", httpPathPattern, "must be an HTTP path starting with '/', such as /healthz (unset: a TCP check)");
    return {
        name: name ?? "",
        context,
        dockerfile,
        buildArgs: strings("buildArgs", buildArgPattern, "build argument name"),
        imageName: text("imageName", repositoryPattern, "must be a lowercase image repository name without a tag, such as team/api", name),
        port: integer("port", 1, 65535, 8080),
        ...(readinessPath ? { readinessPath } : {}),
        replicas: integer("replicas", 1, 20, common.replicas),
        hostPort: integer("hostPort", 1, 65535),
        env: strings("env", envNamePattern, "variable name"),
        secretEnv: strings("secretEnv", envNamePattern, "variable name"),
    };
}

/**
 * Reads the stack's configuration. A bad value ends the program with one line and no
 * stack trace (pulumi.RunError), before any resource is declared.
 */
export function loadConfig(): StackConfig {
    const config = new pulumi.Config();
    const raw: Record<string, string | undefined> = {};
    for (const key of [...Object.keys(settings), "apps"]) {
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
