// End to end: one stack of its own through a cluster's life, the scenarios in order, each from
// the state the one before left (one cluster boot fewer than a file each: on 2 cores boots are
// what the suite waits for).
// 1-3: a Kind cluster with two workers, the app in a namespace of its own (web), on kind's own CNI (kindnetd, built into the toolchain's
//      node image); a worker removed by hand, named, then the cluster deleted and recreated.
// 4-10: the dev loop (tools/dev.ts, `npm run dev`) on that cluster: scaled down to one node,
//      which replaces the cluster; then edits, and a broken edit under load, in the loop and
//      with plain `pulumi up`; ten saves in a row (the short soak) and the old images pruned.
// 11:  the dev loop killed (kill -9) during an update, and its terminal closed (SIGHUP); `npm run up` after each.
// 12:  the end a user might give it: the cluster deleted by hand, then `pulumi destroy`.
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { found } from "../support/present";
import { DevLoop, failedLine, sameImageLine, stepEndLine, stepStartLine, updateLine } from "../support/dev-loop";
import { get, loadLoop, servedWithin } from "../support/load";
import { processesIn, processesInGroup } from "../support/processes";
import { kind, kubectl, lastLoad, newStack, nodeGotWholeImage, preloads, removeStack, stateResources, stringOutput, TestStack } from "../support/stack";
import { timedScenarios } from "../support/scenarios";
import { dockerTags, noMoreOpenFiles, nodeTags, soak, soakReport } from "../support/soak";
import { toolchainForTests } from "../support/toolchain";

const { env: toolchainEnv, skip } = toolchainForTests("e2e");
const scenario = timedScenarios(skip);

function edit(file: string, from: string | RegExp, to: string): void {
    const text = fs.readFileSync(file, "utf8");
    const next = text.replace(from, to);
    assert.notEqual(next, text, `${from} is in ${file}`);
    fs.writeFileSync(file, next);
}

interface Pod { metadata: { name: string }; spec: { nodeName: string }; status: { phase: string } }
interface PodList { items: Pod[] }

describe("a stack from two workers to one node, with the dev loop on it", () => {
    // Unset when the suite is skipped, or before() failed first.
    let multi: TestStack | undefined;
    let url: string;
    // Set by scenario 4, which starts the dev loop.
    let devLoop: DevLoop | undefined;
    const loop = () => found(devLoop, "the dev loop (scenario 4 starts it)");
    let server: string;
    let goodServer: string;
    const stack = () => found(multi, "the test stack");
    const podsIn = (namespace: string, selector: string): Pod[] =>
        (JSON.parse(kubectl(stack(), ["get", "pods", "-n", namespace, "-l", selector, "-o", "json"])) as PodList).items
            .filter((pod) => pod.status.phase === "Running");
    // Its own namespace: the stack creates it, and the dev loop must find the pods there.
    const namespace = "web";
    const repository = "node-app-multi";
    const pods = () => podsIn(namespace, "app=node-web");
    /** The node each app instance runs on, by the id it prints when it starts (app/server.js). */
    const nodeOfInstance = (): Map<string, string> => new Map(pods().flatMap((pod) => {
        const id = /listening on :\d+ as (\S+)/.exec(kubectl(stack(), ["logs", "-n", namespace, pod.metadata.name]))?.[1];
        return id ? [[id, pod.spec.nodeName] as [string, string]] : [];
    }));

    before(async () => {
        if (!skip) {
            // A repository of its own: the images its edits leave and prune are this file's alone.
            multi = await newStack(toolchainEnv, { workers: "2", namespace, imageName: repository });
        }
    });

    after(async () => {
        await devLoop?.stop();
        if (multi !== undefined) {
            await removeStack(multi);
            spawnSync("docker", ["image", "rm", `${repository}:v1`], { stdio: "ignore" });
        }
    });

    scenario("1. up: 3 nodes Ready, the pods spread over the workers, new connections reach pods on both", async () => {
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

        // A new cluster: every node gets every layer, from the preload beside kind create or from the load.
        const loads = await lastLoad(stack());
        const preloaded = await preloads(stack());
        assert.equal(loads.length, 3, JSON.stringify(loads));
        assert.ok(loads.every((load) => nodeGotWholeImage(load.node, preloaded, loads)), JSON.stringify({ preloaded, loads }));
    });

    scenario("2. an edit rolls out to pods on both workers under load with no failed request; each node gets only the new layer", async () => {
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
        assert.ok(load.rate() >= 20, `at least 20 req/s: ${load.summary()}`);
        assert.ok(load.replies.length >= 600, load.summary());
        assert.equal(new Set(pods().map((pod) => pod.spec.nodeName)).size, 2);
        for (let i = 0; i < 10; i++) {
            assert.match(await get(url), /^Hello nodes: /);
        }
        const loads = await lastLoad(stack());
        assert.equal(loads.length, 3);
        assert.ok(loads.every((l) => !l.alreadyThere && l.sent < l.total && l.bytes < 64 * 1024), JSON.stringify(loads));
    });

    scenario("3. a worker removed by hand: preview and up stop with one line naming it and the command; after it, up recreates every node", async () => {
        const name = stack().clusterName;
        const lost = `${name}-worker2`;
        execFileSync("docker", ["rm", "--force", "--volumes", lost], { env: { ...process.env, ...stack().env }, stdio: "ignore" });
        const line = `the kind cluster '${name}' lost ${lost} (its container is gone) and kind cannot add a node to a cluster that runs: `
            + `delete the cluster (kind delete cluster --name ${name}) and run this again to have it created anew`;
        await assert.rejects(stack().stack.preview(), (error: Error) => error.message.includes(line));
        const started = Date.now();
        await assert.rejects(stack().stack.up(), (error: Error) => error.message.includes(line));
        assert.ok(Date.now() - started < 60_000, "up stops at once, before any step");
        // What the line says to do.
        kind(stack(), ["delete", "cluster", "--name", name]);
        await stack().stack.up();
        const nodes = kubectl(stack(), ["get", "nodes", "--no-headers"]).trim().split("\n");
        assert.equal(nodes.length, 3, nodes.join("\n"));
        assert.ok(nodes.every((node) => / Ready /.test(node)), nodes.join("\n"));
        assert.match(await get(url), /^Hello nodes: /);
        await stack().stack.preview({ expectNoChanges: true });
    });

    scenario("4. workers 2 to 0 in the dev loop: the cluster is replaced by a single node, each step printed as it starts and ends, the app answers, nothing is left to change", async () => {
        devLoop = new DevLoop(stack());
        await loop().line(/^watching /, 0, 60);
        const from = loop().lines.length;
        // Writes Pulumi.<stack>.yaml, which the loop watches, as an edit of the file would.
        await stack().stack.setConfig("workers", { value: "0" });
        const { index, match } = await loop().line(sameImageLine, from, 420);
        console.log(`# dev loop, cluster replaced: ${match[0]}`);
        const groups = found(match.groups, "the line's fields");
        assert.equal(groups.what, `Pulumi.${stack().stack.name}.yaml`);
        // The long step the update waits for, printed as it started and as it ended, before the summary.
        const steps = loop().lines.slice(from, index);
        console.log(steps.map((line) => `#   ${line}`).join("\n"));
        const newCluster = (line: RegExp) => steps.findIndex((text) => {
            const step = line.exec(text)?.groups;
            return step?.name === "cluster-kind" && step.op === "create-replacement";
        });
        assert.ok(newCluster(stepStartLine) >= 0 && newCluster(stepEndLine) > newCluster(stepStartLine), steps.join("\n"));
        const nodes = kubectl(stack(), ["get", "nodes", "--no-headers"]).trim().split("\n");
        assert.equal(nodes.length, 1, nodes.join("\n"));
        assert.match(await get(url), /^Hello nodes: /);
        assert.equal(pods().length, 3);
        await stack().stack.preview({ expectNoChanges: true });
    });

    scenario("5. in the dev loop, a saved edit is served, with one line naming the file, the new tag and the time, by the fast path and then recorded (one rollout, nothing left to change); the new pods' logs stream", async () => {
        server = path.join(stack().dir, "app", "server.js");
        goodServer = fs.readFileSync(server, "utf8");
        const from = loop().lines.length;
        const generation = () => Number(kubectl(stack(), ["get", "deployment/node-deployment", "-n", namespace, "-o", "jsonpath={.metadata.generation}"]));
        const generationBefore = generation();
        edit(server, "`Hello nodes: ", "`Hello from the loop: ");
        const { match } = await loop().line(updateLine, from, 180);
        console.log(`# dev loop: ${match[0]}`);
        const groups = found(match.groups, "the line's fields");
        assert.equal(groups.what, "app/server.js");
        assert.equal(groups.ready, groups.want);
        assert.equal(groups.want, "3");
        await servedWithin(url, "Hello from the loop: ");
        // Rolled out by the fast path (tools/fast-rollout.ts), then recorded by the update with no
        // second rollout: one new spec, and the state holds what runs.
        const managers = kubectl(stack(), ["get", "deployment/node-deployment", "-n", namespace, "--show-managed-fields", "-o", "jsonpath={.metadata.managedFields[*].manager}"]);
        assert.ok(managers.split(" ").includes("kube-demo-dev-loop"), managers);
        assert.equal(generation(), generationBefore + 1);
        await stack().stack.preview({ expectNoChanges: true });
        // Each new pod's first line, under its own prefix.
        await loop().line(/^\[node-deployment-[a-z0-9]+-[a-z0-9]+\] listening on :8080/, from, 30);
        assert.equal(loop().updates(from).length, 1, "one save, one update");
    });

    scenario("6. saves during an update queue at most one more update, which serves the last save", async () => {
        const from = loop().lines.length;
        edit(server, "`Hello from the loop: ", "`Queued 1: ");
        // The update runs for several seconds (build, load, rollout): these land in the middle of it.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        edit(server, "`Queued 1: ", "`Queued 2: ");
        edit(server, "`Queued 2: ", "`Queued 3: ");
        await loop().line(updateLine, from, 180);
        await servedWithin(url, "Queued 3: ", 180);
        // Until no update line has come for 20 s: the queued update, if any, has ended.
        for (let count = -1; count !== loop().updates(from).length;) {
            count = loop().updates(from).length;
            await new Promise((resolve) => setTimeout(resolve, 20_000));
        }
        // The first update may already have read the later saves (the program reads the files
        // once it runs, and a busy machine may show it every save before it starts): then the
        // queued one finds nothing to deploy and says so, or there is none.
        const updates = loop().updates(from);
        assert.ok(updates.length >= 1 && updates.length <= 2, updates.join("\n"));
        assert.ok(updates.every((line) => line.startsWith("app/server.js -> ") && !failedLine.test(line)), updates.join("\n"));
        for (let i = 0; i < 10; i++) {
            assert.match(await get(url), /^Queued 3: /);
        }
        const restored = loop().lines.length;
        edit(server, "`Queued 3: ", "`Hello from the loop: ");
        await loop().line(updateLine, restored, 180);
    });

    scenario("7. an edit the build does not see (.dockerignore) prints no update; an edited runtime script runs again, and the line says no image was built", async () => {
        const from = loop().lines.length;
        fs.appendFileSync(path.join(stack().dir, "app", "README.md"), "\nAn edit the image does not see.\n");
        await new Promise((resolve) => setTimeout(resolve, 5000));
        assert.deepEqual(loop().updates(from), []);

        const image = stringOutput(await stack().stack.outputs(), "image");
        fs.appendFileSync(path.join(stack().dir, "runtime", "wait-for-url.js"), "// An edit the engine must see.\n");
        const { match } = await loop().line(sameImageLine, from, 180);
        console.log(`# dev loop: ${match[0]}`);
        const groups = found(match.groups, "the line's fields");
        assert.equal(groups.what, "runtime/wait-for-url.js");
        assert.equal(groups.changed, "app-answers", "the URL wait, and nothing else, ran again");
        assert.equal(groups.image, image);
    });

    scenario("8. a broken edit under load: zero failed requests, the update fails within 60 s with the crash and its last log lines; the next good save recovers", async () => {
        const from = loop().lines.length;
        const load = loadLoop(url);
        fs.appendFileSync(server, "\nthis is not javascript(\n");
        const failed = await loop().line(failedLine, from, 120);
        await load.stop({ seconds: 5, atLeast: 600 });
        const report = loop().lines.slice(failed.index).join("\n");
        console.log(`# dev loop, broken edit:\n${report.split("\n").map((line) => `#   ${line}`).join("\n")}\n# load across it: ${load.summary()}`);
        // Failed fast: by the rollout check's verdict on the crash, not by its timeout.
        assert.match(report, /crashed: exited with code 1|CrashLoopBackOff/);
        assert.doesNotMatch(report, /not rolled out within/);
        assert.match(report, /last log lines:\n(.*\n)*.*SyntaxError/);
        assert.deepEqual(load.failures, [], load.summary());
        assert.ok(load.replies.every((reply) => reply.startsWith("Hello from the loop: ")), "only the working version answered");

        const recovered = loop().lines.length;
        fs.writeFileSync(server, goodServer.replace("`Hello nodes: ", "`Hello again: "));
        await loop().line(updateLine, recovered, 180);
        await servedWithin(url, "Hello again: ");
        // After the recovery, so that the scenarios after this one start from a working app.
        assert.ok(load.rate() >= 20, `at least 20 req/s: ${load.summary()}`);
    });

    scenario("8b. ten saves in a row under load (the short soak): none fails, each is served, the loop holds no more files or processes; old images go, the user's own tag of the repository stays", async () => {
        // A tag of the user's in the stack's repository: not a content hash, so never the stack's to remove.
        execFileSync("docker", ["tag", stringOutput(await stack().stack.outputs(), "image"), `${repository}:v1`]);
        const figures = await soak(loop(), server, goodServer, "`Hello nodes: ", url, 10);
        console.log(soakReport(figures).split("\n").map((line) => `short soak: ${line}`).join("\n"));
        assert.deepEqual(figures.failed, []);
        assert.equal(figures.edits, 10);
        assert.ok(figures.rate >= 20, `at least 20 req/s: ${figures.rate.toFixed(1)}`);
        assert.ok(noMoreOpenFiles(figures), `no more open files (two may come and go): ${figures.atReference.fds} -> ${figures.atEnd.fds}`);
        assert.ok(figures.atEnd.children <= figures.atReference.children, "no more child processes");

        // Each load removed what no pod ran; 25 s after the last update the loop keeps only the running image and the one before.
        const node = `${stack().clusterName}-control-plane`;
        const deadline = Date.now() + 90_000;
        while ((dockerTags(repository).length > 2 || nodeTags(node, repository).length > 2) && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 1000));
        }
        const image = stringOutput(await stack().stack.outputs(), "image");
        assert.ok(dockerTags(repository).includes(image.split(":")[1] ?? ""), "the running image stays");
        assert.ok(dockerTags(repository).length <= 2, dockerTags(repository).join(", "));
        assert.ok(nodeTags(node, repository).length <= 2, nodeTags(node, repository).join(", "));
        execFileSync("docker", ["image", "inspect", `${repository}:v1`], { stdio: "ignore" });

        const recovered = loop().lines.length;
        fs.writeFileSync(server, goodServer.replace("`Hello nodes: ", "`Hello again: "));
        await loop().line(updateLine, recovered, 180);
        await servedWithin(url, "Hello again: ");
    });

    scenario("9. Ctrl-C during the fast path of a save stops the loop once the save is recorded, and leaves no process behind", async () => {
        edit(server, "`Hello again: ", "`Hello before Ctrl-C: ");
        // The fast path's rollout check under way (tools/fast-rollout.ts; its load runs in the loop's
        // own process), before any update.
        const deadline = Date.now() + 30_000;
        while (!processesInGroup(loop().pid).some((p) => /runtime\/rollout-status\.js/.test(p)) && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const started = Date.now();
        process.kill(-loop().pid, "SIGINT"); // as a terminal does: to the whole foreground group
        assert.equal(await loop().exited, 0);
        console.log(`# dev loop stopped ${Date.now() - started} ms after Ctrl-C`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.deepEqual(processesInGroup(loop().pid), []);
        // The update under way ran to its end: what runs is the save, and the state holds it.
        await servedWithin(url, "Hello before Ctrl-C: ");
        await stack().stack.preview({ expectNoChanges: true });
    });

    scenario("10. plain `pulumi up` with a server that never becomes ready fails within 60 s with the probe's reason; the old pods serve throughout; the next up recovers", async () => {
        edit(server, /return reply\(req, res, 200, path === '\/healthz'/, "return reply(req, res, path === '/healthz' ? 503 : 200, path === '/healthz'");
        const load = loadLoop(url);
        const started = Date.now();
        const error = await stack().stack.up().then(() => undefined, (err: unknown) => err as Error);
        const seconds = (Date.now() - started) / 1000;
        await load.stop({ seconds: 5, atLeast: 600 });
        console.log(`# plain up, never ready: failed after ${seconds.toFixed(1)} s\n# load across it: ${load.summary()}`);
        assert.ok(error, "the up fails");
        // Failed fast: by the rollout check's verdict on the new pod, not by its 180 s timeout
        // (the seconds printed above vary with the machine's load, so they are not asserted).
        // The server answers its probe with 503: the shorter of the rollout check's two limits.
        assert.match(String(error), /running but not ready after 10 s: failing readiness probe/);
        assert.doesNotMatch(String(error), /not rolled out within/);
        assert.match(String(error), /last probe: Readiness probe failed: HTTP probe failed with statuscode: 503/);
        assert.deepEqual(load.failures, [], load.summary());
        assert.ok(load.rate() >= 20, `at least 20 req/s: ${load.summary()}`);

        fs.writeFileSync(server, goodServer);
        await stack().stack.up();
        await servedWithin(url, "Hello nodes: ");
        await stack().stack.preview({ expectNoChanges: true });
    });
    /**
     * The dev loop ended by `kill` during an update; then `npm run up` must recover and serve
     * `greeting`, saying it removed the lock when `leavesLock`.
     */
    const killedMidUpdate = async (greeting: string, kill: (loop: DevLoop) => void, leavesLock: boolean): Promise<void> => {
        const killed = new DevLoop(stack());
        try {
            await killed.line(/^watching /, 0, 60);
            fs.writeFileSync(server, goodServer.replace("`Hello nodes: ", `\`${greeting}`));
            const deadline = Date.now() + 30_000;
            while (!processesInGroup(killed.pid).some((p) => / pulumi up /.test(p)) && Date.now() < deadline) {
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            kill(killed);
            await killed.exited;
            // Its pulumi CLI ends with it (the program ran inline); tools/reap-after.js stops the plugins.
            const gone = Date.now() + 60_000;
            while (processesIn(stack().dir).length > 0 && Date.now() < gone) {
                await new Promise((resolve) => setTimeout(resolve, 500));
            }
            assert.deepEqual(processesIn(stack().dir), [], "a minute after the kill");
        } finally {
            await killed.stop();
        }
        const again = spawnSync("bash", ["tools/up.sh"], {
            cwd: stack().dir, env: { ...process.env, ...stack().env, KUBE_DEMO_STACK: stack().stack.name }, encoding: "utf8", timeout: 300_000,
        });
        assert.equal(again.status, 0, again.stdout + again.stderr);
        if (leavesLock) {
            assert.match(again.stdout, /^The last update of stack \S+ \(pid \d+, started .*\) was stopped before it finished; removing its lock \(pulumi cancel\)\.$/m);
        }
        await servedWithin(url, greeting);
        await stack().stack.preview({ expectNoChanges: true });
    };

    scenario("11. kill -9 of the dev loop during an update: within a minute none of its processes is left; npm run up says what it recovered and serves the latest files", async () => {
        // The loop alone, mid-update, as kill -9 PID does.
        await killedMidUpdate("Hello after a killed loop: ", (killed) => { process.kill(killed.pid, "SIGKILL"); }, true);
    });

    scenario("11b. the dev loop's terminal closed during an update (SIGHUP to its process group): no process left within a minute; npm run up serves the latest files", async () => {
        // `pulumi` gets the SIGHUP too, and may end its update and release the lock itself: then
        // there is nothing to recover, and npm run up says nothing about it.
        await killedMidUpdate("Hello after a closed terminal: ", (killed) => { process.kill(-killed.pid, "SIGHUP"); }, false);
    });

    scenario("12. destroy succeeds when the cluster was already deleted outside; the state is empty, the image it ran is gone from Docker, the user's tag stays", async () => {
        kind(stack(), ["delete", "cluster", "--name", stack().clusterName]);
        const image = stringOutput(await stack().stack.outputs(), "image");
        await stack().stack.destroy();
        assert.deepEqual(stateResources(await stack().stack.exportStack()), []);
        // The image the pods ran leaves Docker with the stack; the user's own tag stays.
        assert.ok(!dockerTags(repository).includes(image.split(":")[1] ?? ""), `${image} removed: ${dockerTags(repository).join(", ")}`);
        execFileSync("docker", ["image", "inspect", `${repository}:v1`], { stdio: "ignore" });
    });
});
