// The cluster client keys the stacks of this process made, and what their operations printed:
// to show that no output holds a key.
import type { OutputMap, Stack } from "@pulumi/pulumi/automation";
import * as YAML from "yaml";

/** Everything the CLI printed for the stacks of this process, and every error it ended with. */
export const printed: string[] = [];
/** The client keys (base64, as in a kubeconfig) of every cluster an `up` of this process made. */
export const clientKeys = new Set<string>();

/** `stack`, with what its operations print kept in `printed` and its clusters' keys in `clientKeys`. */
export function recorded(stack: Stack): Stack {
    const keep = (text: string) => { printed.push(text); };
    const also = (handler?: (text: string) => void) => (text: string) => { keep(text); handler?.(text); };
    // What each of these operations takes and gives, as far as it is read here.
    type Printing = { onOutput?: (text: string) => void; onError?: (text: string) => void };
    type Kubeconfig = { users?: { user: { "client-key-data": string } }[] };
    for (const operation of ["up", "preview", "refresh", "destroy"] as const) {
        const original = (stack[operation] as (opts?: Printing) => Promise<{ outputs?: OutputMap }>).bind(stack);
        Object.assign(stack, { [operation]: async (opts: Printing = {}) => {
            try {
                const result = await original({ ...opts, onOutput: also(opts.onOutput), onError: also(opts.onError) });
                const kubeconfig: unknown = result.outputs?.kubeconfig?.value;
                for (const user of typeof kubeconfig === "string" && kubeconfig ? (YAML.parse(kubeconfig) as Kubeconfig).users ?? [] : []) {
                    clientKeys.add(user.user["client-key-data"]);
                }
                return result;
            } catch (err) {
                keep(String(err));
                throw err;
            }
        } });
    }
    return stack;
}

/** The places in `printed` that hold a cluster's client key, base64 or decoded; none, we hope. */
export function printedClientKeys(): string[] {
    return clientKeysIn(printed);
}

/** The start of each cluster client key that `texts` hold in plain text, base64 or decoded. */
export function clientKeysIn(texts: string[]): string[] {
    const leaks: string[] = [];
    for (const key of clientKeys) {
        // The key as in the kubeconfig, and each line of its PEM body as kind would print it.
        const pemLines = Buffer.from(key, "base64").toString("utf8").split("\n").filter((line) => line.length >= 40);
        for (const needle of [key, key.slice(0, 64), ...pemLines]) {
            if (texts.some((text) => text.includes(needle))) {
                leaks.push(needle.slice(0, 12));
            }
        }
    }
    return leaks;
}
