// The embedded default: one SQLite file in the data directory, in WAL mode.
// Writers are serialised by Kysely's single connection, so a transaction never
// meets another mid-way; synchronous=NORMAL in WAL mode loses nothing a crashed
// process had committed. Checkpoints run on a worker thread (sqlite-checkpointer.ts).
// The hottest reads are answered from memory until a row they read changes (read-cache.ts).

import Sqlite from "better-sqlite3";
import {
  Kysely,
  sql,
  SqliteDialect,
  SqliteDriver,
  SqliteQueryCompiler,
  ValueNode,
  type DatabaseConnection,
  type Driver,
  type LimitNode,
  type OffsetNode,
  type OperationNode,
  type QueryCompiler,
  type SqlBool,
  type SqliteDialectConfig,
} from "kysely";
import type { DialectCapabilities } from "./dialect-capabilities.js";
import { KyselyStore } from "./kysely-store.js";
import { migrate } from "./migrate.js";
import { ReadCache, watchedTables } from "./read-cache.js";
import type { Database } from "./schema.js";
import { startCheckpointer, walRestartAtBytes, type Checkpointer } from "./sqlite-checkpointer.js";
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

/**
 * Reports every row written to a watched table to `cache`, from temporary
 * triggers: they belong to this connection (the one every write goes through),
 * and leave the file as other programs see it.
 */
function reportChanges(sqlite: Sqlite.Database, cache: ReadCache): void {
  sqlite.function("berth_row_changed", { deterministic: false }, (table: unknown, key: unknown) => {
    cache.changed(String(table), key);
    return null;
  });
  const rows = { insert: ["new"], update: ["old", "new"], delete: ["old"] } as const;
  for (const [table, column] of Object.entries(watchedTables)) {
    for (const [event, which] of Object.entries(rows)) {
      const reports = which.map((row) => `select berth_row_changed('${table}', ${row}."${column}");`).join(" ");
      sqlite.exec(`create temp trigger "berth_${event}_${table}" after ${event} on main."${table}" begin ${reports} end`);
    }
  }
}

/**
 * SQLite reads a bound LIMIT or OFFSET when it plans a statement, and so
 * re-prepares the statement every time that parameter is bound again: with
 * Kysely's `limit ?` every paged read was parsed and planned anew on each run.
 * Limits and offsets are whole numbers the store computes, never caller text,
 * so they are written into the SQL, and each statement is planned once.
 */
class SqliteCompiler extends SqliteQueryCompiler {
  protected override visitLimit(node: LimitNode): void {
    this.append("limit ");
    this.appendCount(node.limit);
  }
  protected override visitOffset(node: OffsetNode): void {
    this.append("offset ");
    this.appendCount(node.offset);
  }
  private appendCount(node: OperationNode): void {
    if (ValueNode.is(node) && Number.isSafeInteger(node.value)) this.append(String(node.value));
    else this.visitNode(node);
  }
}

/**
 * SQLite rolls a transaction back by itself when a write finds the disk full
 * (SQLITE_FULL) or fails to reach it (SQLITE_IOERR); Kysely's ROLLBACK then
 * failed with "no transaction is active", and that error, not the disk's, went
 * up to the request. This driver rolls back only a transaction that is still open.
 */
class SqliteDriverAfterAutoRollback extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly inTransaction: () => boolean,
  ) {
    super(config);
  }
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.inTransaction()) await super.rollbackTransaction(connection);
  }
}

export class BerthSqliteDialect extends SqliteDialect {
  constructor(private readonly config: SqliteDialectConfig) {
    super(config);
  }
  override createDriver(): Driver {
    const { database } = this.config;
    let sqlite: Sqlite.Database | undefined;
    const open = async (): Promise<Sqlite.Database> => (sqlite = (typeof database === "function" ? await database() : database) as Sqlite.Database);
    return new SqliteDriverAfterAutoRollback({ ...this.config, database: open }, () => sqlite?.inTransaction ?? false);
  }
  override createQueryCompiler(): QueryCompiler {
    return new SqliteCompiler();
  }
}

class SqliteStore extends KyselyStore {
  constructor(
    db: Kysely<Database>,
    dialect: DialectCapabilities,
    private readonly checkpointer: Checkpointer,
    homeRegion: string,
  ) {
    super(db, dialect, homeRegion);
  }

  override async close(): Promise<void> {
    // First, so that the writer's connection is the last one and folds the WAL in as it closes.
    await this.checkpointer.stop();
    await super.close();
  }
}

/** `homeRegion`: the region Berth is configured with (schema.ts). */
export async function openSqliteStore(file: string, homeRegion: string): Promise<Store> {
  const sqlite = new Sqlite(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  // The writer never checkpoints; the checkpointer's thread does, off the event loop.
  sqlite.pragma("wal_autocheckpoint = 0");
  // When the writer starts the WAL over, it cuts a file grown past this back to it.
  sqlite.pragma(`journal_size_limit = ${walRestartAtBytes}`);
  cachePreparedStatements(sqlite);
  const db = new Kysely<Database>({ dialect: new BerthSqliteDialect({ database: sqlite }) });
  await migrate(db, homeRegion);
  const cache = new ReadCache();
  reportChanges(sqlite, cache);
  // The checkpointer's turn to truncate the WAL: while it holds Kysely's one connection, no transaction is open.
  const checkpointer = startCheckpointer(file, { exclusive: (turn) => db.connection().execute(turn) });
  return new SqliteStore(db, sqliteCapabilities(cache), checkpointer, homeRegion);
}

function sqliteCapabilities(readCache: ReadCache): DialectCapabilities {
  return {
    name: "sqlite",
    rowLocks: false,
    failedStatementAbortsTransaction: false,
    arrayParameters: false,
    // SQLite's compiled limit (SQLITE_MAX_VARIABLE_NUMBER).
    maxBoundParameters: 32_766,
    isUniqueViolation: (err) =>
      err instanceof Error &&
      "code" in err &&
      (err.code === "SQLITE_CONSTRAINT_UNIQUE" || err.code === "SQLITE_CONSTRAINT_PRIMARYKEY"),
    // LIKE ignores case on SQLite; instr does not.
    contains: (column, needle) => sql<SqlBool>`instr(${sql.ref(column)}, ${needle}) > 0`,
    byteLength: (column) => sql<number>`length(cast(${sql.ref(column)} as blob))`,
    readCache,
  };
}
