// The app in a cluster: a Deployment, its Service, the pods' disruption budget and network
// policy (and their namespace, unless it is `default`), through a provider that talks to that
// cluster only: the Kind cluster this stack creates, or one context of the user's kubeconfig.
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceType } from "./config";

/**
 * What the app's objects are called in the cluster: the names of the manual workflow this stack
 * replaces (`kubectl port-forward service/node-service`, `-l app=node-web`), so that what a user
 * typed before still finds them. The image is `node-app` (config.ts, imageName). Changing any of
 * these would replace the objects in every deployed stack.
 */
export const appNames = {
    /** The pods' label: the Deployment's, the Service's and the policies' selector. */
    labels: { app: "node-web" },
    deployment: "node-deployment",
    container: "node",
    service: "node-service",
    disruptionBudget: "node-disruption-budget",
    networkPolicy: "node-network-policy",
} as const;
const appLabels = appNames.labels;
export const containerPortName = "http";
/** The port the app listens on, and the Service's port. */
export const appPort = 8080;

/** The Kind cluster this stack creates. */
export interface KindConnection {
    readonly kind: "kind";
    /** Kubeconfig of the cluster (never the user's current context). */
    readonly kubeconfig: pulumi.Input<string>;
    /** The cluster's resource: a new cluster gets the Kubernetes objects anew. */
    readonly cluster: pulumi.Resource;
    /** NodePort the cluster maps to the host. */
    readonly nodePort: number;
    /** Where the app answers on the host; `pulumi up` ends once it does. */
    readonly url: string;
    /** Changes when the cluster's nodes restarted (KindCluster.boot): the up waits for the URL again. */
    readonly clusterBoot: pulumi.Input<string>;
}

/** A cluster the user already has, through their own kubeconfig file and one of its contexts. */
export interface ExistingConnection {
    readonly kind: "existing";
    readonly kubeconfigPath: string;
    readonly context: string;
}

export interface WorkloadArgs {
    readonly connection: KindConnection | ExistingConnection;
    /** The image reference the pods run, already where the nodes get it. */
    readonly image: pulumi.Input<string>;
    readonly replicas: number;
    /** Namespace of every object; created (and deleted) here unless it is `default`. */
    readonly namespace: string;
    readonly serviceType: ServiceType;
    /** Resources that must finish first (the image load or push). */
    readonly after?: pulumi.Input<pulumi.Resource>[];
}

export class Workload extends pulumi.ComponentResource {
    public readonly provider: k8s.Provider;
    /** The namespace, when the stack owns it (any but `default`). */
    public readonly namespace?: k8s.core.v1.Namespace | undefined;
    public readonly deployment: k8s.apps.v1.Deployment;
    public readonly service: k8s.core.v1.Service;
    public readonly disruptionBudget: k8s.policy.v1.PodDisruptionBudget;
    public readonly networkPolicy: k8s.networking.v1.NetworkPolicy;
    /** Kind: done once every replica runs the Deployment's current spec and is Ready. */
    public readonly rollout?: command.local.Command | undefined;
    /** Kind: done once the app answers at its URL. */
    public readonly urlReady?: command.local.Command | undefined;

    constructor(name: string, args: WorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kube-demo:index:Workload", name, {}, opts);
        const connection = args.connection;
        const kind = connection.kind === "kind" ? connection : undefined;

        this.provider = connection.kind === "kind"
            ? new k8s.Provider(`${name}-cluster`, {
                kubeconfig: connection.kubeconfig,
                // The provider always talks to this stack's cluster: a new kubeconfig (a recreated
                // cluster) updates it rather than replacing it. What lives in the cluster follows
                // the cluster itself instead (replaceWith below), which is both exact and avoids
                // replacing a provider in the middle of a delete-before-replace chain.
                clusterIdentifier: "kube-demo-kind-cluster",
                // `pulumi destroy` still finishes when the cluster is already gone.
                deleteUnreachable: true,
            }, { parent: this })
            : new k8s.Provider(`${name}-cluster`, {
                // The path, not the file's text: the user's credentials (often a command that
                // fetches a token) stay in their file and out of the stack's state.
                kubeconfig: connection.kubeconfigPath,
                context: connection.context,
                // A refreshed token in the file is the same cluster; another context is not.
                clusterIdentifier: `existing:${connection.context}`,
            }, { parent: this });
        const children: pulumi.CustomResourceOptions = kind
            ? {
                parent: this,
                provider: this.provider,
                // A new cluster starts empty: recreate these with it. Delete first, because the
                // names are fixed and the provider's kubeconfig is the new cluster's by the time a
                // create-before-delete replacement would delete the old object.
                replaceWith: [kind.cluster],
                deleteBeforeReplace: true,
                // Deleting the cluster deletes these; no need to ask its API server first.
                deletedWith: kind.cluster,
            }
            : { parent: this, provider: this.provider };

        // Named as set, never auto-named: the user asked for this namespace. Made once the image
        // is where the nodes get it, so that a refused push leaves the cluster as it was.
        this.namespace = args.namespace === "default" ? undefined : new k8s.core.v1.Namespace(`${name}-namespace`, {
            metadata: { name: args.namespace, labels: appLabels },
        }, { ...children, ...(args.after === undefined ? {} : { dependsOn: args.after }) });
        // Every object names its namespace: a context may carry a namespace of its own.
        const namespace = this.namespace?.metadata.name ?? args.namespace;

        this.deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, {
            metadata: {
                name: appNames.deployment,
                namespace,
                labels: appLabels,
                annotations: {
                    // On Kind the rollout is awaited by `rollout` below, which fails in seconds when
                    // new pods cannot become ready; the provider's await would wait out its whole
                    // timeout. On an existing cluster, whose credentials that script cannot use,
                    // the provider awaits it.
                    ...(kind ? { "pulumi.com/skipAwait": "true" } : {}),
                    // kube-score wants imagePullPolicy Always, under which the kubelet asks a
                    // registry for every new pod's image: on Kind it is in no registry (it is loaded
                    // into the nodes, image.ts), so the pods would never start. Its tag is a content
                    // hash, and the pods have no imagePullSecrets to revalidate. The one CRITICAL
                    // exception, listed with its reason in tests/lint/kube-score-waivers.yaml.
                    "kube-score/ignore": "container-image-pull-policy",
                },
            },
            spec: {
                replicas: args.replicas,
                selector: { matchLabels: appLabels },
                // Old pods stay until new ones are Ready (no capacity lost, a broken version never
                // takes over); all new pods start at once, so a rollout takes one pod's start time.
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "100%" } },
                // The controller's own verdict on a rollout that stalls; `rollout` usually says sooner.
                progressDeadlineSeconds: 60,
                template: {
                    metadata: { labels: appLabels },
                    spec: {
                        // One pod more on a node than on any other, at most: on a cluster with
                        // workers the pods spread over them, so a node going away takes few of
                        // them. Tainted nodes (kind's control plane, when there are workers) are no
                        // place for a pod and do not count; each version spreads on its own
                        // (pod-template-hash), so a rollout's new pods spread too. On one node
                        // nothing changes, and more pods than nodes is still allowed.
                        topologySpreadConstraints: [{
                            maxSkew: 1,
                            topologyKey: "kubernetes.io/hostname",
                            whenUnsatisfiable: "DoNotSchedule",
                            nodeTaintsPolicy: "Honor",
                            labelSelector: { matchLabels: appLabels },
                            matchLabelKeys: ["pod-template-hash"],
                        }],
                        // The preStop pause below, then the app's drain (well under a second), with room.
                        terminationGracePeriodSeconds: 20,
                        securityContext: {
                            runAsNonRoot: true,
                            // A Kind node is a container with no user namespace of its own, so a uid
                            // in the pod is the same uid on this machine: 1000 is usually the
                            // developer's account. Above 10000 no local account is hit; the image
                            // says the same (app/Dockerfile), and its files are root-owned and
                            // world-readable.
                            runAsUser: 10001,
                            runAsGroup: 10001,
                            seccompProfile: { type: "RuntimeDefault" },
                        },
                        containers: [{
                            name: appNames.container,
                            image: args.image,
                            // On Kind the image is loaded into the nodes (image.ts) and no registry has
                            // it; elsewhere its content tag never names two images, so a node that
                            // has it has the right one.
                            imagePullPolicy: "IfNotPresent",
                            ports: [{ name: containerPortName, containerPort: appPort }],
                            // Probed every second: a new pod joins the Service within a second of
                            // listening, and the rollout moves on as soon as it does.
                            readinessProbe: {
                                httpGet: { path: "/healthz", port: containerPortName },
                                periodSeconds: 1,
                                failureThreshold: 1,
                            },
                            // Liveness asks less than readiness: that the process still holds its
                            // listening socket. A pod that answers slowly or not at all leaves the
                            // Service at readiness's first miss; restarting it as well would turn an
                            // overload into cold starts. The kernel completes the handshake even while
                            // the event loop is blocked, so a blocked loop leaves the pod unready, not
                            // restarted.
                            livenessProbe: {
                                tcpSocket: { port: containerPortName },
                                periodSeconds: 10,
                                failureThreshold: 3,
                            },
                            // A deleted pod leaves the Service only when kube-proxy on the node that
                            // takes the connection rewrites its rules; SIGTERM would close the port
                            // before that. With workers, under load on two cores, 3 s was not enough
                            // (CI: 10 refused connections of 1689 across a rollout). The pause costs
                            // the rollout nothing: a terminating pod no longer counts as a replica.
                            lifecycle: { preStop: { sleep: { seconds: 10 } } },
                            // A crash leaves its last log lines in the pod's status, where the
                            // rollout check and `kubectl describe pod` show them.
                            terminationMessagePolicy: "FallbackToLogsOnError",
                            // Ephemeral storage: the root filesystem is read-only and no volume is
                            // mounted, so only the container's log grows, two lines per process.
                            // The kubelet rotates logs at 10 MiB x 5 files (Kind keeps its defaults),
                            // so the limit is above what rotation keeps: reaching it (and eviction)
                            // takes something writing where nothing should.
                            // CPU: a whole core at most. Node.js starts in about 50 ms of CPU; under
                            // 250m (25 ms of every 100 ms) that took several periods, and a new pod
                            // then missed the readiness probe the kubelet sends as it sees the
                            // container start: a rollout of 3 pods took 2.4-3.7 s here, 1.8-2.4 s
                            // with 1 (the dev loop's save-to-served, issue 12).
                            resources: {
                                requests: { cpu: "50m", memory: "32Mi", "ephemeral-storage": "16Mi" },
                                limits: { cpu: "1", memory: "128Mi", "ephemeral-storage": "64Mi" },
                            },
                            securityContext: {
                                allowPrivilegeEscalation: false,
                                readOnlyRootFilesystem: true,
                                capabilities: { drop: ["ALL"] },
                            },
                        }],
                    },
                },
            },
        }, {
            ...children,
            ...(args.after === undefined ? {} : { dependsOn: args.after }),
            // The provider's own await, on an existing cluster: a stuck rollout fails in minutes.
            ...(kind ? {} : { customTimeouts: { create: "5m", update: "5m" } }),
        });

        // Like `kubectl rollout status`, but a new pod that crashes, cannot use its image or keeps
        // failing its readiness probe fails the `up` in seconds, with its state and last log lines
        // (runtime/rollout-status.js). Runs again whenever the Deployment's spec changes.
        this.rollout = kind && new command.local.Command(`${name}-rollout`, {
            create: "node runtime/rollout-status.js",
            // The kubeconfig on stdin: never in the environment, never printed, secret in the state.
            stdin: kind.kubeconfig,
            environment: {
                NAMESPACE: this.deployment.metadata.namespace,
                DEPLOYMENT: this.deployment.metadata.name,
                GENERATION: this.deployment.metadata.generation.apply(String),
            },
            triggers: [this.deployment.metadata.uid, this.deployment.metadata.generation],
            logging: "stderr",
        }, { parent: this, replaceWith: [kind.cluster] });

        this.service = new k8s.core.v1.Service(`${name}-service`, {
            metadata: {
                name: appNames.service,
                namespace,
                labels: appLabels,
                // On Kind the provider's endpoint await proves less than `urlReady` below and
                // added its polling delay (about 5 s) to every cold start. Elsewhere it is the
                // only wait, and for a load balancer it waits for the address the `url` shows.
                annotations: kind ? { "pulumi.com/skipAwait": "true" } : {},
            },
            spec: {
                type: args.serviceType,
                selector: appLabels,
                // On Kind a fixed NodePort, the one the host port maps to; elsewhere the cluster
                // picks a free one (a shared cluster's fixed ports may be taken).
                ports: [{ name: "http", port: appPort, targetPort: containerPortName, ...(kind ? { nodePort: kind.nodePort } : {}) }],
            },
        }, children);

        // Voluntary evictions (kubectl drain, a node upgrade) take the pods one at a time. One, not
        // zero: with replicas 1 a drain must still be able to move the pod. Rollouts are bounded by
        // the Deployment's strategy, which a budget does not affect.
        this.disruptionBudget = new k8s.policy.v1.PodDisruptionBudget(`${name}-disruption-budget`, {
            metadata: { name: appNames.disruptionBudget, namespace, labels: appLabels },
            spec: { selector: { matchLabels: appLabels }, maxUnavailable: 1 },
        }, children);

        // The pods accept connections on their one port, from anywhere: the NodePort path comes
        // from the node, and so do the kubelet's probes. They open none: the app calls nothing,
        // not even DNS. Enforced where the CNI enforces policies: kindnetd does, with nftables'
        // queue (a kernel without CONFIG_NFT_QUEUE, as on some VMs, lets all traffic through).
        this.networkPolicy = new k8s.networking.v1.NetworkPolicy(`${name}-network-policy`, {
            metadata: { name: appNames.networkPolicy, namespace, labels: appLabels },
            spec: {
                podSelector: { matchLabels: appLabels },
                // Egress listed with no rule: nothing out. Without it, the policy would leave
                // egress open.
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ ports: [{ protocol: "TCP", port: containerPortName }] }],
            },
        }, children);

        // On Kind, ready pods are not yet an answering URL: on a new cluster kube-proxy may still be
        // starting, and the host port mapping goes through it. `up` ends when the URL answers.
        // Later rollouts keep old pods serving until new ones are Ready, so only a new cluster
        // or Service needs this, or nodes that restarted with the Docker engine (their pods
        // restart with them).
        // It waits for the network policy too, so that the answer has come through it. Done
        // once many new connections in a row have an answer (runtime/wait-for-url.js: how many, why).
        this.urlReady = kind && this.rollout && new command.local.Command(`${name}-answers`, {
            create: "node runtime/wait-for-url.js",
            environment: { URL: kind.url, TIMEOUT_SECONDS: "120" },
            triggers: [this.service.id, kind.url, kind.clusterBoot],
            logging: "stderr",
        }, { parent: this, dependsOn: [this.rollout, this.service, this.networkPolicy], replaceWith: [kind.cluster] });

        this.registerOutputs({
            provider: this.provider, namespace: this.namespace, deployment: this.deployment, service: this.service,
            disruptionBudget: this.disruptionBudget, networkPolicy: this.networkPolicy, rollout: this.rollout, urlReady: this.urlReady,
        });
    }
}
