// A cluster the user already has (target existing): reached through their kubeconfig, which is
// read and never written, and fed through a registry. Everything here is checked before any
// resource is declared, so a wrong path, context or address is one line and nothing changes.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { probe } from "./checks";

/** The cluster of one context of a kubeconfig file. */
export interface ExistingCluster {
    /** Absolute path of the kubeconfig file. */
    readonly kubeconfigPath: string;
    readonly context: string;
    /** The API server's address, as the kubeconfig gives it. */
    readonly server: string;
}

/**
 * The kubeconfig file kubectl would read: the setting (a leading ~ is the home folder), else the
 * first file of KUBECONFIG, else ~/.kube/config.
 */
export function kubeconfigPath(setting: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
    const home = os.homedir();
    const chosen = setting ?? env.KUBECONFIG?.split(path.delimiter).find(Boolean) ?? path.join(home, ".kube", "config");
    return path.resolve(chosen.replace(/^~(?=$|\/)/, home));
}

interface Kubeconfig {
    contexts?: { name?: string; context?: { cluster?: string } }[] | null;
    clusters?: { name?: string; cluster?: { server?: string } }[] | null;
}

/** The context's cluster in the kubeconfig at `file`, or the one line that says what is wrong. */
export function findCluster(file: string, context: string): ExistingCluster {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new pulumi.RunError(`the kubeconfig ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}): point the setting kubeconfig at your cluster's file (pulumi config set kubeconfig PATH)`);
    }
    let kubeconfig: Kubeconfig;
    try {
        kubeconfig = (YAML.parse(text) ?? {}) as Kubeconfig;
    } catch (err) {
        throw new pulumi.RunError(`the kubeconfig ${file} is not YAML (${(err as Error).message.split("\n")[0] ?? ""}): point the setting kubeconfig at your cluster's file`);
    }
    const names = (kubeconfig.contexts ?? []).map((c) => c.name).filter((name): name is string => typeof name === "string");
    const entry = (kubeconfig.contexts ?? []).find((c) => c.name === context);
    if (!entry) {
        throw new pulumi.RunError(`the context '${context}' (setting context) is not in the kubeconfig ${file}, whose contexts are: ${names.join(", ") || "none"} (pulumi config set context NAME)`);
    }
    const server = (kubeconfig.clusters ?? []).find((c) => c.name === entry.context?.cluster)?.cluster?.server;
    if (!server) {
        throw new pulumi.RunError(`the context '${context}' of the kubeconfig ${file} names no cluster with a server address`);
    }
    return { kubeconfigPath: file, context, server };
}

/** Ends the program with one line when the cluster's API server does not answer at all. */
export async function requireReachable(cluster: ExistingCluster, signal?: AbortSignal): Promise<void> {
    const [result] = await probe([new URL("/version", cluster.server).toString()], 5000, signal);
    if (result?.status === undefined) {
        throw new pulumi.RunError(`the cluster of context '${cluster.context}' in ${cluster.kubeconfigPath} does not answer at ${cluster.server} (${result?.error ?? "no answer"}): is it running, and are the settings kubeconfig and context the ones you meant?`);
    }
}

/**
 * Ends the program with one line when nothing answers as a registry at `registry`'s host: the
 * Registry API's /v2/ over HTTPS, or over HTTP as Docker allows for localhost and for
 * registries its engine is told are insecure. 200 and 401 (login needed) both mean a registry.
 */
export async function requireRegistry(registry: string, signal?: AbortSignal): Promise<void> {
    const host = registry.split("/")[0] ?? registry;
    const results = await probe([`https://${host}/v2/`, `http://${host}/v2/`], 5000, signal);
    if (results.some((r) => r.status === 200 || r.status === 401)) {
        return;
    }
    const seen = results.map((r) => `${r.url}: ${r.status === undefined ? r.error ?? "no answer" : `HTTP ${r.status}`}`).join("; ");
    throw new pulumi.RunError(`no registry answers at ${host} (setting registry): ${seen}. Start it, or set the registry your cluster pulls from (pulumi config set registry HOST[:PORT][/PATH])`);
}

/**
 * How to reach the app from this machine: the load balancer's address when the Service has one
 * (only a LoadBalancer Service gets one), else the exact `kubectl port-forward` command, run
 * against the user's own kubeconfig and context.
 */
export function reachInstructions(cluster: ExistingCluster, namespace: string, service: string, port: number,
    loadBalancer: { ip?: string; hostname?: string } | undefined, localPort = port): string {
    const address = loadBalancer?.ip ?? loadBalancer?.hostname;
    if (address) {
        return `http://${address}:${port}`;
    }
    return `kubectl --kubeconfig ${cluster.kubeconfigPath} --context ${cluster.context} --namespace ${namespace} port-forward service/${service} ${localPort}:${port}, then http://127.0.0.1:${localPort}`;
}

/**
 * A Kubernetes provider for the cluster of `cluster`'s context. `aliases`: where earlier versions
 * of the program declared it, so that a deployed stack keeps it.
 */
export function existingClusterProvider(name: string, cluster: ExistingCluster, aliases: pulumi.Input<pulumi.Alias>[] = []): k8s.Provider {
    return new k8s.Provider(name, {
        // The path, not the file's text: the user's credentials (often a command that fetches a
        // token) stay in their file and out of the stack's state.
        kubeconfig: cluster.kubeconfigPath,
        context: cluster.context,
        // A refreshed token in the file is the same cluster; another context is not.
        clusterIdentifier: `existing:${cluster.context}`,
    }, { aliases });
}
