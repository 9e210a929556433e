// End to end: a Kind cluster with two workers, on kind's own CNI (kindnetd, built into the
// toolchain's node image). Scenarios run in order on one stack of their own; the last one
// ends it as a user might: the cluster deleted by hand, then `pulumi destroy`.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { found } from "../support/present";
import { get, kind, kubectl, lastLoad, loadLoop, newStack, removeStack, stateResources, stringOutput, TestStack, toolchainForTests } from "../support/stacks";

const { env: toolchainEnv, skip } = toolchainForTests("e2e");

interface Pod { metadata: { name: string }; spec: { nodeName: string }; status: { phase: string } }
interface PodList { items: Pod[] }

describe("a cluster with two workers", () => {
    // Unset when the suite is skipped, or before() failed first.
    let multi: TestStack | undefined;
    let url: string;
    const stack = () => found(multi, "the test stack");
    const podsIn = (namespace: string, selector: string): Pod[] =>
        (JSON.parse(kubectl(stack(), ["get", "pods", "-n", namespace, "-l", selector, "-o", "json"])) as PodList).items
            .filter((pod) => pod.status.phase === "Running");
    const pods = () => podsIn("default", "app=node-web");
    /** The node each app instance runs on, by the id it prints when it starts (app/server.js). */
    const nodeOfInstance = (): Map<string, string> => new Map(pods().flatMap((pod) => {
        const id = /listening on :\d+ as (\S+)/.exec(kubectl(stack(), ["logs", pod.metadata.name]))?.[1];
        return id ? [[id, pod.spec.nodeName] as [string, string]] : [];
    }));

    before(async () => {
        if (!skip) {
            multi = await newStack(toolchainEnv, { workers: "2" });
        }
    });

    after(async () => {
        if (multi !== undefined) {
            await removeStack(multi);
        }
    });

    test("1. up: 3 nodes Ready, the pods spread over the workers, new connections reach pods on both", { skip }, async () => {
        const started = Date.now();
        const result = await stack().stack.up();
        console.log(`# cold up with 2 workers: ${((Date.now() - started) / 1000).toFixed(1)} s`);
        url = stringOutput(result.outputs, "url");

        const nodes = kubectl(stack(), ["get", "nodes", "--no-headers"]).trim().split("\n");
        assert.equal(nodes.length, 3, nodes.join("\n"));
        assert.ok(nodes.every((line) => / Ready /.test(line)), nodes.join("\n"));
        assert.equal(podsIn("kube-system", "app=kindnet").length, 3, "kindnetd on every node");

        const workers = new Set(pods().map((pod) => pod.spec.nodeName));
        assert.equal(pods().length, 3);
        assert.equal(workers.size, 2, `pods on ${[...workers].join(", ")}`);
        assert.ok([...workers].every((node) => node.includes("worker")), "kind's control plane is tainted: pods run on the workers");

        // Through 127.0.0.1:hostPort, the control plane's NodePort, to pods on both workers.
        const instances = nodeOfInstance();
        const reached = new Set<string>();
        for (let i = 0; i < 30; i++) {
            const id = /^Hello World: (\S+)\n$/.exec(await get(url))?.[1];
            reached.add(found(instances.get(found(id, "the instance id in the answer")), `the pod that answered as ${id ?? "?"}`));
        }
        assert.equal(reached.size, 2, `30 connections reached pods on ${[...reached].join(", ")}`);

        // A new cluster: every node gets every layer.
        const loads = await lastLoad(stack());
        assert.equal(loads.length, 3, JSON.stringify(loads));
        assert.ok(loads.every((load) => load.sent === load.total), JSON.stringify(loads));
    });

    test("2. an edit rolls out to pods on both workers under load with no failed request; each node gets only the new layer", { skip }, async () => {
        const server = path.join(stack().dir, "app", "server.js");
        fs.writeFileSync(server, fs.readFileSync(server, "utf8").replace("`Hello World: ", "`Hello nodes: "));
        const load = loadLoop(url);
        try {
            await stack().stack.up();
        } finally {
            await load.stop({ seconds: 5, atLeast: 600 });
        }
        console.log(`# load across the rollout on 2 workers: ${load.summary()}`);
        assert.deepEqual(load.failures, [], load.summary());
        assert.ok(load.replies.length >= 600, load.summary());
        assert.equal(new Set(pods().map((pod) => pod.spec.nodeName)).size, 2);
        for (let i = 0; i < 10; i++) {
            assert.match(await get(url), /^Hello nodes: /);
        }
        const loads = await lastLoad(stack());
        assert.equal(loads.length, 3);
        assert.ok(loads.every((l) => l.sent < l.total && l.bytes < 64 * 1024), JSON.stringify(loads));
    });

    test("3. workers 2 to 0: the cluster is replaced by a single node, the app answers, nothing is left to change", { skip }, async () => {
        await stack().stack.setConfig("workers", { value: "0" });
        const result = await stack().stack.up();
        assert.equal(result.summary.resourceChanges?.replace !== undefined, true, JSON.stringify(result.summary.resourceChanges));
        const nodes = kubectl(stack(), ["get", "nodes", "--no-headers"]).trim().split("\n");
        assert.equal(nodes.length, 1, nodes.join("\n"));
        assert.match(await get(url), /^Hello nodes: /);
        assert.equal(pods().length, 3);
        await stack().stack.preview({ expectNoChanges: true });
    });

    test("4. destroy succeeds when the cluster was already deleted outside; the state is empty", { skip }, async () => {
        kind(stack(), ["delete", "cluster", "--name", stack().clusterName]);
        await stack().stack.destroy();
        assert.deepEqual(stateResources(await stack().stack.exportStack()), []);
    });
});
