// @ts-check
// What `pulumi` runs the program's TypeScript with (Pulumi.yaml: `--require ./transpile.js`):
// each .ts file transpiled by swc as it is required, untyped (type checking is `npm test`'s job).
// Hand-written instead of ts-node, whose start (TypeScript and a source-map hook) costs 0.15 s a run.
"use strict";
const fs = require("node:fs");
const Module = require("node:module");
const { transformSync } = require("@swc/core");
const { asType } = require("./runtime/as-type");

/** @type {import("@swc/core").Options} tsconfig.json's target and module. */
const options = {
    jsc: { parser: { syntax: "typescript" }, target: "es2022" },
    module: { type: "commonjs" },
    sourceMaps: false,
};

/** @typedef {{ _compile(code: string, filename: string): void }} LoadingModule */
// Node's loaders by file extension, where a hook adds one (untyped in @types/node).
/** @type {{ _extensions: Record<string, (module: LoadingModule, filename: string) => void> }} */
const loaders = asType(Module);

/**
 * @param {LoadingModule} module
 * @param {string} filename
 */
function loadTypeScript(module, filename) {
    const { code } = transformSync(fs.readFileSync(filename, "utf8"), { ...options, filename });
    module._compile(code, filename);
}

loaders._extensions[".ts"] = loadTypeScript;
