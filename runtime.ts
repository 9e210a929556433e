// The scripts in runtime/ that the command resources run. A command resource
// carries a hash of its script (and of the runtime modules the script requires) among its
// triggers: an edited script shows in `pulumi preview` and runs again at the next `up`.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export const runtimeDir = path.join(__dirname, "runtime");

/** A script of runtime/ as a command resource runs it: from the project directory, so the state names no checkout path. */
export interface RuntimeScript {
    /** `node runtime/<script>` and its arguments. */
    readonly command: string;
    /** Changes when the script or a runtime module it requires changes (scriptHash). */
    readonly hash: string;
}

export function runtimeScript(script: string, args = ""): RuntimeScript {
    return { command: `node runtime/${script}${args ? ` ${args}` : ""}`, hash: scriptHash(script) };
}

/**
 * A hash of `script` in `dir` and of every module of `dir` it requires (`require("./name")`),
 * transitively: the code that runs when the script runs, apart from node_modules.
 */
export function scriptHash(script: string, dir = runtimeDir): string {
    const files = new Set<string>();
    const visit = (file: string): void => {
        if (files.has(file)) {
            return;
        }
        files.add(file);
        const text = fs.readFileSync(path.join(dir, file), "utf8");
        for (const match of text.matchAll(/require\("\.\/([\w.-]+?)(\.js)?"\)/g)) {
            visit(`${match[1] ?? ""}.js`);
        }
    };
    visit(script);
    const hash = createHash("sha256");
    for (const file of [...files].sort()) {
        const bytes = fs.readFileSync(path.join(dir, file));
        hash.update(`${file}\0${String(bytes.length)}\0`).update(bytes);
    }
    return hash.digest("hex").slice(0, 16);
}
