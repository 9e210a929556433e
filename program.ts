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
import { AppImage, appImageTag, contentTag, hostPlatform, imageBuildArgs, LoadIntoKind, nodeImageOfDockerfile, PushToRegistry } from "./image";
import { requirePrerequisites } from "./prerequisites";
import { existingReadiness, kindReadiness } from "./readiness";
import { AppShape, listedApp, seedApp, Workload, WorkloadArgs } from "./workload";

export interface StackOutputs {
    /** Where the (first) app answers on this machine, or the command that makes it answer there. */
    readonly url: pulumi.Input<string>;
    /** The same for every app, by name (the `apps` setting; else the one app, `app`). */
    readonly urls: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** The Kind cluster's name (target kind). */
    readonly clusterName?: pulumi.Output<string> | undefined;
    /** The kubeconfig context of the cluster: the one `kind` wrote, or the one configured. */
    readonly kubeContext: pulumi.Input<string>;
    /** The image reference the (first) app's pods run. */
    readonly image: pulumi.Output<string>;
    /** The namespace of the apps' objects. */
    readonly namespace: pulumi.Output<string>;
    /** The Kind cluster's kubeconfig (secret; target kind). */
    readonly kubeconfig?: pulumi.Output<string> | undefined;
    /** The user's kubeconfig file, by path (target existing): the dev loop reads the cluster with it and kubeContext. */
    readonly kubeconfigPath?: string | undefined;
}

/** An app as the program declares it: the seed's one of app/, or one of the `apps` setting. */
interface DeployedApp {
    /** The name of its AppImage and Workload, and so of every resource of theirs. */
    readonly name: string;
    readonly shape: AppShape;
    /** Build context, relative to the project, or absolute. */
    readonly context: string;
    readonly dockerfile?: string | undefined;
    readonly buildArgs: Readonly<Record<string, string>>;
    readonly imageName: string;
    /** Its content tag, known before it is declared (the cluster preloads the first app's image). */
    readonly tag: string;
    readonly replicas: number;
    readonly hostPort: number;
}

/**
 * Where the apps go: how their images reach the nodes, and what each app's Workload is handed
 * for that cluster (its provider, the options of its objects, how a rollout is awaited).
 */
interface Placement {
    readonly delivery: LoadIntoKind | PushToRegistry;
    forApp(app: DeployedApp): Pick<WorkloadArgs, "provider" | "objectOptions" | "nodePort" | "readiness">;
    /** Where `app` answers on this machine, or the command that makes it answer there. */
    url(app: DeployedApp, workload: Workload): pulumi.Input<string>;
    /** The stack's outputs but those of every target. */
    outputs(): Pick<StackOutputs, "clusterName" | "kubeContext" | "kubeconfig" | "kubeconfigPath">;
}

/** The seed's app: its build context, relative to the project, and its resources' name. */
const appContext = "app";
const workloadName = "app";
/** Where earlier versions declared the cluster's provider: the seed app's Workload was its parent. */
const providerAliases = [{ name: `${workloadName}-cluster`, parent: pulumi.createUrn(workloadName, "kube-demo:index:Workload") }];

/** The apps of this configuration: those of the `apps` setting, else the seed's one of app/. */
function deployedApps(config: StackConfig): DeployedApp[] {
    if (!config.apps) {
        const buildArgs = imageBuildArgs(config.baseImage);
        return [{
            name: workloadName, shape: seedApp, context: appContext, buildArgs, imageName: config.imageName,
            tag: appImageTag(appContext, config.baseImage), replicas: config.replicas, hostPort: config.hostPort,
        }];
    }
    return config.apps.map((app) => {
        // baseImage is every Dockerfile's BASE_IMAGE (offline, the toolchain's Node image) unless the app sets its own.
        const buildArgs = { ...imageBuildArgs(config.baseImage), ...app.buildArgs };
        return {
            name: app.name, shape: listedApp(app), context: app.context, dockerfile: app.dockerfile, buildArgs,
            imageName: app.imageName, tag: contentTag(app.context, buildArgs, hostPlatform, app.dockerfile),
            replicas: app.replicas, hostPort: app.hostPort,
        };
    });
}

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

    const apps = deployedApps(config);
    const [first] = apps as [DeployedApp, ...DeployedApp[]];
    const placement = found.kind === "existing"
        ? onExistingCluster(found.cluster, found.registry)
        : onKind(config, dockerHost, found.facts, `${first.imageName}:${first.tag}`);

    const deployed = apps.map((app) => {
        const appImage = new AppImage(app.name, {
            context: app.context,
            dockerfile: app.dockerfile,
            imageName: app.imageName,
            tag: app.tag,
            buildArgs: app.buildArgs,
            engine,
            delivery: placement.delivery,
        });
        const workload = new Workload(app.name, {
            ...placement.forApp(app),
            app: app.shape,
            image: appImage.ref,
            replicas: app.replicas,
            namespace: config.namespace,
            serviceType: config.serviceType,
            after: [appImage.delivered],
        });
        return { app, appImage, workload, url: placement.url(app, workload) };
    });
    const [main] = deployed as [(typeof deployed)[number], ...typeof deployed];

    return {
        ...placement.outputs(),
        url: main.url,
        urls: Object.fromEntries(deployed.map(({ app, url }) => [app.name, url])),
        image: main.appImage.ref,
        namespace: main.workload.deployment.metadata.namespace,
    };
}

/** What the checks found: the Kind cluster as it is, or the user's cluster. */
type ClusterFound =
    | { readonly kind: "kind"; readonly facts: ClusterFacts }
    | { readonly kind: "existing"; readonly cluster: ExistingCluster; readonly registry: string };

/**
 * A Kind cluster of this stack's own, with `appImage` preloaded. The seed's app answers on the
 * cluster's own host port (hostPort, which kind maps to appNodePort); each app of the `apps`
 * setting through a port proxy container, so that a new app or port never recreates the cluster.
 */
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
    const mapped = (app: DeployedApp) => app.shape === seedApp;
    return {
        delivery: {
            kind: "load", clusterName: cluster.name, clusterIdentity: cluster.identity, cluster: cluster.command, dockerHost,
            registryImage: config.registryImage === "none" ? undefined : config.registryImage,
        },
        forApp: (app) => ({
            provider: cluster.provider,
            objectOptions: cluster.objectOptions,
            nodePort: mapped(app) ? appNodePort : undefined,
            readiness: kindReadiness({
                kubeconfig: cluster.kubeconfig, cluster: cluster.command, clusterBoot: cluster.boot,
                url: app.shape.readinessPath === undefined ? `tcp://127.0.0.1:${app.hostPort}`
                    : `http://127.0.0.1:${app.hostPort}${app.shape === seedApp ? "" : app.shape.readinessPath}`,
                proxy: mapped(app) ? undefined : {
                    clusterName: cluster.name, appName: app.name, hostPort: app.hostPort, dockerHost,
                    image: config.baseImage ?? nodeImageOfDockerfile,
                },
            }),
        }),
        url: (app) => `http://127.0.0.1:${app.hostPort}`,
        outputs: () => ({ clusterName: cluster.name, kubeContext: cluster.kubeContext, kubeconfig: cluster.kubeconfig }),
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

/** The user's cluster: the images are pushed, and each url says how to reach its app from here. */
function onExistingCluster(cluster: ExistingCluster, registry: string): Placement {
    const provider = existingClusterProvider(`${workloadName}-cluster`, cluster, providerAliases);
    return {
        delivery: { kind: "push", registry },
        forApp: () => ({
            provider,
            readiness: existingReadiness({ kubeconfigPath: cluster.kubeconfigPath, context: cluster.context }),
        }),
        url: (app, workload) => pulumi.all([workload.service.metadata.name, workload.service.metadata.namespace, workload.service.status])
            .apply(([service, namespace, status]) =>
                // No status at all before the provider read one (a preview, or a mocked run).
                reachInstructions(cluster, namespace, service, app.shape.port, (status as LoadBalancerStatus | undefined)?.loadBalancer?.ingress?.[0],
                    app.shape === seedApp ? app.shape.port : app.hostPort)),
        outputs: () => ({ kubeContext: cluster.context, kubeconfigPath: cluster.kubeconfigPath }),
    };
}
