#!/usr/bin/env node
// @ts-check
// Loads an image from the local Docker engine into every node of a Kind cluster, like
// `kind load docker-image`, but sends each node only the layers it does not have yet.
//
// Why: kind load saves the whole image and pipes all of it into each node's containerd on
// every load, so a one-line code change moves the base image along with it (100 MB, about
// 2.5 s here). Layers are content-addressed: a node that already holds the base layers needs
// only the app's new layers, the image config and a manifest. This sends exactly those, as
// an OCI image layout, to the same `ctr images import` kind uses; containerd takes the other
// layers from its own store.
//
// Usage: node runtime/load-image.js IMAGE CLUSTER     (image.ts runs it; works by hand too)
"use strict";

const { spawn } = require("node:child_process");
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { pipeline } = require("node:stream/promises");
const toml = require("smol-toml");
const tar = require("tar-stream");
const { asType } = require("./as-type");

const ociManifestType = "application/vnd.oci.image.manifest.v1+json";
const ociConfigType = "application/vnd.oci.image.config.v1+json";

/** @typedef {{ digest: string, size: number, mediaType: string, file: string }} Blob */
/** @typedef {{ config: Blob, layers: Blob[] }} SavedImage */
/** An entry of a `docker save` archive's manifest.json. @typedef {{ Config: string, Layers: string[] }} SaveManifest */
/** The part of an image config read here. @typedef {{ rootfs: { diff_ids: string[] } }} ImageConfig */

const sha256 = (/** @type {Buffer} */ bytes) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/**
 * Resolves when `child` exits with 0; rejects with its stderr otherwise.
 * @param {import("node:child_process").ChildProcess} child @param {string} description
 * @returns {Promise<void>}
 */
function exited(child, description) {
    /** @type {Buffer[]} */ const err = [];
    child.stderr?.on("data", (/** @type {Buffer} */ chunk) => err.push(chunk));
    return new Promise((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code) => {
            if (code === 0) {
                resolve();
            } else {
                reject(new Error(`${description} failed (exit ${code}): ${Buffer.concat(err).toString().trim()}`));
            }
        });
    });
}

/**
 * Runs a command with `input` on its stdin; resolves with its stdout.
 * @param {string} command @param {string[]} args @param {NodeJS.ReadableStream} [input]
 * @returns {Promise<string>}
 */
async function run(command, args, input) {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    /** @type {Buffer[]} */ const out = [];
    child.stdout.on("data", (/** @type {Buffer} */ chunk) => out.push(chunk));
    // A command that exits early closes its stdin; its exit code tells what happened.
    child.stdin.on("error", () => {});
    const inputFailed = new Promise((_, reject) => input?.on("error", (/** @type {Error} */ error) => {
        child.kill();
        reject(error);
    }));
    if (input) {
        input.pipe(child.stdin);
    } else {
        child.stdin.end();
    }
    await Promise.race([exited(child, `${command} ${args.join(" ")}`), inputFailed]);
    return Buffer.concat(out).toString();
}

/**
 * Reads a `docker save` archive (the classic layout with `<id>/layer.tar`, or Docker 25's OCI
 * layout) into `dir`, and describes the image's config and layers as content-addressed blobs.
 * @param {NodeJS.ReadableStream} archive @param {string} dir
 * @returns {Promise<SavedImage>}
 */
async function readSavedImage(archive, dir) {
    /** @type {Map<string, { file: string, size: number }>} */
    const entries = new Map();
    const extract = tar.extract();
    extract.on("entry", (header, stream, next) => {
        if (header.type !== "file") {
            stream.on("end", () => { next(); }).resume();
            return;
        }
        // Files are stored under their position, so no entry name ever becomes a path here.
        const file = path.join(dir, String(entries.size));
        entries.set(path.posix.normalize(header.name), { file, size: header.size ?? 0 });
        pipeline(stream, fs.createWriteStream(file)).then(() => { next(); }, next);
    });
    await pipeline(archive, extract);

    const entry = (/** @type {string} */ name) => {
        const found = entries.get(path.posix.normalize(name));
        if (!found) throw new Error(`the image archive from docker save has no ${name}`);
        return found;
    };
    /** @type {[SaveManifest, ...SaveManifest[]]} one entry: one image was saved */
    const [manifest] = asType(JSON.parse(fs.readFileSync(entry("manifest.json").file, "utf8")));
    const configEntry = entry(manifest.Config);
    const configBytes = fs.readFileSync(configEntry.file);
    /** @type {ImageConfig} */
    const imageConfig = asType(JSON.parse(configBytes.toString()));
    const diffIds = imageConfig.rootfs.diff_ids;
    return {
        config: { digest: sha256(configBytes), size: configBytes.length, mediaType: ociConfigType, file: configEntry.file },
        layers: manifest.Layers.map((name, i) => {
            const { file, size } = entry(name);
            // Docker 25+ names blobs by digest; before, layer.tar is the uncompressed layer,
            // whose digest is its diff ID.
            const named = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(path.posix.normalize(name));
            const digest = named ? `sha256:${named[1]}` : diffIds[i];
            if (digest === undefined) throw new Error(`the image archive from docker save has no diff ID for layer ${name}`);
            return { digest, size, mediaType: layerMediaType(file), file };
        }),
    };
}

/** @param {string} file */
function layerMediaType(file) {
    const head = Buffer.alloc(4);
    const fd = fs.openSync(file, "r");
    try {
        fs.readSync(fd, head, 0, head.length, 0);
    } finally {
        fs.closeSync(fd);
    }
    if (head[0] === 0x1f && head[1] === 0x8b) return "application/vnd.oci.image.layer.v1.tar+gzip";
    if (head.equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return "application/vnd.oci.image.layer.v1.tar+zstd";
    return "application/vnd.oci.image.layer.v1.tar";
}

/**
 * The name containerd (and so the kubelet) knows an image by: `node-app:1` is
 * `docker.io/library/node-app:1`, as Docker and Kubernetes resolve it.
 * @param {string} image
 */
function containerdReference(image) {
    const slash = image.indexOf("/");
    const first = slash < 0 ? "" : image.slice(0, slash);
    const hasDomain = first.includes(".") || first.includes(":") || first === "localhost";
    const named = hasDomain ? image : `docker.io/${slash < 0 ? "library/" : ""}${image}`;
    const lastPart = named.slice(named.lastIndexOf("/") + 1);
    return lastPart.includes(":") || lastPart.includes("@") ? named : `${named}:latest`;
}

/**
 * An OCI image layout naming `reference`, with the manifest and config of `image` and, of its
 * layers, only `layersToSend`: containerd resolves the others from the node's content store.
 * @param {string} reference @param {SavedImage} image @param {Blob[]} layersToSend
 * @returns {NodeJS.ReadableStream}
 */
function ociArchive(reference, image, layersToSend) {
    const descriptor = (/** @type {Blob} */ blob) => ({ mediaType: blob.mediaType, digest: blob.digest, size: blob.size });
    const manifest = Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: ociManifestType,
        config: descriptor(image.config),
        layers: image.layers.map(descriptor),
    }));
    const manifestDigest = sha256(manifest);
    const index = {
        schemaVersion: 2,
        manifests: [{
            mediaType: ociManifestType,
            digest: manifestDigest,
            size: manifest.length,
            annotations: {
                "io.containerd.image.name": reference,
                "org.opencontainers.image.ref.name": reference.slice(reference.lastIndexOf(":") + 1),
            },
        }],
    };
    const blobPath = (/** @type {string} */ digest) => `blobs/${digest.replace(":", "/")}`;

    const pack = tar.pack();
    const addFile = (/** @type {Blob} */ blob) => new Promise((resolve, reject) => {
        const entry = pack.entry({ name: blobPath(blob.digest), size: blob.size }, (error) => {
            if (error) {
                reject(error);
            } else {
                resolve(undefined);
            }
        });
        fs.createReadStream(blob.file).on("error", reject).pipe(entry);
    });
    (async () => {
        pack.entry({ name: "oci-layout" }, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
        pack.entry({ name: "index.json" }, JSON.stringify(index));
        pack.entry({ name: blobPath(manifestDigest) }, manifest);
        const sent = new Set();
        for (const blob of [image.config, ...layersToSend]) {
            if (!sent.has(blob.digest)) {
                sent.add(blob.digest);
                await addFile(blob);
            }
        }
        pack.finalize();
    })().catch((/** @type {unknown} */ error) => pack.destroy(/** @type {Error} */ (error)));
    return pack;
}

/**
 * The snapshotter the node's CRI unpacks images with, read from containerd's configuration
 * as kind does (config version 2, or 3 and later); undefined leaves ctr's default.
 * @param {string} configDump output of `containerd config dump`
 * @returns {string | undefined}
 */
function criSnapshotter(configDump) {
    /**
     * The settings read here, of config version 2 or 3.
     * @type {{
     *   version?: unknown,
     *   plugins?: {
     *     "io.containerd.grpc.v1.cri"?: { containerd?: { snapshotter?: unknown } },
     *     "io.containerd.cri.v1.images"?: { snapshotter?: unknown },
     *   },
     * }}
     */
    const config = asType(toml.parse(configDump));
    const plugins = config.plugins ?? {};
    const snapshotter = config.version === 2
        ? plugins["io.containerd.grpc.v1.cri"]?.containerd?.snapshotter
        : plugins["io.containerd.cri.v1.images"]?.snapshotter;
    return typeof snapshotter === "string" && snapshotter !== "" ? snapshotter : undefined;
}

/**
 * The node's snapshotter and the digests in its content store, asked in one `docker exec`.
 * @param {string} node
 */
async function nodeStore(node) {
    const separator = "#--- content ---";
    const out = await run("docker", ["exec", node, "sh", "-c",
        `containerd config dump && echo '${separator}' && ctr --namespace=k8s.io content ls --quiet`]);
    const [configDump = "", digests] = out.split(`\n${separator}\n`);
    return { snapshotter: criSnapshotter(configDump), present: new Set((digests ?? "").split(/\s+/).filter(Boolean)) };
}

/** @param {string} image @param {string} dir */
async function saveImage(image, dir) {
    // "--": the image is never read as an option, whatever it starts with (this script also runs by hand).
    const child = spawn("docker", ["save", "--", image], { stdio: ["ignore", "pipe", "pipe"] });
    const [read, exit] = await Promise.allSettled([readSavedImage(child.stdout, dir), exited(child, `docker save ${image}`)]);
    // docker's own message first: a failed save also leaves an unreadable archive.
    if (exit.status === "rejected") throw exit.reason;
    if (read.status === "rejected") throw read.reason;
    return read.value;
}

/** The cause at the end of a command's error, on one line: its stderr's last line. */
const lastLine = (/** @type {string} */ text) => text.trim().split("\n").filter(Boolean).pop() ?? text;

/**
 * Loads `image` into every node of kind cluster `cluster`; resolves with a line per node.
 * @param {string} image @param {string} cluster
 * @returns {Promise<string[]>}
 */
async function loadImage(image, cluster) {
    const reference = containerdReference(image);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-load-"));
    try {
        // docker save takes longest: it starts first, and the nodes are asked while it runs.
        const saving = saveImage(image, dir);
        saving.catch(() => {}); // awaited below, unless the cluster has no nodes
        const nodes = (await run("kind", ["get", "nodes", "--name", cluster])).split(/\s+/).filter(Boolean);
        if (nodes.length === 0) {
            throw new Error(`kind cluster "${cluster}" has no nodes (kind get nodes --name ${cluster})`);
        }
        const [saved, ...stores] = await Promise.all([saving, ...nodes.map((node) => nodeStore(node).then((store) => ({ node, ...store }), (/** @type {unknown} */ error) => {
            throw new Error(`node ${node}: cannot list its containerd content: ${lastLine(/** @type {Error} */ (error).message)}`);
        }))]);
        return await Promise.all(stores.map(async ({ node, snapshotter, present }) => {
            const importArgs = ["exec", "-i", node, "ctr", "--namespace=k8s.io", "images", "import",
                "--all-platforms", "--digests", ...(snapshotter ? [`--snapshotter=${snapshotter}`] : []), "-"];
            let layers = saved.layers.filter((layer) => !present.has(layer.digest));
            try {
                try {
                    await run("docker", importArgs, ociArchive(reference, saved, layers));
                } catch (error) {
                    if (layers.length === saved.layers.length) throw error;
                    // The node dropped a layer since it was listed (image garbage collection): send all.
                    layers = saved.layers;
                    await run("docker", importArgs, ociArchive(reference, saved, layers));
                }
            } catch (error) {
                throw new Error(`node ${node}: ctr images import failed: ${lastLine(/** @type {Error} */ (error).message)}`);
            }
            const bytes = [saved.config, ...layers].reduce((sum, blob) => sum + blob.size, 0);
            return `${image} -> ${node}: ${layers.length} of ${saved.layers.length} layers sent, ${bytes} bytes`;
        }));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

module.exports = { containerdReference, criSnapshotter, loadImage, ociArchive, readSavedImage };

if (require.main === module) {
    const [image, cluster] = process.argv.slice(2);
    if (!image || !cluster) {
        console.error("usage: node runtime/load-image.js IMAGE CLUSTER");
        process.exit(2);
    }
    loadImage(image, cluster).then(
        (lines) => { console.log(lines.join("\n")); },
        (/** @type {unknown} */ error) => {
            console.error(`loading ${image} into kind cluster "${cluster}" failed: ${/** @type {Error} */ (error).message}`);
            process.exit(1);
        });
}
