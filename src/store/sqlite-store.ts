// The embedded default: one SQLite file in the data directory, in WAL mode.
// Writers are serialised by Kysely's single connection, so a transaction never
// meets another mid-way; synchronous=NORMAL in WAL mode loses nothing a crashed
// process had committed.

import Sqlite from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { KyselyStore } from "./kysely-store.js";
import { migrate } from "./migrate.js";
import type { Database } from "./schema.js";
import type { Store } from "./store.js";

export async function openSqliteStore(file: string): Promise<Store> {
  const sqlite = new Sqlite(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrate(db);
  return new KyselyStore(db, {
    kind: "sqlite",
    rowLocks: false,
    isUniqueViolation: (err) =>
      err instanceof Error &&
      "code" in err &&
      (err.code === "SQLITE_CONSTRAINT_UNIQUE" || err.code === "SQLITE_CONSTRAINT_PRIMARYKEY"),
  });
}
