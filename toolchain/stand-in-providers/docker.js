#!/usr/bin/env node
// pulumi-resource-docker 4.11.0, offline stand-in (see README.md next to this file).
//
// Upstream's plugin is a Go module the reachable Go module proxy does not serve, and plugin
// downloads are impossible here. This plugin serves the same ResourceProvider gRPC service with
// the provider server of the project's own @pulumi/pulumi, for the part of the package the
// project uses: `docker:index/image:Image` built locally with `skipPush: true`, with upstream's
// names, inputs and outputs. It builds with the docker CLI (`docker build`, the classic
// builder: this machine's CLI has no buildx). Written from scratch; not a copy of upstream code.
"use strict";

const childProcess = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const PROVIDER_VERSION = "4.11.0";
const IMAGE_TYPE = "docker:index/image:Image";

const { requireType, providerServer, resolveFrom, logInfo, logsFlushed, UNKNOWN, isSecret, secret, reveal, containsUnknown, sameValue } =
    require("./support.js")("pulumi-resource-docker");

// ---- Build context -----------------------------------------------------------------------
function loadDockerignore() {
    let factory;
    try {
        factory = require(resolveFrom(process.cwd(), "@balena/dockerignore"));
    } catch (err) {
        throw new Error("pulumi-resource-docker (stand-in) needs @balena/dockerignore in the project's node_modules (npm install @balena/dockerignore)");
    }
    return factory.default || factory;
}

/** The effective context and Dockerfile paths (relative ones against the project directory). */
function buildPaths(build) {
    const context = build.context || ".";
    const dockerfile = build.dockerfile || path.join(context, "Dockerfile");
    return {
        context,
        dockerfile,
        contextAbs: path.resolve(process.cwd(), context),
        dockerfileAbs: path.resolve(process.cwd(), dockerfile),
    };
}

/**
 * sha256 over what `docker build` sees: every file of the context that .dockerignore lets
 * through (path, mode, bytes; symlinks by target), plus the Dockerfile.
 */
function contextDigest(contextAbs, dockerfileAbs) {
    const ignoreFile = path.join(contextAbs, ".dockerignore");
    const lines = fs.existsSync(ignoreFile) ? fs.readFileSync(ignoreFile, "utf8").split(/\r?\n/) : [];
    const ignore = loadDockerignore()().add(lines);
    // An excluded directory may hold re-included files only when some rule starts with "!".
    const mayPrune = !lines.some((l) => l.trim().startsWith("!"));
    const files = [];
    const walk = (rel) => {
        const entries = fs.readdirSync(path.join(contextAbs, rel), { withFileTypes: true });
        for (const entry of entries) {
            const relPath = rel ? `${rel}/${entry.name}` : entry.name;
            if (entry.isDirectory()) {
                if (!(mayPrune && ignore.ignores(relPath))) walk(relPath);
            } else if (!ignore.ignores(relPath)) {
                files.push(relPath);
            }
        }
    };
    walk("");
    files.sort();
    const hash = crypto.createHash("sha256");
    for (const rel of files) {
        const full = path.join(contextAbs, rel);
        const st = fs.lstatSync(full);
        const bytes = st.isSymbolicLink() ? Buffer.from(fs.readlinkSync(full)) : fs.readFileSync(full);
        hash.update(`${rel}\0${(st.mode & 0o777).toString(8)}\0${bytes.length}\0`).update(bytes);
    }
    const dockerfileBytes = fs.readFileSync(dockerfileAbs);
    hash.update(`dockerfile\0${dockerfileBytes.length}\0`).update(dockerfileBytes);
    return hash.digest("hex");
}

// ---- docker CLI -----------------------------------------------------------------------------
function runDocker(args, urn, logLines) {
    // The classic builder: the CLI here has no buildx; DOCKER_BUILDKIT=1 would make it fail.
    const env = { ...process.env, DOCKER_BUILDKIT: "0" };
    return new Promise((resolve, reject) => {
        const child = childProcess.spawn("docker", args, { env, stdio: ["ignore", "pipe", "pipe"] });
        let all = "";
        let stdout = "";
        let pending = "";
        const onData = (isStdout) => (d) => {
            all += d;
            if (isStdout) stdout += d;
            if (!logLines) return;
            pending += d;
            const lines = pending.split("\n");
            pending = lines.pop();
            for (const line of lines) if (line.trim()) logInfo(urn, line, true);
        };
        child.stdout.setEncoding("utf8");
        child.stderr.setEncoding("utf8");
        child.stdout.on("data", onData(true));
        child.stderr.on("data", onData(false));
        let spawnError;
        child.on("error", (e) => { spawnError = e; });
        child.on("close", (code) => {
            if (logLines && pending.trim()) logInfo(urn, pending, true);
            logsFlushed().then(() => {
                if (spawnError) return reject(new Error(`could not run docker: ${spawnError.message}`));
                if (code !== 0) {
                    const tail = all.trim().split("\n").slice(-25).join("\n");
                    return reject(new Error(`docker ${args[0]} failed (exit status ${code}):\n${tail}`));
                }
                resolve(stdout.trim());
            });
        });
    });
}

async function buildImage(urn, inputs) {
    const imageName = reveal(inputs.imageName);
    const build = reveal(inputs.build) || {};
    const p = buildPaths(build);
    const args = ["build", "-f", p.dockerfileAbs, "-t", imageName];
    if (build.platform) args.push("--platform", build.platform);
    for (const key of Object.keys(build.args || {}).sort()) args.push("--build-arg", `${key}=${build.args[key]}`);
    if (build.target) args.push("--target", build.target);
    if (build.network) args.push("--network", build.network);
    for (const host of build.addHosts || []) args.push("--add-host", host);
    for (const image of (build.cacheFrom && build.cacheFrom.images) || []) args.push("--cache-from", image);
    args.push(p.contextAbs);
    logInfo(urn, `Building image '${imageName}'...`, true);
    await runDocker(args, urn, true);
    const imageId = await runDocker(["image", "inspect", "-f", "{{.Id}}", imageName], urn, false);

    const outs = {};
    for (const k of ["build", "buildOnPreview", "imageName", "registry", "skipPush"]) {
        if (inputs[k] !== undefined) outs[k] = inputs[k];
    }
    const nameSecret = isSecret(inputs.imageName);
    outs.imageName = inputs.imageName;
    outs.baseImageName = inputs.imageName;
    outs.context = p.context;
    outs.dockerfile = p.dockerfile;
    if (build.platform) outs.platform = build.platform;
    outs.registryServer = "";
    // Nothing is pushed, so there is no registry digest: the local image ID stands in for it
    // (it changes exactly when the build produces a different image).
    outs.repoDigest = nameSecret ? secret(imageId) : imageId;
    return { id: imageName, outs };
}

const requireImageType = (urn) => requireType(urn, IMAGE_TYPE);

const provider = {
    version: PROVIDER_VERSION,

    async getSchema() {
        return "{}";
    },

    async check(urn, olds, news) {
        requireImageType(urn);
        const inputs = { ...news };
        const failures = [];
        const imageName = reveal(inputs.imageName);
        if (imageName === undefined || imageName === null || imageName === "") {
            failures.push({ property: "imageName", reason: "imageName is required" });
        }
        const skipPush = reveal(inputs.skipPush);
        if (skipPush !== UNKNOWN && skipPush !== true) {
            failures.push({ property: "skipPush", reason: "the offline stand-in of pulumi-resource-docker never pushes: set skipPush: true (toolchain/stand-in-providers/README.md)" });
        }
        const buildIn = inputs.build;
        if (buildIn === UNKNOWN) return { inputs, failures };
        const buildSecret = isSecret(buildIn);
        const build = buildSecret ? { ...reveal(buildIn) } : { ...(buildIn || {}) };
        const shown = reveal(build);
        if (shown.builderVersion === "BuilderBuildKit") {
            failures.push({ property: "build.builderVersion", reason: "BuildKit is not available to the offline stand-in (no buildx); use BuilderV1 or leave it unset" });
        }
        if (containsUnknown(shown.context) || containsUnknown(shown.dockerfile)) {
            build.contextDigest = UNKNOWN;
        } else {
            const p = buildPaths(shown);
            if (!fs.existsSync(p.contextAbs) || !fs.statSync(p.contextAbs).isDirectory()) {
                failures.push({ property: "build.context", reason: `build context ${p.contextAbs} is not a directory` });
            } else if (!fs.existsSync(p.dockerfileAbs)) {
                failures.push({ property: "build.dockerfile", reason: `Dockerfile ${p.dockerfileAbs} does not exist` });
            } else {
                build.contextDigest = contextDigest(p.contextAbs, p.dockerfileAbs);
            }
        }
        inputs.build = buildSecret ? secret(build) : build;
        return { inputs, failures };
    },

    async diff(id, urn, olds, news) {
        const changed = ["imageName", "build", "skipPush"].filter((k) => containsUnknown(news[k]) || !sameValue(olds[k], news[k]));
        return { changes: changed.length > 0, replaces: [] };
    },

    async create(urn, inputs) {
        requireImageType(urn);
        return buildImage(urn, inputs);
    },

    async read(id, urn, props) {
        // State as it is, whether or not the image is still there (it is never removed by us).
        const inputs = {};
        for (const k of ["build", "buildOnPreview", "imageName", "registry", "skipPush"]) {
            if (props[k] !== undefined) inputs[k] = props[k];
        }
        return { id, props, inputs };
    },

    async update(id, urn, olds, news) {
        const { outs } = await buildImage(urn, news);
        return { outs };
    },

    async delete() {
        // Like upstream: the image (a user's local image) is left in place.
    },

    async invoke(token) {
        throw new Error(`unknown function ${token}: the offline stand-in of pulumi-resource-docker implements the ${IMAGE_TYPE} resource only`);
    },
};

providerServer.main(provider, process.argv.slice(2));
