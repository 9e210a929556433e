// Entry point: the app's source to a running Deployment on a local Kind cluster.
//
//   app/ --docker build--> node-app:<content hash> --load new layers--> Kind cluster
//                                                                         |
//   http://127.0.0.1:<hostPort> <--extraPortMapping-- NodePort <-- node-service --> node-deployment
import { KindCluster } from "./cluster";
import { appNodePort, loadConfig } from "./config";
import { AppImage } from "./image";
import { requirePrerequisites } from "./prerequisites";
import { Workload } from "./workload";

const config = loadConfig();
requirePrerequisites();

const cluster = new KindCluster("cluster", {
    name: config.clusterName,
    hostPort: config.hostPort,
    nodePort: appNodePort,
    apiServerPort: config.apiServerPort,
    workers: config.workers,
    nodeImage: config.nodeImage,
});

const appImage = new AppImage("app", {
    context: "app",
    imageName: config.imageName,
    baseImage: config.baseImage,
    clusterName: cluster.name,
    clusterIdentity: cluster.identity,
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
