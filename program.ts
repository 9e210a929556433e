// The whole stack as one function: index.ts runs it for `pulumi up`, and the dev loop
// (tools/dev.ts) runs it inline through the Automation API, so that the program's modules
// load once per session instead of once per update.
//
// target kind (the default):
//   app/ --docker build--> node-app:<content hash> --load new layers--> Kind cluster
//                                                                         |
//   http://127.0.0.1:<hostPort> <--extraPortMapping-- NodePort <-- node-service --> node-deployment
//
// target existing:
//   app/ --docker build--> <registry>/node-app:<content hash> --push--> registry
//                                                                          | pull
//   kubectl port-forward, or the load balancer <-- node-service --> node-deployment (in <namespace>)
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { inOrder } from "./checks";
import { ClusterFacts, clusterFacts, KindCluster } from "./cluster";
import { appNodePort, ExistingTarget, loadConfig, StackConfig } from "./config";
import {
    ExistingCluster, existingClusterProvider, findCluster, kubeconfigPath, reachInstructions, requireReachable, requireRegistry,
} from "./existing-cluster";
import { AppImage, appImageTag, LoadIntoKind, PushToRegistry } from "./image";
import { requirePrerequisites } from "./prerequisites";
import { existingReadiness, kindReadiness } from "./readiness";
import { appPort, Workload, WorkloadArgs } from "./workload";

export interface StackOutputs {
    /** Where the app answers on this machine, or the command that makes it answer there. */
    readonly url: pulumi.Input<string>;
    /** The Kind cluster's name (target kind). */
    readonly clusterName?: pulumi.Output<string> | undefined;
    /** The kubeconfig context of the cluster: the one `kind` wrote, or the one configured. */
    readonly kubeContext: pulumi.Input<string>;
    /** The image reference the pods run. */
    readonly image: pulumi.Output<string>;
    /** The namespace of the app's objects. */
    readonly namespace: pulumi.Output<string>;
    /** The Kind cluster's kubeconfig (secret; target kind). */
    readonly kubeconfig?: pulumi.Output<string> | undefined;
    /** The user's kubeconfig file, by path (target existing): the dev loop reads the cluster with it and kubeContext. */
    readonly kubeconfigPath?: string | undefined;
}

/**
 * Where the app goes: how its image reaches the nodes, and what the Workload is handed for that
 * cluster (its provider, the options of its objects, and how a rollout is awaited).
 */
interface Placement {
    readonly delivery: LoadIntoKind | PushToRegistry;
    readonly cluster: Pick<WorkloadArgs, "provider" | "objectOptions" | "nodePort" | "readiness">;
    /** The stack's outputs but those of every target, once the Workload exists. */
    outputs(workload: Workload): Omit<StackOutputs, "image" | "namespace">;
}

/** The app's build context, relative to the project. */
const appContext = "app";

/** The Workload's name; its provider was its child before the placements handed it in. */
const workloadName = "app";
const providerAliases = [{ name: `${workloadName}-cluster`, parent: pulumi.createUrn(workloadName, "kube-demo:index:Workload") }];

export async function kubeDemo(): Promise<StackOutputs> {
    const config = loadConfig();
    const target = config.target;
    // Asked before anything is declared, so that what is wrong is one line and nothing changes.
    // All at once; a failure is reported in this order, as if they ran one after another.
    const [{ dockerHost }, found] = await inOrder(
        (signal) => requirePrerequisites(target.kind === "kind", signal),
        (signal): Promise<ClusterFound> => target.kind === "existing"
            ? reachableCluster(target, signal).then((cluster) => ({ kind: "existing", cluster, registry: target.registry }))
            : clusterFacts({ name: config.clusterName, hostPort: config.hostPort, apiServerPort: config.apiServerPort, workers: config.workers }, signal)
                .then((facts) => ({ kind: "kind", facts })),
        (signal: AbortSignal): Promise<void> => target.kind === "existing" ? requireRegistry(target.registry, signal) : Promise.resolve(),
    );

    // The docker provider reads only DOCKER_HOST or this setting, not `docker context`: bound here
    // to the engine kind and the load use. Declared first because the engine starts plugins in the
    // order requests need them, and the build heads the longest chain (build, load, rollout).
    const engine = new docker.Provider("docker-engine", { host: dockerHost });

    const tag = appImageTag(appContext, config.baseImage);
    const placement = found.kind === "existing"
        ? onExistingCluster(found.cluster, found.registry)
        : onKind(config, dockerHost, found.facts, `${config.imageName}:${tag}`);
    const appImage = new AppImage("app", {
        context: appContext,
        imageName: config.imageName,
        tag,
        baseImage: config.baseImage,
        engine,
        delivery: placement.delivery,
    });

    const workload = new Workload(workloadName, {
        ...placement.cluster,
        image: appImage.ref,
        replicas: config.replicas,
        namespace: config.namespace,
        serviceType: config.serviceType,
        after: [appImage.delivered],
    });

    return { ...placement.outputs(workload), image: appImage.ref, namespace: workload.deployment.metadata.namespace };
}

/** What the checks found: the Kind cluster as it is, or the user's cluster. */
type ClusterFound =
    | { readonly kind: "kind"; readonly facts: ClusterFacts }
    | { readonly kind: "existing"; readonly cluster: ExistingCluster; readonly registry: string };

/** A Kind cluster of this stack's own, with `appImage` preloaded; the app answers on 127.0.0.1:hostPort. */
function onKind(config: StackConfig, dockerHost: string, facts: ClusterFacts, appImage: string): Placement {
    const cluster = new KindCluster("cluster", {
        name: config.clusterName,
        hostPort: config.hostPort,
        nodePort: appNodePort,
        apiServerPort: config.apiServerPort,
        workers: config.workers,
        nodeImage: config.nodeImage,
        dockerHost,
        // Two checkouts may each have a stack named dev: the folder tells them apart.
        owner: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()} in ${process.cwd()}`,
        providerAliases,
        preloadImage: appImage,
    }, facts);
    const url = `http://127.0.0.1:${config.hostPort}`;
    return {
        delivery: {
            kind: "load", clusterName: cluster.name, clusterIdentity: cluster.identity, cluster: cluster.command, dockerHost,
            registryImage: config.registryImage === "none" ? undefined : config.registryImage,
        },
        cluster: {
            provider: cluster.provider,
            objectOptions: cluster.objectOptions,
            nodePort: appNodePort,
            readiness: kindReadiness({ kubeconfig: cluster.kubeconfig, cluster: cluster.command, url, clusterBoot: cluster.boot }),
        },
        outputs: () => ({ url, clusterName: cluster.name, kubeContext: cluster.kubeContext, kubeconfig: cluster.kubeconfig }),
    };
}

/** A Service's status as the provider may give it: absent, or without a load balancer. */
interface LoadBalancerStatus { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } }

/** The user's cluster, once its kubeconfig, its context and its API server check out. */
async function reachableCluster(target: ExistingTarget, signal: AbortSignal): Promise<ExistingCluster> {
    const cluster = findCluster(kubeconfigPath(target.kubeconfig), target.context);
    await requireReachable(cluster, signal);
    return cluster;
}

/** The user's cluster: the image is pushed, and the url says how to reach the app from here. */
function onExistingCluster(cluster: ExistingCluster, registry: string): Placement {
    return {
        delivery: { kind: "push", registry },
        cluster: {
            provider: existingClusterProvider(`${workloadName}-cluster`, cluster, providerAliases),
            readiness: existingReadiness({ kubeconfigPath: cluster.kubeconfigPath, context: cluster.context }),
        },
        outputs: (workload) => ({
            url: pulumi.all([workload.service.metadata.name, workload.service.metadata.namespace, workload.service.status])
                .apply(([service, namespace, status]) =>
                    // No status at all before the provider read one (a preview, or a mocked run).
                    reachInstructions(cluster, namespace, service, appPort, (status as LoadBalancerStatus | undefined)?.loadBalancer?.ingress?.[0])),
            kubeContext: cluster.context,
            kubeconfigPath: cluster.kubeconfigPath,
        }),
    };
}
