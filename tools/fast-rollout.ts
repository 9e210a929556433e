// The dev loop's fast path for a save under app/ alone, on a Kind cluster of the stack's own: it
// does straight away what the update would (the same image, built by the same Docker engine's
// BuildKit from the same files; the same load; the same image and version label on the
// Deployment), so the save is served without waiting for the engine and the policy pack. The
// update that follows records it: it finds the image built, loaded and set, and changes nothing
// in the cluster. Any failure here leaves the update to do the work and say what is wrong.
import { spawn } from "node:child_process";
import * as http from "node:http";
import * as path from "node:path";
import * as tar from "tar-stream";
import { buildContextEntries, hostPlatform, imageBuildArgs } from "../image";
import { imageTag, appNames } from "../workload";
import type { Deployment, KubeApi } from "../runtime/kube-api.js";
import { loadImage } from "../runtime/load-image.js";

/** What the fast path needs of the stack, as its last update left it. */
export interface FastRolloutTarget {
    /** The build context, absolute. */
    readonly context: string;
    readonly baseImage?: string | undefined;
    readonly clusterName: string;
    /** A unix socket address (unix:///...): the only kind of engine address the fast path speaks to. */
    readonly dockerHost: string;
    readonly registryImage?: string | undefined;
    /** The cluster's API, its kubeconfig (the rollout check reads it on stdin) and the app's namespace. */
    readonly api: KubeApi;
    readonly kubeconfig: string;
    readonly namespace: string;
}

/** The field manager of the fast path's patch; the update's server-side apply then owns the same values. */
const fieldManager = "kube-demo-dev-loop";

/**
 * The strategic merge patch that moves the Deployment to `image`: exactly the fields of the
 * Workload that follow the image (a unit test renders the Workload with two images to check it).
 */
export function imagePatch(image: string): object {
    const version = { "app.kubernetes.io/version": imageTag(image) };
    return {
        metadata: { labels: version },
        spec: { template: { metadata: { labels: version }, spec: { containers: [{ name: appNames.container, image }] } } },
    };
}

/** The build context as `docker build` sends it: the files .dockerignore lets through, with their bits. */
export function contextArchive(context: string): tar.Pack {
    const pack = tar.pack();
    for (const { file, mode, mtime, symlink, bytes } of buildContextEntries(context)) {
        const header = { name: file, mode, mtime };
        if (symlink) {
            pack.entry({ ...header, type: "symlink", linkname: bytes.toString() });
        } else {
            pack.entry(header, bytes);
        }
    }
    pack.finalize();
    return pack;
}

/**
 * Builds `image` from the context with the engine's BuildKit, through its API as the docker
 * provider does (the docker CLI would need buildx for BuildKit), so the provider's build of the
 * same files is a cache hit with the same image ID.
 */
function build(target: FastRolloutTarget, image: string): Promise<void> {
    const query = new URLSearchParams({
        version: "2", t: image, platform: hostPlatform, dockerfile: "Dockerfile",
        buildargs: JSON.stringify(imageBuildArgs(target.baseImage)),
    });
    return new Promise((resolve, reject) => {
        const request = http.request({
            socketPath: target.dockerHost.slice("unix://".length), path: `/build?${query.toString()}`, method: "POST",
            headers: { "content-type": "application/x-tar" },
        }, (response) => {
            let body = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => { body += chunk; });
            response.on("end", () => {
                // A stream of JSON lines; a failed step is a line with "error".
                const failed = body.split("\n").map((line) => { try { return JSON.parse(line) as { error?: string }; } catch { return {}; } })
                    .find((line) => line.error);
                if (response.statusCode !== 200 || failed) {
                    reject(new Error(`build: ${failed?.error ?? `${response.statusCode} ${body.slice(0, 300)}`}`));
                } else {
                    resolve();
                }
            });
        });
        request.on("error", reject);
        contextArchive(target.context).pipe(request);
    });
}

/**
 * The update's rollout check (runtime/rollout-status.js, as the app-rollout step runs it, the
 * kubeconfig on stdin) on the Deployment's `generation`; rejects with its last lines.
 */
function rolloutCheck(target: FastRolloutTarget, generation: number): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(__dirname, "..", "runtime", "rollout-status.js")], {
            env: { ...process.env, NAMESPACE: target.namespace, DEPLOYMENT: appNames.deployment, GENERATION: String(generation) },
            stdio: ["pipe", "ignore", "pipe"],
        });
        let err = "";
        child.stderr.on("data", (chunk: Buffer) => { err += chunk.toString(); });
        child.on("error", reject);
        child.on("close", (code) => {
            if (code === 0) {
                resolve();
            } else {
                reject(new Error(`rollout check: ${err.trim().split("\n").slice(-3).join(" ")}`));
            }
        });
        child.stdin.end(target.kubeconfig);
    });
}

/**
 * Builds, loads and rolls out `image` when the Deployment still runs `deployedImage` (what the
 * stack last recorded); resolves once every replica runs it and is Ready. Rejects on anything
 * else, having changed nothing the update would not change.
 */
export async function fastRollout(target: FastRolloutTarget, image: string, deployedImage: string): Promise<void> {
    const deploymentPath = `/apis/apps/v1/namespaces/${target.namespace}/deployments/${appNames.deployment}`;
    const building = build(target, image);
    // In this process, not as the update runs it (a node process of its own): its start is a
    // tenth of a second or more of every save. It asks the nodes while the image builds; its
    // docker and kind calls reach the engine the docker CLI's context names, as dockerHost did.
    const loading = loadImage(image, target.clusterName, target.registryImage, building);
    const [live] = await Promise.all([target.api.get<Deployment>(deploymentPath), building]).catch(async (error: unknown) => {
        await loading.catch(() => undefined);
        throw error;
    });
    const running = live.spec.template?.spec?.containers?.find((container) => container.name === appNames.container)?.image;
    if (running !== deployedImage) {
        // The update loads the image too: this one may end first, but nothing else is changed.
        await loading.catch(() => undefined);
        throw new Error(`the Deployment runs ${running ?? "no image"}, not the stack's ${deployedImage}`);
    }
    await loading;
    const patched = await target.api.patch<Deployment>(`${deploymentPath}?fieldManager=${fieldManager}`, imagePatch(image), "application/strategic-merge-patch+json");
    await rolloutCheck(target, patched.metadata.generation ?? 0);
}
