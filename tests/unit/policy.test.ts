// The policy pack's rules (policy/rules.js), each run as the CLI's policy runner runs it: on a
// resource's inputs (behind @pulumi/policy's check for values unknown at preview), the findings
// collected from reportViolation. The program's own objects must pass them all.
import * as k8s from "@pulumi/kubernetes";
import * as policyLib from "@pulumi/policy";
import type { ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { imageVersionProblem, policies } from "../../policy/rules.js";
import { declaredOf, runProgram } from "../support/harness";
import { found } from "../support/present";

type Policy = ResourceValidationPolicy | StackValidationPolicy;
const policy = (name: string): Policy => found(policies.find((p) => p.name === name), `rule ${name}`);

/** The type token validateResourceOfType filters on. */
const typeOf = (resourceClass: object) => (resourceClass as { __pulumiType?: string }).__pulumiType;
const deploymentType = "kubernetes:apps/v1:Deployment";
const serviceType = "kubernetes:core/v1:Service";

class NotApplicable extends Error {}
/** Where the runner puts a resource's inputs: reading a value unknown at preview throws. (The package exports it; its types leave it out.) */
const unknownCheckingProxy = (policyLib as unknown as { unknownCheckingProxy: (props: Record<string, unknown>) => Record<string, unknown> }).unknownCheckingProxy;
const noConfig = (() => ({})) as StackValidationArgs["getConfig"];

/** The findings of a resource rule on one resource, as reportViolation gets them. */
function findings(rule: Policy, type: string, props: Record<string, unknown>): string[] {
    assert.ok("validateResource" in rule, `${rule.name} is not a resource rule`);
    const found: string[] = [];
    const args = {
        type, props: unknownCheckingProxy(props), urn: `urn:pulumi:s::p::${type}::x`, name: "x", opts: {} as never,
        stackTags: new Map<string, string>(),
        isType: (resourceClass: object) => typeOf(resourceClass) === type,
        asType: () => undefined,
        getConfig: noConfig,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
    for (const validate of [rule.validateResource].flat()) {
        void validate(args, (message) => found.push(message));
    }
    return found;
}

interface StackResource { type: string; urn: string; props: Record<string, unknown> }
/** The findings of a stack rule, each with the URN it names. */
function stackFindings(rule: Policy, resources: StackResource[]): { message: string; urn: string | undefined }[] {
    assert.ok("validateStack" in rule, `${rule.name} is not a stack rule`);
    const found: { message: string; urn: string | undefined }[] = [];
    void rule.validateStack({
        resources: resources.map((r) => ({
            ...r, props: unknownCheckingProxy(r.props), name: r.urn, opts: {} as never, dependencies: [], propertyDependencies: {},
            isType: (resourceClass: object) => typeOf(resourceClass) === r.type,
            asType: () => undefined,
        })),
        stackTags: new Map<string, string>(),
        getConfig: noConfig,
        notApplicable: (): never => {
            throw new NotApplicable();
        },
    }, (message, urn) => found.push({ message, urn }));
    return found;
}

/** A container that passes every rule; each test breaks one thing. */
const goodContainer = () => ({
    name: "node",
    image: "node-app:1804899f882079f0",
    readinessProbe: { httpGet: { path: "/healthz", port: "http" } },
    livenessProbe: { tcpSocket: { port: "http" } },
    resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "1", memory: "128Mi" } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
});
type Container = ReturnType<typeof goodContainer> & Record<string, unknown>;
const labels = { app: "node-web" };
const deployment = (container: Partial<Container> | Record<string, unknown> = goodContainer(), podSecurity: object = { runAsNonRoot: true },
    extra: { initContainers?: object[]; namespace?: string } = {}) => ({
    metadata: { name: "node-deployment", ...(extra.namespace ? { namespace: extra.namespace } : {}) },
    spec: {
        selector: { matchLabels: labels },
        template: {
            metadata: { labels: { ...labels, "app.kubernetes.io/version": "1804899f882079f0" } },
            spec: { securityContext: podSecurity, containers: [container], ...(extra.initContainers ? { initContainers: extra.initContainers } : {}) },
        },
    },
});
/** goodContainer() with `change` applied to its securityContext or its top-level fields. */
const containerWith = (change: Record<string, unknown>, security: Record<string, unknown> = {}) => {
    const container = { ...goodContainer(), ...change };
    return { ...container, securityContext: { ...goodContainer().securityContext, ...security } };
};
const without = (field: keyof Container) => Object.fromEntries(Object.entries(goodContainer()).filter(([key]) => key !== field));

describe("each resource rule passes a good Deployment, and names what is wrong with a bad one", () => {
    test("the rules: mandatory by the pack, one a concern", () => {
        assert.deepEqual(policies.map((p) => p.name),
            ["probes", "requests-and-limits", "run-as-non-root", "read-only-root-filesystem", "no-privilege-escalation", "image-tag", "service-selects-pods"]);
        for (const rule of policies.filter((p) => "validateResource" in p)) {
            assert.deepEqual(findings(rule, deploymentType, deployment()), [], rule.name);
        }
    });

    test("probes: a readiness and a liveness probe on every container", () => {
        assert.deepEqual(findings(policy("probes"), deploymentType, deployment(without("readinessProbe"))), ['container "node" has no readinessProbe']);
        assert.deepEqual(findings(policy("probes"), deploymentType, deployment(without("livenessProbe"))), ['container "node" has no livenessProbe']);
        // Init containers run to completion and take no probes.
        const init = { name: "init", image: "busybox:1.37" };
        assert.deepEqual(findings(policy("probes"), deploymentType, deployment(goodContainer(), { runAsNonRoot: true }, { initContainers: [init] })), []);
    });

    test("requests-and-limits: cpu and memory, both requested and limited", () => {
        const rule = policy("requests-and-limits");
        assert.deepEqual(findings(rule, deploymentType, deployment(without("resources"))),
            ['container "node" has no requests.cpu, requests.memory, limits.cpu, limits.memory']);
        assert.deepEqual(findings(rule, deploymentType, deployment(containerWith({ resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "1" } } }))),
            ['container "node" has no limits.memory']);
        const init = { ...goodContainer(), name: "init", resources: {} };
        assert.deepEqual(findings(rule, deploymentType, deployment(goodContainer(), { runAsNonRoot: true }, { initContainers: [init] })),
            ['container "init" has no requests.cpu, requests.memory, limits.cpu, limits.memory']);
    });

    test("run-as-non-root: the container's setting, else the pod's; never user 0", () => {
        const rule = policy("run-as-non-root");
        assert.deepEqual(findings(rule, deploymentType, deployment(goodContainer(), {})),
            ['container "node" may run as root: set securityContext.runAsNonRoot: true']);
        assert.deepEqual(findings(rule, deploymentType, deployment(containerWith({}, { runAsNonRoot: false }))),
            ['container "node" may run as root: set securityContext.runAsNonRoot: true']);
        assert.deepEqual(findings(rule, deploymentType, deployment(containerWith({}, { runAsNonRoot: true }), {})), []);
        assert.deepEqual(findings(rule, deploymentType, deployment(goodContainer(), { runAsNonRoot: true, runAsUser: 0 })),
            ['container "node" runs as user 0 (root)']);
    });

    test("read-only-root-filesystem: set true, not left out", () => {
        const rule = policy("read-only-root-filesystem");
        const message = 'container "node" has a writable root filesystem: set securityContext.readOnlyRootFilesystem: true';
        assert.deepEqual(findings(rule, deploymentType, deployment(containerWith({}, { readOnlyRootFilesystem: false }))), [message]);
        assert.deepEqual(findings(rule, deploymentType, deployment(without("securityContext"))), [message]);
    });

    test("no-privilege-escalation: set false, not left out (Kubernetes' default allows it)", () => {
        const rule = policy("no-privilege-escalation");
        const message = 'container "node" may escalate privileges: set securityContext.allowPrivilegeEscalation: false';
        assert.deepEqual(findings(rule, deploymentType, deployment(containerWith({}, { allowPrivilegeEscalation: true }))), [message]);
        assert.deepEqual(findings(rule, deploymentType, deployment(without("securityContext"))), [message]);
    });

    test("image-tag: a tag other than latest, or a digest", () => {
        assert.deepEqual(findings(policy("image-tag"), deploymentType, deployment(containerWith({ image: "node-app:latest" }))),
            ['container "node" image "node-app:latest" is tagged latest']);
        assert.deepEqual(findings(policy("image-tag"), deploymentType, deployment(without("image"))), ['container "node" image "" has no tag']);
        assert.equal(imageVersionProblem("node-app"), "has no tag");
        // A registry's port is not a tag.
        assert.equal(imageVersionProblem("localhost:5000/team/node-app"), "has no tag");
        assert.equal(imageVersionProblem("localhost:5000/team/node-app:latest"), "is tagged latest");
        assert.equal(imageVersionProblem("localhost:5000/team/node-app:1804899f882079f0"), undefined);
        assert.equal(imageVersionProblem("node-app:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), undefined);
    });

    test("a resource rule applies to Deployments only", () => {
        for (const rule of policies.filter((p) => "validateResource" in p)) {
            assert.throws(() => findings(rule, serviceType, { spec: {} }), NotApplicable, rule.name);
        }
    });
});

describe("service-selects-pods: a Service's selector matches a Deployment's pod template", () => {
    const rule = policy("service-selects-pods");
    const service = (selector: Record<string, string> | undefined, namespace?: string): StackResource => ({
        type: serviceType, urn: "urn:service",
        props: { metadata: { name: "node-service", ...(namespace ? { namespace } : {}) }, spec: { ...(selector ? { selector } : {}), ports: [{ port: 8080 }] } },
    });
    const pods = (namespace?: string): StackResource => ({ type: deploymentType, urn: "urn:deployment", props: deployment(goodContainer(), { runAsNonRoot: true }, namespace ? { namespace } : {}) });

    test("the pods' labels include the selector: no finding", () => {
        assert.deepEqual(stackFindings(rule, [pods(), service(labels)]), []);
        assert.deepEqual(stackFindings(rule, [pods("team"), service(labels, "team")]), []);
    });

    test("a selector no pod template carries is named, on the Service", () => {
        assert.deepEqual(stackFindings(rule, [pods(), service({ app: "node" })]),
            [{ message: "selector app=node matches no Deployment's pods in namespace default", urn: "urn:service" }]);
        assert.deepEqual(stackFindings(rule, [pods(), service({ ...labels, tier: "web" })]),
            [{ message: "selector app=node-web,tier=web matches no Deployment's pods in namespace default", urn: "urn:service" }]);
        assert.deepEqual(stackFindings(rule, [service(labels)]),
            [{ message: "selector app=node-web matches no Deployment's pods in namespace default", urn: "urn:service" }]);
    });

    test("pods in another namespace do not count", () => {
        assert.deepEqual(stackFindings(rule, [pods("team"), service(labels)]),
            [{ message: "selector app=node-web matches no Deployment's pods in namespace default", urn: "urn:service" }]);
    });

    test("at the preview of a stack whose cluster is not there yet (the objects' state still empty), nothing is judged", () => {
        const unseen = (r: StackResource): StackResource => ({ ...r, props: {} });
        assert.deepEqual(stackFindings(rule, [unseen(pods()), service({ app: "node" })]), []);
        assert.deepEqual(stackFindings(rule, [pods(), unseen(service({ app: "node" }))]), []);
    });

    test("a Service without a selector is left alone (its endpoints are managed elsewhere)", () => {
        assert.deepEqual(stackFindings(rule, [pods(), service(undefined)]), []);
    });
});

describe("the program's own objects pass every rule", () => {
    for (const config of [{}, { namespace: "kube-demo" }]) {
        test(`config ${JSON.stringify(config)}`, async () => {
            const run = await runProgram(config);
            assert.ifError(run.error);
            const deployments = declaredOf(run, deploymentType);
            const services = declaredOf(run, serviceType);
            assert.equal(deployments.length, 1);
            assert.equal(services.length, 1);
            for (const rule of policies) {
                const found = "validateResource" in rule
                    ? deployments.flatMap((d) => findings(rule, d.type, d.inputs as unknown as Record<string, unknown>))
                    : stackFindings(rule, [...deployments, ...services].map((d) => ({ type: d.type, urn: d.urn, props: d.inputs as unknown as Record<string, unknown> })));
                assert.deepEqual(found, [], rule.name);
            }
        });
    }
});

// The classes the rules filter on carry the type tokens the tests give.
test("the type tokens", () => {
    assert.equal(typeOf(k8s.apps.v1.Deployment), deploymentType);
    assert.equal(typeOf(k8s.core.v1.Service), serviceType);
});
