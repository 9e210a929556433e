// The project under test: its folder, and copies of it that stacks of their own run on.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";

export const projectDir = path.resolve(__dirname, "../..");

/**
 * The project's files as git sees them (tracked, or new and not ignored: never its state or
 * node_modules) in a new folder, with a backend of its own; or, with `commit`, the files of that
 * commit (a stack deployed by an earlier version). `into`: over a copy made before, keeping its
 * state and its stacks' settings (the upgrade of such a stack).
 */
export function copyProject({ commit, into }: { commit?: string; into?: string } = {}): string {
    const dir = into ?? fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-e2e-"));
    if (commit) {
        // The modes a checkout gives (umask 022), which the image's content tag hashes.
        execFileSync("sh", ["-c", 'git -c tar.umask=0022 archive "$1" | tar -x -C "$2"', "sh", commit, dir], { cwd: projectDir });
    } else {
        const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: projectDir, encoding: "utf8" })
            .split("\0").filter((file) => file && fs.existsSync(path.join(projectDir, file)));
        for (const file of files) {
            fs.cpSync(path.join(projectDir, file), path.join(dir, file), { recursive: true });
        }
    }
    if (!fs.existsSync(path.join(dir, "node_modules"))) {
        fs.symlinkSync(path.join(projectDir, "node_modules"), path.join(dir, "node_modules"));
    }
    const project = YAML.parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
    fs.mkdirSync(path.join(dir, "state"), { recursive: true });
    project.backend = { url: `file://${dir}/state` };
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), YAML.stringify(project));
    return dir;
}
