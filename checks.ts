// How the program runs its checks before declaring anything: the tools it asks (kind, docker)
// as child processes side by side, and the rule that reports the same failure as when the
// checks ran one after another.
import { execFile } from "node:child_process";
import * as http from "node:http";
import * as https from "node:https";

/** What a tool did, as spawnSync reports it, without throwing. */
export interface ToolResult {
    /** The exit status; null when the tool did not run to its end. */
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    /** Why the tool did not run or finish: not on PATH (ENOENT), the timeout, or the abort. */
    readonly error?: Error;
}

export interface ToolOptions {
    /** Milliseconds before the tool is killed; then `error` says so. */
    readonly timeout: number;
    readonly env?: NodeJS.ProcessEnv | undefined;
    /** Kills the tool, for a check whose answer is no longer needed (inOrder). */
    readonly signal?: AbortSignal | undefined;
}

/** Runs `file` with `args` and resolves to what it did; never rejects. */
export function runTool(file: string, args: readonly string[], options: ToolOptions): Promise<ToolResult> {
    return new Promise((resolve) => {
        execFile(file, args, { encoding: "utf8", timeout: options.timeout, env: options.env, signal: options.signal },
            (error, stdout, stderr) => {
                if (!error) {
                    resolve({ status: 0, stdout, stderr });
                } else if (typeof error.code === "number") {
                    resolve({ status: error.code, stdout, stderr });
                } else if (error.code === null && !error.killed) {
                    // Killed by another's signal: spawnSync reports no error for it either.
                    resolve({ status: null, stdout, stderr });
                } else {
                    resolve({ status: null, stdout, stderr, error });
                }
            });
    });
}

/** Whether the tool is not there at all (not on PATH), as against there but failing or too slow. */
export function notFound(result: ToolResult): boolean {
    return (result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}

/** What a URL answered: an HTTP status, or the error of the connection. */
export interface ProbeResult {
    readonly url: string;
    readonly status?: number | undefined;
    readonly error?: string;
}

/**
 * GETs each URL, at most `timeoutMs` each. Any status means something answers there;
 * certificates are not checked, because only reachability is asked (the providers and Docker
 * check them afterwards).
 */
export function probe(urls: string[], timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult[]> {
    return Promise.all(urls.map((url) => new Promise<ProbeResult>((resolve) => {
        const client = url.startsWith("https:") ? https : http;
        // No agent: a kept-alive socket would hold the program open after it ends.
        const request = client.get(url, { rejectUnauthorized: false, timeout: timeoutMs, agent: false, signal }, (response) => {
            response.resume();
            resolve({ url, status: response.statusCode });
        });
        request.on("timeout", () => request.destroy(new Error(`no answer within ${String(timeoutMs / 1000)} s`)));
        request.on("error", (error: NodeJS.ErrnoException) => { resolve({ url, error: error.code ?? error.message }); });
    })));
}

/** The first line of a tool's message, trimmed. */
export function firstLine(text: string): string {
    return text.trim().split("\n")[0]?.trim() ?? "";
}

/** A check that stops its work when `signal` aborts. */
export type Check<T> = (signal: AbortSignal) => Promise<T>;

/**
 * Starts every check at once and resolves to their results, in order. A failure is thrown only
 * once every check before it has succeeded, so the one reported is the one the checks would meet
 * run one after another; the checks still running are then aborted, so none outlives the program.
 */
export async function inOrder<T extends readonly unknown[]>(...checks: { [K in keyof T]: Check<T[K]> }): Promise<T> {
    const controller = new AbortController();
    const started = checks.map(async (check: Check<unknown>) => check(controller.signal));
    // A later check's failure is read in turn, or never once an earlier one failed.
    started.forEach((promise) => { promise.catch(() => undefined); });
    const results: unknown[] = [];
    try {
        for (const promise of started) {
            results.push(await promise);
        }
    } finally {
        controller.abort();
    }
    return results as unknown as T;
}
