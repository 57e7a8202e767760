// How far a container's log has been shipped, as positions in Docker's log, and
// the files that keep them in the agent's data directory across restarts.
//
//   Docker line "2026-11-22T03:14:46.123456789Z text" → (ns, count at that ns) → checkpoint file
//   restart: logs since=<ns as sec.nanos>, skip `count` lines at exactly that ns

import { mkdir, open, readFile, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * A point in one container's log: the Docker timestamp (nanoseconds since the
 * epoch) of the newest line read so far, and how many lines carried exactly that
 * timestamp up to this point.
 *
 * Invariant: positions only grow along the log. Docker's `since` keeps lines with a
 * timestamp ≥ since, in file order, so "since = ns, skip count lines at ns" resumes
 * exactly after the position. (A line written after the position with an *older*
 * timestamp — stdout and stderr are stamped by separate readers in Docker, a race of
 * microseconds — is not revisited; that is the one gap a restart can leave.)
 */
export interface LogPosition {
  readonly ns: bigint;
  readonly count: number;
}

export const startOfLog: LogPosition = { ns: 0n, count: 0 };

const nsPerSecond = 1_000_000_000n;

/** Docker's `since` value for a position: seconds with nine fractional digits. */
export function sinceParam(pos: LogPosition): string {
  if (pos.ns <= 0n) return "0";
  return `${pos.ns / nsPerSecond}.${String(pos.ns % nsPerSecond).padStart(9, "0")}`;
}

export function parseSince(value: string): bigint {
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (!m) throw new Error(`not a since value: ${value}`);
  return BigInt(m[1] ?? "0") * nsPerSecond + BigInt((m[2] ?? "").padEnd(9, "0"));
}

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Nanoseconds since the epoch of an RFC 3339 timestamp as Docker writes them (RFC3339NanoFixed, UTC). */
export function parseDockerTimestamp(ts: string): bigint | undefined {
  const m = rfc3339.exec(ts);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  let seconds = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000;
  if (zone && zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    seconds -= sign * (Number(zone.slice(1, 3)) * 3600 + Number(zone.slice(4, 6)) * 60);
  }
  return BigInt(seconds) * nsPerSecond + BigInt((frac ?? "").padEnd(9, "0"));
}

/** The position after one more line stamped `ns`. */
export function advance(pos: LogPosition, ns: bigint): LogPosition {
  if (ns > pos.ns) return { ns, count: 1 };
  if (ns === pos.ns) return { ns, count: pos.count + 1 };
  // An out-of-order line (see the invariant above) does not move the position.
  return pos;
}

export function comparePositions(a: LogPosition, b: LogPosition): number {
  return a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : a.count - b.count;
}

/**
 * Reading again from `resume` (with `since = sinceParam(resume)`): whether the line
 * stamped `ns`, the `seen`-th line at that exact timestamp in the new read (1-based),
 * was already read before.
 */
export function alreadyRead(resume: LogPosition, ns: bigint, seen: number): boolean {
  if (ns < resume.ns) return true;
  return ns === resume.ns && seen <= resume.count;
}

/**
 * Lines of a re-read that were already read: feed every line's timestamp in order;
 * `skip` says whether to drop it. Only the lines at the resume timestamp are counted.
 */
export class ResumeFilter {
  private seenAtResume = 0;
  constructor(private readonly resume: LogPosition) {}

  skip(ns: bigint): boolean {
    if (ns === this.resume.ns) this.seenAtResume++;
    return alreadyRead(this.resume, ns, this.seenAtResume);
  }
}

/** What is kept per container. */
export interface Checkpoint {
  /** Position of the last line PutLogEvents accepted (with everything before it). */
  readonly acked: LogPosition;
  /** Timestamp (ms) of the last event accepted: the next batch's events are stamped after it. */
  readonly lastEventMs: number;
  /**
   * A batch sent but not yet acknowledged. After a crash the shipper asks the stream
   * (DescribeLogStreams' lastEventTimestamp) whether it landed.
   */
  readonly inFlight?: { readonly end: LogPosition; readonly lastEventMs: number };
}

interface CheckpointFile {
  readonly since: string;
  readonly count: number;
  readonly lastEventMs: number;
  readonly inFlight?: { readonly since: string; readonly count: number; readonly lastEventMs: number };
}

function toFile(c: Checkpoint): CheckpointFile {
  return {
    since: sinceParam(c.acked),
    count: c.acked.count,
    lastEventMs: c.lastEventMs,
    ...(c.inFlight ? { inFlight: { since: sinceParam(c.inFlight.end), count: c.inFlight.end.count, lastEventMs: c.inFlight.lastEventMs } } : {}),
  };
}

function fromFile(f: CheckpointFile): Checkpoint {
  return {
    acked: { ns: parseSince(f.since), count: f.count },
    lastEventMs: f.lastEventMs,
    ...(f.inFlight ? { inFlight: { end: { ns: parseSince(f.inFlight.since), count: f.inFlight.count }, lastEventMs: f.inFlight.lastEventMs } } : {}),
  };
}

/** One file per container under `<dataDir>/log-checkpoints/`, replaced atomically (write, fsync, rename). */
export class CheckpointStore {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, "log-checkpoints");
  }

  private file(containerId: string): string {
    if (!/^[a-zA-Z0-9_.-]+$/.test(containerId)) throw new Error(`not a container id: ${containerId}`);
    return join(this.dir, `${containerId}.json`);
  }

  async load(containerId: string): Promise<Checkpoint | undefined> {
    try {
      return fromFile(JSON.parse(await readFile(this.file(containerId), "utf8")) as CheckpointFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async save(containerId: string, checkpoint: Checkpoint): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const target = this.file(containerId);
    const tmp = `${target}.tmp`;
    const fh = await open(tmp, "w");
    try {
      await fh.writeFile(JSON.stringify(toFile(checkpoint)) + "\n");
      // The rename must not land before the bytes: a crash would leave an empty checkpoint.
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  }

  async remove(containerId: string): Promise<void> {
    await rm(this.file(containerId), { force: true });
  }

  /** Container ids with a checkpoint. */
  async list(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
  }
}
