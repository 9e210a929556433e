// Soak: a working day of saves in one dev loop (`npm run test:soak`; SOAK_EDITS=N, default 100),
// under steady load. Prints what the loop held and how long each edit took, and holds it to the
// day: no failed request, every edit served, memory, files and processes flat, the last edits
// as fast as the early ones, at most two of the stack's images left in Docker and in the node.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { DevLoop } from "../support/dev-loop";
import { found } from "../support/present";
import { projectDir } from "../support/project";
import { dockerTags, editTrend, noMoreOpenFiles, nodeTags, recordSoak, soak, soakReport } from "../support/soak";
import { kind, newStack, removeStack, stringOutput, TestStack } from "../support/stack";
import { toolchainForTests } from "../support/toolchain";

const { env, skip } = toolchainForTests("soak");
const edits = Number(process.env.SOAK_EDITS ?? 100);
const repository = "node-app-soak";

let stack: TestStack | undefined;
let loop: DevLoop | undefined;

before(async () => {
    if (!skip) {
        stack = await newStack(env, { imageName: repository });
    }
});

after(async () => {
    await loop?.stop();
    if (stack) {
        await removeStack(stack);
    }
});

test(`${String(edits)} edits in one dev loop under load`, { skip, timeout: (5 + edits) * 60_000 }, async () => {
    const s = found(stack, "the soak's stack");
    const url = stringOutput((await s.stack.up()).outputs, "url");
    const server = path.join(s.dir, "app", "server.js");
    const original = fs.readFileSync(server, "utf8");
    loop = new DevLoop(s);
    await loop.line(/^watching /, 0, 60);

    const figures = await soak(loop, server, original, "`Hello World: ", url, edits);
    console.log(soakReport(figures));

    // The dev loop removes the old pods' image once they have stopped (tools/dev.ts, 25 s of quiet).
    const [node] = kind(s, ["get", "nodes", "--name", s.clusterName]).split("\n").filter(Boolean);
    const nodeName = found(node, "the node");
    const deadline = Date.now() + 90_000;
    while ((dockerTags(repository).length > 2 || nodeTags(nodeName, repository).length > 2) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const imagesLeft = `images left once the loop had been quiet for its 25 s: Docker ${dockerTags(repository).join(", ")}; the node ${nodeTags(nodeName, repository).join(", ")}`;
    console.log(imagesLeft);

    const { early, late } = editTrend(figures);
    const holds: [string, boolean][] = [
        ["no failed request", figures.failed.length === 0],
        ["every edit served", figures.edits === edits],
        [`at least 20 req/s (${figures.rate.toFixed(1)})`, figures.rate >= 20],
        [`RSS growth <= 30 MiB (${(figures.atEnd.rssMiB - figures.atReference.rssMiB).toFixed(1)})`, figures.atEnd.rssMiB - figures.atReference.rssMiB <= 30],
        ["no more open files (two may come and go)", noMoreOpenFiles(figures)],
        ["no more child processes", figures.atEnd.children <= figures.atReference.children],
        [`the last edits no slower than 1.2x the early ones (${late.toFixed(1)} / ${early.toFixed(1)} s)`, late <= 1.2 * early],
        ["at most two of the stack's tags in Docker and in the node", dockerTags(repository).length <= 2 && nodeTags(nodeName, repository).length <= 2],
    ];
    // Figures first, whatever holds: a failed hold is a figure worth keeping too.
    if (edits >= 100) {
        recordSoak(figures, imagesLeft, holds, projectDir);
    }
    assert.deepEqual(holds.filter(([, held]) => !held).map(([name]) => name), []);
});
