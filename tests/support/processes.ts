// The processes a test started, by process group: what is still running.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";

/**
 * Processes still running in a process group. An exited child waiting for its reaper (a
 * zombie: pid 1 of a container may be slow to reap) runs nothing and is not counted.
 */
export function processesInGroup(pgid: number): string[] {
    const ps = spawnSync("ps", ["-o", "pid=,stat=,args=", "-g", String(pgid)], { encoding: "utf8" });
    return ps.stdout.split("\n").map((l) => l.trim()).filter((l) => l && !/^\d+\s+Z/.test(l));
}

/** Processes whose working folder is `dir` (Linux: /proc), as "pid command line", zombies not counted. */
export function processesIn(dir: string): string[] {
    const found: string[] = [];
    for (const pid of fs.readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
        try {
            const zombie = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] === "Z";
            if (!zombie && fs.readlinkSync(`/proc/${pid}/cwd`) === dir) {
                found.push(`${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim()}`);
            }
        } catch {
            // Gone meanwhile, or not ours to read.
        }
    }
    return found;
}
