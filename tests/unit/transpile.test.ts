// How `pulumi` loads the program: node with Pulumi.yaml's nodeargs (transpile.js) requires the
// project's main, index.ts, and must get the async program the Pulumi runtime calls.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import * as YAML from "yaml";
import { projectDir } from "../support/project";

interface ProjectFile { runtime: { options: { typescript: boolean; nodeargs: string } } }
const project = YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as ProjectFile;

/** Runs `script` in node as the Node.js language host starts the program: in the project, with its nodeargs. */
function asPulumiRuns(script: string) {
    return spawnSync(process.execPath, [...project.runtime.options.nodeargs.split(" "), "-e", script], {
        cwd: projectDir, encoding: "utf8", env: { PATH: process.env.PATH ?? "" },
    });
}

describe("the program as pulumi loads it", () => {
    test("Pulumi.yaml leaves TypeScript to the project's loader, not to ts-node", () => {
        assert.equal(project.runtime.options.typescript, false);
        assert.equal(project.runtime.options.nodeargs, "--require ./transpile.js");
    });

    test("the project's main is the async program, with every module it imports transpiled", () => {
        const main = (JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8")) as { main: string }).main;
        const run = asPulumiRuns(`const program = require(${JSON.stringify(`./${main}`)});
            process.stdout.write(typeof program + " " + program.constructor.name + " " + Object.keys(require.cache).filter((f) => f.endsWith(".ts")).length);`);
        assert.equal(run.status, 0, run.stderr);
        const [type, constructor, modules] = run.stdout.split(" ");
        assert.equal(type, "function");
        assert.equal(constructor, "AsyncFunction");
        assert.ok(Number(modules) >= 8, `index.ts and the modules it imports, got ${modules ?? "none"}`);
    });

});
