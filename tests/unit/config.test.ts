// The configuration contract: defaults, what each setting accepts, and that Pulumi.yaml
// declares exactly what the program reads.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import * as YAML from "yaml";
import { ConfigError, defaults, parseConfig } from "../../config";
import { projectDir } from "./harness";

const settingNames = ["clusterName", "replicas", "hostPort", "apiServerPort", "workers", "nodeImage", "imageName", "baseImage"];

test("no settings give the seed workflow: kube-demo, 3 replicas, port 8080, node-app", () => {
    assert.deepEqual(parseConfig({}), {
        clusterName: "kube-demo", replicas: 3, hostPort: 8080, apiServerPort: 6443, workers: 0,
        nodeImage: undefined, imageName: "node-app", baseImage: undefined,
    });
});

test("Pulumi.yaml declares every setting, with a description and the program's default", () => {
    const project = YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8"));
    assert.deepEqual(Object.keys(project.config).sort(), [...settingNames].sort());
    for (const [name, declared] of Object.entries<any>(project.config)) {
        assert.ok(declared.description?.length > 20, `${name} has a description`);
        const programDefault = (defaults as Record<string, unknown>)[name] ?? "";
        assert.equal(declared.default, programDefault, `${name} defaults alike in Pulumi.yaml and config.ts`);
        assert.equal(declared.type, typeof programDefault === "number" ? "integer" : "string");
    }
    // Pulumi.yaml's defaults, as the CLI passes them, give the same config as no settings.
    const asPassed = Object.fromEntries(Object.entries<any>(project.config).map(([k, v]) => [k, String(v.default)]));
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
        assert.equal(err.message, 'invalid config replicas="-3": must be an integer from 1 to 20 (a local cluster on a laptop)');
        return true;
    });
    assert.throws(() => parseConfig({ hostPort: "" }), /^ConfigError: invalid config hostPort="": must be an integer from 1 to 65535$/);
    assert.throws(() => parseConfig({ clusterName: "" }), /invalid config clusterName="": must be 1 to 50 characters/);
    assert.throws(() => parseConfig({ hostPort: "6443" }), /invalid config apiServerPort="6443": must differ from hostPort/);
});
