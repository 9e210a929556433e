#!/usr/bin/env node
// @ts-check
// Removes the app images this stack loaded into a Kind cluster's nodes that nothing runs any more,
// from each node's containerd and from the local Docker engine; every edit builds a new
// content-hash tag, and without this they pile up in both.
//
// Only images of the given repository under a content-hash tag (image.ts contentTag) are
// candidates, in a node only those the load labelled: the user's own `node-app:v1` is never one.
// An image a container of a node still uses is kept, and so, in Docker, is a tag any running Kind
// node holds, or one built in the last minutes that its load may not have reached yet.
//
// Usage: node runtime/prune-images.js IMAGE CLUSTER [KEEP...]   keep IMAGE, KEEP and what runs
//        node runtime/prune-images.js --all IMAGE CLUSTER       at destroy: the stack's tags, from Docker
"use strict";

const { execFile } = require("node:child_process");

/** The tags the stack gives its images: a hash of what the build sees. */
const contentTag = /^[0-9a-f]{16}$/;
/** The label runtime/load-image.js gives an image it loaded into a node. */
const loadedLabel = "kube-demo.image-id=";
const separator = "#--- containers ---";

/**
 * Runs a command; resolves with its stdout, rejects with its stderr's last line.
 * @param {string} command @param {string[]} args @returns {Promise<string>}
 */
function run(command, args) {
    return new Promise((resolve, reject) => {
        execFile(command, args, { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
            if (error) {
                reject(new Error(`${command} ${args.slice(0, 2).join(" ")} failed: ${stderr.trim().split("\n").pop() ?? error.message}`));
            } else {
                resolve(stdout);
            }
        });
    });
}

/** `repository:tag` split at the tag's colon (a registry's port has a colon too). @param {string} image */
function splitTag(image) {
    const colon = image.lastIndexOf(":");
    return colon > image.lastIndexOf("/") ? { repository: image.slice(0, colon), tag: image.slice(colon + 1) } : { repository: image, tag: "" };
}

/** The name containerd knows `repository` by (Docker's defaults made explicit); a tag after it is kept. @param {string} repository */
function containerdRepository(repository) {
    const slash = repository.indexOf("/");
    const first = slash < 0 ? "" : repository.slice(0, slash);
    const hasDomain = first.includes(".") || first.includes(":") || first === "localhost";
    return hasDomain ? repository : `docker.io/${slash < 0 ? "library/" : ""}${repository}`;
}

/**
 * What a node holds and runs, from `ctr images ls` and `ctr containers ls` (the image column:
 * the reference a container was created from; exited containers count until removed).
 * @param {string} listing
 * @returns {{ images: { ref: string, loaded: boolean }[], used: Set<string> }}
 */
function parseNodeListing(listing) {
    const [images = "", containers = ""] = listing.split(`\n${separator}\n`);
    const rows = (/** @type {string} */ text) => text.split("\n").slice(1).map((row) => row.trim().split(/\s+/)).filter((cols) => cols.length > 1);
    return {
        // Columns: REF TYPE DIGEST SIZE(2) PLATFORMS LABELS; the labels come last.
        images: rows(images).map((cols) => ({ ref: cols[0] ?? "", loaded: (cols[cols.length - 1] ?? "").split(",").some((l) => l.startsWith(loadedLabel)) })),
        used: new Set(rows(containers).map((cols) => cols[1] ?? "")),
    };
}

/**
 * The references of `repository` (containerd's name) to remove from a node: loaded by the
 * stack under a content tag, not kept, and used by no container.
 * @param {ReturnType<typeof parseNodeListing>} node @param {string} repository @param {Set<string>} keep containerd references
 */
function prunableRefs(node, repository, keep) {
    return node.images
        .filter(({ ref, loaded }) => {
            const { repository: repo, tag } = splitTag(ref);
            return loaded && repo === repository && contentTag.test(tag) && !keep.has(ref) && !node.used.has(ref);
        })
        .map(({ ref }) => ref);
}

/** @param {string} node */
async function listNode(node) {
    return parseNodeListing(await run("docker", ["exec", node, "sh", "-c",
        `ctr --namespace=k8s.io images ls && echo '${separator}' && ctr --namespace=k8s.io containers ls`]));
}

/**
 * Every Kind node container on the engine, by cluster.
 * @returns {Promise<{ name: string, cluster: string, running: boolean }[]>}
 */
async function kindNodes() {
    const out = await run("docker", ["ps", "--all", "--filter", "label=io.x-k8s.kind.cluster",
        "--format", '{{.Names}}\t{{.Label "io.x-k8s.kind.cluster"}}\t{{.State}}']);
    return out.split("\n").filter(Boolean).map((line) => {
        const [name = "", cluster = "", state = ""] = line.split("\t");
        return { name, cluster, running: state === "running" };
    });
}

/**
 * Removes `tags` of `repository` from Docker, each unless a Kind node holds it or a container
 * uses it (docker refuses those); resolves with the ones removed.
 * @param {string} repository @param {string[]} tags @param {Set<string>} held containerd references
 */
async function removeFromDocker(repository, tags, held) {
    const removable = tags.filter((tag) => !held.has(`${containerdRepository(repository)}:${tag}`));
    const removed = await Promise.all(removable.map((tag) => run("docker", ["image", "rm", "--", `${repository}:${tag}`]).then(() => tag, () => undefined)));
    return removed.filter((tag) => tag !== undefined);
}

/** How long a tag no node holds stays in Docker: a build and its load, on a cold start too, are minutes apart at most. */
const unloadedGraceMs = 5 * 60_000;

/**
 * The content tags of `repository` in Docker that no Kind node holds, last tagged over
 * `unloadedGraceMs` ago: left by a cluster that was recreated or deleted, not just built.
 * @param {string} repository @param {Set<string>} held containerd references
 */
async function unloadedTags(repository, held) {
    const listed = await run("docker", ["image", "ls", "--format", "{{.Tag}}", "--", repository]);
    const tags = [...new Set(listed.split("\n").filter((tag) => contentTag.test(tag) && !held.has(`${containerdRepository(repository)}:${tag}`)))];
    if (tags.length === 0) return [];
    const times = (await run("docker", ["image", "inspect", "--format", "{{json .Metadata.LastTagTime}}", ...tags.map((tag) => `${repository}:${tag}`)]))
        .split("\n").filter(Boolean).map((time) => Date.parse(String(JSON.parse(time))));
    return tags.filter((_, i) => (times[i] ?? Infinity) < Date.now() - unloadedGraceMs);
}

/**
 * Every containerd reference the running Kind nodes on the engine hold, but those of `skip`. A
 * stopped node cannot be asked; what it holds stays in it, and only a new cluster would need the
 * tag from Docker again, which the load then says in one line.
 * @param {{ name: string, cluster: string, running: boolean }[]} nodes @param {string} skip a cluster whose nodes were listed already
 * @returns {Promise<Set<string>>}
 */
async function heldByNodes(nodes, skip) {
    const others = nodes.filter((node) => node.cluster !== skip && node.running);
    // A node that stops meanwhile cannot be asked either.
    const lists = await Promise.all(others.map((node) => run("docker", ["exec", node.name, "ctr", "--namespace=k8s.io", "images", "ls", "--quiet"]).catch(() => "")));
    return new Set(lists.flatMap((list) => list.split("\n").filter(Boolean)));
}

/**
 * Removes the images of `image`'s repository that cluster `cluster` no longer needs: from each
 * node, those it loaded that are neither kept nor used by a container; from Docker, the same
 * tags and those no node holds any more (`unloadedTags`). Resolves with a line saying what was
 * removed, or undefined when nothing was.
 * @param {string} image the image just loaded @param {string} cluster @param {string[]} [keep] images kept besides it
 */
async function pruneImages(image, cluster, keep = []) {
    const { repository } = splitTag(image);
    const containerdName = containerdRepository(repository);
    const kept = new Set([image, ...keep].map((ref) => `${containerdName}:${splitTag(ref).tag}`));
    const nodes = await kindNodes();
    const own = nodes.filter((node) => node.cluster === cluster);
    if (own.length === 0 || own.some((node) => !node.running)) return undefined;
    const listings = await Promise.all(own.map((node) => listNode(node.name)));
    // A tag still used on one node is kept on every node, so each node can run what another runs.
    const used = new Set(listings.flatMap((listing) => [...listing.used]));
    const perNode = listings.map((listing) => prunableRefs(listing, containerdName, new Set([...kept, ...used])));
    await Promise.all(own.map((node, i) => {
        const refs = perNode[i] ?? [];
        return refs.length === 0 ? Promise.resolve("") : run("docker", ["exec", node.name, "ctr", "--namespace=k8s.io", "images", "rm", ...refs]);
    }));
    const fromNodes = [...new Set(perNode.flat().map((ref) => splitTag(ref).tag))].sort();

    const elsewhere = await heldByNodes(nodes, cluster);
    const removedRefs = new Set(perNode.flat());
    const held = new Set([...elsewhere, ...kept, ...listings.flatMap((listing) => listing.images.map(({ ref }) => ref)).filter((ref) => !removedRefs.has(ref))]);
    const unloaded = await unloadedTags(repository, new Set([...held, ...fromNodes.map((tag) => `${containerdName}:${tag}`)]));
    const fromDocker = await removeFromDocker(repository, [...fromNodes, ...unloaded], held);
    if (fromNodes.length === 0 && fromDocker.length === 0) return undefined;
    const where = own.length === 1 ? "the node" : `${String(own.length)} nodes`;
    return `old images of ${repository} removed: ${fromNodes.length > 0 ? `${fromNodes.join(", ")} from ${where}` : `none from ${where}`}`
        + `; ${fromDocker.length > 0 ? fromDocker.sort().join(", ") : "none"} from Docker`;
}

/**
 * At destroy, before the cluster goes: removes from Docker `image` and every tag of its
 * repository the cluster's nodes hold as loaded by the stack or no node holds any more, unless
 * another Kind cluster holds it. Resolves with a line saying what was removed.
 * @param {string} image the image the pods run @param {string} cluster
 */
async function removeAll(image, cluster) {
    const { repository, tag } = splitTag(image);
    const containerdName = containerdRepository(repository);
    const nodes = await kindNodes();
    const own = nodes.filter((node) => node.cluster === cluster && node.running);
    const listings = await Promise.all(own.map((node) => listNode(node.name).catch(() => undefined)));
    const loaded = listings.flatMap((listing) => listing ? prunableRefs({ ...listing, used: new Set() }, containerdName, new Set()) : []);
    const elsewhere = await heldByNodes(nodes, cluster);
    const tags = [...new Set([tag, ...loaded.map((ref) => splitTag(ref).tag), ...await unloadedTags(repository, elsewhere)])]
        .filter((t) => contentTag.test(t)).sort();
    const removed = await removeFromDocker(repository, tags, elsewhere);
    return removed.length === 0 ? undefined : `images of ${repository} removed from Docker: ${removed.join(", ")}`;
}

module.exports = { containerdRepository, contentTag, parseNodeListing, prunableRefs, pruneImages, removeAll, splitTag };

if (require.main === module) {
    const args = process.argv.slice(2);
    const all = args[0] === "--all";
    const [image, cluster, ...keep] = all ? args.slice(1) : args;
    if (!image || !cluster) {
        console.error("usage: node runtime/prune-images.js IMAGE CLUSTER [KEEP...]\n       node runtime/prune-images.js --all IMAGE CLUSTER");
        process.exit(2);
    }
    (all ? removeAll(image, cluster) : pruneImages(image, cluster, keep)).then(
        (line) => { if (line) console.log(line); },
        (/** @type {unknown} */ error) => {
            // Old images cost disk, not correctness: a failed prune is said, and the next one retries.
            console.error(`removing old images of ${image} skipped: ${/** @type {Error} */ (error).message}`);
        });
}
