// The wait for a rollout, in place of the Kubernetes provider's: the rollout check fails in
// seconds with the failing pod's state and log lines (the provider's await only warns and waits
// out its timeout). On Kind the up also ends only once the app answers at its URL.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { Readiness, WorkloadObjects } from "./workload";
import { runtimeScript } from "./runtime";

export interface KindReadinessArgs {
    /** The cluster's kubeconfig (secret): the rollout check reads the API with it. */
    readonly kubeconfig: pulumi.Input<string>;
    /** The cluster's resource: a new cluster runs both steps anew. */
    readonly cluster: pulumi.Resource;
    /** Where the app answers on this machine. */
    readonly url: string;
    /** Changes when the cluster's nodes restarted (KindCluster.boot): their pods restart too. */
    readonly clusterBoot: pulumi.Input<string>;
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
            const waitForUrl = runtimeScript("wait-for-url.js");
            const urlReady = new command.local.Command(`${name}-answers`, {
                create: waitForUrl.command,
                environment: { URL: args.url, TIMEOUT_SECONDS: "120" },
                triggers: [service.id, args.url, args.clusterBoot, waitForUrl.hash],
                logging: "stderr",
            }, { parent, dependsOn: [rollout, service, networkPolicy], replaceWith: [args.cluster] });
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
