// Migration 0010 on both backends: what was stored before regions were
// partitioned belongs to the region Berth is configured with, and keeps
// answering there (and only there) by name.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration } from "kysely";
import { createScratchDatabase, requirePostgresUrl } from "../../test/kit/postgres.js";
import { openPostgresStore } from "./postgres-store.js";
import { migrations, type Database } from "./schema.js";
import { openSqliteStore } from "./sqlite-store.js";
import type { Store } from "./store.js";

const home = "eu-west-1";
const prefix = `arn:aws:ecs:${home}:000000000000`;

/** Brings `db` to the last migration before 0010 and writes one row of each name-keyed table there. */
async function storeBeforeRegions(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(Object.fromEntries(migrations(home)) as Record<string, Migration>) },
  });
  const before = migrations(home).filter(([name]) => name < "0010").at(-1)?.[0] ?? "";
  assert.equal((await migrator.migrateTo(before)).error, undefined);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const raw = db as unknown as Kysely<any>;
  await raw.insertInto("clusters").values({ arn: `${prefix}:cluster/web`, name: "web", status: "ACTIVE", created_at: 1, doc: "{}" }).execute();
  await raw.insertInto("task_definition_families").values({ family: "web", last_revision: 3 }).execute();
  await raw
    .insertInto("task_definitions")
    .values({ arn: `${prefix}:task-definition/web:3`, family: "web", revision: 3, status: "ACTIVE", registered_at: 1, doc: JSON.stringify({ family: "web", revision: 3 }) })
    .execute();
  await raw.insertInto("account_settings").values({ principal_arn: "", name: "awsvpcTrunking", value: "enabled" }).execute();
  await raw.insertInto("log_groups").values({ name: "/web", created_at: 1, stored_bytes: 0, log_group_class: "STANDARD", deletion_protection: 0 }).execute();
}

async function expectHomeRegion(store: Store): Promise<void> {
  await store.tx(async (tx) => {
    assert.deepEqual((await tx.listClusterArns(home, { limit: 10 })).items, [`${prefix}:cluster/web`]);
    assert.deepEqual((await tx.listClusterArns("us-east-1", { limit: 10 })).items, []);
    assert.equal((await tx.getTaskDefinition(home, "web", 3))?.revision, 3);
    assert.equal(await tx.getTaskDefinition("us-east-1", "web", 3), undefined);
    assert.equal(await tx.nextRevision(home, "web"), 4, "the family's counter carries on");
    assert.equal(await tx.nextRevision("us-east-1", "web"), 1);
    assert.equal((await tx.getAccountSettings(home, "")).length, 1);
  });
  assert.equal((await store.logs.getGroup("/web"))?.name, "/web");
  assert.equal(await store.logs.inRegion("us-east-1").getGroup("/web"), undefined);
}

describe("0010_regions", () => {
  it("SQLite: rows from before it belong to the configured region", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-regions-"));
    const file = join(dir, "berth.db");
    try {
      const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new Sqlite(file) }) });
      await storeBeforeRegions(db);
      await db.destroy();
      const store = await openSqliteStore(file, home);
      try {
        await expectHomeRegion(store);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const server = requirePostgresUrl();
  it("PostgreSQL: rows from before it belong to the configured region", { skip: server ? false : "BERTH_TEST_POSTGRES_URL is not set" }, async () => {
    const scratch = await createScratchDatabase(server!);
    try {
      const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: scratch.url }) }) });
      await storeBeforeRegions(db);
      await db.destroy();
      const store = await openPostgresStore(scratch.url, home);
      try {
        await expectHomeRegion(store);
      } finally {
        await store.close();
      }
    } finally {
      await scratch.drop();
    }
  });
});
