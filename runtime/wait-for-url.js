#!/usr/bin/env node
// @ts-check
// Waits until a URL answers HTTP 200 on a number of new connections in a row (20 unless told),
// optionally with a given text in every body, and gives up after a timeout. `pulumi up` ends
// with it on Kind (the `answers` command, workload.ts); the bench waits with it for an edit to
// be served (bench/bench.ts, through waitForUrl).
//
// Each try is a new connection (no agent, `connection: close`) that gives up after 2 s: a
// connection that hangs (a port mapping before kube-proxy is ready) is retried, and one kept
// alive to whatever answered first is never asked again. Tries follow each other 10 ms apart,
// 200 ms after a miss. In a row, because kube-proxy picks a pod at random per connection and,
// right after a Docker restart, the Service still lists the pods' old addresses, which the
// restarted node has given to other pods (CoreDNS answers 404 on port 8080): one answer proves
// one pod. Twenty miss a stale one of three with odds of 1 in 3000.
//
// Environment: URL, TIMEOUT_SECONDS; optionally IN_A_ROW (default 20) and EXPECT (a text every
// body must contain). Exits 0 once answered, 1 with one line on stderr after the timeout. By hand:
//   URL=http://127.0.0.1:8080 TIMEOUT_SECONDS=30 EXPECT="Hello World" node runtime/wait-for-url.js
"use strict";

const http = require("node:http");

/** Milliseconds one try may take; a connection that hangs longer is closed and tried again. */
const tryTimeoutMs = 2000;
const afterAnswerMs = 10;
const afterMissMs = 200;

/**
 * Resolves once `url` has answered 200 (with `expect` in the body, when given) on `inARow` new
 * connections in a row; rejects after `timeoutSeconds` with a one-line message.
 * @param {{ url: string, timeoutSeconds: number, inARow?: number | undefined, expect?: string | undefined }} options
 * @returns {Promise<void>}
 */
function waitForUrl({ url, timeoutSeconds, inARow = 20, expect }) {
    const deadline = Date.now() + timeoutSeconds * 1000;
    let answers = 0;
    let best = 0;
    return new Promise((resolve, reject) => {
        const poll = () => {
            let done = false;
            /** @param {string | undefined} miss why this try was no answer; undefined: it was one */
            const tried = (miss) => {
                if (done) return;
                done = true;
                if (miss === undefined) {
                    best = Math.max(best, ++answers);
                    if (answers >= inARow) {
                        resolve();
                    } else {
                        setTimeout(poll, afterAnswerMs);
                    }
                    return;
                }
                answers = 0;
                if (Date.now() > deadline) {
                    reject(new Error(`no answer from ${url}${expect === undefined ? "" : ` containing "${expect}"`} within ${timeoutSeconds} s`
                        + ` (last try: ${miss}; at most ${best} of ${inARow} in a row)`));
                } else {
                    setTimeout(poll, afterMissMs);
                }
            };
            const request = http.get(url, { agent: false, headers: { connection: "close" }, timeout: tryTimeoutMs }, (response) => {
                /** @type {Buffer[]} */
                const body = [];
                if (expect === undefined) {
                    response.resume();
                } else {
                    response.on("data", (/** @type {Buffer} */ chunk) => body.push(chunk));
                }
                response.on("error", (error) => { tried(error.message); });
                response.on("close", () => { if (!response.complete) tried("the connection closed before the answer ended"); });
                response.on("end", () => {
                    if (response.statusCode !== 200) {
                        tried(`HTTP ${response.statusCode ?? "?"}`);
                    } else if (expect !== undefined && !Buffer.concat(body).toString().includes(expect)) {
                        tried(`HTTP 200 without "${expect}"`);
                    } else {
                        tried(undefined);
                    }
                });
            });
            request.on("timeout", () => request.destroy(new Error(`no answer within ${tryTimeoutMs / 1000} s`)));
            request.on("error", (error) => { tried(error.message); });
        };
        poll();
    });
}

if (require.main === module) {
    try {
        const url = process.env.URL ?? "";
        const timeoutSeconds = Number(process.env.TIMEOUT_SECONDS);
        const inARow = Number(process.env.IN_A_ROW ?? 20);
        if (!url) {
            throw new Error("URL is not set");
        }
        if (!(timeoutSeconds > 0)) {
            throw new Error(`TIMEOUT_SECONDS must be a number of seconds above 0, not "${process.env.TIMEOUT_SECONDS ?? ""}"`);
        }
        if (!Number.isInteger(inARow) || inARow < 1) {
            throw new Error(`IN_A_ROW must be a whole number above 0, not "${process.env.IN_A_ROW ?? ""}"`);
        }
        waitForUrl({ url, timeoutSeconds, inARow, expect: process.env.EXPECT || undefined }).catch((/** @type {unknown} */ error) => {
            console.error(/** @type {Error} */ (error).message);
            process.exitCode = 1;
        });
    } catch (error) {
        console.error(`wait-for-url: ${/** @type {Error} */ (error).message}`);
        process.exitCode = 1;
    }
}

module.exports = { waitForUrl };
