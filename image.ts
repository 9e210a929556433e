// The app image: built under a tag that is the hash of what the build sees, then loaded into
// the Kind cluster's nodes (there is no registry between them), or pushed to the registry an
// existing cluster pulls from.
import dockerignore from "@balena/dockerignore";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { runtimeScript } from "./runtime";

/** The Docker platform of this machine, so the image runs in Kind's nodes here (arm64 laptops too). */
export const hostPlatform = `linux/${process.arch === "x64" ? "amd64" : process.arch}`;

/**
 * Paths (relative, `/`-separated, sorted) of the files `docker build` sends from `contextDir`,
 * honouring its `.dockerignore` with Docker's own matching rules; `dockerfile` is one of them.
 */
export function buildContextFiles(contextDir: string, dockerfile = "Dockerfile"): string[] {
    const ignoreFile = path.join(contextDir, ".dockerignore");
    const rules = (fs.existsSync(ignoreFile) ? fs.readFileSync(ignoreFile, "utf8") : "").split(/\r?\n/);
    const ignore = dockerignore().add(rules);
    // An excluded folder can hold re-included files only when a rule starts with "!".
    const canPrune = !rules.some((line) => line.trim().startsWith("!"));

    const files: string[] = [];
    const walk = (relativeDir: string) => {
        for (const entry of fs.readdirSync(path.join(contextDir, relativeDir), { withFileTypes: true })) {
            const relative = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
            if (entry.isDirectory()) {
                if (!(canPrune && ignore.ignores(relative))) {
                    walk(relative);
                }
            } else if (!ignore.ignores(relative)) {
                files.push(relative);
            }
        }
    };
    walk("");
    // Docker sends the Dockerfile even when .dockerignore excludes it, and it shapes the image.
    if (fs.existsSync(path.join(contextDir, dockerfile)) && !files.includes(dockerfile)) {
        files.push(dockerfile);
    }
    return files.sort();
}

/** A file the build sees: its path, permission bits and time, and its bytes (a symlink's: its target). */
export interface BuildContextEntry {
    readonly file: string;
    readonly mode: number;
    readonly mtime: Date;
    readonly symlink: boolean;
    readonly bytes: Buffer;
}

/** Every file `docker build` sends from `contextDir` (buildContextFiles), read. */
export function buildContextEntries(contextDir: string, dockerfile = "Dockerfile"): BuildContextEntry[] {
    return buildContextFiles(contextDir, dockerfile).map((file) => {
        const full = path.join(contextDir, file);
        const stat = fs.lstatSync(full);
        const symlink = stat.isSymbolicLink();
        return { file, mode: stat.mode & 0o7777, mtime: stat.mtime, symlink, bytes: symlink ? Buffer.from(fs.readlinkSync(full)) : fs.readFileSync(full) };
    });
}

/**
 * A tag that names the image's inputs: the path, permission bits and bytes of every file the
 * build sees (COPY keeps the bits, and the docker provider's own context hash includes them, so
 * a `chmod +x` alone is a new image under a new tag), plus the build arguments, platform and
 * which file is the Dockerfile. It does not depend on the checkout path, file times or the machine.
 */
export function contentTag(contextDir: string, buildArgs: Record<string, string> = {}, platform = hostPlatform, dockerfile = "Dockerfile"): string {
    const hash = createHash("sha256");
    // Named only when it is not the default, so that the tags of the default stay as they were.
    if (dockerfile !== "Dockerfile") {
        hash.update(`dockerfile\0${dockerfile}\0`);
    }
    for (const { file, mode, bytes } of buildContextEntries(contextDir, dockerfile)) {
        hash.update(`file\0${file}\0${mode.toString(8)}\0${bytes.length}\0`).update(bytes);
    }
    for (const key of Object.keys(buildArgs).sort()) {
        hash.update(`arg\0${key}\0${buildArgs[key]}\0`);
    }
    hash.update(`platform\0${platform}\0`);
    return hash.digest("hex").slice(0, 16);
}

/** app/Dockerfile's default BASE_IMAGE: an official Node.js image (the port proxies run on it too). */
export const nodeImageOfDockerfile = "node:20-slim";

/** The build arguments of the app's image. */
export function imageBuildArgs(baseImage: string | undefined): Record<string, string> {
    return baseImage ? { BASE_IMAGE: baseImage } : {};
}

/** The tag AppImage gives the image of `context` built on `baseImage`, known before it is declared. */
export function appImageTag(context: string, baseImage: string | undefined): string {
    return contentTag(context, imageBuildArgs(baseImage));
}

/** Kind's nodes get the image from the local engine, layer by layer; there is no registry between them. */
export interface LoadIntoKind {
    readonly kind: "load";
    /** Cluster whose nodes receive the image. */
    readonly clusterName: pulumi.Input<string>;
    /** Changes when the cluster is recreated, so a new cluster gets the image again. */
    readonly clusterIdentity: pulumi.Input<string>;
    /** The cluster's resource, deleted after the stack's images are (their removal asks its nodes). */
    readonly cluster: pulumi.Resource;
    /** The Docker engine that holds the cluster's nodes (prerequisites.ts: dockerHost); the load uses it. */
    readonly dockerHost: string;
    /** The image of the cluster's registry, which carries an edit's new layers to the nodes; none, the load sends them itself. */
    readonly registryImage?: string | undefined;
}

/** Any other cluster pulls the image from a registry, which it is pushed to. */
export interface PushToRegistry {
    readonly kind: "push";
    /** `host[:port][/path]`; credentials are the ones `docker login` stored. */
    readonly registry: string;
}

export interface AppImageArgs {
    /** Build context, relative to the project (kept relative so state does not name the checkout), or absolute. */
    readonly context: string;
    /** The Dockerfile, relative to the context; `Dockerfile` when unset. */
    readonly dockerfile?: string | undefined;
    /** Repository name. */
    readonly imageName: string;
    /**
     * The tag: `contentTag` of the context, build arguments and Dockerfile, a hash of what the
     * build sees. Hashed once by the caller, which names the image before it is declared too
     * (the cluster's preload).
     */
    readonly tag: string;
    readonly buildArgs: Readonly<Record<string, string>>;
    /** A docker provider bound to the engine the image is built on. */
    readonly engine: docker.Provider;
    /** How the cluster's nodes get the image. */
    readonly delivery: LoadIntoKind | PushToRegistry;
}

export class AppImage extends pulumi.ComponentResource {
    /** The image reference the pods run: `name:tag`, with the registry in front when pushed. */
    public readonly ref: pulumi.Output<string>;
    /** The content hash. */
    public readonly tag: string;
    /** Done once the cluster's nodes can have the image: loaded into each node, or pushed. */
    public readonly delivered: pulumi.Resource;

    constructor(name: string, args: AppImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kube-demo:index:AppImage", name, {}, opts);

        // Computed by the program rather than by the provider, so `pulumi preview` already shows the tag.
        this.tag = args.tag;
        const delivery = args.delivery;
        const repository = delivery.kind === "push" ? `${delivery.registry}/${args.imageName}` : args.imageName;

        const image = new docker.Image(`${name}-build`, {
            imageName: `${repository}:${this.tag}`,
            build: {
                context: args.context,
                dockerfile: `${args.context}/${args.dockerfile ?? "Dockerfile"}`,
                platform: hostPlatform,
                args: { ...args.buildArgs },
            },
            skipPush: delivery.kind === "load",
        }, { parent: this, provider: args.engine });

        if (delivery.kind === "load") {
            // Like `kind load docker-image`, but each node gets only the layers it lacks: after an
            // edit that is the app's few KB, not the whole image (runtime/load-image.js).
            const loadImage = runtimeScript("load-image.js", `"$IMAGE" "$CLUSTER_NAME"`);
            this.delivered = new command.local.Command(`${name}-load`, {
                create: loadImage.command,
                // BUILD_URN: named in the one line that says the image is gone from Docker.
                environment: {
                    IMAGE: image.imageName, CLUSTER_NAME: delivery.clusterName, DOCKER_HOST: delivery.dockerHost, BUILD_URN: image.urn,
                    ...(delivery.registryImage ? { REGISTRY_IMAGE: delivery.registryImage } : {}),
                },
                // A new image, a new cluster or an edited load needs the load again.
                triggers: [image.repoDigest, delivery.clusterIdentity, loadImage.hash],
                logging: "stderr",
            }, { parent: this });
            // Nothing to do at create: each load removes the images nothing runs any more
            // (runtime/prune-images.js); at destroy this removes the rest from Docker, while the
            // cluster still tells which are the stack's.
            const removeImages = runtimeScript("prune-images.js", `--all "$IMAGE" "$CLUSTER_NAME"`);
            new command.local.Command(`${name}-images`, {
                delete: removeImages.command,
                environment: { IMAGE: image.imageName, CLUSTER_NAME: delivery.clusterName, DOCKER_HOST: delivery.dockerHost },
                logging: "stdoutAndStderr",
            }, { parent: this, dependsOn: [delivery.cluster] });
        } else {
            this.delivered = image;
        }

        this.ref = image.imageName;
        this.registerOutputs({ ref: this.ref, tag: this.tag, delivered: this.delivered });
    }
}
