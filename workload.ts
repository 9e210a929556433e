// The app in a cluster: a Deployment, its Service, the pods' disruption budget and network
// policy (and their namespace, unless it is `default`). Which cluster, and how a rollout is
// awaited, is the placement's to say (program.ts): it hands in the provider and the options.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AppSettings, ServiceType } from "./config";

/** The names of an app's objects in the cluster. */
export interface AppNames {
    /** The pods' label: the Deployment's, the Service's and the policies' selector. */
    readonly labels: { readonly app: string };
    readonly deployment: string;
    readonly container: string;
    readonly service: string;
    readonly disruptionBudget: string;
    readonly networkPolicy: string;
}

/**
 * What the app's objects are called in the cluster: the names of the manual workflow this stack
 * replaces (`kubectl port-forward service/node-service`, `-l app=node-web`), so that what a user
 * typed before still finds them. The image is `node-app` (config.ts, imageName). Changing any of
 * these would replace the objects in every deployed stack.
 */
export const appNames: AppNames = {
    /** The pods' label: the Deployment's, the Service's and the policies' selector. */
    labels: { app: "node-web" },
    deployment: "node-deployment",
    container: "node",
    service: "node-service",
    disruptionBudget: "node-disruption-budget",
    networkPolicy: "node-network-policy",
};

/** The tag of an image reference `[registry/]repository:tag`: the part after the last ':'. */
export function imageTag(image: string): string {
    return image.slice(image.lastIndexOf(":") + 1);
}
export const containerPortName = "http";
/** The port the app of app/ listens on, and its Service's port. */
export const appPort = 8080;

/** What differs from one app to another in the cluster: names, port, probe and environment. */
export interface AppShape {
    readonly names: AppNames;
    /** The port the app listens on in its container, and the Service's port. */
    readonly port: number;
    /** The HTTP path the readiness probe asks; unset, a TCP connection. */
    readonly readinessPath?: string | undefined;
    readonly env: Readonly<Record<string, string>>;
    /** Read from a Secret of the app's own (secret in the state, never in an output). */
    readonly secretEnv: Readonly<Record<string, string>>;
    /** A writable /tmp under the read-only root: an app of the user's own may need one. */
    readonly scratch: boolean;
}

/** The app of app/, under the seed's names: with no `apps` setting, the stack's only app. */
export const seedApp: AppShape = { names: appNames, port: appPort, readinessPath: "/healthz", env: {}, secretEnv: {}, scratch: false };

/** An app of the `apps` setting: its objects named after it. */
export function listedApp(app: AppSettings): AppShape {
    const { name } = app;
    return {
        names: { labels: { app: name }, deployment: name, container: name, service: name, disruptionBudget: name, networkPolicy: name },
        port: app.port,
        readinessPath: app.readinessPath,
        env: app.env,
        secretEnv: app.secretEnv,
        scratch: true,
    };
}

/** The objects a rollout check and a URL wait look at. */
export interface WorkloadObjects {
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service: k8s.core.v1.Service;
    readonly networkPolicy: k8s.networking.v1.NetworkPolicy;
}

/** Steps that await the rollout, and the app answering, in place of the provider's own await. */
export interface Readiness {
    /** Whether a step awaits the app answering: else the provider awaits the Service (a load balancer's address). */
    readonly awaitsService: boolean;
    /** Declares the steps, named after the Workload `name` and its children, once its objects are declared. */
    declare(name: string, objects: WorkloadObjects, parent: pulumi.Resource): { rollout: pulumi.Resource; urlReady?: pulumi.Resource | undefined };
}

export interface WorkloadArgs {
    /** Which app: names, port, probe and environment. */
    readonly app: AppShape;
    /** The provider of the cluster the app goes to. */
    readonly provider: k8s.Provider;
    /** Options of every object besides parent, provider and dependsOn (Kind: replaced and deleted with its cluster). */
    readonly objectOptions?: pulumi.CustomResourceOptions | undefined;
    /** The image reference the pods run. */
    readonly image: pulumi.Input<string>;
    readonly replicas: number;
    /** Namespace of every object; created (and deleted) here unless it is `default`. */
    readonly namespace: string;
    readonly serviceType: ServiceType;
    /** The Service's fixed NodePort (Kind maps it to the host); unset, the cluster picks a free one. */
    readonly nodePort?: number | undefined;
    /** Awaits the rollout instead of the provider (which then skips its await); unset, the provider awaits it. */
    readonly readiness?: Readiness | undefined;
    /** What every object waits for: the image where the nodes get it, so a failed delivery changes nothing in the cluster. */
    readonly after: pulumi.Input<pulumi.Resource>[];
}

export class Workload extends pulumi.ComponentResource {
    /** The namespace, when the stack owns it (any but `default`). */
    public readonly namespace?: k8s.core.v1.Namespace | undefined;
    /** The app's secret environment, when it has one. */
    public readonly secret?: k8s.core.v1.Secret | undefined;
    public readonly deployment: k8s.apps.v1.Deployment;
    public readonly service: k8s.core.v1.Service;
    public readonly disruptionBudget: k8s.policy.v1.PodDisruptionBudget;
    public readonly networkPolicy: k8s.networking.v1.NetworkPolicy;
    /** With `readiness`: done once every replica runs the Deployment's current spec and is Ready. */
    public readonly rollout?: pulumi.Resource | undefined;
    /** With `readiness`: done once the app answers. */
    public readonly urlReady?: pulumi.Resource | undefined;

    constructor(name: string, args: WorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kube-demo:index:Workload", name, {}, opts);
        const { names, port } = args.app;
        const appLabels = names.labels;
        const children: pulumi.CustomResourceOptions = { ...args.objectOptions, parent: this, provider: args.provider, dependsOn: args.after };
        // The provider's await is skipped where `readiness` awaits better (it fails in seconds).
        const awaitAnnotations: Record<string, string> = args.readiness ? { "pulumi.com/skipAwait": "true" } : {};

        // Kubernetes' recommended labels, for tools and people reading the cluster. Never in a
        // selector: the Deployment's is immutable, so selectors stay `appLabels` alone.
        const labels = {
            ...appLabels,
            "app.kubernetes.io/name": appLabels.app,
            "app.kubernetes.io/instance": pulumi.getStack(),
            "app.kubernetes.io/managed-by": "pulumi",
        };
        // The version only where the image is: it changes with each edit, which changes the
        // Deployment and rolls the pods anyway; on the other objects it would add an update per edit.
        const versioned = { ...labels, "app.kubernetes.io/version": pulumi.output(args.image).apply(imageTag) };

        // Named as set, never auto-named: the user asked for this namespace. Pod Security admission
        // refuses pods below `restricted` in it, and warns at apply time; no version pinned, so the
        // cluster's own one applies. `default` is left as the cluster has it.
        this.namespace = args.namespace === "default" ? undefined : new k8s.core.v1.Namespace(`${name}-namespace`, {
            metadata: {
                name: args.namespace,
                // Where it goes with its cluster (Kind): when the cluster is replaced, Pulumi still deletes
                // it first (deletedWith is not applied to replacements, pulumi/pulumi#19924), and the
                // provider would wait for every pod in it to stop.
                ...(args.objectOptions?.deletedWith ? { annotations: { "pulumi.com/skipAwait": "true" } } : {}),
                labels: {
                    ...labels,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            },
        }, children);
        // Every object names its namespace: a context may carry a namespace of its own.
        const namespace = this.namespace?.metadata.name ?? args.namespace;

        // Named by Pulumi (a suffix of its own) and replaced on any change: the Deployment then
        // names the new one, so the pods roll out with the new values and no hash of them is shown.
        // The old one goes only after, for the old pods (deleteBeforeReplace off).
        const secretKeys = Object.keys(args.app.secretEnv).sort();
        this.secret = secretKeys.length === 0 ? undefined : new k8s.core.v1.Secret(`${name}-env`, {
            metadata: { namespace, labels },
            type: "Opaque",
            stringData: pulumi.secret(args.app.secretEnv),
        }, { ...children, deleteBeforeReplace: false, replaceOnChanges: ["stringData"] });
        const secretName = this.secret?.metadata.name;
        const env = [
            ...Object.entries(args.app.env).sort(([a], [b]) => a.localeCompare(b)).map(([envName, value]) => ({ name: envName, value })),
            ...(secretName ? secretKeys.map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: secretName, key } } })) : []),
        ];

        this.deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, {
            metadata: {
                name: names.deployment,
                namespace,
                labels: versioned,
                annotations: {
                    ...awaitAnnotations,
                    // The stack owns its Deployment outright: where another field manager set a field
                    // (the dev loop's fast path sets the image ahead of the update, tools/fast-rollout.ts;
                    // or a `kubectl set image`), the update's server-side apply takes it back.
                    "pulumi.com/patchForce": "true",
                    // imagePullPolicy Always is wrong for an image loaded into Kind nodes (no registry
                    // to pull from), and a content-hash tag never needs a re-pull. The one CRITICAL
                    // waiver; its full reason is in tests/lint/kube-score-waivers.yaml.
                    "kube-score/ignore": "container-image-pull-policy",
                },
            },
            spec: {
                replicas: args.replicas,
                selector: { matchLabels: appLabels },
                // Old pods stay until new ones are Ready (no capacity lost, a broken version never
                // takes over); all new pods start at once, so a rollout takes one pod's start time.
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "100%" } },
                // The controller's own verdict on a stalled rollout; `readiness` usually says sooner.
                progressDeadlineSeconds: 60,
                template: {
                    metadata: { labels: versioned },
                    spec: {
                        // The pods spread over the nodes that take pods (tainted ones do not count),
                        // each version on its own, so a node going away takes few of them. kube-score's
                        // pod anti-affinity check ignores topologySpreadConstraints: waived in tests/lint/.
                        topologySpreadConstraints: [{
                            maxSkew: 1,
                            topologyKey: "kubernetes.io/hostname",
                            whenUnsatisfiable: "DoNotSchedule",
                            nodeTaintsPolicy: "Honor",
                            labelSelector: { matchLabels: appLabels },
                            matchLabelKeys: ["pod-template-hash"],
                        }],
                        // The app never calls the API server: no token in the pods to steal.
                        automountServiceAccountToken: false,
                        // The preStop pause below, then the app's drain (well under a second), with room.
                        terminationGracePeriodSeconds: 20,
                        securityContext: {
                            runAsNonRoot: true,
                            // A Kind node shares this machine's uids: above 10000 no local account
                            // is hit (app/Dockerfile says the same).
                            runAsUser: 10001,
                            runAsGroup: 10001,
                            seccompProfile: { type: "RuntimeDefault" },
                        },
                        ...(args.app.scratch ? { volumes: [{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }] } : {}),
                        containers: [{
                            name: names.container,
                            image: args.image,
                            // A content tag never names two images: a node that has it has the right one.
                            imagePullPolicy: "IfNotPresent",
                            ports: [{ name: containerPortName, containerPort: port }],
                            ...(env.length > 0 ? { env } : {}),
                            ...(args.app.scratch ? { volumeMounts: [{ name: "tmp", mountPath: "/tmp" }] } : {}),
                            // Every second: a new pod joins the Service within a second of listening.
                            readinessProbe: {
                                ...(args.app.readinessPath === undefined
                                    ? { tcpSocket: { port: containerPortName } }
                                    : { httpGet: { path: args.app.readinessPath, port: containerPortName } }),
                                periodSeconds: 1,
                                failureThreshold: 1,
                            },
                            // Liveness asks less than readiness (the listening socket): a slow pod
                            // leaves the Service, and an overload does not turn into cold starts.
                            livenessProbe: {
                                tcpSocket: { port: containerPortName },
                                periodSeconds: 10,
                                failureThreshold: 3,
                            },
                            // A deleted pod leaves the Service only once kube-proxy rewrites its
                            // rules; the pause keeps the port open until then (docs/rollouts.md).
                            lifecycle: { preStop: { sleep: { seconds: 10 } } },
                            // A crash leaves its last log lines in the pod's status.
                            terminationMessagePolicy: "FallbackToLogsOnError",
                            // A whole core at most: under less, Node.js's start spans several CFS
                            // periods and misses the first readiness probe (docs/rollouts.md).
                            // Ephemeral storage: only the container's log grows (read-only root).
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
        }, args.readiness ? children : { ...children, customTimeouts: { create: "5m", update: "5m" } });

        this.service = new k8s.core.v1.Service(`${name}-service`, {
            metadata: { name: names.service, namespace, labels, annotations: args.readiness?.awaitsService ? awaitAnnotations : {} },
            spec: {
                type: args.serviceType,
                selector: appLabels,
                ports: [{
                    name: "http", port, targetPort: containerPortName,
                    ...(args.nodePort === undefined ? {} : { nodePort: args.nodePort }),
                }],
            },
        }, children);

        // Voluntary evictions (kubectl drain) take the pods one at a time; one, not zero, so a
        // drain can still move the pod of replicas 1. Rollouts follow the Deployment's strategy.
        // A pod that is not Ready serves nothing: evicting it never counts against the budget, so a
        // crash-looping pod cannot block a drain.
        this.disruptionBudget = new k8s.policy.v1.PodDisruptionBudget(`${name}-disruption-budget`, {
            metadata: { name: names.disruptionBudget, namespace, labels },
            spec: { selector: { matchLabels: appLabels }, maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" },
        }, children);

        // The pods accept connections on their one port, from anywhere (the NodePort path and the
        // probes come from the node), and open none: the app calls nothing, not even DNS.
        this.networkPolicy = new k8s.networking.v1.NetworkPolicy(`${name}-network-policy`, {
            metadata: { name: names.networkPolicy, namespace, labels },
            spec: {
                podSelector: { matchLabels: appLabels },
                // Egress listed with no rule: nothing out (unlisted, egress would stay open).
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ ports: [{ protocol: "TCP", port: containerPortName }] }],
            },
        }, children);

        const steps = args.readiness?.declare(name, this, this);
        this.rollout = steps?.rollout;
        this.urlReady = steps?.urlReady;

        this.registerOutputs({
            namespace: this.namespace, secret: this.secret, deployment: this.deployment, service: this.service,
            disruptionBudget: this.disruptionBudget, networkPolicy: this.networkPolicy, rollout: this.rollout, urlReady: this.urlReady,
        });
    }
}
