// target existing: the program on a cluster the user already has. Under Pulumi's mocks, with
// the user's kubeconfig a file of the test's and their cluster and registry one local HTTP
// server that answers as both would to the reachability checks (GET /version, GET /v2/).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { kubeconfigPath, reachInstructions } from "../../existing-cluster";
import { scriptHash } from "../../runtime";
import { at, declaredOf, fakeTools, found, only, ProgramRun, runProgram, value } from "../support/harness";

function kubeconfigFile(dir: string, server: string): string {
    const file = path.join(dir, "config");
    fs.writeFileSync(file, [
        "apiVersion: v1", "kind: Config", "current-context: mine",
        `clusters: [{name: staging, cluster: {server: '${server}'}}, {name: mine, cluster: {server: 'https://127.0.0.1:1'}}]`,
        "contexts: [{name: staging, context: {cluster: staging, user: staging}}, {name: mine, context: {cluster: mine, user: mine}}]",
        "users: [{name: staging, user: {token: t}}, {name: mine, user: {token: keep-me}}]", "",
    ].join("\n"));
    return file;
}

describe("target existing", () => {
    let server: http.Server;
    let address: string;
    let dir: string;
    let tools: string;
    let kubeconfig: string;
    let written: string;
    let run: ProgramRun;
    const settings = (extra: Record<string, string> = {}) => ({
        target: "existing", kubeconfig, context: "staging", registry: `${address}/team`, namespace: "web", serviceType: "ClusterIP", ...extra,
    });

    before(async () => {
        server = http.createServer((req, res) => { res.writeHead(req.url === "/v2/" ? 401 : 200).end(); });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-existing-"));
        kubeconfig = kubeconfigFile(dir, `http://${address}`);
        written = fs.readFileSync(kubeconfig, "utf8");
        tools = fakeTools(["docker", "kubectl"]);
        run = await runProgram(settings(), { tools });
    });

    after(() => {
        server.close();
        fs.rmSync(dir, { recursive: true, force: true });
        fs.rmSync(tools, { recursive: true, force: true });
    });

    test("with apps: each image pushed, each app its rollout check, each url its port-forward to its host port", async () => {
        const apps = [
            { name: "web", context: "app", readinessPath: "/healthz", hostPort: 8080 },
            { name: "greeter", context: "tests/apps/greeter", port: 9000, hostPort: 9090 },
        ];
        const withApps = await runProgram(settings({ apps: JSON.stringify(apps) }), { tools });
        assert.equal(withApps.error, undefined);
        assert.deepEqual(declaredOf(withApps, "command:local:Command").map((c) => c.name).sort(), ["greeter-rollout", "web-rollout"]);
        assert.deepEqual(declaredOf(withApps, "docker:index/image:Image").map((i) => i.inputs.imageName.replace(/:[0-9a-f]{16}$/, "")).sort(),
            [`${address}/team/greeter`, `${address}/team/web`]);
        const urls = await value(withApps.outputs.urls) as Record<string, string>;
        assert.match(at(Object.values(urls), 0), /port-forward service\/web 8080:8080, then http:\/\/127\.0\.0\.1:8080$/);
        assert.match(found(urls.greeter, "greeter's url"), /port-forward service\/greeter 9090:9000, then http:\/\/127\.0\.0\.1:9090$/);
    });

    test("no cluster is created and nothing loaded: the one command is the rollout check", () => {
        assert.equal(run.error, undefined);
        assert.deepEqual(declaredOf(run, "command:local:Command").map((c) => c.name), ["app-rollout"]);
    });

    test("the image is pushed to the registry under its content tag, and the pods run that reference", () => {
        const image = only(run, "docker:index/image:Image").inputs;
        assert.match(image.imageName, new RegExp(`^${address}/team/node-app:[0-9a-f]{16}$`));
        assert.equal(image.skipPush, false);
        const deployment = only(run, "kubernetes:apps/v1:Deployment");
        assert.equal(at(deployment.inputs.spec.template.spec.containers, 0).image, image.imageName);
        assert.ok(deployment.dependencies.includes(only(run, "docker:index/image:Image").urn), "the rollout waits for the push");
    });

    test("the provider reads the user's file by path, at the configured context, and never deletes state for an unreachable cluster", () => {
        const provider = only(run, "pulumi:providers:kubernetes").inputs;
        assert.equal(provider.kubeconfig, kubeconfig, "a path: the credentials stay in the user's file");
        assert.equal(provider.context, "staging");
        assert.notEqual(provider.deleteUnreachable, "true");
        assert.equal(fs.readFileSync(kubeconfig, "utf8"), written, "the user's file is read, never written");
    });

    test("the namespace is the stack's, and every object is in it; the Service has the configured type", () => {
        const namespace = only(run, "kubernetes:core/v1:Namespace");
        assert.equal(namespace.inputs.metadata.name, "web");
        // A cluster that stays: deleting the namespace waits until it is gone, so an up right after a destroy can create it again.
        assert.equal((namespace.inputs.metadata.annotations as Record<string, string> | undefined)?.["pulumi.com/skipAwait"], undefined);
        assert.ok(namespace.dependencies.includes(only(run, "docker:index/image:Image").urn), "a refused push creates nothing in the cluster");
        for (const type of ["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service", "kubernetes:policy/v1:PodDisruptionBudget", "kubernetes:networking.k8s.io/v1:NetworkPolicy"] as const) {
            assert.equal(only(run, type).inputs.metadata.namespace, "web", type);
        }
        const service = only(run, "kubernetes:core/v1:Service").inputs;
        assert.equal(service.spec.type, "ClusterIP");
        assert.equal(at(service.spec.ports, 0).nodePort, undefined, "the cluster picks any port it gives");
    });

    test("the rollout check, not the provider, awaits the Deployment, through the user's file by path; the provider awaits the Service", () => {
        const deployment = only(run, "kubernetes:apps/v1:Deployment");
        assert.equal((deployment.inputs.metadata.annotations as Record<string, string>)["pulumi.com/skipAwait"], "true");
        const service = only(run, "kubernetes:core/v1:Service").inputs.metadata.annotations as Record<string, string> | undefined;
        assert.equal(service?.["pulumi.com/skipAwait"], undefined, "a load balancer's address is awaited");
        const rollout = only(run, "command:local:Command");
        assert.match(rollout.inputs.create ?? "", /^node runtime\/rollout-status\.js$/);
        assert.ok(rollout.dependencies.includes(deployment.urn));
        assert.equal(rollout.inputs.stdin, undefined, "no credentials pass through the state");
        assert.equal(rollout.inputs.environment.KUBECONFIG, kubeconfig);
        assert.equal(rollout.inputs.environment.KUBE_CONTEXT, "staging");
        assert.equal(rollout.inputs.triggers[2], scriptHash("rollout-status.js"));
    });

    test("the url output is the exact port-forward command against the user's kubeconfig and context", async () => {
        assert.equal(await value(run.outputs.url as pulumi.Output<string>),
            `kubectl --kubeconfig ${kubeconfig} --context staging --namespace web port-forward service/node-service 8080:8080, then http://127.0.0.1:8080`);
        assert.equal(await value(run.outputs.kubeContext as pulumi.Output<string>), "staging");
    });

    test("a refused push creates nothing in the cluster: every object waits for it, in a named namespace and in default", async () => {
        const inDefault = await runProgram(settings({ namespace: "default" }), { tools });
        for (const each of [run, inDefault]) {
            const image = only(each, "docker:index/image:Image");
            const objects = each.declared.filter((d) => d.type.startsWith("kubernetes:"));
            assert.ok(objects.length >= 4);
            for (const object of objects) {
                assert.ok(object.dependencies.includes(image.urn), `${object.name} waits for the push`);
            }
        }
    });

    test("namespace default: no Namespace object, so destroy never deletes the cluster's own", async () => {
        const inDefault = await runProgram(settings({ namespace: "default" }), { tools });
        assert.deepEqual(declaredOf(inDefault, "kubernetes:core/v1:Namespace"), []);
        assert.equal(only(inDefault, "kubernetes:apps/v1:Deployment").inputs.metadata.namespace, "default");
    });

    // Each one line naming the setting or the address, and nothing declared.
    const refused: [string, () => Record<string, string>, RegExp][] = [
        ["a context that is not in the file", () => settings({ context: "prod" }),
            /^the context 'prod' \(setting context\) is not in the kubeconfig .*config, whose contexts are: staging, mine \(pulumi config set context NAME\)$/],
        ["a kubeconfig that does not exist", () => settings({ kubeconfig: path.join(dir, "nothing") }),
            /^the kubeconfig .*nothing cannot be read \(ENOENT\): point the setting kubeconfig at/],
        ["a cluster that does not answer", () => settings({ context: "mine" }),
            /^the cluster of context 'mine' in .* does not answer at https:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/],
        ["a registry that does not answer", () => settings({ registry: "127.0.0.1:1" }),
            /^no registry answers at 127\.0\.0\.1:1 \(setting registry\): https:\/\/127\.0\.0\.1:1\/v2\/: ECONNREFUSED; http:\/\/127\.0\.0\.1:1\/v2\/: ECONNREFUSED\./],
        // Asked at the same time, reported in the order they were asked in one after another.
        ["a cluster and a registry that do not answer: the cluster's line", () => settings({ context: "mine", registry: "127.0.0.1:1" }),
            /^the cluster of context 'mine' in .* does not answer at https:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/],
    ];
    for (const [what, config, message] of refused) {
        test(`${what}: one line, nothing declared`, async () => {
            const bad = await runProgram(config(), { tools });
            assert.ok(bad.error instanceof pulumi.RunError, String(bad.error));
            assert.match(bad.error.message, message);
            assert.doesNotMatch(bad.error.message, /\n/);
            assert.deepEqual(bad.declared, []);
        });
    }
});

test("kubeconfigPath: the setting with ~ expanded, else KUBECONFIG's first file, else ~/.kube/config", () => {
    const home = os.homedir();
    assert.equal(kubeconfigPath("~/.kube/staging", {}), path.join(home, ".kube", "staging"));
    assert.equal(kubeconfigPath(undefined, { KUBECONFIG: `/a/one${path.delimiter}/b/two` }), "/a/one");
    assert.equal(kubeconfigPath(undefined, {}), path.join(home, ".kube", "config"));
});

test("reachInstructions: a load balancer's address when the Service has one, else the port-forward command", () => {
    const cluster = { kubeconfigPath: "/home/me/.kube/config", context: "staging", server: "https://k8s.example" };
    assert.equal(reachInstructions(cluster, "web", "node-service", 8080, { ip: "203.0.113.7" }), "http://203.0.113.7:8080");
    assert.equal(reachInstructions(cluster, "web", "node-service", 8080, { hostname: "lb.example" }), "http://lb.example:8080");
    assert.equal(reachInstructions(cluster, "web", "node-service", 8080, undefined),
        "kubectl --kubeconfig /home/me/.kube/config --context staging --namespace web port-forward service/node-service 8080:8080, then http://127.0.0.1:8080");
    assert.match(reachInstructions(cluster, "web", "node-service", 8080, {}), /port-forward service\/node-service 8080:8080/);
});
