// The scenarios of an e2e file, as tests that run in order and print how long each took.
import { test } from "node:test";

/** `scenario(name, body, skipThis?)`: one scenario, skipped with `skipThis` when that is a line. */
export type Scenario = (name: string, body: () => void | Promise<void>, skipThis?: string | false) => void;

/**
 * The scenarios of a file, skipped with its `skip` line when that is one. Each starts from the
 * state the one before left, so once one fails the rest are skipped, naming it; `independent`
 * scenarios (each with a stack of its own) all run whatever failed before.
 */
export function timedScenarios(skip: string | false, { independent = false } = {}): Scenario {
    let failed: string | undefined;
    return (name, body, skipThis = false) => {
        test(name, { skip: skip || skipThis }, async (t) => {
            if (failed !== undefined) {
                t.skip(`"${failed}" failed: the scenarios after it start from the state it leaves`);
                return;
            }
            const started = Date.now();
            try {
                await body();
            } catch (err) {
                if (!independent) {
                    failed = name;
                }
                throw err;
            }
            console.log(`# ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
        });
    };
}
