// PutLogEvents' batch rules as a pure function: which events of a batch are
// stored, which are rejected (and reported by index), and which batches fail whole.
//
//   events, now, retention → size check → order check → too old / expired / too new → 24-hour span → accepted slice

import type { InputLogEvent, RejectedLogEventsInfo } from "../../model/generated/logs.js";

export const maxBatchBytes = 1_048_576;
/** Each event costs its UTF-8 message plus this, in AWS's batch-size arithmetic. */
export const perEventOverhead = 26;
export const maxEventsPerBatch = 10_000;
const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
export const maxPastMs = 14 * dayMs;
export const maxFutureMs = 2 * hourMs;
export const maxSpanMs = 24 * hourMs;

/** The whole batch is refused; the API answers InvalidParameterException with `message`. */
export interface BatchRefused {
  readonly ok: false;
  readonly message: string;
}

export interface BatchAccepted {
  readonly ok: true;
  /** Events [start, end) are stored; the rest are reported in `rejected`. */
  readonly start: number;
  readonly end: number;
  readonly rejected?: RejectedLogEventsInfo;
  /** UTF-8 bytes of the stored messages (what storedBytes grows by). */
  readonly bytes: number;
}

export type BatchVerdict = BatchAccepted | BatchRefused;

export function evaluateBatch(
  events: readonly InputLogEvent[],
  nowMs: number,
  retentionInDays?: number,
): BatchVerdict {
  if (events.length === 0 || events.length > maxEventsPerBatch) {
    return { ok: false, message: `A batch holds 1 to ${maxEventsPerBatch} log events, got ${events.length}.` };
  }
  const sizes = events.map((e) => Buffer.byteLength(e.message, "utf8"));
  const total = sizes.reduce((sum, n) => sum + n + perEventOverhead, 0);
  if (total > maxBatchBytes) {
    return { ok: false, message: `Upload too large: ${total} bytes exceeds limit of ${maxBatchBytes}` };
  }
  let previous = Number.NEGATIVE_INFINITY;
  for (const { timestamp } of events) {
    if (timestamp < previous) {
      return { ok: false, message: "Log events in a single PutLogEvents request must be in chronological order." };
    }
    previous = timestamp;
  }
  // Sorted, so too-old and expired events are a prefix and too-new ones a suffix.
  const oldest = nowMs - maxPastMs;
  const retained = retentionInDays === undefined ? Number.NEGATIVE_INFINITY : nowMs - retentionInDays * dayMs;
  const newest = nowMs + maxFutureMs;
  const tooOldEnd = leadingCount(events, (e) => e.timestamp < oldest);
  const expiredEnd = leadingCount(events, (e) => e.timestamp < retained);
  const tooNewStart = leadingCount(events, (e) => e.timestamp <= newest);
  const start = Math.min(Math.max(tooOldEnd, expiredEnd), tooNewStart);
  const end = tooNewStart;
  const firstKept = events[start];
  const lastKept = events[end - 1];
  if (end > start && firstKept && lastKept && lastKept.timestamp - firstKept.timestamp > maxSpanMs) {
    return { ok: false, message: "The batch of log events in a single PutLogEvents request cannot span more than 24 hours." };
  }
  const rejected: { -readonly [K in keyof RejectedLogEventsInfo]: RejectedLogEventsInfo[K] } = {};
  if (tooOldEnd > 0) rejected.tooOldLogEventEndIndex = tooOldEnd;
  if (expiredEnd > 0) rejected.expiredLogEventEndIndex = expiredEnd;
  if (tooNewStart < events.length) rejected.tooNewLogEventStartIndex = tooNewStart;
  const bytes = sizes.slice(start, end).reduce((sum, n) => sum + n, 0);
  return Object.keys(rejected).length > 0 ? { ok: true, start, end, rejected, bytes } : { ok: true, start, end, bytes };
}

/** How many of `events`, from the first, pass `test`. */
function leadingCount(events: readonly InputLogEvent[], test: (event: InputLogEvent) => boolean): number {
  const firstFailing = events.findIndex((event) => !test(event));
  return firstFailing === -1 ? events.length : firstFailing;
}
