// @ts-check
// A minimal client of a Kind cluster's API server, from the cluster's own admin kubeconfig (the
// stack's secret output): neither the user's kubeconfig nor kubectl is needed, and the
// credentials never pass through an environment variable or a file.
"use strict";

const https = require("node:https");
const YAML = require("yaml");

/**
 * @typedef {{
 *   get: (path: string) => Promise<any>,
 *   text: (path: string) => Promise<string>,
 *   stream: (path: string, onLine: (line: string) => void) => import("node:http").ClientRequest,
 *   close: () => void,
 * }} KubeApi
 */

/**
 * A client of the cluster of a kubeconfig with one cluster and client-certificate credentials,
 * as kind writes it.
 * @param {string} kubeconfigText
 * @returns {KubeApi}
 */
function kubeApi(kubeconfigText) {
    const kubeconfig = YAML.parse(kubeconfigText);
    const { cluster } = kubeconfig.clusters[0];
    const { user } = kubeconfig.users[0];
    const server = new URL(cluster.server);
    const agent = new https.Agent({
        keepAlive: true,
        ca: Buffer.from(cluster["certificate-authority-data"], "base64"),
        cert: Buffer.from(user["client-certificate-data"], "base64"),
        key: Buffer.from(user["client-key-data"], "base64"),
    });
    /** @param {string} path */
    const options = (path) => ({ hostname: server.hostname, port: server.port, path, agent });

    /** @param {string} path @returns {Promise<string>} */
    const text = (path) => new Promise((resolve, reject) => {
        https.get(options(path), (response) => {
            /** @type {Buffer[]} */ const chunks = [];
            response.on("data", (chunk) => chunks.push(chunk));
            response.on("end", () => {
                const body = Buffer.concat(chunks).toString("utf8");
                if (response.statusCode === 200) {
                    resolve(body);
                } else {
                    reject(new Error(`GET ${path}: ${response.statusCode} ${body.trim().slice(0, 300)}`));
                }
            });
            response.on("error", reject);
        }).on("error", reject);
    });

    return {
        text,
        get: async (path) => JSON.parse(await text(path)),
        stream: (path, onLine) => {
            const request = https.get(options(path), (response) => {
                let rest = "";
                response.setEncoding("utf8");
                response.on("data", (chunk) => {
                    const lines = (rest + chunk).split("\n");
                    rest = lines.pop() ?? "";
                    lines.forEach(onLine);
                });
                response.on("error", () => {});
            });
            request.on("error", () => {});
            return request;
        },
        close: () => agent.destroy(),
    };
}

module.exports = { kubeApi };
