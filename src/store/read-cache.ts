// The answers of the hottest reads, kept until a row they were read from
// changes. For the SQLite store only: the server is the one process that writes
// its file, every write goes through its one connection, and temporary triggers
// on that connection report each row written (its table and key column) here as
// the write happens, whatever code made it. PostgreSQL may be shared by several
// servers, so its reads are never kept.
//
//   read outside a transaction ─ kept, and nothing it depends on changed since? → the kept rows
//                              └ otherwise → run it; keep the rows unless something it depends on changed meanwhile
//   INSERT / UPDATE / DELETE on a watched table → trigger → changed(table, key)
//
// Transactions never use it: they see their own writes, which may yet roll back.
// A read that finds its rows changed runs on the one connection, so it waits for a
// transaction in progress to end and reads what it committed (or rolled back).
// Memory is bounded: the oldest answers go past a budget of kept text, and past
// a number of recorded changes every change and answer is forgotten at once.

/** The tables whose changes are reported, each with the column a read may depend on. */
export const watchedTables = {
  clusters: "arn",
  container_instances: "cluster_arn",
  services: "cluster_arn",
  tasks: "cluster_arn",
  task_definitions: "family",
  tags: "resource_arn",
} as const;

export type WatchedTable = keyof typeof watchedTables;

const keyed = (table: string, key: string): string => `${table}\u0000${key}`;

/** What a read depends on: every row of `table`, or those whose key column holds `key`. */
export function rowsOf(table: WatchedTable, key?: string): string {
  return key === undefined ? table : keyed(table, key);
}

interface Kept {
  readonly rows: readonly unknown[];
  /** The clock when the read began: every change up to it is in the rows. */
  readonly readAt: number;
  readonly dependsOn: readonly string[];
  /** What the rows hold, in characters of text, counted against the cache's budget. */
  readonly size: number;
}

/** Roughly what `rows` hold: the length of their text values, 8 for anything else. */
function sizeOf(rows: readonly unknown[]): number {
  let size = 0;
  for (const row of rows) {
    for (const value of Object.values(row as object)) size += typeof value === "string" ? value.length : 8;
  }
  return size;
}

export class ReadCache {
  /** Counts changes; a change at time t happened after every read that began before t. */
  private clock = 0;
  /** When each table, and each key of a table, last changed. */
  private readonly changedAt = new Map<string, number>();
  /** Reads that began before this time may have missed a change that is no longer recorded. */
  private forgottenBefore = 0;
  private readonly kept = new Map<string, Kept>();
  private keptSize = 0;

  constructor(
    private readonly limits: {
      /** Characters of text kept at most (task definitions run to tens of kilobytes). */
      readonly maxSize: number;
      /** Changes recorded at most before all are forgotten. */
      readonly maxChanges: number;
    } = { maxSize: 16 * 1024 * 1024, maxChanges: 65_536 },
  ) {}

  /** A row of `table` whose key column holds `key` was inserted, updated or deleted. */
  changed(table: string, key: unknown): void {
    const at = ++this.clock;
    if (this.changedAt.size >= this.limits.maxChanges) {
      // Bounded memory: forget every change and every kept answer, and keep none read before now.
      this.changedAt.clear();
      this.kept.clear();
      this.keptSize = 0;
      this.forgottenBefore = at;
    }
    this.changedAt.set(table, at);
    this.changedAt.set(keyed(table, String(key)), at);
  }

  /** The time to pass to `keep` for a read that begins now. */
  now(): number {
    return this.clock;
  }

  /** The rows kept under `key`, if nothing they depend on changed since they were read. */
  get(key: string): readonly unknown[] | undefined {
    const kept = this.kept.get(key);
    if (!kept) return undefined;
    if (this.changedSince(kept.dependsOn, kept.readAt)) {
      this.drop(key, kept);
      return undefined;
    }
    return kept.rows;
  }

  /** Keeps the rows of a read that began at `readAt`, unless what they depend on changed since. */
  keep(key: string, dependsOn: readonly string[], rows: readonly unknown[], readAt: number): void {
    if (readAt < this.forgottenBefore || this.changedSince(dependsOn, readAt)) return;
    const size = sizeOf(rows);
    // An answer that would take a sixteenth of the budget is read each time instead.
    if (size > this.limits.maxSize / 16) return;
    const previous = this.kept.get(key);
    if (previous) this.drop(key, previous);
    // The oldest answers make room.
    for (const [oldKey, old] of this.kept) {
      if (this.keptSize + size <= this.limits.maxSize) break;
      this.drop(oldKey, old);
    }
    for (const row of rows) Object.freeze(row);
    this.kept.set(key, { rows: Object.freeze(rows), readAt, dependsOn, size });
    this.keptSize += size;
  }

  private drop(key: string, kept: Kept): void {
    this.kept.delete(key);
    this.keptSize -= kept.size;
  }

  private changedSince(dependsOn: readonly string[], readAt: number): boolean {
    return dependsOn.some((d) => (this.changedAt.get(d) ?? 0) > readAt);
  }
}
