// The offline toolchain (npm run toolchain) for the tests that need it: all there, with this
// process set up to use it, or the one line that says what is missing and how to get it.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { found } from "./present";
import { projectDir } from "./project";

export const toolchainDir = process.env.KUBE_DEMO_TOOLCHAIN
    ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "kube-demo-toolchain");

/** The variables the toolchain's env.sh exports, or undefined when it was never built. */
function toolchainEnvironment(): Record<string, string> | undefined {
    const envFile = path.join(toolchainDir, "env.sh");
    if (!fs.existsSync(envFile)) {
        return undefined;
    }
    const dump = execFileSync("bash", ["-c", `. "$1" >/dev/null && env -0`, "bash", envFile], { encoding: "utf8" });
    return Object.fromEntries(dump.split("\0").filter(Boolean).map((line) => {
        const at = line.indexOf("=");
        return [line.slice(0, at), line.slice(at + 1)];
    }));
}

/**
 * The toolchain for a test file that needs it: its environment, or `skip`, the one line (printed
 * here, once) that says what is missing and how to get it, for the file's tests to report.
 */
export function toolchainForTests(suite: string): { env: Record<string, string>; skip: string | false } {
    const toolchain = prepareToolchain();
    if ("missing" in toolchain) {
        const skip = `${suite} skipped: ${toolchain.missing}`;
        console.log(skip);
        return { env: {}, skip };
    }
    return { env: toolchain.env, skip: false };
}

function succeeds(command: string, args: string[], env = process.env): boolean {
    return spawnSync(command, args, { env, stdio: "ignore", timeout: 30_000 }).status === 0;
}

const pluginVersions = (): Record<string, string> => {
    const lock = JSON.parse(fs.readFileSync(path.join(projectDir, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
    return Object.fromEntries(["command", "docker", "kubernetes"].map((name) =>
        [name, found(lock.packages[`node_modules/@pulumi/${name}`], `@pulumi/${name} in package-lock.json`).version]));
};

/**
 * Everything the suite needs, or the first thing missing as one line that says how to get it.
 * Starts the Docker engine when it is installed but not answering (CI starts with none running).
 * When all is there, this process uses the toolchain from then on (the Automation API looks
 * for `pulumi` on its PATH).
 */
export function prepareToolchain(): { env: Record<string, string> } | { missing: string } {
    const build = "build it with `npm run toolchain`";
    const env = toolchainEnvironment();
    if (!env) {
        return { missing: `the offline toolchain (${toolchainDir}/env.sh): ${build}` };
    }
    for (const tool of ["pulumi", "kind", "kubectl", "docker"]) {
        if (!succeeds("sh", ["-c", `command -v ${tool}`], env)) {
            return { missing: `${tool} is not on the toolchain's PATH: ${build}` };
        }
    }
    if (!succeeds("docker", ["info"], env)) {
        const start = spawnSync("bash", [path.join(projectDir, "toolchain/docker/start.sh")], { env, encoding: "utf8" });
        if (start.status !== 0 || !succeeds("docker", ["info"], env)) {
            // null, whatever the type says, when bash could not be started at all
            const stderr = start.stderr as string | null;
            return { missing: `a Docker engine (toolchain/docker/start.sh failed: ${(stderr ?? "").trim().split("\n").pop()}): ${build}` };
        }
    }
    for (const image of [env.KIND_NODE_IMAGE, env.NODE_BASE_IMAGE, env.REGISTRY_IMAGE]) {
        if (!image || !succeeds("docker", ["image", "inspect", image], env)) {
            return { missing: `the local image ${image ?? "(unnamed)"}: ${build}` };
        }
    }
    const plugins = JSON.parse(execFileSync("pulumi", ["plugin", "ls", "--json"], { env, encoding: "utf8" }) || "[]") as
        { name: string; kind: string; version: string }[];
    for (const [name, version] of Object.entries(pluginVersions())) {
        if (!plugins.some((p) => p.name === name && p.kind === "resource" && p.version === version)) {
            return { missing: `the Pulumi plugin ${name} v${version}: ${build}` };
        }
    }
    Object.assign(process.env, env);
    return { env };
}
