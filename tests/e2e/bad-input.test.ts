// End to end: bad input, a missing prerequisite and a declaration the policy pack refuses, each
// stopped before anything is touched.
// Each scenario makes throwaway stacks of its own (no cluster is ever created), so this file
// shares nothing with the others and runs wherever a lane has room.
import type { PolicyEvent } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
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

    scenario("4. a declaration the policy pack refuses stops `pulumi preview` and `npm run up` at the preview, naming the rule and the resource (one line at `npm run up`); nothing is created", async () => {
        const bad = await newStack(toolchainEnv, {});
        try {
            // No setting can make the app's objects break a rule (config.ts refuses bad values
            // first), so this copy of the program is edited. Resource rules: the Service-selector
            // rule reads the provider's state, which a stack with no cluster yet does not have.
            const workload = path.join(bad.dir, "workload.ts");
            const original = fs.readFileSync(workload, "utf8");
            const edited = (good: string, broken: string) => {
                assert.ok(original.includes(good), `workload.ts no longer declares ${good}`);
                fs.writeFileSync(workload, original.replace(good, broken));
            };

            // A resource rule, at `pulumi preview --policy-pack policy`.
            edited("allowPrivilegeEscalation: false,", "allowPrivilegeEscalation: true,");
            const findings: PolicyEvent[] = [];
            const preview = await bad.stack.preview({
                policyPacks: [path.join(bad.dir, "policy")],
                onEvent: (event) => { if (event.policyEvent) { findings.push(event.policyEvent); } },
            }).then(() => assert.fail("the preview went through"), (error: unknown) => String((error as { message?: unknown }).message));
            assert.deepEqual(findings.map((f) => [f.policyName, f.enforcementLevel, f.resourceUrn?.split("::").pop()]),
                [["no-privilege-escalation", "mandatory", "app-deployment"]]);
            assert.match(preview, /\[mandatory\] +no-privilege-escalation +\(kubernetes:apps\/v1:Deployment: app-deployment\)\n.*\n +container "node" may escalate privileges/);

            // Another rule, at `npm run up` as a user runs it: stopped in its preview pass.
            edited("runAsNonRoot: true,", "runAsNonRoot: false,");
            const up = await promisify(execFile)("bash", [path.join(bad.dir, "tools", "up.sh")], {
                cwd: bad.dir, env: { ...process.env, ...bad.env, KUBE_DEMO_STACK: bad.stack.name },
            }).then(() => assert.fail("npm run up went through"), (error: unknown) => error as { stdout: string; stderr: string });
            const output = up.stdout + up.stderr;
            // One line: the rule, the resource and the finding, without the CLI's description line.
            assert.match(up.stderr, /^run-as-non-root on kubernetes:apps\/v1:Deployment app-deployment: container "node" may run as root: set securityContext.runAsNonRoot: true$/m);
            assert.doesNotMatch(output, /Every container runs as a user other than root/);
            assert.match(up.stderr, /^Stopped at the preview: nothing was changed.$/m);
            assert.doesNotMatch(output, /creating|created/, "the update started");

            const state = await bad.stack.exportStack();
            assert.deepEqual(stateResources(state).filter((r) => r.type !== "pulumi:pulumi:Stack"), []);
            assert.ok(!clusters(bad).includes(bad.clusterName));
        } finally {
            await removeStack(bad);
        }
    });
});
