// Pure: Docker log lines → CloudWatch Logs events (one per line, or joined by a
// multiline start pattern as Docker's awslogs driver joins them) → PutLogEvents
// batches under the API's rules.
//
//   lines ─ EventJoiner (datetime-format | multiline-pattern | one per line; split at 256 KiB)
//         ─ EventQueue (blocking: bounded by the reader; non-blocking: oldest dropped beyond max-buffer-size)
//         ─ takeBatch (≤ 10,000 events, ≤ 1 MiB with 26 bytes each, ≤ 24 h, timestamps non-decreasing)

import type { LogPosition } from "./log-checkpoints.js";

export const maxBatchEvents = 10_000;
export const maxBatchBytes = 1_048_576;
export const perEventOverhead = 26;
/** One event's message at most (256 KiB with its overhead), as Docker's awslogs driver splits. */
export const maxEventBytes = 262_144 - perEventOverhead;
export const maxBatchSpanMs = 24 * 3_600_000;

/** One complete line of a container's log (Docker's partial entries already joined). */
export interface LogLine {
  /** Docker's timestamp of the line's last entry, in milliseconds. */
  readonly timestampMs: number;
  /** The line without its newline. */
  readonly text: string;
  /** Position of the line's last entry, and the position just before the line. */
  readonly end: LogPosition;
  readonly before: LogPosition;
}

/** An event waiting to be sent. */
export interface PendingEvent {
  readonly timestamp: number;
  readonly message: string;
  readonly bytes: number;
  /** Once this event is accepted, the log is shipped up to here. */
  readonly end: LogPosition;
}

export function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** Splits `text` into pieces of at most `maxBytes` UTF-8 bytes, never inside a character. */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (utf8Length(text) <= maxBytes) return [text];
  const out: string[] = [];
  let piece = "";
  let pieceBytes = 0;
  for (const ch of text) {
    const n = utf8Length(ch);
    if (pieceBytes + n > maxBytes) {
      out.push(piece);
      piece = "";
      pieceBytes = 0;
    }
    piece += ch;
    pieceBytes += n;
  }
  if (piece) out.push(piece);
  return out;
}

// Docker's awslogs driver: awslogs-datetime-format's strftime codes as regular expressions.
const strftime: Readonly<Record<string, string>> = {
  a: "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)",
  A: "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)",
  w: "[0-6]",
  d: "(?:0[1-9]|[1,2][0-9]|3[0,1])",
  b: "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)",
  B: "(?:January|February|March|April|May|June|July|August|September|October|November|December)",
  m: "(?:0[1-9]|1[0-2])",
  Y: "\\d{4}",
  y: "\\d{2}",
  H: "(?:[0,1][0-9]|2[0-3])",
  I: "(?:0[0-9]|1[0-2])",
  p: "[A,P]M",
  M: "[0-5][0-9]",
  S: "[0-5][0-9]",
  f: "\\d{6}",
  z: "[+-]\\d{4}",
  Z: "[A-Z]{1,4}T",
  j: "(?:0[0-9][1-9]|[1,2][0-9][0-9]|3[0-5][0-9]|36[0-6])",
  L: "\\.\\d{3}",
};

/**
 * The start-of-event pattern of `awslogs-datetime-format`: Docker replaces each
 * strftime code by its expression and anchors the result at the line's start; the
 * rest of the format is itself a regular expression (as in Docker).
 */
export function datetimeFormatPattern(format: string): RegExp {
  const body = format.replace(/%([a-zA-Z])/g, (code: string, letter: string) => strftime[letter] ?? code);
  return new RegExp(`^${body}`);
}

/** `awslogs-multiline-pattern`, anchored at the line's start as Docker does. */
export function multilinePattern(pattern: string): RegExp {
  return new RegExp(`^${pattern}`);
}

/** The start pattern for a container's options; Docker refuses both at once, Berth lets the datetime format win. */
export function startPattern(options: { readonly datetimeFormat?: string; readonly multilinePattern?: string }): RegExp | undefined {
  if (options.datetimeFormat) return datetimeFormatPattern(options.datetimeFormat);
  if (options.multilinePattern) return multilinePattern(options.multilinePattern);
  return undefined;
}

/**
 * Lines → events. Without a start pattern each non-empty line is an event. With
 * one, a line matching it starts a new event and other lines join the current one;
 * as in Docker's driver every joined line keeps its newline, the event carries its
 * first line's timestamp, and an event that would pass 256 KiB is cut there.
 */
export class EventJoiner {
  private buffer = "";
  private bufferBytes = 0;
  private bufferMs = 0;
  private bufferEnd: LogPosition | undefined;
  private bufferBefore: LogPosition | undefined;
  private lastLineAtMs = 0;

  constructor(private readonly pattern: RegExp | undefined) {}

  /** Whether a joined event is waiting for its next line. */
  get pending(): boolean {
    return this.bufferEnd !== undefined;
  }

  push(line: LogLine, nowMs: number): PendingEvent[] {
    this.lastLineAtMs = nowMs;
    if (!this.pattern) return single(line);
    const out: PendingEvent[] = [];
    const lineBytes = utf8Length(line.text);
    if (this.pattern.test(line.text) || this.bufferBytes + lineBytes > maxEventBytes) out.push(...this.flush());
    if (!this.bufferEnd) {
      this.bufferMs = line.timestampMs;
      this.bufferBefore = line.before;
    }
    const piece = lineBytes < maxEventBytes ? `${line.text}\n` : line.text;
    this.buffer += piece;
    this.bufferBytes += utf8Length(piece);
    this.bufferEnd = line.end;
    return out;
  }

  /** The joined event, once no line has come for `idleMs` (Docker flushes it at its next publish tick). */
  flushIfIdle(nowMs: number, idleMs: number): PendingEvent[] {
    return this.pending && nowMs - this.lastLineAtMs >= idleMs ? this.flush() : [];
  }

  flush(): PendingEvent[] {
    const end = this.bufferEnd;
    const before = this.bufferBefore ?? end;
    if (!end || !before) return [];
    const pieces = splitUtf8(this.buffer, maxEventBytes).filter((p) => p.length > 0);
    const timestamp = this.bufferMs;
    this.buffer = "";
    this.bufferBytes = 0;
    this.bufferEnd = undefined;
    this.bufferBefore = undefined;
    // As for a long single line: only the last piece completes the event.
    return pieces.map((message, i) => ({ timestamp, message, bytes: utf8Length(message), end: i === pieces.length - 1 ? end : before }));
  }
}

function single(line: LogLine): PendingEvent[] {
  if (!line.text) return [];
  const pieces = splitUtf8(line.text, maxEventBytes);
  // Only the last piece completes the line: a crash between pieces re-sends the line
  // (at least once for lines over 256 KiB) rather than losing its tail.
  return pieces.map((message, i) => ({
    timestamp: line.timestampMs,
    message,
    bytes: utf8Length(message),
    end: i === pieces.length - 1 ? line.end : line.before,
  }));
}

/** Events waiting to be sent, oldest first. */
export class EventQueue {
  private items: PendingEvent[] = [];
  private head = 0;
  private totalBytes = 0;
  /** Events dropped by `dropOldestBeyond` since the start. */
  dropped = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  push(...events: readonly PendingEvent[]): void {
    for (const e of events) {
      this.items.push(e);
      this.totalBytes += e.bytes;
    }
  }

  peek(): readonly PendingEvent[] {
    if (this.head > 0) this.compact();
    return this.items;
  }

  /** Removes the `n` oldest events (a batch that was accepted). */
  shift(n: number): void {
    for (let i = 0; i < n && this.head < this.items.length; i++) this.totalBytes -= this.items[this.head++]?.bytes ?? 0;
    if (this.head > 4096 && this.head * 2 > this.items.length) this.compact();
  }

  /**
   * Non-blocking mode: keeps the newest events within `maxBytes` of messages
   * (Docker's max-buffer-size), never the `keep` oldest ones (a batch in flight).
   * Returns how many were dropped now.
   */
  dropOldestBeyond(maxBytes: number, keep = 0): number {
    const from = this.head + Math.min(keep, this.length);
    let to = from;
    let removed = 0;
    while (this.totalBytes - removed > maxBytes && to < this.items.length) removed += this.items[to++]?.bytes ?? 0;
    const n = to - from;
    if (n > 0) {
      this.items.splice(from, n);
      this.totalBytes -= removed;
      this.dropped += n;
    }
    return n;
  }

  private compact(): void {
    this.items = this.items.slice(this.head);
    this.head = 0;
  }
}

export interface Batch {
  readonly events: readonly { readonly timestamp: number; readonly message: string }[];
  /** How many queued events the batch covers. */
  readonly count: number;
  readonly bytes: number;
  readonly lastTimestamp: number;
  readonly end: LogPosition;
}

/**
 * The next batch from the front of `queue`. Timestamps never go back (a line
 * stamped a hair earlier than the one before it, as stdout and stderr race, takes
 * its predecessor's timestamp) and start after `afterMs`, the last accepted event's:
 * so every batch ends strictly later than the one before, which is how a restarted
 * shipper tells whether its in-flight batch landed.
 */
export function takeBatch(queue: readonly PendingEvent[], afterMs: number): Batch | undefined {
  const events: { timestamp: number; message: string }[] = [];
  let bytes = 0;
  let floor = afterMs + 1;
  let first: number | undefined;
  let end: LogPosition | undefined;
  for (const e of queue) {
    if (events.length >= maxBatchEvents) break;
    const cost = e.bytes + perEventOverhead;
    if (bytes + cost > maxBatchBytes) break;
    const timestamp = Math.max(e.timestamp, floor);
    first ??= timestamp;
    if (timestamp - first > maxBatchSpanMs) break;
    events.push({ timestamp, message: e.message });
    bytes += cost;
    floor = timestamp;
    end = e.end;
  }
  if (!end) return undefined;
  return { events, count: events.length, bytes, lastTimestamp: floor, end };
}

/** Whether the front of the queue already fills a batch (so there is no reason to wait for the timer). */
export function batchIsFull(queue: EventQueue): boolean {
  return queue.length >= maxBatchEvents || queue.bytes + queue.length * perEventOverhead >= maxBatchBytes;
}
