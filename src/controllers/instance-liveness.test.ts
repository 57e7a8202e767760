// When an instance's agent counts as lost.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { livenessOf } from "./instance-liveness.js";

describe("livenessOf", () => {
  const now = new Date(100_000);
  it("a connected instance is never lost and forgets when it was away", () => {
    assert.deepEqual(livenessOf({ status: "ACTIVE", agentConnected: true }, new Date(0), now, 1000), { lost: false });
  });
  it("starts the clock when the agent is first seen away, and declares it lost after the timeout", () => {
    assert.deepEqual(livenessOf({ status: "ACTIVE", agentConnected: false }, undefined, now, 1000), { disconnectedSince: now, lost: false });
    assert.deepEqual(livenessOf({ status: "DRAINING", agentConnected: false }, new Date(99_500), now, 1000), { disconnectedSince: new Date(99_500), lost: false });
    assert.deepEqual(livenessOf({ status: "ACTIVE", agentConnected: false }, new Date(99_000), now, 1000), { disconnectedSince: new Date(99_000), lost: true });
  });
  it("a deregistered instance's tasks are lost at once", () => {
    assert.deepEqual(livenessOf({ status: "INACTIVE", agentConnected: true }, undefined, now, 1000), { lost: true });
  });
});
