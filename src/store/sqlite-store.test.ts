// What only the SQLite backend shows: its file, its dialect's SQL, its query
// plans. The contract every backend passes is test/store-contract/.

import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import Sqlite from "better-sqlite3";
import { Kysely } from "kysely";
import { openFresh, sqliteBackend } from "../../test/store-contract/backends.js";
import { BerthSqliteDialect } from "./sqlite-store.js";

describe("SQLite store file", () => {
  it("moves committed writes from the WAL into the database file without the writer checkpointing", async () => {
    const opened = await openFresh(sqliteBackend);
    const { store, file } = opened;
    try {
      const arn = "arn:aws:ecs:us-east-1:000000000000:cluster/checkpointed";
      await store.tx((tx) => tx.insertCluster({ clusterArn: arn, clusterName: "checkpointed", status: "ACTIVE" }));
      // The writer never checkpoints and one cluster is far below SQLite's own threshold:
      // the row reaches the database file only through the checkpointer's thread.
      const copy = join(file!, "..", "copy.db");
      const copyHoldsIt = (): boolean => {
        copyFileSync(file!, copy);
        const db = new Sqlite(copy, { readonly: true });
        try {
          const table = db.prepare("select name from sqlite_master where name = 'clusters'").get();
          return Boolean(table && db.prepare("select arn from clusters where arn = ?").get(arn));
        } catch (err) {
          // A copy taken while a checkpoint writes pages may be torn: it holds nothing yet.
          if (err instanceof Error && "code" in err && (err.code === "SQLITE_CORRUPT" || err.code === "SQLITE_NOTADB")) return false;
          throw err;
        } finally {
          db.close();
        }
      };
      while (!copyHoldsIt()) await sleep(20);
    } finally {
      await opened.cleanup();
    }
  });
});

describe("SQLite dialect", () => {
  it("writes limits and offsets into the SQL, so SQLite plans each statement once", () => {
    const db = new Kysely<{ t: { a: string } }>({ dialect: new BerthSqliteDialect({ database: new Sqlite(":memory:") }) });
    const compiled = db.selectFrom("t").select("a").where("a", ">", "x").orderBy("a").limit(3).offset(2).compile();
    assert.equal(compiled.sql, 'select "a" from "t" where "a" > ? order by "a" limit 3 offset 2');
    assert.deepEqual(compiled.parameters, ["x"]);
  });
});

describe("LogStore on sqlite", () => {
  it("answers time-range reads from the indexes, without a scan or a sort", async () => {
    const opened = await openFresh(sqliteBackend);
    const db = new Sqlite(opened.file, { readonly: true });
    try {
      const plan = (q: string): string =>
        (db.prepare(`explain query plan ${q}`).all() as { detail: string }[]).map((r) => r.detail).join(" | ");
      const stream = plan("select * from log_events where stream_id = 1 and ts >= 2 and ts < 3 order by ts, id limit 100");
      assert.match(stream, /USING INDEX log_events_stream_time/);
      assert.doesNotMatch(stream, /TEMP B-TREE|SCAN log_events(?! USING)/);
      const group = plan("select * from log_events where group_id = 1 and ts >= 2 and ts < 3 order by ts, id limit 100");
      assert.match(group, /USING INDEX log_events_group_time/);
      assert.doesNotMatch(group, /TEMP B-TREE/);
      const expire = plan("delete from log_events where group_id = 1 and ts < 2");
      assert.match(expire, /USING INDEX log_events_group_time|USING COVERING INDEX log_events_group_time/);
    } finally {
      db.close();
      await opened.cleanup();
    }
  });
});
