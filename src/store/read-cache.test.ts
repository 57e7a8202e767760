import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReadCache, rowsOf } from "./read-cache.js";

const appRows = [rowsOf("task_definitions", "app")];

describe("ReadCache", () => {
  it("answers with kept rows until a row they depend on changes", () => {
    const cache = new ReadCache();
    cache.keep("q", appRows, [{ revision: 1 }], cache.now());
    assert.deepEqual(cache.get("q"), [{ revision: 1 }]);
    cache.changed("task_definitions", "other");
    cache.changed("tasks", "app");
    assert.deepEqual(cache.get("q"), [{ revision: 1 }], "another key, another table");
    cache.changed("task_definitions", "app");
    assert.equal(cache.get("q"), undefined);
    assert.equal(cache.get("q"), undefined, "stays gone until kept again");
  });

  it("a read of a whole table depends on each of its keys", () => {
    const cache = new ReadCache();
    cache.keep("all", [rowsOf("clusters")], [{ arn: "a" }], cache.now());
    cache.changed("clusters", "b");
    assert.equal(cache.get("all"), undefined);
  });

  it("does not keep a read when what it depends on changed after it began", () => {
    const cache = new ReadCache();
    const readAt = cache.now();
    cache.changed("task_definitions", "app");
    cache.keep("q", appRows, [{ revision: 1 }], readAt);
    assert.equal(cache.get("q"), undefined);
    // Begun after the change, the same read is kept.
    cache.keep("q", appRows, [{ revision: 2 }], cache.now());
    assert.deepEqual(cache.get("q"), [{ revision: 2 }]);
  });

  it("keeps rows frozen, so no caller can change another's answer", () => {
    const cache = new ReadCache();
    const rows = [{ revision: 1 }];
    cache.keep("q", appRows, rows, cache.now());
    const kept = cache.get("q") as { revision: number }[];
    assert.throws(() => kept.push({ revision: 2 }), TypeError);
    const [row] = kept;
    assert.ok(row);
    assert.throws(() => (row.revision = 3), TypeError);
  });

  it("keeps answers up to its size budget, dropping the oldest, and never one too large for it", () => {
    const cache = new ReadCache({ maxSize: 64, maxChanges: 100 });
    const row = (text: string) => [{ doc: text }];
    for (const key of ["a", "b", "c"]) cache.keep(key, appRows, row(key.repeat(3)), cache.now());
    cache.keep("large", appRows, row("x".repeat(5)), cache.now());
    assert.equal(cache.get("large"), undefined, "over a sixteenth of the budget");
    for (const key of ["d", "e", "f"]) cache.keep(key, appRows, row(key.repeat(4)), cache.now());
    for (let i = 0; i < 12; i++) cache.keep(`k${i}`, appRows, row("zzzz"), cache.now());
    assert.equal(cache.get("a"), undefined, "the oldest went first");
    assert.deepEqual(cache.get("k11"), row("zzzz"));
    cache.keep("k11", appRows, row("yyy"), cache.now());
    assert.deepEqual(cache.get("k11"), row("yyy"), "kept again under the same key");
  });

  it("past its limit of recorded changes, forgets them with every answer, and keeps nothing read before", () => {
    const cache = new ReadCache({ maxSize: 1024, maxChanges: 2 });
    const clusterX = [rowsOf("clusters", "x")];
    cache.keep("kept", clusterX, ["old"], cache.now());
    const inFlight = cache.now();
    cache.changed("task_definitions", "a");
    assert.deepEqual(cache.get("kept"), ["old"], "within the limit");
    cache.changed("task_definitions", "b");
    assert.equal(cache.get("kept"), undefined, "forgotten, though nothing it depends on changed");
    cache.keep("late", clusterX, ["maybe stale"], inFlight);
    assert.equal(cache.get("late"), undefined, "begun before the changes were forgotten");
    cache.keep("late", clusterX, ["fresh"], cache.now());
    assert.deepEqual(cache.get("late"), ["fresh"]);
  });
});
