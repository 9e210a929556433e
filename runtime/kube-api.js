// @ts-check
// A minimal client of a cluster's API server. A Kind cluster is reached with its own admin
// kubeconfig (the stack's secret output): no kubectl, and the credentials never pass through an
// environment variable or a file. Any other kubeconfig (tokens, exec plugins such as EKS's and
// GKE's, proxies) is read by `kubectl proxy`, which reads all that kubectl reads, at no load cost.
"use strict";

const { spawn } = require("node:child_process");
const http = require("node:http");
const https = require("node:https");
const YAML = require("yaml");
const { asType } = require("./as-type");

/**
 * The fields read by this project of the objects the API server returns (apps/v1 Deployment and
 * ReplicaSet, v1 Pod and Event), each optional where the API may leave it out.
 * @typedef {{ [key: string]: string }} Labels
 * @typedef {{ name: string, uid?: string, generation?: number, labels?: Labels, annotations?: Labels,
 *   ownerReferences?: { uid: string }[], deletionTimestamp?: string }} ObjectMeta
 * @typedef {{ type: string, status: string, reason?: string, message?: string }} Condition
 * @typedef {{
 *   metadata: ObjectMeta,
 *   spec: { replicas?: number, selector: { matchLabels: Labels },
 *     template?: { spec?: { containers?: { name: string, image?: string }[] } } },
 *   status?: { observedGeneration?: number, replicas?: number, updatedReplicas?: number,
 *     availableReplicas?: number, conditions?: Condition[] },
 * }} Deployment
 * @typedef {{ metadata: ObjectMeta }} ReplicaSet
 * @typedef {{ exitCode: number, reason?: string, message?: string }} Terminated
 * @typedef {{
 *   name: string, ready: boolean, restartCount: number,
 *   state?: { waiting?: { reason: string, message?: string }, running?: { startedAt: string } },
 *   lastState?: { terminated?: Terminated },
 * }} ContainerStatus
 * @typedef {{ metadata: ObjectMeta, status?: { containerStatuses?: ContainerStatus[] } }} Pod
 * @typedef {{ reason?: string, message: string, involvedObject?: { name: string }, lastTimestamp?: string, eventTime?: string }} Event
 */
/**
 * @template T
 * @typedef {{ items: T[] }} List
 */

/**
 * `get` parses the JSON answer as the object type the caller names (the API server's schema).
 * @typedef {{
 *   get: <T>(path: string) => Promise<T>,
 *   text: (path: string) => Promise<string>,
 *   patch: <T>(path: string, body: object, contentType: string) => Promise<T>,
 *   stream: (path: string, onLine: (line: string) => void) => import("node:http").ClientRequest,
 *   close: () => void,
 * }} KubeApi
 */

/**
 * The fields of a kubeconfig read here; kind's has one cluster and one user.
 * @typedef {{ cluster: { server: string, "certificate-authority-data": string } }} NamedCluster
 * @typedef {{ user: { "client-certificate-data": string, "client-key-data": string } }} NamedUser
 * @typedef {{ clusters: [NamedCluster, ...NamedCluster[]], users: [NamedUser, ...NamedUser[]] }} Kubeconfig
 */

/**
 * Sends a request for `path` to the API server (a GET unless `method` says otherwise; the caller
 * writes any body and ends it) and hands over its response.
 * @typedef {(path: string, onResponse: (response: import("node:http").IncomingMessage) => void, method?: string, headers?: import("node:http").OutgoingHttpHeaders) => import("node:http").ClientRequest} Send
 */

/**
 * A client of the cluster of a kubeconfig with one cluster and client-certificate credentials,
 * as kind writes it.
 * @param {string} kubeconfigText
 * @returns {KubeApi}
 */
function kubeApi(kubeconfigText) {
    /** @type {Kubeconfig} */
    const kubeconfig = asType(YAML.parse(kubeconfigText));
    const { cluster } = kubeconfig.clusters[0];
    const { user } = kubeconfig.users[0];
    const server = new URL(cluster.server);
    const agent = new https.Agent({
        keepAlive: true,
        ca: Buffer.from(cluster["certificate-authority-data"], "base64"),
        cert: Buffer.from(user["client-certificate-data"], "base64"),
        key: Buffer.from(user["client-key-data"], "base64"),
    });
    return client((path, onResponse, method = "GET", headers = {}) =>
        https.request({ hostname: server.hostname, port: server.port, path, agent, method, headers }, onResponse),
    () => { agent.destroy(); });
}

/**
 * A client of the cluster of `context` in the kubeconfig file `kubeconfigPath`, whatever its
 * credentials, through a `kubectl proxy` on a free port of 127.0.0.1 that `close` stops.
 * @param {string} kubeconfigPath @param {string} context
 * @returns {Promise<KubeApi>}
 */
async function kubectlApi(kubeconfigPath, context) {
    const proxy = spawn("kubectl", ["proxy", "--port=0", "--address=127.0.0.1", "--kubeconfig", kubeconfigPath, "--context", context],
        { stdio: ["ignore", "pipe", "pipe"] });
    const port = await /** @type {Promise<number>} */ (new Promise((resolve, reject) => {
        let out = "";
        let err = "";
        proxy.stdout.on("data", (/** @type {Buffer} */ chunk) => {
            out += chunk.toString();
            const served = /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(out);
            if (served) {
                resolve(Number(served[1]));
            }
        });
        proxy.stderr.on("data", (/** @type {Buffer} */ chunk) => { err += chunk.toString(); });
        proxy.on("error", (error) => { reject(new Error(`kubectl proxy: ${error.message} (is kubectl on PATH?)`)); });
        // "close", not "exit": by then its stderr has been read to the end.
        proxy.on("close", (code) => { reject(new Error(`kubectl proxy exited with ${code}: ${err.trim().slice(0, 300)}`)); });
    }));
    const agent = new http.Agent({ keepAlive: true });
    return client((path, onResponse, method = "GET", headers = {}) =>
        http.request({ hostname: "127.0.0.1", port, path, agent, method, headers }, onResponse),
    () => { agent.destroy(); proxy.kill(); });
}

/**
 * The API calls, over `send`; `close` releases what `send` holds.
 * @param {Send} send @param {() => void} close
 * @returns {KubeApi}
 */
function client(send, close) {
    /** @param {string} path @param {string} method @param {{ body: string, contentType: string }} [content] @returns {Promise<string>} */
    const request = (path, method, content) => new Promise((resolve, reject) => {
        const headers = content ? { "content-type": content.contentType, "content-length": Buffer.byteLength(content.body) } : {};
        send(path, (response) => {
            /** @type {Buffer[]} */ const chunks = [];
            response.on("data", (/** @type {Buffer} */ chunk) => { chunks.push(chunk); });
            response.on("end", () => {
                const body = Buffer.concat(chunks).toString("utf8");
                if (response.statusCode === 200) {
                    resolve(body);
                } else {
                    reject(new Error(`${method} ${path}: ${response.statusCode} ${body.trim().slice(0, 300)}`));
                }
            });
            response.on("error", reject);
        }, method, headers).on("error", reject).end(content?.body);
    });
    /** @param {string} path */
    const text = (path) => request(path, "GET");

    return {
        text,
        get: async (path) => asType(JSON.parse(await text(path))),
        patch: async (path, body, contentType) => asType(JSON.parse(await request(path, "PATCH", { body: JSON.stringify(body), contentType }))),
        stream: (path, onLine) => {
            const stream = send(path, (response) => {
                let rest = "";
                response.setEncoding("utf8");
                response.on("data", (/** @type {string} */ chunk) => {
                    const lines = (rest + chunk).split("\n");
                    rest = lines.pop() ?? "";
                    lines.forEach(onLine);
                });
                response.on("error", () => {});
            });
            stream.on("error", () => {}).end();
            return stream;
        },
        close,
    };
}

/**
 * A `labelSelector` query value that selects exactly these labels, URL-encoded.
 * @param {Labels} labels
 */
function labelSelector(labels) {
    return encodeURIComponent(Object.entries(labels).map(([key, value]) => `${key}=${value}`).join(","));
}

module.exports = { kubeApi, kubectlApi, labelSelector };
