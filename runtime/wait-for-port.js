// @ts-check
// wait-for-url.js for an app without an HTTP readiness path (the `apps` setting): waits until
// HOST:PORT answers on a number of new TCP connections in a row (20 unless told), giving up
// after a timeout. A connection is an answer when the server sends something or keeps it open
// for a moment: a port that only forwards (the app's port proxy, Docker's) accepts at once and
// closes when nothing answers behind it. Tries follow each other 10 ms apart, 200 ms after a miss.
//
// Environment: ADDRESS (HOST:PORT), TIMEOUT_SECONDS; optionally IN_A_ROW (default 20). Exits 0
// once answered, 1 with one line on stderr after the timeout. By hand:
//   ADDRESS=127.0.0.1:9090 TIMEOUT_SECONDS=30 node runtime/wait-for-port.js
"use strict";

const net = require("node:net");

/** Milliseconds one try may take, and how long a silent connection must stay open to count. */
const tryTimeoutMs = 2000;
const heldMs = 200;

/**
 * One try: resolves with undefined on an answer, else with why it was none.
 * @param {string} host @param {number} port @returns {Promise<string | undefined>}
 */
function tryOnce(host, port) {
    return new Promise((resolve) => {
        const socket = net.connect({ host, port, timeout: tryTimeoutMs });
        /** @type {NodeJS.Timeout | undefined} */
        let held;
        /** @param {string | undefined} miss */
        const end = (miss) => { clearTimeout(held); socket.destroy(); resolve(miss); };
        socket.on("connect", () => { held = setTimeout(() => { end(undefined); }, heldMs); });
        socket.on("data", () => { end(undefined); });
        socket.on("close", () => { end("the connection closed"); });
        socket.on("timeout", () => { end(`no connection within ${tryTimeoutMs / 1000} s`); });
        socket.on("error", (error) => { end(error.message); });
    });
}

/**
 * Resolves once `address` has answered on `inARow` new connections in a row; rejects after
 * `timeoutSeconds` with a one-line message.
 * @param {{ address: string, timeoutSeconds: number, inARow?: number | undefined }} options
 */
async function waitForPort({ address, timeoutSeconds, inARow = 20 }) {
    const separator = address.lastIndexOf(":");
    const [host, port] = [address.slice(0, separator), Number(address.slice(separator + 1))];
    const deadline = Date.now() + timeoutSeconds * 1000;
    let answers = 0;
    let best = 0;
    for (;;) {
        const miss = await tryOnce(host, port);
        if (miss === undefined) {
            best = Math.max(best, ++answers);
            if (answers >= inARow) return;
            await new Promise((resolve) => setTimeout(resolve, 10));
            continue;
        }
        answers = 0;
        if (Date.now() > deadline) {
            throw new Error(`no answer on ${address} within ${timeoutSeconds} s (last try: ${miss}; at most ${best} of ${inARow} in a row)`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
}

if (require.main === module) {
    const address = process.env.ADDRESS ?? "";
    const timeoutSeconds = Number(process.env.TIMEOUT_SECONDS);
    const inARow = Number(process.env.IN_A_ROW ?? 20);
    if (!/^[^:]+:\d+$/.test(address) || !(timeoutSeconds > 0) || !Number.isInteger(inARow) || inARow < 1) {
        console.error(`wait-for-port: ADDRESS (HOST:PORT), TIMEOUT_SECONDS (above 0) and IN_A_ROW (a whole number above 0) are required, not "${address}", "${process.env.TIMEOUT_SECONDS ?? ""}", "${process.env.IN_A_ROW ?? ""}"`);
        process.exitCode = 1;
    } else {
        waitForPort({ address, timeoutSeconds, inARow }).catch((/** @type {unknown} */ error) => {
            console.error(/** @type {Error} */ (error).message);
            process.exitCode = 1;
        });
    }
}

module.exports = { waitForPort };
