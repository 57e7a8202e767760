import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RequestTurns } from "./request-turns.js";

describe("RequestTurns", () => {
  it("grants turns first come, first served, a taker that came in a later turn after those already waiting", async () => {
    const turns = new RequestTurns();
    const order: string[] = [];
    const late: Promise<void>[] = [];
    const takers = ["a", "b", "c"].map(async (name) => {
      await turns.take();
      order.push(name);
      // A request read while "a" was being served queues behind "b" and "c".
      if (name === "a") late.push(turns.take().then(() => void order.push("d")));
    });
    await Promise.all(takers);
    await Promise.all(late);
    assert.deepEqual(order, ["a", "b", "c", "d"]);
  });

  it("grants one turn per pass of the event loop, so the loop looks for new work between turns", async () => {
    const turns = new RequestTurns();
    const order: string[] = [];
    const served = ["a", "b", "c"].map(async (name) => {
      await turns.take();
      order.push(name);
      // Scheduled during a's turn, it runs in the next pass: after b's turn, before c's.
      if (name === "a") setImmediate(() => order.push("next pass"));
    });
    await Promise.all(served);
    assert.deepEqual(order, ["a", "b", "next pass", "c"]);
  });

  it("grants a lone taker its turn without waiting on anyone, though never synchronously, and again after a pause", async () => {
    const turns = new RequestTurns();
    await turns.take();
    await new Promise((resolve) => setTimeout(resolve, 5));
    let granted = false;
    const taken = turns.take().then(() => (granted = true));
    // Not within the same pass: turns are granted in the loop's check phase.
    assert.equal(granted, false);
    await taken;
    assert.equal(granted, true);
  });
});
