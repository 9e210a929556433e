// The toolchain's upstream-plugins step refuses what it cannot trust, in one line, and leaves
// nothing behind: no stamp, nothing on PATH, no plugin folder. Runs the real step script in a
// throwaway cache; it fails before any build, so it needs bash and coreutils only.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import { projectDir } from "./harness";

function runUpstreamStep(upstreamDir: string) {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-toolchain-"));
    const run = spawnSync("bash", [path.join(projectDir, "toolchain/build.sh"), "upstream-plugins"], {
        encoding: "utf8",
        env: { ...process.env, KUBE_DEMO_TOOLCHAIN: cache, KUBE_DEMO_UPSTREAM: upstreamDir },
    });
    const left = (dir: string) => (fs.existsSync(path.join(cache, dir)) ? fs.readdirSync(path.join(cache, dir)) : []);
    return { status: run.status, stderr: run.stderr.trim(), stamps: left("stamps"), bin: left("bin"), plugins: left("pulumi-home/plugins") };
}

describe("the upstream-plugins step with bad input", () => {
    test("a missing archive: one line naming it and where to get it; nothing stamped or installed", () => {
        const result = runUpstreamStep(fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-upstream-")));
        assert.equal(result.status, 1);
        assert.match(result.stderr, /^toolchain: step 'upstream-plugins' failed: toolchain: \S+\/pulumi-command-v1\.2\.1\.tar\.gz is missing: put the upstream archives/);
        assert.doesNotMatch(result.stderr, /\n/);
        assert.deepEqual([result.stamps, result.bin, result.plugins], [[], [], []]);
    });

    test("an archive with another sha256: one line naming it and both digests; nothing stamped or installed", () => {
        const upstream = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-upstream-"));
        fs.writeFileSync(path.join(upstream, "pulumi-command-v1.2.1.tar.gz"), "not the release\n");
        const result = runUpstreamStep(upstream);
        assert.equal(result.status, 1);
        assert.match(result.stderr, /pulumi-command-v1\.2\.1\.tar\.gz has sha256 [0-9a-f]{64}, toolchain\/versions\.sh expects 0b974234/);
        assert.doesNotMatch(result.stderr, /\n/);
        assert.deepEqual([result.stamps, result.bin, result.plugins], [[], [], []]);
    });
});
