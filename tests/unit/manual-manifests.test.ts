// bench/manual.yaml is what the manual workflow `kubectl apply`s in the benchmark: it must be the
// program's own objects (with IMAGE for the image and VERSION for its tag, the version label), or
// the comparison would not be like for like.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import * as YAML from "yaml";
import { declaredObjects, KubernetesObject, projectDir } from "../support/harness";

test("bench/manual.yaml holds exactly the objects the program declares", async () => {
    const declared = (await declaredObjects()).map((object) =>
        JSON.parse(JSON.stringify(object).replace(/"node-app:[0-9a-f]{16}"/, '"IMAGE"')
            .replaceAll(/"app\.kubernetes\.io\/version":"[0-9a-f]{16}"/g, '"app.kubernetes.io/version":"VERSION"')) as KubernetesObject);
    const manual = YAML.parseAllDocuments(fs.readFileSync(path.join(projectDir, "bench", "manual.yaml"), "utf8")).map((d) => d.toJS() as KubernetesObject);
    const byKind = (objects: KubernetesObject[]) => [...objects].sort((a, b) => a.kind.localeCompare(b.kind));
    assert.deepEqual(byKind(manual), byKind(declared));
});
