#!/usr/bin/env node
// @ts-check
// Polls https://127.0.0.1:PORT/readyz (open to anonymous clients in a kubeadm cluster) until it
// answers 200, for at most SECONDS; prints how many milliseconds it waited, or exits 1 with the
// last reason on stderr. The program (cluster.ts, waitForApiServer) runs it for a cluster that exists.
// Usage: node runtime/api-server-probe.js PORT SECONDS
"use strict";

const https = require("node:https");

const [port, seconds] = process.argv.slice(2).map(Number);
const started = Date.now();

function poll() {
    // The cluster's own self-signed certificate: only "does it answer" is asked here.
    const request = https.get({ host: "127.0.0.1", port, path: "/readyz", rejectUnauthorized: false, timeout: 2000 }, (response) => {
        response.resume();
        if (response.statusCode === 200) {
            console.log(Date.now() - started);
        } else {
            retry(`/readyz answered ${String(response.statusCode)}`);
        }
    });
    request.on("timeout", () => request.destroy(new Error("no answer within 2 s")));
    request.on("error", (error) => { retry(error.message); });
}

/** @param {string} why */
function retry(why) {
    if (Date.now() - started > (seconds ?? 0) * 1000) {
        console.error(why);
        process.exit(1);
    }
    setTimeout(poll, 250);
}

poll();
