// The opaque strings clients hand back: they round-trip, and anything else is refused.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { endPosition, eventId, pageToken, parseEventId, parsePageToken, parseStreamToken, startPosition, streamToken } from "./tokens.js";

describe("tokens", () => {
  it("writes positions as 56-digit eventIds that sort like the positions", () => {
    const a = eventId({ timestamp: 1_700_000_000_000, id: 9 });
    const b = eventId({ timestamp: 1_700_000_000_000, id: 10 });
    const c = eventId({ timestamp: 1_700_000_000_001, id: 1 });
    assert.match(a, /^\d{56}$/);
    assert.ok(a < b && b < c);
    assert.deepEqual(parseEventId(b), { timestamp: 1_700_000_000_000, id: 10 });
    assert.deepEqual(parseEventId(eventId(endPosition)), endPosition);
  });

  it("wraps GetLogEvents tokens as AWS does, with their direction", () => {
    const p = { timestamp: 5, id: 7 };
    assert.match(streamToken("forward", p), /^f\/\d{56}\/s$/);
    assert.deepEqual(parseStreamToken(streamToken("backward", p)), { direction: "backward", position: p });
    assert.deepEqual(parseStreamToken(streamToken("forward", startPosition)), { direction: "forward", position: startPosition });
    for (const bad of ["", "garbage", "f/123/s", `x/${eventId(p)}/s`, `f/${eventId(p)}`, `f/${"9".repeat(56)}/s`]) {
      assert.equal(parseStreamToken(bad), undefined, bad);
    }
  });

  it("round-trips page tokens and refuses what does not decode to the expected shape", () => {
    const isName = (v: unknown): v is { a: string } => typeof v === "object" && v !== null && typeof (v as { a?: unknown }).a === "string";
    assert.deepEqual(parsePageToken(pageToken({ a: "/x/y" }), isName), { a: "/x/y" });
    assert.equal(parsePageToken(pageToken({ a: 1 }), isName), undefined);
    assert.equal(parsePageToken("not base64 json!", isName), undefined);
  });
});
