// The image loader's contract: a node gets the manifest, the config and only the layers it
// lacks, under the name the kubelet resolves; when that fails, it gets every layer.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import * as tar from "tar-stream";
import * as loader from "../../runtime/load-image.js";
import { at, found, projectDir } from "../support/harness";

const sha256 = (bytes: Buffer | string) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-load-test-"));
/** Where an OCI image layout keeps the blob of `digest`. */
const blobOf = (digest: string) => `blobs/${digest.replace(":", "/")}`;

/** A tar archive of `files` (name to content), in that order. */
async function tarOf(files: [string, Buffer | string][]): Promise<Buffer> {
    const pack = tar.pack();
    for (const [name, content] of files) {
        pack.entry({ name }, content);
    }
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const chunk of pack) chunks.push(chunk);
    return Buffer.concat(chunks);
}

/** Every file of a tar archive, by name. */
async function filesOf(archive: Buffer | NodeJS.ReadableStream): Promise<Map<string, Buffer>> {
    const files = new Map<string, Buffer>();
    const extract = tar.extract();
    const source = Buffer.isBuffer(archive) ? Readable.from([archive]) : archive;
    source.pipe(extract);
    for await (const entry of extract) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk);
        files.set(entry.header.name, Buffer.concat(chunks));
    }
    return files;
}

// An image of three layers: a big base, a small one, the app's.
const layerBytes: [Buffer, Buffer, Buffer] = [Buffer.alloc(300_000, 1), Buffer.from("small layer"), Buffer.from("the app's layer")];
const diffIds = layerBytes.map((bytes) => sha256(bytes)) as [string, string, string];
const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: diffIds } }));

/** What `docker save` writes before Docker 25: `<v1 id>/layer.tar`, `<image id>.json`, manifest.json. */
function classicSave(): Promise<Buffer> {
    const ids = ["c3", "a1", "b2"];
    return tarOf([
        ...layerBytes.map((bytes, i): [string, Buffer] => [`${ids[i]}/layer.tar`, bytes]),
        [`${sha256(config).slice(7)}.json`, config],
        ["manifest.json", JSON.stringify([{ Config: `${sha256(config).slice(7)}.json`, RepoTags: ["node-app:1"], Layers: ids.map((id) => `${id}/layer.tar`) }])],
    ]);
}

test("a classic docker save archive: each layer's digest is its diff ID, the config's is the image ID", async () => {
    const saved = await loader.readSavedImage(Readable.from([await classicSave()]), tempDir());
    assert.equal(saved.config.digest, sha256(config));
    assert.deepEqual(saved.layers.map((layer) => [layer.digest, layer.size, layer.mediaType]),
        layerBytes.map((bytes, i) => [diffIds[i], bytes.length, "application/vnd.oci.image.layer.v1.tar"]));
    assert.deepEqual(fs.readFileSync(at(saved.layers, 2).file), layerBytes[2]);
});

test("a Docker 25 archive: blobs named by digest, compressed layers keep their compressed digest", async () => {
    const compressed = gzipSync(layerBytes[2]);
    const blob = (bytes: Buffer) => blobOf(sha256(bytes));
    const archive = await tarOf([
        [blob(layerBytes[0]), layerBytes[0]], [blob(layerBytes[1]), layerBytes[1]], [blob(compressed), compressed],
        [blob(config), config],
        ["manifest.json", JSON.stringify([{ Config: blob(config), Layers: [blob(layerBytes[0]), blob(layerBytes[1]), blob(compressed)] }])],
    ]);
    const saved = await loader.readSavedImage(Readable.from([archive]), tempDir());
    assert.deepEqual(saved.layers.map((layer) => layer.digest), [diffIds[0], diffIds[1], sha256(compressed)]);
    assert.equal(at(saved.layers, 2).mediaType, "application/vnd.oci.image.layer.v1.tar+gzip");
});

test("an archive without manifest.json is refused with its name", async () => {
    await assert.rejects(loader.readSavedImage(Readable.from([await tarOf([["a/layer.tar", "x"]])]), tempDir()),
        /the image archive from docker save has no manifest.json/);
});

test("the OCI archive holds the manifest of every layer but the blobs of only those sent", async () => {
    const saved = await loader.readSavedImage(Readable.from([await classicSave()]), tempDir());
    const files = await filesOf(loader.ociArchive("docker.io/library/node-app:1", saved, [at(saved.layers, 2)]));

    // The OCI image index and manifest: the fields read here.
    type Descriptor = { digest: string; size: number; annotations?: Record<string, string> };
    const index = JSON.parse(found(files.get("index.json"), "index.json").toString()) as { manifests: Descriptor[] };
    assert.equal(index.manifests.length, 1);
    const [entry] = index.manifests as [Descriptor];
    assert.equal(entry.annotations?.["io.containerd.image.name"], "docker.io/library/node-app:1");
    const manifestBytes = found(files.get(blobOf(entry.digest)), "the manifest's blob");
    assert.equal(sha256(manifestBytes), entry.digest);
    const manifest = JSON.parse(manifestBytes.toString()) as { config: Descriptor; layers: Descriptor[] };
    assert.equal(manifest.config.digest, sha256(config));
    assert.deepEqual(manifest.layers.map((layer) => [layer.digest, layer.size]), layerBytes.map((bytes, i) => [diffIds[i], bytes.length]));

    const blobs = [...files.keys()].filter((name) => name.startsWith("blobs/")).sort();
    const expected = [entry.digest, sha256(config), diffIds[2]].map(blobOf).sort();
    assert.deepEqual(blobs, expected);
    for (const name of blobs) {
        assert.equal(sha256(found(files.get(name), name)), name.slice(6).replace("/", ":"), `${name} holds what its name says`);
    }
    assert.ok(files.has("oci-layout"));
});

test("image names resolve as Docker and the kubelet resolve them", () => {
    assert.equal(loader.containerdReference("node-app:1"), "docker.io/library/node-app:1");
    assert.equal(loader.containerdReference("me/node-app:1"), "docker.io/me/node-app:1");
    assert.equal(loader.containerdReference("registry.local:5000/node-app:1"), "registry.local:5000/node-app:1");
    assert.equal(loader.containerdReference("localhost/node-app"), "localhost/node-app:latest");
});

test("the snapshotter is read from containerd's config as kind reads it, for config versions 2 and 3", () => {
    assert.equal(loader.criSnapshotter(`version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  snapshotter = "native"\n`), "native");
    assert.equal(loader.criSnapshotter(`version = 3\n[plugins.'io.containerd.cri.v1.images']\n  snapshotter = 'overlayfs'\n`), "overlayfs");
    assert.equal(loader.criSnapshotter(`version = 3\n`), undefined);
});

/** What the fake engine says `docker image inspect` of node-app:1 is. */
const engineImageId = sha256(config);

/**
 * `kind` and `docker` fakes for a cluster "demo" whose nodes hold the layers `stores` names;
 * each node's imports are kept in `dir`, and a node in `failFirstImport` fails its first ("always:NODE" each; "engine-gone": `docker version` fails too; "image-gone": the image is not in Docker).
 * A node in `holding` already has node-app:1, labelled with the ID it holds it from.
 */
function fakeCluster(dir: string, saveArchive: Buffer, stores: Record<string, string[]>, failFirstImport: string[] = [], holding: Record<string, string> = {}): string {
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(dir, "save.tar"), saveArchive);
    const script = (body: string) => `#!${process.execPath}\nconst fs = require("fs"); const args = process.argv.slice(2);\n${body}\n`;
    fs.writeFileSync(path.join(bin, "kind"), script(`
if (args.join(" ") === "get nodes --name demo") console.log(${JSON.stringify(Object.keys(stores).join("\n"))});`), { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "docker"), script(`
const dir = ${JSON.stringify(dir)};
const stores = ${JSON.stringify(stores)};
const holding = ${JSON.stringify(holding)};
const failFirstImport = ${JSON.stringify(failFirstImport)};
const command = args.join(" ");
fs.appendFileSync(dir + "/calls", args.slice(0, 3).join(" ") + "\\n");
const node = args[1] === "-i" ? args[2] : args[1];
if (command === "save -- node-app:1") {
    fs.writeFileSync(dir + "/saved", "");
    process.stdout.write(fs.readFileSync(dir + "/save.tar"));
} else if (command === "exec " + node + " ctr --namespace=k8s.io version") {
    console.log("Server: containerd");
} else if (command === "version --format {{.Server.Version}}") {
    if (failFirstImport.includes("engine-gone")) { console.error("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"); process.exit(1); }
    console.log("20.10.24");
} else if (args[0] === "ps" && args.includes("label=io.x-k8s.kind.cluster")) {
    // The prune beside the load finds no kind node: it removes nothing.
} else if (command === "image inspect --format {{.Id}} -- node-app:1" && failFirstImport.includes("image-gone")) {
    console.error("Error: No such image: node-app:1"); process.exit(1);
} else if (command === "image inspect --format {{.Id}} -- node-app:1") {
    console.log(${JSON.stringify(engineImageId)});
} else if (args[0] === "exec" && args[2] === "sh" && args[3] === "-c" && /containerd config dump .* ctr --namespace=k8s.io content ls --quiet .* ctr --namespace=k8s.io images ls$/.test(args[4])) {
    const separator = /echo '([^']+)'/.exec(args[4])[1];
    const image = holding[node] ? "docker.io/library/node-app:1 application/vnd.oci.image.manifest.v1+json sha256:0 40.2 MiB linux/amd64 io.cri-containerd.image=managed,kube-demo.image-id=" + holding[node] : "";
    console.log("version = 3\\n[plugins.'io.containerd.cri.v1.images']\\nsnapshotter = 'overlayfs'\\n" + separator + "\\n" + stores[node].join("\\n") + "\\n" + separator + "\\nREF TYPE DIGEST SIZE PLATFORMS LABELS\\n" + image);
} else if (args[0] === "exec" && args[1] === "-i" && args[3] === "sh" && args[4] === "-c"
    && args[5] === 'ctr --namespace=k8s.io images import --all-platforms --digests --snapshotter=overlayfs - && ctr --namespace=k8s.io images label "$1" "kube-demo.image-id=$2" >/dev/null'
    && args[7] === "docker.io/library/node-app:1" && args[8] === ${JSON.stringify(engineImageId)}) {
    const n = fs.readdirSync(dir).filter((f) => f.startsWith("import-" + node)).length;
    fs.writeFileSync(dir + "/import-" + node + "-" + n + ".tar", fs.readFileSync(0));
    if (failFirstImport.includes(node) && n === 0) { console.error("content digest not found"); process.exit(1); }
    if (failFirstImport.includes("always:" + node)) { console.error("time=x level=info msg=importing\\nctr: failed to ingest: no space left on device"); process.exit(1); }
} else {
    console.error("unexpected: docker " + command);
    process.exit(3);
}`), { mode: 0o755 });
    return bin;
}

/** Runs the loader against a fake cluster; per node, the layer blobs of each import, in order. */
async function loadWithFakes(stores: Record<string, string[]>, failFirstImport: string[] = [], holding: Record<string, string> = {}) {
    const dir = tempDir();
    const bin = fakeCluster(dir, await classicSave(), stores, failFirstImport, holding);
    const output = execFileSync(process.execPath, [path.join(projectDir, "runtime", "load-image.js"), "node-app:1", "demo"],
        { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: "utf8" });
    const sent: Record<string, string[][]> = {};
    for (const node of Object.keys(stores)) {
        const imports = fs.readdirSync(dir).filter((f) => f.startsWith(`import-${node}-`)).sort();
        sent[node] = await Promise.all(imports.map(async (name) => [...(await filesOf(fs.readFileSync(path.join(dir, name)))).keys()]
            .filter((file) => diffIds.map(blobOf).includes(file)).sort()));
    }
    return { output, sent, dir };
}

test("each node is sent only the layers it lacks: the app's to a node with the base, all to a new one", async () => {
    const { output, sent } = await loadWithFakes({ "demo-control-plane": diffIds.slice(0, 2), "demo-worker": [] });
    assert.deepEqual(sent["demo-control-plane"], [[blobOf(diffIds[2])]]);
    assert.deepEqual(sent["demo-worker"], [diffIds.map(blobOf).sort()]);
    assert.match(output, /^node-app:1 -> demo-control-plane: 1 of 3 layers sent, \d+ bytes$/m);
    assert.match(output, /^node-app:1 -> demo-worker: 3 of 3 layers sent, \d+ bytes$/m);
});

test("when a node's store lost a layer meanwhile, its import is retried with every layer", async () => {
    const { output, sent } = await loadWithFakes({ "demo-control-plane": diffIds.slice(0, 2) }, ["demo-control-plane"]);
    assert.deepEqual(sent["demo-control-plane"], [[blobOf(diffIds[2])], diffIds.map(blobOf).sort()]);
    assert.match(output, /3 of 3 layers sent/);
});

/** The loader run on a one-node fake cluster whose fakes fail as `failures` say (fakeCluster), with `env` besides. */
async function failedLoad(failures: string[], env: Record<string, string> = {}) {
    const bin = fakeCluster(tempDir(), await classicSave(), { "demo-control-plane": [] }, failures);
    return spawnSync(process.execPath, [path.join(projectDir, "runtime", "load-image.js"), "node-app:1", "demo"],
        { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, ...env }, encoding: "utf8" });
}

test("a node whose import keeps failing: one line naming the node and the cause, exit 1", async () => {
    const load = await failedLoad(["always:demo-control-plane"]);
    assert.equal(load.status, 1);
    assert.equal(load.stderr, 'loading node-app:1 into kind cluster "demo" failed: node demo-control-plane: ctr images import failed: '
        + "ctr: failed to ingest: no space left on device\n");
});

test("the engine gone in the middle of the load: one line naming the engine and what to do, exit 1", async () => {
    const load = await failedLoad(["always:demo-control-plane", "engine-gone"]);
    assert.equal(load.status, 1);
    assert.equal(load.stderr, 'loading node-app:1 into kind cluster "demo" failed: the Docker engine stopped answering '
        + "(node demo-control-plane: ctr images import failed: ctr: failed to ingest: no space left on device); start it again and rerun the update\n");
});

test("the image gone from Docker: one line saying so and the command that builds it again", async () => {
    const load = await failedLoad(["image-gone"], { BUILD_URN: "urn:pulumi:dev::kube-demo::docker:index/image:Image::app-build" });
    assert.equal(load.status, 1);
    assert.equal(load.stderr, 'loading node-app:1 into kind cluster "demo" failed: the image is no longer in Docker (removed by hand, or as an old image '
        + "of another stack with the same imageName); build it again: pulumi up --replace 'urn:pulumi:dev::kube-demo::docker:index/image:Image::app-build'\n");
});

test("a node that holds the image, loaded from the same Docker image, is sent nothing", async () => {
    const { output, sent } = await loadWithFakes({ "demo-control-plane": diffIds, "demo-worker": diffIds.slice(0, 2) },
        [], { "demo-control-plane": engineImageId });
    assert.deepEqual(sent["demo-control-plane"], []);
    assert.deepEqual(sent["demo-worker"], [[blobOf(diffIds[2])]]);
    assert.match(output, /^node-app:1 -> demo-control-plane: already there, nothing sent$/m);
    assert.match(output, /^node-app:1 -> demo-worker: 1 of 3 layers sent, \d+ bytes$/m);
});

test("the same name loaded from another Docker image (a tag built again) is loaded anew", async () => {
    const { output, sent } = await loadWithFakes({ "demo-control-plane": diffIds.slice(0, 2) }, [], { "demo-control-plane": sha256("an older build") });
    assert.deepEqual(sent["demo-control-plane"], [[blobOf(diffIds[2])]]);
    assert.match(output, /1 of 3 layers sent/);
});

test("when every node holds the image, docker save is not awaited", async () => {
    const { dir, output } = await loadWithFakes({ "demo-control-plane": diffIds }, [], { "demo-control-plane": engineImageId });
    assert.match(output, /already there/);
    // The save may have started (it starts first) but nothing was imported from it.
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith("import-")), []);
});

test("in the dev loop's process, the nodes are asked while the image builds; the image is read once it is built", async () => {
    const dir = tempDir();
    const bin = fakeCluster(dir, await classicSave(), { "demo-control-plane": diffIds.slice(0, 2) });
    const calls = () => fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8").split("\n").filter(Boolean) : [];
    const pathBefore = process.env.PATH;
    process.env.PATH = `${bin}:${pathBefore ?? ""}`;
    try {
        let built = () => {};
        const loading = loader.loadImage("node-app:1", "demo", undefined, new Promise<void>((resolve) => { built = resolve; }));
        for (let waited = 0; !calls().some((call) => call.startsWith("exec demo-control-plane sh")) && waited < 10_000; waited += 50) {
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.deepEqual(calls(), ["exec demo-control-plane sh"], "the node's store is read before the build ends, the image not yet");
        built();
        const lines = await loading;
        assert.deepEqual(calls().slice(1).sort(), ["exec -i demo-control-plane", "image inspect --format", "save -- node-app:1"]);
        assert.match(lines.join("\n"), /^node-app:1 -> demo-control-plane: 1 of 3 layers sent, \d+ bytes$/m);
    } finally {
        process.env.PATH = pathBefore;
    }
});

test("the preload loads once the image and every node are there, and says so", async () => {
    const dir = tempDir();
    const bin = fakeCluster(dir, await classicSave(), { "demo-control-plane": [], "demo-worker": [] });
    const preload = spawnSync(process.execPath, [path.join(projectDir, "runtime", "load-image.js"), "--preload", "node-app:1", "demo", "2"],
        { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: "utf8", timeout: 20_000 });
    assert.equal(preload.status, 0, preload.stderr);
    assert.match(preload.stdout, /^preloaded node-app:1 -> demo-control-plane: 3 of 3 layers sent/m);
    assert.match(preload.stdout, /^preloaded node-app:1 -> demo-worker: 3 of 3 layers sent/m);
});

test("a preload still waiting for its nodes stops on SIGTERM, sending nothing", async () => {
    const dir = tempDir();
    // Two nodes expected, one there: it keeps waiting until told to stop.
    const bin = fakeCluster(dir, await classicSave(), { "demo-control-plane": [] });
    const child = spawn(process.execPath, [path.join(projectDir, "runtime", "load-image.js"), "--preload", "node-app:1", "demo", "2"],
        { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    child.kill("SIGTERM");
    const code = await new Promise((resolve) => child.on("close", resolve));
    assert.equal(code, 0);
    assert.match(stdout, /^preload of node-app:1 skipped/m);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith("import-")), []);
});

test("a preload whose import fails changes nothing: one line, exit 0, for the load after it to send the image", async () => {
    const dir = tempDir();
    const bin = fakeCluster(dir, await classicSave(), { "demo-control-plane": [] }, ["always:demo-control-plane"]);
    const preload = spawnSync(process.execPath, [path.join(projectDir, "runtime", "load-image.js"), "--preload", "node-app:1", "demo", "1"],
        { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: "utf8", timeout: 20_000 });
    assert.equal(preload.status, 0);
    assert.equal(preload.stderr, 'preload of node-app:1 into kind cluster "demo" failed, the load after the cluster sends it: '
        + "node demo-control-plane: ctr images import failed: ctr: failed to ingest: no space left on device\n");
    assert.equal(preload.stdout, "");
});
