// `pulumi up` ends when the app answers at its URL (runtime/wait-for-url.js, the `answers`
// command), and the bench waits for an edit to be served with the same script: its own
// behaviour, against real local servers that answer late, hang, or answer something else.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as http from "node:http";
import * as net from "node:net";
import { once } from "node:events";
import { test } from "node:test";
import { waitForUrl } from "../../runtime/wait-for-url.js";
import { projectDir } from "../support/project";

/** Runs the script as the `answers` command does: `node runtime/wait-for-url.js` in the project, settings in the environment. */
function runWait(url: string, timeoutSeconds: number, more: Record<string, string> = {}): Promise<{ code: number | null; seconds: number; stderr: string }> {
    const started = Date.now();
    const child = spawn(process.execPath, ["runtime/wait-for-url.js"], {
        cwd: projectDir,
        env: { ...process.env, URL: url, TIMEOUT_SECONDS: String(timeoutSeconds), ...more },
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    return once(child, "exit").then(([code]) => ({ code: code as number | null, seconds: (Date.now() - started) / 1000, stderr }));
}

async function listen(server: net.Server): Promise<number> {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return (server.address() as net.AddressInfo).port;
}

test("it waits for a server that starts answering later, then exits 0", async (t) => {
    let answering = false;
    const server = http.createServer((_req, res) => res.writeHead(answering ? 200 : 503).end());
    t.after(() => server.close());
    const port = await listen(server);
    setTimeout(() => (answering = true), 1500);
    const result = await runWait(`http://127.0.0.1:${port}/`, 30);
    assert.equal(result.code, 0);
    assert.ok(result.seconds >= 1.4, `returned after ${result.seconds} s, before the server answered`);
});

test("a connection that hangs is retried, not taken for an answer", async (t) => {
    // Accepts connections and never replies: what a port mapping does before kube-proxy is ready.
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => sockets.push(socket));
    t.after(() => { sockets.forEach((s) => s.destroy()); server.close(); });
    const port = await listen(server);
    const result = await runWait(`http://127.0.0.1:${port}/`, 3);
    assert.equal(result.code, 1);
    assert.ok(result.seconds >= 3, `gave up after ${result.seconds} s`);
    assert.match(result.stderr, /no answer from http:\/\/127\.0\.0\.1:\d+\/ within 3 s/);
});

test("nothing listening: it gives up after the timeout with a message", async () => {
    const server = net.createServer();
    const port = await listen(server);
    server.close();
    const result = await runWait(`http://127.0.0.1:${port}/`, 1);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no answer/);
});

test("each try is a connection of its own: a kept-alive connection to what answered before the app is not asked again", async (t) => {
    // After a Docker restart, the first connection through the port mapping can reach something
    // that answers 404 with keep-alive (seen with fetch's connection pool: 577 tries, 2 minutes,
    // while new connections had the app). Here the first connection answers 404, later ones 200.
    let connections = 0;
    const server = http.createServer((req, res) => {
        const first = (req.socket as net.Socket & { first?: boolean }).first;
        res.writeHead(first ? 404 : 200, { connection: "keep-alive" }).end(first ? "not the app\n" : "Hello World\n");
    });
    server.keepAliveTimeout = 60_000;
    server.on("connection", (socket: net.Socket & { first?: boolean }) => { socket.first = connections++ === 0; });
    t.after(() => { server.closeAllConnections(); server.close(); });
    const port = await listen(server);
    const result = await runWait(`http://127.0.0.1:${port}/`, 5);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(connections >= 2);
});

test("answers from only some of the pods behind the URL are not yet an answer", async (t) => {
    // Every third connection reaches something else (a stale Service address), as after a
    // Docker restart: the wait goes on until the timeout.
    let connections = 0;
    const server = http.createServer((req, res) => {
        const stale = (req.socket as net.Socket & { stale?: boolean }).stale;
        res.writeHead(stale ? 404 : 200).end();
    });
    server.on("connection", (socket: net.Socket & { stale?: boolean }) => { socket.stale = connections++ % 3 === 2; });
    t.after(() => server.close());
    const port = await listen(server);
    const result = await runWait(`http://127.0.0.1:${port}/`, 2);
    assert.equal(result.code, 1);
    assert.ok(connections > 20, `${connections} connections`);
});

test("EXPECT: 200s without the text are not an answer; it waits for the text", async (t) => {
    let text = "Hello World";
    const server = http.createServer((_req, res) => res.writeHead(200).end(`${text}: 1\n`));
    t.after(() => server.close());
    const port = await listen(server);
    setTimeout(() => (text = "Edited"), 1000);
    const result = await runWait(`http://127.0.0.1:${port}/`, 30, { EXPECT: "Edited" });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.seconds >= 0.9, `returned after ${result.seconds} s, before the text was served`);
});

test("IN_A_ROW sets how many answers in a row it takes", async (t) => {
    let connections = 0;
    const server = http.createServer((_req, res) => res.writeHead(200).end());
    server.on("connection", () => connections++);
    t.after(() => server.close());
    const port = await listen(server);
    const result = await runWait(`http://127.0.0.1:${port}/`, 5, { IN_A_ROW: "3" });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(connections, 3);
    const byDefault = await runWait(`http://127.0.0.1:${port}/`, 5);
    assert.equal(byDefault.code, 0, byDefault.stderr);
    assert.equal(connections, 3 + 20, "20 by default");
});

test("settings it cannot use are refused at once, with their name", async () => {
    const missing = await runWait("", 5);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /URL is not set/);
    const timeout = await runWait("http://127.0.0.1:1/", Number.NaN);
    assert.equal(timeout.code, 1);
    assert.match(timeout.stderr, /TIMEOUT_SECONDS must be a number of seconds above 0, not "NaN"/);
    const count = await runWait("http://127.0.0.1:1/", 5, { IN_A_ROW: "none" });
    assert.equal(count.code, 1);
    assert.match(count.stderr, /IN_A_ROW must be a whole number above 0, not "none"/);
});

test("waitForUrl, as the bench calls it: resolves once served, rejects with the text it waited for and the last try", async (t) => {
    const server = http.createServer((_req, res) => res.writeHead(200).end("Hello World: 1\n"));
    t.after(() => server.close());
    const url = `http://127.0.0.1:${await listen(server)}/`;
    await waitForUrl({ url, timeoutSeconds: 5, inARow: 15, expect: "Hello World" });
    await assert.rejects(waitForUrl({ url, timeoutSeconds: 0.5, inARow: 3, expect: "Edited" }),
        new RegExp(`^Error: no answer from ${url} containing "Edited" within 0\\.5 s \\(last try: HTTP 200 without "Edited"; at most 0 of 3 in a row\\)$`));
});
