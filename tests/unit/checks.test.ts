// How the program runs its checks (checks.ts): a tool's outcome as spawnSync gave it, and
// failures reported in the checks' order whatever order they happen in.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inOrder, notFound, runTool } from "../../checks";

describe("runTool: what a tool did, never a throw", () => {
    test("its output and status 0, or its status and stderr when it fails", async () => {
        assert.deepEqual(await runTool("sh", ["-c", "echo out; echo err >&2"], { timeout: 10_000 }), { status: 0, stdout: "out\n", stderr: "err\n" });
        assert.deepEqual(await runTool("sh", ["-c", "echo no >&2; exit 3"], { timeout: 10_000 }), { status: 3, stdout: "", stderr: "no\n" });
    });

    test("a tool not on PATH, or one the timeout killed: no status, and the error says why", async () => {
        const missing = await runTool("kube-demo-no-such-tool", [], { timeout: 10_000 });
        assert.equal(missing.status, null);
        assert.equal((missing.error as NodeJS.ErrnoException | undefined)?.code, "ENOENT");
        assert.equal(notFound(missing), true);
        const slow = await runTool("sleep", ["5"], { timeout: 100 });
        assert.equal(slow.status, null);
        assert.ok(slow.error);
        // A tool that hangs is there: its message must not say it is missing.
        assert.equal(notFound(slow), false);
    });
});

describe("inOrder: all at once, reported in order", () => {
    /** A check that ends after `ms` with `outcome`: a result, or the Error it fails with. */
    const after = <T>(ms: number, outcome: T | Error) => new Promise<T>((resolve, reject) => {
        setTimeout(() => { if (outcome instanceof Error) { reject(outcome); } else { resolve(outcome); } }, ms);
    });

    test("results in the order given, however they finish", async () => {
        assert.deepEqual(await inOrder(() => after(30, "slow"), () => after(1, 2)), ["slow", 2]);
    });

    test("a later check that fails first waits for the earlier ones; the first failure in order wins", async () => {
        const started = Date.now();
        await assert.rejects(inOrder(
            () => after(50, new Error("first")),
            () => after(1, new Error("second")),
        ), /^Error: first$/);
        assert.ok(Date.now() - started >= 45);
        await assert.rejects(inOrder(() => after(50, "ok"), () => after(1, new Error("second"))), /^Error: second$/);
    });

    test("a failure stops the checks still running, through their signal", async () => {
        let stopped: AbortSignal | undefined;
        const started = Date.now();
        await assert.rejects(inOrder(
            () => after(1, new Error("early")),
            (signal) => { stopped = signal; return runTool("sleep", ["5"], { timeout: 10_000, signal }); },
        ), /early/);
        assert.equal(stopped?.aborted, true);
        assert.ok(Date.now() - started < 4000, "the sleep was not waited for");
    });
});
