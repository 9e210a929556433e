// The dev loop's line after an update (tools/dev.ts, updateSummary) says what was rolled out:
// a new image only when one was built, else the resources that changed, else that none did.
import assert from "node:assert/strict";
import { test } from "node:test";
import { updateSummary, type Step } from "../../tools/dev";

const same = (name: string, type = "command:local:Command"): Step => ({ name, type, op: "same" });

test("a new image: the image and the pods serving it", () => {
    const steps = [{ name: "app-build", type: "docker:index/image:Image", op: "update" }, { name: "app-rollout", type: "command:local:Command", op: "replace" }];
    assert.equal(updateSummary("app/server.js", steps, "node-app:1234", " on 3/3 pods", "6.2"), "app/server.js -> node-app:1234 on 3/3 pods in 6.2 s");
});

test("an edited runtime script: the steps that ran again, and the image that stayed", () => {
    const steps = [same("app-build", "docker:index/image:Image"),
        { name: "app-answers", type: "command:local:Command", op: "create-replacement" },
        { name: "app-answers", type: "command:local:Command", op: "replace" }, same("app-rollout")];
    assert.equal(updateSummary("runtime/wait-for-url.js", steps, "node-app:1234", " on 3/3 pods", "1.4"),
        "runtime/wait-for-url.js -> app-answers updated, same image (node-app:1234) on 3/3 pods in 1.4 s");
});

test("an update that changed nothing says so, not that a version rolled out", () => {
    const steps = [same("app-build", "docker:index/image:Image"), same("app-rollout"), same("kube-demo-dev", "pulumi:pulumi:Stack")];
    assert.equal(updateSummary("program.ts", steps, "node-app:1234", " on 3/3 pods", "0.9"), "program.ts -> nothing to deploy: the update changed no resource (0.9 s)");
});
