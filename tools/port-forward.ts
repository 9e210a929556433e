// The dev loop's way to the app on a cluster it did not create (target existing): a
// `kubectl port-forward` to the Service on 127.0.0.1, through the user's kubeconfig. A Service's
// forward holds one pod, which a rollout removes: the loop starts it anew after each rollout.
import { ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";

/** The Service to forward to, and the kubeconfig and context that reach it. */
export interface ForwardTarget {
    readonly kubeconfigPath: string;
    readonly context: string;
    readonly namespace: string;
    readonly service: string;
    /** The Service's port; also the local one when it is free. */
    readonly port: number;
}

/** Whether 127.0.0.1:`port` can be listened on now. */
function isFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.once("error", () => { resolve(false); });
        server.listen(port, "127.0.0.1", () => { server.close(() => { resolve(true); }); });
    });
}

export class PortForward {
    private child?: ChildProcess | undefined;
    private localPort?: number;

    /** Starts the forward anew, on the same local port as before; resolves with its URL once kubectl listens. */
    async restart(target: ForwardTarget): Promise<string> {
        await this.stop();
        // The Service's own port when free, so that the URL is the one the docs show.
        this.localPort ??= (await isFree(target.port)) ? target.port : 0;
        const child = spawn("kubectl", ["--kubeconfig", target.kubeconfigPath, "--context", target.context, "--namespace", target.namespace,
            "port-forward", "--address", "127.0.0.1", `service/${target.service}`, `${String(this.localPort)}:${String(target.port)}`],
        { stdio: ["ignore", "pipe", "pipe"] });
        this.child = child;
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            let err = "";
            child.stdout.on("data", (chunk: Buffer) => {
                out += chunk.toString();
                const forwarding = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
                if (forwarding) {
                    resolve(Number(forwarding[1]));
                }
            });
            child.stderr.on("data", (chunk: Buffer) => { err += chunk.toString(); });
            child.on("error", reject);
            child.on("exit", (code) => { reject(new Error(`kubectl port-forward exited with ${String(code)}: ${err.trim().slice(0, 300)}`)); });
        });
        this.localPort = port;
        return `http://127.0.0.1:${String(port)}`;
    }

    /** Ends the forward; resolves once its port is free again. */
    async stop(): Promise<void> {
        const child = this.child;
        this.child = undefined;
        if (child && child.exitCode === null && child.signalCode === null) {
            const exited = new Promise((resolve) => child.once("exit", resolve));
            child.kill();
            await exited;
        }
    }
}
