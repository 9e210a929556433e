// Stress: cold `up` + no-op `preview` of fresh stacks, many in a row (`npm run test:stress`).
// A race between the program and the engine's own state writes fails a few runs in a hundred,
// which the e2e suite's one cold up rarely shows; STRESS_CYCLES sets how many (default 20).
import assert from "node:assert/strict";
import { test } from "node:test";
import { get } from "../support/load";
import { newStack, removeStack, stringOutput } from "../support/stack";
import { toolchainForTests } from "../support/toolchain";

const { env, skip } = toolchainForTests("stress");
const cycles = Number(process.env.STRESS_CYCLES ?? 20);

test(`${cycles} cold up + no-op preview cycles of fresh stacks, none failing`, { skip }, async () => {
    const failures: string[] = [];
    for (let cycle = 1; cycle <= cycles; cycle++) {
        const started = Date.now();
        const stack = await newStack(env, {});
        try {
            const result = await stack.stack.up();
            assert.match(await get(stringOutput(result.outputs, "url")), /^Hello World: /);
            await stack.stack.preview({ expectNoChanges: true });
        } catch (err) {
            failures.push(`cycle ${cycle}: ${String(err).split("\n").slice(0, 12).join("\n")}`);
        } finally {
            await removeStack(stack).catch((err: unknown) => failures.push(`cycle ${cycle} teardown: ${String(err)}`));
        }
        console.log(`# cycle ${cycle}/${cycles}: ${failures.length} failed so far, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    console.log(`# stress: ${cycles - failures.length}/${cycles} cycles passed`);
    assert.deepEqual(failures, []);
});
