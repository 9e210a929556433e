// HTTP on the app's URL: one request, the wait for a new version, steady load across a rollout.
import { waitForUrl } from "../../runtime/wait-for-url.js";

/**
 * Resolves once `url` answers with `text` in the body on 5 new connections in a row; fails after
 * `seconds`. For the first look after an `up` that rolled out a new version: like `kubectl rollout
 * status`, the rollout is done once the old pods are terminating, and they keep answering (their
 * preStop pause) until kube-proxy drops them from the Service's rules at its next sync, on Kind at
 * most a second apart. A request in that moment gets the old version, never an error.
 */
export function servedWithin(url: string, text: string, seconds = 10): Promise<void> {
    return waitForUrl({ url, expect: text, inARow: 5, timeoutSeconds: seconds });
}

/** One GET on a new connection; the body, or an Error. */
export async function get(url: string): Promise<string> {
    // Bounded: a port mapping with nothing ready behind it accepts and then hangs.
    const abort = new AbortController();
    const timer = setTimeout(() => { abort.abort(new Error(`no answer from ${url} within 5 s`)); }, 5_000);
    try {
        const res = await fetch(url, { headers: { connection: "close" }, signal: abort.signal });
        const body = await res.text();
        if (res.status !== 200) {
            throw new Error(`HTTP ${res.status}`);
        }
        return body;
    } finally {
        clearTimeout(timer);
    }
}

/**
 * "12.3 s: TypeError: fetch failed (ECONNREFUSED)": when a request failed, counted from the load's
 * start, and the socket's error code, which fetch keeps in `cause`: a refused connection and a
 * reset one have different culprits.
 */
function failureText(err: unknown, started: number): string {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
    const code = cause && "code" in cause ? String(cause.code) : cause?.message;
    return `${((Date.now() - started) / 1000).toFixed(1)} s: ${String(err)}${code ? ` (${code})` : ""}`;
}

/** GETs at a fixed rate until stopped or `maxSeconds` pass; counts replies and failures. */
export interface Load {
    readonly replies: string[];
    readonly failures: string[];
    /** Goes on for `seconds` more and until `atLeast` requests were made, then stops. */
    stop(after?: { seconds: number; atLeast: number }): Promise<void>;
    /** Requests a second, from the start until stopped (or now). */
    rate(): number;
    /** "N requests, F failed, R req/s over S s" */
    summary(): string;
}

/**
 * Steady load on `url`: `connections` loops side by side, each opening a new connection per
 * request (so that every pod is hit), `perSecond` requests a second in all. Each loop waits for
 * its reply: twenty keep 30 req/s with replies of up to 650 ms, as on two busy cores
 * (docs/testing.md).
 */
export function loadLoop(url: string, perSecond = 30, connections = 20): Load {
    const replies: string[] = [];
    const failures: string[] = [];
    const started = Date.now();
    let stoppedAt = 0;
    let stopped = false;
    const worker = async () => {
        while (!stopped) {
            const began = Date.now();
            try {
                replies.push(await get(url));
            } catch (err) {
                failures.push(failureText(err, started));
            }
            await new Promise((resolve) => setTimeout(resolve, Math.max(0, (1000 * connections) / perSecond - (Date.now() - began))));
        }
    };
    const workers = Array.from({ length: connections }, (_, i) =>
        new Promise((resolve) => setTimeout(resolve, (i * 1000) / perSecond)).then(worker));
    return {
        replies,
        failures,
        stop: async (after = { seconds: 0, atLeast: 0 }) => {
            const until = Date.now() + after.seconds * 1000;
            while (Date.now() < until || replies.length + failures.length < after.atLeast) {
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            stopped = true;
            await Promise.all(workers);
            stoppedAt = Date.now();
        },
        rate: () => (replies.length + failures.length) / (((stoppedAt || Date.now()) - started) / 1000),
        summary: () => {
            const seconds = ((stoppedAt || Date.now()) - started) / 1000;
            const total = replies.length + failures.length;
            return `${total} requests, ${failures.length} failed, ${(total / seconds).toFixed(1)} req/s over ${seconds.toFixed(1)} s`;
        },
    };
}
