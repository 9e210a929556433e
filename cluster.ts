// The Kind cluster, as one `kind create cluster` / `kind delete cluster` pair.
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as net from "node:net";
import * as YAML from "yaml";
import { firstLine, probe, runTool, ToolResult } from "./checks";

export interface KindClusterArgs {
    /** Cluster name; kind names the kubeconfig context `kind-<name>`. */
    readonly name: string;
    /** Port on 127.0.0.1 that reaches `nodePort` on the control-plane node. */
    readonly hostPort: number;
    /** NodePort of the app's Service. */
    readonly nodePort: number;
    /** Port on 127.0.0.1 of the API server. */
    readonly apiServerPort: number;
    /** Worker nodes besides the control plane. */
    readonly workers: number;
    /** Node image for every node; kind's default when unset. */
    readonly nodeImage?: string | undefined;
    /** The Docker engine kind creates the nodes on (prerequisites.ts: dockerHost). */
    readonly dockerHost: string;
    /**
     * Who creates the cluster, unique to one stack of one checkout: the label of the claim that
     * lets the stack recognise a cluster it began to create in an interrupted update.
     */
    readonly owner: string;
    /** Where earlier versions of the program declared the Kubernetes provider, so that a deployed stack keeps it. */
    readonly providerAliases?: pulumi.Input<pulumi.Alias>[] | undefined;
    /**
     * An image to load into the nodes while kind creates them (runtime/load-image.js --preload),
     * once it is built: the app's, so its load after the cluster finds it there.
     */
    readonly preloadImage?: string | undefined;
}

/** The kind configuration file for these settings, as YAML. */
export function kindConfig(args: Omit<KindClusterArgs, "name" | "dockerHost" | "owner" | "providerAliases" | "preloadImage">): string {
    const image = args.nodeImage ? { image: args.nodeImage } : {};
    return YAML.stringify({
        kind: "Cluster",
        apiVersion: "kind.x-k8s.io/v1alpha4",
        networking: {
            // Pinned rather than random, so a recreated cluster keeps the same API server
            // address and the Kubernetes provider does not see a new cluster for nothing.
            apiServerAddress: "127.0.0.1",
            apiServerPort: args.apiServerPort,
        },
        nodes: [
            {
                role: "control-plane",
                ...image,
                // The app answers on the host without `kubectl port-forward`; loopback only.
                extraPortMappings: [{
                    containerPort: args.nodePort,
                    hostPort: args.hostPort,
                    listenAddress: "127.0.0.1",
                    protocol: "TCP",
                }],
            },
            ...Array.from({ length: args.workers }, () => ({ role: "worker", ...image })),
        ],
    });
}

/**
 * The kind configuration the stack creates a cluster with: the settings' shape (kindConfig) and
 * what the stack tunes in every cluster of its own. kube-proxy applies an endpoint change at once
 * instead of at most once a second (its default minSyncPeriod), so a finished rollout is served
 * at once (docs/rollouts.md).
 */
export function tunedKindConfig(shape: string): string {
    const config = YAML.parse(shape) as Record<string, unknown>;
    return YAML.stringify({
        ...config,
        kubeadmConfigPatches: ["kind: KubeProxyConfiguration\niptables:\n  minSyncPeriod: 0s\n"],
    });
}

// kind refuses a second cluster of one name; refusing here as well gives a message that says
// why and keeps kind from touching a cluster this stack does not own.
// A cluster whose creation was interrupted (Ctrl-C, a killed `pulumi up`) is not in the stack's
// state, yet it is this stack's: before kind starts, the script claims the name with a Docker
// volume labelled with OWNER (KindClusterArgs.owner), kept as long as the cluster. A cluster
// that exists with this stack's claim is deleted and created anew; any other is refused.
// The scripts are constant text: the cluster's name reaches them only as the variable
// CLUSTER_NAME, always double-quoted, and is matched as a fixed string (grep -F: a '.' in a
// name is a dot, not any character) and printed as printf's argument (echo could read a
// backslash in it as an escape).
const claimedByThisStack = `claimed_by_this_stack() {
  [ -n "$OWNER" ] && [ "$(docker volume inspect --format '{{index .Labels "kube-demo.owner"}}' "kube-demo-claim-$CLUSTER_NAME" 2>/dev/null)" = "$OWNER" ]
}`;

// kind returns once the API server runs, without --wait for the node to be Ready: the image
// load and the objects go ahead meanwhile, and the rollout check waits for the pods.
// The preload runs beside kind (KindClusterArgs.preloadImage); once kind returns it stops,
// unless its import has begun: then the script waits for it, as the load would send the same.
const createScript = `set -e
preload=
trap '[ -z "$preload" ] || kill "$preload" 2>/dev/null || true' EXIT
${claimedByThisStack}
if kind get clusters 2>/dev/null | grep -qxF -e "$CLUSTER_NAME"; then
  if ! claimed_by_this_stack; then
    printf "A kind cluster named '%s' already exists and this stack did not create it; it is left untouched. Delete it yourself (kind delete cluster --name %s) or choose another name (pulumi config set clusterName NAME).\\n" "$CLUSTER_NAME" "$CLUSTER_NAME" >&2
    exit 1
  fi
  printf "The kind cluster '%s' is one this stack began to create in an update that was interrupted; deleting it to create it anew.\\n" "$CLUSTER_NAME" >&2
  kind delete cluster --name "$CLUSTER_NAME" >&2
fi
docker volume rm --force "kube-demo-claim-$CLUSTER_NAME" >/dev/null
docker volume create --label "kube-demo.owner=$OWNER" "kube-demo-claim-$CLUSTER_NAME" >/dev/null
if [ -n "\${PRELOAD_IMAGE:-}" ]; then
  node runtime/load-image.js --preload "$PRELOAD_IMAGE" "$CLUSTER_NAME" "$NODE_COUNT" </dev/null >&2 &
  preload=$!
fi
kind create cluster --name "$CLUSTER_NAME" --config - >&2
if [ -n "$preload" ]; then
  kill -TERM "$preload" 2>/dev/null || true
  wait "$preload" 2>/dev/null || true
  preload=
fi
# kind returns once the workers have joined, before their network is up: pods scheduled then
# would all go to the first node Ready. Waits until every node is Ready, at most two minutes.
if [ "$NODE_COUNT" -gt 1 ]; then
  for _ in $(seq 120); do
    ready=$(docker exec "$CLUSTER_NAME-control-plane" kubectl --kubeconfig=/etc/kubernetes/admin.conf get nodes --no-headers 2>/dev/null | awk '$2 == "Ready"' | wc -l)
    [ "$ready" -lt "$NODE_COUNT" ] || break
    sleep 1
  done
fi
kind get kubeconfig --name "$CLUSTER_NAME"
`;

// The nodes (and the registry runtime/load-image.js started for them) go first, without their
// volumes: removing the nodes' /var files is most of what `kind delete cluster` waits for
// (BENCHMARKS.md), and nothing reads them once the nodes are gone, so they are removed after
// this returns. kind then removes the kubeconfig entries. The claim goes with the cluster,
// unless another stack holds it.
const deleteScript = `set -e
${claimedByThisStack}
nodes=$(docker ps --all --quiet --filter "label=io.x-k8s.kind.cluster=$CLUSTER_NAME" && docker ps --all --quiet --filter "label=kube-demo.registry-of=$CLUSTER_NAME")
volumes=
if [ -n "$nodes" ]; then
  volumes=$(printf '%s\\n' "$nodes" | xargs docker inspect --format '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}}{{"\\n"}}{{end}}{{end}}')
  printf '%s\\n' "$nodes" | xargs docker rm --force >/dev/null
fi
kind delete cluster --name "$CLUSTER_NAME"
if claimed_by_this_stack; then
  docker volume rm "kube-demo-claim-$CLUSTER_NAME" >/dev/null
fi
if [ -n "$volumes" ]; then
  # In a session of its own (node's detached spawn, as setsid is not on every system): pulumi
  # kills the provider's process group as it exits, which would cut the removal short.
  printf '%s\\n' "$volumes" | xargs node -e 'require("node:child_process").spawn("docker", ["volume", "rm", ...process.argv.slice(1)], { detached: true, stdio: "ignore", cwd: "/" }).unref()' --
fi
`;

/**
 * The third of the cluster's triggers: whether the cluster exists at this preview or up (clusterFacts).
 * A `local.Command` has no Read, so `pulumi refresh` cannot see a cluster deleted behind the
 * stack's back; the program looks for the cluster itself. While it exists, the trigger is
 * ignored (ignoreChanges keeps the value the engine stored), so nothing changes. Once it is
 * gone, the trigger is a value never used before, which differs from the stored one and so
 * replaces the cluster (and with it the image load, through the cluster's identity, and the
 * workload, through replaceWith). The memory is the engine's own diff against its state: the
 * program never reads the stack's checkpoint, which the engine writes while it runs.
 */
export function presenceTrigger(clusterExists: boolean, now: Date = new Date()): string {
    return clusterExists ? "present" : `missing at ${now.toISOString()}`;
}

/**
 * Where the preload's image sits among the cluster command's inputs: ignored, since a new tag
 * matters only to a cluster being created, never one that runs.
 */
export const preloadImagePath = "environment.PRELOAD_IMAGE";

/** Where presenceTrigger sits among the cluster command's inputs. */
export const presenceTriggerPath = "triggers[2]";

/** Whether another process holds `port` on 127.0.0.1: binding it fails. */
function portTaken(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const server = net.createServer().once("error", () => { resolve(true); });
        server.listen(port, "127.0.0.1", () => server.close(() => { resolve(false); }));
    });
}

/**
 * The settings among `ports` whose port another process already holds on 127.0.0.1, each as a
 * sentence. Asked before kind creates a cluster, so that a taken port is one line naming the
 * setting rather than a kind error half a minute in.
 */
export async function takenPorts(ports: Record<string, number>): Promise<string[]> {
    const entries = Object.entries(ports);
    const taken = await Promise.all(entries.map(([, port]) => portTaken(port)));
    return entries.filter((_, i) => taken[i]).map(([setting, port]) =>
        `port ${port} on 127.0.0.1 (${setting}) is taken by another process: stop it, or choose another port (pulumi config set ${setting} PORT)`);
}

/** A node of a kind cluster, as Docker reports its container. */
export interface NodeContainer {
    readonly name: string;
    readonly running: boolean;
    /** RFC 3339 times, as `docker inspect` gives them. */
    readonly created: string;
    readonly startedAt: string;
    /** The host port of the API server on the control plane (bound to 6443/tcp); else undefined. */
    readonly apiServerPort?: number;
}

/** How a failed `docker` call that the cluster's state depends on ends the program: one line. */
function stateUnknown(call: string, result: ToolResult): pulumi.RunError {
    const why = firstLine(result.stderr) || result.error?.message || `exit status ${String(result.status)}`;
    return new pulumi.RunError(`\`${call}\` failed, so the cluster's state is unknown: ${why}`);
}

/**
 * The node containers of kind cluster `name`, stopped ones included: kind labels each with its
 * cluster's name, and a cluster exists exactly when one is there (`kind get clusters` lists
 * these labels), so this one `docker ps` also says whether it exists.
 */
export async function nodeContainers(name: string, signal?: AbortSignal): Promise<NodeContainer[]> {
    const ps = await runTool("docker", ["ps", "--all", "--filter", `label=io.x-k8s.kind.cluster=${name}`, "--format", "{{.ID}}"],
        { timeout: 20_000, signal });
    if (ps.status !== 0) {
        throw stateUnknown("docker ps", ps);
    }
    const ids = ps.stdout.split("\n").filter(Boolean);
    if (ids.length === 0) {
        return [];
    }
    // Start times in full: `docker ps` gives none, and bootTrigger keeps them in the state.
    const format = `{{.Name}} {{.State.Running}} {{.Created}} {{.State.StartedAt}} {{with index .NetworkSettings.Ports "6443/tcp"}}{{(index . 0).HostPort}}{{end}}`;
    const inspect = await runTool("docker", ["inspect", "--format", format, ...ids], { timeout: 20_000, signal });
    if (inspect.status !== 0) {
        throw stateUnknown("docker inspect", inspect);
    }
    return inspect.stdout.split("\n").filter(Boolean).map((line) => {
        const [node = "", running, created = "", startedAt = "", port = ""] = line.split(" ");
        return { name: node.replace(/^\//, ""), running: running === "true", created, startedAt, ...(port ? { apiServerPort: Number(port) } : {}) };
    });
}

/**
 * Changes when a node of the cluster has been started again since kind created it (the Docker
 * engine or the machine restarted): the latest such start, else "as created". kind starts a
 * node within seconds of creating its container; a later start is a restart. Constant while
 * nothing restarts, so an up with nothing to do stays one.
 */
export function bootTrigger(nodes: readonly NodeContainer[]): string {
    const restarts = nodes.filter((node) => Date.parse(node.startedAt) - Date.parse(node.created) > 60_000)
        .map((node) => node.startedAt).sort();
    return restarts.length > 0 ? `restarted at ${restarts[restarts.length - 1]}` : "as created";
}

/**
 * Polls https://127.0.0.1:PORT/readyz (open to anonymous clients in a kubeadm cluster) until it
 * answers 200, for at most `seconds`: the milliseconds it waited, or the last reason it did not.
 */
async function pollReadyz(port: number, seconds: number, signal?: AbortSignal): Promise<{ waited: number } | { reason: string }> {
    const started = Date.now();
    for (;;) {
        // The cluster's own self-signed certificate: only "does it answer" is asked here.
        const [answer] = await probe([`https://127.0.0.1:${String(port)}/readyz`], 2000, signal);
        if (answer?.status === 200) {
            return { waited: Date.now() - started };
        }
        const why = answer?.status !== undefined ? `/readyz answered ${String(answer.status)}` : answer?.error ?? "no answer";
        if (signal?.aborted || Date.now() - started > seconds * 1000) {
            return { reason: why };
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
}

/**
 * Waits until the API server of a cluster that exists answers, so that the Kubernetes provider,
 * which gives up on a cluster it cannot reach when it starts, finds it: right after the Docker
 * engine restarted, the nodes are back in seconds and their API server some seconds later.
 */
export async function waitForApiServer(clusterName: string, nodes: readonly NodeContainer[], seconds = 120, signal?: AbortSignal): Promise<void> {
    const stopped = nodes.filter((node) => !node.running).map((node) => node.name);
    if (stopped.length > 0) {
        throw new pulumi.RunError(`the kind cluster '${clusterName}' has stopped nodes (${stopped.join(", ")}); Docker did not start them again. Start them (docker start ${stopped.join(" ")}) and run this again, or delete the cluster (kind delete cluster --name ${clusterName}) to have it recreated`);
    }
    // The port the cluster has, not the one configured: a cluster of this name may be another's,
    // which the create then refuses with its own message.
    const port = nodes.find((node) => node.apiServerPort !== undefined)?.apiServerPort;
    if (port === undefined) {
        return;
    }
    const answer = await pollReadyz(port, seconds, signal);
    if ("reason" in answer) {
        throw new pulumi.RunError(`the API server of the kind cluster '${clusterName}' (https://127.0.0.1:${port}) did not answer within ${seconds} s: ${answer.reason.trim()}`);
    }
    if (answer.waited > 1000) {
        void pulumi.log.info(`waited ${(answer.waited / 1000).toFixed(1)} s for the API server of the kind cluster '${clusterName}' (its node started at ${nodes.map((n) => n.startedAt).sort().pop()})`);
    }
}

/**
 * What KindCluster needs to know of the cluster as it is now, found before it is constructed
 * (clusterFacts): a component's constructor runs synchronously, and these are answers of
 * Docker and the network.
 */
export interface ClusterFacts {
    /** A kind cluster of this name exists (one of its node containers is there, running or not). */
    readonly exists: boolean;
    /** Its node containers; none when it does not exist. */
    readonly nodes: readonly NodeContainer[];
}

/**
 * The nodes of cluster `name` whose container is gone: the control plane, or a node the API
 * server still lists. None when the API server cannot say.
 */
async function lostNodes(name: string, nodes: readonly NodeContainer[], signal?: AbortSignal): Promise<string[]> {
    const controlPlane = `${name}-control-plane`;
    if (!nodes.some((node) => node.name === controlPlane)) {
        return [controlPlane];
    }
    const listed = await runTool("docker", ["exec", controlPlane, "kubectl", "--kubeconfig=/etc/kubernetes/admin.conf", "get", "nodes", "--output=name"],
        { timeout: 20_000, signal });
    const registered = listed.status === 0 ? listed.stdout.split("\n").filter(Boolean).map((line) => line.replace(/^node\//, "")) : [];
    return registered.filter((node) => !nodes.some((n) => n.name === node));
}

/** The node containers kind creates for cluster `name` with `workers` workers: `NAME-control-plane`, `NAME-worker`, `NAME-worker2`, ... */
export function declaredNodes(name: string, workers: number): string[] {
    return [`${name}-control-plane`, ...Array.from({ length: workers }, (_, i) => `${name}-worker${i === 0 ? "" : String(i + 1)}`)];
}

/**
 * The cluster's facts, once what KindCluster relies on holds: a cluster about to be created has
 * its ports free, and the API server of one that exists answers. Else one line saying what does
 * not, in that order. Asked at every preview and up, directly rather than through an invoke of
 * the command provider: the engine starts provider plugins one after another as requests first
 * need them, and an invoke here would start that plugin ahead of Docker's, which the build waits for.
 */
export async function clusterFacts(args: Pick<KindClusterArgs, "name" | "hostPort" | "apiServerPort" | "workers">, signal?: AbortSignal): Promise<ClusterFacts> {
    const nodes = await nodeContainers(args.name, signal);
    const exists = nodes.length > 0;
    // A cluster that runs holds its ports itself; one about to be created needs them free.
    const taken = exists ? [] : await takenPorts({ hostPort: args.hostPort, apiServerPort: args.apiServerPort });
    if (taken.length > 0) {
        throw new pulumi.RunError(taken.join("; "));
    }
    if (exists) {
        await waitForApiServer(args.name, nodes, 120, signal);
        // Fewer containers than declared: `workers` grew (the cluster is replaced for it), or a
        // node was removed by hand, which only the cluster's own list of nodes tells apart.
        if (declaredNodes(args.name, args.workers).some((node) => !nodes.some((n) => n.name === node))) {
            const lost = await lostNodes(args.name, nodes, signal);
            if (lost.length > 0) {
                throw new pulumi.RunError(`the kind cluster '${args.name}' lost ${lost.join(", ")} (its container is gone) and kind cannot add a node to a cluster that runs: delete the cluster (kind delete cluster --name ${args.name}) and run this again to have it created anew`);
            }
        }
    }
    return { exists, nodes };
}

export class KindCluster extends pulumi.ComponentResource {
    /** The cluster's name. */
    public readonly name: pulumi.Output<string>;
    /** Context kind wrote into the user's kubeconfig (gone again after destroy). */
    public readonly kubeContext: pulumi.Output<string>;
    /** Kubeconfig of this cluster alone; secret, since it holds the admin credentials. */
    public readonly kubeconfig: pulumi.Output<string>;
    /** Changes exactly when the cluster is created anew. */
    public readonly identity: pulumi.Output<string>;
    /** The `kind create`/`kind delete` command, the resource that is the cluster: what lives in it is replaced and deleted with it. */
    public readonly command: command.local.Command;
    /** Changes when the cluster's nodes were started again, after a Docker restart (bootTrigger). */
    public readonly boot: pulumi.Output<string>;
    /** A Kubernetes provider for this cluster, through its own kubeconfig (never the user's current context). */
    public readonly provider: k8s.Provider;
    /**
     * Options for every object in the cluster: a new cluster starts empty, so they are created
     * anew with it (deleted first: their names are fixed), and deleting it deletes them.
     */
    public readonly objectOptions: pulumi.CustomResourceOptions;

    /** `facts`: the cluster as clusterFacts found it for these `args`, at this preview or up. */
    constructor(name: string, args: KindClusterArgs, facts: ClusterFacts, opts?: pulumi.ComponentResourceOptions) {
        super("kube-demo:index:KindCluster", name, {}, opts);

        const config = kindConfig(args);
        const { exists, nodes } = facts;

        const cluster = new command.local.Command(`${name}-kind`, {
            create: createScript,
            // Runs when an input other than the triggers changes (say, this script): the cluster
            // stays, only its kubeconfig is read again.
            update: `kind get kubeconfig --name "$CLUSTER_NAME"`,
            delete: deleteScript,
            environment: {
                CLUSTER_NAME: args.name, OWNER: args.owner, DOCKER_HOST: args.dockerHost, NODE_COUNT: String(args.workers + 1),
                ...(args.preloadImage ? { PRELOAD_IMAGE: args.preloadImage } : {}),
            },
            stdin: tunedKindConfig(config),
            // Everything the settings shape is fixed at creation: a change replaces the cluster.
            // The stack's tuning applies to clusters it creates from then on; it replaces none.
            // The third trigger replaces a cluster deleted outside Pulumi (presenceTrigger).
            triggers: [args.name, config, presenceTrigger(exists)],
            // stdout is the kubeconfig: never printed, never passed on in the environment.
            logging: "stderr",
            addPreviousOutputInEnv: false,
        }, {
            parent: this,
            additionalSecretOutputs: ["stdout"],
            // kind refuses two clusters of one name, so the old one must go first.
            deleteBeforeReplace: true,
            ignoreChanges: [preloadImagePath, ...(exists ? [presenceTriggerPath] : [])],
        });

        this.name = pulumi.output(args.name);
        this.kubeContext = pulumi.output(`kind-${args.name}`);
        this.kubeconfig = pulumi.secret(cluster.stdout);
        this.identity = cluster.id;
        this.command = cluster;
        this.boot = pulumi.output(bootTrigger(nodes));
        this.provider = new k8s.Provider(`${name}-provider`, {
            kubeconfig: this.kubeconfig,
            // A recreated cluster's new kubeconfig updates the provider rather than replacing it:
            // the objects follow the cluster itself (objectOptions), not a provider replacement
            // in the middle of a delete-before-replace chain.
            clusterIdentifier: "kube-demo-kind-cluster",
            // `pulumi destroy` still finishes when the cluster is already gone.
            deleteUnreachable: true,
        }, { parent: this, aliases: args.providerAliases ?? [] });
        this.objectOptions = { replaceWith: [cluster], deleteBeforeReplace: true, deletedWith: cluster };
        this.registerOutputs({
            name: this.name, kubeContext: this.kubeContext, kubeconfig: this.kubeconfig,
            identity: this.identity, command: this.command, boot: this.boot, provider: this.provider,
        });
    }
}
