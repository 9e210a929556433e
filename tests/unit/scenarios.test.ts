// The e2e files' scenarios (tests/support/scenarios.ts), run by node's test runner on a file of
// its own: once one fails, the ones after it are reported skipped, naming it (each starts from
// the state the one before left), unless they are independent.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { projectDir } from "../support/project";

const fixture = `
import { describe } from "node:test";
import { timedScenarios } from ${JSON.stringify(path.join(projectDir, "tests/support/scenarios"))};

for (const [suite, options] of [["in order", {}], ["independent", { independent: true }]] as const) {
    describe(suite, () => {
        const scenario = timedScenarios(false, options);
        scenario("1. passes", () => undefined);
        scenario("2. fails", () => { throw new Error("boom"); });
        scenario("3. comes after the failure", () => undefined);
        scenario("4. has a skip line of its own", () => undefined, "its own line");
    });
}
describe("skipped file", () => {
    const scenario = timedScenarios("e2e skipped: no toolchain");
    scenario("1. never runs", () => { throw new Error("ran"); });
});
`;

test("a failed scenario skips the ones after it, naming it; independent ones run; skip lines are kept", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-scenarios-"));
    try {
        const file = path.join(dir, "scenarios.test.ts");
        fs.writeFileSync(file, fixture);
        // A runner of its own: without NODE_TEST_CONTEXT, which would make it report to this one.
        const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== "NODE_TEST_CONTEXT"));
        const run = spawnSync(process.execPath, ["--import", "tsx", "--test-reporter=tap", file],
            { cwd: projectDir, encoding: "utf8", env });
        assert.equal(run.status, 1, run.stderr);
        // The scenarios' results, in order: TAP's lines for the tests inside each describe.
        const results = run.stdout.split("\n").filter((line) => /^ {4}(not )?ok \d+ - /.test(line)).map((line) => line.trim());
        assert.deepEqual(results, [
            "ok 1 - 1. passes",
            "not ok 2 - 2. fails",
            "ok 3 - 3. comes after the failure # SKIP \"2. fails\" failed: the scenarios after it start from the state it leaves",
            "ok 4 - 4. has a skip line of its own # SKIP its own line",
            "ok 1 - 1. passes",
            "not ok 2 - 2. fails",
            "ok 3 - 3. comes after the failure",
            "ok 4 - 4. has a skip line of its own # SKIP its own line",
            "ok 1 - 1. never runs # SKIP e2e skipped: no toolchain",
        ], run.stdout);
        assert.match(run.stdout, /^# 1\. passes: \d+\.\d s$/m, "a scenario that ran prints how long it took");
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
