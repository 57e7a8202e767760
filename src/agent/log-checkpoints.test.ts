import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  advance,
  CheckpointStore,
  comparePositions,
  parseDockerTimestamp,
  parseSince,
  ResumeFilter,
  sinceParam,
  startOfLog,
  type LogPosition,
} from "./log-checkpoints.js";

describe("positions", () => {
  it("parses Docker's timestamps to nanoseconds", () => {
    assert.equal(parseDockerTimestamp("1970-01-01T00:00:01.000000002Z"), 1_000_000_002n);
    assert.equal(parseDockerTimestamp("2026-11-22T03:14:46.123456789Z"), BigInt(Date.UTC(2026, 10, 22, 3, 14, 46)) * 1_000_000n + 123_456_789n);
    assert.equal(parseDockerTimestamp("2026-11-22T04:14:46.5+01:00"), parseDockerTimestamp("2026-11-22T03:14:46.500000000Z"));
    assert.equal(parseDockerTimestamp("2026-11-22T03:14:46Z"), BigInt(Date.UTC(2026, 10, 22, 3, 14, 46)) * 1_000_000n);
    assert.equal(parseDockerTimestamp("hello"), undefined);
  });

  it("writes `since` with nine fractional digits and reads it back", () => {
    const p: LogPosition = { ns: 1_763_781_286_000_000_042n, count: 3 };
    assert.equal(sinceParam(p), "1763781286.000000042");
    assert.equal(parseSince(sinceParam(p)), p.ns);
    assert.equal(sinceParam(startOfLog), "0");
    assert.equal(parseSince("12.5"), 12_500_000_000n);
  });

  it("counts lines at the same timestamp, ignores lines stamped earlier", () => {
    let p = startOfLog;
    for (const ns of [5n, 5n, 7n, 7n, 7n, 6n]) p = advance(p, ns);
    assert.deepEqual(p, { ns: 7n, count: 3 });
    assert.ok(comparePositions({ ns: 7n, count: 3 }, { ns: 7n, count: 4 }) < 0);
    assert.ok(comparePositions({ ns: 8n, count: 1 }, { ns: 7n, count: 4 }) > 0);
  });

  it("resumes exactly after the position: every line once across any cut", () => {
    // A log with runs of equal timestamps, as a fast writer makes them.
    const log = [1n, 1n, 1n, 2n, 3n, 3n, 4n, 4n, 4n, 4n, 5n];
    for (let cut = 0; cut <= log.length; cut++) {
      let p = startOfLog;
      for (const ns of log.slice(0, cut)) p = advance(p, ns);
      // Docker's `since` keeps lines stamped at or after it.
      const reread = log.map((ns, i) => ({ ns, i })).filter((l) => l.ns >= p.ns);
      const filter = new ResumeFilter(p);
      const sentAgain = reread.filter((l) => !filter.skip(l.ns)).map((l) => l.i);
      assert.deepEqual(
        sentAgain,
        log.map((_, i) => i).slice(cut),
        `cut after ${cut} lines`,
      );
    }
  });
});

describe("CheckpointStore", () => {
  it("saves by write-then-rename, loads, lists and removes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-ckpt-"));
    try {
      const store = new CheckpointStore(dir);
      assert.equal(await store.load("abc"), undefined);
      assert.deepEqual(await store.list(), []);
      const c = { acked: { ns: 1_700_000_000_123_456_789n, count: 2 }, lastEventMs: 1_700_000_000_123, inFlight: { end: { ns: 1_700_000_001_000_000_000n, count: 1 }, lastEventMs: 1_700_000_001_000 } };
      await store.save("abc", c);
      assert.deepEqual(await store.load("abc"), c);
      await store.save("abc", { acked: c.inFlight.end, lastEventMs: c.inFlight.lastEventMs });
      assert.deepEqual(await store.load("abc"), { acked: c.inFlight.end, lastEventMs: c.inFlight.lastEventMs });
      assert.deepEqual(readdirSync(store.dir), ["abc.json"]);
      assert.deepEqual(await store.list(), ["abc"]);
      await store.remove("abc");
      assert.equal(await store.load("abc"), undefined);
      await assert.rejects(store.save("../evil", c));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
