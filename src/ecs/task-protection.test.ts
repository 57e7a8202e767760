// Protection ends by itself at its expiration.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isProtected, protectedTask } from "./task-protection.js";

describe("task protection", () => {
  const until = new Date(Date.UTC(2024, 0, 1, 12));
  const before = new Date(until.getTime() - 1);

  it("holds until its expiration, not at or after it", () => {
    assert.equal(isProtected({ protectedUntil: until }, before), true);
    assert.equal(isProtected({ protectedUntil: until }, until), false);
    assert.equal(isProtected({}, before), false);
    assert.equal(isProtected(undefined, before), false);
  });

  it("shows as ECS shows it: an expired protection is no protection", () => {
    assert.deepEqual(protectedTask("t", { protectedUntil: until }, before), { taskArn: "t", protectionEnabled: true, expirationDate: until });
    assert.deepEqual(protectedTask("t", { protectedUntil: until }, until), { taskArn: "t", protectionEnabled: false });
  });
});
