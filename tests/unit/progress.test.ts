// The dev loop's progress during an update (tools/progress.ts): engine events in, lines out, on
// a clock the test moves by hand. Quiet for 2 s; then each step's start and end, one line each
// in a log, one updating line on a terminal; the summary line after it as before.
import assert from "node:assert/strict";
import { test } from "node:test";
import { updateSummary } from "../../tools/dev";
import { UpdateProgress, type StepEvent } from "../../tools/progress";

const commandProvider = "urn:pulumi:dev::kube-demo::pulumi:providers:command::default_1_2_1::0b5e";

function metadata(name: string, op: string, type = "command:local:Command", provider = commandProvider) {
    return { op, urn: `urn:pulumi:dev::kube-demo::kube-demo:index:KindCluster$${type}::${name}`, type, provider };
}
const pre = (name: string, op: string, type?: string, provider?: string): StepEvent => ({ resourcePreEvent: { metadata: metadata(name, op, type, provider) } });
const out = (name: string, op: string, type?: string, provider?: string): StepEvent => ({ resOutputsEvent: { metadata: metadata(name, op, type, provider) } });
const failed = (name: string, op: string): StepEvent => ({ resOpFailedEvent: { metadata: metadata(name, op) } });

/** An update's progress on a clock set by `at`, and everything it wrote. */
function recorded(tty: boolean, columns = 200) {
    let now = 0;
    const writes: string[] = [];
    const progress = new UpdateProgress({ write: (text) => writes.push(text), tty, now: () => now, columns });
    return {
        progress,
        writes,
        /** Moves the clock to `ms` after the update began, then feeds the events (none: a tick). */
        at(ms: number, ...events: StepEvent[]): void {
            now = ms;
            if (events.length === 0) {
                progress.tick();
            }
            events.forEach((event) => { progress.event(event); });
        },
        text: () => writes.join(""),
    };
}

const summary = updateSummary("app/server.js", { image: "node-app:2", previousImage: "node-app:1", changes: { update: 1 }, changedNames: ["app-build"] }, " on 3/3 pods", "1.8");

test("an update within 2 s prints nothing but its summary, in a log and on a terminal", () => {
    for (const tty of [false, true]) {
        const update = recorded(tty);
        update.at(300, pre("app-build", "update"));
        update.at(1000);
        update.at(1500, out("app-build", "update"), pre("app-load", "update"));
        update.at(1900, out("app-load", "update"));
        update.progress.finish();
        assert.equal(update.text(), "", tty ? "terminal" : "log");
    }
});

test("in a log, past 2 s: the steps so far, then each step as it starts and ends, with its seconds", () => {
    const update = recorded(false);
    update.at(400, pre("app-build", "update"));
    update.at(1200, out("app-build", "update"), pre("cluster-kind", "create-replacement"));
    update.at(1900);
    assert.equal(update.text(), "");
    update.at(2000);
    assert.equal(update.text(), [
        "  app-build update: started",
        "  app-build update: done in 0.8 s",
        "  cluster-kind create-replacement: started",
        "",
    ].join("\n"));
    update.at(30_000);
    update.at(43_400, out("cluster-kind", "create-replacement"), pre("app-load", "create-replacement"));
    update.at(47_000, out("app-load", "create-replacement"));
    update.progress.finish();
    assert.deepEqual(update.text().split("\n").slice(3), [
        "  cluster-kind create-replacement: done in 42.2 s",
        "  app-load create-replacement: started",
        "  app-load create-replacement: done in 3.6 s",
        "",
    ]);
});

test("a replacement's create and delete are two steps; same, the replace marker, the stack, providers and components are not shown", () => {
    const update = recorded(false);
    update.at(100,
        pre("kube-demo-dev", "same", "pulumi:pulumi:Stack", ""),
        pre("default_1_2_1", "same", "pulumi:providers:command", ""),
        out("default_1_2_1", "same", "pulumi:providers:command", ""),
        pre("cluster", "update", "kube-demo:index:KindCluster", ""),
        pre("cluster-kind", "delete-replaced"));
    update.at(9_100, out("cluster-kind", "delete-replaced"), pre("cluster-kind", "replace"), out("cluster-kind", "replace"),
        pre("cluster-kind", "create-replacement"), pre("app-service", "same", "kubernetes:core/v1:Service"), out("app-service", "same", "kubernetes:core/v1:Service"));
    update.at(50_100, out("cluster-kind", "create-replacement"), out("cluster", "update", "kube-demo:index:KindCluster", ""));
    assert.equal(update.text(), [
        "  cluster-kind delete-replaced: started",
        "  cluster-kind delete-replaced: done in 9.0 s",
        "  cluster-kind create-replacement: started",
        "  cluster-kind create-replacement: done in 41.0 s",
        "",
    ].join("\n"));
});

test("a step that failed says so, with its seconds", () => {
    const update = recorded(false);
    update.at(2500, pre("app-rollout", "update"));
    update.at(14_500, failed("app-rollout", "update"));
    assert.equal(update.text(), "  app-rollout update: started\n  app-rollout update: failed after 12.0 s\n");
});

test("an end whose start the events missed is left out", () => {
    const update = recorded(false);
    update.at(3000, out("app-load", "update"));
    assert.equal(update.text(), "");
});

test("on a terminal: one line, rewritten in place, with the running steps' seconds; cleared before the summary", () => {
    const update = recorded(true);
    update.at(500, pre("cluster-kind", "create-replacement"));
    update.at(2000);
    update.at(3000);
    update.at(12_700, pre("app-load", "create-replacement"));
    update.at(20_000, out("cluster-kind", "create-replacement"));
    update.at(25_000, out("app-load", "create-replacement"));
    update.progress.finish();
    assert.deepEqual(update.writes, [
        "\r\x1b[K  updating, 2 s: cluster-kind create-replacement (1 s)",
        "\r\x1b[K  updating, 3 s: cluster-kind create-replacement (2 s)",
        "\r\x1b[K  updating, 12 s: cluster-kind create-replacement (12 s), app-load create-replacement (0 s)",
        "\r\x1b[K  updating, 20 s: app-load create-replacement (7 s)",
        "\r\x1b[K  updating, 25 s: app-load create-replacement: done in 12.3 s",
        "\r\x1b[K",
    ]);
    assert.ok(update.writes.every((text) => !text.includes("\n")), "no line but the updating one");
});

test("on a terminal: a failed step keeps its line above the updating one", () => {
    const update = recorded(true);
    update.at(2000, pre("app-rollout", "update"));
    update.at(9000, failed("app-rollout", "update"));
    assert.deepEqual(update.writes, [
        "\r\x1b[K  updating, 2 s: app-rollout update (0 s)",
        "\r\x1b[K",
        "  app-rollout update: failed after 7.0 s\n",
        "\r\x1b[K  updating, 9 s: app-rollout update: failed after 7.0 s",
    ]);
});

test("on a terminal: the updating line is cut to the terminal's width, as a wrapped line is not rewritten", () => {
    const update = recorded(true, 30);
    update.at(2000, pre("cluster-kind", "create-replacement"));
    // 29 characters: the cursor stays on the line's last column, never past it.
    assert.deepEqual(update.writes, ["\r\x1b[K  updating, 2 s: cluster-kind"]);
});

test("other output during the update (the pods' logs) goes above the updating line; after the update, straight through", () => {
    const update = recorded(true);
    update.progress.print("[pod-a] before the grace");
    update.at(2000, pre("app-load", "update"));
    update.progress.print("[pod-a] listening");
    update.progress.finish();
    update.progress.print("[pod-b] after");
    assert.deepEqual(update.writes, [
        "[pod-a] before the grace\n",
        "\r\x1b[K  updating, 2 s: app-load update (0 s)",
        "\r\x1b[K",
        "[pod-a] listening\n",
        "\r\x1b[K  updating, 2 s: app-load update (0 s)",
        "\r\x1b[K",
        "[pod-b] after\n",
    ]);
});

test("the summary line after the progress is the dev loop's one line, unchanged", () => {
    for (const tty of [false, true]) {
        const update = recorded(tty);
        update.at(2500, pre("app-build", "update"));
        update.at(6000, out("app-build", "update"));
        update.progress.finish();
        // What the loop prints next, as console.log does.
        const printed = `${update.text()}${summary}\n`;
        const lastLine = tty ? printed.split("\r\x1b[K").pop() : printed.split("\n").slice(-2)[0];
        assert.equal(lastLine, tty ? `${summary}\n` : summary, tty ? "terminal" : "log");
    }
    assert.equal(summary, "app/server.js -> node-app:2 on 3/3 pods in 1.8 s");
});
