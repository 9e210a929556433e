// The tools the stack drives outside Pulumi, and the Docker engine they all must use. Checked
// before any resource is declared, so a missing one is one clear line instead of a failed
// resource halfway through an `up`.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { notFound, runTool } from "./checks";

const toolchainHint = "on a machine without internet access, `npm run toolchain` builds it (see README)";

/**
 * The Docker engine's address as the docker CLI resolves it: `DOCKER_HOST`, else the endpoint
 * of the current `docker context` (DOCKER_CONTEXT, else config.json's currentContext; Colima,
 * Rancher Desktop, Docker Desktop and rootless Docker set one). kind
 * and `docker save` follow the CLI, but the docker provider only reads `DOCKER_HOST` or its
 * `host` setting and otherwise tries /var/run/docker.sock: without this one address passed to
 * every part, the image could be built on another engine than the one kind's nodes run on.
 * Undefined when the CLI cannot say.
 */
export async function dockerHost(env: NodeJS.ProcessEnv = process.env, signal?: AbortSignal): Promise<string | undefined> {
    if (env.DOCKER_HOST) {
        return env.DOCKER_HOST;
    }
    const context = env.DOCKER_CONTEXT || currentContext(env);
    if (!context || context === "default") {
        // The default context is the platform's socket; asking the CLI would say the same, in 150 ms.
        return process.platform === "win32" ? "npipe:////./pipe/docker_engine" : "unix:///var/run/docker.sock";
    }
    // A named context: its endpoint as the CLI reads it from its context store.
    const inspect = await runTool("docker", ["context", "inspect", "--format", "{{.Endpoints.docker.Host}}", context],
        { env, timeout: 10_000, signal });
    const host = inspect.status === 0 ? inspect.stdout.trim() : "";
    return host || undefined;
}

/** The `currentContext` of the docker CLI's config.json (in DOCKER_CONFIG, else ~/.docker), if any. */
function currentContext(env: NodeJS.ProcessEnv): string | undefined {
    const file = path.join(env.DOCKER_CONFIG || path.join(os.homedir(), ".docker"), "config.json");
    try {
        const { currentContext: current } = JSON.parse(fs.readFileSync(file, "utf8")) as { currentContext?: unknown };
        return typeof current === "string" ? current : undefined;
    } catch {
        return undefined; // no config file: the CLI uses the default context
    }
}

/**
 * Each missing prerequisite, as a sentence saying what is missing and how to get it. kind is
 * one only for a stack that creates a Kind cluster (target kind); kubectl only for one that does
 * not (target existing), whose rollout check reads the user's kubeconfig through it.
 */
export async function missingPrerequisites(needsKind = true, signal?: AbortSignal): Promise<string[]> {
    const missing: string[] = [];
    const [kind, kubectl, docker] = await Promise.all([
        needsKind ? runTool("kind", ["version"], { timeout: 10_000, signal }) : undefined,
        needsKind ? undefined : runTool("kubectl", ["version", "--client"], { timeout: 10_000, signal }),
        runTool("docker", ["info", "--format", "{{.ServerVersion}}"], { timeout: 20_000, signal }),
    ]);
    if (kind && (kind.error || kind.status !== 0)) {
        missing.push(`kind is not on PATH: install it from https://kind.sigs.k8s.io/ (${toolchainHint})`);
    }
    if (kubectl && (kubectl.error || kubectl.status !== 0)) {
        missing.push(`kubectl is not on PATH: install it from https://kubernetes.io/docs/tasks/tools/ (${toolchainHint})`);
    }
    if (notFound(docker)) {
        missing.push(`docker is not on PATH: install Docker (${toolchainHint})`);
    } else if (docker.error || docker.status !== 0) {
        // An engine that hangs (a stopped VM, a socket nobody serves) times out: not a missing tool.
        missing.push("Docker is not answering (`docker info` failed or gave no answer within 20 s): start the Docker engine, then run this again");
    }
    return missing;
}

/**
 * The tools are there (kind only when `needsKind`): the engine's address, or the end of the
 * program with one line per missing prerequisite. The address is asked at the same time, and
 * reported unknown only once the tools are there.
 */
export async function requirePrerequisites(needsKind = true, signal?: AbortSignal): Promise<{ dockerHost: string }> {
    const address = dockerHost(process.env, signal);
    const missing = await missingPrerequisites(needsKind, signal);
    if (missing.length > 0) {
        throw new pulumi.RunError(missing.join("; "));
    }
    const host = await address;
    if (!host) {
        throw new pulumi.RunError("the Docker engine's address is unknown (`docker context inspect` gave none): set DOCKER_HOST or select a context with `docker context use NAME`");
    }
    return { dockerHost: host };
}
