// @ts-check
// The host port of an app whose port kind did not map when it created the cluster (readiness.ts,
// appPortProxy): this script runs in a container of its own on the nodes' Docker network, which
// publishes PORT on 127.0.0.1, and pipes each connection to TARGET, the app's NodePort on the
// control plane, where kube-proxy picks a ready pod. A new port is a new container: the cluster
// stays (k3d's load balancer container does the same for ports added to a cluster).
//
// Environment: PORT (to listen on), TARGET (HOST:PORT). Run as `node -e "$(cat runtime/port-proxy.js)"`
// inside the container, which needs nothing but Node.js.
"use strict";

const net = require("node:net");

const port = Number(process.env.PORT);
const [host = "", targetPort = ""] = (process.env.TARGET ?? "").split(":");

const server = net.createServer((client) => {
    const upstream = net.connect({ host, port: Number(targetPort) });
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on("error", close);
    upstream.on("error", close);
    client.pipe(upstream).pipe(client);
});
server.listen(port, "0.0.0.0");
// PID 1 in its container: Node.js would ignore SIGTERM, and `docker rm --force` wait 10 s.
process.on("SIGTERM", () => { server.close(); process.exit(0); });
