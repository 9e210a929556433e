// End to end: an engine reached only through a non-default `docker context`, as on Colima,
// Rancher Desktop or rootless Docker. DOCKER_HOST is unset and /var/run/docker.sock is hidden
// from the Pulumi CLI and everything it starts, so the docker provider (which ignores contexts)
// only finds the engine if the program hands it the context's address.
import { PulumiCommand } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { clientKeys, clusters, get, newStack, printedClientKeys, removeStack, stringOutput, TestStack, toolchainForTests } from "../support/stacks";

const { env: toolchainEnv, skip } = toolchainForTests("e2e");
const defaultSocket = "/var/run/docker.sock";

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

describe("an engine reached only through a docker context", () => {
    let work: string;
    let proxy: net.Server;
    let stack: TestStack;

    before(async () => {
        if (skip) {
            return;
        }
        work = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-e2e-context-"));
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

    test("1. up builds, loads and serves through the context's engine; destroy removes the cluster", { skip }, async () => {
        assert.equal(stack.env.DOCKER_HOST, undefined);
        const result = await stack.stack.up();
        assert.match(await get(stringOutput(result.outputs, "url")), /^Hello World: /);
        assert.ok(clusters(direct(stack)).includes(stack.clusterName));
        await stack.stack.destroy();
        assert.ok(!clusters(direct(stack)).includes(stack.clusterName));
        assert.ok(clientKeys.size >= 1);
        assert.deepEqual(printedClientKeys(), []);
    });
});
