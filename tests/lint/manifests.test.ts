// kube-score over the Kubernetes objects the program declares: the inputs of its `kubernetes:*`
// resources with the default config, under the unit tests' Pulumi mocks, as one YAML file.
// Every CRITICAL or WARNING finding must be waived, with its reason, in kube-score-waivers.yaml,
// and every waiver must still match a finding.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import * as YAML from "yaml";
import { toolchainDir } from "../e2e/harness";
import { projectDir, runProgram } from "../unit/harness";

const kubeScore = path.join(toolchainDir, "bin", "kube-score");
const waiversFile = path.join(__dirname, "kube-score-waivers.yaml");
const grades = { 1: "CRITICAL", 5: "WARNING" } as const;
type Grade = (typeof grades)[keyof typeof grades];

const title = "kube-score on the manifests the program declares";
const skip = fs.existsSync(kubeScore) ? false
    : `kube-score lint skipped: ${kubeScore} is missing: build it with \`npm run toolchain -- kube-score\``;
if (skip) {
    // One line, and one skipped test in the summary.
    console.log(skip);
    test(title, { skip });
} else {
    describe(title, scoreTheManifests);
}

/** The Kubernetes minor the toolchain's node image runs, as kube-score's --kubernetes-version. */
function kubernetesVersion(): string {
    const versions = fs.readFileSync(path.join(projectDir, "toolchain/versions.sh"), "utf8");
    const minor = /^KUBERNETES_VERSION=(\d+\.\d+)\./m.exec(versions);
    assert.ok(minor, "toolchain/versions.sh sets no KUBERNETES_VERSION");
    return `v${minor[1]}`;
}

interface Finding { object: string; check: string; grade: Grade; comments: string[] }

const key = (grade: string, check: string) => `${grade} ${check}`;
const describeFinding = (f: Finding) => `${f.grade} ${f.check} on ${f.object}: ${f.comments.join("; ")}`;

function scoreTheManifests(): void {
    let dir: string;
    let objects: any[];
    let findings: Finding[];
    let waived: Map<string, string>;

    before(async () => {
        const run = await runProgram();
        assert.equal(run.error, undefined);
        objects = run.declared.filter((d) => d.type.startsWith("kubernetes:")).map((d) => d.inputs);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-manifests-"));
        const manifests = path.join(dir, "manifests.yaml");
        fs.writeFileSync(manifests, objects.map((object) => YAML.stringify(object)).join("---\n"));

        // Exit status 1 means "a CRITICAL finding"; whatever it found is in the JSON.
        const score = spawnSync(kubeScore, ["score", "--output-format", "json", "--kubernetes-version", kubernetesVersion(), manifests],
            { encoding: "utf8" });
        let scored: any[];
        try {
            scored = JSON.parse(score.stdout);
        } catch {
            throw new Error(`kube-score gave no JSON (exit ${score.status}): ${score.stderr.trim() || score.error?.message}`);
        }
        assert.equal(scored.length, objects.length, `kube-score scored ${scored.length} of the ${objects.length} objects`);
        findings = scored.flatMap((object) => object.checks
            .filter((c: any) => !c.skipped && c.grade in grades)
            .map((c: any): Finding => ({
                object: `${object.type_meta.kind}/${object.object_meta.name}`,
                check: c.check.id,
                grade: grades[c.grade as keyof typeof grades],
                comments: (c.comments ?? []).map((m: any) => (m.path ? `(${m.path}) ` : "") + m.summary),
            })));

        const file = YAML.parse(fs.readFileSync(waiversFile, "utf8")) ?? {};
        waived = new Map();
        for (const [grade, checks] of Object.entries(file)) {
            assert.ok(Object.values(grades).includes(grade as Grade), `${waiversFile}: '${grade}' is not CRITICAL or WARNING`);
            for (const [check, reason] of Object.entries(checks ?? {})) {
                assert.ok(typeof reason === "string" && reason.trim() !== "", `${waiversFile}: ${grade} ${check} has no reason`);
                waived.set(key(grade, check), reason);
            }
        }
    });

    after(() => {
        if (dir) {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    test("it scores the program's Deployment and Service", () => {
        const kinds = objects.map((o) => `${o.apiVersion}/${o.kind}`);
        assert.ok(kinds.includes("apps/v1/Deployment") && kinds.includes("v1/Service"), `declared: ${kinds.join(", ")}`);
    });

    test("no CRITICAL or WARNING finding without a waiver and its reason", (t) => {
        const open = findings.filter((f) => !waived.has(key(f.grade, f.check)));
        assert.deepEqual(open.map(describeFinding), [],
            `waive each in ${path.relative(projectDir, waiversFile)} with the reason, or fix the program`);
        const count = (grade: Grade) => findings.filter((f) => f.grade === grade).length;
        t.diagnostic(`kube-score: ${count("CRITICAL")} CRITICAL and ${count("WARNING")} WARNING findings, all waived`);
    });

    test("no waiver for a finding kube-score no longer reports", () => {
        const found = new Set(findings.map((f) => key(f.grade, f.check)));
        assert.deepEqual([...waived.keys()].filter((w) => !found.has(w)), [],
            `remove these from ${path.relative(projectDir, waiversFile)} (or move them to the grade kube-score now gives)`);
    });
}
