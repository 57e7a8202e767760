// The circuit breaker's threshold.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { breakerTripped, failureThreshold } from "./circuit-breaker.js";

describe("failureThreshold", () => {
  it("is half the desired count rounded up, at least 3 and at most 200", () => {
    const cases: [number, number][] = [
      [0, 3],
      [1, 3],
      [3, 3],
      [6, 3],
      [7, 4],
      [10, 5],
      [11, 6],
      [100, 50],
      [399, 200],
      [400, 200],
      [10_000, 200],
    ];
    for (const [desired, threshold] of cases) assert.equal(failureThreshold(desired), threshold, `desired ${desired}`);
  });

  it("trips at the threshold, not before", () => {
    assert.equal(breakerTripped(2, 3), false);
    assert.equal(breakerTripped(3, 3), true);
    assert.equal(breakerTripped(4, 10), false);
    assert.equal(breakerTripped(5, 10), true);
  });
});
