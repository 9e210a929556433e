// The lints that run a tool beside Node (tools/lint-shell.sh, tools/lint-go.sh), on a PATH that
// lacks it: skipped in one line that says how to get it, so that a clone with Node alone passes
// `npm test`; under CI=true, failed in one line.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { found } from "../support/present";
import { projectDir } from "../support/project";

/** Where `tool` is on this process's PATH. */
function which(tool: string): string {
    const dirs = (process.env.PATH ?? "").split(path.delimiter);
    return found(dirs.map((dir) => path.join(dir, tool)).find((file) => fs.existsSync(file)), `${tool} on PATH`);
}

describe("a lint whose tool is missing", () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-lint-skip-"));
    after(() => { fs.rmSync(work, { recursive: true, force: true }); });

    /** A folder holding only what the scripts need before they look for their tool, and `fakes`. */
    function binWith(name: string, fakes: string[] = []): string {
        const bin = path.join(work, name);
        fs.mkdirSync(bin);
        for (const tool of ["bash", "dirname"]) {
            fs.symlinkSync(which(tool), path.join(bin, tool));
        }
        for (const fake of fakes) {
            fs.writeFileSync(path.join(bin, fake), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
        }
        return bin;
    }

    /** `bash SCRIPT` on a PATH of `bin` alone, with CI=true or no CI (whatever this process has). */
    function lint(script: string, bin: string, ci: boolean) {
        const run = spawnSync(which("bash"), [path.join(projectDir, script)], {
            cwd: projectDir, encoding: "utf8", env: { PATH: bin, ...(ci ? { CI: "true" } : {}) },
        });
        return { status: run.status, stdout: run.stdout, stderr: run.stderr };
    }

    const cases = [
        { script: "tools/lint-shell.sh", fakes: [], tool: "shellcheck",
            skipped: "lint:shell skipped: shellcheck is not installed: install it (Debian: apt-get install shellcheck)\n",
            failed: "lint:shell: shellcheck is not installed, and CI=true runs every lint: install it (Debian: apt-get install shellcheck)\n" },
        { script: "tools/lint-go.sh", fakes: [], tool: "go",
            skipped: "lint:go skipped: go is not installed: install Go (https://go.dev/dl/)\n",
            failed: "lint:go: go is not installed, and CI=true runs every lint: install Go (https://go.dev/dl/)\n" },
        { script: "tools/lint-go.sh", fakes: ["go"], tool: "gofmt",
            skipped: "lint:go skipped: gofmt is not installed: install Go (https://go.dev/dl/)\n",
            failed: "lint:go: gofmt is not installed, and CI=true runs every lint: install Go (https://go.dev/dl/)\n" },
    ];
    for (const { script, fakes, tool, skipped, failed } of cases) {
        test(`${script} without ${tool}: skipped in one line; under CI=true, failed in one line`, () => {
            const bin = binWith(`${path.basename(script)}-${tool}`, fakes);
            assert.deepEqual(lint(script, bin, false), { status: 0, stdout: skipped, stderr: "" });
            assert.deepEqual(lint(script, bin, true), { status: 1, stdout: "", stderr: failed });
        });
    }
});
