// The image tag contract: it is the hash of exactly what `docker build` sees.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { buildContextFiles, contentTag } from "../../image";
import { projectDir } from "../support/project";

const appDir = path.join(projectDir, "app");

/** A copy of app/ in a new temporary folder. */
function copyOfApp(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-app-"));
    fs.cpSync(appDir, dir, { recursive: true });
    return dir;
}

test("the build sees the server and the Dockerfile, not tests or docs", () => {
    assert.deepEqual(buildContextFiles(appDir), ["Dockerfile", "server.js"]);
});

test("the tag is 16 hex characters and never latest", () => {
    assert.match(contentTag(appDir), /^[0-9a-f]{16}$/);
});

test("the same content gets the same tag in another folder and with other file times", () => {
    const copy = copyOfApp();
    fs.utimesSync(path.join(copy, "server.js"), new Date(2001, 1, 1), new Date(2001, 1, 1));
    assert.equal(contentTag(copy), contentTag(appDir));
});

test("a change to a file the build sees changes the tag", () => {
    const copy = copyOfApp();
    const before = contentTag(copy);
    fs.appendFileSync(path.join(copy, "server.js"), "\n// edit\n");
    assert.notEqual(contentTag(copy), before);
    const dockerfileCopy = copyOfApp();
    fs.appendFileSync(path.join(dockerfileCopy, "Dockerfile"), "LABEL edit=1\n");
    assert.notEqual(contentTag(dockerfileCopy), before);
});

test("a mode change alone (chmod +x) changes the tag: COPY keeps the bits, so it is another image", () => {
    const copy = copyOfApp();
    fs.chmodSync(path.join(copy, "server.js"), 0o644);
    const before = contentTag(copy);
    fs.chmodSync(path.join(copy, "server.js"), 0o755);
    assert.notEqual(contentTag(copy), before);
    fs.chmodSync(path.join(copy, "server.js"), 0o644);
    assert.equal(contentTag(copy), before);
});

test("a renamed file changes the tag even with the same bytes", () => {
    const copy = copyOfApp();
    fs.writeFileSync(path.join(copy, ".dockerignore"), "*\n!*.js\n!Dockerfile\n");
    const before = contentTag(copy);
    fs.renameSync(path.join(copy, "server.js"), path.join(copy, "main.js"));
    assert.notEqual(contentTag(copy), before);
});

test("a change to a file .dockerignore excludes changes nothing", () => {
    const copy = copyOfApp();
    const before = contentTag(copy);
    fs.appendFileSync(path.join(copy, "README.md"), "\nmore docs\n");
    fs.writeFileSync(path.join(copy, "test", "extra.test.mjs"), "// a new test\n");
    fs.mkdirSync(path.join(copy, "node_modules", "x"), { recursive: true });
    fs.writeFileSync(path.join(copy, "node_modules", "x", "index.js"), "1");
    assert.equal(contentTag(copy), before);
});

test("a file the ignore rules let in changes the tag", () => {
    const copy = copyOfApp();
    const before = contentTag(copy);
    fs.appendFileSync(path.join(copy, ".dockerignore"), "!extra.js\n");
    fs.writeFileSync(path.join(copy, "extra.js"), "module.exports = 1;\n");
    assert.deepEqual(buildContextFiles(copy), ["Dockerfile", "extra.js", "server.js"]);
    assert.notEqual(contentTag(copy), before);
});

test("without a .dockerignore every file is in the build, folders included", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-ctx-"));
    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\n");
    fs.mkdirSync(path.join(dir, "lib"));
    fs.writeFileSync(path.join(dir, "lib", "a.js"), "a");
    assert.deepEqual(buildContextFiles(dir), ["Dockerfile", "lib/a.js"]);
});

test("pruned folders follow Docker's rules", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-ctx-"));
    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\n");
    fs.writeFileSync(path.join(dir, ".dockerignore"), "docs\n**/*.md\n");
    fs.mkdirSync(path.join(dir, "docs"));
    fs.writeFileSync(path.join(dir, "docs", "a.txt"), "a");
    fs.mkdirSync(path.join(dir, "src"));
    fs.writeFileSync(path.join(dir, "src", "b.md"), "b");
    fs.writeFileSync(path.join(dir, "src", "c.js"), "c");
    assert.deepEqual(buildContextFiles(dir), [".dockerignore", "Dockerfile", "src/c.js"]);
});

test("build arguments and platform are part of the tag", () => {
    const plain = contentTag(appDir, {}, "linux/amd64");
    assert.notEqual(contentTag(appDir, { BASE_IMAGE: "node:20-slim" }, "linux/amd64"), plain);
    assert.notEqual(contentTag(appDir, {}, "linux/arm64"), plain);
    assert.equal(contentTag(appDir, {}, "linux/amd64"), plain);
});
