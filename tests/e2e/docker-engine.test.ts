// End to end: the Docker engine as users have it. Starts from a new stack of its own; the
// scenarios run in order on it.
// 1. The engine is reached only through a non-default `docker context`, as on Colima, Rancher
//    Desktop or rootless Docker: DOCKER_HOST is unset and /var/run/docker.sock is hidden from
//    the Pulumi CLI and everything it starts, so the docker provider (which ignores contexts)
//    only finds the engine if the program hands it the context's address.
// 2. The engine is restarted under the running cluster. That stops every container on the
//    machine, so it runs only where it is this suite's to do: on a machine whose dockerd
//    toolchain/docker/start.sh started (CI), with KUBE_DEMO_E2E_RESTART_DOCKER=1 (.ci/run sets
//    it); elsewhere it says so in one line. tests/e2e/run.sh runs this file last in its lane and
//    names in KUBE_DEMO_E2E_RESTART_WHEN a file it creates once the other lane has ended: the
//    restart waits for it.
// 3. destroy removes the cluster.
import { EngineEvent, PulumiCommand } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import {
    changedResources, clientKeys, clusters, get, newStack, printedClientKeys, projectDir, removeStack, stringOutput, TestStack, toolchainForTests,
} from "../support/stacks";

const { env: toolchainEnv, skip } = toolchainForTests("e2e");
const defaultSocket = "/var/run/docker.sock";
const pidFile = "/var/run/docker.pid";
const noRestart = skip
    || (process.env.KUBE_DEMO_E2E_RESTART_DOCKER !== "1"
        && "docker restart e2e skipped: it restarts the machine's Docker engine, stopping every container; run it with KUBE_DEMO_E2E_RESTART_DOCKER=1 (CI does)")
    || (!fs.existsSync(pidFile) && `docker restart e2e skipped: no ${pidFile} (a dockerd started by toolchain/docker/start.sh)`);
if (noRestart && !skip) {
    console.log(noRestart);
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
function pulumiWithoutDefaultSocket(dir: string): string {
    const real = execFileSync("sh", ["-c", "command -v pulumi"], { env: toolchainEnv, encoding: "utf8" }).trim();
    fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
    fs.writeFileSync(path.join(dir, "bin", "pulumi"), [
        "#!/bin/sh",
        `exec unshare --mount --propagation private sh -c 'mount --bind /dev/null ${defaultSocket} && exec "$0" "$@"' ${real} "$@"`,
        "",
    ].join("\n"), { mode: 0o755 });
    return dir;
}

/**
 * `test` for the test's own synchronous kind calls, which go straight to the engine: through the
 * proxy, which runs on this process's event loop, they would wait on themselves.
 */
const direct = (test: TestStack): TestStack => ({ ...test, env: { ...test.env, DOCKER_HOST: `unix://${defaultSocket}` } });

/** Returns once the file KUBE_DEMO_E2E_RESTART_WHEN names exists (at once when none is named). */
async function untilOtherLaneEnded(): Promise<void> {
    const signal = process.env.KUBE_DEMO_E2E_RESTART_WHEN;
    const deadline = Date.now() + 45 * 60_000;
    while (signal && !fs.existsSync(signal)) {
        if (Date.now() > deadline) {
            throw new Error(`${signal} did not appear within 45 min: the other e2e lane did not end`);
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
}

/** Stops dockerd as its service manager would (SIGTERM, then wait) and starts it again. */
function restartDockerEngine(): void {
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + 120_000;
    while (fs.existsSync(`/proc/${pid}`) && !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"))) {
        if (Date.now() > deadline) {
            throw new Error(`dockerd (pid ${pid}) did not stop within 120 s`);
        }
        execFileSync("sleep", ["0.2"]);
    }
    execFileSync("bash", [path.join(projectDir, "toolchain", "docker", "start.sh")], { env: toolchainEnv, stdio: "ignore" });
}

describe("the Docker engine: reached through a docker context, restarted under the cluster", () => {
    let work: string;
    let proxy: net.Server;
    let stack: TestStack;
    let url: string;

    before(async () => {
        if (skip) {
            return;
        }
        work = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-e2e-engine-"));
        const socket = path.join(work, "docker.sock");
        proxy = await socketProxy(socket);
        // A docker config of the test's own: the user's contexts are never touched.
        const dockerConfig = path.join(work, "docker-config");
        const docker = (...args: string[]) => execFileSync("docker", ["--config", dockerConfig, ...args], { env: toolchainEnv, encoding: "utf8" });
        docker("context", "create", "e2e-engine", "--docker", `host=unix://${socket}`);
        docker("context", "use", "e2e-engine");
        const cli = await PulumiCommand.get({ root: pulumiWithoutDefaultSocket(path.join(work, "cli")), skipVersionCheck: true });
        stack = await newStack(toolchainEnv, {}, { DOCKER_CONFIG: dockerConfig }, cli);
    });

    after(async () => {
        // Each unset when the suite is skipped, or before() failed before making it.
        if ((stack as TestStack | undefined) !== undefined) {
            await removeStack(direct(stack));
        }
        (proxy as net.Server | undefined)?.close();
        if (work) {
            fs.rmSync(work, { recursive: true, force: true });
        }
    });

    test("1. up builds, loads and serves through the context's engine", { skip }, async () => {
        assert.equal(stack.env.DOCKER_HOST, undefined);
        const result = await stack.stack.up();
        url = stringOutput(result.outputs, "url");
        assert.match(await get(url), /^Hello World: /);
        assert.ok(clusters(direct(stack)).includes(stack.clusterName));
    });

    test("2. the engine restarted: the next up waits for the nodes and ends with the app answering; then nothing is left to change", { skip: noRestart }, async () => {
        await untilOtherLaneEnded();
        const restarted = Date.now();
        restartDockerEngine();
        console.log(`# dockerd restarted in ${((Date.now() - restarted) / 1000).toFixed(1)} s`);

        // Straight away, as a user would: kind's node comes back by its restart policy, its API
        // server and pods after it.
        const events: EngineEvent[] = [];
        const started = Date.now();
        const result = await stack.stack.up({ onEvent: (e) => events.push(e) });
        console.log(`# up after the restart: ${((Date.now() - started) / 1000).toFixed(1)} s`);
        // On new connections, so kube-proxy picks a pod for each: every pod, at its new address.
        for (let i = 0; i < 20; i++) {
            assert.match(await get(url), /^Hello World: /, "the app answers when up ends");
        }
        // Only the wait for the URL ran again: the nodes restarted, nothing else changed.
        assert.deepEqual(changedResources(events), ["replace command:local:Command"]);
        const waited = /waited (\d+\.\d) s for the API server/.exec(result.stdout)?.[1];
        console.log(`# the program waited ${waited ?? "0"} s for the API server`);
        await stack.stack.preview({ expectNoChanges: true });
    });

    test("3. destroy removes the cluster; no output showed a cluster's client key", { skip }, async () => {
        await stack.stack.destroy();
        assert.ok(!clusters(direct(stack)).includes(stack.clusterName));
        assert.ok(clientKeys.size >= 1);
        assert.deepEqual(printedClientKeys(), []);
    });
});
