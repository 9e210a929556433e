#!/usr/bin/env node
// @ts-check
// Started by the dev loop (tools/dev.ts) beside itself, in a process group of its own. A loop
// killed during an update (kill -9, its terminal closed) takes its inline program and so the
// `pulumi` CLI with it, but the CLI's resource plugins run on: once the loop is gone, this
// stops those of this project whose engine is gone (as tools/recover-interrupted.js does at
// the next `npm run up`, which also removes the lock), then exits.
//
// Usage: node tools/reap-after.js PID     (tools/dev.ts, with the project as its folder)
"use strict";

const fs = require("node:fs");
const { orphanedPlugins, running } = require("./recover-interrupted");

async function main() {
    const pid = Number(process.argv[2]);
    if (!Number.isInteger(pid) || pid <= 0 || !fs.existsSync("/proc/self/stat")) {
        return; // Linux only, as orphanedPlugins reads /proc
    }
    while (running(pid)) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    // The CLI notices its program host gone within a moment; its plugins do not.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    for (const orphan of await orphanedPlugins(fs.realpathSync("."))) {
        process.kill(orphan.pid, "SIGTERM");
    }
}

void main();
