// The dev loop's fast path (tools/fast-rollout.ts) must leave the cluster exactly as the update
// that records it would: its patch sets what an image change changes in the Workload, nothing
// else, and the build sees the files `docker build` would send.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import * as tar from "tar-stream";
import { buildContextFiles } from "../../image";
import { contextArchive, imagePatch } from "../../tools/fast-rollout";
import { only, runProgram } from "../support/harness";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A strategic merge patch as the API server applies it to these fields: objects merge, lists of named items merge by name. */
function strategicMerge(target: Json, patch: Json): Json {
    if (Array.isArray(target) && Array.isArray(patch)) {
        const named = (items: Json[]) => items.every((item) => typeof item === "object" && item !== null && !Array.isArray(item) && typeof item.name === "string");
        if (!named(target) || !named(patch)) {
            return patch;
        }
        return target.map((item) => {
            const change = patch.find((p) => (p as { name: string }).name === (item as { name: string }).name);
            return change === undefined ? item : strategicMerge(item, change);
        });
    }
    if (typeof target === "object" && target !== null && !Array.isArray(target) && typeof patch === "object" && patch !== null && !Array.isArray(patch)) {
        const merged: { [key: string]: Json } = { ...target };
        for (const [key, value] of Object.entries(patch)) {
            merged[key] = key in target ? strategicMerge(at(target, key), value) : value;
        }
        return merged;
    }
    return patch;
}
function at(object: { [key: string]: Json }, key: string): Json {
    return object[key] ?? null;
}

/** The Deployment the program declares for a base image (which changes the image's content tag alone). */
async function deploymentFor(baseImage: string): Promise<{ image: string; deployment: Json }> {
    const run = await runProgram({ baseImage });
    assert.equal(run.error, undefined);
    const deployment = JSON.parse(JSON.stringify(only(run, "kubernetes:apps/v1:Deployment").inputs)) as Json;
    const image = (deployment as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec.containers[0]?.image ?? "";
    return { image, deployment };
}

test("the fast path's patch turns the Deployment of one image into the Deployment the program declares for another", async () => {
    const before = await deploymentFor("node:20-slim");
    const after = await deploymentFor("node:22-slim");
    assert.notEqual(before.image, after.image, "the two base images give two tags");
    assert.deepEqual(strategicMerge(before.deployment, imagePatch(after.image) as Json), after.deployment);
});

test("the build context it sends holds the files docker build would, with their permission bits", async () => {
    const context = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-fast-context-"));
    try {
        fs.writeFileSync(path.join(context, "Dockerfile"), "FROM scratch\n");
        fs.writeFileSync(path.join(context, "server.js"), "// app\n");
        fs.writeFileSync(path.join(context, "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
        fs.mkdirSync(path.join(context, "test"));
        fs.writeFileSync(path.join(context, "test", "x.test.js"), "");
        fs.writeFileSync(path.join(context, ".dockerignore"), "test\n");
        fs.symlinkSync("server.js", path.join(context, "link.js"));
        const entries: { name: string; mode: number; type: string; body: string }[] = [];
        const extract = tar.extract();
        extract.on("entry", (header, stream, next) => {
            let body = "";
            stream.on("data", (chunk: Buffer) => { body += chunk.toString(); });
            stream.on("end", () => { entries.push({ name: header.name, mode: header.mode ?? 0, type: header.type ?? "", body }); next(); });
        });
        await new Promise<void>((resolve, reject) => { extract.on("finish", resolve).on("error", reject); contextArchive(context).pipe(extract); });
        assert.deepEqual(entries.map((e) => e.name), buildContextFiles(context));
        assert.deepEqual(entries.find((e) => e.name === "run.sh"), { name: "run.sh", mode: 0o755, type: "file", body: "#!/bin/sh\n" });
        assert.equal(entries.find((e) => e.name === "link.js")?.type, "symlink");
    } finally {
        fs.rmSync(context, { recursive: true, force: true });
    }
});
