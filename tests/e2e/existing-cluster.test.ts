// End to end: the stack on a cluster it did not create (target existing). Starts from nothing of
// its own: a Kind cluster made here as a user makes one (`kind create cluster`, into a kubeconfig
// of theirs) stands in for the team's cluster, and a local registry (distribution, built by the
// toolchain) feeds it, wired as kind's local-registry guide shows (containerd's config_path and
// a hosts.toml on each node). Scenarios run in order on one stack. From scenario 3 on, the stack
// reaches the cluster as a deployer without admin rights does: a ServiceAccount with only the
// RBAC the stack needs, its token in a kubeconfig, then handed out by an exec credential plugin.
import assert from "node:assert/strict";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe } from "node:test";
import * as YAML from "yaml";
import { DevLoop } from "../support/dev-loop";
import { processesInGroup } from "../support/processes";
import { found } from "../support/present";
import { get } from "../support/load";
import { freePort } from "../support/ports";
import { newStack, removeStack, stringOutput, TestStack } from "../support/stack";
import { timedScenarios } from "../support/scenarios";
import { toolchainForTests } from "../support/toolchain";

const { env: toolchainEnv, skip } = toolchainForTests("e2e");
const scenario = timedScenarios(skip);
const run = (command: string, args: string[], input?: string) =>
    execFileSync(command, args, { env: { ...process.env, ...toolchainEnv }, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], ...(input === undefined ? {} : { input }) });

/** A registry container of the toolchain's image on 127.0.0.1:`port`, on kind's network as `name`. */
function startRegistry(name: string, port: number, env: Record<string, string> = {}): void {
    run("docker", ["run", "--detach", "--name", name, "--publish", `127.0.0.1:${port}:5000`,
        ...Object.entries(env).flatMap(([key, value]) => ["--env", `${key}=${value}`]),
        found(toolchainEnv.REGISTRY_IMAGE, "REGISTRY_IMAGE")]);
    run("docker", ["network", "connect", "kind", name]);
}

/** The nodes of `cluster` pull `localhost:<port>/...` from the registry container `name`. */
function pullThrough(cluster: string, port: number, name: string): void {
    for (const node of run("kind", ["get", "nodes", "--name", cluster]).split("\n").filter(Boolean)) {
        const dir = `/etc/containerd/certs.d/localhost:${port}`;
        run("docker", ["exec", node, "mkdir", "-p", dir]);
        run("docker", ["exec", "-i", node, "cp", "/dev/stdin", `${dir}/hosts.toml`], `[host."http://${name}:5000"]\n`);
    }
}

/** What the stack does in the cluster on target existing, and the rollout check and the dev loop read. */
const deployerRules = [
    { apiGroups: [""], resources: ["namespaces", "services"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
    { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
    { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
    { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] },
    { apiGroups: [""], resources: ["pods", "pods/log", "events", "endpoints"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
    { apiGroups: [""], resources: ["pods/portforward"], verbs: ["get", "create"] },
];

/**
 * Two kubeconfigs of a ServiceAccount bound to `deployerRules`, with the admin's context name: its
 * token in the file, and an exec credential plugin (a script in `dir`) that prints that token.
 */
function deployerKubeconfigs(adminKubeconfig: string, context: string, dir: string): { token: string; exec: string } {
    const account = "kube-demo-deployer";
    const kubectl = (args: string[], input?: string) => run("kubectl", ["--kubeconfig", adminKubeconfig, "--context", context, ...args], input);
    kubectl(["apply", "-f", "-"], JSON.stringify({
        apiVersion: "v1", kind: "List", items: [
            { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: account, namespace: "default" } },
            { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: account }, rules: deployerRules },
            {
                apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: account },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: account },
                subjects: [{ kind: "ServiceAccount", name: account, namespace: "default" }],
            },
        ],
    }));
    const token = kubectl(["create", "token", account, "--namespace", "default", "--duration", "2h"]).trim();
    const admin = YAML.parse(fs.readFileSync(adminKubeconfig, "utf8")) as { clusters: { cluster: { server: string; "certificate-authority-data": string } }[] };
    const cluster = found(admin.clusters[0], "the admin kubeconfig's cluster").cluster;
    const kubeconfig = (user: object) => YAML.stringify({
        apiVersion: "v1", kind: "Config", "current-context": context,
        clusters: [{ name: "staging", cluster: { server: cluster.server, "certificate-authority-data": cluster["certificate-authority-data"] } }],
        users: [{ name: account, user }],
        contexts: [{ name: context, context: { cluster: "staging", user: account } }],
    });
    // A command that prints an ExecCredential, as EKS's and GKE's credential plugins do.
    const plugin = path.join(dir, "token-plugin");
    fs.writeFileSync(plugin, `#!/bin/sh\necho '${JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token } })}'\n`, { mode: 0o755 });
    const files = { token: path.join(dir, "token-kubeconfig"), exec: path.join(dir, "exec-kubeconfig") };
    fs.writeFileSync(files.token, kubeconfig({ token }));
    fs.writeFileSync(files.exec, kubeconfig({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin, interactiveMode: "Never" } }));
    return files;
}

/**
 * Runs the port-forward command the `url` output gives, with the local port changed to a free
 * one, until `body` answers; returns the app's answer.
 */
async function throughPortForward(url: string): Promise<string> {
    const match = /^(kubectl .* port-forward service\/node-service) 8080:8080, then http:\/\/127\.0\.0\.1:8080$/.exec(url);
    const [command = "", ...args] = found(match?.[1], `a port-forward command in the url output: ${url}`).split(" ");
    const local = await freePort();
    const forward: ChildProcess = spawn(command, [...args, `${local}:8080`], { env: { ...process.env, ...toolchainEnv }, stdio: "ignore" });
    try {
        for (let tries = 0; ; tries++) {
            try {
                return await get(`http://127.0.0.1:${local}`);
            } catch (err) {
                if (tries > 50) {
                    throw err;
                }
                await new Promise((resolve) => setTimeout(resolve, 200));
            }
        }
    } finally {
        forward.kill();
    }
}

describe("the stack on a cluster it did not create, fed through a registry", () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const userCluster = `e2e-user-${suffix}`;
    const registry = `e2e-registry-${suffix}`;
    const readOnlyRegistry = `e2e-registry-ro-${suffix}`;
    let work: string | undefined;
    let userKubeconfig: string;
    let userKubeconfigText: string;
    let registryPort: number;
    let readOnlyPort: number;
    let stack: TestStack | undefined;
    let deployer: { token: string; exec: string } | undefined;
    let devLoop: DevLoop | undefined;
    const theStack = () => found(stack, "the test stack");
    const kubectl = (...args: string[]) => run("kubectl", ["--kubeconfig", userKubeconfig, "--context", `kind-${userCluster}`, ...args]);
    const settings = (extra: Record<string, string> = {}) => ({
        target: "existing", kubeconfig: userKubeconfig, context: `kind-${userCluster}`,
        registry: `localhost:${registryPort}`, namespace: "web", serviceType: "ClusterIP", ...extra,
    });

    before(async () => {
        if (skip) {
            return;
        }
        work = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-e2e-existing-"));
        userKubeconfig = path.join(work, "user-kubeconfig");
        registryPort = await freePort();
        readOnlyPort = await freePort();
        // The user's cluster, made as kind's local-registry guide makes one.
        run("kind", ["create", "cluster", "--name", userCluster, "--image", found(toolchainEnv.KIND_NODE_IMAGE, "KIND_NODE_IMAGE"),
            "--kubeconfig", userKubeconfig, "--config", "-"], [
            "kind: Cluster", "apiVersion: kind.x-k8s.io/v1alpha4", "containerdConfigPatches:", "- |-",
            '  [plugins."io.containerd.grpc.v1.cri".registry]', '    config_path = "/etc/containerd/certs.d"', "",
        ].join("\n"));
        startRegistry(registry, registryPort);
        // One that refuses every push, as a registry does to a user without write access.
        startRegistry(readOnlyRegistry, readOnlyPort, { REGISTRY_STORAGE_MAINTENANCE_READONLY: "{\"enabled\":true}" });
        pullThrough(userCluster, registryPort, registry);
        userKubeconfigText = fs.readFileSync(userKubeconfig, "utf8");
        deployer = deployerKubeconfigs(userKubeconfig, `kind-${userCluster}`, work);
        stack = await newStack(toolchainEnv, settings());
    });

    after(async () => {
        await devLoop?.stop();
        if (stack !== undefined) {
            await removeStack(stack);
        }
        if (work !== undefined) {
            run("kind", ["delete", "cluster", "--name", userCluster]);
            // --volumes: the registry image declares a volume for its storage, which a plain rm leaves behind.
            run("docker", ["rm", "--force", "--volumes", registry, readOnlyRegistry]);
            fs.rmSync(work, { recursive: true, force: true });
        }
    });

    scenario("1. up: the image is pushed and pulled, the pods run in the stack's namespace, the url's port-forward reaches them", async () => {
        const result = await theStack().stack.up();
        const url = stringOutput(result.outputs, "url");
        assert.match(await throughPortForward(url), /^Hello World: [0-9a-f-]{36}\n$/);

        const pods = JSON.parse(kubectl("get", "pods", "--namespace", "web", "-l", "app=node-web", "-o", "json")) as
            { items: { spec: { containers: { image: string }[] }; status: { phase: string } }[] };
        assert.equal(pods.items.filter((pod) => pod.status.phase === "Running").length, 3);
        const image = stringOutput(result.outputs, "image");
        assert.match(image, new RegExp(`^localhost:${registryPort}/node-app:[0-9a-f]{16}$`));
        assert.ok(pods.items.every((pod) => pod.spec.containers[0]?.image === image), "every pod runs the pushed image");
        const catalog = JSON.parse(await get(`http://127.0.0.1:${registryPort}/v2/_catalog`)) as { repositories: string[] };
        assert.deepEqual(catalog.repositories, ["node-app"]);
        assert.equal(fs.readFileSync(userKubeconfig, "utf8"), userKubeconfigText, "the user's kubeconfig is read, never written");
    });

    scenario("2. an edit is pushed under a new tag and rolled out", async () => {
        const server = path.join(theStack().dir, "app", "server.js");
        fs.writeFileSync(server, fs.readFileSync(server, "utf8").replace("`Hello World: ", "`Hello staging: "));
        const result = await theStack().stack.up();
        assert.match(await throughPortForward(stringOutput(result.outputs, "url")), /^Hello staging: /);
        await theStack().stack.preview({ expectNoChanges: true });
    });

    scenario("3. a ServiceAccount's token kubeconfig: a crashing edit fails the up in seconds with the crash and its last log lines", async () => {
        await theStack().stack.setConfig("kubeconfig", { value: found(deployer, "the deployer's kubeconfigs").token });
        const server = path.join(theStack().dir, "app", "server.js");
        fs.appendFileSync(server, "\nthis is not javascript(\n");
        const started = Date.now();
        const error = await theStack().stack.up().then(() => undefined, (err: unknown) => err as Error);
        console.log(`# token kubeconfig, crashing edit: failed after ${((Date.now() - started) / 1000).toFixed(1)} s`);
        assert.ok(error, "the up fails");
        // By the rollout check's verdict on the crash, not by its timeout or the provider's.
        assert.match(String(error), /will not become ready; its old pods keep serving\. Pod node-deployment-\S+: (crashed: exited with code 1|CrashLoopBackOff)/);
        assert.match(String(error), /last log lines:\n(.*\n)*.*SyntaxError/);
        assert.doesNotMatch(String(error), /not rolled out within/);
    });

    scenario("4. an exec plugin's kubeconfig: up recovers; the dev loop keeps a port-forward, streams the logs, counts the pods; none of its processes outlives it", async () => {
        await theStack().stack.setConfig("kubeconfig", { value: found(deployer, "the deployer's kubeconfigs").exec });
        const server = path.join(theStack().dir, "app", "server.js");
        const good = fs.readFileSync(server, "utf8").replace("\nthis is not javascript(\n", "");
        fs.writeFileSync(server, good);
        await theStack().stack.up();

        devLoop = new DevLoop(theStack());
        const forwarded = await devLoop.line(/^the app answers at (http:\/\/127\.0\.0\.1:\d+) \(kubectl port-forward to service\/node-service\)$/, 0, 120);
        const url = found(forwarded.match[1], "the port-forward's URL");
        assert.match(await get(url), /^Hello staging: /);
        await devLoop.line(/^watching app\//, 0, 60);

        const from = devLoop.lines.length;
        fs.writeFileSync(server, good.replace("`Hello staging: ", "`Hello deployer: "));
        await devLoop.line(new RegExp(`^app/server\\.js -> localhost:${registryPort}/node-app:[0-9a-f]{16} on 3/3 pods in \\d+\\.\\d s$`), from, 180);
        await devLoop.line(/^\[node-deployment-\S+\] listening on :8080 as /, from, 30);
        // Started anew after the rollout, on the same port: the old pods it held are gone.
        for (let tries = 0; ; tries++) {
            const answer = await get(url).catch((err: unknown) => String(err));
            if (answer.startsWith("Hello deployer: ")) {
                break;
            }
            assert.ok(tries < 50, `the port-forward serves the new version: ${answer}`);
            await new Promise((resolve) => setTimeout(resolve, 200));
        }
        process.kill(-devLoop.pid, "SIGINT"); // as a terminal's Ctrl-C does: to the whole foreground group
        assert.equal(await devLoop.exited, 0);
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.deepEqual(processesInGroup(devLoop.pid), [], "the port-forward and the proxy end with the loop");

        // Killed alone (kill -9), the loop leaves its kubectl processes to the reaper it started.
        const killed = new DevLoop(theStack());
        devLoop = killed;
        await killed.line(/^watching app\//, 0, 120);
        process.kill(killed.pid, "SIGKILL");
        for (let tries = 0; processesInGroup(killed.pid).length > 0; tries++) {
            assert.ok(tries < 100, `no process of the killed loop left within 20 s: ${processesInGroup(killed.pid).join("; ")}`);
            await new Promise((resolve) => setTimeout(resolve, 200));
        }
        assert.equal(fs.readFileSync(userKubeconfig, "utf8"), userKubeconfigText);
    });

    scenario("5. bad input is one line naming the setting or the address; nothing in the cluster changes", async () => {
        const cases: [Record<string, string>, RegExp][] = [
            [settings({ context: "kind-nope", namespace: "web2" }),
                /the context 'kind-nope' \(setting context\) is not in the kubeconfig [^\n]*user-kubeconfig, whose contexts are: kind-e2e-user-/],
            [settings({ registry: "localhost:1", namespace: "web2" }), /no registry answers at localhost:1 \(setting registry\)/],
            [settings({ registry: `localhost:${readOnlyPort}`, namespace: "web2" }), new RegExp(`localhost:${readOnlyPort}/node-app`)],
            // In namespace default no Namespace object is made, so each object must wait for the push itself.
            [settings({ registry: `localhost:${readOnlyPort}`, namespace: "default" }), new RegExp(`localhost:${readOnlyPort}/node-app`)],
        ];
        // Side by side: each is a stack of its own.
        await Promise.all(cases.map(async ([config, message]) => {
            const bad = await newStack(toolchainEnv, config);
            try {
                await assert.rejects(bad.stack.up(), message);
            } finally {
                await removeStack(bad);
            }
        }));
        assert.throws(() => kubectl("get", "namespace", "web2"), /NotFound/, "the namespace waits for the image: a refused push creates nothing");
        assert.equal(kubectl("get", "deployments,services,poddisruptionbudgets,networkpolicies", "--namespace", "default", "-l", "app=node-web", "-o", "name"), "",
            "in namespace default too, a refused push creates no object");
        assert.equal(fs.readFileSync(userKubeconfig, "utf8"), userKubeconfigText);
    });

    scenario("6. destroy removes the app and its namespace; the cluster, the registry and the user's kubeconfig stay", async () => {
        await theStack().stack.destroy();
        assert.throws(() => kubectl("get", "namespace", "web"), /NotFound/);
        assert.match(kubectl("get", "nodes", "--no-headers"), / Ready /);
        assert.ok(run("kind", ["get", "clusters"]).split("\n").includes(userCluster));
        assert.equal(run("docker", ["inspect", "--format", "{{.State.Running}}", registry]).trim(), "true");
        assert.equal(fs.readFileSync(userKubeconfig, "utf8"), userKubeconfigText);
    });
});
