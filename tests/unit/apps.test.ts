// The `apps` setting under Pulumi's mocks: with none, exactly the seed's stack; with two, each app
// its own image, load, objects, rollout check and host port, and its secrets kept secret.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import * as path from "node:path";
import { before, describe, test } from "node:test";
import { contentTag, hostPlatform } from "../../image";
import { portProxyLabel } from "../../readiness";
import { declaredOf, found, projectDir, ProgramRun, runProgram, value } from "../support/harness";

const Deployment = "kubernetes:apps/v1:Deployment";
const Service = "kubernetes:core/v1:Service";
const Secret = "kubernetes:core/v1:Secret";

/**
 * The URNs the seed's stack declares, as the versions before the `apps` setting did: a deployed
 * stack upgraded to this one must find every resource where it left it.
 */
const seedUrns = [
    "kube-demo:index:AppImage::app",
    "kube-demo:index:AppImage$command:local:Command::app-images",
    "kube-demo:index:AppImage$command:local:Command::app-load",
    "kube-demo:index:AppImage$docker:index/image:Image::app-build",
    "kube-demo:index:KindCluster::cluster",
    "kube-demo:index:KindCluster$command:local:Command::cluster-kind",
    "kube-demo:index:KindCluster$pulumi:providers:kubernetes::cluster-provider",
    "kube-demo:index:Workload::app",
    "kube-demo:index:Workload$command:local:Command::app-answers",
    "kube-demo:index:Workload$command:local:Command::app-rollout",
    "kube-demo:index:Workload$kubernetes:apps/v1:Deployment::app-deployment",
    "kube-demo:index:Workload$kubernetes:core/v1:Service::app-service",
    "kube-demo:index:Workload$kubernetes:networking.k8s.io/v1:NetworkPolicy::app-network-policy",
    "kube-demo:index:Workload$kubernetes:policy/v1:PodDisruptionBudget::app-disruption-budget",
    "pulumi:providers:docker::docker-engine",
];

/** The part of a URN after the project: the parent types, type and name. */
const shortUrn = (urn: string) => urn.replace(/^urn:pulumi:[^:]+::[^:]+::/, "");

const web = { name: "web", context: "app", readinessPath: "/healthz", hostPort: 8081 };
const greeter = {
    name: "greeter", context: "tests/apps/greeter", port: 9000, readinessPath: "/ready", hostPort: 9090,
    env: { GREETING: "Hello" }, secretEnv: { TOKEN: "tok-4711" },
};

describe("the apps setting", () => {
    test("unset, the stack declares exactly the seed's resources, under the same URNs", async () => {
        const run = await runProgram();
        assert.equal(run.error, undefined);
        assert.deepEqual(run.declared.map((d) => shortUrn(d.urn)).sort(), [...seedUrns].sort());
        assert.deepEqual(await value(run.outputs.urls), { app: "http://127.0.0.1:8080" });
    });

    describe("with two apps", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram({ apps: JSON.stringify([web, greeter]) });
            assert.equal(run.error, undefined);
        });

        test("each app has its own image, load, objects and checks, named after it", () => {
            const names = run.declared.map((d) => shortUrn(d.urn));
            for (const app of ["web", "greeter"]) {
                for (const child of ["AppImage$docker:index/image:Image::%-build", "AppImage$command:local:Command::%-load", "Workload$kubernetes:apps/v1:Deployment::%-deployment",
                    "Workload$kubernetes:core/v1:Service::%-service", "Workload$command:local:Command::%-rollout", "Workload$command:local:Command::%-answers"]) {
                    assert.ok(names.includes(`kube-demo:index:${child.replace("%", app)}`), `${app}: ${child}`);
                }
            }
            const deployments = declaredOf(run, Deployment);
            assert.deepEqual(deployments.map((d) => d.inputs.metadata.name).sort(), ["greeter", "web"]);
            const greeterDeployment = found(deployments.find((d) => d.inputs.metadata.name === "greeter"), "greeter's Deployment").inputs;
            assert.deepEqual(greeterDeployment.spec.selector.matchLabels, { app: "greeter" });
            const container = found(greeterDeployment.spec.template.spec.containers[0], "greeter's container");
            assert.equal(container.ports[0]?.containerPort, 9000);
            assert.equal(container.readinessProbe.httpGet.path, "/ready");
            const tag = contentTag(path.join(projectDir, "tests/apps/greeter"), {}, hostPlatform);
            assert.equal(container.image, `greeter:${tag}`);
            // The cluster preloads the first app's image.
            const cluster = found(declaredOf(run, "command:local:Command").find((d) => d.name === "cluster-kind"), "the cluster");
            assert.match(found(cluster.inputs.environment.PRELOAD_IMAGE, "PRELOAD_IMAGE"), /^web:[0-9a-f]{16}$/);
        });

        test("each app answers through a port proxy of its own, kind's mapping left to the app of app/", async () => {
            const services = declaredOf(run, Service);
            const nodePort = (name: string) => found(services.find((s) => s.inputs.metadata.name === name), name).inputs.spec.ports[0]?.nodePort;
            assert.equal(nodePort("web"), undefined, "the cluster picks each app's NodePort");
            assert.equal(nodePort("greeter"), undefined);
            const proxies = declaredOf(run, "command:local:Command").filter((d) => d.name.endsWith("-port"));
            assert.deepEqual(proxies.map((d) => d.name).sort(), ["greeter-port", "web-port"]);
            const proxy = found(proxies.find((d) => d.name === "greeter-port"), "greeter's proxy");
            assert.equal(proxy.inputs.environment.NAME, "kube-demo-greeter-port");
            assert.equal(proxy.inputs.environment.HOST_PORT, "9090");
            assert.match(found(proxy.inputs.create, "its create"), new RegExp(`--label "${portProxyLabel}=\\$CLUSTER_NAME"`));
            const answers = found(declaredOf(run, "command:local:Command").find((d) => d.name === "greeter-answers"), "greeter's wait");
            assert.equal(answers.inputs.environment.URL, "http://127.0.0.1:9090/ready");
            assert.ok(answers.dependencies.includes(proxy.urn), "the wait follows the proxy");
            assert.deepEqual(await value(run.outputs.urls), { web: "http://127.0.0.1:8081", greeter: "http://127.0.0.1:9090" });
            assert.equal(await value(run.outputs.url), "http://127.0.0.1:8081");
        });

        test("plain env is in the pod spec; secret env only in the app's Secret, marked secret, and in no output", async () => {
            const secret = found(declaredOf(run, Secret)[0], "greeter's Secret");
            const stringData = secret.inputs.stringData as unknown as Record<string, unknown>;
            assert.equal(stringData[pulumi.runtime.specialSigKey], pulumi.runtime.specialSecretSig, "stringData is a secret");
            const deployment = found(declaredOf(run, Deployment).find((d) => d.inputs.metadata.name === "greeter"), "greeter").inputs;
            const env = found(deployment.spec.template.spec.containers[0], "container").env;
            assert.deepEqual(env[0], { name: "GREETING", value: "Hello" });
            const token = found(env[1], "TOKEN's entry");
            assert.equal(token.name, "TOKEN");
            assert.equal(token.valueFrom.secretKeyRef.key, "TOKEN");
            assert.ok(!JSON.stringify(deployment).includes("tok-4711"), "the Deployment never holds the value");
            const outputs = await value(pulumi.all(run.outputs));
            assert.ok(!JSON.stringify(outputs).includes("tok-4711"), "no output holds the value");
            assert.equal(declaredOf(run, Secret).length, 1, "web has no Secret");
        });
    });
});
