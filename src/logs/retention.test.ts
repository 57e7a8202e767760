// The retention loop with an injected clock: a sweep deletes exactly the events
// older than each group's policy, and the running loop does it on its own.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, it } from "node:test";
import { openSqliteStore } from "../store/sqlite-store.js";
import type { Store } from "../store/store.js";
import { RetentionSweeper } from "./retention.js";

const day = 86_400_000;
const t0 = Date.UTC(2026, 2, 1);

describe("RetentionSweeper", () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "berth-retention-"));
    store = await openSqliteStore(join(dir, "berth.db"), "us-east-1");
    for (const [name, days] of [["short", 1], ["long", 30], ["forever", undefined]] as const) {
      const g = await store.logs.createGroup({ name, createdAt: t0, logGroupClass: "STANDARD", deletionProtection: false });
      await store.logs.createStream(g.id, "s", t0);
      const events = [10, 5, 2, 0.5].map((ago) => ({ timestamp: t0 - ago * day, message: `${ago} days old` }));
      await store.logs.append(name, "s", t0, () => ({ events, bytes: events.reduce((n, e) => n + e.message.length, 0) }));
      await store.logs.setRetention(name, days);
    }
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const left = async (name: string): Promise<string[]> => {
    const g = await store.logs.getGroup(name);
    return (await store.logs.scanGroup({ groupId: g!.id, limit: 100, window: 100 })).events.map((e) => e.message);
  };

  it("deletes only what each group's policy no longer keeps, at the clock's time", async () => {
    const sweeper = new RetentionSweeper({ logs: store.logs, clock: { now: () => new Date(t0) } });
    assert.deepEqual(await sweeper.sweep(), { groups: 2, deleted: 3 });
    assert.deepEqual(await left("short"), ["0.5 days old"]);
    assert.deepEqual(await left("long"), ["10 days old", "5 days old", "2 days old", "0.5 days old"]);
    assert.deepEqual(await left("forever"), ["10 days old", "5 days old", "2 days old", "0.5 days old"]);
    // A month later the 30-day group has expired everything too; no policy, no expiry.
    assert.deepEqual(await sweeper.sweep(new Date(t0 + 31 * day)), { groups: 2, deleted: 5 });
    assert.deepEqual(await left("long"), []);
    assert.equal((await left("forever")).length, 4);
  });

  it("runs on its own once started, and stops cleanly", async () => {
    let now = t0 - 100 * day; // nothing is old yet
    const sweeper = new RetentionSweeper({ logs: store.logs, clock: { now: () => new Date(now) }, intervalMs: 5 });
    sweeper.start();
    try {
      await sleep(50);
      assert.equal((await left("short")).length, 4);
      now = t0;
      for (let i = 0; i < 200 && (await left("short")).length > 1; i++) await sleep(10);
      assert.deepEqual(await left("short"), ["0.5 days old"]);
    } finally {
      await sweeper.stop();
    }
  });
});
