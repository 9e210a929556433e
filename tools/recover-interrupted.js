#!/usr/bin/env node
// @ts-check
// Before `npm run up`: finishes what an interrupted `pulumi up` left behind on the selected
// stack, so the next update starts from a clean state. Prints nothing when nothing was left.
//
// - A stack lock whose `pulumi` process is gone (killed, or the machine went down): Pulumi
//   refuses every later update until `pulumi cancel` removes it. Removed only when the lock was
//   taken on this machine by a process that no longer runs; a live update keeps its lock, and
//   the next `pulumi up` says it is locked.
// - Plugins of the killed CLI: the language host stops when its engine stops answering, the
//   resource providers run on. Those left by an update of this project (their parent gone,
//   their folder this one, their engine's address not answering) are stopped. Linux only: it
//   reads /proc.
// - Pending operations: Pulumi records each operation before it starts and clears it when the
//   provider answers; a killed update leaves them, and every later update warns about them.
//   Pending creates are dropped (`pulumi refresh --clear-pending-creates`): every create in this
//   program takes over what an interrupted create of its own left. The cluster's create script
//   replaces a cluster this stack claimed (cluster.ts), the image build and load are repeated,
//   the Kubernetes objects have fixed names and the provider applies them server-side (an
//   upsert), and the rollout and answer checks only read. The refresh targets the stack alone,
//   so no resource is read from a cluster that may be half made.
//
// Usage: node tools/recover-interrupted.js STATE_DIR STACK   (tools/up.sh, before `pulumi up`)
"use strict";

const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const { asType } = require("../runtime/as-type");

/** @typedef {{ pid: number, hostname: string, timestamp: string }} Lock */
/** @typedef {{ type: string, resource: { urn: string } }} PendingOperation */

/** `pulumi ARGS...`'s stdout; exits with its stderr as one line when it fails. @param {string[]} args */
function pulumi(args) {
    try {
        return execFileSync("pulumi", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 * 1024 * 1024 });
    } catch (error) {
        const stderr = String(/** @type {{ stderr?: string | Buffer }} */ (error).stderr ?? "").trim().replace(/\s*\n\s*/g, " ");
        console.error(`pulumi ${args.slice(0, 2).join(" ")} failed: ${stderr || /** @type {Error} */ (error).message}`);
        process.exit(1);
    }
}

/**
 * Whether process `pid` runs. A zombie (exited, not yet reaped: a killed process whose parent
 * died waits for pid 1, which in a container may never reap it) does not.
 * @param {number} pid
 */
function running(pid) {
    if (fs.existsSync("/proc/self/stat")) {
        try {
            // The state follows the command name, which may hold spaces: "pid (name) S ...".
            return fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
        } catch {
            return false;
        }
    }
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        // EPERM: it runs, as another user.
        return /** @type {NodeJS.ErrnoException} */ (error).code === "EPERM";
    }
}

/**
 * The locks on `stack` in a local (file) backend at `stateDir`: Pulumi keeps one JSON file per
 * lock under .pulumi/locks/ORGANIZATION/PROJECT/STACK/.
 * @param {string} stateDir @param {string} project @param {string} stack @returns {Lock[]}
 */
function locks(stateDir, project, stack) {
    const root = path.join(stateDir, ".pulumi", "locks");
    if (!fs.existsSync(root)) {
        return [];
    }
    return fs.readdirSync(root).flatMap((organization) => {
        const dir = path.join(root, organization, project, stack);
        return fs.existsSync(dir)
            ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => /** @type {Lock} */ (asType(JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")))))
            : [];
    });
}

/** Locks left by a `pulumi` that no longer runs on this machine. @param {Lock[]} held */
function stale(held) {
    return held.length > 0 && held.every((lock) => lock.hostname === os.hostname() && !running(lock.pid));
}

/**
 * Whether something accepts connections at HOST:PORT (within a second).
 * @param {string} address @returns {Promise<boolean>}
 */
function answers(address) {
    const at = address.lastIndexOf(":");
    return new Promise((resolve) => {
        const socket = net.connect({ host: address.slice(0, at), port: Number(address.slice(at + 1)), timeout: 1000 });
        socket.once("connect", () => { socket.destroy(); resolve(true); });
        socket.once("error", () => { resolve(false); });
        socket.once("timeout", () => { socket.destroy(); resolve(false); });
    });
}

/**
 * Whether the parent of process `pid` is a `pulumi` CLI. A plugin whose CLI was killed has been
 * re-parented: to pid 1, or to a subreaper such as `systemd --user`.
 * @param {string} pid
 */
function parentIsPulumi(pid) {
    // The parent pid is the second field after the command name, which may hold spaces.
    const ppid = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ")[1];
    try {
        return path.basename(fs.readFileSync(`/proc/${ppid}/cmdline`, "utf8").split("\0")[0] ?? "") === "pulumi";
    } catch {
        return false;
    }
}

/**
 * Pulumi plugins (`pulumi-resource-*`, `pulumi-language-*`, started with their engine's address)
 * running in `dir` whose CLI is gone: no `pulumi` parent, and nothing at the engine's address.
 * @param {string} dir @returns {Promise<{ pid: number, name: string }[]>}
 */
async function orphanedPlugins(dir) {
    if (!fs.existsSync("/proc/self/stat")) {
        return [];
    }
    const found = [];
    for (const entry of fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
        try {
            const [program = "", engine = ""] = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
            const name = path.basename(program);
            if (/^pulumi-(resource|language|analyzer)-/.test(name) && /^[\w.-]+:\d+$/.test(engine)
                && !parentIsPulumi(entry) && fs.realpathSync(`/proc/${entry}/cwd`) === dir && !(await answers(engine))) {
                found.push({ pid: Number(entry), name });
            }
        } catch {
            // Gone meanwhile, or not ours to read.
        }
    }
    return found;
}

/** @param {string} kind */
const describe = (kind) => ({ creating: "create", updating: "update", deleting: "delete", reading: "read", importing: "import" })[kind] ?? kind;

async function main() {
    const [stateDir, stack] = process.argv.slice(2);
    if (!stateDir || !stack) {
        console.error("usage: recover-interrupted.js STATE_DIR STACK");
        process.exit(2);
    }
    const project = /^name:\s*(\S+)/m.exec(fs.readFileSync("Pulumi.yaml", "utf8"))?.[1] ?? "";

    // An update that ends, failed or cancelled with Ctrl-C, releases its lock and settles its
    // operations: without a lock there is nothing to finish (and nothing to run: this is the
    // path of every ordinary up).
    const held = locks(stateDir, project, stack);
    if (!stale(held)) {
        return;
    }
    for (const lock of held) {
        console.log(`The last update of stack ${stack} (pid ${lock.pid}, started ${lock.timestamp}) was stopped before it finished; removing its lock (pulumi cancel).`);
    }
    pulumi(["cancel", "--yes", "--stack", stack]);

    const orphans = await orphanedPlugins(fs.realpathSync("."));
    if (orphans.length > 0) {
        console.log(`Stopping the plugins it left running: ${orphans.map((o) => `${o.name} (pid ${o.pid})`).join(", ")}.`);
        for (const orphan of orphans) {
            process.kill(orphan.pid, "SIGTERM");
        }
    }

    /** @type {{ deployment?: { pending_operations?: PendingOperation[] } }} */
    const state = asType(JSON.parse(pulumi(["stack", "export", "--stack", stack])));
    const pending = state.deployment?.pending_operations ?? [];
    if (pending.length === 0) {
        return;
    }
    for (const operation of pending) {
        const name = operation.resource.urn.split("::").pop();
        console.log(`The ${describe(operation.type)} of ${name} was interrupted; the next update redoes it.`);
    }
    const stackUrn = `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`;
    pulumi(["refresh", "--yes", "--skip-preview", "--clear-pending-creates", "--target", stackUrn, "--stack", stack]);
    /** @type {{ deployment?: { pending_operations?: PendingOperation[] } }} */
    const after = asType(JSON.parse(pulumi(["stack", "export", "--stack", stack])));
    const left = after.deployment?.pending_operations ?? [];
    if (left.length > 0) {
        console.error(`${left.length} interrupted operation(s) are still pending on stack ${stack}; check them and run: pulumi refresh --stack ${stack}`);
        process.exit(1);
    }
}

module.exports = { orphanedPlugins, running };

if (require.main === module) {
    void main();
}
