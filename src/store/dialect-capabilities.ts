// What the SQLite and PostgreSQL backends do differently, as named capabilities
// each backend supplies (sqlite-store.ts, postgres-store.ts). The shared Kysely
// code asks for a capability where the two differ, never for the backend's name.

import type { Kysely, RawBuilder, SqlBool } from "kysely";
import type { ReadCache } from "./read-cache.js";
import type { Database } from "./schema.js";

export interface DialectCapabilities {
  /** The backend's name, for people (`Store.kind`); no code branches on it. */
  readonly name: "sqlite" | "postgres";
  /** Whether `SELECT … FOR UPDATE` and `FOR SHARE` exist (SQLite serialises whole transactions instead). */
  readonly rowLocks: boolean;
  /**
   * Whether a failed statement aborts its whole transaction (PostgreSQL): a statement
   * whose failure the caller may catch then runs under a savepoint.
   */
  readonly failedStatementAbortsTransaction: boolean;
  /**
   * Whether one bound parameter may carry an array (PostgreSQL's `unnest`), so that one
   * short statement inserts any number of rows; otherwise each row's values are bound
   * one by one, up to `maxBoundParameters` a statement.
   */
  readonly arrayParameters: boolean;
  /** Bind parameters one statement may carry. */
  readonly maxBoundParameters: number;
  /** Whether `err` is the backend's unique-key violation. */
  isUniqueViolation(err: unknown): boolean;
  /** A case-sensitive "`column` contains `needle`" test. */
  contains(column: string, needle: string): RawBuilder<SqlBool>;
  /** The length of a text column's value in bytes. */
  byteLength(column: string): RawBuilder<number>;
  /**
   * Refreshes the planner's statistics of a table, where they lag behind bulk inserts
   * until a background job catches up (PostgreSQL's autovacuum); absent where the
   * planner needs no such help.
   */
  readonly analyze?: (db: Kysely<Database>, table: keyof Database) => Promise<void>;
  /**
   * Answers the hottest reads made outside a transaction from memory (read-cache.ts);
   * only where one process is the only writer and sees every change (SQLite).
   */
  readonly readCache?: ReadCache;
}
