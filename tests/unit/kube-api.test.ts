// runtime/kube-api.js's client through `kubectl proxy` (target existing), with a `kubectl` of the
// test's on PATH that says what kubectl proxy says and stays up until stopped, and a local HTTP
// server as the API behind it.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { kubectlApi } from "../../runtime/kube-api.js";

let server: http.Server;
let tools: string;
let calls: string;
const savedPath = process.env.PATH;

before(async () => {
    server = http.createServer((req, res) => {
        if (req.url === "/api/v1/namespaces/web/pods/p/log?follow=true") {
            res.writeHead(200).write("one\ntwo\n");
            return; // a followed log stays open
        }
        res.writeHead(req.url === "/missing" ? 404 : 200).end(JSON.stringify({ path: req.url }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    tools = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-kubectl-"));
    calls = path.join(tools, "calls");
    const port = (server.address() as AddressInfo).port;
    fs.writeFileSync(path.join(tools, "kubectl"), [
        "#!/bin/sh",
        `echo "$*" >> ${calls}`,
        `[ "$7" = "bad" ] && { echo "error: no context exists with the name: \\"bad\\"" >&2; exit 1; }`,
        `echo "Starting to serve on 127.0.0.1:${String(port)}"`,
        "exec sleep 60", "",
    ].join("\n"), { mode: 0o755 });
    process.env.PATH = `${tools}${path.delimiter}${savedPath ?? ""}`;
});

after(() => {
    process.env.PATH = savedPath;
    server.close();
    server.closeAllConnections();
    fs.rmSync(tools, { recursive: true, force: true });
});

test("kubectlApi: the user's file and context go to kubectl proxy on 127.0.0.1; reads, errors and streams go through it; close stops it", async () => {
    const api = await kubectlApi("/home/me/.kube/config", "staging");
    try {
        assert.deepEqual(await api.get("/version"), { path: "/version" });
        await assert.rejects(api.text("/missing"), /GET \/missing: 404/);
        const lines: string[] = [];
        const stream = api.stream("/api/v1/namespaces/web/pods/p/log?follow=true", (line) => { lines.push(line); });
        while (lines.length < 2) {
            await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.deepEqual(lines, ["one", "two"]);
        stream.destroy();
    } finally {
        api.close();
    }
    assert.equal(fs.readFileSync(calls, "utf8").trim(), "proxy --port=0 --address=127.0.0.1 --kubeconfig /home/me/.kube/config --context staging");
});

test("kubectlApi: a kubectl that refuses says why, in one error", async () => {
    await assert.rejects(kubectlApi("/home/me/.kube/config", "bad"), /kubectl proxy exited with 1: error: no context exists with the name: "bad"/);
});
