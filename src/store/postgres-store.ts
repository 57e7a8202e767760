// The scale-out store: PostgreSQL through a connection pool. Row locks
// (SELECT … FOR UPDATE) order concurrent read-modify-write transactions.

import pg from "pg";
import { Kysely, PostgresDialect, sql, type SqlBool } from "kysely";
import type { DialectCapabilities } from "./dialect-capabilities.js";
import { KyselyStore } from "./kysely-store.js";
import { migrate } from "./migrate.js";
import type { Database } from "./schema.js";
import type { Store } from "./store.js";

// bigint columns hold epoch milliseconds, well inside a double's exact range.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** `homeRegion`: the region Berth is configured with (schema.ts). */
export async function openPostgresStore(url: string, homeRegion: string): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: 16 });
  // An idle client that the server drops (restart, failover, idle timeout) is
  // replaced on next use; without a listener its error would end the process.
  pool.on("error", () => undefined);
  // A client in use when the server goes away (a crash, a restart: PostgreSQL
  // restarts itself when its disk fills) reports it as an "error" event too; the
  // query it runs fails with it, and the pool drops the client on release.
  pool.on("connect", (client) => client.on("error", () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await migrate(db, homeRegion);
  return new KyselyStore(db, postgresCapabilities, homeRegion);
}

const postgresCapabilities: DialectCapabilities = {
  name: "postgres",
  rowLocks: true,
  failedStatementAbortsTransaction: true,
  arrayParameters: true,
  // The wire protocol counts parameters in 16 bits.
  maxBoundParameters: 65_535,
  isUniqueViolation: (err) => err instanceof Error && "code" in err && err.code === "23505",
  contains: (column, needle) => sql<SqlBool>`strpos(${sql.ref(column)}, ${needle}) > 0`,
  byteLength: (column) => sql<number>`octet_length(${sql.ref(column)})`,
  analyze: async (db, table) => void (await sql`analyze ${sql.table(table)}`.execute(db)),
  // No readCache: several servers may share one database, and none sees the others' writes.
};
