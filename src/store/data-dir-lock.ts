// The data directory's lock: one Berth control plane at a time per directory. The
// SQLite read cache assumes its server is the file's only writer, and the keys and
// the registry's files in the directory assume one owner too.
//
// Node has no flock, so the lock is SQLite's: `berth.lock`, a SQLite database held
// in an exclusive transaction for as long as the lock is. SQLite takes it with
// fcntl, which the kernel releases when the process ends, however it ends
// (kill -9 included), so a crash never leaves a stale lock behind.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Sqlite from "better-sqlite3";

/** Another Berth holds the data directory. */
export class DataDirLocked extends Error {}

export interface DataDirLock {
  /** Lets the next Berth in; the lock also goes with the process. */
  release(): void;
}

/** Takes the data directory's lock, or throws DataDirLocked at once if another Berth holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  // timeout 0: a held lock is an answer, not something to wait out.
  const lock = new Sqlite(join(dataDir, "berth.lock"), { timeout: 0 });
  try {
    lock.pragma("locking_mode = EXCLUSIVE");
    lock.exec("begin exclusive");
  } catch (err) {
    lock.close();
    if (err instanceof Error && "code" in err && err.code === "SQLITE_BUSY") {
      throw new DataDirLocked(`another Berth holds the data directory ${dataDir}; stop it first, or start this one with another --data-dir`);
    }
    throw err;
  }
  return { release: () => lock.close() };
}
