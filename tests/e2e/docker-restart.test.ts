// End to end: the Docker engine restarted under a running cluster. The restart stops every
// container on the machine, so tests/e2e/run.sh starts this file when the first of its lanes
// ends, and names in KUBE_DEMO_E2E_RESTART_WHEN a file it creates once the other lane has ended
// too: the cold up overlaps that lane, the restart waits for the file. Without the variable the
// restart follows the up at once.
// It restarts the engine only where that is this suite's to do: on a machine whose dockerd
// toolchain/docker/start.sh started (CI), and only with KUBE_DEMO_E2E_RESTART_DOCKER=1 set
// (.ci/run sets it). Elsewhere it says so in one line.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { found } from "../support/present";
import { changedResources, get, newStack, projectDir, removeStack, stringOutput, TestStack, toolchainForTests } from "../support/stacks";

const { env: toolchainEnv, skip: noToolchain } = toolchainForTests("e2e");
const pidFile = "/var/run/docker.pid";
const optedOut = process.env.KUBE_DEMO_E2E_RESTART_DOCKER !== "1"
    && "docker restart e2e skipped: it restarts the machine's Docker engine, stopping every container; run it with KUBE_DEMO_E2E_RESTART_DOCKER=1 (CI does)";
const noPidFile = !fs.existsSync(pidFile) && `docker restart e2e skipped: no ${pidFile} (a dockerd started by toolchain/docker/start.sh)`;
const skip = noToolchain || optedOut || noPidFile;
if (skip && !noToolchain) {
    console.log(skip);
}

/** Returns once the file KUBE_DEMO_E2E_RESTART_WHEN names exists (at once when none is named). */
async function untilOthersEnded(): Promise<void> {
    const signal = process.env.KUBE_DEMO_E2E_RESTART_WHEN;
    const deadline = Date.now() + 45 * 60_000;
    while (signal && !fs.existsSync(signal)) {
        if (Date.now() > deadline) {
            throw new Error(`${signal} did not appear within 45 min: the other e2e files did not end`);
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

describe("the Docker engine restarted while the cluster runs", () => {
    // Unset when the suite is skipped, or before() failed first.
    let stack: TestStack | undefined;

    before(async () => {
        if (!skip) {
            stack = await newStack(toolchainEnv, {});
        }
    });

    after(async () => {
        if (stack !== undefined) {
            await removeStack(stack);
        }
    });

    test("1. the next up waits for the nodes and ends with the app answering; then nothing is left to change", { skip }, async () => {
        const { stack: restartedStack } = found(stack, "the test stack");
        const { outputs } = await restartedStack.up();
        const url = stringOutput(outputs, "url");
        assert.match(await get(url), /^Hello World: /);

        await untilOthersEnded();
        const restarted = Date.now();
        restartDockerEngine();
        console.log(`# dockerd restarted in ${((Date.now() - restarted) / 1000).toFixed(1)} s`);

        // Straight away, as a user would: kind's node comes back by its restart policy, its API
        // server and pods after it.
        const events: EngineEvent[] = [];
        const started = Date.now();
        const result = await restartedStack.up({ onEvent: (e) => events.push(e) });
        console.log(`# up after the restart: ${((Date.now() - started) / 1000).toFixed(1)} s`);
        // On new connections, so kube-proxy picks a pod for each: every pod, at its new address.
        for (let i = 0; i < 20; i++) {
            assert.match(await get(url), /^Hello World: /, "the app answers when up ends");
        }
        // Only the wait for the URL ran again: the nodes restarted, nothing else changed.
        assert.deepEqual(changedResources(events), ["replace command:local:Command"]);
        const waited = /waited (\d+\.\d) s for the API server/.exec(result.stdout)?.[1];
        console.log(`# the program waited ${waited ?? "0"} s for the API server`);
        await restartedStack.preview({ expectNoChanges: true });
    });
});
