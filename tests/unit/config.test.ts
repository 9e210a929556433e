// The configuration contract: defaults, what each setting accepts, and that Pulumi.yaml
// declares exactly what the program reads.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import * as YAML from "yaml";
import { appsSetting, ConfigError, parseConfig, settings, type StackConfig } from "../../config";
import { at, found } from "../support/present";
import { projectDir } from "../support/project";

const settingNames = Object.keys(settings);

test("no settings give the seed workflow: kube-demo, 3 replicas, port 8080, node-app", () => {
    assert.deepEqual(parseConfig({}), {
        clusterName: "kube-demo", replicas: 3, hostPort: 8080, apiServerPort: 6443, workers: 0,
        nodeImage: undefined, registryImage: "registry:3", imageName: "node-app", baseImage: undefined,
        namespace: "default", serviceType: "NodePort", target: { kind: "kind" },
    });
});

test("Pulumi.yaml declares each setting of the table: the same type, default and description", () => {
    const project = YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { config: Record<string, unknown> };
    assert.deepEqual(Object.keys(project.config).sort(), [...settingNames, "apps"].sort());
    assert.deepEqual(project.config.apps, appsSetting, "apps in Pulumi.yaml");
    for (const [name, setting] of Object.entries(settings)) {
        assert.ok(setting.description.length > 20, `${name} has a description`);
        // Pulumi.yaml declares an unset string with the default "".
        const expected = { type: setting.type, default: setting.default ?? "", description: setting.description };
        assert.deepEqual(project.config[name], expected, `${name} in Pulumi.yaml`);
    }
    // The defaults as the CLI passes them (strings, "" for unset) give the same config as no settings.
    const asPassed = Object.fromEntries(Object.entries(settings).map(([name, setting]) => [name, String(setting.default ?? "")]));
    assert.deepEqual(parseConfig(asPassed), parseConfig({}));
});

test("values at the edges of each range are accepted", () => {
    const config = parseConfig({ clusterName: "a", replicas: "20", hostPort: "65535", apiServerPort: "1", workers: "4" });
    assert.equal(config.replicas, 20);
    assert.equal(config.workers, 4);
    assert.equal(parseConfig({ clusterName: "x".repeat(50) }).clusterName.length, 50);
    assert.equal(parseConfig({ clusterName: "team.demo-1" }).clusterName, "team.demo-1");
    assert.equal(parseConfig({ replicas: "1" }).replicas, 1);
});

test("image references in the forms users write are accepted", () => {
    for (const ref of ["node:20-slim", "kindest/node:v1.34.0", "registry.local:5000/team/node-base:20.20.2",
        `kindest/node:v1.34.0@sha256:${"a".repeat(64)}`, "kube-demo/kind-node:v1.34.4"]) {
        assert.equal(parseConfig({ nodeImage: ref, baseImage: ref }).nodeImage, ref);
    }
    assert.equal(parseConfig({ imageName: "team/node-app" }).imageName, "team/node-app");
});

test("every error names the setting, the value given and what is allowed", () => {
    assert.throws(() => parseConfig({ replicas: "-3" }), (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.message, 'invalid config replicas="-3": must be an integer from 1 to 20, in digits without sign, spaces or leading zeros (a local cluster on a laptop)');
        return true;
    });
    assert.throws(() => parseConfig({ hostPort: "" }), /^ConfigError: invalid config hostPort="": must be an integer from 1 to 65535, in digits without sign, spaces or leading zeros$/);
    assert.throws(() => parseConfig({ clusterName: "" }), /invalid config clusterName="": must be 1 to 50 characters/);
    assert.throws(() => parseConfig({ hostPort: "6443" }), /invalid config apiServerPort="6443": must differ from hostPort/);
});

test("an integer is plain decimal digits: no spaces, sign, leading zero, point, exponent or hex", () => {
    for (const raw of [" 3", "3 ", "\t3", "3\n", "+3", "03", "3.0", "3e0", "0x3", "0b11", "3_0", "\uff13", "\u0663", "Infinity", "NaN"]) {
        assert.throws(() => parseConfig({ replicas: raw }), /^ConfigError: invalid config replicas=.*: must be an integer from 1 to 20, in digits without sign, spaces or leading zeros/, JSON.stringify(raw));
    }
    assert.equal(parseConfig({ workers: "0" }).workers, 0);
    assert.equal(parseConfig({ replicas: "10" }).replicas, 10);
    assert.throws(() => parseConfig({ workers: "00" }), /invalid config workers="00"/);
    assert.throws(() => parseConfig({ workers: "-0" }), /invalid config workers="-0"/);
});

test("a message shows the value in printable ASCII: a newline, control or invisible character is its escape", () => {
    const message = (raw: Record<string, string>) => {
        try {
            parseConfig(raw);
        } catch (err) {
            return (err as Error).message;
        }
        throw new Error("accepted");
    };
    const clusterNameRule = "must be 1 to 50 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit";
    assert.equal(message({ clusterName: "demo\ntouch /tmp/m" }), `invalid config clusterName="demo\\ntouch /tmp/m": ${clusterNameRule}`);
    assert.equal(message({ clusterName: "k\u00fcbe\u200b" }), `invalid config clusterName="k\\u00fcbe\\u200b": ${clusterNameRule}`);
    assert.equal(message({ clusterName: "\u001b[2Jdemo\u2028" }), `invalid config clusterName="\\u001b[2Jdemo\\u2028": ${clusterNameRule}`);
    assert.equal(message({ clusterName: "a\"b'c\\d" }), `invalid config clusterName="a\\"b'c\\\\d": ${clusterNameRule}`);
    assert.equal(message({ baseImage: "node:20-\u202eslim" }),
        'invalid config baseImage="node:20-\\u202eslim": must be an image reference of at most 255 characters, such as node:20-slim');
});

test("a long value is shown by its first 40 characters and its length; up to 100 it is shown whole", () => {
    assert.throws(() => parseConfig({ clusterName: "a".repeat(300) }), (err: Error) => {
        assert.equal(err.message, `invalid config clusterName="${"a".repeat(40)}" (first 40 of 300 characters): must be 1 to 50 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit`);
        return true;
    });
    // Escapes count towards the 40: six characters each, never cut in half.
    assert.throws(() => parseConfig({ nodeImage: "\u00fc".repeat(300) }),
        /^ConfigError: invalid config nodeImage="(\\u00fc){6}" \(first 6 of 300 characters\): must be an image reference/);
    assert.throws(() => parseConfig({ nodeImage: "\u{1f600}".repeat(300) }),
        /^ConfigError: invalid config nodeImage="(\\ud83d\\ude00){3}" \(first 3 of 300 characters\): /);
    assert.throws(() => parseConfig({ imageName: "A".repeat(100) }), new RegExp(`^ConfigError: invalid config imageName="A{100}": `));
    assert.throws(() => parseConfig({ imageName: "A".repeat(101) }), /^ConfigError: invalid config imageName="A{40}" \(first 40 of 101 characters\): /);
});

test("image strings are at most 255 characters, as Docker's repository names", () => {
    assert.equal(parseConfig({ imageName: "a".repeat(255) }).imageName.length, 255);
    assert.equal(parseConfig({ nodeImage: "a".repeat(255) }).nodeImage?.length, 255);
    for (const key of ["imageName", "nodeImage", "baseImage"]) {
        assert.throws(() => parseConfig({ [key]: "a".repeat(256) }), new RegExp(`invalid config ${key}=.*of 256 characters\\): .*at most 255 characters`));
    }
});

test("names, image references and their hosts start and end with a letter or digit: '-' and '.' only inside (a leading '-' reads as an option)", () => {
    for (const [key, raw] of <[string, string][]>[["nodeImage", "--help"], ["baseImage", "-x"], ["baseImage", ".x/node:20"], ["nodeImage", "x-/node:1"],
        ["imageName", "-h/app"], ["imageName", "h-/app"], ["imageName", "-app"], ["clusterName", "-demo"]]) {
        assert.throws(() => parseConfig({ [key]: raw }), new RegExp(`^ConfigError: invalid config ${key}="${raw.replace(/[.]/g, "\\.")}"`));
    }
    assert.equal(parseConfig({ imageName: "registry-1.local:5000/team/app" }).imageName, "registry-1.local:5000/team/app");
});

test("nodeImage and baseImage empty mean unset (Pulumi.yaml's default); a blank value is refused", () => {
    assert.deepEqual([parseConfig({ nodeImage: "", baseImage: "" }).nodeImage, parseConfig({ baseImage: "" }).baseImage], [undefined, undefined]);
    for (const key of ["nodeImage", "baseImage", "imageName", "clusterName"]) {
        assert.throws(() => parseConfig({ [key]: " " }), new RegExp(`^ConfigError: invalid config ${key}=" ": `));
    }
});

test("target existing takes its kubeconfig, context and registry; it needs the context and the registry", () => {
    assert.deepEqual(parseConfig({ target: "existing", context: "kind-staging", registry: "localhost:5001" }).target,
        { kind: "existing", kubeconfig: undefined, context: "kind-staging", registry: "localhost:5001" });
    assert.deepEqual(parseConfig({ target: "existing", kubeconfig: "~/.kube/staging", context: "arn:aws:eks:eu-west-1:123456789012:cluster/staging", registry: "ghcr.io/my-team" }).target,
        { kind: "existing", kubeconfig: "~/.kube/staging", context: "arn:aws:eks:eu-west-1:123456789012:cluster/staging", registry: "ghcr.io/my-team" });
    assert.throws(() => parseConfig({ target: "existing", registry: "localhost:5001" }),
        /^ConfigError: invalid config context="": must name the kubeconfig context of the cluster to deploy to when target is existing/);
    assert.throws(() => parseConfig({ target: "existing", context: "kind-staging" }),
        /^ConfigError: invalid config registry="": must name the registry the cluster's nodes pull from when target is existing/);
    assert.throws(() => parseConfig({ target: "staging" }), /^ConfigError: invalid config target="staging": must be one of kind, existing$/);
});

test("the settings of target existing are refused on target kind, not silently ignored", () => {
    for (const [key, value] of [["kubeconfig", "~/.kube/config"], ["context", "kind-x"], ["registry", "localhost:5001"]] as const) {
        assert.throws(() => parseConfig({ [key]: value }), new RegExp(`^ConfigError: invalid config ${key}=".*": applies to target existing only`));
    }
});

test("namespace and serviceType: any Service type on an existing cluster, NodePort alone on Kind", () => {
    assert.equal(parseConfig({ namespace: "web-1" }).namespace, "web-1");
    assert.throws(() => parseConfig({ namespace: "Web" }), /invalid config namespace="Web": must be 1 to 63 characters/);
    assert.throws(() => parseConfig({ namespace: "a".repeat(64) }), /invalid config namespace=/);
    for (const type of ["NodePort", "LoadBalancer", "ClusterIP"]) {
        assert.equal(parseConfig({ target: "existing", context: "c", registry: "r.example", serviceType: type }).serviceType, type);
    }
    assert.throws(() => parseConfig({ serviceType: "LoadBalancer" }),
        /^ConfigError: invalid config serviceType="LoadBalancer": must be NodePort when target is kind/);
    assert.throws(() => parseConfig({ serviceType: "ExternalName" }), /must be one of NodePort, LoadBalancer, ClusterIP$/);
});

test("Pulumi.staging.yaml, the example second stack, is a valid existing-cluster configuration", () => {
    const stack = YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.staging.yaml"), "utf8")) as { config: Record<string, string> };
    const raw = Object.fromEntries(Object.entries(stack.config).map(([key, value]) => [key.replace(/^kube-demo:/, ""), value]));
    assert.deepEqual(Object.keys(raw).filter((key) => !settingNames.includes(key)), [], "only settings the program reads");
    assert.equal(parseConfig(raw).target.kind, "existing");
});

describe("the apps setting", () => {
    const greeter = { name: "greeter", context: "tests/apps/greeter", port: 9000, readinessPath: "/ready", hostPort: 9090 };
    const apps = (...list: unknown[]) => parseConfig({ apps: JSON.stringify(list) }, projectDir);

    test("unset or empty, the one app of app/: the config is exactly the seed's", () => {
        assert.deepEqual(parseConfig({ apps: "[]" }, projectDir), parseConfig({}));
        assert.equal(parseConfig({}).apps, undefined);
    });

    test("each app's keys, with the defaults of those left out", () => {
        const config = parseConfig({ replicas: "2", apps: JSON.stringify([
            { name: "web", context: "app", hostPort: 8081, readinessPath: "/healthz" },
            { ...greeter, dockerfile: "Dockerfile", imageName: "team/greeter", replicas: "1", buildArgs: { BASE_IMAGE: "node:20" }, env: { GREETING: "Hello" }, secretEnv: { TOKEN: "s3cret" } },
        ]) }, projectDir);
        assert.deepEqual(config.apps, [
            { name: "web", context: "app", dockerfile: "Dockerfile", buildArgs: {}, imageName: "web", port: 8080, readinessPath: "/healthz", replicas: 2, hostPort: 8081, env: {}, secretEnv: {} },
            { name: "greeter", context: "tests/apps/greeter", dockerfile: "Dockerfile", buildArgs: { BASE_IMAGE: "node:20" }, imageName: "team/greeter", port: 9000, readinessPath: "/ready", replicas: 1, hostPort: 9090, env: { GREETING: "Hello" }, secretEnv: { TOKEN: "s3cret" } },
        ]);
        // No readiness path: the probe and the up's wait use a TCP connection.
        const only = (config: StackConfig) => at(found(config.apps, "apps"), 0);
        assert.equal(only(apps({ name: "tcp", context: "app", hostPort: 7000 })).readinessPath, undefined);
        assert.equal(only(apps({ name: "abs", context: path.join(projectDir, "app"), hostPort: 7000 })).context, path.join(projectDir, "app"));
    });

    test("a bad entry is one line naming the app and the key, and what the key takes", () => {
        const cases: [unknown[], string][] = [
            [[{ ...greeter, prot: 9000 }], 'invalid config apps[0].prot="9000" (app greeter): is not a key of an app; an app takes name, context, dockerfile, buildArgs, imageName, port, readinessPath, replicas, hostPort, env, secretEnv'],
            [[{ ...greeter, context: "tests/apps/missing" }], `invalid config apps[0].context="tests/apps/missing" (app greeter): is not a folder (looked for ${path.join(projectDir, "tests/apps/missing")})`],
            [[{ ...greeter, dockerfile: "Containerfile" }], `invalid config apps[0].dockerfile="Containerfile" (app greeter): is not a file in the app's folder (looked for ${path.join(projectDir, "tests/apps/greeter/Containerfile")})`],
            [[{ ...greeter, dockerfile: "../Dockerfile" }], 'invalid config apps[0].dockerfile="../Dockerfile" (app greeter): must be a path inside the app\'s folder, without \'..\''],
            [[{ ...greeter, port: 70000 }], 'invalid config apps[0].port="70000" (app greeter): must be an integer from 1 to 65535'],
            [[{ ...greeter, hostPort: "80a" }], 'invalid config apps[0].hostPort="80a" (app greeter): must be an integer from 1 to 65535'],
            [[{ ...greeter, hostPort: undefined }], 'invalid config apps[0].hostPort="" (app greeter): must be an integer from 1 to 65535'],
            [[{ ...greeter, replicas: 0 }], 'invalid config apps[0].replicas="0" (app greeter): must be an integer from 1 to 20'],
            [[{ ...greeter, readinessPath: "ready" }], "invalid config apps[0].readinessPath=\"ready\" (app greeter): must be an HTTP path starting with '/', such as /healthz (unset: a TCP check)"],
            [[{ ...greeter, env: { "1X": "a" } }], 'invalid config apps[0].env.1X="a" (app greeter): must be text under a variable name (letters, digits and \'_\', not starting with a digit)'],
            [[{ ...greeter, secretEnv: { TOKEN: 1 } }], 'invalid config apps[0].secretEnv.TOKEN="1" (app greeter): must be text under a variable name (letters, digits and \'_\', not starting with a digit)'],
            [[{ ...greeter, name: "Greeter" }], 'invalid config apps[0].name="Greeter": must be 1 to 40 characters of a-z, 0-9 and \'-\', starting with a letter and ending with a letter or digit'],
            [[greeter, { ...greeter, hostPort: 9091 }], 'invalid config apps[1].name="greeter" (app greeter): is the name of apps[0] too: each app needs its own'],
            [[greeter, { ...greeter, name: "other" }], 'invalid config apps[1].hostPort="9090" (app other): is the host port of app greeter too: each app needs its own'],
            [[{ ...greeter, hostPort: 6443 }], 'invalid config apps[0].hostPort="6443" (app greeter): is the cluster\'s API server port (apiServerPort): choose another'],
            [[{ ...greeter, hostPort: 8080 }], 'invalid config apps[0].hostPort="8080" (app greeter): is the cluster\'s own port mapping (the hostPort setting, fixed when kind created the cluster, for the app of app/): choose another, or another hostPort (which recreates the cluster)'],
            [["greeter"], 'invalid config apps[0]="greeter": must be an app: an object of name, context, dockerfile, buildArgs, imageName, port, readinessPath, replicas, hostPort, env, secretEnv'],
        ];
        for (const [list, message] of cases) {
            assert.throws(() => apps(...list), (err: Error) => {
                assert.ok(err instanceof ConfigError, message);
                assert.equal(err.message, message);
                return true;
            });
        }
        assert.throws(() => parseConfig({ apps: "web" }, projectDir),
            /^ConfigError: invalid config apps="web": must be a list of apps, set key by key \(pulumi config set --path 'apps\[0\].name' web; README: Your own apps\)$/);
    });
});
