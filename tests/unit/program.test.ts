// Contracts of the whole program, run under Pulumi's mocks: what it declares and how the
// pieces refer to each other.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, test } from "node:test";
import * as YAML from "yaml";
import { bootTrigger, declaredNodes, preloadImagePath, presenceTrigger, presenceTriggerPath, tunedKindConfig, waitForApiServer } from "../../cluster";
import { appNodePort } from "../../config";
import { contentTag } from "../../image";
import { scriptHash } from "../../runtime";
import { imageTag } from "../../workload";
import {
    at, CommandInputs, Declared, declaredOf, fakeImageId, fakeKubeconfig, fakeTools, found, only, projectDir, ProgramRun, runProgram, value,
} from "../support/harness";

const Deployment = "kubernetes:apps/v1:Deployment";
const { specialSigKey: secretSignatureKey, specialSecretSig: secretSignature } = pulumi.runtime;
const Service = "kubernetes:core/v1:Service";
const DisruptionBudget = "kubernetes:policy/v1:PodDisruptionBudget";
const NetworkPolicy = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

function commands(run: ProgramRun) {
    const all = declaredOf(run, "command:local:Command");
    return {
        cluster: found(all.find((d) => d.inputs.create?.includes("kind create cluster")), "the cluster command"),
        load: found(all.find((d) => d.inputs.create?.startsWith("node runtime/load-image.js")), "the load command"),
        images: found(all.find((d) => d.name.endsWith("-images")), "the images command"),
        answers: found(all.find((d) => d.name.endsWith("-answers")), "the answers command"),
        rollout: found(all.find((d) => d.inputs.create?.includes("runtime/rollout-status.js")), "the rollout command"),
    };
}

/** The fields read here of the kind config the cluster command gets on stdin. */
interface KindConfig {
    nodes: { role: string; image?: string; extraPortMappings?: { hostPort: number }[] }[];
    networking: { apiServerAddress: string; apiServerPort: number };
}

/** Whether a label selector picks an object with these labels. */
function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
    return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function kindConfigOf(cluster: Declared<CommandInputs>): KindConfig {
    const { stdin } = cluster.inputs;
    assert.ok(typeof stdin === "string", "the kind config is text on stdin");
    return YAML.parse(stdin) as KindConfig;
}

describe("with the default config", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram();
        assert.equal(run.error, undefined);
    });

    test("the Service selects exactly the pods the Deployment makes", () => {
        const deployment = only(run, Deployment).inputs;
        const service = only(run, Service).inputs;
        assert.deepEqual(service.spec.selector, { app: "node-web" });
        assert.ok(selects(service.spec.selector, deployment.spec.template.metadata.labels));
        assert.deepEqual(deployment.spec.selector.matchLabels, service.spec.selector);
        assert.equal(service.metadata.name, "node-service");
        assert.equal(deployment.metadata.name, "node-deployment");
    });

    test("every object and the pods carry the recommended labels; every selector is app=node-web alone", () => {
        const deployment = only(run, Deployment).inputs;
        const tag = contentTag(path.join(projectDir, "app"));
        const recommended = {
            app: "node-web",
            "app.kubernetes.io/name": "node-web",
            "app.kubernetes.io/instance": "dev",
            "app.kubernetes.io/managed-by": "pulumi",
        };
        // The version only where the image is: elsewhere each edit would update the object too.
        for (const type of [Service, DisruptionBudget, NetworkPolicy] as const) {
            assert.deepEqual(only(run, type).inputs.metadata.labels, recommended, type);
        }
        const versioned = { ...recommended, "app.kubernetes.io/version": tag };
        assert.deepEqual(deployment.metadata.labels, versioned);
        assert.deepEqual(deployment.spec.template.metadata.labels, versioned, "the pods: the version changes with the image anyway");
        // The Deployment's selector is immutable: a new label in it would break every deployed stack.
        const app = { app: "node-web" };
        assert.deepEqual(deployment.spec.selector, { matchLabels: app });
        assert.deepEqual(only(run, Service).inputs.spec.selector, app);
        assert.deepEqual(only(run, DisruptionBudget).inputs.spec.selector, { matchLabels: app });
        assert.deepEqual(only(run, NetworkPolicy).inputs.spec.podSelector, { matchLabels: app });
        assert.deepEqual(deployment.spec.template.spec.topologySpreadConstraints.map((c) => c.labelSelector), [{ matchLabels: app }]);
    });

    test("an image's version label is its tag, after a registry's port too", () => {
        assert.equal(imageTag("node-app:1804899f882079f0"), "1804899f882079f0");
        assert.equal(imageTag("localhost:5001/team/node-app:1804899f882079f0"), "1804899f882079f0");
    });

    test("the Service's targetPort names the container's port 8080", () => {
        const container = at(only(run, Deployment).inputs.spec.template.spec.containers, 0);
        const port = at(only(run, Service).inputs.spec.ports, 0);
        assert.equal(container.name, "node");
        assert.deepEqual(container.ports, [{ name: "http", containerPort: 8080 }]);
        assert.equal(port.targetPort, "http");
        assert.equal(port.port, 8080);
    });

    test("the probes and the rollout keep every request served", () => {
        const spec = only(run, Deployment).inputs.spec;
        const container = at(spec.template.spec.containers, 0);
        assert.equal(spec.replicas, 3);
        assert.equal(spec.strategy.rollingUpdate.maxUnavailable, 0);
        assert.equal(spec.strategy.rollingUpdate.maxSurge, "100%", "all new pods start at once");
        assert.deepEqual(container.readinessProbe, { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 1, failureThreshold: 1 });
        assert.equal(container.terminationMessagePolicy, "FallbackToLogsOnError", "a crash's last log lines reach the pod's status");
        // The pause covers the endpoint removal reaching kube-proxy on every node; the grace
        // period covers the pause and the app's drain.
        const pause = container.lifecycle.preStop.sleep.seconds;
        assert.ok(pause >= 10, `preStop pause ${pause} s`);
        assert.ok(spec.template.spec.terminationGracePeriodSeconds >= pause + 5);
    });

    test("liveness asks less than readiness: the listening socket, not /healthz, and with more patience", () => {
        const container = at(only(run, Deployment).inputs.spec.template.spec.containers, 0);
        // Readiness missing once takes a pod out of the Service; a restart needs the port closed
        // for three tries ten seconds apart.
        assert.deepEqual(container.livenessProbe, { tcpSocket: { port: "http" }, periodSeconds: 10, failureThreshold: 3 });
        assert.equal(container.livenessProbe.httpGet, undefined);
    });

    test("the container runs locked down, with requests and limits", () => {
        const pod = only(run, Deployment).inputs.spec.template.spec;
        const container = at(pod.containers, 0);
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
        assert.equal(container.securityContext.allowPrivilegeEscalation, false);
        assert.equal(container.securityContext.readOnlyRootFilesystem, true);
        assert.deepEqual(container.securityContext.capabilities.drop, ["ALL"]);
        for (const resource of ["cpu", "memory", "ephemeral-storage"]) {
            assert.ok(container.resources.requests[resource], `a ${resource} request`);
            assert.ok(container.resources.limits[resource], `a ${resource} limit`);
        }
    });

    test("the pods get no service account token: the app never calls the API server", () => {
        const pod = only(run, Deployment).inputs.spec.template.spec;
        assert.equal(pod.automountServiceAccountToken, false);
    });

    test("the pod spec meets the Pod Security restricted profile", () => {
        const pod = only(run, Deployment).inputs.spec.template.spec;
        // restricted: non-root, RuntimeDefault seccomp, no privilege escalation, every capability
        // dropped (none added), and none of the host namespaces, ports or volumes baseline forbids.
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.notEqual(pod.securityContext.runAsUser, 0);
        assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
        for (const field of ["hostNetwork", "hostPID", "hostIPC", "volumes", "initContainers", "ephemeralContainers"]) {
            assert.equal((pod as unknown as Record<string, unknown>)[field], undefined, field);
        }
        for (const container of pod.containers) {
            const security = container.securityContext;
            assert.equal(security.allowPrivilegeEscalation, false, container.name);
            assert.deepEqual(security.capabilities, { drop: ["ALL"] }, container.name);
            assert.equal(security.privileged, undefined, container.name);
            assert.equal(security.runAsUser, undefined, `${container.name} runs as the pod's non-root user`);
            assert.equal(security.seccompProfile, undefined, `${container.name} keeps the pod's RuntimeDefault`);
            assert.ok(container.ports.every((p: { hostPort?: number }) => p.hostPort === undefined), container.name);
        }
    });

    test("the pods and the image run as uid and gid 10001, no account on the machine", () => {
        const pod = only(run, Deployment).inputs.spec.template.spec;
        // Above 10000: a Kind node shares this machine's user namespace.
        assert.equal(pod.securityContext.runAsUser, 10001);
        assert.equal(pod.securityContext.runAsGroup, 10001);
        assert.equal(at(pod.containers, 0).securityContext.runAsUser, undefined, "set once, for the pod");
        const dockerfile = fs.readFileSync(path.join(projectDir, "app/Dockerfile"), "utf8");
        assert.deepEqual(dockerfile.match(/^USER .*$/gm), [`USER ${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`]);
    });

    test("a disruption budget lets voluntary evictions take one pod at a time, even of one replica, and unhealthy ones always", () => {
        const budget = only(run, DisruptionBudget).inputs;
        // An unhealthy pod is evicted whatever the budget: a crash-looping pod never blocks a drain.
        assert.deepEqual(budget.spec, { selector: { matchLabels: { app: "node-web" } }, maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" });
        assert.ok(selects(budget.spec.selector.matchLabels, only(run, Deployment).inputs.spec.template.metadata.labels));
        assert.equal(budget.metadata.name, "node-disruption-budget");
    });

    test("the pods spread over the nodes that take pods, one more per node at most, each version on its own", () => {
        const deployment = only(run, Deployment).inputs;
        const constraints = deployment.spec.template.spec.topologySpreadConstraints;
        const spread = at(constraints, 0);
        const more = constraints.slice(1);
        assert.deepEqual(more, []);
        assert.equal(spread.topologyKey, "kubernetes.io/hostname");
        assert.equal(spread.maxSkew, 1, "more pods than nodes stays schedulable");
        // Ignore would count kind's tainted control plane as a node with no pod: then no worker
        // could take a second pod, and 3 replicas on 2 workers would leave one Pending.
        assert.equal(spread.nodeTaintsPolicy, "Honor");
        assert.equal(spread.whenUnsatisfiable, "DoNotSchedule");
        assert.deepEqual(spread.labelSelector.matchLabels, { app: "node-web" });
        assert.ok(selects(spread.labelSelector.matchLabels, deployment.spec.template.metadata.labels));
        assert.deepEqual(spread.matchLabelKeys, ["pod-template-hash"], "a rollout's new pods spread among themselves");
    });

    test("the network policy lets the pods accept TCP on their port 8080 from anywhere and open nothing", () => {
        const policy = only(run, NetworkPolicy).inputs;
        const pod = only(run, Deployment).inputs.spec.template;
        assert.deepEqual(policy.spec.podSelector.matchLabels, { app: "node-web" });
        assert.ok(selects(policy.spec.podSelector.matchLabels, pod.metadata.labels));
        assert.deepEqual(policy.spec.policyTypes, ["Ingress", "Egress"], "Egress listed, or egress stays open");
        assert.equal(policy.spec.egress, undefined, "no egress rule: nothing out, DNS included");
        // No `from`: the NodePort path and the kubelet's probes come from the node.
        assert.deepEqual(policy.spec.ingress, [{ ports: [{ protocol: "TCP", port: "http" }] }]);
        assert.deepEqual(at(pod.spec.containers, 0).ports, [{ name: "http", containerPort: 8080 }]);
        assert.equal(policy.metadata.name, "node-network-policy");
    });

    test("the pods run the content-tagged image from the nodes, never :latest or a registry pull", async () => {
        const container = at(only(run, Deployment).inputs.spec.template.spec.containers, 0);
        const tag = contentTag(path.join(projectDir, "app"));
        assert.equal(container.image, `node-app:${tag}`);
        assert.equal(await value(run.outputs.image), `node-app:${tag}`);
        assert.equal(container.imagePullPolicy, "IfNotPresent");
        // kube-score's one CRITICAL exception (tests/lint/): it wants Always.
        assert.equal(only(run, Deployment).inputs.metadata.annotations["kube-score/ignore"], "container-image-pull-policy");
        const image = only(run, "docker:index/image:Image").inputs;
        assert.equal(image.imageName, `node-app:${tag}`);
        assert.equal(image.skipPush, true);
        assert.match(image.build.platform, /^linux\/(amd64|arm64)$/);
        assert.equal(image.build.context, "app", "a relative context keeps the checkout path out of state");
    });

    test("the image load is triggered by the image ID, the cluster's identity and its own script", () => {
        const { cluster, load } = commands(run);
        assert.deepEqual(load.inputs.triggers, [fakeImageId, `${cluster.name}-id`, scriptHash("load-image.js")]);
        assert.equal(load.inputs.environment.CLUSTER_NAME, "kube-demo");
        assert.match(found(load.inputs.environment.IMAGE, "IMAGE"), /^node-app:[0-9a-f]{16}$/);
        assert.equal(load.inputs.environment.BUILD_URN, only(run, "docker:index/image:Image").urn, "named when the image is gone from Docker");
    });

    test("the stack's images leave Docker at destroy, with the cluster still there to say which", () => {
        const { cluster, load, images } = commands(run);
        const build = only(run, "docker:index/image:Image");
        assert.equal(images.inputs.create, undefined, "nothing runs at create or update: each load prunes");
        assert.equal(images.inputs.delete, 'node runtime/prune-images.js --all "$IMAGE" "$CLUSTER_NAME"');
        assert.equal(images.inputs.environment.IMAGE, load.inputs.environment.IMAGE);
        assert.equal(images.inputs.environment.CLUSTER_NAME, "kube-demo");
        assert.ok(images.dependencies.includes(cluster.urn), "deleted while the cluster's nodes can still be asked");
        assert.ok(images.dependencies.includes(build.urn), "deleted before the image it names");
        assert.ok(!images.dependencies.includes(load.urn), "beside the load's delete, not after it");
    });

    test("the cluster preloads the very image the app builds, into each of its nodes", () => {
        const { cluster } = commands(run);
        assert.equal(cluster.inputs.environment.PRELOAD_IMAGE, only(run, "docker:index/image:Image").inputs.imageName);
        assert.equal(cluster.inputs.environment.NODE_COUNT, "1");
        // A new tag changes nothing about a cluster that runs.
        assert.ok(found(cluster.options.ignoreChanges, "ignoreChanges").includes(preloadImagePath));
        assert.equal(preloadImagePath, "environment.PRELOAD_IMAGE");
    });

    test("the update takes back a Deployment field another manager set (the dev loop's fast path, a kubectl set image)", () => {
        assert.equal(only(run, Deployment).inputs.metadata.annotations["pulumi.com/patchForce"], "true");
    });

    test("the rollout check, not the provider, awaits the Deployment, and runs again for each new spec", () => {
        const deployment = only(run, Deployment);
        const { rollout, cluster } = commands(run);
        assert.equal(deployment.inputs.metadata.annotations["pulumi.com/skipAwait"], "true");
        assert.ok(rollout.dependencies.includes(deployment.urn));
        assert.deepEqual(rollout.inputs.stdin, { [secretSignatureKey]: secretSignature, value: fakeKubeconfig }, "the kubeconfig, secret, on stdin");
        assert.equal(rollout.inputs.environment.KUBECONFIG, undefined);
        assert.equal(rollout.inputs.environment.DEPLOYMENT, "node-deployment");
        assert.equal(rollout.inputs.triggers.length, 3, "the Deployment's uid and generation, and the check's script");
        assert.equal(rollout.inputs.triggers[2], scriptHash("rollout-status.js"));
        assert.deepEqual(rollout.options.replaceWith, [cluster.urn]);
        assert.equal(deployment.inputs.spec.progressDeadlineSeconds, 60);
    });

    test("every Kubernetes object waits until the image is on the nodes", () => {
        const { load } = commands(run);
        for (const resource of run.declared.filter((d) => d.type.startsWith("kubernetes:"))) {
            assert.ok(resource.dependencies.includes(load.urn), `${resource.name} waits for the load`);
        }
    });

    test("every Kubernetes resource uses the cluster's provider and is parented to the Workload", () => {
        const provider = only(run, "pulumi:providers:kubernetes");
        // Secrets reach a provider wrapped in Pulumi's secret signature.
        assert.deepEqual(provider.inputs.kubeconfig, { [secretSignatureKey]: secretSignature, value: fakeKubeconfig });
        // Provider configuration reaches the provider as strings.
        assert.equal(provider.inputs.deleteUnreachable, "true");
        // Never replaced: what lives in the cluster follows the cluster resource instead (below).
        assert.equal(provider.inputs.clusterIdentifier, "kube-demo-kind-cluster");
        const k8sResources = run.declared.filter((d) => d.type.startsWith("kubernetes:"));
        assert.deepEqual(k8sResources.map((d) => d.type).sort(), [Deployment, Service, NetworkPolicy, DisruptionBudget].sort());
        for (const resource of k8sResources) {
            assert.equal(resource.provider, `${provider.urn}::${provider.name}-id`, `${resource.name} uses the explicit provider`);
            assert.match(resource.urn, /::kube-demo:index:Workload\$kubernetes:/, `${resource.name} is a child of the Workload`);
        }
        assert.match(provider.urn, /::kube-demo:index:KindCluster\$pulumi:providers:kubernetes::cluster-provider$/, "the cluster hands out its provider");
    });

    test("a new cluster gets every Kubernetes object anew; deleting the cluster deletes them", () => {
        const { cluster } = commands(run);
        const k8sResources = run.declared.filter((d) => d.type.startsWith("kubernetes:"));
        assert.equal(k8sResources.length, 4);
        for (const resource of k8sResources) {
            assert.deepEqual(resource.options.replaceWith, [cluster.urn], `${resource.name} is replaced with the cluster`);
            assert.equal(resource.options.deleteBeforeReplace, true, `${resource.name} has a fixed name: delete first`);
            assert.equal(resource.options.deletedWith, cluster.urn);
        }
        assert.equal(cluster.options.deleteBeforeReplace, true, "kind refuses two clusters of one name");
    });

    test("the up ends when the URL answers; a new cluster or Service, or restarted nodes, wait again", () => {
        const { answers, cluster } = commands(run);
        // The script file, run by node from the project directory (as the rollout check is).
        assert.equal(answers.inputs.create, "node runtime/wait-for-url.js");
        assert.equal(answers.inputs.interpreter, undefined);
        assert.equal(answers.inputs.dir, undefined, "the project directory, where runtime/ is");
        assert.equal(answers.inputs.environment.URL, "http://127.0.0.1:8080");
        assert.equal(answers.inputs.environment.TIMEOUT_SECONDS, "120");
        // The third: the nodes' boot (bootTrigger), "as created" until the Docker engine restarts them.
        // The fourth: the script, so that an edited wait runs at the next up.
        assert.deepEqual(answers.inputs.triggers, [`${only(run, Service).name}-id`, "http://127.0.0.1:8080", "as created", scriptHash("wait-for-url.js")]);
        assert.ok(answers.dependencies.includes(commands(run).rollout.urn));
        assert.ok(answers.dependencies.includes(only(run, Service).urn));
        assert.ok(answers.dependencies.includes(only(run, NetworkPolicy).urn), "the answer comes through the network policy");
        assert.deepEqual(answers.options.replaceWith, [cluster.urn]);
    });

    test("the cluster's command and the image are children of their components", () => {
        const { cluster, load } = commands(run);
        assert.match(cluster.urn, /::kube-demo:index:KindCluster\$command:local:Command::/);
        assert.match(load.urn, /::kube-demo:index:AppImage\$command:local:Command::/);
        assert.match(only(run, "docker:index/image:Image").urn, /::kube-demo:index:AppImage\$docker:index\/image:Image::/);
    });

    test("the image's docker provider is the first request that needs a plugin, so its plugin starts first", () => {
        // The engine starts plugins one after another, as requests first need them; the build
        // heads the longest chain (build, load, rollout).
        const needsPlugin = run.requests.filter((request) => !["pulumi:pulumi:", "kube-demo:"].some((p) => request.startsWith(p)));
        assert.equal(needsPlugin[0], "pulumi:providers:docker");
    });

    test("the kind config binds the app's port to 127.0.0.1 on the NodePort the Service uses", () => {
        const { cluster } = commands(run);
        const kindConfig = kindConfigOf(cluster);
        const mapping = at(found(at(kindConfig.nodes, 0).extraPortMappings, "port mappings"), 0);
        assert.deepEqual(mapping, { containerPort: appNodePort, hostPort: 8080, listenAddress: "127.0.0.1", protocol: "TCP" });
        assert.equal(at(only(run, Service).inputs.spec.ports, 0).nodePort, appNodePort);
        assert.equal(only(run, Service).inputs.spec.type, "NodePort");
        assert.deepEqual(kindConfig.networking, { apiServerAddress: "127.0.0.1", apiServerPort: 6443 });
    });

    test("the cluster is replaced by anything that shapes it, and deleted by name", () => {
        const { cluster } = commands(run);
        // The settings' shape replaces it; the stack's own tuning, on top of it on stdin, replaces none.
        const shape = String(cluster.inputs.triggers[1]);
        assert.deepEqual(cluster.inputs.triggers.slice(0, 2), ["kube-demo", shape]);
        assert.equal(cluster.inputs.stdin, tunedKindConfig(shape));
        assert.deepEqual((YAML.parse(cluster.inputs.stdin) as { kubeadmConfigPatches: unknown }).kubeadmConfigPatches,
            ["kind: KubeProxyConfiguration\niptables:\n  minSyncPeriod: 0s\n"], "kube-proxy applies endpoint changes at once");
        assert.match(found(cluster.inputs.delete, "the delete script"), /^kind delete cluster --name "\$CLUSTER_NAME"$/m);
        assert.equal(cluster.inputs.environment.CLUSTER_NAME, "kube-demo");
        // The claim's owner: this stack of this checkout (cluster.ts, createScript).
        assert.equal(cluster.inputs.environment.OWNER, `organization/kube-demo/dev in ${process.cwd()}`);
        assert.match(found(cluster.inputs.create, "create"), /--config - /, "the config comes from stdin, not a temp file");
        assert.equal(cluster.inputs.logging, "stderr", "the kubeconfig on stdout is never printed");
    });

    test("the kubeconfig output is secret; the url, names and context are plain", async () => {
        assert.equal(await pulumi.isSecret(found(run.outputs.kubeconfig, "the kubeconfig output")), true);
        assert.equal(await value(run.outputs.kubeconfig), fakeKubeconfig);
        assert.equal(await value(run.outputs.url), "http://127.0.0.1:8080");
        assert.equal(await value(run.outputs.clusterName), "kube-demo");
        assert.equal(await value(run.outputs.kubeContext), "kind-kube-demo");
        assert.equal(await value(run.outputs.namespace), "default");
        assert.equal(await pulumi.isSecret(found(run.outputs.kubeContext, "the kubeContext output")), false);
    });
});

test("replicas, ports, workers, names and images come from config", async () => {
    const run = await runProgram({
        replicas: "5", hostPort: "9090", apiServerPort: "7443", workers: "2", clusterName: "demo-2",
        nodeImage: "kube-demo/kind-node:v1.34.4", imageName: "example/app", baseImage: "kube-demo/node-base:20",
        namespace: "web",
    });
    assert.equal(run.error, undefined);
    assert.equal(only(run, Deployment).inputs.spec.replicas, 5);
    const { cluster, load } = commands(run);
    const kindConfig = kindConfigOf(cluster);
    assert.deepEqual(kindConfig.nodes.map((n) => n.role), ["control-plane", "worker", "worker"]);
    assert.ok(kindConfig.nodes.every((n) => n.image === "kube-demo/kind-node:v1.34.4"));
    assert.equal(at(found(at(kindConfig.nodes, 0).extraPortMappings, "port mappings"), 0).hostPort, 9090);
    assert.equal(kindConfig.networking.apiServerPort, 7443);
    assert.equal(cluster.inputs.environment.CLUSTER_NAME, "demo-2");
    assert.equal(load.inputs.environment.CLUSTER_NAME, "demo-2");
    const image = only(run, "docker:index/image:Image").inputs;
    assert.deepEqual(image.build.args, { BASE_IMAGE: "kube-demo/node-base:20" });
    const tag = contentTag(path.join(projectDir, "app"), { BASE_IMAGE: "kube-demo/node-base:20" });
    assert.equal(image.imageName, `example/app:${tag}`);
    assert.equal(await value(run.outputs.url), "http://127.0.0.1:9090");
    assert.equal(await value(run.outputs.kubeContext), "kind-demo-2");
    // The dev loop finds the pods it streams through this output.
    assert.equal(await value(run.outputs.namespace), "web");
    assert.equal(only(run, Deployment).inputs.metadata.namespace, "web");
    // The namespace the stack creates admits restricted pods only (the pod spec meets it, above).
    const namespace = only(run, "kubernetes:core/v1:Namespace").inputs.metadata;
    assert.equal(namespace.name, "web");
    assert.equal(namespace.labels["app.kubernetes.io/name"], "node-web");
    assert.equal(namespace.labels["app.kubernetes.io/managed-by"], "pulumi");
    assert.equal(namespace.labels["pod-security.kubernetes.io/enforce"], "restricted");
    assert.equal(namespace.labels["pod-security.kubernetes.io/warn"], "restricted");
    assert.deepEqual(Object.keys(namespace.labels).filter((k) => k.startsWith("pod-security.kubernetes.io/")).sort(),
        ["pod-security.kubernetes.io/enforce", "pod-security.kubernetes.io/warn"], "no version pinned");
    // Replaced with its cluster, which takes its pods with it: their stop is not waited for.
    assert.equal(namespace.annotations["pulumi.com/skipAwait"], "true");
});

describe("a cluster deleted outside Pulumi is noticed and rebuilt", () => {
    const clusterIn = async (existingClusters: string[]) => {
        const run = await runProgram({}, { existingClusters });
        assert.equal(run.error, undefined);
        return commands(run).cluster;
    };

    test("a cluster that exists keeps the presence trigger the engine stored: no diff", async () => {
        const cluster = await clusterIn(["other", "kube-demo"]);
        assert.deepEqual(cluster.options.ignoreChanges, [preloadImagePath, presenceTriggerPath]);
        assert.equal(presenceTriggerPath, "triggers[2]");
        assert.equal(cluster.inputs.triggers.length, 3);
    });

    test("a node removed by hand stops up and preview with one line naming it and the command that mends it", async () => {
        // The fake Docker has the control plane alone, where the API server lists two workers too.
        const tools = fakeTools(["kind", "docker"], ["kube-demo"], ["kube-demo-control-plane", "kube-demo-worker", "kube-demo-worker2"]);
        const run = await runProgram({ workers: "2" }, { tools });
        assert.equal(run.error?.message, "the kind cluster 'kube-demo' lost kube-demo-worker, kube-demo-worker2 (its container is gone) and kind "
            + "cannot add a node to a cluster that runs: delete the cluster (kind delete cluster --name kube-demo) and run this again to have it created anew");
        assert.equal(declaredOf(run, "command:local:Command").length, 0, "nothing declared");
    });

    test("more workers than the cluster has, none lost: no error, the settings' change replaces the cluster", async () => {
        const tools = fakeTools(["kind", "docker"], ["kube-demo"], ["kube-demo-control-plane"]);
        const run = await runProgram({ workers: "2" }, { tools });
        assert.equal(run.error, undefined);
    });

    test("kind names the nodes NAME-control-plane, NAME-worker, NAME-worker2, ...", () => {
        assert.deepEqual(declaredNodes("demo", 0), ["demo-control-plane"]);
        assert.deepEqual(declaredNodes("demo", 3), ["demo-control-plane", "demo-worker", "demo-worker2", "demo-worker3"]);
    });

    test("a missing cluster gets a presence trigger never used before, so a deployed one is replaced", async () => {
        const first = await clusterIn(["other"]);
        await new Promise((resolve) => setTimeout(resolve, 5));
        const second = await clusterIn(["other"]);
        assert.deepEqual(first.options.ignoreChanges, [preloadImagePath], "the new value must reach the engine's diff");
        const trigger = at(first.inputs.triggers, 2);
        assert.ok(typeof trigger === "string");
        assert.match(trigger, /^missing at /);
        assert.notEqual(trigger, second.inputs.triggers[2]);
    });

    test("the program never reads its own stack's state (the engine writes it while the program runs)", async () => {
        const run = await runProgram({}, { existingClusters: ["kube-demo"] });
        assert.ok(!run.requests.includes("pulumi:pulumi:StackReference"));
    });

    test("presenceTrigger: present when the cluster exists, else the time it was found missing", () => {
        assert.equal(presenceTrigger(true, new Date(0)), "present");
        assert.equal(presenceTrigger(false, new Date(0)), "missing at 1970-01-01T00:00:00.000Z");
    });
});

describe("a cluster whose Docker engine restarted", () => {
    const node = (created: string, startedAt: string, running = true, apiServerPort?: number) =>
        ({ name: "kube-demo-control-plane", running, created, startedAt, ...(apiServerPort === undefined ? {} : { apiServerPort }) });

    test("bootTrigger: constant while the nodes run as kind started them; the latest restart once one restarted", () => {
        assert.equal(bootTrigger([]), "as created");
        assert.equal(bootTrigger([node("2026-12-01T07:00:00Z", "2026-12-01T07:00:01Z")]), "as created");
        const restarted = [node("2026-12-01T07:00:00Z", "2026-12-01T09:00:00Z"), node("2026-12-01T07:00:00Z", "2026-12-01T09:00:05Z")];
        assert.equal(bootTrigger(restarted), "restarted at 2026-12-01T09:00:05Z");
        assert.equal(bootTrigger([node("2026-12-01T07:00:00Z", "2026-12-01T07:00:01Z"), at(restarted, 0)]), "restarted at 2026-12-01T09:00:00Z");
    });

    test("stopped nodes: one line naming them and how to start them, before anything is asked of the cluster", async () => {
        await assert.rejects(waitForApiServer("kube-demo", [node("a", "b", false)]),
            /the kind cluster 'kube-demo' has stopped nodes \(kube-demo-control-plane\); Docker did not start them again\. Start them \(docker start kube-demo-control-plane\)/);
    });

    test("a cluster with no API server port published (another's, or a worker alone) is not waited for", async () => {
        const started = Date.now();
        await waitForApiServer("kube-demo", [node("a", "b")], 5);
        assert.ok(Date.now() - started < 1000);
    });

    test("an API server that does not answer at the port its node publishes: one line with its address, after the wait", async () => {
        const server = net.createServer((socket) => { socket.destroy(); });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as net.AddressInfo).port;
        try {
            await assert.rejects(waitForApiServer("kube-demo", [node("a", "b", true, port)], 1),
                new RegExp(`the API server of the kind cluster 'kube-demo' \\(https://127\\.0\\.0\\.1:${port}\\) did not answer within 1 s: \\S`));
        } finally {
            server.close();
        }
    });
});

describe("every part uses the one Docker engine the docker CLI resolves", () => {
    const engineOf = async (world: Parameters<typeof runProgram>[1]) => {
        const run = await runProgram({}, world);
        assert.equal(run.error, undefined);
        const provider = only(run, "pulumi:providers:docker");
        const image = only(run, "docker:index/image:Image");
        const { cluster, load } = commands(run);
        assert.ok(image.provider?.startsWith(`${provider.urn}::`), "the image is built through the explicit provider");
        return { provider: provider.inputs.host, kind: cluster.inputs.environment.DOCKER_HOST, load: load.inputs.environment.DOCKER_HOST };
    };

    const withConfig = (config: object) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-docker-config-"));
        fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config));
        return dir;
    };
    const all = (host: string) => ({ provider: host, kind: host, load: host });

    test("no context chosen: the default socket, for the build, kind and the load", async () => {
        assert.deepEqual(await engineOf({}), all("unix:///var/run/docker.sock"));
        assert.deepEqual(await engineOf({ dockerEnv: { DOCKER_CONFIG: withConfig({ currentContext: "default" }) } }),
            all("unix:///var/run/docker.sock"));
    });

    test("the current context of config.json: its endpoint, as the docker CLI gives it", async () => {
        const DOCKER_CONFIG = withConfig({ currentContext: "colima" });
        assert.deepEqual(await engineOf({ dockerEnv: { DOCKER_CONFIG } }), all("unix:///run/contexts/colima/docker.sock"));
    });

    test("DOCKER_CONTEXT wins over config.json, DOCKER_HOST over both, as in the docker CLI", async () => {
        const DOCKER_CONFIG = withConfig({ currentContext: "colima" });
        assert.deepEqual(await engineOf({ dockerEnv: { DOCKER_CONFIG, DOCKER_CONTEXT: "rootless" } }),
            all("unix:///run/contexts/rootless/docker.sock"));
        assert.deepEqual(await engineOf({ dockerEnv: { DOCKER_CONFIG, DOCKER_CONTEXT: "rootless", DOCKER_HOST: "tcp://127.0.0.1:2375" } }),
            all("tcp://127.0.0.1:2375"));
    });

    test("a context the docker CLI does not know is one clear line before anything is declared", async () => {
        const tools = fakeTools(["kind"]);
        fs.writeFileSync(path.join(tools, "docker"), "#!/bin/sh\n[ \"$1\" = context ] && exit 1\nexit 0\n", { mode: 0o755 });
        const run = await runProgram({}, { tools, dockerEnv: { DOCKER_CONTEXT: "gone" } });
        assert.ok(run.error instanceof pulumi.RunError);
        assert.match(run.error.message, /^the Docker engine's address is unknown .*DOCKER_HOST.*docker context use/);
        assert.deepEqual(run.declared, []);
    });
});

describe("a port another process holds stops the program before a cluster is created", () => {
    // This machine's ports, as the program binds them.
    const withRealPorts = (existingClusters: string[] = []) => ({ existingClusters, realPorts: true });
    const holding = async <T>(body: (port: number) => Promise<T>): Promise<T> => {
        const server = net.createServer();
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        try {
            return await body((server.address() as net.AddressInfo).port);
        } finally {
            server.close();
        }
    };

    // A port that was free a moment ago, so that this machine's 8080 or 6443 (a dev stack
    // running beside the tests) cannot add a second complaint.
    const freePort = () => holding((port) => Promise.resolve(port));

    for (const [setting, other] of [["hostPort", "apiServerPort"], ["apiServerPort", "hostPort"]] as const) {
        test(`${setting} taken: one line naming the port and the setting; no cluster declared`, () => holding(async (port) => {
            const run = await runProgram({ [setting]: String(port), [other]: String(await freePort()) }, withRealPorts());
            assert.ok(run.error instanceof pulumi.RunError);
            assert.equal(run.error.message, `port ${port} on 127.0.0.1 (${setting}) is taken by another process: stop it, or choose another port (pulumi config set ${setting} PORT)`);
            assert.deepEqual(run.declared.filter((d) => d.type === "command:local:Command"), []);
        }));
    }

    test("a cluster that already runs holds its own ports: no complaint", () => holding(async (port) => {
        const run = await runProgram({ hostPort: String(port) }, withRealPorts(["kube-demo"]));
        assert.equal(run.error, undefined);
    }));
});

describe("bad config stops the program before anything is declared", () => {
    const cases: [Record<string, string>, RegExp][] = [
        [{ replicas: "-1" }, /^invalid config replicas="-1": must be an integer from 1 to 20/],
        [{ replicas: "0" }, /^invalid config replicas="0"/],
        [{ replicas: "2.5" }, /^invalid config replicas="2.5"/],
        [{ replicas: "many" }, /^invalid config replicas="many"/],
        [{ clusterName: "Kube_Demo" }, /^invalid config clusterName="Kube_Demo": must be 1 to 50 characters/],
        [{ clusterName: "-demo" }, /^invalid config clusterName="-demo"/],
        [{ clusterName: "a".repeat(51) }, /^invalid config clusterName="a{51}"/],
        [{ hostPort: "70000" }, /^invalid config hostPort="70000": must be an integer from 1 to 65535/],
        [{ hostPort: "0" }, /^invalid config hostPort="0"/],
        [{ apiServerPort: "8080" }, /^invalid config apiServerPort="8080": must differ from hostPort/],
        [{ workers: "9" }, /^invalid config workers="9": must be an integer from 0 to 4/],
        [{ imageName: "node-app:v1" }, /^invalid config imageName="node-app:v1": .*without a tag/],
        [{ imageName: "Node-App" }, /^invalid config imageName="Node-App"/],
        [{ nodeImage: "not an image" }, /^invalid config nodeImage="not an image"/],
        [{ baseImage: "bad image!" }, /^invalid config baseImage="bad image!"/],
    ];
    for (const [config, message] of cases) {
        test(JSON.stringify(config), async () => {
            const run = await runProgram(config);
            assert.ok(run.error instanceof pulumi.RunError, "a RunError prints one line, no stack trace");
            assert.match(run.error.message, message);
            assert.doesNotMatch(run.error.message, /\n/);
            assert.deepEqual(run.declared, []);
        });
    }

    // Hostile values, every setting: the wrong type, out of range, empty, spaced, non-ASCII,
    // 300 characters, option-like, and shell metacharacters that would create `marker` if the
    // value ever reached a shell unquoted. Each is one line of printable ASCII naming the
    // setting, the value (escaped; a long one cut to its start) and what is allowed; nothing is
    // declared and nothing runs.
    const marker = path.join(os.tmpdir(), `kube-demo-marker-${process.pid}-${Date.now()}`);
    const allowed: Record<string, string> = {
        clusterName: "must be 1 to 50 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit",
        replicas: "must be an integer from 1 to 20, in digits without sign, spaces or leading zeros (a local cluster on a laptop)",
        hostPort: "must be an integer from 1 to 65535, in digits without sign, spaces or leading zeros",
        apiServerPort: "must be an integer from 1 to 65535, in digits without sign, spaces or leading zeros",
        workers: "must be an integer from 0 to 4, in digits without sign, spaces or leading zeros (each worker is a container on this machine)",
        nodeImage: "must be an image reference of at most 255 characters, such as kindest/node:v1.34.0",
        imageName: "must be a lowercase image repository name without a tag, at most 255 characters, such as node-app (the tag is the content hash)",
        baseImage: "must be an image reference of at most 255 characters, such as node:20-slim",
        namespace: "must be 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit (a Kubernetes namespace name)",
        serviceType: "must be one of NodePort, LoadBalancer, ClusterIP",
        target: "must be one of kind, existing",
        kubeconfig: "must be a file path of letters, digits and . _ ~ + / - (not first), at most 255 characters, such as ~/.kube/config",
        context: "must be the name of a context in the kubeconfig: a letter or digit, then letters, digits and . _ : / @ + -, at most 253 characters, such as kind-staging",
        registry: "must be a registry host with an optional port and path, at most 255 characters, such as localhost:5001 or ghcr.io/my-team",
    };
    /** A valid value followed by each way out of it into a shell. */
    const shellEscapes = (valid: string): [string, string][] => [
        ["; then a command", `${valid};touch ${marker}`],
        ["$( )", `${valid}$(touch ${marker})`],
        ["backticks", `${valid}\`touch ${marker}\``],
        ["a newline", `${valid}\ntouch ${marker}`],
        ["|", `${valid}|touch ${marker}`],
        ["&", `${valid}&touch ${marker}`],
        ["single quotes", `${valid}'; touch ${marker}; '`],
        ["double quotes", `${valid}"; touch ${marker}; "`],
        ["a redirection", `${valid}>${marker}`],
    ];
    const strings: Record<string, { valid: string; nonAscii: [string, string] }> = {
        clusterName: { valid: "kube-demo", nonAscii: ["an accented letter", "kübe-demo"] },
        imageName: { valid: "node-app", nonAscii: ["a Cyrillic o", "n\u043ede-app"] },
        nodeImage: { valid: "kindest/node:v1.34.0", nonAscii: ["a zero-width space", "kindest/node:v1.34.0\u200b"] },
        baseImage: { valid: "node:20-slim", nonAscii: ["a right-to-left override", "node:20-\u202eslim"] },
        namespace: { valid: "web", nonAscii: ["a Greek alpha", "w\u03b1b"] },
        serviceType: { valid: "NodePort", nonAscii: ["a full-width P", "Node\uff30ort"] },
        target: { valid: "kind", nonAscii: ["a dotless i", "k\u0131nd"] },
        kubeconfig: { valid: "~/.kube/config", nonAscii: ["a non-breaking space", "~/.kube/my\u00a0config"] },
        context: { valid: "kind-staging", nonAscii: ["an en dash", "kind\u2013staging"] },
        registry: { valid: "localhost:5001", nonAscii: ["a Cyrillic o", "l\u043ecalhost:5001"] },
    };
    const integers: Record<string, { min: number; max: number }> = {
        replicas: { min: 1, max: 20 }, hostPort: { min: 1, max: 65535 }, apiServerPort: { min: 1, max: 65535 }, workers: { min: 0, max: 4 },
    };
    const hostile: [string, string, string][] = [
        ...Object.entries(strings).flatMap(([setting, { valid, nonAscii }]): [string, string, string][] => [
            ...shellEscapes(valid).map(([what, value]): [string, string, string] => [setting, value, what]),
            [setting, ` ${valid}`, "a leading space"],
            [setting, `${valid} `, "a trailing space"],
            [setting, " ", "a space alone"],
            [setting, `${valid}\t`, "a trailing tab"],
            [setting, nonAscii[1], nonAscii[0]],
            [setting, "a".repeat(300), "300 characters"],
            [setting, `{"name":"${valid}"}`, "an object (wrong type)"],
            [setting, `-${valid}`, "option-like"],
        ]),
        ["clusterName", "", "empty"],
        ["imageName", "", "empty"],
        ...Object.entries(integers).flatMap(([setting, { min, max }]): [string, string, string][] => [
            [setting, String(min - 1), "below the range"],
            [setting, String(max + 1), "above the range"],
            [setting, "", "empty"],
            [setting, ` ${min + 1}`, "a leading space"],
            [setting, `${min + 1} `, "a trailing space"],
            [setting, `+${min + 1}`, "a sign"],
            [setting, `0${min + 1}`, "a leading zero"],
            [setting, `${min + 1}.0`, "a decimal point"],
            [setting, "0x2", "hexadecimal"],
            [setting, "2e0", "an exponent"],
            [setting, "true", "a boolean (wrong type)"],
            [setting, "[2]", "an array (wrong type)"],
            [setting, "\uff12", "a full-width digit"],
            [setting, "9".repeat(300), "300 characters"],
            [setting, `2;touch ${marker}`, "; then a command"],
            [setting, `$(touch ${marker})`, "$( )"],
        ]),
    ];
    for (const [setting, value, what] of hostile) {
        test(`${setting}: ${what}`, async () => {
            const run = await runProgram({ [setting]: value });
            assert.ok(run.error instanceof pulumi.RunError, "a RunError prints one line, no stack trace");
            const message = run.error.message;
            assert.match(message, /^[\x20-\x7e]+$/, "one line of printable ASCII");
            assert.ok(message.startsWith(`invalid config ${setting}=`), message);
            assert.ok(message.endsWith(`: ${allowed[setting]}`), message);
            assert.ok(message.length <= 300, `${message.length} characters`);
            const quoted = JSON.stringify(value);
            if (/^[\x20-\x7e]*$/.test(value) && quoted.length <= 102) {
                assert.equal(message, `invalid config ${setting}=${quoted}: ${allowed[setting]}`);
            }
            assert.deepEqual(run.declared, []);
            assert.equal(fs.existsSync(marker), false, "no value ever reached a shell");
        });
    }
    test("the hostile table covers every setting, and each string setting with every shell escape", () => {
        assert.deepEqual([...new Set(hostile.map(([setting]) => setting))].sort(), Object.keys(allowed).sort());
        for (const setting of Object.keys(strings)) {
            assert.equal(hostile.filter(([s, value]) => s === setting && value.includes(marker)).length, shellEscapes("").length);
        }
    });
});

describe("a missing prerequisite stops the program before anything is declared", () => {
    test("kind not on PATH", async () => {
        const run = await runProgram({}, { tools: fakeTools(["docker"]) });
        assert.ok(run.error instanceof pulumi.RunError);
        assert.match(run.error.message, /^kind is not on PATH: install it from https:\/\/kind\.sigs\.k8s\.io\/ \(.*npm run toolchain/);
        assert.deepEqual(run.declared, []);
    });

    test("Docker not answering", async () => {
        const tools = fakeTools(["kind"]);
        fs.writeFileSync(path.join(tools, "docker"), "#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n", { mode: 0o755 });
        const run = await runProgram({}, { tools });
        assert.ok(run.error instanceof pulumi.RunError);
        assert.match(run.error.message, /^Docker is not answering/);
        assert.deepEqual(run.declared, []);
    });

    test("Docker cannot list the cluster's nodes: one line with the first of its own", async () => {
        const tools = fakeTools(["kind"]);
        fs.writeFileSync(path.join(tools, "docker"),
            "#!/bin/sh\n[ \"$1\" = ps ] && { printf 'permission denied while trying to connect\\nmore detail\\n' >&2; exit 1; }\nexit 0\n", { mode: 0o755 });
        const run = await runProgram({}, { tools });
        assert.ok(run.error instanceof pulumi.RunError);
        assert.equal(run.error.message, "`docker ps` failed, so the cluster's state is unknown: permission denied while trying to connect");
        assert.deepEqual(run.declared, []);
    });
});

describe("the checks run side by side, and report as they would one after another", () => {
    test("when several checks fail, the first of them in order is the one reported", async () => {
        // kind missing, the docker context unknown and `docker ps` failing: kind.
        const tools = fakeTools([]);
        fs.writeFileSync(path.join(tools, "docker"),
            "#!/bin/sh\n[ \"$1\" = info ] && exit 0\necho 'no such context' >&2\nexit 1\n", { mode: 0o755 });
        const failing = await runProgram({}, { tools, dockerEnv: { DOCKER_CONTEXT: "gone" } });
        assert.match(String(failing.error?.message), /^kind is not on PATH/);
        // kind there: the unknown context comes before the cluster's state.
        fs.writeFileSync(path.join(tools, "kind"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
        const later = await runProgram({}, { tools, dockerEnv: { DOCKER_CONTEXT: "gone" } });
        assert.match(String(later.error?.message), /^the Docker engine's address is unknown/);
        // The context known: the cluster's state.
        const last = await runProgram({}, { tools });
        assert.match(String(last.error?.message), /^`docker ps` failed, so the cluster's state is unknown: no such context$/);
        fs.rmSync(tools, { recursive: true, force: true });
    });

    test("the checks that need nothing of each other run at the same time", async () => {
        // Each tool holds until all four calls that need nothing of each other have begun: kind
        // version, docker info, docker context inspect and docker ps. Run one after another, each
        // would wait out its 5 s alone, and count itself only.
        const tools = fakeTools([]);
        const running = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-running-"));
        const together = 4;
        const tool = `#!${process.execPath}
const fs = require("node:fs");
const running = ${JSON.stringify(running)};
fs.mkdirSync(running + "/" + process.pid);
const until = Date.now() + 5000;
while (fs.readdirSync(running).length < ${together} && Date.now() < until) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
}
const [call] = process.argv.slice(2);
fs.appendFileSync(running + ".log", require("node:path").basename(process.argv[1]) + " " + call + " " + fs.readdirSync(running).length + "\\n");
if (call === "context") console.log("unix:///run/contexts/" + process.argv[6] + "/docker.sock");
`;
        for (const name of ["kind", "docker"]) {
            fs.writeFileSync(path.join(tools, name), tool, { mode: 0o755 });
        }
        const run = await runProgram({}, { tools, dockerEnv: { DOCKER_CONTEXT: "colima" } });
        const calls = fs.readFileSync(`${running}.log`, "utf8").trim().split("\n").sort();
        fs.rmSync(tools, { recursive: true, force: true });
        fs.rmSync(running, { recursive: true, force: true });
        fs.rmSync(`${running}.log`, { force: true });
        assert.equal(run.error, undefined);
        assert.deepEqual(calls, [`docker context ${together}`, `docker info ${together}`, `docker ps ${together}`, `kind version ${together}`]);
    });
});
