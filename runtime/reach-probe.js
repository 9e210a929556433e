#!/usr/bin/env node
// @ts-check
// GETs each URL given as an argument, at most 5 s each, and prints one JSON line per URL: the
// HTTP status, or the error. Any status means something answers there; certificates are not
// checked, because only reachability is asked (the provider and Docker check them afterwards).
// The program (existing-cluster.ts) asks it about the API server and the registry.
// Usage: node runtime/reach-probe.js URL...
"use strict";

const http = require("node:http");
const https = require("node:https");

/**
 * @param {string} url
 * @returns {Promise<{ url: string, status?: number | undefined, error?: string }>}
 */
const get = (url) => new Promise((resolve) => {
    const client = url.startsWith("https:") ? https : http;
    const request = client.get(url, { rejectUnauthorized: false, timeout: 5000 }, (response) => {
        response.resume();
        resolve({ url, status: response.statusCode });
    });
    request.on("timeout", () => request.destroy(new Error("no answer within 5 s")));
    request.on("error", (error) => { resolve({ url, error: /** @type {NodeJS.ErrnoException} */ (error).code ?? error.message }); });
});

void Promise.all(process.argv.slice(2).map(get))
    .then((results) => { results.forEach((result) => { console.log(JSON.stringify(result)); }); });
