// The tools the stack drives outside Pulumi. Checked before any resource is declared, so a
// missing one is one clear line instead of a failed resource halfway through an `up`.
import * as pulumi from "@pulumi/pulumi";
import { spawnSync } from "node:child_process";

const toolchainHint = "on a machine without internet access, `npm run toolchain` builds it (see README)";

/** Each missing prerequisite, as a sentence saying what is missing and how to get it. */
export function missingPrerequisites(): string[] {
    const missing: string[] = [];
    const kind = spawnSync("kind", ["version"], { encoding: "utf8", timeout: 10_000 });
    if (kind.error || kind.status !== 0) {
        missing.push(`kind is not on PATH: install it from https://kind.sigs.k8s.io/ (${toolchainHint})`);
    }
    const docker = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8", timeout: 20_000 });
    if (docker.error) {
        missing.push(`docker is not on PATH: install Docker (${toolchainHint})`);
    } else if (docker.status !== 0) {
        missing.push("Docker is not answering (`docker info` failed): start the Docker engine, then run this again");
    }
    return missing;
}

/** Ends the program with one line per missing prerequisite and no stack trace. */
export function requirePrerequisites(): void {
    const missing = missingPrerequisites();
    if (missing.length > 0) {
        throw new pulumi.RunError(missing.join("; "));
    }
}
