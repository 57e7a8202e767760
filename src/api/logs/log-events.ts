// Log events: PutLogEvents (batch rules, one transaction), GetLogEvents (one
// stream, forward/backward tokens) and FilterLogEvents (a group, time-ordered,
// filter pattern, bounded work per call).

import { performance } from "node:perf_hooks";
import type { FilteredLogEvent, OutputLogEvent, RejectedLogEventsInfo } from "../../model/generated/logs.js";
import type { EventPosition, StoredLogEvent } from "../../store/log-store.js";
import { evaluateBatch, maxBatchBytes, perEventOverhead } from "./batch-rules.js";
import type { LogsDeps, LogsHandlers } from "./handler-dependencies.js";
import { invalidToken, logsErrors, noGroup, noStream } from "./errors.js";
import { FilterPatternError, parseFilterPattern, type FilterPattern } from "./filter-pattern.js";
import { sequenceToken } from "./log-streams.js";
import { requestedGroup } from "./names.js";
import { endPosition, eventId, pageToken, parsePageToken, parseStreamToken, startPosition, streamToken } from "./tokens.js";

/** A response carries at most this many bytes of events (messages plus 26 each), as AWS's 1 MB cap. */
const maxResponseBytes = maxBatchBytes;
const defaultEventsLimit = 10_000;

/**
 * FilterLogEvents' work per call. Like AWS, a call that has looked at this many
 * events (or run this long) without filling its page returns what it has with a
 * nextToken, so one call never scans a huge group; clients page on. The store
 * examines a window of events per query, so the budget bounds SQL work too.
 */
export const filterBudget = {
  /** Events SQL looks at, in windows of `window`. */
  rows: 200_000,
  window: 50_000,
  /** Candidates the pattern matcher (JSON parsing, say) looks at. */
  checked: 50_000,
  ms: 1_000,
};

const eventBytes = (e: StoredLogEvent): number => Buffer.byteLength(e.message, "utf8") + perEventOverhead;
const position = (e: StoredLogEvent): EventPosition => ({ timestamp: e.timestamp, id: e.id });

const isFilterCursor = (v: unknown): v is { g: number; t: number; i: number } => {
  if (typeof v !== "object" || v === null) return false;
  const c = v as Record<string, unknown>;
  return Number.isSafeInteger(c["g"]) && Number.isSafeInteger(c["t"]) && Number.isSafeInteger(c["i"]);
};

export function logEventHandlers({ logs, scope }: LogsDeps): LogsHandlers {
  return {
    async PutLogEvents(input, ctx) {
      const now = ctx.now.getTime();
      let rejected: RejectedLogEventsInfo | undefined;
      const outcome = await logs.append(input.logGroupName, input.logStreamName, now, (group) => {
        const verdict = evaluateBatch(input.logEvents, now, group.retentionInDays);
        if (!verdict.ok) throw logsErrors.invalidParameter(verdict.message);
        rejected = verdict.rejected;
        return { events: input.logEvents.slice(verdict.start, verdict.end), bytes: verdict.bytes };
      });
      if (outcome.kind === "noGroup") throw noGroup();
      if (outcome.kind === "noStream") throw noStream();
      // sequenceToken on input is accepted and ignored, as AWS does since 2023.
      return { nextSequenceToken: sequenceToken(outcome.stream), ...(rejected ? { rejectedLogEventsInfo: rejected } : {}) };
    },

    async GetLogEvents(input) {
      const groupName = requestedGroup(scope, input);
      let direction: "forward" | "backward" = input.startFromHead ? "forward" : "backward";
      let from: EventPosition | undefined;
      if (input.nextToken !== undefined) {
        // The token carries its direction; startFromHead only picks the first page's.
        const token = parseStreamToken(input.nextToken);
        if (!token) throw invalidToken();
        direction = token.direction;
        from = token.position;
      }
      const group = await logs.getGroup(groupName);
      if (!group) throw noGroup();
      const stream = await logs.getStream(group.id, input.logStreamName);
      if (!stream) throw noStream();
      const rows = await logs.readStream({
        streamId: stream.id,
        ...(input.startTime === undefined ? {} : { startTime: input.startTime }),
        ...(input.endTime === undefined ? {} : { endTime: input.endTime }),
        direction,
        ...(from ? { from } : {}),
        limit: input.limit ?? defaultEventsLimit,
      });
      // Rows come nearest-the-position first, so the byte cap keeps the right end.
      const kept: StoredLogEvent[] = [];
      let bytes = 0;
      for (const r of rows) {
        bytes += eventBytes(r);
        if (bytes > maxResponseBytes && kept.length > 0) break;
        kept.push(r);
      }
      if (direction === "backward") kept.reverse();
      const events: OutputLogEvent[] = kept.map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime }));
      const [firstKept] = kept;
      const lastKept = kept.at(-1);
      if (firstKept === undefined || lastKept === undefined) {
        // Nothing (more) this way: the same token comes back, which is how the CLI
        // and the SDK paginators know to stop.
        const same = input.nextToken;
        return {
          events,
          nextForwardToken: direction === "forward" && same !== undefined ? same : streamToken("forward", from ?? startPosition),
          nextBackwardToken: direction === "backward" && same !== undefined ? same : streamToken("backward", from ?? endPosition),
        };
      }
      return {
        events,
        nextForwardToken: streamToken("forward", position(lastKept)),
        nextBackwardToken: streamToken("backward", position(firstKept)),
      };
    },

    async FilterLogEvents(input) {
      const groupName = requestedGroup(scope, input);
      if (input.logStreamNames !== undefined && input.logStreamNamePrefix !== undefined) {
        throw logsErrors.invalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive.");
      }
      let pattern: FilterPattern;
      try {
        pattern = parseFilterPattern(input.filterPattern);
      } catch (err) {
        if (err instanceof FilterPatternError) throw logsErrors.invalidParameter("Invalid filter pattern");
        throw err;
      }
      const group = await logs.getGroup(groupName);
      if (!group) throw noGroup();
      let cursor: EventPosition | undefined;
      if (input.nextToken !== undefined) {
        const c = parsePageToken(input.nextToken, isFilterCursor);
        if (!c || c.g !== group.id) throw invalidToken();
        cursor = { timestamp: c.t, id: c.i };
      }
      let streamIds: number[] | undefined;
      const names = new Map<number, string>();
      if (input.logStreamNames !== undefined) {
        const streams = await logs.streamsNamed(group.id, input.logStreamNames);
        streamIds = streams.map((s) => s.id);
        for (const s of streams) names.set(s.id, s.name);
      }

      const limit = input.limit ?? defaultEventsLimit;
      const started = performance.now();
      const matched: StoredLogEvent[] = [];
      let bytes = 0;
      let examined = 0;
      let checked = 0;
      let exhausted = false;
      for (;;) {
        const window = Math.min(filterBudget.window, filterBudget.rows - examined);
        // When the SQL prefilter decides alone, every row that comes back matches:
        // ask for what is missing. Otherwise every candidate of the window comes
        // back for the matcher.
        const want = pattern.exact ? limit - matched.length : window;
        const scan = await logs.scanGroup({
          groupId: group.id,
          ...(streamIds ? { streamIds } : {}),
          ...(input.logStreamNamePrefix === undefined ? {} : { streamPrefix: input.logStreamNamePrefix }),
          ...(input.startTime === undefined ? {} : { startTime: input.startTime }),
          // FilterLogEvents' endTime is inclusive (GetLogEvents' is not).
          ...(input.endTime === undefined ? {} : { endTime: input.endTime + 1 }),
          ...(cursor ? { after: cursor } : {}),
          containsAnyOf: pattern.prefilter.anyOf,
          containsNoneOf: pattern.prefilter.noneOf,
          limit: want,
          window,
        });
        examined += window;
        let full = false;
        for (const r of scan.events) {
          checked++;
          if (pattern.matches(r.message)) {
            const size = eventBytes(r);
            if (matched.length > 0 && bytes + size > maxResponseBytes) {
              full = true; // this event starts the next page
              break;
            }
            matched.push(r);
            bytes += size;
          }
          cursor = position(r);
          if (matched.length >= limit) {
            full = true;
            break;
          }
        }
        if (full) break;
        if (scan.last) cursor = scan.last;
        if (scan.done) {
          exhausted = true;
          break;
        }
        if (examined >= filterBudget.rows || checked >= filterBudget.checked || performance.now() - started >= filterBudget.ms) break;
      }

      const unknown = [...new Set(matched.map((e) => e.streamId))].filter((id) => !names.has(id));
      for (const [id, name] of await logs.streamNames(unknown)) names.set(id, name);
      const events: FilteredLogEvent[] = matched.map((e) => ({
        logStreamName: names.get(e.streamId) ?? "",
        timestamp: e.timestamp,
        message: e.message,
        ingestionTime: e.ingestionTime,
        eventId: eventId(position(e)),
      }));
      return {
        events,
        // Deprecated by AWS in 2020: always an empty list.
        searchedLogStreams: [],
        ...(exhausted || !cursor ? {} : { nextToken: pageToken({ g: group.id, t: cursor.timestamp, i: cursor.id }) }),
      };
    },
  };
}
