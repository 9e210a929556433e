// The dev loop (tools/dev.ts, `npm run dev`) run as a user runs it, and the lines it prints.
import { ChildProcess, spawn } from "node:child_process";
import { found } from "./present";
import { processesInGroup } from "./processes";
import type { TestStack } from "./stack";

/** What the dev loop prints for an update that is served, and for one that failed. */
export const updateLine = /^(?<what>\S.*) -> (?<image>[a-z0-9./_-]+:[0-9a-f]{16}) on (?<ready>\d+)\/(?<want>\d+) pods in (?<seconds>\d+\.\d) s$/;
/** The line of an update that built no image: the resources it changed, and the image that stayed. */
export const sameImageLine = /^(?<what>\S.*) -> (?<changed>\S.*) updated, same image \((?<image>[a-z0-9./_-]+:[0-9a-f]{16})\) on (?<ready>\d+)\/(?<want>\d+) pods in (?<seconds>\d+\.\d) s$/;
/** The line of an update that found nothing to change (the saves it was for were already deployed). */
export const nothingLine = /^(?<what>\S.*) -> nothing to deploy: the update changed no resource \((?<seconds>\d+\.\d) s\)$/;
export const failedLine = /^(?<what>\S.*) -> update failed after (?<seconds>\d+\.\d) s/;
/** A step of a long update as it starts, and as it ends, as the loop prints them in a log (tools/progress.ts). */
export const stepStartLine = /^ {2}(?<name>\S+) (?<op>\S+): started$/;
export const stepEndLine = /^ {2}(?<name>\S+) (?<op>\S+): (?:done in|failed after) (?<seconds>\d+\.\d) s$/;

/** The dev loop as a user runs it, in its own process group so that nothing it starts can hide. */
export class DevLoop {
    readonly lines: string[] = [];
    private readonly child: ChildProcess;
    readonly exited: Promise<number | null>;

    constructor(stack: TestStack) {
        this.child = spawn("node", ["--import", "tsx", "tools/dev.ts", "--stack", stack.stack.name],
            { cwd: stack.dir, env: { ...process.env, ...stack.env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        let rest = "";
        const collect = (chunk: Buffer) => {
            const parts = (rest + chunk.toString()).split("\n");
            rest = parts.pop() ?? "";
            this.lines.push(...parts);
        };
        // Both are pipes (stdio above).
        found(this.child.stdout, "the dev loop's stdout").on("data", collect);
        found(this.child.stderr, "the dev loop's stderr").on("data", collect);
        this.exited = new Promise((resolve) => this.child.on("exit", resolve));
    }

    get pid(): number {
        return found(this.child.pid, "the dev loop's pid");
    }

    /** The first line from index `from` on that matches, within `seconds`. */
    async line(pattern: RegExp, from: number, seconds: number): Promise<{ index: number; match: RegExpMatchArray }> {
        const deadline = Date.now() + seconds * 1000;
        for (;;) {
            for (let i = from; i < this.lines.length; i++) {
                const match = this.lines[i]?.match(pattern);
                if (match) {
                    return { index: i, match };
                }
            }
            if (Date.now() > deadline) {
                throw new Error(`no line matching ${pattern} within ${seconds} s; the loop printed:\n${this.lines.slice(from).join("\n")}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
    }

    /** Ends the loop and everything it started, whatever state it is in. */
    async stop(): Promise<void> {
        if (processesInGroup(this.pid).length > 0) {
            process.kill(-this.pid, "SIGKILL");
        }
        await this.exited;
    }

    /** Lines that report an update (a new image, the same image, nothing to deploy, or failed), from index `from` on. */
    updates(from = 0): string[] {
        return this.lines.slice(from).filter((l) => [updateLine, sameImageLine, nothingLine, failedLine].some((line) => line.test(l)));
    }
}
