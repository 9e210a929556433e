// `pulumi up` ends when the app answers at its URL: the wait's own behaviour, against real
// local servers that answer late or hang.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as http from "node:http";
import * as net from "node:net";
import { once } from "node:events";
import { test } from "node:test";
import { waitForAnswerScript } from "../../workload";

function runWait(url: string, timeoutSeconds: number): Promise<{ code: number | null; seconds: number; stderr: string }> {
    const started = Date.now();
    const child = spawn(process.execPath, ["-e", waitForAnswerScript], {
        env: { ...process.env, URL: url, TIMEOUT_SECONDS: String(timeoutSeconds) },
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
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
