// The store contract on SQLite (a fresh file per test), and what only a file
// can show: committed state survives closing and reopening it.

import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import Sqlite from "better-sqlite3";
import { Kysely } from "kysely";
import { BerthSqliteDialect, openSqliteStore } from "./sqlite-store.js";
import { assertSurvivesReopen, runStoreContract } from "./store-contract.js";

function tempFile(): { file: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "berth-sqlite-store-"));
  return { file: join(dir, "berth.db"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

runStoreContract("sqlite", async () => {
  const temp = tempFile();
  const store = await openSqliteStore(temp.file);
  return {
    store,
    async cleanup() {
      await store.close();
      temp.remove();
    },
  };
});

describe("SQLite store file", () => {
  it("keeps committed writes across close and reopen, and migrates an existing file without loss", async () => {
    const temp = tempFile();
    try {
      await assertSurvivesReopen("sqlite", () => openSqliteStore(temp.file));
    } finally {
      temp.remove();
    }
  });

  it("moves committed writes from the WAL into the database file without the writer checkpointing", async () => {
    const temp = tempFile();
    const store = await openSqliteStore(temp.file);
    try {
      const arn = "arn:aws:ecs:us-east-1:000000000000:cluster/checkpointed";
      await store.tx((tx) => tx.insertCluster({ clusterArn: arn, clusterName: "checkpointed", status: "ACTIVE" }));
      // The writer never checkpoints and one cluster is far below SQLite's own threshold:
      // the row reaches the database file only through the checkpointer's thread.
      const copy = join(temp.file, "..", "copy.db");
      for (;;) {
        copyFileSync(temp.file, copy);
        const db = new Sqlite(copy, { readonly: true });
        let found: unknown;
        try {
          const table = db.prepare("select name from sqlite_master where name = 'clusters'").get();
          found = table && db.prepare("select arn from clusters where arn = ?").get(arn);
        } catch (err) {
          // A copy taken while a checkpoint was writing the file can be torn: take another.
          if (!(err instanceof Error && "code" in err && err.code === "SQLITE_CORRUPT")) throw err;
        } finally {
          db.close();
        }
        if (found) break;
        await sleep(20);
      }
    } finally {
      await store.close();
      temp.remove();
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
