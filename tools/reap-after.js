#!/usr/bin/env node
// @ts-check
// Started by the dev loop (tools/dev.ts) beside itself, in a process group of its own. A loop
// killed during an update (kill -9, its terminal closed) takes its inline program and so the
// `pulumi` CLI with it, but the CLI's resource plugins run on: once the loop is gone, this
// stops those of this project whose engine is gone (as tools/recover-interrupted.js does at
// the next `npm run up`, which also removes the lock), and the kubectl processes the loop ran
// on target existing (its proxy and port-forward), which outlive it too; then exits.
//
// Usage: node tools/reap-after.js PID     (tools/dev.ts, with the project as its folder)
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { orphanedPlugins, running } = require("./recover-interrupted");

/**
 * The kubectl processes that the loop `pid` started, by the mark it sets in its environment
 * (KUBE_DEMO_DEV_LOOP), which they inherit.
 * @param {number} pid
 */
function kubectlsOf(pid) {
    return fs.readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)).filter((entry) => {
        try {
            return path.basename(fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0")[0] ?? "") === "kubectl"
                && fs.readFileSync(`/proc/${entry}/environ`, "utf8").split("\0").includes(`KUBE_DEMO_DEV_LOOP=${pid}`);
        } catch {
            return false; // gone meanwhile, or not ours to read
        }
    }).map(Number);
}

async function main() {
    const pid = Number(process.argv[2]);
    if (!Number.isInteger(pid) || pid <= 0 || !fs.existsSync("/proc/self/stat")) {
        return; // Linux only, as orphanedPlugins reads /proc
    }
    while (running(pid)) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    for (const kubectl of kubectlsOf(pid)) {
        process.kill(kubectl, "SIGTERM");
    }
    // The CLI notices its program host gone within a moment; its plugins do not.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    for (const orphan of await orphanedPlugins(fs.realpathSync("."))) {
        process.kill(orphan.pid, "SIGTERM");
    }
}

void main();
