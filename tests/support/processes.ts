// The processes a test started, by process group: what is still running.
import { spawnSync } from "node:child_process";

/**
 * Processes still running in a process group. An exited child waiting for its reaper (a
 * zombie: pid 1 of a container may be slow to reap) runs nothing and is not counted.
 */
export function processesInGroup(pgid: number): string[] {
    const ps = spawnSync("ps", ["-o", "pid=,stat=,args=", "-g", String(pgid)], { encoding: "utf8" });
    return ps.stdout.split("\n").map((l) => l.trim()).filter((l) => l && !/^\d+\s+Z/.test(l));
}
