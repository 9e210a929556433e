// The hash a command resource carries of the runtime script it runs (runtime.ts): an edit to
// the script, or to a runtime module it requires, changes it; any other file does not.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { runtimeScript, scriptHash } from "../../runtime";

function runtimeFolder(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-runtime-"));
    for (const [name, text] of Object.entries(files)) {
        fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
}

test("scriptHash follows the script and the runtime modules it requires, transitively, and nothing else", () => {
    const dir = runtimeFolder({
        "check.js": 'const { get } = require("./client");\nrequire("node:http");\n',
        "client.js": 'const { asType } = require("./as-type.js");\n',
        "as-type.js": "module.exports = {};\n",
        "other.js": "// not required\n",
    });
    try {
        const before = scriptHash("check.js", dir);
        assert.match(before, /^[0-9a-f]{16}$/);
        fs.appendFileSync(path.join(dir, "other.js"), "// edited\n");
        assert.equal(scriptHash("check.js", dir), before, "a file the script does not require");
        for (const file of ["check.js", "client.js", "as-type.js"]) {
            const previous = scriptHash("check.js", dir);
            fs.appendFileSync(path.join(dir, file), "// edited\n");
            assert.notEqual(scriptHash("check.js", dir), previous, `an edit to ${file}`);
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test("runtimeScript: the project-relative command and the hash of the project's own script", () => {
    assert.deepEqual(runtimeScript("load-image.js", '"$IMAGE"'), { command: 'node runtime/load-image.js "$IMAGE"', hash: scriptHash("load-image.js") });
    assert.notEqual(scriptHash("load-image.js"), scriptHash("wait-for-url.js"));
});
