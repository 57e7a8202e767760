// The LogStore contract: groups and streams with their unique names, batch
// appends (one transaction, counters once), paging reads in both directions,
// group scans with substring prefilters, bulk retention deletes.

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { EventPosition, GroupScan, LogStore, StoredLogEvent } from "../../src/store/log-store.js";
import { UniqueViolation } from "../../src/store/store.js";
import { openFresh, type OpenedStore, type StoreBackend } from "./backends.js";

const t0 = Date.UTC(2026, 0, 1);
const numbered = (n: number, from = 0, at = t0): { timestamp: number; message: string }[] =>
  Array.from({ length: n }, (_, i) => ({ timestamp: at + from + i, message: `event ${String(from + i).padStart(5, "0")}${(from + i) % 10 === 0 ? " ERROR" : ""}` }));

async function append(logs: LogStore, group: string, stream: string, events: { timestamp: number; message: string }[], at = t0): Promise<void> {
  const bytes = events.reduce((n, e) => n + Buffer.byteLength(e.message), 0);
  const r = await logs.append(group, stream, at, () => ({ events, bytes }));
  assert.equal(r.kind, "stored");
}

const pos = (e: StoredLogEvent): EventPosition => ({ timestamp: e.timestamp, id: e.id });

/** A group scan without a window limit, for tests about what matches. */
async function scan(logs: LogStore, q: Omit<GroupScan, "window">): Promise<readonly StoredLogEvent[]> {
  return (await logs.scanGroup({ ...q, window: 1_000_000 })).events;
}

export function logContract(backend: StoreBackend): void {
  describe("LogStore", () => {
    let opened: OpenedStore;
    let logs: LogStore;
    beforeEach(async () => {
      opened = await openFresh(backend);
      logs = opened.store.logs;
    });
    afterEach(() => opened.cleanup());

    it("creates groups with tags once, lists them by prefix, substring and page", async () => {
      for (const name of ["/b/x", "/a/one", "/a/two", "/a/three", "/c/Two"]) {
        await logs.createGroup({ name, createdAt: t0, logGroupClass: "STANDARD", deletionProtection: false, tags: { k: name } });
      }
      await assert.rejects(logs.createGroup({ name: "/a/one", createdAt: t0, logGroupClass: "STANDARD", deletionProtection: false }), UniqueViolation);
      const a = await logs.listGroups({ prefix: "/a/", limit: 2 });
      assert.deepEqual(a.items.map((g) => g.name), ["/a/one", "/a/three"]);
      const rest = await logs.listGroups({ prefix: "/a/", limit: 2, after: a.next! });
      assert.deepEqual(rest.items.map((g) => g.name), ["/a/two"]);
      assert.equal(rest.next, undefined);
      // Substring search is case-sensitive; byte order puts "/c/Two" after "/b/x".
      assert.deepEqual((await logs.listGroups({ contains: "two", limit: 50 })).items.map((g) => g.name), ["/a/two"]);
      assert.deepEqual((await logs.listGroups({ limit: 50 })).items.map((g) => g.name), ["/a/one", "/a/three", "/a/two", "/b/x", "/c/Two"]);
      const one = await logs.getGroup("/a/one");
      assert.deepEqual(await logs.getTags(one!.id), { k: "/a/one" });
    });

    it("appends a 10,000-event batch in one go and moves the counters once", async () => {
      const g = await logs.createGroup({ name: "g", createdAt: t0, logGroupClass: "STANDARD", deletionProtection: false });
      await logs.createStream(g.id, "s", t0);
      const events = numbered(10_000);
      await append(logs, "g", "s", events, t0 + 50_000);
      const stream = await logs.getStream(g.id, "s");
      assert.equal(stream?.uploads, 1);
      assert.equal(stream?.firstEventAt, t0);
      assert.equal(stream?.lastEventAt, t0 + 9_999);
      assert.equal(stream?.lastIngestionAt, t0 + 50_000);
      const bytes = events.reduce((n, e) => n + Buffer.byteLength(e.message), 0);
      assert.equal((await logs.getGroup("g"))?.storedBytes, bytes);
      const all = await logs.readStream({ streamId: stream.id, direction: "forward", limit: 20_000 });
      assert.deepEqual(all.map((e) => e.message), events.map((e) => e.message));
      assert.ok(
        all.every((e, i) => {
          const previous = all[i - 1];
          return previous === undefined || e.id > previous.id;
        }),
        "ids grow in insertion order",
      );
    });

    it("stores nothing when the plan refuses the batch, and reports missing groups and streams", async () => {
      const g = await logs.createGroup({ name: "g", createdAt: t0, logGroupClass: "STANDARD", deletionProtection: false });
      const s = await logs.createStream(g.id, "s", t0);
      await assert.rejects(
        logs.append("g", "s", t0, () => {
          throw new Error("refused");
        }),
        /refused/,
      );
      assert.deepEqual(await logs.readStream({ streamId: s.id, direction: "forward", limit: 10 }), []);
      assert.deepEqual(await logs.append("nope", "s", t0, () => ({ events: [], bytes: 0 })), { kind: "noGroup" });
      assert.deepEqual(await logs.append("g", "nope", t0, () => ({ events: [], bytes: 0 })), { kind: "noStream" });
      await assert.rejects(logs.createStream(g.id, "s", t0), UniqueViolation);
    });

    it("pages a stream forward and backward by position, within a time range", async () => {
      const g = await logs.createGroup({ name: "g", createdAt: t0, logGroupClass: "STANDARD", deletionProtection: false });
      const s = await logs.createStream(g.id, "s", t0);
      // Equal timestamps must still page exactly once: 3 events per millisecond.
      const events = Array.from({ length: 30 }, (_, i) => ({ timestamp: t0 + Math.floor(i / 3), message: `m${i}` }));
      await append(logs, "g", "s", events);
      const seen: string[] = [];
      let from: EventPosition | undefined;
      for (;;) {
        const page: readonly StoredLogEvent[] = await logs.readStream({ streamId: s.id, direction: "forward", limit: 4, ...(from ? { from } : {}) });
        const last = page.at(-1);
        if (last === undefined) break;
        seen.push(...page.map((e) => e.message));
        from = pos(last);
      }
      assert.deepEqual(seen, events.map((e) => e.message));
      const back: string[] = [];
      from = undefined;
      for (;;) {
        const page: readonly StoredLogEvent[] = await logs.readStream({ streamId: s.id, direction: "backward", limit: 7, ...(from ? { from } : {}) });
        const last = page.at(-1);
        if (last === undefined) break;
        back.push(...page.map((e) => e.message));
        from = pos(last);
      }
      assert.deepEqual(back, events.map((e) => e.message).reverse());
      const ranged = await logs.readStream({ streamId: s.id, direction: "forward", startTime: t0 + 2, endTime: t0 + 4, limit: 100 });
      assert.deepEqual(ranged.map((e) => e.message), ["m6", "m7", "m8", "m9", "m10", "m11"]);
    });

    it("scans a group in time order across streams, with substring prefilters and stream selection", async () => {
      const g = await logs.createGroup({ name: "g", createdAt: t0, logGroupClass: "STANDARD", deletionProtection: false });
      const a = await logs.createStream(g.id, "app/a", t0);
      const b = await logs.createStream(g.id, "app/b", t0);
      await logs.createStream(g.id, "other", t0);
      await append(logs, "g", "app/a", [{ timestamp: t0 + 1, message: "a1 ERROR x" }, { timestamp: t0 + 3, message: "a3 error" }]);
      await append(logs, "g", "app/b", [{ timestamp: t0 + 2, message: "b2 ERROR" }, { timestamp: t0 + 4, message: "b4 WARN" }]);
      await append(logs, "g", "other", [{ timestamp: t0, message: "o0 ERROR" }]);
      const msgs = (es: readonly StoredLogEvent[]): string[] => es.map((e) => e.message);
      assert.deepEqual(msgs(await scan(logs, { groupId: g.id, limit: 10 })), ["o0 ERROR", "a1 ERROR x", "b2 ERROR", "a3 error", "b4 WARN"]);
      assert.deepEqual(msgs(await scan(logs, { groupId: g.id, containsAnyOf: [["ERROR"]], containsNoneOf: ["x"], limit: 10 })), ["o0 ERROR", "b2 ERROR"]);
      assert.deepEqual(msgs(await scan(logs, { groupId: g.id, containsAnyOf: [["WARN", "error"]], limit: 10 })), ["a3 error", "b4 WARN"]);
      assert.deepEqual(msgs(await scan(logs, { groupId: g.id, streamPrefix: "app/", startTime: t0 + 2, endTime: t0 + 4, limit: 10 })), ["b2 ERROR", "a3 error"]);
      assert.deepEqual(msgs(await scan(logs, { groupId: g.id, streamIds: [a.id], limit: 10 })), ["a1 ERROR x", "a3 error"]);
      const [, second] = await scan(logs, { groupId: g.id, limit: 2 });
      assert.ok(second);
      assert.deepEqual(msgs(await scan(logs, { groupId: g.id, after: pos(second), limit: 10 })), ["b2 ERROR", "a3 error", "b4 WARN"]);
      assert.deepEqual(await logs.streamNames([a.id, b.id]), new Map([[a.id, "app/a"], [b.id, "app/b"]]));
    });

    it("examines a bounded window per scan and says where to resume", async () => {
      const g = await logs.createGroup({ name: "g", createdAt: t0, logGroupClass: "STANDARD", deletionProtection: false });
      await logs.createStream(g.id, "s", t0);
      await append(logs, "g", "s", numbered(100)); // ERROR at 0, 10, 20, …
      // The window holds 25 events, 3 of which match: all 3 come back, resume after event 24.
      let r = await logs.scanGroup({ groupId: g.id, containsAnyOf: [["ERROR"]], limit: 10, window: 25 });
      assert.deepEqual(r.events.map((e) => e.message), ["event 00000 ERROR", "event 00010 ERROR", "event 00020 ERROR"]);
      assert.equal(r.last?.timestamp, t0 + 24);
      assert.equal(r.done, false);
      // The limit stops first: resume after the last event returned.
      r = await logs.scanGroup({ groupId: g.id, containsAnyOf: [["ERROR"]], limit: 2, window: 25, after: r.last });
      assert.deepEqual(r.events.map((e) => e.message), ["event 00030 ERROR", "event 00040 ERROR"]);
      assert.equal(r.last?.timestamp, t0 + 40);
      assert.equal(r.done, false);
      // The range ends inside the window.
      r = await logs.scanGroup({ groupId: g.id, containsAnyOf: [["ERROR"]], limit: 100, window: 100, after: r.last });
      assert.deepEqual(r.events.map((e) => e.message), ["event 00050 ERROR", "event 00060 ERROR", "event 00070 ERROR", "event 00080 ERROR", "event 00090 ERROR"]);
      assert.equal(r.done, true);
      // Nothing left at all.
      r = await logs.scanGroup({ groupId: g.id, limit: 100, window: 100, after: { timestamp: t0 + 99, id: Number.MAX_SAFE_INTEGER } });
      assert.deepEqual(r, { events: [], done: true });
    });

    it("lists streams by name or last event time, both directions, with cursors", async () => {
      const g = await logs.createGroup({ name: "g", createdAt: t0, logGroupClass: "STANDARD", deletionProtection: false });
      for (const n of ["c", "a", "b", "d"]) await logs.createStream(g.id, n, t0);
      await append(logs, "g", "a", [{ timestamp: t0 + 30, message: "x" }]);
      await append(logs, "g", "b", [{ timestamp: t0 + 10, message: "x" }]);
      await append(logs, "g", "c", [{ timestamp: t0 + 20, message: "x" }]);
      const names = async (orderBy: "LogStreamName" | "LastEventTime", descending: boolean): Promise<string[]> => {
        const out: string[] = [];
        let after: { name: string; lastEventAt?: number } | undefined;
        for (;;) {
          const page = await logs.listStreams({ groupId: g.id, orderBy, descending, limit: 1, ...(after ? { after } : {}) });
          out.push(...page.items.map((s) => s.name));
          if (!page.more) return out;
          const last = page.items.at(-1);
          assert.ok(last, "a page with more after it is not empty");
          after = { name: last.name, lastEventAt: last.lastEventAt ?? 0 };
        }
      };
      assert.deepEqual(await names("LogStreamName", false), ["a", "b", "c", "d"]);
      assert.deepEqual(await names("LogStreamName", true), ["d", "c", "b", "a"]);
      assert.deepEqual(await names("LastEventTime", false), ["d", "b", "c", "a"]);
      assert.deepEqual(await names("LastEventTime", true), ["a", "c", "b", "d"]);
    });

    it("expires a group's old events in bulk and shrinks its stored bytes", async () => {
      const g = await logs.createGroup({ name: "g", createdAt: t0, logGroupClass: "STANDARD", deletionProtection: false });
      const other = await logs.createGroup({ name: "other", createdAt: t0, logGroupClass: "STANDARD", deletionProtection: false });
      await logs.createStream(g.id, "s1", t0);
      await logs.createStream(g.id, "s2", t0);
      await logs.createStream(other.id, "s", t0);
      await append(logs, "g", "s1", numbered(100));
      await append(logs, "g", "s2", numbered(100, 100));
      await append(logs, "other", "s", numbered(100));
      assert.equal(await logs.expireEvents(g.id, t0 + 150), 150);
      assert.equal(await logs.expireEvents(g.id, t0 + 150), 0);
      const left = await scan(logs, { groupId: g.id, limit: 1_000 });
      assert.equal(left.length, 50);
      assert.equal(left[0]?.timestamp, t0 + 150);
      const bytes = numbered(50, 150).reduce((n, e) => n + Buffer.byteLength(e.message), 0);
      assert.equal((await logs.getGroup("g"))?.storedBytes, bytes);
      assert.equal((await scan(logs, { groupId: other.id, limit: 1_000 })).length, 100, "other groups keep theirs");
      assert.equal(await logs.setRetention("g", 7), true);
      assert.equal(await logs.setRetention("missing", 7), false);
      assert.deepEqual((await logs.groupsWithRetention()).map((x) => [x.name, x.retentionInDays]), [["g", 7]]);
    });

    it("deletes a stream's events with it, and a group with everything in it", async () => {
      const g = await logs.createGroup({ name: "g", createdAt: t0, logGroupClass: "STANDARD", deletionProtection: false, tags: { a: "1" } });
      await logs.createStream(g.id, "s1", t0);
      await logs.createStream(g.id, "s2", t0);
      await append(logs, "g", "s1", numbered(10));
      await append(logs, "g", "s2", numbered(10, 10));
      assert.equal(await logs.deleteStream(g.id, "s1"), true);
      assert.equal(await logs.deleteStream(g.id, "s1"), false);
      assert.equal((await scan(logs, { groupId: g.id, limit: 100 })).length, 10);
      const bytes = numbered(10, 10).reduce((n, e) => n + Buffer.byteLength(e.message), 0);
      assert.equal((await logs.getGroup("g"))?.storedBytes, bytes);
      assert.equal(await logs.deleteGroup("g"), true);
      assert.equal(await logs.deleteGroup("g"), false);
      assert.equal((await scan(logs, { groupId: g.id, limit: 100 })).length, 0);
      assert.deepEqual(await logs.getTags(g.id), {});
      // A new group of the same name starts empty.
      const again = await logs.createGroup({ name: "g", createdAt: t0, logGroupClass: "STANDARD", deletionProtection: false });
      assert.equal(again.storedBytes, 0);
      assert.notEqual(again.id, g.id);
    });

    it("keeps every event and counter when batches arrive concurrently, and a racing delete neither deadlocks nor leaves events", async () => {
      const g = await logs.createGroup({ name: "g", createdAt: t0, logGroupClass: "STANDARD", deletionProtection: false });
      await logs.createStream(g.id, "a", t0);
      await logs.createStream(g.id, "b", t0);
      await Promise.all(Array.from({ length: 8 }, (_, k) => append(logs, "g", k % 2 === 0 ? "a" : "b", numbered(1_000, k * 1_000))));
      const all = await scan(logs, { groupId: g.id, limit: 100_000 });
      assert.equal(all.length, 8_000);
      assert.equal(new Set(all.map((e) => e.id)).size, 8_000);
      assert.equal((await logs.getStream(g.id, "a"))?.uploads, 4);
      const bytes = numbered(8_000).reduce((n, e) => n + Buffer.byteLength(e.message), 0);
      assert.equal((await logs.getGroup("g"))?.storedBytes, bytes);

      const racing = Array.from({ length: 6 }, (_, k) =>
        logs.append("g", k % 2 === 0 ? "a" : "b", t0, () => ({ events: numbered(500, k * 500), bytes: 1 })),
      );
      const deleted = logs.deleteGroup("g");
      const outcomes = await Promise.all(racing);
      assert.equal(await deleted, true);
      for (const o of outcomes) assert.ok(o.kind === "stored" || o.kind === "noGroup" || o.kind === "noStream", o.kind);
      assert.equal((await scan(logs, { groupId: g.id, limit: 100_000 })).length, 0, "no event outlives its group");
    });

    it("caps tags per group without writing past the cap", async () => {
      const g = await logs.createGroup({ name: "g", createdAt: t0, logGroupClass: "STANDARD", deletionProtection: false });
      const tags = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, "v"]));
      assert.equal(await logs.putTags(g.id, tags, 50), "ok");
      assert.equal(await logs.putTags(g.id, { k0: "changed", extra: "x" }, 50), "ok");
      assert.equal(await logs.putTags(g.id, { one: "more" }, 50), "tooMany");
      const now = await logs.getTags(g.id);
      assert.equal(Object.keys(now).length, 50);
      assert.equal(now["k0"], "changed");
      await logs.deleteTags(g.id, ["k0", "nope"]);
      assert.equal(Object.keys(await logs.getTags(g.id)).length, 49);
    });
  });
}
