// The launch throttle's delays.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { afterFailedStart, maxThrottleMs, throttleBegins, throttleDelayMs, throttled } from "./launch-throttle.js";

describe("launch throttle", () => {
  it("waits nothing after one failed start, then doubles up to 27 minutes", () => {
    assert.equal(throttleDelayMs(0, 1000), 0);
    assert.equal(throttleDelayMs(1, 1000), 0);
    assert.equal(throttleDelayMs(2, 1000), 1000);
    assert.equal(throttleDelayMs(3, 1000), 2000);
    assert.equal(throttleDelayMs(5, 1000), 8000);
    assert.equal(throttleDelayMs(40, 1000), maxThrottleMs);
    assert.equal(throttleDelayMs(10_000, 10_000), 27 * 60_000);
  });

  it("holds launches until the next attempt's time, and says when it begins", () => {
    const now = new Date(1_000_000);
    const one = afterFailedStart(undefined, now, 500);
    assert.deepEqual(one, { failedStarts: 1 });
    assert.equal(throttled(one, now), false);
    const two = afterFailedStart(one, now, 500);
    assert.deepEqual(two, { failedStarts: 2, nextLaunchAt: new Date(1_000_500) });
    assert.equal(throttleBegins(one, two), true);
    assert.equal(throttled(two, new Date(1_000_499)), true);
    assert.equal(throttled(two, new Date(1_000_500)), false);
    const three = afterFailedStart(two, now, 500);
    assert.equal(throttleBegins(two, three), false, "said once, when it begins");
  });
});
