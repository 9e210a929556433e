// The Docker engine as users have it, for the e2e suite: reached only through a non-default
// `docker context` (as on Colima, Rancher Desktop or rootless Docker), and stopped in the middle
// of an update.
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { projectDir } from "./project";
import type { TestStack } from "./stack";

const defaultSocket = "/var/run/docker.sock";
const pidFile = "/var/run/docker.pid";

/**
 * Why the engine restart cannot run here, or false when it can. It stops every container on the
 * machine, so it runs only where it is the suite's to do: on a machine whose dockerd
 * toolchain/docker/start.sh started (CI), with KUBE_DEMO_E2E_RESTART_DOCKER=1 (.ci/run sets it).
 */
export function whyNoEngineRestart(): string | false {
    if (process.env.KUBE_DEMO_E2E_RESTART_DOCKER !== "1") {
        return "docker restart e2e skipped: it restarts the machine's Docker engine, stopping every container; run it with KUBE_DEMO_E2E_RESTART_DOCKER=1 (CI does)";
    }
    return fs.existsSync(pidFile) ? false : `docker restart e2e skipped: no ${pidFile} (a dockerd started by toolchain/docker/start.sh)`;
}

/** A unix socket at `socketPath` that forwards every connection to the engine's default socket. */
function socketProxy(socketPath: string): Promise<net.Server> {
    // Half-open both ways: `docker exec -i` (the image load) ends its stdin and still reads.
    const server = net.createServer({ allowHalfOpen: true }, (client) => {
        const engine = net.connect({ path: defaultSocket, allowHalfOpen: true });
        client.pipe(engine).pipe(client);
        client.on("error", () => engine.destroy());
        engine.on("error", () => client.destroy());
    });
    return new Promise((resolve) => server.listen(socketPath, () => { resolve(server); }));
}

/** A `bin/pulumi` under the returned root that runs the CLI in a mount namespace where the default socket is gone. */
function pulumiWithoutDefaultSocket(dir: string, toolchainEnv: Record<string, string>): string {
    const real = execFileSync("sh", ["-c", "command -v pulumi"], { env: toolchainEnv, encoding: "utf8" }).trim();
    fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
    fs.writeFileSync(path.join(dir, "bin", "pulumi"), [
        "#!/bin/sh",
        `exec unshare --mount --propagation private sh -c 'mount --bind /dev/null ${defaultSocket} && exec "$0" "$@"' ${real} "$@"`,
        "",
    ].join("\n"), { mode: 0o755 });
    return dir;
}

/** What a stack needs to reach the engine only through a docker context, and its cleanup. */
export interface ContextOnlyEngine {
    /** For newStack: the docker config whose current context is the engine's socket proxy. */
    readonly env: { DOCKER_CONFIG: string };
    /** For newStack: the Pulumi CLI, run where the default socket is hidden. */
    readonly cli: PulumiCommand;
    close(): void;
}

/**
 * The engine behind a context of the test's own (the user's contexts are never touched): DOCKER_HOST
 * stays unset and /var/run/docker.sock is hidden from the Pulumi CLI and everything it starts, so
 * the docker provider (which ignores contexts) only finds the engine if the program hands it the
 * context's address. The proxy runs on this process's event loop: the test's own synchronous
 * docker, kind and kubectl calls must go straight to the engine (`direct`).
 */
export async function contextOnlyEngine(toolchainEnv: Record<string, string>): Promise<ContextOnlyEngine> {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-e2e-engine-"));
    const socket = path.join(work, "docker.sock");
    const proxy = await socketProxy(socket);
    const dockerConfig = path.join(work, "docker-config");
    const docker = (...args: string[]) => execFileSync("docker", ["--config", dockerConfig, ...args], { env: toolchainEnv, encoding: "utf8" });
    docker("context", "create", "e2e-engine", "--docker", `host=unix://${socket}`);
    docker("context", "use", "e2e-engine");
    const cli = await PulumiCommand.get({ root: pulumiWithoutDefaultSocket(path.join(work, "cli"), toolchainEnv), skipVersionCheck: true });
    return {
        env: { DOCKER_CONFIG: dockerConfig },
        cli,
        close: () => {
            proxy.close();
            fs.rmSync(work, { recursive: true, force: true });
        },
    };
}

/** `test` for the test's own synchronous calls (docker, kind, kubectl): straight to the engine. */
export const direct = (test: TestStack): TestStack => ({ ...test, env: { ...test.env, DOCKER_HOST: `unix://${defaultSocket}` } });

/** Returns once the file KUBE_DEMO_E2E_RESTART_WHEN names exists (at once when none is named): tests/e2e/run.sh creates it when the other lane has ended. */
export async function untilOtherLaneEnded(): Promise<void> {
    const signal = process.env.KUBE_DEMO_E2E_RESTART_WHEN;
    const deadline = Date.now() + 45 * 60_000;
    while (signal && !fs.existsSync(signal)) {
        if (Date.now() > deadline) {
            throw new Error(`${signal} did not appear within 45 min: the other e2e lane did not end`);
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
}

/** Stops dockerd as its service manager would: SIGTERM, then wait until it has exited. */
export function stopDockerEngine(): void {
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + 120_000;
    while (fs.existsSync(`/proc/${pid}`) && !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"))) {
        if (Date.now() > deadline) {
            throw new Error(`dockerd (pid ${pid}) did not stop within 120 s`);
        }
        execFileSync("sleep", ["0.2"]);
    }
}

/** Starts dockerd again as the toolchain starts it. */
export function startDockerEngine(toolchainEnv: Record<string, string>): void {
    execFileSync("bash", [path.join(projectDir, "toolchain", "docker", "start.sh")], { env: toolchainEnv, stdio: "ignore" });
}
