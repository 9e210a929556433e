// Free TCP ports on 127.0.0.1, for what a test binds later (kind's port mappings, a registry).
import * as net from "node:net";

/** Whether a TCP server can listen on 127.0.0.1:`port` now. */
function canListen(port: number): Promise<boolean> {
    const server = net.createServer();
    return new Promise((resolve) => {
        server.once("error", () => { resolve(false); });
        server.listen(port, "127.0.0.1", () => server.close(() => { resolve(true); }));
    });
}

/**
 * A TCP port nobody listens on now, for kind to bind later. Taken below the kernels' ephemeral
 * ranges (Linux 32768+, macOS 49152+): a port the OS hands out (listen on 0) can go to any
 * outgoing connection before kind binds it, and did ("address already in use").
 */
export async function freePort(): Promise<number> {
    for (let attempt = 0; attempt < 100; attempt++) {
        const port = 20000 + Math.floor(Math.random() * 12000);
        if (await canListen(port)) {
            return port;
        }
    }
    throw new Error("no free TCP port found in 20000-31999");
}
