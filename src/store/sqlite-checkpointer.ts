// A worker thread that moves SQLite's WAL into the database file and keeps the
// WAL's size bounded. Run by the writer (SQLite's default), a checkpoint syncs
// the database file to disk in the middle of whichever request committed the
// thousandth page, and better-sqlite3 is synchronous, so every request in flight
// waited several milliseconds for it. Here it runs on its own connection and
// thread; the event loop never waits for it.
//
// A PASSIVE checkpoint never waits, so it never resets the WAL while requests
// keep coming: the writer starts the WAL over only when a checkpoint has copied
// every frame and nothing was committed since, which under steady writes never
// happens, and the file grew by gigabytes. So once the WAL holds more than
// `truncateAtBytes`, the worker asks for a turn on the writer's connection
// (`exclusive`: no transaction open, no statement running) and, in that turn,
// copies the few frames the passive checkpoints left and truncates the WAL to
// zero bytes. Only requests that reach the database wait for that turn; the
// event loop does not.
//
//   worker: every interval → wal_checkpoint(PASSIVE) → WAL ≥ threshold? → "wal-large"
//   main:   "wal-large" → exclusive(→ "truncate" → worker: wal_checkpoint(TRUNCATE) → "truncated")
//
// A checkpoint that fails (the disk is full, another program holds a lock) is
// tried again at the next interval: the WAL keeps every committed frame meanwhile.

import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import Sqlite from "better-sqlite3";

interface CheckpointerData {
  readonly file: string;
  readonly intervalMs: number;
  readonly truncateAtBytes: number;
}

type WorkerMessage = { readonly kind: "wal-large" } | { readonly kind: "truncated" };

export interface CheckpointerOptions {
  readonly intervalMs?: number;
  /** WAL size past which the WAL is truncated in a turn of its own. */
  readonly truncateAtBytes?: number;
  /** Runs `turn` while the writer's connection holds no transaction and runs no statement. */
  readonly exclusive: (turn: () => Promise<void>) => Promise<void>;
}

/** The WAL size at which a truncating checkpoint runs (see src/store/README.md for why this figure). */
export const walTruncateAtBytes = 32 * 1024 * 1024;

/**
 * How long the writer's connection is held for one truncation at most: a worker
 * that does not answer (it cannot, short of a bug) must not stop the store.
 */
const turnLimitMs = 2_000;

export interface Checkpointer {
  /** Stops checkpointing and closes the worker's connection. */
  stop(): Promise<void>;
}

/** Starts checkpointing `file`'s WAL every `intervalMs`, beside the connection that writes it. */
export function startCheckpointer(file: string, opts: CheckpointerOptions): Checkpointer {
  const data: CheckpointerData = { file, intervalMs: opts.intervalMs ?? 200, truncateAtBytes: opts.truncateAtBytes ?? walTruncateAtBytes };
  const worker = new Worker(new URL(import.meta.url), { workerData: data });
  // The process may end without stopping it: the next open recovers whatever the WAL holds.
  worker.unref();
  let exited = false;
  const exit = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  void exit.then(() => {
    exited = true;
    truncated?.();
  });
  // The worker catches what its checkpoints throw; should it die anyway, the store goes
  // on without checkpoints (the WAL grows) rather than the process with it.
  worker.on("error", () => undefined);
  let truncated: (() => void) | undefined;
  let turn: Promise<void> | undefined;
  const truncate = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (exited) return resolve();
      const timer = setTimeout(resolve, turnLimitMs);
      truncated = () => {
        clearTimeout(timer);
        resolve();
      };
      worker.postMessage("truncate");
    });
  worker.on("message", (message: WorkerMessage) => {
    if (message.kind === "truncated") {
      truncated?.();
      truncated = undefined;
    } else if (!turn) {
      turn = opts.exclusive(truncate).finally(() => (turn = undefined));
    }
  });
  return {
    async stop() {
      // Held while it winds down, or a process with nothing else to do would not wait for it.
      worker.ref();
      await turn?.catch(() => undefined);
      worker.postMessage("stop");
      await exit;
    },
  };
}

interface CheckpointRow {
  /** 1 when the checkpoint could not copy every frame (a reader or writer was in the way). */
  readonly busy: number;
  /** Frames in the WAL. */
  readonly log: number;
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const { file, intervalMs, truncateAtBytes } = workerData as CheckpointerData;
  const db = new Sqlite(file);
  // In its turn nothing else writes; another program reading the file may, briefly.
  db.pragma("busy_timeout = 100");
  const pageSize = db.pragma("page_size", { simple: true }) as number;
  // PASSIVE never waits for readers or the writer: it copies what it can and is
  // run again at the next interval.
  const passive = db.prepare("pragma wal_checkpoint(PASSIVE)");
  const truncating = db.prepare("pragma wal_checkpoint(TRUNCATE)");
  const checkpoint = (statement: Sqlite.Statement): CheckpointRow | undefined => {
    try {
      return statement.get() as CheckpointRow;
    } catch {
      // SQLITE_FULL, SQLITE_BUSY, an I/O error: the WAL still holds every frame; next interval.
      return undefined;
    }
  };
  let asked = false;
  const timer = setInterval(() => {
    const row = checkpoint(passive);
    if (!asked && row && row.log * (pageSize + 24) >= truncateAtBytes) {
      asked = true;
      port.postMessage({ kind: "wal-large" } satisfies WorkerMessage);
    }
  }, intervalMs);
  port.on("message", (message: "truncate" | "stop") => {
    if (message === "truncate") {
      checkpoint(truncating);
      asked = false;
      port.postMessage({ kind: "truncated" } satisfies WorkerMessage);
      return;
    }
    clearInterval(timer);
    db.close();
    port.close();
  });
}
