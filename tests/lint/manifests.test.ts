// kube-score over the Kubernetes objects the program declares: the inputs of its `kubernetes:*`
// resources with the default config, under the unit tests' Pulumi mocks, as one YAML file.
// kube-score must report no CRITICAL finding. Every WARNING finding must be waived, with its
// reason, in kube-score-waivers.yaml, and every waiver must still match a finding. The one
// CRITICAL exception is ignored on its object by annotation, with its reason in that file too.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import * as YAML from "yaml";
import { toolchainDir } from "../support/toolchain";
import { declaredObjects, KubernetesObject, projectDir } from "../support/harness";

const kubeScore = path.join(toolchainDir, "bin", "kube-score");
const waiversFile = path.join(__dirname, "kube-score-waivers.yaml");
const grades = { 1: "CRITICAL", 5: "WARNING" } as const;
type Grade = (typeof grades)[keyof typeof grades];
/**
 * The one CRITICAL check the program may ignore (`kube-score/ignore` on the Deployment): the
 * image is in no registry, so imagePullPolicy Always would keep the pods from starting.
 */
const theCriticalException = "container-image-pull-policy";

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
/** A check a `kube-score/ignore` annotation skipped, with the grade kube-score gave it anyway. */
interface Ignored { object: string; check: string; grade: number }

const key = (grade: string, check: string) => `${grade} ${check}`;
const describeFinding = (f: Finding) => `${f.grade} ${f.check} on ${f.object}: ${f.comments.join("; ")}`;

/** kube-score's JSON (--output-format json): the fields read here. */
interface ScoredObject {
    type_meta: { kind: string };
    object_meta: { name: string };
    checks: {
        check: { id: string; optional?: boolean };
        grade: number;
        skipped: boolean;
        comments: { path?: string; summary: string }[] | null;
    }[];
}

function scoreTheManifests(): void {
    let dir: string;
    let objects: KubernetesObject[];
    let findings: Finding[];
    let ignored: Ignored[];
    let waived: Map<string, string>;

    before(async () => {
        objects = await declaredObjects();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-manifests-"));
        const manifests = path.join(dir, "manifests.yaml");
        fs.writeFileSync(manifests, objects.map((object) => YAML.stringify(object)).join("---\n"));

        // Exit status 1 means "a CRITICAL finding"; whatever it found is in the JSON.
        const score = spawnSync(kubeScore, ["score", "--output-format", "json", "--kubernetes-version", kubernetesVersion(), manifests],
            { encoding: "utf8" });
        let scored: ScoredObject[];
        try {
            scored = JSON.parse(score.stdout) as ScoredObject[];
        } catch {
            throw new Error(`kube-score gave no JSON (exit ${score.status}): ${score.stderr.trim() || score.error?.message}`);
        }
        assert.equal(scored.length, objects.length, `kube-score scored ${scored.length} of the ${objects.length} objects`);
        const name = (object: ScoredObject) => `${object.type_meta.kind}/${object.object_meta.name}`;
        findings = scored.flatMap((object) => object.checks
            .filter((c) => !c.skipped && c.grade in grades)
            .map((c): Finding => ({
                object: name(object),
                check: c.check.id,
                grade: grades[c.grade as keyof typeof grades],
                comments: (c.comments ?? []).map((m) => (m.path ? `(${m.path}) ` : "") + m.summary),
            })));
        // kube-score still runs an ignored check and keeps its grade; only this comment says why
        // it was skipped (scorecard.go in kube-score). Optional checks not enabled get it too.
        ignored = scored.flatMap((object) => object.checks
            .filter((c) => c.skipped && !c.check.optional
                && (c.comments ?? []).some((m) => m.summary === `Skipped because ${c.check.id} is ignored`))
            .map((c): Ignored => ({ object: name(object), check: c.check.id, grade: c.grade })));

        // grade: { check: reason }; each checked below. null for an empty file or grade.
        const file = (YAML.parse(fs.readFileSync(waiversFile, "utf8")) as Record<string, Record<string, unknown> | null> | null) ?? {};
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

    test("it scores the program's Deployment, Service, PodDisruptionBudget and NetworkPolicy", () => {
        const kinds = objects.map((o) => `${o.apiVersion}/${o.kind}`).sort();
        assert.deepEqual(kinds, ["apps/v1/Deployment", "networking.k8s.io/v1/NetworkPolicy", "policy/v1/PodDisruptionBudget", "v1/Service"]);
    });

    test("no CRITICAL finding", () => {
        // A waiver cannot cover one: fix the program.
        assert.deepEqual(findings.filter((f) => f.grade === "CRITICAL").map(describeFinding), []);
    });

    test("no WARNING finding without a waiver and its reason", (t) => {
        const open = findings.filter((f) => f.grade === "WARNING" && !waived.has(key(f.grade, f.check)));
        assert.deepEqual(open.map(describeFinding), [],
            `waive each in ${path.relative(projectDir, waiversFile)} with the reason, or fix the program`);
        t.diagnostic(`kube-score: ${findings.length} WARNING findings, all waived; ${ignored.length} CRITICAL check ignored by annotation`);
    });

    test("no WARNING waiver for a finding kube-score no longer reports", () => {
        const found = new Set(findings.map((f) => key(f.grade, f.check)));
        const warnings = [...waived.keys()].filter((w) => w.startsWith("WARNING "));
        assert.deepEqual(warnings.filter((w) => !found.has(w)), [],
            `remove these from ${path.relative(projectDir, waiversFile)} (or move them to the grade kube-score now gives)`);
    });

    test(`the one CRITICAL exception, ${theCriticalException}: ignored on the Deployment alone, still CRITICAL there, its reason in the waivers file`, () => {
        const critical = [...waived.keys()].filter((w) => w.startsWith("CRITICAL "));
        assert.deepEqual(critical, [key("CRITICAL", theCriticalException)],
            `${path.relative(projectDir, waiversFile)} lists exactly one CRITICAL entry, the exception; every other CRITICAL is fixed in the program`);
        // Nothing else is ignored by annotation, on any object (an ignore can also imply others), and
        // the ignored check would still fail: otherwise the annotation and the entry are stale.
        assert.deepEqual(ignored, [{ object: "Deployment/node-deployment", check: theCriticalException, grade: 1 }]);
    });
}
