// The scenarios of an e2e file, as tests that run in order.
import { test } from "node:test";

/**
 * `scenario(name, body, skipThis?)`: a test of an e2e file whose scenarios run in order on one
 * stack, skipped with the file's `skip` line (or its own), printing how long it took.
 */
export function timedScenarios(skip: string | false): (name: string, body: () => void | Promise<void>, skipThis?: string | false) => void {
    return (name, body, skipThis = false) => {
        test(name, { skip: skip || skipThis }, async () => {
            const started = Date.now();
            await body();
            console.log(`# ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
        });
    };
}
