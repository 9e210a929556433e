// ESLint: typescript-eslint's strict type-checked rules, plus Pulumi's rules against Output
// misuse (an Output interpolated into a string gives a warning text, not its value), over
// everything tsconfig.json compiles: the program, runtime/, tools/, tests/ and bench/. app/ (plain
// JavaScript with no dependencies, outside the TypeScript project) gets ESLint's recommended
// rules for Node.js.
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "bin/"] },
    {
        files: ["**/*.ts", "transpile.js", "runtime/**/*.js", "tools/**/*.js", "policy/**/*.js"],
        extends: [...tseslint.configs.strictTypeChecked],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { pulumi },
        rules: {
            "pulumi/no-output-in-template-literal": "error",
            "pulumi/no-output-instance-in-template-literal": "error",
            // Ports and counts in messages are numbers; an Output is what must never be interpolated.
            "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
            // node:test's describe() and test() return promises that the runner itself awaits
            // (typescript-eslint's documented allowance for test frameworks); t.test() is still checked.
            "@typescript-eslint/no-floating-promises": ["error", {
                allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "suite", "test"] }],
            }],
        },
    },
    {
        files: ["transpile.js", "runtime/**/*.js", "tools/**/*.js", "policy/**/*.js"],
        // CommonJS run by node directly (`node runtime/x.js`, the policy pack), type-checked through `// @ts-check`.
        languageOptions: { sourceType: "commonjs", globals: globals.node },
        rules: { "@typescript-eslint/no-require-imports": "off" }, // require() is how CommonJS imports
    },
    {
        files: ["app/**/*.js", "app/**/*.mjs", "tests/apps/**/*.js"],
        extends: [js.configs.recommended],
        languageOptions: { globals: globals.node },
    },
    { files: ["app/**/*.js", "tests/apps/**/*.js"], languageOptions: { sourceType: "commonjs" } },
    {
        files: ["eslint.config.mjs"],
        extends: [js.configs.recommended],
    },
);
