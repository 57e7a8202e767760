import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Sqlite from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { byShape, prepareQuery } from "./prepared-query.js";
import type { Database } from "./schema.js";

function database(): Kysely<Database> {
  const sqlite = new Sqlite(":memory:");
  sqlite.exec("create table tags (resource_arn text, key text, value text, primary key (resource_arn, key))");
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
}

describe("prepareQuery", () => {
  it("builds once per database and runs every call with that call's values, a value used twice included", async () => {
    let builds = 0;
    const upsert = prepareQuery((db, arn: string, key: string, value: string) => {
      builds++;
      return db.insertInto("tags").values({ resource_arn: arn, key, value }).onConflict((oc) => oc.columns(["resource_arn", "key"]).doUpdateSet({ value }));
    });
    const byArn = prepareQuery((db, arn: string) => db.selectFrom("tags").select(["key", "value"]).where("resource_arn", "=", arn).orderBy("key"));
    const db = database();
    await upsert.run(db, "a", "k1", "v1");
    await upsert.run(db, "a", "k2", "v2");
    await upsert.run(db, "b", "k1", "other");
    await upsert.run(db, "a", "k1", "changed");
    assert.equal(builds, 1);
    const target = { db, readCache: undefined };
    assert.deepEqual(await byArn.all(target, "a"), [
      { key: "k1", value: "changed" },
      { key: "k2", value: "v2" },
    ]);
    assert.deepEqual(await byArn.first(target, "b"), { key: "k1", value: "other" });
    assert.equal(await byArn.first(target, "none"), undefined);
    // Another database (another dialect, in the stores) gets its own compilation.
    await upsert.run(database(), "a", "k1", "v1");
    assert.equal(builds, 2);
    await db.destroy();
  });
});

describe("byShape", () => {
  it("makes one query per shape key and reuses it", () => {
    const made: number[] = [];
    const forLimit = byShape(String, (limit: number) => {
      made.push(limit);
      return { limit };
    });
    assert.equal(forLimit(10), forLimit(10));
    assert.notEqual(forLimit(10), forLimit(20));
    assert.deepEqual(made, [10, 20]);
  });
});
