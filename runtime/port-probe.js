#!/usr/bin/env node
// @ts-check
// Binds each port given as an argument on 127.0.0.1 and prints, on one line, those it cannot
// bind. The program (cluster.ts, takenPorts) asks before kind creates a cluster.
// Usage: node runtime/port-probe.js PORT...
"use strict";

const net = require("node:net");

/**
 * @param {number} port
 * @returns {Promise<number | undefined>} the port when another process holds it
 */
const taken = (port) => new Promise((resolve) => {
    const server = net.createServer().once("error", () => { resolve(port); });
    server.listen(port, "127.0.0.1", () => server.close(() => { resolve(undefined); }));
});

void Promise.all(process.argv.slice(2).map((port) => taken(Number(port))))
    .then((ports) => { console.log(ports.filter((port) => port !== undefined).join(" ")); });
