// A worker thread that moves SQLite's WAL into the database file. Run by the
// writer (SQLite's default), a checkpoint syncs the database file to disk in
// the middle of whichever request committed the thousandth page, and better-sqlite3
// is synchronous, so every request in flight waited several milliseconds for it.
// Here it runs on its own connection and thread; the event loop never waits for it.
//
//   main thread: commit → WAL (no checkpoint)      worker: every interval → wal_checkpoint(PASSIVE)

import { once } from "node:events";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import Sqlite from "better-sqlite3";

interface CheckpointerData {
  readonly file: string;
  readonly intervalMs: number;
}

export interface Checkpointer {
  /** Stops checkpointing and closes the worker's connection. */
  stop(): Promise<void>;
}

/** Starts checkpointing `file`'s WAL every `intervalMs`, beside the connection that writes it. */
export function startCheckpointer(file: string, intervalMs = 200): Checkpointer {
  const worker = new Worker(new URL(import.meta.url), { workerData: { file, intervalMs } satisfies CheckpointerData });
  // The process may end without stopping it: the next open recovers whatever the WAL holds.
  worker.unref();
  const exited = once(worker, "exit");
  return {
    async stop() {
      // Held while it winds down, or a process with nothing else to do would not wait for it.
      worker.ref();
      worker.postMessage("stop");
      await exited;
    },
  };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const { file, intervalMs } = workerData as CheckpointerData;
  const db = new Sqlite(file);
  // PASSIVE never waits for readers or the writer: it copies what it can and is
  // run again at the next interval.
  const checkpoint = db.prepare("pragma wal_checkpoint(PASSIVE)");
  const timer = setInterval(() => checkpoint.run(), intervalMs);
  port.on("message", () => {
    clearInterval(timer);
    db.close();
    port.close();
  });
}
