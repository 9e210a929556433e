// A day of edits in one dev loop: saves one after another under steady load, and what the loop
// holds (memory, file descriptors, processes) and leaves (images) after them. Run by
// `npm run test:soak` (tests/soak/) and, ten edits long, by the e2e suite.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { DevLoop, updateLine } from "./dev-loop";
import { loadLoop, servedWithin } from "./load";
import { processesInGroup } from "./processes";
import { containerdRepository, contentTag } from "../../runtime/prune-images.js";

/** What the dev loop process holds at one moment, between updates. */
export interface Held {
    readonly rssMiB: number;
    readonly fds: number;
    /** Processes in its group besides itself. */
    readonly children: number;
}

export interface SoakFigures {
    readonly edits: number;
    readonly requests: number;
    readonly failed: string[];
    readonly rate: number;
    /** Seconds from each save to every reply carrying it, in order. */
    readonly editSeconds: number[];
    /** The edit `atReference` was taken after (the tenth, or a third of a shorter soak). */
    readonly referenceEdit: number;
    readonly atReference: Held;
    readonly atEnd: Held;
}

/**
 * Open files that come and go with timing, not with the number of edits: the API client's
 * keep-alive sockets and the log streams of pods that are just stopping. CI saw 41 -> 42 after
 * ten edits; a leak of one a save would be ten.
 */
const openFilesNoise = 2;

/** Whether the loop holds no more open files at the end than at the reference, past `openFilesNoise`. */
export const noMoreOpenFiles = (figures: SoakFigures): boolean => figures.atEnd.fds <= figures.atReference.fds + openFilesNoise;

/** What the loop holds between updates; its open files the fewest of a few looks a second apart, past a poll's passing connection. */
async function held(pid: number): Promise<Held> {
    const fds: number[] = [];
    for (let look = 0; look < 5; look++) {
        fds.push(fs.readdirSync(`/proc/${pid}/fd`).length);
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKiB = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? NaN);
    return { rssMiB: rssKiB / 1024, fds: Math.min(...fds), children: processesInGroup(pid).length - 1 };
}

/** The quiet moment after an update: its CLI calls have ended. */
async function quiet(loop: DevLoop): Promise<void> {
    for (let tries = 0; tries < 50 && processesInGroup(loop.pid).length > 1; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

/**
 * Saves `edits` versions of `server` (from `original`, whose greeting is `greeting`), each once
 * the one before is served, under load on `url`.
 */
export async function soak(loop: DevLoop, server: string, original: string, greeting: string, url: string, edits: number): Promise<SoakFigures> {
    const referenceEdit = Math.min(10, Math.max(1, Math.floor(edits / 3)));
    const load = loadLoop(url);
    const editSeconds: number[] = [];
    let atReference: Held | undefined;
    try {
        for (let edit = 1; edit <= edits; edit++) {
            const text = `Soak edit ${String(edit)}: `;
            const from = loop.lines.length;
            const saved = Date.now();
            // The greeting's leading quote stays: the file must remain JavaScript.
            fs.writeFileSync(server, original.replace(greeting, `${/^\W*/.exec(greeting)?.[0] ?? ""}${text}`));
            await loop.line(updateLine, from, 180);
            await servedWithin(url, text, 60);
            editSeconds.push((Date.now() - saved) / 1000);
            if (edit === referenceEdit) {
                await quiet(loop);
                atReference = await held(loop.pid);
            }
        }
    } finally {
        await load.stop();
    }
    await quiet(loop);
    return {
        edits: editSeconds.length, requests: load.replies.length + load.failures.length, failed: load.failures, rate: load.rate(),
        editSeconds, referenceEdit, atReference: atReference ?? await held(loop.pid), atEnd: await held(loop.pid),
    };
}

const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
};

/** The edits' times around the reference edit and at the end: medians of up to ten each, so one slow save is not a trend. */
export function editTrend(figures: SoakFigures): { early: number; late: number } {
    const window = Math.max(1, Math.min(10, Math.floor(figures.edits / 3)));
    const start = Math.max(1, figures.referenceEdit - Math.ceil(window / 2));
    return { early: median(figures.editSeconds.slice(start, start + window)), late: median(figures.editSeconds.slice(-window)) };
}

/** The heading of the soak's section at the end of BENCHMARKS.md, which `npm run bench` keeps. */
export const soakHeading = "## Soak: a day of saves in one dev loop";

/** Writes the soak's figures as the last section of BENCHMARKS.md, in place of the one before. */
export function recordSoak(figures: SoakFigures, imagesLeft: string, holds: [string, boolean][], projectDir: string): void {
    const file = path.join(projectDir, "BENCHMARKS.md");
    const before = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    const at = before.indexOf(`\n${soakHeading}\n`);
    const section = [
        soakHeading, "",
        `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run test:soak\` (${String(figures.edits)} edits) on ${String(os.cpus().length)} cores: one dev loop on a fresh`,
        "single-node stack, each save once the one before is served (every reply carrying it), under a steady load of 30 req/s.",
        "Holds: no failed request, every edit served, RSS growth from the tenth edit to the end <= 30 MiB, no more open files or child",
        "processes, the median of the last ten edits <= 1.2x the median of ten around the tenth, at most two of the stack's tags left.", "",
        ...soakReport(figures).split("\n").map((line) => `- ${line}`),
        `- ${imagesLeft}`,
        `- held: ${holds.filter(([, held]) => held).map(([name]) => name).join("; ")}`,
        `- **not held**: ${holds.filter(([, held]) => !held).map(([name]) => name).join("; ") || "none"}`, "",
    ].join("\n");
    fs.writeFileSync(file, `${at < 0 ? before.trimEnd() : before.slice(0, at).trimEnd()}\n\n${section}`);
}

/** The lines a soak prints. */
export function soakReport(figures: SoakFigures): string {
    const times = figures.editSeconds;
    const { early, late } = editTrend(figures);
    const at = (h: Held) => `RSS ${h.rssMiB.toFixed(1)} MiB, ${String(h.fds)} open files, ${String(h.children)} child processes`;
    return [
        `edits done: ${String(figures.edits)}; requests ${String(figures.requests)}, failed ${String(figures.failed.length)} (${figures.rate.toFixed(1)} req/s)`,
        `dev loop at edit ${String(figures.referenceEdit)}: ${at(figures.atReference)}`,
        `dev loop at the end: ${at(figures.atEnd)}`,
        `save to served (s): min ${Math.min(...times).toFixed(1)} / median ${median(times).toFixed(1)} / max ${Math.max(...times).toFixed(1)}; `
        + `median around edit ${String(figures.referenceEdit)} ${early.toFixed(1)}, of the last edits ${late.toFixed(1)}`,
    ].join("\n");
}

/** The content-hash tags of `repository` in the local Docker engine. */
export function dockerTags(repository: string): string[] {
    return execFileSync("docker", ["image", "ls", "--format", "{{.Tag}}", "--", repository], { encoding: "utf8" })
        .split("\n").filter((tag) => contentTag.test(tag));
}

/** The content-hash tags of `repository` (as Docker names it) in a node's containerd. */
export function nodeTags(node: string, repository: string): string[] {
    const name = containerdRepository(repository);
    return execFileSync("docker", ["exec", node, "ctr", "--namespace=k8s.io", "images", "ls", "--quiet"], { encoding: "utf8" })
        .split("\n").filter((ref) => ref.startsWith(`${name}:`)).map((ref) => ref.slice(name.length + 1)).filter((tag) => contentTag.test(tag));
}
