import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  datetimeFormatPattern,
  EventJoiner,
  EventQueue,
  maxBatchBytes,
  maxBatchEvents,
  maxBatchSpanMs,
  maxEventBytes,
  multilinePattern,
  perEventOverhead,
  splitUtf8,
  startPattern,
  takeBatch,
  utf8Length,
  type LogLine,
  type PendingEvent,
} from "./log-batcher.js";
import type { LogPosition } from "./log-checkpoints.js";

const pos = (n: number): LogPosition => ({ ns: BigInt(n) * 1_000_000n, count: 1 });
const line = (n: number, text: string, ms = n): LogLine => ({ timestampMs: ms, text, end: pos(n), before: pos(n - 1) });
const ev = (n: number, message = `m${n}`, timestamp = n): PendingEvent => ({ timestamp, message, bytes: utf8Length(message), end: pos(n) });

describe("takeBatch", () => {
  it("takes at most 10,000 events", () => {
    const queue = Array.from({ length: maxBatchEvents + 5 }, (_, i) => ev(i + 1));
    const b = takeBatch(queue, 0);
    assert.equal(b?.count, maxBatchEvents);
    assert.deepEqual(b?.end, pos(maxBatchEvents));
  });

  it("counts 26 bytes per event toward 1,048,576", () => {
    const big = "x".repeat(100_000);
    const queue = Array.from({ length: 20 }, (_, i) => ev(i + 1, big));
    const b = takeBatch(queue, 0);
    assert.ok(b);
    // 10 × (100,000 + 26) fits; 11 do not.
    assert.equal(b.count, 10);
    assert.equal(b.bytes, 10 * (100_000 + perEventOverhead));
    assert.ok(b.bytes <= maxBatchBytes);
    // Exactly at the limit is allowed.
    const exact = "y".repeat(maxBatchBytes - perEventOverhead);
    assert.equal(takeBatch([ev(1, exact), ev(2)], 0)?.count, 1);
  });

  it("spans at most 24 hours", () => {
    const queue = [ev(1, "a", 1_000), ev(2, "b", 1_000 + maxBatchSpanMs), ev(3, "c", 1_001 + maxBatchSpanMs)];
    const b = takeBatch(queue, 0);
    assert.equal(b?.count, 2);
  });

  it("keeps timestamps non-decreasing and after the last accepted event", () => {
    const queue = [ev(1, "a", 100), ev(2, "b", 99), ev(3, "c", 150)];
    const b = takeBatch(queue, 120);
    assert.deepEqual(
      b?.events.map((e) => e.timestamp),
      [121, 121, 150],
    );
    assert.equal(b?.lastTimestamp, 150);
    const again = takeBatch([ev(4, "d", 150)], 150);
    assert.equal(again?.events[0]?.timestamp, 151);
  });

  it("returns nothing for an empty queue", () => {
    assert.equal(takeBatch([], 0), undefined);
  });
});

describe("EventJoiner", () => {
  it("makes one event per non-empty line without a pattern", () => {
    const j = new EventJoiner(undefined);
    assert.deepEqual(
      j.push(line(1, "hello"), 0).map((e) => [e.message, e.timestamp]),
      [["hello", 1]],
    );
    assert.deepEqual(j.push(line(2, ""), 0), []);
    assert.equal(j.pending, false);
  });

  it("joins lines until the next start, with Docker's newlines and the first line's timestamp", () => {
    const j = new EventJoiner(multilinePattern("\\["));
    const out: PendingEvent[] = [];
    out.push(...j.push(line(1, "[INFO] start"), 0));
    out.push(...j.push(line(2, "  at a()"), 0));
    out.push(...j.push(line(3, "  at b()"), 0));
    assert.equal(out.length, 0);
    out.push(...j.push(line(4, "[INFO] next"), 0));
    assert.deepEqual(
      out.map((e) => [e.message, e.timestamp, e.end]),
      [["[INFO] start\n  at a()\n  at b()\n", 1, pos(3)]],
    );
    assert.deepEqual(
      j.flush().map((e) => e.message),
      ["[INFO] next\n"],
    );
  });

  it("lines before the first start form their own event", () => {
    const j = new EventJoiner(multilinePattern("START"));
    assert.deepEqual(j.push(line(1, "orphan"), 0), []);
    assert.deepEqual(
      j.push(line(2, "START x"), 0).map((e) => e.message),
      ["orphan\n"],
    );
  });

  it("flushes a joined event once idle", () => {
    const j = new EventJoiner(multilinePattern("S"));
    j.push(line(1, "S1"), 1_000);
    assert.deepEqual(j.flushIfIdle(1_500, 1_000), []);
    assert.deepEqual(
      j.flushIfIdle(2_000, 1_000).map((e) => e.message),
      ["S1\n"],
    );
    assert.equal(j.pending, false);
  });

  it("cuts an event that would pass 256 KiB", () => {
    const j = new EventJoiner(multilinePattern("S"));
    const chunk = "x".repeat(100_000);
    const out = [...j.push(line(1, "S"), 0), ...j.push(line(2, chunk), 0), ...j.push(line(3, chunk), 0), ...j.push(line(4, chunk), 0), ...j.flush()];
    assert.equal(out.length, 2);
    assert.ok(out.every((e) => e.bytes <= maxEventBytes));
    assert.equal(out[0]?.message, `S\n${chunk}\n${chunk}\n`);
  });

  it("splits a single line over 256 KiB; only its last piece completes the line", () => {
    const j = new EventJoiner(undefined);
    const out = j.push(line(7, "é".repeat(maxEventBytes)), 0);
    assert.equal(out.length, 2);
    assert.ok(out.every((e) => e.bytes <= maxEventBytes));
    assert.deepEqual(out[0]?.end, pos(6));
    assert.deepEqual(out[1]?.end, pos(7));
    assert.equal(out.map((e) => e.message).join(""), "é".repeat(maxEventBytes));
  });

  it("datetime-format codes become Docker's expressions", () => {
    const p = datetimeFormatPattern("%Y-%m-%dT%H:%M:%S%L");
    assert.ok(p.test("2024-01-31T23:59:59.123 hello"));
    assert.ok(!p.test("  at 2024-01-31T23:59:59.123"));
    assert.ok(datetimeFormatPattern("%b %d, %Y").test("Jan 05, 2024 boot"));
    assert.ok(!datetimeFormatPattern("%b %d, %Y").test("Foo 05, 2024"));
    assert.ok(datetimeFormatPattern("\\[%H:%M:%S\\]").test("[12:00:01] x"));
    // The datetime format wins over a multiline pattern.
    assert.equal(startPattern({ datetimeFormat: "%Y", multilinePattern: "x" })?.source, "^\\d{4}");
    assert.equal(startPattern({}), undefined);
  });
});

describe("splitUtf8", () => {
  it("never cuts a character", () => {
    const pieces = splitUtf8("aé€😀".repeat(10), 7);
    assert.equal(pieces.join(""), "aé€😀".repeat(10));
    assert.ok(pieces.every((p) => utf8Length(p) <= 7));
  });
});

describe("EventQueue", () => {
  it("drops the oldest beyond the buffer size, never the batch in flight, and counts drops", () => {
    const q = new EventQueue();
    q.push(ev(1, "aaaa"), ev(2, "bbbb"), ev(3, "cccc"), ev(4, "dddd"));
    assert.equal(q.bytes, 16);
    assert.equal(q.dropOldestBeyond(8, 1), 2);
    assert.deepEqual(
      q.peek().map((e) => e.message),
      ["aaaa", "dddd"],
    );
    assert.equal(q.dropped, 2);
    q.shift(1);
    assert.equal(q.length, 1);
    assert.equal(q.bytes, 4);
  });
});
