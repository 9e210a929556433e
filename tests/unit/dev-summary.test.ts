// The dev loop's line after an update (tools/dev.ts, updateSummary) says what was rolled out:
// a new image only when the stack's image changed, else the resources that changed, else that
// none did. What changed comes from the stack (outputs and history), not only from events.
import assert from "node:assert/strict";
import { test } from "node:test";
import { updateSummary } from "../../tools/dev";

test("a new image: the image and the pods serving it", () => {
    const outcome = { image: "node-app:2", previousImage: "node-app:1", changes: { update: 2, replace: 1, same: 9 }, changedNames: ["app-build"] };
    assert.equal(updateSummary("app/server.js", outcome, " on 3/3 pods", "6.2"), "app/server.js -> node-app:2 on 3/3 pods in 6.2 s");
});

test("an edited runtime script: the steps that ran again, and the image that stayed", () => {
    const outcome = { image: "node-app:1", previousImage: "node-app:1", changes: { replace: 1, same: 12 }, changedNames: ["app-answers"] };
    assert.equal(updateSummary("runtime/wait-for-url.js", outcome, " on 3/3 pods", "1.4"),
        "runtime/wait-for-url.js -> app-answers updated, same image (node-app:1) on 3/3 pods in 1.4 s");
});

test("changes the events missed are still counted from the stack's history", () => {
    const outcome = { image: "node-app:1", previousImage: "node-app:1", changes: { replace: 2, same: 11 }, changedNames: [] };
    assert.equal(updateSummary("program.ts", outcome, "", "2.0"), "program.ts -> 2 resource(s) updated, same image (node-app:1) in 2.0 s");
});

test("an update that changed nothing says so, not that a version rolled out", () => {
    const outcome = { image: "node-app:1", previousImage: "node-app:1", changes: { same: 13 }, changedNames: [] };
    assert.equal(updateSummary("program.ts", outcome, " on 3/3 pods", "0.9"), "program.ts -> nothing to deploy: the update changed no resource (0.9 s)");
});
