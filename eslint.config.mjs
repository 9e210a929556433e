// ESLint: typescript-eslint's strict type-checked rules, plus Pulumi's rules against Output
// misuse (an Output interpolated into a string gives a warning text, not its value).
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    // The program. Not linted yet: tests/, bench/ and scripts/load-image.js, which read JSON
    // (kubectl, engine events, state, image manifests) as `any` in hundreds of places.
    { ignores: ["node_modules/", "app/", "tests/", "bench/", "scripts/", "eslint.config.mjs"] },
    ...tseslint.configs.strictTypeChecked,
    {
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { pulumi },
        rules: {
            "pulumi/no-output-in-template-literal": "error",
            "pulumi/no-output-instance-in-template-literal": "error",
            // Ports and counts in messages are numbers; an Output is what must never be interpolated.
            "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
        },
    },
);
