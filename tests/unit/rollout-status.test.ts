// The rollout check's verdicts (runtime/rollout-status.js), from API objects shaped as the API
// server returns them: done like `kubectl rollout status`, failed as soon as a new pod shows it
// will not become ready, and waiting otherwise.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as rolloutStatus from "../../runtime/rollout-status.js";
import { found } from "../support/present";

type Verdict = ReturnType<typeof rolloutStatus.verdict>;
/** verdict(), given objects with only the fields it reads: the API's other required fields left out. */
const verdict = rolloutStatus.verdict as (deployment: object, replicaSets: object[], pods: object[], generation: number, now: number,
    limits: { noAnswer: number; errorStatus: number; errorStatusPods: ReadonlySet<string> }) => Verdict;
const limits = { noAnswer: 20, errorStatus: 10, errorStatusPods: new Set<string>() };
const failureOf = (result: Verdict) => found("failure" in result ? result.failure : undefined, "a failure");

const now = Date.parse("2026-12-01T10:00:30Z");
const deployment = (status: object) => ({
    metadata: { uid: "d-1", annotations: { "deployment.kubernetes.io/revision": "2" } },
    spec: { replicas: 3 },
    status: { observedGeneration: 2, ...status },
});
const replicaSets = [
    { metadata: { ownerReferences: [{ uid: "d-1" }], annotations: { "deployment.kubernetes.io/revision": "1" }, labels: { "pod-template-hash": "old" } } },
    { metadata: { ownerReferences: [{ uid: "d-1" }], annotations: { "deployment.kubernetes.io/revision": "2" }, labels: { "pod-template-hash": "new" } } },
];
const pod = (hash: string, container: object) => ({
    metadata: { name: `web-${hash}-x`, labels: { "pod-template-hash": hash } },
    status: { containerStatuses: [{ name: "node", restartCount: 0, ready: false, ...container }] },
});
const rolling = deployment({ replicas: 4, updatedReplicas: 1, availableReplicas: 3 });

test("done when every replica is updated and available and no old one is left", () => {
    assert.deepEqual(verdict(deployment({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 }), replicaSets, [], 2, now, limits),
        { done: true, summary: "3/3 pods ready" });
    // Old pods still counted: not yet.
    assert.deepEqual(verdict(deployment({ replicas: 6, updatedReplicas: 3, availableReplicas: 6 }), replicaSets, [], 2, now, limits), { done: false });
});

test("an older generation's status is not taken for this rollout's", () => {
    assert.deepEqual(verdict(deployment({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }), replicaSets, [], 2, now, limits),
        { done: false });
});

test("a new pod that crashed fails at once, with its exit code, and asks for the previous container's logs", () => {
    const crashed = pod("new", {
        restartCount: 1,
        state: { waiting: { reason: "CrashLoopBackOff" } },
        lastState: { terminated: { exitCode: 1, reason: "Error", message: "SyntaxError: Unexpected identifier\n" } },
    });
    assert.deepEqual(failureOf(verdict(rolling, replicaSets, [crashed], 2, now, limits)), {
        pod: "web-new-x", container: "node", state: "CrashLoopBackOff: exited with code 1, 1 restart(s)", previous: true,
        message: "SyntaxError: Unexpected identifier\n",
    });
});

test("an image the node cannot use fails at once", () => {
    const stuck = pod("new", { state: { waiting: { reason: "ErrImageNeverPull", message: "image not present" } } });
    assert.match(failureOf(verdict(rolling, replicaSets, [stuck], 2, now, limits)).state, /^ErrImageNeverPull: image not present$/);
});

test("a running pod fails only once it has stayed unready longer than allowed", () => {
    const since = (seconds: number) => pod("new", { state: { running: { startedAt: new Date(now - seconds * 1000).toISOString() } } });
    assert.deepEqual(verdict(rolling, replicaSets, [since(5)], 2, now, limits), { done: false });
    assert.match(failureOf(verdict(rolling, replicaSets, [since(25)], 2, now, limits)).state, /not ready after 20 s: failing readiness probe/);
});

test("a running pod whose probe the server answers with an error status fails after the shorter limit", () => {
    const since = (seconds: number) => pod("new", { state: { running: { startedAt: new Date(now - seconds * 1000).toISOString() } } });
    const answering = { ...limits, errorStatusPods: new Set(["web-new-x"]) };
    assert.deepEqual(verdict(rolling, replicaSets, [since(5)], 2, now, answering), { done: false });
    assert.match(failureOf(verdict(rolling, replicaSets, [since(12)], 2, now, answering)).state, /not ready after 10 s: failing readiness probe/);
    // Another pod's answers say nothing of this one: the longer limit.
    assert.deepEqual(verdict(rolling, replicaSets, [since(12)], 2, now, { ...limits, errorStatusPods: new Set(["web-other-y"]) }), { done: false });
});

test("a pod counts as answering with an error status by its last readiness failure only", () => {
    const event = (pod: string, at: string, message: string) =>
        ({ reason: "Unhealthy", involvedObject: { name: pod }, lastTimestamp: `2026-12-01T10:00:${at}Z`, message });
    const refused = "Readiness probe failed: Get \"http://10.244.0.5:8080/healthz\": dial tcp 10.244.0.5:8080: connect: connection refused";
    const status503 = "Readiness probe failed: HTTP probe failed with statuscode: 503";
    const answering = rolloutStatus.podsAnsweringErrorStatus([
        event("a", "01", refused), event("a", "05", status503), // listening now, and saying not ready
        event("b", "01", status503), event("b", "05", refused), // answered once, no longer listening
        event("c", "03", refused), // never answered
        event("d", "04", "Liveness probe failed: HTTP probe failed with statuscode: 500"), // not readiness
    ]);
    assert.deepEqual([...answering].sort(), ["a"]);
});

test("the old pods' troubles are not this rollout's", () => {
    const oldCrash = pod("old", { restartCount: 4, state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { exitCode: 1 } } });
    assert.deepEqual(verdict(rolling, replicaSets, [oldCrash], 2, now, limits), { done: false });
});

test("the controller's progress deadline fails the rollout with its reason", () => {
    const stalled = deployment({
        replicas: 4, updatedReplicas: 1, availableReplicas: 3,
        conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "ReplicaSet has timed out progressing." }],
    });
    assert.match(failureOf(verdict(stalled, replicaSets, [], 2, now, limits)).state, /^ProgressDeadlineExceeded: /);
});
