// End to end: bad input and a missing prerequisite, each stopped before anything is touched.
// Each scenario makes throwaway stacks of its own (no cluster is ever created), so this file
// shares nothing with the others and runs wherever a lane has room.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe } from "node:test";
import { timedScenarios } from "../support/scenarios";
import { clusters, newStack, removeStack, stateResources } from "../support/stack";
import { toolchainForTests } from "../support/toolchain";
import { at, found } from "../support/present";

const { env: toolchainEnv, skip } = toolchainForTests("e2e");
// Each scenario makes stacks of its own: one failing says nothing about the next.
const scenario = timedScenarios(skip, { independent: true });

describe("bad input: one clear line, nothing created", () => {
    let work: string;

    before(() => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-e2e-bad-"));
    });

    after(() => {
        fs.rmSync(work, { recursive: true, force: true });
    });

    scenario("1. bad config fails fast with the setting's message; nothing is created; a hostile value never reaches a shell", async () => {
        // Created by a shell that ever read one of the hostile values below as code. (work is
        // a fresh folder under os.tmpdir().)
        const marker = path.join(work, `marker-${Date.now()}`);
        // A long temporary folder makes the message show the value's start and its length.
        const cut = String.raw`( \(first \d+ of \d+ characters\))?`;
        const cases: Promise<void>[] = [];
        for (const [key, value, message] of [
            ["replicas", "-1", /invalid config replicas="-1": must be an integer from 1 to 20/],
            ["clusterName", "Bad_Name", /invalid config clusterName="Bad_Name"/],
            ["hostPort", "70000", /invalid config hostPort="70000"/],
            ["clusterName", `x;touch ${marker}`,
                new RegExp(String.raw`invalid config clusterName="x;touch [^"\n]*"${cut}: must be 1 to 50 characters of a-z, 0-9, '\.' and '-'`)],
            ["baseImage", `$(touch ${marker})`,
                new RegExp(String.raw`invalid config baseImage="\$\(touch [^"\n]*"${cut}: must be an image reference of at most 255 characters`)],
        ] as const) {
            // Side by side: each is a stack of its own, and each up stops before touching anything.
            cases.push((async () => {
                const bad = await newStack(toolchainEnv, { [key]: value });
                try {
                    await assert.rejects(bad.stack.up(), message);
                    const state = await bad.stack.exportStack();
                    assert.deepEqual(stateResources(state).filter((r) => r.type !== "pulumi:pulumi:Stack"), []);
                    assert.ok(!clusters(bad).includes(bad.clusterName));
                } finally {
                    await removeStack(bad);
                }
            })());
        }
        await Promise.all(cases);
        assert.equal(fs.existsSync(marker), false, "a hostile value reached a shell as code");
    });

    scenario("2. a host port another process holds is one clear line before any cluster is created", async () => {
        const holder = net.createServer();
        await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
        const port = (holder.address() as net.AddressInfo).port;
        const taken = await newStack(toolchainEnv, { hostPort: String(port) });
        try {
            await assert.rejects(taken.stack.up(), new RegExp(`port ${port} on 127.0.0.1 \\(hostPort\\) is taken by another process`));
            assert.ok(!clusters(taken).includes(taken.clusterName));
            const state = await taken.stack.exportStack();
            assert.deepEqual(stateResources(state).filter((r) => r.type === "command:local:Command"), []);
        } finally {
            holder.close();
            await removeStack(taken);
        }
    });

    scenario("3. a missing prerequisite is one clear line; nothing is created", async () => {
        // PATH with everything the toolchain has but kind.
        const withoutKind = fs.mkdtempSync(path.join(work, "bin-"));
        const toolchainBin = at(found(toolchainEnv.PATH, "PATH").split(":"), 0);
        for (const tool of fs.readdirSync(toolchainBin).filter((t) => t !== "kind")) {
            fs.symlinkSync(path.join(toolchainBin, tool), path.join(withoutKind, tool));
        }
        const cases: [Record<string, string>, RegExp][] = [
            [{ PATH: `${withoutKind}:${path.dirname(process.execPath)}:/usr/bin:/bin` }, /kind is not on PATH/],
            [{ DOCKER_HOST: "unix:///nonexistent/docker.sock" }, /Docker is not answering/],
        ];
        // Side by side: each is a stack of its own, and each up stops before touching anything.
        await Promise.all(cases.map(async ([env, message]) => {
            const broken = await newStack(toolchainEnv, {}, env);
            try {
                await assert.rejects(broken.stack.up(), message);
                const state = await broken.stack.exportStack();
                assert.deepEqual(stateResources(state).filter((r) => r.type !== "pulumi:pulumi:Stack"), []);
            } finally {
                await broken.stack.workspace.removeStack(broken.stack.name, { force: true });
                fs.rmSync(broken.dir, { recursive: true, force: true });
            }
        }));
    });
});
