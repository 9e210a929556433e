// End to end: the `apps` setting on one stack, deployed first by the version before it existed.
// The upgrade changes nothing; two apps (the seed's app/ as `web` and a second with plain and
// secret environment), each on a port proxy of its own, both answer; an edit to the second rolls out
// the second alone while the first serves on; a third app added and removed leaves the cluster
// and the other apps' pods as they were; the dev loop rolls out an edited app alone; the secret
// is in no output; destroy leaves no proxy.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe } from "node:test";
import { portProxyLabel } from "../../readiness";
import { DevLoop, updateLine } from "../support/dev-loop";
import { printed } from "../support/leaks";
import { get, loadLoop } from "../support/load";
import { freePort } from "../support/ports";
import { found } from "../support/present";
import { copyProject } from "../support/project";
import { kubectl, newStack, removeStack, stringOutput, TestStack } from "../support/stack";
import { timedScenarios } from "../support/scenarios";
import { toolchainForTests } from "../support/toolchain";

const { env: toolchainEnv, skip } = toolchainForTests("e2e");
const scenario = timedScenarios(skip);

/** The last commit before the `apps` setting: a stack it deployed must find nothing to change. */
const versionBefore = "7a2002b";

const secretToken = `tok-${Math.random().toString(36).slice(2, 10)}`;
const tokenHash = createHash("sha256").update(secretToken).digest("hex").slice(0, 12);

interface DeploymentJson { metadata: { generation: number } }
interface PodList { items: { metadata: { name: string; deletionTimestamp?: string } }[] }

describe("your own apps, on a stack deployed before the apps setting", () => {
    let test: TestStack | undefined;
    const stack = () => found(test, "the test stack");
    let seedPort: number;
    let webPort: number;
    let greeterPort: number;
    let node: string;
    const docker = (args: string[]) => execFileSync("docker", args, { env: { ...process.env, ...toolchainEnv }, encoding: "utf8" }).trim();
    const nodeId = () => docker(["inspect", "--format", "{{.Id}}", `${stack().clusterName}-control-plane`]);
    const generation = (name: string) => (JSON.parse(kubectl(stack(), ["get", "deployment", name, "-o", "json"])) as DeploymentJson).metadata.generation;
    // The app's pods but those a rollout is stopping.
    const podNames = (app: string) => (JSON.parse(kubectl(stack(), ["get", "pods", "-l", `app=${app}`, "-o", "json"])) as PodList).items
        .filter((pod) => !pod.metadata.deletionTimestamp).map((pod) => pod.metadata.name).sort();
    const proxies = () => docker(["ps", "--all", "--filter", `label=${portProxyLabel}=${stack().clusterName}`, "--format", "{{.Names}}"]).split("\n").filter(Boolean).sort();

    before(async () => {
        if (skip) {
            return;
        }
        seedPort = await freePort();
        webPort = await freePort();
        greeterPort = await freePort();
        test = await newStack(toolchainEnv, { hostPort: String(seedPort) }, {}, undefined, copyProject({ commit: versionBefore }));
    });
    after(async () => {
        if (test) {
            await removeStack(test);
        }
    });

    scenario("1. a stack the version before deployed, upgraded to this one: preview changes nothing, up keeps the cluster", async () => {
        await stack().stack.up();
        node = nodeId();
        copyProject({ into: stack().dir });
        await stack().stack.preview({ expectNoChanges: true });
        const result = await stack().stack.up();
        assert.deepEqual(result.outputs.urls?.value, { app: `http://127.0.0.1:${seedPort}` });
        assert.equal(nodeId(), node);
    });

    scenario("2. two apps in place of the seed's, each on a port proxy: both answer, the secret reaches its pods, the cluster stays", async () => {
        const greeter = "apps[1]";
        await stack().stack.setAllConfig({
            "apps[0].name": { value: "web" }, "apps[0].context": { value: "app" }, "apps[0].readinessPath": { value: "/healthz" },
            "apps[0].hostPort": { value: String(webPort) },
            [`${greeter}.name`]: { value: "greeter" }, [`${greeter}.context`]: { value: "tests/apps/greeter" },
            [`${greeter}.port`]: { value: "9000" }, [`${greeter}.readinessPath`]: { value: "/ready" }, [`${greeter}.hostPort`]: { value: String(greeterPort) },
            [`${greeter}.env.GREETING`]: { value: "Hello" }, [`${greeter}.secretEnv.TOKEN`]: { value: secretToken, secret: true },
        }, true);
        const result = await stack().stack.up();
        assert.match(await get(`http://127.0.0.1:${webPort}`), /^Hello World: /);
        assert.equal(await get(`http://127.0.0.1:${greeterPort}`), `Hello from greeter, token ${tokenHash}\n`);
        assert.deepEqual(result.outputs.urls?.value, { web: `http://127.0.0.1:${webPort}`, greeter: `http://127.0.0.1:${greeterPort}` });
        assert.equal(stringOutput(result.outputs, "url"), `http://127.0.0.1:${webPort}`);
        assert.equal(nodeId(), node, "the cluster stays");
        assert.deepEqual(proxies(), [`${stack().clusterName}-greeter-port`, `${stack().clusterName}-web-port`]);
        await assert.rejects(get(`http://127.0.0.1:${seedPort}`), "the seed's app is gone with its objects");
        await stack().stack.preview({ expectNoChanges: true });
    });

    scenario("3. an edit to the second app rolls out the second alone; the first serves on with no failed request", async () => {
        const server = path.join(stack().dir, "tests", "apps", "greeter", "server.js");
        fs.writeFileSync(server, fs.readFileSync(server, "utf8").replace("from greeter", "from the edited greeter"));
        const [web, greeter] = [generation("web"), generation("greeter")];
        const webPods = podNames("web");
        const load = loadLoop(`http://127.0.0.1:${webPort}`);
        await stack().stack.up();
        await load.stop({ seconds: 1, atLeast: 30 });
        console.log(`# load on the first app during the second's rollout: ${load.summary()}`);
        assert.deepEqual(load.failures, []);
        assert.equal(generation("web"), web, "the first app's Deployment is untouched");
        assert.equal(generation("greeter"), greeter + 1, "one rollout of the second");
        assert.deepEqual(podNames("web"), webPods);
        assert.match(await get(`http://127.0.0.1:${greeterPort}`), /^Hello from the edited greeter, /);
    });

    scenario("4. a third app added, then removed: the cluster and the other apps' pods stay, the first serves with no failed request", async () => {
        const thirdPort = await freePort();
        const before = { web: podNames("web"), greeter: podNames("greeter") };
        const load = loadLoop(`http://127.0.0.1:${webPort}`);
        // No readiness path: the probe and the up's wait use a TCP connection.
        await stack().stack.setAllConfig({
            "apps[2].name": { value: "third" }, "apps[2].context": { value: "tests/apps/greeter" }, "apps[2].port": { value: "9000" },
            "apps[2].hostPort": { value: String(thirdPort) }, "apps[2].replicas": { value: "1" },
        }, true);
        const added = await stack().stack.up();
        assert.equal(await get(`http://127.0.0.1:${thirdPort}`), `Hi from the edited greeter, token ${createHash("sha256").update("").digest("hex").slice(0, 12)}\n`);
        assert.equal(Object.keys(found(added.outputs.urls, "urls").value as object).length, 3);
        assert.deepEqual({ web: podNames("web"), greeter: podNames("greeter") }, before);
        await stack().stack.removeConfig("apps[2]", true);
        await stack().stack.up();
        await load.stop({ seconds: 0, atLeast: 30 });
        console.log(`# load on the first app while the third came and went: ${load.summary()}`);
        assert.deepEqual(load.failures, []);
        await assert.rejects(get(`http://127.0.0.1:${thirdPort}`));
        assert.deepEqual(proxies(), [`${stack().clusterName}-greeter-port`, `${stack().clusterName}-web-port`]);
        assert.deepEqual({ web: podNames("web"), greeter: podNames("greeter") }, before);
        assert.equal(nodeId(), node, "the cluster stays");
        await stack().stack.preview({ expectNoChanges: true });
    });

    scenario("5. the dev loop on the two apps: an edit to the second rolls out the second alone, its line naming it", async () => {
        const loop = new DevLoop(stack());
        try {
            const { match: watching } = await loop.line(/^watching .*$/, 0, 60);
            assert.match(watching[0], /^watching app\/, tests\/apps\/greeter\/ /);
            const [web, greeter] = [generation("web"), generation("greeter")];
            const from = loop.lines.length;
            const server = path.join(stack().dir, "tests", "apps", "greeter", "server.js");
            fs.writeFileSync(server, fs.readFileSync(server, "utf8").replace("from the edited greeter", "from the loop's greeter"));
            const { match } = await loop.line(updateLine, from, 120);
            console.log(`# dev loop: ${match[0]}`);
            const groups = found(match.groups, "the line's fields");
            assert.equal(groups.what, "greeter: tests/apps/greeter/server.js");
            assert.match(found(groups.image, "its image"), /^greeter:[0-9a-f]{16}$/);
            assert.equal(generation("web"), web, "the first app's Deployment is untouched");
            assert.equal(generation("greeter"), greeter + 1);
            assert.match(await get(`http://127.0.0.1:${greeterPort}`), /^Hello from the loop's greeter, /);
        } finally {
            await loop.stop();
        }
    });

    scenario("6. no output of the suite's operations holds the secret; destroy leaves no port proxy", async () => {
        const outputs = await stack().stack.outputs();
        assert.ok(!JSON.stringify(outputs).includes(secretToken), "not in the stack's outputs");
        assert.deepEqual(printed.filter((text) => text.includes(secretToken)), [], "not in anything up, preview or destroy printed");
        await stack().stack.destroy();
        assert.deepEqual(proxies(), []);
    });
});
