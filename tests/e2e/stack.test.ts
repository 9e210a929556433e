// End to end: the real Pulumi CLI, providers, Docker and kind on this machine.
// Starts from a new stack with nothing deployed; the scenarios run in order on it, each from the
// state the one before left, and each asserts what a user would check by hand.
// The stack reaches the Docker engine only through a non-default `docker context`, as on Colima,
// Rancher Desktop or rootless Docker (tests/support/engine.ts). Scenario 11 stops the engine
// in the middle of an up (and starts it again): tests/e2e/run.sh runs this file last in its lane and names in
// KUBE_DEMO_E2E_RESTART_WHEN a file it creates once the other lane has ended, which the restart
// waits for; it runs only with KUBE_DEMO_E2E_RESTART_DOCKER=1 (CI), elsewhere it says so in one line.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe } from "node:test";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import * as YAML from "yaml";
import { contentTag } from "../../image";
import { changedResources } from "../support/events";
import { clientKeys, clientKeysIn, printed, printedClientKeys } from "../support/leaks";
import { get, loadLoop, servedWithin } from "../support/load";
import { timedScenarios } from "../support/scenarios";
import {
    clusters, kind, kubectl, lastLoad, newStack, nodeGotWholeImage, nodeVolumes, preloads, registryContainer, registryContainers, removeStack, stateResources,
    stringOutput, TestStack, untilRegistryHolds, volumesLeft,
} from "../support/stack";
import { toolchainForTests } from "../support/toolchain";
import { contextOnlyEngine, ContextOnlyEngine, direct, startDockerEngine, stopDockerEngine, untilOtherLaneEnded, whyNoEngineRestart } from "../support/engine";
import { at, found } from "../support/present";

/** What kubectl prints (-o json) of a Deployment and of pods: the fields read here. */
interface DeploymentJson { status: { readyReplicas?: number } }
interface PodListJson { items: { spec: { containers: { image: string }[] } }[] }

const { env: toolchainEnv, skip } = toolchainForTests("e2e");
const hello = /^Hello World: [0-9a-f-]{36}\n$/;
const scenario = timedScenarios(skip);
const noRestart = skip || whyNoEngineRestart();
if (noRestart && !skip) {
    console.log(noRestart);
}

describe("the stack on a real Kind cluster", () => {
    let engine: ContextOnlyEngine | undefined;
    /** The stack as the Pulumi CLI runs it: no DOCKER_HOST, the engine through the context. */
    let viaContext: TestStack;
    /** The same stack for the test's own docker, kind and kubectl calls. */
    let main: TestStack;
    let url: string;

    before(async () => {
        if (skip) {
            return;
        }
        engine = await contextOnlyEngine(toolchainEnv);
        viaContext = await newStack(toolchainEnv, {}, engine.env, engine.cli);
        main = direct(viaContext);
        // The user's own kubeconfig, with a context of theirs that must survive everything.
        fs.writeFileSync(main.kubeconfigPath, [
            "apiVersion: v1", "kind: Config", "current-context: mine",
            "clusters: [{name: mine, cluster: {server: 'https://127.0.0.1:1'}}]",
            "contexts: [{name: mine, context: {cluster: mine, user: mine}}]",
            "users: [{name: mine, user: {token: keep-me}}]", "",
        ].join("\n"));
    });

    after(async () => {
        // Unset when the suite is skipped, or before() failed first.
        try {
            if ((main as TestStack | undefined) !== undefined) {
                await removeStack(main);
            }
        } finally {
            engine?.close();
        }
    });

    scenario("1. cold up through the docker context: the app answers from 3 ready pods running the content-tagged image", async () => {
        assert.equal(viaContext.env.DOCKER_HOST, undefined);
        const result = await main.stack.up();
        url = stringOutput(result.outputs, "url");
        assert.match(await get(url), hello);

        const deployment = JSON.parse(kubectl(main, ["get", "deployment", "node-deployment", "-o", "json"])) as DeploymentJson;
        assert.equal(deployment.status.readyReplicas, 3);
        const pods = (JSON.parse(kubectl(main, ["get", "pods", "-l", "app=node-web", "-o", "json"])) as PodListJson).items;
        assert.equal(pods.length, 3);

        const tag = contentTag(path.join(main.dir, "app"), { BASE_IMAGE: found(toolchainEnv.NODE_BASE_IMAGE, "NODE_BASE_IMAGE") });
        assert.equal(stringOutput(result.outputs, "image"), `node-app:${tag}`);
        // A new cluster gets every layer, from the preload beside kind create; the load after it finds the image there.
        const preloaded = await preloads(main);
        const loaded = await lastLoad(main);
        const node = `${main.clusterName}-control-plane`;
        assert.ok(nodeGotWholeImage(node, preloaded, loaded), JSON.stringify({ preloaded, loaded }));
        assert.deepEqual(loaded, [{ node, alreadyThere: true, sent: 0, bytes: 0 }], "the preload loaded the image before the load ran");
        for (const pod of pods) {
            assert.equal(at(pod.spec.containers, 0).image, `node-app:${tag}`);
        }

        const replies = new Set<string>();
        for (let i = 0; i < 30; i++) {
            replies.add(await get(url));
        }
        assert.ok(replies.size >= 2, `30 connections reached ${replies.size} pod(s)`);

        assert.match(kubectl(main, ["get", "nodes"]), / Ready /);
        // The app's port and the API server's are published on 127.0.0.1 only, as Docker bound them.
        const bindings = JSON.parse(execFileSync("docker", ["inspect", "--format", "{{json .NetworkSettings.Ports}}", `${main.clusterName}-control-plane`],
            { env: { ...process.env, ...main.env }, encoding: "utf8" })) as Record<string, { HostIp: string }[] | null>;
        const published = Object.values(bindings).flatMap((b) => b ?? []);
        assert.equal(published.length, 2, JSON.stringify(bindings));
        assert.deepEqual([...new Set(published.map((b) => b.HostIp))], ["127.0.0.1"]);
        assert.match(fs.readFileSync(main.kubeconfigPath, "utf8"), /keep-me/, "the user's own context is kept");
        assert.equal(found(result.outputs.kubeconfig, "the kubeconfig output").secret, true);
    });

    scenario("2. no-op: a second up changes nothing, builds nothing, loads nothing", async () => {
        const events: EngineEvent[] = [];
        const result = await main.stack.up({ onEvent: (e) => events.push(e) });
        assert.deepEqual(changedResources(events), []);
        // Only "same": the program reads nothing back from its own stack (cluster.ts).
        assert.deepEqual(Object.keys(result.summary.resourceChanges ?? {}), ["same"]);
        await main.stack.preview({ expectNoChanges: true });
    });

    scenario("3. two ups at once: the state lock refuses the second with a clear message; the state stays intact", async () => {
        const [first, second] = await Promise.allSettled([main.stack.up(), main.stack.up()]);
        const refused = [first, second].filter((r): r is PromiseRejectedResult => r.status === "rejected");
        assert.equal(refused.length, 1, `${refused.length} of 2 concurrent ups were refused`);
        assert.match(String(at(refused, 0).reason), /currently locked/);
        await main.stack.preview({ expectNoChanges: true });
        assert.match(await get(url), hello);
    });

    scenario("4. an edit the build does not see (app/README.md, app/test) changes nothing", async () => {
        fs.appendFileSync(path.join(main.dir, "app", "README.md"), "\nAn edit to the docs.\n");
        fs.writeFileSync(path.join(main.dir, "app", "test", "new.test.mjs"), "// a new test\n");
        await main.stack.preview({ expectNoChanges: true });
    });

    scenario("5. code edit: only the image, its load, the images' record and the Deployment change; the rollout drops no request", async () => {
        // The cold up's load started the cluster's registry and gave it the image, in the background.
        await untilRegistryHolds(main, "node-app");
        const server = path.join(main.dir, "app", "server.js");
        fs.writeFileSync(server, fs.readFileSync(server, "utf8").replace("`Hello World: ", "`Hello again: "));

        const events: EngineEvent[] = [];
        await main.stack.preview({ onEvent: (e) => events.push(e) });
        assert.deepEqual(changedResources(events), [
            "replace command:local:Command", // the load, for the new image
            "replace command:local:Command", // the rollout check, for the Deployment's new generation
            "update command:local:Command", // the images to remove at destroy: it names the new one (runs nothing)
            "update docker:index/image:Image",
            "update kubernetes:apps/v1:Deployment",
        ]);

        const load = loadLoop(url);
        try {
            await main.stack.up();
        } finally {
            await load.stop({ seconds: 5, atLeast: 600 });
        }
        console.log(`# load across the rollout: ${load.summary()}`);
        assert.deepEqual(load.failures, [], load.summary());
        assert.ok(load.rate() >= 20, `at least 20 req/s: ${load.summary()}`);
        assert.ok(load.replies.length >= 600, load.summary());
        for (let i = 0; i < 20; i++) {
            assert.match(await get(url), /^Hello again: /);
        }
        // The node already had the base image's layers: only the app's new layer went over,
        // through the cluster's registry.
        const sent = at(await lastLoad(main), 0);
        assert.ok(!sent.alreadyThere && sent.sent < sent.total && sent.viaRegistry, JSON.stringify(sent));
        assert.ok(sent.bytes < 64 * 1024, `${sent.bytes} bytes sent for a one-line edit`);
    });

    scenario("5b. the cluster's registry stopped: an edit is loaded without it, and the registry runs again after", async () => {
        execFileSync("docker", ["stop", registryContainer(main)], { env: { ...process.env, ...main.env }, stdio: "ignore" });
        const server = path.join(main.dir, "app", "server.js");
        fs.writeFileSync(server, fs.readFileSync(server, "utf8").replace("`Hello again: ", "`Hello without a registry: "));
        await main.stack.up();
        assert.match(await get(url), /^Hello without a registry: /);
        const sent = at(await lastLoad(main), 0);
        assert.ok(!sent.alreadyThere && !sent.viaRegistry && sent.bytes < 64 * 1024, JSON.stringify(sent));
        // The load started it again in the background, with the new image.
        await untilRegistryHolds(main, "node-app");
        await main.stack.preview({ expectNoChanges: true });
        fs.writeFileSync(server, fs.readFileSync(server, "utf8").replace("`Hello without a registry: ", "`Hello again: "));
        await main.stack.up();
        assert.ok(at(await lastLoad(main), 0).alreadyThere || (at(await lastLoad(main), 0) as { viaRegistry: boolean }).viaRegistry);
    });

    scenario("6. scale 3 to 5: only the Deployment changes (and its rollout is awaited); 5 pods Ready", async () => {
        await main.stack.setConfig("replicas", { value: "5" });
        const events: EngineEvent[] = [];
        await main.stack.up({ onEvent: (e) => events.push(e) });
        assert.deepEqual(changedResources(events), ["replace command:local:Command", "update kubernetes:apps/v1:Deployment"]);
        const deployment = JSON.parse(kubectl(main, ["get", "deployment", "node-deployment", "-o", "json"])) as DeploymentJson;
        assert.equal(deployment.status.readyReplicas, 5);
    });

    scenario("7. a second stack on the same cluster name is refused; the cluster stays", async () => {
        const intruder = await newStack(toolchainEnv, { clusterName: main.clusterName }, { KUBECONFIG: main.kubeconfigPath });
        try {
            await assert.rejects(intruder.stack.up(), /A kind cluster named '.*' already exists and this stack did not create it/);
            assert.ok(clusters(main).includes(main.clusterName));
            assert.match(await get(url), /^Hello again: /);
        } finally {
            // Its destroy must not delete the cluster it never created.
            await intruder.stack.destroy();
            await intruder.stack.workspace.removeStack(intruder.stack.name);
            fs.rmSync(intruder.dir, { recursive: true, force: true });
        }
        assert.ok(clusters(main).includes(main.clusterName));
    });

    scenario("8. the kind context removed from the user's kubeconfig by hand: up and preview still work, and leave it removed", async () => {
        const context = `kind-${main.clusterName}`;
        execFileSync("kubectl", ["config", "delete-context", context], { env: { ...process.env, ...main.env }, stdio: "ignore" });
        // The provider talks to the cluster through the stack's own kubeconfig, not the user's.
        await main.stack.up();
        await main.stack.preview({ expectNoChanges: true });
        assert.match(await get(url), /^Hello again: /);
        const kubeconfig = YAML.parse(fs.readFileSync(main.kubeconfigPath, "utf8")) as { contexts?: { name: string }[] };
        assert.ok(!(kubeconfig.contexts ?? []).some((c) => c.name === context), "the user's edit is respected");
        assert.ok((kubeconfig.contexts ?? []).some((c) => c.name === "mine"));
    });

    scenario("9. a failing image load: up fails with one line naming the node and the cause; the next up loads and rolls out", async () => {
        const node = `${main.clusterName}-control-plane`;
        const docker = (...args: string[]) => execFileSync("docker", args, { env: { ...process.env, ...main.env }, stdio: "ignore" });
        // containerd's client on the node, gone: the load cannot list or import anything there.
        docker("exec", node, "mv", "/usr/local/bin/ctr", "/usr/local/bin/ctr.hidden");
        const server = path.join(main.dir, "app", "server.js");
        fs.writeFileSync(server, fs.readFileSync(server, "utf8").replace("`Hello again: ", "`Hello after a failed load: "));
        try {
            const error = await main.stack.up().then(() => undefined, (err: unknown) => String(err));
            assert.ok(error, "the up fails");
            assert.match(error, new RegExp(`failed: node ${node}: [^\n]*ctr[^\n]*not found`));
            assert.match(await get(url), /^Hello again: /, "the running version still serves");
        } finally {
            docker("exec", node, "mv", "/usr/local/bin/ctr.hidden", "/usr/local/bin/ctr");
        }
        // The state is consistent: the preview still plans the load, and the next up does it.
        const events: EngineEvent[] = [];
        await main.stack.preview({ onEvent: (e) => events.push(e) });
        assert.ok(changedResources(events).includes("replace command:local:Command"), changedResources(events).join(", "));
        await main.stack.up();
        await servedWithin(url, "Hello after a failed load: ");
        await main.stack.preview({ expectNoChanges: true });
    });

    scenario("10. the control plane stopped by hand: preview and up stop with one line naming it and `docker start`; after it, up ends with the app answering", async () => {
        const node = `${main.clusterName}-control-plane`;
        const docker = (args: string[]) => execFileSync("docker", args, { env: { ...process.env, ...main.env }, stdio: "ignore" });
        docker(["stop", node]);
        const line = `the kind cluster '${main.clusterName}' has stopped nodes (${node}); Docker did not start them again. Start them (docker start ${node})`;
        await assert.rejects(main.stack.preview(), (error: Error) => error.message.includes(line));
        await assert.rejects(main.stack.up(), (error: Error) => error.message.includes(line));
        // What the line says to do; up then waits for the API server.
        docker(["start", node]);
        await main.stack.up();
        for (let i = 0; i < 10; i++) {
            assert.match(await get(url), /^Hello after a failed load: /);
        }
        await main.stack.preview({ expectNoChanges: true });
    });

    scenario("11. the Docker engine stopped during an up's image load: up fails within a minute with one line naming the engine; once it is started again, up completes and nothing is left to change", async () => {
        await untilOtherLaneEnded();
        const server = path.join(main.dir, "app", "server.js");
        fs.writeFileSync(server, fs.readFileSync(server, "utf8").replace("`Hello after a failed load: ", "`Hello after the engine stopped: "));
        // Stopped once the image is built: the load is the next step, and it finds no engine.
        let stoppedAt = 0;
        const failed = await main.stack.up({
            onEvent: (e) => {
                if (!stoppedAt && e.resOutputsEvent?.metadata.urn.endsWith("::app-build")) {
                    stoppedAt = Date.now();
                    stopDockerEngine();
                }
            },
        }).then(() => undefined, (err: unknown) => String(err));
        const seconds = (Date.now() - stoppedAt) / 1000;
        console.log(`# up failed ${seconds.toFixed(1)} s after the engine stopped`);
        assert.ok(stoppedAt > 0, "the engine was stopped after the build");
        assert.ok(failed, "the up fails");
        assert.ok(seconds < 60, `within a minute: ${seconds.toFixed(1)} s`);
        assert.match(failed, /failed: the Docker engine stopped answering \([^\n]*\); start it again and rerun the update/);

        const restarted = Date.now();
        startDockerEngine(toolchainEnv);
        console.log(`# dockerd started in ${((Date.now() - restarted) / 1000).toFixed(1)} s`);
        // Straight away, as a user would: kind's node comes back by its restart policy, its API
        // server and pods after it; the load the failed up left to do runs, then the rollout.
        const started = Date.now();
        const result = await main.stack.up();
        console.log(`# up after the engine came back: ${((Date.now() - started) / 1000).toFixed(1)} s`);
        // On new connections, so kube-proxy picks a pod for each: every pod, at its new address.
        await servedWithin(url, "Hello after the engine stopped: ", 60);
        const waited = /waited (\d+\.\d) s for the API server/.exec(result.stdout)?.[1];
        console.log(`# the program waited ${waited ?? "0"} s for the API server`);
        await main.stack.preview({ expectNoChanges: true });
    }, noRestart);

    scenario("12. drift: a cluster deleted behind the stack's back is rebuilt by the next up", async () => {
        kind(main, ["delete", "cluster", "--name", main.clusterName]);
        await assert.rejects(get(url));
        // The preview already shows the rebuild, the cluster first.
        const events: EngineEvent[] = [];
        await main.stack.preview({ onEvent: (e) => events.push(e) });
        assert.ok(changedResources(events).includes("replace command:local:Command"), changedResources(events).join(", "));
        const result = await main.stack.up();
        // The greeting of the last edit: scenario 11's, unless it was skipped.
        const greeting = /`(Hello [^`]*?: )\$\{instanceId\}/.exec(fs.readFileSync(path.join(main.dir, "app", "server.js"), "utf8"))?.[1];
        assert.ok((await get(stringOutput(result.outputs, "url"))).startsWith(found(greeting, "the greeting in app/server.js")));
        const deployment = JSON.parse(kubectl(main, ["get", "deployment", "node-deployment", "-o", "json"])) as DeploymentJson;
        assert.equal(deployment.status.readyReplicas, 5);
        await main.stack.preview({ expectNoChanges: true });
    });

    scenario("13. destroy: no cluster, no kind context, no resources; the user's context stays; the nodes' volumes follow", async () => {
        const volumes = nodeVolumes(main);
        assert.ok(volumes.length > 0, "each kind node has a volume for /var");
        await main.stack.destroy();
        assert.ok(!clusters(main).includes(main.clusterName));
        // Removed after destroy returns (cluster.ts, deleteScript): within seconds.
        for (const until = Date.now() + 30_000; Date.now() < until && volumesLeft(main, volumes).length > 0;) {
            await new Promise((resolve) => setTimeout(resolve, 250));
        }
        assert.deepEqual(volumesLeft(main, volumes), []);
        assert.deepEqual(registryContainers(main), [], "the cluster's registry goes with it");
        const kubeconfig = fs.readFileSync(main.kubeconfigPath, "utf8");
        assert.doesNotMatch(kubeconfig, new RegExp(`kind-${main.clusterName}`));
        assert.match(kubeconfig, /keep-me/);
        const state = await main.stack.exportStack();
        assert.deepEqual(stateResources(state), []);
    });

    scenario("14. no output of up, preview or destroy, failed ones included, shows a cluster's client key", () => {
        // Scenarios 1 and 11 each made a cluster; the real command plugin quotes a failed
        // script's whole stdout and stderr, so the kubeconfig must never reach either.
        assert.ok(clientKeys.size >= 2, `${clientKeys.size} cluster keys collected`);
        assert.ok(printed.length > 0);
        assert.deepEqual(printedClientKeys(), []);
        // Nor does the state: the backend's files, backups and history included.
        const stateFiles = (fs.readdirSync(path.join(main.dir, "state"), { recursive: true }) as string[])
            .map((file) => path.join(main.dir, "state", file)).filter((file) => fs.statSync(file).isFile());
        assert.ok(stateFiles.some((file) => file.endsWith(".json")), stateFiles.join(", "));
        assert.deepEqual(clientKeysIn(stateFiles.map((file) => fs.readFileSync(file, "utf8"))), []);
    });
});
