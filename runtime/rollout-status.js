#!/usr/bin/env node
// @ts-check
// Waits for a Deployment's rollout like `kubectl rollout status`, but gives up as soon as a
// new pod shows it will not become ready: it crashed, its image cannot be used, or it runs
// and keeps failing its readiness probe. It then prints the pod's state and its last log
// lines and exits 1, in seconds, while the old pods go on serving (maxUnavailable: 0).
//
// Why not the kubernetes provider's own await: it reports ProgressDeadlineExceeded as a
// warning and keeps waiting until its timeout, and it shows no log lines.
//
// Input: Kind's kubeconfig on stdin, or (target existing) KUBECONFIG and KUBE_CONTEXT naming the
// user's file and context, read through kubectl. Environment: NAMESPACE, DEPLOYMENT, GENERATION
// (the Deployment's metadata.generation to wait for), optionally UNREADY_SECONDS (default 30),
// ERROR_STATUS_SECONDS (default 10) and TIMEOUT_SECONDS (default 180).
// Two limits for a running pod that is not ready. A probe that got no answer may be a slow start:
// on two busy cores a healthy new pod has been seen running and unready for over 10 s (CI,
// scaling 3 to 5 beside another cluster's start), and a false verdict fails a good update, so 30 s.
// A probe the server answered with an error status (its last Unhealthy event says "statuscode") is
// the app itself saying it is not ready: 10 s of that is the verdict.
// workload.ts runs it; by hand:
//   kind get kubeconfig --name kube-demo | DEPLOYMENT=node-deployment GENERATION=1 node runtime/rollout-status.js
"use strict";

/** Waiting reasons after which a container will not start without a new spec. */
const hopeless = new Set(["CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull",
    "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError"]);

/**
 * @typedef {import("./kube-api").Deployment} Deployment
 * @typedef {import("./kube-api").ReplicaSet} ReplicaSet
 * @typedef {import("./kube-api").Pod} Pod
 * @typedef {import("./kube-api").Event} Event
 * @typedef {import("./kube-api").ContainerStatus} ContainerStatus
 */
/**
 * @template T
 * @typedef {import("./kube-api").List<T>} List
 */

/**
 * @typedef {{ pod: string, container: string, state: string, previous: boolean, message?: string | undefined }} Failure
 * @typedef {{ done: true, summary: string } | { done: false, failure?: Failure }} Verdict
 */

/**
 * How long a running pod may stay unready: `noAnswer` seconds, or `errorStatus` seconds once its
 * readiness probe got an HTTP error status (pods named in `errorStatusPods`).
 * @typedef {{ noAnswer: number, errorStatus: number, errorStatusPods: ReadonlySet<string> }} UnreadyLimits
 */

/**
 * What the rollout's state says, from the objects as the API server returns them.
 * @param {Deployment} deployment @param {ReplicaSet[]} replicaSets @param {Pod[]} pods
 * @param {number} generation @param {number} now milliseconds @param {UnreadyLimits} limits
 * @returns {Verdict}
 */
function verdict(deployment, replicaSets, pods, generation, now, limits) {
    const status = deployment.status ?? {};
    const want = deployment.spec.replicas ?? 1;
    if ((status.observedGeneration ?? 0) < generation) {
        return { done: false };
    }
    if ((status.updatedReplicas ?? 0) === want && (status.replicas ?? 0) === want && (status.availableReplicas ?? 0) === want) {
        return { done: true, summary: `${want}/${want} pods ready` };
    }
    for (const pod of newPods(deployment, replicaSets, pods)) {
        for (const container of pod.status?.containerStatuses ?? []) {
            const waiting = container.state?.waiting;
            const last = container.lastState?.terminated;
            const crashed = last ? `exited with code ${last.exitCode}${last.reason && last.reason !== "Error" ? ` (${last.reason})` : ""}, ${container.restartCount} restart(s)` : "";
            if (waiting && hopeless.has(waiting.reason)) {
                const state = crashed ? `${waiting.reason}: ${crashed}` : `${waiting.reason}: ${waiting.message ?? ""}`.trim();
                return { done: false, failure: { pod: pod.metadata.name, container: container.name, state, previous: Boolean(last), message: last?.message } };
            }
            if (container.restartCount > 0 && last) {
                return { done: false, failure: { pod: pod.metadata.name, container: container.name, state: `crashed: ${crashed}`, previous: true, message: last.message } };
            }
            const allowed = limits.errorStatusPods.has(pod.metadata.name) ? limits.errorStatus : limits.noAnswer;
            if (unreadyMs(container, now) > allowed * 1000) {
                return {
                    done: false,
                    failure: { pod: pod.metadata.name, container: container.name, state: `running but not ready after ${allowed} s: failing readiness probe`, previous: false },
                };
            }
        }
    }
    const progressing = (status.conditions ?? []).find((c) => c.type === "Progressing");
    if (progressing?.status === "False") {
        return { done: false, failure: { pod: "", container: "", state: `${progressing.reason}: ${progressing.message}`, previous: false } };
    }
    return { done: false };
}

/**
 * How long a container has been running without being ready, in milliseconds; 0 when it is
 * ready or not running.
 * @param {ContainerStatus} container @param {number} now milliseconds
 */
function unreadyMs(container, now) {
    const running = container.state?.running;
    return running && !container.ready ? now - Date.parse(running.startedAt) : 0;
}

/**
 * The live pods of the Deployment's newest ReplicaSet: this rollout's.
 * @param {Deployment} deployment @param {ReplicaSet[]} replicaSets @param {Pod[]} pods
 */
function newPods(deployment, replicaSets, pods) {
    const revision = deployment.metadata.annotations?.["deployment.kubernetes.io/revision"];
    const newest = replicaSets.find((rs) =>
        rs.metadata.ownerReferences?.some((owner) => owner.uid === deployment.metadata.uid)
        && rs.metadata.annotations?.["deployment.kubernetes.io/revision"] === revision);
    const hash = newest?.metadata.labels?.["pod-template-hash"];
    return pods.filter((p) => hash && p.metadata.labels?.["pod-template-hash"] === hash && !p.metadata.deletionTimestamp);
}

/**
 * Pods whose last readiness probe failure is an HTTP error status (the kubelet's event message:
 * "Readiness probe failed: HTTP probe failed with statuscode: 503"), not a refused or timed-out
 * connection.
 * @param {Event[]} events the namespace's Unhealthy events
 * @returns {Set<string>}
 */
function podsAnsweringErrorStatus(events) {
    /** @type {Map<string, Event>} */
    const last = new Map();
    for (const event of events.filter((e) => /^Readiness probe failed/.test(e.message))) {
        const pod = event.involvedObject?.name ?? "";
        const seen = last.get(pod);
        if (!seen || eventTime(event) >= eventTime(seen)) {
            last.set(pod, event);
        }
    }
    return new Set([...last].filter(([, event]) => /HTTP probe failed with statuscode: \d+/.test(event.message)).map(([pod]) => pod));
}

/** @param {Event} event */
const eventTime = (event) => Date.parse(event.lastTimestamp ?? event.eventTime ?? "") || 0;

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
    const { kubeApi, kubectlApi, labelSelector } = require("./kube-api");
    const env = (/** @type {string} */ name, /** @type {string} */ fallback = "") => {
        const value = process.env[name] ?? fallback;
        if (!value) {
            throw new Error(`rollout-status: ${name} is not set`);
        }
        return value;
    };
    const namespace = env("NAMESPACE", "default");
    const name = env("DEPLOYMENT");
    const generation = Number(env("GENERATION"));
    const noAnswerSeconds = Number(env("UNREADY_SECONDS", "30"));
    const errorStatusSeconds = Number(env("ERROR_STATUS_SECONDS", "10"));
    /** @type {Set<string>} */
    let errorStatusPods = new Set();
    let eventsReadAt = 0;
    const deadline = Date.now() + Number(env("TIMEOUT_SECONDS", "180")) * 1000;
    const context = process.env.KUBE_CONTEXT;
    const api = context ? await kubectlApi(env("KUBECONFIG"), context) : kubeApi(require("node:fs").readFileSync(0, "utf8"));
    const apps = `/apis/apps/v1/namespaces/${namespace}`;
    const core = `/api/v1/namespaces/${namespace}`;
    try {
        for (;;) {
            /** @type {Deployment} */
            const deployment = await api.get(`${apps}/deployments/${name}`);
            const selector = labelSelector(deployment.spec.selector.matchLabels);
            /** @type {Promise<List<ReplicaSet>>} */
            const replicaSetsRequest = api.get(`${apps}/replicasets?labelSelector=${selector}`);
            /** @type {Promise<List<Pod>>} */
            const podsRequest = api.get(`${core}/pods?labelSelector=${selector}`);
            const [replicaSets, pods] = await Promise.all([replicaSetsRequest, podsRequest]);
            // The probes' answers are in events: read (once a second at most) only while a new
            // pod has been running unready for longer than the shorter limit.
            const now = Date.now();
            const overdue = newPods(deployment, replicaSets.items, pods.items).some((pod) => (pod.status?.containerStatuses ?? [])
                .some((container) => unreadyMs(container, now) > errorStatusSeconds * 1000));
            if (overdue && now - eventsReadAt >= 1000) {
                eventsReadAt = now;
                /** @type {List<Event>} */
                const unhealthy = await api.get(`${core}/events?fieldSelector=${encodeURIComponent("reason=Unhealthy")}`);
                errorStatusPods = podsAnsweringErrorStatus(unhealthy.items);
            }
            const result = verdict(deployment, replicaSets.items, pods.items, generation, now, { noAnswer: noAnswerSeconds, errorStatus: errorStatusSeconds, errorStatusPods });
            if (result.done) {
                console.error(`deployment/${name}: ${result.summary}`);
                return;
            }
            if (result.failure) {
                const { pod, container, state, previous, message } = result.failure;
                const lines = [`deployment/${name} will not become ready; its old pods keep serving. ${pod ? `Pod ${pod}: ` : ""}${state}`];
                if (pod && !previous) {
                    /** @type {Promise<List<Event>>} */
                    const eventsRequest = api.get(`${core}/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${pod}`)}`);
                    const events = await eventsRequest.catch(() => ({ items: [] }));
                    const unhealthy = events.items.filter((e) => e.reason === "Unhealthy" && /^Readiness/.test(e.message)).pop();
                    if (unhealthy) {
                        lines.push(`  last probe: ${unhealthy.message.trim()}`);
                    }
                }
                if (pod) {
                    // A crashed container's last lines are in its status (FallbackToLogsOnError);
                    // the kubelet may already have removed its log file.
                    const logs = message?.trim()
                        || await api.text(`${core}/pods/${pod}/log?container=${container}&tailLines=20${previous ? "&previous=true" : ""}`).catch(() => "");
                    const tail = logs.trimEnd().split("\n").filter(Boolean).slice(-20);
                    lines.push(tail.length > 0 ? "  last log lines:" : "  no log lines", ...tail.map((l) => `    ${l}`));
                }
                console.error(lines.join("\n"));
                process.exitCode = 1;
                return;
            }
            if (Date.now() > deadline) {
                const s = deployment.status ?? {};
                console.error(`deployment/${name}: not rolled out within ${process.env.TIMEOUT_SECONDS ?? 180} s (${s.updatedReplicas ?? 0} updated, ${s.availableReplicas ?? 0} available of ${deployment.spec.replicas})`);
                process.exitCode = 1;
                return;
            }
            await sleep(100);
        }
    } finally {
        api.close();
    }
}

if (require.main === module) {
    main().catch((/** @type {unknown} */ error) => {
        console.error(`deployment rollout: ${/** @type {Error} */ (error).message}`);
        process.exitCode = 1;
    });
}

module.exports = { podsAnsweringErrorStatus, verdict };
