// The wait for a rollout, in place of the Kubernetes provider's: the rollout check fails in
// seconds with the failing pod's state and log lines (the provider's await only warns and waits
// out its timeout). On Kind the up also ends only once the app answers at its URL.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { Readiness, WorkloadObjects } from "./workload";
import { runtimeScript } from "./runtime";

/** An app's host port that kind did not map at creation: a container of its own forwards it (runtime/port-proxy.js). */
export interface AppPortProxy {
    readonly clusterName: pulumi.Input<string>;
    /** The app's name, in its container's name: `<cluster>-<app>-port`. */
    readonly appName: string;
    readonly hostPort: number;
    /** An image with Node.js: the one app/Dockerfile builds on (baseImage, or its default). */
    readonly image: string;
    /** The Docker engine that holds the cluster's nodes (prerequisites.ts: dockerHost). */
    readonly dockerHost: string;
}

/** The label of a port proxy container: the cluster it forwards to. */
export const portProxyLabel = "kube-demo.port-of";

// The container is named after the cluster and the app; one of that name the stack did not
// start is refused and left alone. The values reach the script as variables only.
const portProxyCreate = `set -e
if found=$(docker inspect --format '{{index .Config.Labels "${portProxyLabel}"}}' "$NAME" 2>/dev/null); then
  if [ "$found" != "$CLUSTER_NAME" ]; then
    printf "A container named '%s' exists and this stack did not start it; it is left untouched. Remove it yourself (docker rm --force %s) or rename the app.\\n" "$NAME" "$NAME" >&2
    exit 1
  fi
  docker rm --force "$NAME" >/dev/null
fi
network=$(docker inspect --format '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}' "$CLUSTER_NAME-control-plane" | cut -d' ' -f1)
docker run --detach --name "$NAME" --label "${portProxyLabel}=$CLUSTER_NAME" --restart unless-stopped \\
  --network "$network" --publish "127.0.0.1:$HOST_PORT:8080" \\
  --read-only --user 10001:10001 --cap-drop ALL --security-opt no-new-privileges \\
  --env PORT=8080 --env "TARGET=$CLUSTER_NAME-control-plane:$NODE_PORT" \\
  "$IMAGE" node -e "$(cat runtime/port-proxy.js)" >/dev/null
`;
const portProxyDelete = `if [ "$(docker inspect --format '{{index .Config.Labels "${portProxyLabel}"}}' "$NAME" 2>/dev/null)" = "$CLUSTER_NAME" ]; then
  docker rm --force "$NAME" >/dev/null
fi
`;

/** The container that forwards `proxy.hostPort` to `service`'s NodePort, as a command resource named `name`. */
function portProxy(name: string, proxy: AppPortProxy, service: WorkloadObjects["service"], parent: pulumi.Resource): command.local.Command {
    const script = runtimeScript("port-proxy.js");
    const nodePort = service.spec.ports.apply((ports) => ports[0]?.nodePort ?? 0);
    return new command.local.Command(name, {
        create: portProxyCreate,
        delete: portProxyDelete,
        environment: {
            NAME: pulumi.interpolate`${proxy.clusterName}-${proxy.appName}-port`, CLUSTER_NAME: proxy.clusterName,
            HOST_PORT: String(proxy.hostPort), NODE_PORT: nodePort.apply(String), IMAGE: proxy.image, DOCKER_HOST: proxy.dockerHost,
        },
        // Its container is started anew for a new port, target, image or script.
        triggers: [proxy.hostPort, nodePort, proxy.image, script.hash],
        logging: "stderr",
    }, { parent, deleteBeforeReplace: true });
}

export interface KindReadinessArgs {
    /** The cluster's kubeconfig (secret): the rollout check reads the API with it. */
    readonly kubeconfig: pulumi.Input<string>;
    /** The cluster's resource: a new cluster runs both steps anew. */
    readonly cluster: pulumi.Resource;
    /** Where the up waits for the app to answer: an http:// URL, or tcp://HOST:PORT for a port alone. */
    readonly url: string;
    /** Changes when the cluster's nodes restarted (KindCluster.boot): their pods restart too. */
    readonly clusterBoot: pulumi.Input<string>;
    /** Where the app answers when kind did not map its port: its proxy, declared with the Service. */
    readonly proxy?: AppPortProxy | undefined;
}

export function kindReadiness(args: KindReadinessArgs): Readiness {
    return {
        awaitsService: true,
        declare(name: string, objects: WorkloadObjects, parent: pulumi.Resource) {
            const { deployment, service, networkPolicy } = objects;
            // Like `kubectl rollout status`, but a new pod that crashes, cannot use its image or
            // keeps failing its readiness probe fails the up in seconds (runtime/rollout-status.js).
            const rolloutStatus = runtimeScript("rollout-status.js");
            const rollout = new command.local.Command(`${name}-rollout`, {
                create: rolloutStatus.command,
                // The kubeconfig on stdin: never in the environment, never printed, secret in the state.
                stdin: args.kubeconfig,
                environment: {
                    NAMESPACE: deployment.metadata.namespace,
                    DEPLOYMENT: deployment.metadata.name,
                    GENERATION: deployment.metadata.generation.apply(String),
                },
                // Runs again for each new spec of the Deployment, and for an edited check.
                triggers: [deployment.metadata.uid, deployment.metadata.generation, rolloutStatus.hash],
                logging: "stderr",
            }, { parent, replaceWith: [args.cluster] });

            // Ready pods are not yet an answering URL: on a new cluster kube-proxy may still be
            // starting, and the host port goes through it. Later rollouts keep old pods serving, so
            // only a new cluster or Service, or restarted nodes, wait again (runtime/wait-for-url.js).
            const port = args.proxy && portProxy(`${name}-port`, args.proxy, service, parent);

            // A tcp:// URL (an app without an HTTP readiness path) waits for the port instead.
            const tcp = args.url.startsWith("tcp://");
            const waitForUrl = runtimeScript(tcp ? "wait-for-port.js" : "wait-for-url.js");
            const urlReady = new command.local.Command(`${name}-answers`, {
                create: waitForUrl.command,
                environment: tcp ? { ADDRESS: args.url.slice("tcp://".length), TIMEOUT_SECONDS: "120" } : { URL: args.url, TIMEOUT_SECONDS: "120" },
                triggers: [service.id, args.url, args.clusterBoot, waitForUrl.hash],
                logging: "stderr",
            }, { parent, dependsOn: [rollout, service, networkPolicy, ...(port ? [port] : [])], replaceWith: [args.cluster] });
            return { rollout, urlReady };
        },
    };
}

export interface ExistingReadinessArgs {
    /** The user's kubeconfig file, read through kubectl: its credentials never enter the state. */
    readonly kubeconfigPath: string;
    readonly context: string;
}

/**
 * Target existing: the same rollout check, through the user's kubeconfig. No URL to wait for
 * (the app is reached by a port-forward or a load balancer), so the provider awaits the Service.
 */
export function existingReadiness(args: ExistingReadinessArgs): Readiness {
    return {
        awaitsService: false,
        declare(name: string, objects: WorkloadObjects, parent: pulumi.Resource) {
            const { deployment } = objects;
            const rolloutStatus = runtimeScript("rollout-status.js");
            const rollout = new command.local.Command(`${name}-rollout`, {
                create: rolloutStatus.command,
                environment: {
                    KUBECONFIG: args.kubeconfigPath,
                    KUBE_CONTEXT: args.context,
                    NAMESPACE: deployment.metadata.namespace,
                    DEPLOYMENT: deployment.metadata.name,
                    GENERATION: deployment.metadata.generation.apply(String),
                },
                triggers: [deployment.metadata.uid, deployment.metadata.generation, rolloutStatus.hash],
                logging: "stderr",
            }, { parent });
            return { rollout };
        },
    };
}
