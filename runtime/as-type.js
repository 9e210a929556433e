// @ts-check
// Names the type of parsed data (JSON.parse, YAML.parse, toml.parse give `any`) in these
// JavaScript files: TypeScript's `value as T`, with no check at run time. A JSDoc cast,
// /** @type {T} */ (value), would do for tsc, but typescript-eslint does not see JSDoc casts
// and would still report the `any`.
"use strict";

/**
 * @template T
 * @param {unknown} value
 * @returns {T}
 */
const asType = (value) => /** @type {T} */ (value);

module.exports = { asType };
