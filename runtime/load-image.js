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
// Faster still, with the cluster's registry (REGISTRY_IMAGE set; kind's local-registry
// pattern): the image is pushed to a registry container on the nodes' network and each node
// pulls it. Docker pushes only the layers the registry lacks and containerd fetches only the
// layers it has no snapshot of, so an edit moves its few KB without `docker save` reading the
// whole image (BENCHMARKS.md, bytes per edit). The registry is started
// and given the base layers in the background, after a load that did not need it; until then,
// and whenever it fails, the load sends layers as above.
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
const { containerdRepository, pruneImages, splitTag } = require("./prune-images");

/** Every child process running now: a preload that stops stops them too. */
/** @type {Set<import("node:child_process").ChildProcess>} */
const children = new Set();

/**
 * @template {import("node:child_process").ChildProcess} T
 * @param {T} child @returns {T}
 */
function tracked(child) {
    children.add(child);
    child.on("close", () => children.delete(child));
    return child;
}

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
 * @param {string} command @param {string[]} args @param {NodeJS.ReadableStream} [input] @param {AbortSignal} [signal]
 * @returns {Promise<string>}
 */
async function run(command, args, input, signal) {
    const child = tracked(spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], ...(signal ? { signal } : {}) }));
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
    const named = containerdRepository(image);
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

/** The label a loaded image carries in a node: the Docker image ID it was loaded from. */
const imageIdLabel = "kube-demo.image-id";

/**
 * The node's snapshotter, the digests in its content store and the image ID label of
 * `reference` there (undefined when the node lacks the image), asked in one `docker exec`.
 * @param {string} node @param {string} reference
 */
async function nodeStore(node, reference) {
    const separator = "#--- content ---";
    const out = await run("docker", ["exec", node, "sh", "-c",
        `containerd config dump && echo '${separator}' && ctr --namespace=k8s.io content ls --quiet && echo '${separator}' && ctr --namespace=k8s.io images ls`]);
    const [configDump = "", digests = "", images = ""] = out.split(`\n${separator}\n`);
    // Columns: REF TYPE DIGEST SIZE PLATFORMS LABELS; the labels (no spaces) come last.
    const line = images.split("\n").find((row) => row.split(/\s+/)[0] === reference);
    const labels = line?.trim().split(/\s+/).pop() ?? "";
    const loadedFrom = labels.split(",").find((label) => label.startsWith(`${imageIdLabel}=`))?.slice(imageIdLabel.length + 1);
    return { snapshotter: criSnapshotter(configDump), present: new Set(digests.split(/\s+/).filter(Boolean)), loadedFrom };
}

/** The ID of `image` in the local Docker engine. @param {string} image */
async function imageId(image) {
    return (await run("docker", ["image", "inspect", "--format", "{{.Id}}", "--", image])).trim();
}

/** Whether the Docker engine answers within five seconds. */
function engineAnswers() {
    return run("docker", ["version", "--format", "{{.Server.Version}}"], undefined, AbortSignal.timeout(5000)).then(() => true, () => false);
}

/** @param {string} image @param {string} dir @param {AbortSignal} signal */
async function saveImage(image, dir, signal) {
    // "--": the image is never read as an option, whatever it starts with (this script also runs by hand).
    const child = tracked(spawn("docker", ["save", "--", image], { stdio: ["ignore", "pipe", "pipe"], signal }));
    const [read, exit] = await Promise.allSettled([readSavedImage(child.stdout, dir), exited(child, `docker save ${image}`)]);
    // docker's own message first: a failed save also leaves an unreadable archive.
    if (exit.status === "rejected") throw exit.reason;
    if (read.status === "rejected") throw read.reason;
    return read.value;
}

/** The cause at the end of a command's error, on one line: its stderr's last line. */
const lastLine = (/** @type {string} */ text) => text.trim().split("\n").filter(Boolean).pop() ?? text;

/** The container of cluster `cluster`'s registry; the nodes reach it by this name on their network. @param {string} cluster */
const registryContainer = (cluster) => `${cluster}-registry`;
/** The label of a registry this script started: the cluster it serves (cluster.ts removes it with the cluster). */
const registryLabel = "kube-demo.registry-of";

/**
 * Where this machine reaches cluster `cluster`'s registry (`127.0.0.1:PORT`), if it runs and
 * already holds an image of `repository` (so a push sends only new layers); else undefined.
 * @param {string} cluster @param {string} repository
 */
async function readyRegistry(cluster, repository) {
    const address = await registryAddress(cluster).catch(() => undefined);
    if (!address) return undefined;
    const answer = await fetch(`http://${address}/v2/${repository}/tags/list`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    /** @type {{ tags?: string[] | null }} */
    const listed = answer?.ok ? asType(await answer.json()) : {};
    return (listed.tags ?? []).length > 0 ? address : undefined;
}

/**
 * Where this machine reaches the running registry of cluster `cluster` (`127.0.0.1:PORT`), or
 * undefined when it is stopped. Rejects when there is no such container, or when a container of
 * that name is not one this script started for the cluster (it is left alone).
 * @param {string} cluster
 */
async function registryAddress(cluster) {
    const name = registryContainer(cluster);
    const [owner = "", running = "", ...published] = (await run("docker", ["inspect", "--format",
        `{{index .Config.Labels "${registryLabel}"}} {{.State.Running}} {{range (index .NetworkSettings.Ports "5000/tcp")}}{{.HostIp}}:{{.HostPort}} {{end}}`, name]))
        .trim().split(/\s+/);
    if (owner !== cluster) throw new Error(`the container ${name} is not this cluster's registry (label ${registryLabel}=${owner})`);
    return running === "true" ? published.find((address) => address.startsWith("127.0.0.1:")) : undefined;
}

/**
 * Pushes `image` to the registry at `address` (`127.0.0.1:PORT`); the tag that names it there
 * is removed again, so Docker lists the image under its own name alone.
 * @param {string} image @param {string} address
 */
async function pushToRegistry(image, address) {
    const { repository, tag } = splitTag(image);
    const pushed = `${address}/${repository}:${tag}`;
    await run("docker", ["tag", image, pushed]);
    try {
        await run("docker", ["push", "--quiet", pushed]);
    } finally {
        await run("docker", ["image", "rm", pushed]).catch(() => undefined);
    }
    return { repository, tag };
}

/**
 * Starts cluster `cluster`'s registry from `registryImage` unless it exists (on the network of
 * the cluster's nodes, published on 127.0.0.1 only, on a port Docker picks), and pushes `image`
 * to it. Run detached after a load (the `--seed` mode below): the first push sends the whole
 * image, and pulling `registryImage` may take long or fail; neither delays an update.
 * @param {string} image @param {string} cluster @param {string} registryImage
 */
async function seedRegistry(image, cluster, registryImage) {
    const name = registryContainer(cluster);
    const exists = await run("docker", ["inspect", "--format", "{{.State.Running}}", name]).then(() => true, () => false);
    if (!exists) {
        const networks = await run("docker", ["inspect", "--format", "{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}", `${cluster}-control-plane`]);
        const network = networks.trim().split(/\s+/)[0] ?? "kind";
        await run("docker", ["run", "--detach", "--name", name, "--label", `${registryLabel}=${cluster}`, "--network", network,
            "--publish", "127.0.0.1::5000", "--restart", "unless-stopped", "--", registryImage]);
    } else if (await registryAddress(cluster) === undefined) { // refuses a container of that name that is not ours
        await run("docker", ["start", name]);
    }
    const address = await registryAddress(cluster);
    if (!address) throw new Error(`${name} publishes no port on 127.0.0.1`);
    // A registry container answers a moment after it starts.
    for (let tries = 0; !await fetch(`http://${address}/v2/`).then((answer) => answer.ok, () => false); tries++) {
        if (tries > 50) throw new Error(`${name} does not answer on ${address}`);
        await sleep(100);
    }
    await pushToRegistry(image, address);
}

/**
 * Starts the seed (seedRegistry) in a process of its own, which outlives this one.
 * @param {string} image @param {string} cluster @param {string} registryImage
 */
function seedInBackground(image, cluster, registryImage) {
    spawn(process.execPath, [__filename, "--seed", image, cluster, registryImage], { detached: true, stdio: "ignore", cwd: os.tmpdir() }).unref();
}

/**
 * Once `image` is pushed to the cluster's registry at `address`, has each node of `stores` pull it,
 * under the name Kubernetes uses and with the Docker image ID label; resolves with a line per node.
 * @param {{ node: string, snapshotter: string | undefined, present: Set<string> }[]} stores
 * @param {string} image @param {string} reference @param {string} id @param {string} cluster @param {string} address
 * @param {Promise<{ repository: string, tag: string }>} pushing the push of `image` to `address`, under way
 */
async function pullThroughRegistry(stores, image, reference, id, cluster, address, pushing) {
    const { repository, tag } = await pushing;
    const source = `${registryContainer(cluster)}:5000/${repository}:${tag}`;
    // What each node lacks, for the report: containerd fetches a layer only without its snapshot.
    const [manifest, diffIds] = await Promise.all([
        fetch(`http://${address}/v2/${repository}/manifests/${tag}`, { headers: { accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json" } })
            .then(async (answer) => /** @type {{ config: { size: number }, layers: { digest: string, size: number }[] }} */ (asType(await answer.json()))),
        imageLayers(image),
    ]);
    return Promise.all(stores.map(async ({ node, snapshotter, present }) => {
        try {
            // The names and the ID reach the shell as its arguments, never as script text.
            await run("docker", ["exec", node, "sh", "-c",
                `ctr --namespace=k8s.io images pull --plain-http ${snapshotter ? `--snapshotter=${snapshotter} ` : ""}"$1" >/dev/null`
                + ` && ctr --namespace=k8s.io images tag --force "$1" "$2" >/dev/null`
                + ` && ctr --namespace=k8s.io images label "$2" "${imageIdLabel}=$3" >/dev/null`
                + ` && ctr --namespace=k8s.io images rm "$1" >/dev/null`, "sh", source, reference, id]);
        } catch (error) {
            throw new Error(`node ${node}: ctr images pull from ${source} failed: ${lastLine(/** @type {Error} */ (error).message)}`);
        }
        const lacking = manifest.layers.filter((layer, i) => !present.has(layer.digest) && !present.has(diffIds[i] ?? ""));
        const bytes = lacking.reduce((sum, layer) => sum + layer.size, manifest.config.size);
        return `${image} -> ${node}: ${lacking.length} of ${manifest.layers.length} layers sent, ${bytes} bytes, through the cluster's registry`;
    }));
}

/** The diff IDs of `image`'s layers, in order. @param {string} image @returns {Promise<string[]>} */
async function imageLayers(image) {
    return asType(JSON.parse(await run("docker", ["image", "inspect", "--format", "{{json .RootFS.Layers}}", "--", image])));
}

/**
 * Loads `image` into every node of kind cluster `cluster`; resolves with a line per node.
 * A node that already holds this very image (same name, loaded from the same Docker image ID:
 * a tag can be built again from another base) is sent nothing.
 * @param {string} image @param {string} cluster
 * @param {string | undefined} registryImage the image of the cluster's registry (none: the layers are sent by docker save)
 * @param {Promise<unknown>} built settles once `image` is built: the nodes and the registry are asked meanwhile
 * @returns {Promise<string[]>}
 */
async function loadImage(image, cluster, registryImage = process.env.REGISTRY_IMAGE, built = Promise.resolve()) {
    const reference = containerdReference(image);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-load-"));
    const saveAborted = new AbortController();
    /** @type {string[]} */
    const notes = [];
    try {
        // The registry and the nodes are asked while the image is built; each is awaited below.
        const registryFound = registryImage ? readyRegistry(cluster, splitTag(image).repository) : Promise.resolve(undefined);
        const storesRead = run("kind", ["get", "nodes", "--name", cluster]).then((out) => {
            const nodes = out.split(/\s+/).filter(Boolean);
            if (nodes.length === 0) {
                throw new Error(`kind cluster "${cluster}" has no nodes (kind get nodes --name ${cluster})`);
            }
            return Promise.all(nodes.map((node) => nodeStore(node, reference).then((store) => ({ node, ...store }), (/** @type {unknown} */ error) => {
                throw new Error(`node ${node}: cannot list its containerd content: ${lastLine(/** @type {Error} */ (error).message)}`);
            })));
        });
        registryFound.catch(() => {});
        storesRead.catch(() => {});
        await built;
        // What takes longest starts first, and the nodes are asked while it runs: the push to the
        // cluster's registry when it is ready, else docker save.
        const registry = await registryFound;
        const pushing = registry ? pushToRegistry(image, registry) : undefined;
        const saving = pushing ? undefined : saveImage(image, dir, saveAborted.signal);
        // Each is awaited below, unless no node needs the image.
        pushing?.catch(() => {});
        saving?.catch(() => {});
        const [id, stores] = await Promise.all([imageId(image), storesRead]);
        const lacking = stores.filter((store) => store.loadedFrom !== id);
        if (lacking.length === 0) {
            saveAborted.abort();
        }
        /** @type {string[]} */
        let sent = [];
        if (lacking.length > 0 && registry && pushing) {
            sent = await pullThroughRegistry(lacking, image, reference, id, cluster, registry, pushing).catch(async (/** @type {unknown} */ error) => {
                notes.push(`the cluster's registry failed (${lastLine(/** @type {Error} */ (error).message)}); sending the layers instead`);
                return sendTo(lacking, image, reference, id, await saveImage(image, dir, new AbortController().signal));
            });
        } else if (lacking.length > 0 && saving) {
            sent = await sendTo(lacking, image, reference, id, await saving);
        }
        if (!registry && registryImage) {
            seedInBackground(image, cluster, registryImage);
        }
        return [...notes, ...stores.map(({ node }) => sent.find((line) => line.startsWith(`${image} -> ${node}:`)) ?? `${image} -> ${node}: already there, nothing sent`)];
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/**
 * Imports `saved` into each node of `stores`, sending only the layers it lacks, and labels it
 * with the Docker image ID; resolves with a line per node.
 * @param {{ node: string, snapshotter: string | undefined, present: Set<string> }[]} stores
 * @param {string} image @param {string} reference @param {string} id @param {SavedImage} saved
 */
function sendTo(stores, image, reference, id, saved) {
    return Promise.all(stores.map(async ({ node, snapshotter, present }) => {
        // The reference and the ID reach the shell as its arguments, never as script text.
        const importArgs = ["exec", "-i", node, "sh", "-c",
            `ctr --namespace=k8s.io images import --all-platforms --digests ${snapshotter ? `--snapshotter=${snapshotter} ` : ""}- `
            + `&& ctr --namespace=k8s.io images label "$1" "${imageIdLabel}=$2" >/dev/null`, "sh", reference, id];
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
}

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once `image` is in the local engine and each of the `nodeCount` nodes of `cluster`
 * has a containerd that answers; resolves false if `stopped()` first.
 * @param {string} image @param {string} cluster @param {number} nodeCount @param {() => boolean} stopped
 */
async function untilLoadable(image, cluster, nodeCount, stopped) {
    const succeeds = (/** @type {Promise<unknown>} */ promise) => promise.then(() => true, () => false);
    while (!stopped()) {
        const [built, nodes] = await Promise.all([succeeds(imageId(image)),
            run("kind", ["get", "nodes", "--name", cluster]).then((out) => out.split(/\s+/).filter(Boolean), () => [])]);
        if (built && nodes.length === nodeCount) {
            const answers = await Promise.all(nodes.map((node) => succeeds(run("docker", ["exec", node, "ctr", "--namespace=k8s.io", "version"]))));
            if (answers.every(Boolean)) return true;
        }
        await sleep(500);
    }
    return false;
}

/**
 * The preload: run by the cluster's create script beside `kind create cluster`, it loads the
 * app's image into the nodes while kubeadm still starts them, so the load after the cluster
 * finds it there. It stops on SIGTERM (kind returned) unless its import has begun, once its
 * parent is gone (an interrupted up), or after ten minutes.
 * @param {string} image @param {string} cluster @param {number} nodeCount
 */
async function preload(image, cluster, nodeCount) {
    const parent = process.ppid;
    const giveUp = Date.now() + 10 * 60_000;
    let importing = false;
    let terminated = false;
    process.on("SIGTERM", () => {
        terminated = true;
        if (!importing) {
            for (const child of children) child.kill();
        }
    });
    const stopped = () => terminated || process.ppid !== parent || Date.now() > giveUp;
    if (!await untilLoadable(image, cluster, nodeCount, stopped)) {
        return [`preload of ${image} skipped: the cluster was up before the image was built`];
    }
    importing = true;
    return (await loadImage(image, cluster)).map((line) => `preloaded ${line}`);
}

module.exports = { containerdReference, criSnapshotter, loadImage, ociArchive, readSavedImage };

/** The command line: a load, a preload or a seed (see above). @param {string[]} args */
function main(args) {
    if (args[0] === "--seed") {
        // Detached from the load that started it: nothing reads its output, and a failure only
        // means the next load sends layers itself (and starts another seed).
        const [, image = "", cluster = "", registryImage = process.env.REGISTRY_IMAGE ?? ""] = args;
        seedRegistry(image, cluster, registryImage).then(() => { process.exit(0); }, () => { process.exit(1); });
        return;
    }
    const preloading = args[0] === "--preload";
    const [image, cluster, nodeCount] = preloading ? args.slice(1) : args;
    if (!image || !cluster || (preloading && !Number(nodeCount))) {
        console.error("usage: node runtime/load-image.js IMAGE CLUSTER\n       node runtime/load-image.js --preload IMAGE CLUSTER NODE_COUNT");
        process.exit(2);
    }
    // Beside the load, not after it: the images it removes are ones no container uses.
    const pruned = preloading ? Promise.resolve(undefined) : pruneImages(image, cluster).catch((/** @type {unknown} */ error) =>
        `removing old images of ${image} skipped: ${/** @type {Error} */ (error).message}`);
    (preloading ? preload(image, cluster, Number(nodeCount)) : loadImage(image, cluster)).then(async (lines) => [...lines, await pruned]).then(
        (lines) => { console.log(lines.filter(Boolean).join("\n")); },
        (/** @type {unknown} */ error) => {
            const cause = /** @type {Error} */ (error).message;
            if (preloading) {
                // A failed preload changes nothing: the load after the cluster sends what is missing.
                console.error(`preload of ${image} into kind cluster "${cluster}" failed, the load after the cluster sends it: ${cause}`);
                process.exit(0);
            }
            // The engine gone mid-load fails each docker call its own way: say what they share.
            Promise.all([engineAnswers(), imageId(image).then(() => true, () => false)]).then(([answers, built]) => {
                const build = process.env.BUILD_URN;
                console.error(!answers
                    ? `loading ${image} into kind cluster "${cluster}" failed: the Docker engine stopped answering (${lastLine(cause)}); start it again and rerun the update`
                    // The docker provider does not notice an image gone from the engine: it must be told to build.
                    : !built && build
                        ? `loading ${image} into kind cluster "${cluster}" failed: the image is no longer in Docker (removed by hand, or as an old image of another stack with the same imageName); build it again: pulumi up --replace '${build}'`
                        : `loading ${image} into kind cluster "${cluster}" failed: ${cause}`);
                process.exit(1);
            }, () => { process.exit(1); });
        });
}

if (require.main === module) {
    main(process.argv.slice(2));
}
