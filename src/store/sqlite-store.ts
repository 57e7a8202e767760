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

/**
 * Kysely's SQLite driver prepares every statement it runs; the same few hundred
 * statements recur, so they are prepared once and reused (statements are run to
 * completion, never left iterating, so reuse is safe).
 */
function cachePreparedStatements(sqlite: Sqlite.Database, max = 512): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, Sqlite.Statement>();
  sqlite.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (!statement) {
      statement = prepare(source);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(source, statement);
    }
    return statement;
  }) as typeof sqlite.prepare;
}

export async function openSqliteStore(file: string): Promise<Store> {
  const sqlite = new Sqlite(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  cachePreparedStatements(sqlite);
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
