// Whether an error says the data directory's disk is full: SQLite's SQLITE_FULL,
// PostgreSQL's disk_full (SQLSTATE 53100), or a file write's ENOSPC. Nothing was
// written; the same request succeeds once space is freed.

const fullCodes: ReadonlySet<unknown> = new Set(["SQLITE_FULL", "53100", "ENOSPC"]);

export function isStorageFull(err: unknown): boolean {
  return typeof err === "object" && err !== null && "code" in err && fullCodes.has(err.code);
}
