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
// `restartAtBytes`, the worker asks for a turn on the writer's connection
// (`exclusive`: no transaction open, no statement running) and, in that turn,
// copies the frames the passive checkpoints left and RESTARTs the WAL: the next
// commit writes from its start again. Only requests that reach the database wait
// for the turn (a few milliseconds); the event loop does not. A RESTART leaves the
// file its size (journal_size_limit on the writer cuts back what is over); once
// the server has been quiet for a while (little more than the service
// controller's lease renewals committed), a turn TRUNCATEs it to zero bytes, so a
// quiet server gives the space back.
//
//   worker: every interval → wal_checkpoint(PASSIVE) → WAL ≥ threshold, or idle? → "turn"
//   main:   "turn" → exclusive(→ mode → worker: wal_checkpoint(RESTART | TRUNCATE) → "done")
//
// A checkpoint that fails (the disk is full, another program holds a lock) is
// tried again at the next interval: the WAL keeps every committed frame meanwhile.

import { statSync } from "node:fs";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import Sqlite from "better-sqlite3";

interface CheckpointerData {
  readonly file: string;
  readonly intervalMs: number;
  readonly restartAtBytes: number;
  readonly idleMs: number;
}

type Mode = "RESTART" | "TRUNCATE";
type WorkerMessage = { readonly kind: "turn"; readonly mode: Mode } | { readonly kind: "done" };

export interface CheckpointerOptions {
  readonly intervalMs?: number;
  /** WAL size past which the WAL is restarted in a turn of its own. */
  readonly restartAtBytes?: number;
  /** How long the server must be quiet (a few frames committed) before the WAL file is truncated to zero bytes. */
  readonly idleMs?: number;
  /** Runs `turn` while the writer's connection holds no transaction and runs no statement. */
  readonly exclusive: (turn: () => Promise<void>) => Promise<void>;
}

/** The WAL size at which a restarting checkpoint runs (see src/store/README.md for why this figure). */
export const walRestartAtBytes = 32 * 1024 * 1024;

/** Frames committed in one quiet window, at most, for the server to count as quiet. */
const quietFrames = 256;
/** A WAL file this small is left as it is, quiet or not. */
const keptBytes = 1024 * 1024;

/**
 * How long the writer's connection is held for one turn at most: a worker
 * that does not answer (it cannot, short of a bug) must not stop the store.
 */
const turnLimitMs = 2_000;

export interface Checkpointer {
  /** Stops checkpointing and closes the worker's connection. */
  stop(): Promise<void>;
}

/** Starts checkpointing `file`'s WAL every `intervalMs`, beside the connection that writes it. */
export function startCheckpointer(file: string, opts: CheckpointerOptions): Checkpointer {
  const data: CheckpointerData = {
    file,
    intervalMs: opts.intervalMs ?? 200,
    restartAtBytes: opts.restartAtBytes ?? walRestartAtBytes,
    idleMs: opts.idleMs ?? 5_000,
  };
  const worker = new Worker(new URL(import.meta.url), { workerData: data });
  // The process may end without stopping it: the next open recovers whatever the WAL holds.
  worker.unref();
  let exited = false;
  const exit = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  void exit.then(() => {
    exited = true;
    done?.();
  });
  // The worker catches what its checkpoints throw; should it die anyway, the store goes
  // on without checkpoints (the WAL grows) rather than the process with it.
  worker.on("error", () => undefined);
  let done: (() => void) | undefined;
  let turn: Promise<void> | undefined;
  let stopping = false;
  const checkpointIn = (mode: Mode) => (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (exited) return resolve();
      const timer = setTimeout(resolve, turnLimitMs);
      done = () => {
        clearTimeout(timer);
        resolve();
      };
      worker.postMessage(mode);
    });
  worker.on("message", (message: WorkerMessage) => {
    if (message.kind === "done") {
      done?.();
      done = undefined;
    } else if (!turn && !stopping) {
      // A turn that could not be had (the store closing) is simply not taken: the WAL waits.
      turn = opts
        .exclusive(checkpointIn(message.mode))
        .catch(() => undefined)
        .finally(() => (turn = undefined));
    }
  });
  return {
    async stop() {
      stopping = true;
      // Held while it winds down, or a process with nothing else to do would not wait for it.
      worker.ref();
      await turn;
      worker.postMessage("stop");
      await exit;
    },
  };
}

interface CheckpointRow {
  /** Frames in the WAL. */
  readonly log: number;
  /** Frames of it in the database file. */
  readonly checkpointed: number;
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const { file, intervalMs, restartAtBytes, idleMs } = workerData as CheckpointerData;
  const db = new Sqlite(file);
  // In its turn nothing else writes; another program reading the file may, briefly.
  db.pragma("busy_timeout = 100");
  // A frame is a page and its 24-byte header.
  const restartAtFrames = restartAtBytes / ((db.pragma("page_size", { simple: true }) as number) + 24);
  // PASSIVE never waits for readers or the writer: it copies what it can and is
  // run again at the next interval.
  const passive = db.prepare("pragma wal_checkpoint(PASSIVE)");
  const inTurn: Record<Mode, Sqlite.Statement> = {
    RESTART: db.prepare("pragma wal_checkpoint(RESTART)"),
    TRUNCATE: db.prepare("pragma wal_checkpoint(TRUNCATE)"),
  };
  const checkpoint = (statement: Sqlite.Statement): CheckpointRow | undefined => {
    try {
      return statement.get() as CheckpointRow;
    } catch {
      // SQLITE_FULL, SQLITE_BUSY, an I/O error: the WAL still holds every frame; next interval.
      return undefined;
    }
  };
  let asked = false;
  // The WAL's frame count the last turn left (a RESTART leaves it until the next
  // commit starts the WAL over), the count at the last interval, and the frames
  // committed in the current quiet window.
  let leftByTurn = -1;
  let lastLog = 0;
  let committed = 0;
  let ticks = 0;
  const windowTicks = Math.max(1, Math.round(idleMs / intervalMs));
  const walBytes = (): number => {
    try {
      return statSync(`${file}-wal`).size;
    } catch {
      return 0;
    }
  };
  const timer = setInterval(() => {
    const row = checkpoint(passive);
    if (!row) return;
    // A WAL started over holds only what was committed since.
    committed += row.log >= lastLog ? row.log - lastLog : row.log;
    lastLog = row.log;
    let mode: Mode | undefined;
    if (row.log >= restartAtFrames && row.log !== leftByTurn) mode = "RESTART";
    else if (++ticks % windowTicks === 0) {
      // Quiet: about what the service controller's lease renewals commit, and nothing more.
      if (committed < quietFrames && row.log === row.checkpointed && walBytes() > keptBytes) mode = "TRUNCATE";
      committed = 0;
    }
    if (!mode || asked) return;
    asked = true;
    port.postMessage({ kind: "turn", mode } satisfies WorkerMessage);
  }, intervalMs);
  port.on("message", (message: Mode | "stop") => {
    if (message !== "stop") {
      leftByTurn = checkpoint(inTurn[message])?.log ?? lastLog;
      asked = false;
      port.postMessage({ kind: "done" } satisfies WorkerMessage);
      return;
    }
    clearInterval(timer);
    db.close();
    port.close();
  });
}
