// tools/recover-interrupted.js, run by `npm run up` before `pulumi up`, against a fake
// `pulumi` that records its calls: it acts only on a lock whose process is gone, and then
// clears the pending operations with a refresh that reads no resource.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { projectDir } from "../support/project";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-recover-"));
after(() => { fs.rmSync(root, { recursive: true, force: true }); });

const pendingLoad = {
    type: "creating",
    resource: { urn: "urn:pulumi:dev::kube-demo::kube-demo:index:AppImage$command:local:Command::app-load" },
};

/**
 * A project folder with a local backend holding `locks`, and a fake pulumi whose `stack export`
 * shows `pending` until a refresh with --clear-pending-creates ran (or always, `refreshClears`
 * false).
 */
function project(locks: object[], pending: object[], refreshClears = true) {
    const dir = fs.mkdtempSync(path.join(root, "project-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: kube-demo\nruntime: nodejs\n");
    const lockDir = path.join(dir, ".pulumi-state", ".pulumi", "locks", "organization", "kube-demo", "dev");
    fs.mkdirSync(lockDir, { recursive: true });
    locks.forEach((lock, i) => { fs.writeFileSync(path.join(lockDir, `lock-${i}.json`), JSON.stringify(lock)); });
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    const log = path.join(dir, "calls.jsonl");
    const cleared = path.join(dir, "cleared");
    fs.writeFileSync(path.join(bin, "pulumi"), `#!${process.execPath}
const fs = require("node:fs");
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + "\\n");
if (args[0] === "refresh" && args.includes("--clear-pending-creates") && ${refreshClears}) fs.writeFileSync(${JSON.stringify(cleared)}, "");
if (args[0] === "stack" && args[1] === "export") {
    const pending = fs.existsSync(${JSON.stringify(cleared)}) ? [] : ${JSON.stringify(pending)};
    console.log(JSON.stringify({ version: 3, deployment: { resources: [], pending_operations: pending } }));
}
`, { mode: 0o755 });
    const run = () => spawnSync(process.execPath, [path.join(projectDir, "tools", "recover-interrupted.js"), ".pulumi-state", "dev"], {
        cwd: dir, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: "utf8",
    });
    const calls = () => fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as string[]) : [];
    return { dir, run, calls };
}

/** A pid that no process has now: one of a child that has exited. */
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid;

describe("tools/recover-interrupted.js", () => {
    test("no lock: an ordinary up; nothing is run", () => {
        const { run, calls } = project([], [pendingLoad]);
        const result = run();
        assert.equal(result.status, 0, result.stderr);
        assert.equal(result.stdout, "");
        assert.deepEqual(calls(), []);
    });

    test("a lock of a process that still runs (an update in progress) is left alone", () => {
        const { run, calls } = project([{ pid: process.pid, hostname: os.hostname(), timestamp: "t" }], [pendingLoad]);
        assert.equal(run().status, 0);
        assert.deepEqual(calls(), []);
    });

    test("a lock taken on another machine is left alone: its process cannot be checked from here", () => {
        const { run, calls } = project([{ pid: deadPid(), hostname: `not-${os.hostname()}`, timestamp: "t" }], [pendingLoad]);
        assert.equal(run().status, 0);
        assert.deepEqual(calls(), []);
    });

    test("a stale lock: cancelled, the pending create reported and cleared by a refresh of the stack alone", () => {
        const pid = deadPid();
        const { run, calls } = project([{ pid, hostname: os.hostname(), timestamp: "2026-12-01T07:00:00Z" }], [pendingLoad]);
        const result = run();
        assert.equal(result.status, 0, result.stderr);
        assert.equal(result.stdout, [
            `The last update of stack dev (pid ${pid}, started 2026-12-01T07:00:00Z) was stopped before it finished; removing its lock (pulumi cancel).`,
            "The create of app-load was interrupted; the next update redoes it.",
            "",
        ].join("\n"));
        assert.deepEqual(calls(), [
            ["cancel", "--yes", "--stack", "dev"],
            ["stack", "export", "--stack", "dev"],
            ["refresh", "--yes", "--skip-preview", "--clear-pending-creates", "--target", "urn:pulumi:dev::kube-demo::pulumi:pulumi:Stack::kube-demo-dev", "--stack", "dev"],
            ["stack", "export", "--stack", "dev"],
        ]);
    });

    test("a stale lock and no pending operation: only the lock goes", () => {
        const { run, calls } = project([{ pid: deadPid(), hostname: os.hostname(), timestamp: "t" }], []);
        assert.equal(run().status, 0);
        assert.deepEqual(calls(), [["cancel", "--yes", "--stack", "dev"], ["stack", "export", "--stack", "dev"]]);
    });

    test("plugins a killed CLI left running in this folder are stopped; others are not", { skip: !fs.existsSync("/proc/self/stat") && "reads /proc (Linux only)" }, async () => {
        const { dir, run } = project([{ pid: deadPid(), hostname: os.hostname(), timestamp: "t" }], []);
        const plugin = (name: string, cwd: string) => {
            // Named like a plugin with its engine's address as the argument (that is node running a
            // script file of that name), started by a shell that exits at once: the plugin loses
            // its parent, as when the CLI is killed.
            fs.writeFileSync(path.join(cwd, "127.0.0.1:1"), "setInterval(() => undefined, 1000);\n");
            const sh = spawnSync("bash", ["-c", `(exec -a "$0" "$1" 127.0.0.1:1 >/dev/null 2>&1 &) ; sleep 0.5; pgrep -f "^$0 127.0.0.1:1$"`, name, process.execPath], { cwd, encoding: "utf8" });
            return Number(sh.stdout.trim());
        };
        const leftover = plugin("pulumi-resource-leftover", dir);
        const elsewhere = plugin("pulumi-resource-elsewhere", fs.mkdtempSync(path.join(root, "elsewhere-")));
        try {
            const result = run();
            assert.equal(result.status, 0, result.stderr);
            assert.match(result.stdout, new RegExp(`Stopping the plugins it left running: pulumi-resource-leftover \\(pid ${leftover}\\)\\.`));
            await new Promise((resolve) => setTimeout(resolve, 300));
            const alive = (pid: number) => { try { process.kill(pid, 0); return !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8")); } catch { return false; } };
            assert.equal(alive(leftover), false);
            assert.equal(alive(elsewhere), true, "a plugin in another folder is not this project's");
        } finally {
            for (const pid of [leftover, elsewhere]) {
                try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
            }
        }
    });

    test("operations still pending after the refresh: one line with the command to run, and a failure", () => {
        const { run } = project([{ pid: deadPid(), hostname: os.hostname(), timestamp: "t" }], [pendingLoad], false);
        const result = run();
        assert.equal(result.status, 1);
        assert.equal(result.stderr, "1 interrupted operation(s) are still pending on stack dev; check them and run: pulumi refresh --stack dev\n");
    });
});
