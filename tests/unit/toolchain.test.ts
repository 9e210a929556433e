// The toolchain's upstream-plugins step refuses what it cannot trust, in one line, and leaves
// nothing behind: no stamp, nothing on PATH, no plugin folder. Runs the real step script in a
// throwaway cache; it fails before any build, so it needs bash and coreutils only.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import { found } from "../support/present";
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

describe("npm run toolchain -- --list", () => {
    const list = (cache: string, ...args: string[]) => spawnSync("bash", [path.join(projectDir, "toolchain/build.sh"), ...args], {
        encoding: "utf8", env: { ...process.env, KUBE_DEMO_TOOLCHAIN: cache },
    });
    const states = (stdout: string) => new Map(stdout.trim().split("\n").slice(1).map((line) => {
        const fields = line.trim().split(/\s+/);
        return [fields[0] ?? "", { inputs: fields[1] ?? "", state: fields[fields.length - 1] ?? "" }];
    }));

    test("an empty cache: every step listed as missing, and nothing is built", () => {
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-toolchain-"));
        const result = list(cache, "--list");
        assert.equal(result.status, 0, result.stderr);
        const listed = states(result.stdout);
        assert.deepEqual([...listed.keys()], ["docker", "kind", "base-image", "pulumi", "kubernetes-provider", "upstream-plugins",
            "kindnetd", "node-binaries", "node-rootfs", "node-image", "kubectl", "kube-score", "registry"]);
        assert.deepEqual(new Set([...listed.values()].map((s) => s.state)), new Set(["missing"]));
        assert.deepEqual(fs.readdirSync(path.join(cache, "logs")), [], "no step ran");
        assert.deepEqual(fs.readdirSync(path.join(cache, "bin")), []);
    });

    test("a stamp with its artifact is built; a stamp of other inputs is stale; a stamp whose artifact is gone is not built", () => {
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-toolchain-"));
        const inputs = states(list(cache, "--list").stdout);
        const stamp = (name: string, version: string) => { fs.writeFileSync(path.join(cache, "stamps", `${name}-${version}`), ""); };
        stamp("kind", found(inputs.get("kind"), "kind").inputs);
        fs.writeFileSync(path.join(cache, "bin", "kind"), "");
        stamp("kubectl", "v0.0.1");
        stamp("kube-score", found(inputs.get("kube-score"), "kube-score").inputs);
        const listed = states(list(cache, "--list").stdout);
        assert.equal(listed.get("kind")?.state, "built");
        assert.equal(listed.get("kubectl")?.state, "stale");
        assert.equal(listed.get("kube-score")?.state, "missing", "the stamp says built, but bin/kube-score is not there");
    });

    test("--force with no step named: one line saying what it needs", () => {
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-toolchain-"));
        const result = list(cache, "--force");
        assert.equal(result.status, 2);
        assert.equal(result.stderr, "toolchain: --force needs the names of the steps to rebuild (npm run toolchain -- --list shows them)\n");
    });
});
