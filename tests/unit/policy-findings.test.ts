// A policy finding is one line wherever the project prints it: the dev loop formats engine
// events, and `npm run up` pipes its preview pass's streamed events through tools/policy-findings.js.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";
import { findingLine, violationLine } from "../../tools/policy-findings";
import { projectDir } from "../support/project";

const deployment = "urn:pulumi:dev::kube-demo::kube-demo:index:Workload$kubernetes:apps/v1:Deployment::app-deployment";
/** An event as `PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true pulumi preview --json` streams it (CLI 3.248). */
const finding = JSON.stringify({
    sequence: 101, timestamp: 1796317412,
    policyEvent: {
        resourceUrn: deployment,
        message: "No container can gain more privileges than it starts with.\ncontainer \"node\" may escalate privileges: set securityContext.allowPrivilegeEscalation: false\n",
        color: "never", policyName: "no-privilege-escalation", policyPackName: "kube-demo", policyPackVersion: "1.0.0", enforcementLevel: "mandatory",
    },
});
const diagnostic = (severity: string, message: string) =>
    JSON.stringify({ sequence: 1, timestamp: 1, diagnosticEvent: { prefix: `${severity}: `, message, color: "never", severity } });

test("a policy finding is one line: the rule, the resource's type and name, what is wrong", () => {
    const event = {
        policyName: "no-privilege-escalation",
        resourceUrn: deployment,
        message: "No container can gain more privileges than it starts with.\ncontainer \"node\" may escalate privileges\n",
    };
    assert.equal(violationLine(event), 'no-privilege-escalation on kubernetes:apps/v1:Deployment app-deployment: container "node" may escalate privileges');
    assert.equal(violationLine({ policyName: "r", message: "the stack" }), "r: the stack");
});

test("of a preview's events, a mandatory finding and an error show; the rest, and the closing 'preview failed', do not", () => {
    const line = 'no-privilege-escalation on kubernetes:apps/v1:Deployment app-deployment: container "node" may escalate privileges: set securityContext.allowPrivilegeEscalation: false';
    assert.equal(findingLine(finding), line);
    assert.equal(findingLine(finding.replace('"mandatory"', '"advisory"')), undefined);
    assert.equal(findingLine(diagnostic("error", 'invalid config replicas="0": must be an integer from 1 to 20\n')), 'error: invalid config replicas="0": must be an integer from 1 to 20');
    assert.equal(findingLine(diagnostic("error", "preview failed\n")), undefined);
    assert.equal(findingLine(diagnostic("warning", "Undefined value (kubeconfigPath) will not show as a stack output.\n")), undefined);
    assert.equal(findingLine(diagnostic("debug", "Registering resource\n")), undefined);
    assert.equal(findingLine("not json"), undefined);
});

test("run on a stream: each finding on one line of stderr, and exit 1; none, exit 0 and silence", () => {
    const run = (lines: string[]) => spawnSync(process.execPath, [path.join(projectDir, "tools", "policy-findings.js")], {
        input: lines.join("\n") + "\n", encoding: "utf8",
    });
    const stopped = run([diagnostic("debug", "x\n"), finding, diagnostic("error", "preview failed\n")]);
    assert.equal(stopped.status, 1);
    assert.equal(stopped.stdout, "");
    assert.deepEqual(stopped.stderr.trimEnd().split("\n"), [
        'no-privilege-escalation on kubernetes:apps/v1:Deployment app-deployment: container "node" may escalate privileges: set securityContext.allowPrivilegeEscalation: false',
    ]);
    const clean = run([diagnostic("debug", "x\n"), diagnostic("warning", "w\n")]);
    assert.equal(clean.status, 0);
    assert.equal(clean.stderr, "");
});
