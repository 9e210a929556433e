// @ts-check
// The rules of the policy pack (policy/index.js), kept apart from the pack so that the unit
// tests load them without starting its server. One rule a concern; each finding is one line,
// and the CLI prints it beside the rule's name and the resource's.
"use strict";

// Types by their token, not @pulumi/kubernetes' classes: loading that package would add to the
// pack's start, which every preview and up waits for.
const deploymentType = "kubernetes:apps/v1:Deployment";
const serviceType = "kubernetes:core/v1:Service";

/**
 * @typedef {import("@pulumi/policy").ResourceValidationPolicy} ResourceValidationPolicy
 * @typedef {import("@pulumi/policy").StackValidationPolicy} StackValidationPolicy
 * @typedef {import("@pulumi/policy").ReportViolation} ReportViolation
 * @typedef {import("@pulumi/pulumi").Unwrap<import("@pulumi/kubernetes").types.input.apps.v1.Deployment>} Deployment
 * @typedef {import("@pulumi/pulumi").Unwrap<import("@pulumi/kubernetes").types.input.core.v1.Container>} Container
 * @typedef {import("@pulumi/pulumi").Unwrap<import("@pulumi/kubernetes").types.input.core.v1.PodSecurityContext>} PodSecurityContext
 */

/**
 * A Deployment rule that looks at each container of the pod template: `check` returns what is
 * wrong with one, or undefined.
 * @param {string} name
 * @param {string} description
 * @param {(container: Container, pod: PodSecurityContext | undefined) => string | undefined} check
 * @param {{ initContainers: boolean }} scope init containers too (they take no probes)
 * @returns {ResourceValidationPolicy}
 */
function containerRule(name, description, check, scope) {
    return {
        name,
        description,
        validateResource: (args, reportViolation) => {
            if (args.type !== deploymentType) args.notApplicable();
            const deployment = /** @type {Deployment} */ (args.props);
            const pod = deployment.spec?.template.spec;
            const containers = [...(pod?.containers ?? []), ...(scope.initContainers ? pod?.initContainers ?? [] : [])];
            for (const container of containers) {
                const wrong = check(container, pod?.securityContext);
                if (wrong !== undefined) {
                    reportViolation(`container "${container.name}" ${wrong}`);
                }
            }
        },
    };
}

/** @param {string[]} missing */
const lacks = (missing) => missing.length === 0 ? undefined : `has no ${missing.join(", ")}`;

/** @type {ResourceValidationPolicy} */
const probes = containerRule("probes",
    "Every container has a readiness probe (no traffic before it answers) and a liveness probe (restarted when it hangs).",
    (container) => lacks([
        ...(container.readinessProbe ? [] : ["readinessProbe"]),
        ...(container.livenessProbe ? [] : ["livenessProbe"]),
    ]),
    { initContainers: false });

/** @type {ResourceValidationPolicy} */
const requestsAndLimits = containerRule("requests-and-limits",
    "Every container requests CPU and memory (the scheduler places it) and has limits on both (it cannot starve its node).",
    (container) => lacks(["requests", "limits"].flatMap((kind) => ["cpu", "memory"]
        .filter((resource) => !(kind === "requests" ? container.resources?.requests : container.resources?.limits)?.[resource])
        .map((resource) => `${kind}.${resource}`))),
    { initContainers: true });

/** @type {ResourceValidationPolicy} */
const runAsNonRoot = containerRule("run-as-non-root",
    "Every container runs as a user other than root: runAsNonRoot true (its own, else the pod's) and runAsUser not 0.",
    (container, pod) => {
        // The container's setting wins over the pod's, as the kubelet applies them.
        const nonRoot = container.securityContext?.runAsNonRoot ?? pod?.runAsNonRoot;
        const user = container.securityContext?.runAsUser ?? pod?.runAsUser;
        if (user === 0) {
            return "runs as user 0 (root)";
        }
        return nonRoot === true ? undefined : "may run as root: set securityContext.runAsNonRoot: true";
    },
    { initContainers: true });

/** @type {ResourceValidationPolicy} */
const readOnlyRootFilesystem = containerRule("read-only-root-filesystem",
    "Every container's root filesystem is read-only: what an intruder writes does not last, and nothing piles up on the node.",
    (container) => container.securityContext?.readOnlyRootFilesystem === true
        ? undefined : "has a writable root filesystem: set securityContext.readOnlyRootFilesystem: true",
    { initContainers: true });

/** @type {ResourceValidationPolicy} */
const noPrivilegeEscalation = containerRule("no-privilege-escalation",
    "No container can gain more privileges than it starts with (setuid binaries): allowPrivilegeEscalation false.",
    (container) => container.securityContext?.allowPrivilegeEscalation === false
        ? undefined : "may escalate privileges: set securityContext.allowPrivilegeEscalation: false",
    { initContainers: true });

/**
 * What is wrong with an image reference's version, if anything: none, or `latest`, means
 * whatever the registry or the node holds at the time, not one image.
 * @param {string} image `[registry[:port]/]repository[:tag][@digest]`
 * @returns {string | undefined}
 */
function imageVersionProblem(image) {
    if (image.includes("@")) {
        return undefined; // A digest names one image, whatever the tag says.
    }
    const name = image.slice(image.lastIndexOf("/") + 1);
    const colon = name.lastIndexOf(":");
    if (colon === -1) {
        return "has no tag";
    }
    return name.slice(colon + 1) === "latest" ? "is tagged latest" : undefined;
}

/** @type {ResourceValidationPolicy} */
const imageTag = containerRule("image-tag",
    "Every container names one image: a tag other than latest, or a digest.",
    (container) => {
        const problem = imageVersionProblem(container.image ?? "");
        return problem === undefined ? undefined : `image "${container.image ?? ""}" ${problem}`;
    },
    { initContainers: true });

/**
 * Whether every label of `selector` is on `labels`.
 * @param {Record<string, string>} selector
 * @param {Record<string, string> | undefined} labels
 */
const selects = (selector, labels) => Object.entries(selector).every(([key, value]) => labels?.[key] === value);

/** @type {StackValidationPolicy} */
const serviceSelectsPods = {
    name: "service-selects-pods",
    description: "Every Service with a selector selects the pods of a Deployment in its namespace: otherwise it sends traffic nowhere.",
    validateStack: (args, reportViolation) => {
        // A stack rule sees what the provider returned: nothing yet, at the preview of objects
        // whose cluster does not exist. Those cannot be judged until the update.
        const known = args.resources.filter((r) => Object.keys(r.props).length > 0);
        if (args.resources.some((r) => r.type === deploymentType && !known.includes(r))) {
            return;
        }
        const deployments = known.filter((r) => r.type === deploymentType)
            .map((r) => /** @type {Deployment} */ (r.props));
        for (const resource of known.filter((r) => r.type === serviceType)) {
            const service = /** @type {import("@pulumi/pulumi").Unwrap<import("@pulumi/kubernetes").types.input.core.v1.Service>} */ (resource.props);
            const selector = service.spec?.selector ?? {};
            if (Object.keys(selector).length === 0) {
                continue; // Its endpoints are someone else's to manage.
            }
            const namespace = service.metadata?.namespace ?? "default";
            const matched = deployments.some((d) => (d.metadata?.namespace ?? "default") === namespace
                && selects(selector, d.spec?.template.metadata?.labels));
            if (!matched) {
                const wanted = Object.entries(selector).map(([key, value]) => `${key}=${value}`).join(",");
                reportViolation(`selector ${wanted} matches no Deployment's pods in namespace ${namespace}`, resource.urn);
            }
        }
    },
};

/** The pack's rules, in the order the CLI reports them. */
const policies = [probes, requestsAndLimits, runAsNonRoot, readOnlyRootFilesystem, noPrivilegeEscalation, imageTag, serviceSelectsPods];

module.exports = { policies, imageVersionProblem };
