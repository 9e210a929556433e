// The whole stack as one function: index.ts runs it for `pulumi up`, and the dev loop
// (scripts/dev.ts) runs it inline through the Automation API, so that the program's modules
// load once per session instead of once per update.
//
//   app/ --docker build--> node-app:<content hash> --load new layers--> Kind cluster
//                                                                         |
//   http://127.0.0.1:<hostPort> <--extraPortMapping-- NodePort <-- node-service --> node-deployment
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { KindCluster } from "./cluster";
import { appNodePort, loadConfig } from "./config";
import { AppImage } from "./image";
import { requirePrerequisites } from "./prerequisites";
import { Workload } from "./workload";

export interface StackOutputs {
    /** Where the app answers on this machine. */
    readonly url: string;
    readonly clusterName: pulumi.Output<string>;
    /** The context `kind` wrote into the user's kubeconfig. */
    readonly kubeContext: pulumi.Output<string>;
    /** `name:tag` of the image the pods run. */
    readonly image: pulumi.Output<string>;
    /** The cluster's kubeconfig (secret). */
    readonly kubeconfig: pulumi.Output<string>;
}

export function kubeDemo(): StackOutputs {
    const config = loadConfig();
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
        clusterName: cluster.name,
        clusterIdentity: cluster.identity,
        dockerHost,
        engine: dockerEngine,
    });

    const url = `http://127.0.0.1:${config.hostPort}`;

    new Workload("app", {
        kubeconfig: cluster.kubeconfig,
        cluster: cluster.resource,
        image: appImage.ref,
        replicas: config.replicas,
        nodePort: appNodePort,
        url,
        clusterBoot: cluster.boot,
        after: [appImage.loaded],
    });

    return {
        url,
        clusterName: cluster.name,
        kubeContext: cluster.kubeContext,
        image: appImage.ref,
        kubeconfig: cluster.kubeconfig,
    };
}
