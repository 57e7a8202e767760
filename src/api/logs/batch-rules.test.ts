// PutLogEvents' batch rules without a server: sizes, order, age windows, span.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluateBatch, maxBatchBytes, maxFutureMs, maxPastMs, perEventOverhead } from "./batch-rules.js";

const now = Date.UTC(2026, 0, 15, 12, 0, 0);
const hour = 3_600_000;
const day = 24 * hour;
const ev = (timestamp: number, message = "m"): { timestamp: number; message: string } => ({ timestamp, message });

describe("evaluateBatch", () => {
  it("accepts a batch of current events whole, counting message bytes", () => {
    const v = evaluateBatch([ev(now - 1000, "héllo"), ev(now, "x")], now);
    assert.deepEqual(v, { ok: true, start: 0, end: 2, bytes: 7 });
  });

  it("accepts events with equal timestamps", () => {
    assert.deepEqual(evaluateBatch([ev(now), ev(now), ev(now)], now), { ok: true, start: 0, end: 3, bytes: 3 });
  });

  it("refuses a batch out of chronological order", () => {
    const v = evaluateBatch([ev(now), ev(now - 1)], now);
    assert.equal(v.ok, false);
    assert.match(!v.ok ? v.message : "", /chronological order/);
  });

  it("refuses more than 1,048,576 bytes counting 26 per event, and accepts exactly that", () => {
    const fits = maxBatchBytes - perEventOverhead * 2;
    const a = "a".repeat(fits / 2);
    assert.equal(evaluateBatch([ev(now, a), ev(now, a)], now).ok, true);
    const v = evaluateBatch([ev(now, a), ev(now, `${a}b`)], now);
    assert.equal(v.ok, false);
    assert.match(!v.ok ? v.message : "", /Upload too large: 1048577 bytes/);
  });

  it("counts UTF-8 bytes, not characters", () => {
    const euro = "€".repeat(Math.floor((maxBatchBytes - perEventOverhead) / 3) + 1);
    assert.equal(evaluateBatch([ev(now, euro)], now).ok, false);
  });

  it("refuses an empty or oversized batch", () => {
    assert.equal(evaluateBatch([], now).ok, false);
    assert.equal(evaluateBatch(Array.from({ length: 10_001 }, () => ev(now)), now).ok, false);
    assert.equal(evaluateBatch(Array.from({ length: 10_000 }, () => ev(now)), now).ok, true);
  });

  it("reports events older than 14 days by their exclusive end index and stores the rest", () => {
    const v = evaluateBatch([ev(now - maxPastMs - 2), ev(now - maxPastMs - 1), ev(now - hour), ev(now)], now);
    assert.deepEqual(v, { ok: true, start: 2, end: 4, rejected: { tooOldLogEventEndIndex: 2 }, bytes: 2 });
  });

  it("keeps an event exactly 14 days old", () => {
    assert.deepEqual(evaluateBatch([ev(now - maxPastMs), ev(now - maxPastMs + 1)], now), { ok: true, start: 0, end: 2, bytes: 2 });
  });

  it("reports events more than 2 hours ahead by their inclusive start index", () => {
    const v = evaluateBatch([ev(now), ev(now + maxFutureMs), ev(now + maxFutureMs + 1), ev(now + maxFutureMs + 5)], now);
    assert.deepEqual(v, { ok: true, start: 0, end: 2, rejected: { tooNewLogEventStartIndex: 2 }, bytes: 2 });
  });

  it("reports events older than the group's retention as expired", () => {
    const v = evaluateBatch([ev(now - 2 * day), ev(now - day + 1), ev(now)], now, 1);
    assert.deepEqual(v, { ok: true, start: 1, end: 3, rejected: { expiredLogEventEndIndex: 1 }, bytes: 2 });
  });

  it("reports an event both too old and expired under both indexes", () => {
    const v = evaluateBatch([ev(now - 20 * day), ev(now - 10 * day), ev(now - day)], now, 7);
    assert.deepEqual(v, { ok: true, start: 2, end: 3, rejected: { tooOldLogEventEndIndex: 1, expiredLogEventEndIndex: 2 }, bytes: 1 });
  });

  it("stores nothing when every event is rejected, and says so", () => {
    const v = evaluateBatch([ev(now - 15 * day), ev(now + 3 * hour)], now);
    assert.deepEqual(v, { ok: true, start: 1, end: 1, rejected: { tooOldLogEventEndIndex: 1, tooNewLogEventStartIndex: 1 }, bytes: 0 });
  });

  it("refuses valid events spanning more than 24 hours, and accepts exactly 24 hours", () => {
    assert.equal(evaluateBatch([ev(now - day), ev(now)], now).ok, true);
    const v = evaluateBatch([ev(now - day - 1), ev(now)], now);
    assert.equal(v.ok, false);
    assert.match(!v.ok ? v.message : "", /cannot span more than 24 hours/);
  });

  it("measures the span over the events it would store, not the rejected ones", () => {
    const v = evaluateBatch([ev(now - 20 * day), ev(now - hour), ev(now)], now);
    assert.deepEqual(v, { ok: true, start: 1, end: 3, rejected: { tooOldLogEventEndIndex: 1 }, bytes: 2 });
  });
});
