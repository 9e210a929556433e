// Entry point: the app's source to a running Deployment on a local Kind cluster.
//
//   app/ --docker build--> node-app:<content hash> --load new layers--> Kind cluster
//                                                                         |
//   http://127.0.0.1:<hostPort> <--extraPortMapping-- NodePort <-- node-service --> node-deployment
import * as docker from "@pulumi/docker";
import { KindCluster } from "./cluster";
import { appNodePort, loadConfig } from "./config";
import { AppImage } from "./image";
import { requirePrerequisites } from "./prerequisites";
import { Workload } from "./workload";

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
    after: [appImage.loaded],
});

export { url };
export const clusterName = cluster.name;
export const kubeContext = cluster.kubeContext;
export const image = appImage.ref;
export const kubeconfig = cluster.kubeconfig;
