// End to end: the dev loop (scripts/dev.ts, `npm run dev`) on a real stack, and a broken edit
// under load, in the loop and with plain `pulumi up`. Starts from a stack of its own brought up
// in before(); the scenarios run in order on it, each from the state the one before left.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { DevLoop, failedLine, get, loadLoop, newStack, processesInGroup, removeStack, stringOutput, TestStack, updateLine, toolchainForTests } from "../support/stacks";
import { found } from "../support/present";

const { env: toolchainEnv, skip } = toolchainForTests("e2e");

function edit(file: string, from: string | RegExp, to: string): void {
    const text = fs.readFileSync(file, "utf8");
    const next = text.replace(from, to);
    assert.notEqual(next, text, `${from} is in ${file}`);
    fs.writeFileSync(file, next);
}

describe("the dev loop on a real Kind cluster", () => {
    let stack: TestStack;
    let url: string;
    let loop: DevLoop;
    let server: string;
    let goodServer: string;

    before(async () => {
        if (skip) {
            return;
        }
        stack = await newStack(toolchainEnv, {});
        url = stringOutput((await stack.stack.up()).outputs, "url");
        server = path.join(stack.dir, "app", "server.js");
        goodServer = fs.readFileSync(server, "utf8");
        loop = new DevLoop(stack);
        await loop.line(/^watching /, 0, 60);
    });

    after(async () => {
        // Unset when the suite is skipped, or before() failed first.
        if ((stack as TestStack | undefined) !== undefined) {
            await (loop as DevLoop | undefined)?.stop();
            await removeStack(stack);
        }
    });

    test("1. a saved edit is served, with one line naming the file, the new tag and the time; the new pods' logs stream", { skip }, async () => {
        const from = loop.lines.length;
        edit(server, "`Hello World: ", "`Hello from the loop: ");
        const { match } = await loop.line(updateLine, from, 180);
        console.log(`# dev loop: ${match[0]}`);
        const groups = found(match.groups, "the line's fields");
        assert.equal(groups.what, "app/server.js");
        assert.equal(groups.ready, groups.want);
        assert.equal(groups.want, "3");
        for (let i = 0; i < 10; i++) {
            assert.match(await get(url), /^Hello from the loop: /);
        }
        // Each new pod's first line, under its own prefix.
        await loop.line(/^\[node-deployment-[a-z0-9]+-[a-z0-9]+\] listening on :8080/, from, 30);
        assert.equal(loop.updates(from).length, 1, "one save, one update");
    });

    test("2. saves during an update queue exactly one more update, which serves the last save", { skip }, async () => {
        const from = loop.lines.length;
        edit(server, "`Hello from the loop: ", "`Queued 1: ");
        // The update runs for several seconds (build, load, rollout): these land in the middle of it.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        edit(server, "`Queued 1: ", "`Queued 2: ");
        edit(server, "`Queued 2: ", "`Queued 3: ");
        const first = await loop.line(updateLine, from, 180);
        const second = await loop.line(updateLine, first.index + 1, 180);
        await new Promise((resolve) => setTimeout(resolve, 5000));
        assert.equal(loop.updates(from).length, 2, loop.updates(from).join("\n"));
        assert.match(second.match[0], /^app\/server\.js -> /);
        for (let i = 0; i < 10; i++) {
            assert.match(await get(url), /^Queued 3: /);
        }
        edit(server, "`Queued 3: ", "`Hello from the loop: ");
        await loop.line(updateLine, second.index + 1, 180);
    });

    test("3. an edit the build does not see (.dockerignore) prints no update", { skip }, async () => {
        const from = loop.lines.length;
        fs.appendFileSync(path.join(stack.dir, "app", "README.md"), "\nAn edit the image does not see.\n");
        await new Promise((resolve) => setTimeout(resolve, 5000));
        assert.deepEqual(loop.updates(from), []);
    });

    test("4. a broken edit under load: zero failed requests, the update fails within 60 s with the crash and its last log lines; the next good save recovers", { skip }, async () => {
        const from = loop.lines.length;
        const load = loadLoop(url);
        fs.appendFileSync(server, "\nthis is not javascript(\n");
        const failed = await loop.line(failedLine, from, 120);
        await load.stop({ seconds: 5, atLeast: 600 });
        const report = loop.lines.slice(failed.index).join("\n");
        console.log(`# dev loop, broken edit:\n${report.split("\n").map((line) => `#   ${line}`).join("\n")}\n# load across it: ${load.summary()}`);
        // Failed fast: by the rollout check's verdict on the crash, not by its timeout.
        assert.match(report, /crashed: exited with code 1|CrashLoopBackOff/);
        assert.doesNotMatch(report, /not rolled out within/);
        assert.match(report, /last log lines:\n(.*\n)*.*SyntaxError/);
        assert.deepEqual(load.failures, [], load.summary());
        assert.ok(load.replies.every((reply) => reply.startsWith("Hello from the loop: ")), "only the working version answered");

        const recovered = loop.lines.length;
        fs.writeFileSync(server, goodServer.replace("`Hello World: ", "`Hello again: "));
        await loop.line(updateLine, recovered, 180);
        assert.match(await get(url), /^Hello again: /);
    });

    test("5. Ctrl-C stops the loop and leaves no process behind", { skip }, async () => {
        const started = Date.now();
        process.kill(-loop.pid, "SIGINT"); // as a terminal does: to the whole foreground group
        assert.equal(await loop.exited, 0);
        console.log(`# dev loop stopped ${Date.now() - started} ms after Ctrl-C`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.deepEqual(processesInGroup(loop.pid), []);
        // The stack is as last deployed.
        await stack.stack.preview({ expectNoChanges: true });
    });

    test("6. plain `pulumi up` with a server that never becomes ready fails within 60 s with the probe's reason; the old pods serve throughout; the next up recovers", { skip }, async () => {
        edit(server, /return reply\(req, res, 200, path === '\/healthz'/, "return reply(req, res, path === '/healthz' ? 503 : 200, path === '/healthz'");
        const load = loadLoop(url);
        const started = Date.now();
        const error = await stack.stack.up().then(() => undefined, (err: unknown) => err as Error);
        const seconds = (Date.now() - started) / 1000;
        await load.stop({ seconds: 5, atLeast: 600 });
        console.log(`# plain up, never ready: failed after ${seconds.toFixed(1)} s\n# load across it: ${load.summary()}`);
        assert.ok(error, "the up fails");
        // Failed fast: by the rollout check's verdict on the new pod, not by its 180 s timeout
        // (the seconds printed above vary with the machine's load, so they are not asserted).
        assert.match(String(error), /running but not ready after \d+ s: failing readiness probe/);
        assert.doesNotMatch(String(error), /not rolled out within/);
        assert.match(String(error), /last probe: Readiness probe failed: HTTP probe failed with statuscode: 503/);
        assert.deepEqual(load.failures, [], load.summary());

        fs.writeFileSync(server, goodServer);
        await stack.stack.up();
        assert.match(await get(url), /^Hello World: /);
        await stack.stack.preview({ expectNoChanges: true });
    });
});

