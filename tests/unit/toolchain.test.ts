// The toolchain's steps, run for real in a throwaway cache, where they stop before any build, so
// bash and coreutils suffice: the upstream-plugins step refuses what it cannot trust, in one
// line, and leaves nothing behind; each step is keyed on its own inputs (`--list`), so an edit
// rebuilds what it touches and the steps that read its artifact, and nothing else.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import { found } from "../support/present";
import { projectDir } from "../support/project";

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
        return [fields[0] ?? "", { inputs: fields[1] ?? "", artifact: fields[2] ?? "", state: fields[fields.length - 1] ?? "" }];
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

    test("a step is keyed on its own inputs: editing its script or its Go sources changes its key and no other", () => {
        const project = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-project-"));
        fs.cpSync(path.join(projectDir, "toolchain"), path.join(project, "toolchain"), { recursive: true });
        fs.copyFileSync(path.join(projectDir, "package-lock.json"), path.join(project, "package-lock.json"));
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-toolchain-"));
        const keys = () => {
            const result = spawnSync("bash", [path.join(project, "toolchain/build.sh"), "--list"], {
                encoding: "utf8", env: { ...process.env, KUBE_DEMO_TOOLCHAIN: cache },
            });
            assert.equal(result.status, 0, result.stderr);
            return new Map([...states(result.stdout)].map(([step, { inputs }]) => [step, inputs]));
        };
        const changedSince = (before: Map<string, string>) => [...keys()].filter(([step, key]) => before.get(step) !== key).map(([step]) => step);

        const start = keys();
        fs.appendFileSync(path.join(project, "toolchain/steps/kind.sh"), "# an edit\n");
        assert.deepEqual(changedSince(start), ["kind"]);

        const afterKind = keys();
        fs.appendFileSync(path.join(project, "toolchain/node-image/go/kubernetes/tools.go"), "// an edit\n");
        assert.deepEqual(changedSince(afterKind), ["node-binaries"]);

        const afterGo = keys();
        fs.appendFileSync(path.join(project, "toolchain/pulumi/wrapper.sh"), "# an edit\n");
        assert.deepEqual(changedSince(afterGo), ["pulumi", "kubernetes-provider"]);
    });

    test("a rebuilt artifact changes the keys of the steps that read it, and only theirs", () => {
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-toolchain-"));
        const keys = () => new Map([...states(list(cache, "--list").stdout)].map(([step, { inputs }]) => [step, inputs]));
        const kubectl = path.join(found(states(list(cache, "--list").stdout).get("node-binaries"), "node-binaries").artifact, "kubectl");
        fs.mkdirSync(path.dirname(kubectl), { recursive: true });
        fs.writeFileSync(kubectl, "the first build\n");
        const before = keys();
        fs.writeFileSync(kubectl, "a build that came out differently\n");
        const after = keys();
        assert.deepEqual([...after].filter(([step, key]) => before.get(step) !== key).map(([step]) => step), ["node-image", "kubectl"]);
    });

    test("a step whose input artifact is missing: one line naming the step that builds it; nothing built", () => {
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-toolchain-"));
        const result = list(cache, "kubectl");
        assert.equal(result.status, 1);
        assert.match(result.stderr, /^toolchain: step 'kubectl' needs \S+\/kubectl, which step 'node-binaries' builds: npm run toolchain -- node-binaries kubectl\n$/);
        assert.deepEqual(fs.readdirSync(path.join(cache, "bin")), []);
        assert.deepEqual(fs.readdirSync(path.join(cache, "stamps")), []);
    });

    test("--force with no step named: one line saying what it needs", () => {
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-toolchain-"));
        const result = list(cache, "--force");
        assert.equal(result.status, 2);
        assert.equal(result.stderr, "toolchain: --force needs the names of the steps to rebuild (npm run toolchain -- --list shows them)\n");
    });
});
