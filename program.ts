// The whole stack as one function: index.ts runs it for `pulumi up`, and the dev loop
// (scripts/dev.ts) runs it inline through the Automation API, so that the program's modules
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
import { KindCluster } from "./cluster";
import { appNodePort, ExistingTarget, loadConfig, StackConfig } from "./config";
import { findCluster, kubeconfigPath, reachInstructions, requireReachable, requireRegistry } from "./existing-cluster";
import { AppImage } from "./image";
import { requirePrerequisites } from "./prerequisites";
import { appPort, Workload } from "./workload";

export interface StackOutputs {
    /** Where the app answers on this machine, or the command that makes it answer there. */
    readonly url: pulumi.Input<string>;
    /** The Kind cluster's name (target kind). */
    readonly clusterName?: pulumi.Output<string> | undefined;
    /** The kubeconfig context of the cluster: the one `kind` wrote, or the one configured. */
    readonly kubeContext: pulumi.Input<string>;
    /** The image reference the pods run. */
    readonly image: pulumi.Output<string>;
    /** The Kind cluster's kubeconfig (secret; target kind). */
    readonly kubeconfig?: pulumi.Output<string> | undefined;
}

export function kubeDemo(): StackOutputs {
    const config = loadConfig();
    return config.target.kind === "kind" ? onKind(config) : onExistingCluster(config, config.target);
}

function onKind(config: StackConfig): StackOutputs {
    const { dockerHost } = requirePrerequisites();

    // The docker provider reads only DOCKER_HOST or this setting, not `docker context`: bound here
    // to the engine kind and the load use. Declared first because the engine starts plugins in the
    // order requests need them, and the build heads the longest chain (build, load, rollout).
    const dockerEngine = new docker.Provider("docker-engine", { host: dockerHost });

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
    });

    const appImage = new AppImage("app", {
        context: "app",
        imageName: config.imageName,
        baseImage: config.baseImage,
        engine: dockerEngine,
        delivery: { kind: "load", clusterName: cluster.name, clusterIdentity: cluster.identity, dockerHost },
    });

    const url = `http://127.0.0.1:${config.hostPort}`;

    new Workload("app", {
        connection: { kind: "kind", kubeconfig: cluster.kubeconfig, cluster: cluster.resource, nodePort: appNodePort, url, clusterBoot: cluster.boot },
        image: appImage.ref,
        replicas: config.replicas,
        namespace: config.namespace,
        serviceType: config.serviceType,
        after: [appImage.delivered],
    });

    return {
        url,
        clusterName: cluster.name,
        kubeContext: cluster.kubeContext,
        image: appImage.ref,
        kubeconfig: cluster.kubeconfig,
    };
}

/** A Service's status as the provider may give it: absent, or without a load balancer. */
interface LoadBalancerStatus { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } }

function onExistingCluster(config: StackConfig, target: ExistingTarget): StackOutputs {
    // Each a line of its own before anything is declared: the build needs Docker; the cluster and
    // the registry must answer, or nothing could reach them anyway.
    const { dockerHost } = requirePrerequisites(false);
    const cluster = findCluster(kubeconfigPath(target.kubeconfig), target.context);
    requireReachable(cluster);
    requireRegistry(target.registry);

    const appImage = new AppImage("app", {
        context: "app",
        imageName: config.imageName,
        baseImage: config.baseImage,
        engine: new docker.Provider("docker-engine", { host: dockerHost }),
        delivery: { kind: "push", registry: target.registry },
    });

    const workload = new Workload("app", {
        connection: { kind: "existing", kubeconfigPath: cluster.kubeconfigPath, context: cluster.context },
        image: appImage.ref,
        replicas: config.replicas,
        namespace: config.namespace,
        serviceType: config.serviceType,
        after: [appImage.delivered],
    });

    return {
        url: pulumi.all([workload.service.metadata.name, workload.service.status]).apply(([service, status]) =>
            // No status at all before the provider read one (a preview, or a mocked run).
            reachInstructions(cluster, config.namespace, config.serviceType, service, appPort,
                (status as LoadBalancerStatus | undefined)?.loadBalancer?.ingress?.[0])),
        kubeContext: cluster.context,
        image: appImage.ref,
    };
}
