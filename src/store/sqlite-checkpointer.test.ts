import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Sqlite from "better-sqlite3";
import { startCheckpointer } from "./sqlite-checkpointer.js";

const walBytes = (file: string): number => {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
};

describe("SQLite checkpointer", () => {
  test("keeps the WAL near its threshold under steady writes, and truncates it once writes stop", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-checkpointer-"));
    const file = join(dir, "berth.db");
    const db = new Sqlite(file);
    db.pragma("journal_mode = WAL");
    db.pragma("wal_autocheckpoint = 0");
    db.exec("create table t (id integer primary key, body text)");
    const insert = db.prepare("insert into t (body) values (?)");
    let turns = 0;
    const restartAtBytes = 512 * 1024;
    // Statements here are synchronous, so between two awaits the connection is idle: a turn may run at once.
    const checkpointer = startCheckpointer(file, { intervalMs: 20, restartAtBytes, idleMs: 200, exclusive: (turn) => (turns++, turn()) });
    try {
      let largest = 0;
      const until = Date.now() + 1_500;
      while (Date.now() < until) {
        db.transaction(() => {
          for (let i = 0; i < 20; i++) insert.run("x".repeat(2_000));
        })();
        largest = Math.max(largest, walBytes(file));
        await sleep(1);
      }
      const written = (db.prepare("select count(*) as n from t").get() as { n: number }).n * 2_000;
      assert.ok(turns > 0, "no turn was asked for");
      // Left alone the WAL holds everything written; restarted, what a turn or two takes to come round.
      assert.ok(written > 16 * restartAtBytes, `only ${written} bytes written: the test proves nothing`);
      assert.ok(largest < written / 4, `the WAL reached ${largest} bytes for ${written} written`);
      await sleep(1_000);
      assert.equal(walBytes(file), 0, "the WAL was not truncated once writes stopped");
    } finally {
      await checkpointer.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
