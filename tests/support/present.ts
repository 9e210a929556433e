// What a test knows is there (an array's item, a map's entry, a regex group), as a value of
// its type: the test fails with a message naming it if it is not.
import assert from "node:assert/strict";

/** `value`, which the caller knows is there; fails the test, naming `what`, if it is not. */
export function found<T>(value: T | null | undefined, what: string): T {
    assert.ok(value !== undefined && value !== null, `${what} is missing`);
    return value;
}

/** The item at `index`, which the caller knows is there; fails the test if it is not. */
export function at<T>(items: readonly T[], index: number): T {
    return found(items[index], `item ${index} of ${items.length}`);
}
