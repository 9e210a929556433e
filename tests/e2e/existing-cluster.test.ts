// End to end: the stack on a cluster it did not create (target existing). Starts from nothing of
// its own: a Kind cluster made here as a user makes one (`kind create cluster`, into a kubeconfig
// of theirs) stands in for the team's cluster, and a local registry (distribution, built by the
// toolchain) feeds it, wired as kind's local-registry guide shows (containerd's config_path and
// a hosts.toml on each node). Scenarios run in order on one stack.
import assert from "node:assert/strict";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe } from "node:test";
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
        stack = await newStack(toolchainEnv, settings());
    });

    after(async () => {
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

    scenario("3. bad input is one line naming the setting or the address; nothing in the cluster changes", async () => {
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

    scenario("4. destroy removes the app and its namespace; the cluster, the registry and the user's kubeconfig stay", async () => {
        await theStack().stack.destroy();
        assert.throws(() => kubectl("get", "namespace", "web"), /NotFound/);
        assert.match(kubectl("get", "nodes", "--no-headers"), / Ready /);
        assert.ok(run("kind", ["get", "clusters"]).split("\n").includes(userCluster));
        assert.equal(run("docker", ["inspect", "--format", "{{.State.Running}}", registry]).trim(), "true");
        assert.equal(fs.readFileSync(userKubeconfig, "utf8"), userKubeconfigText);
    });
});
