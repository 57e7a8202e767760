// Logs Insights queries in the background: StartQuery hands a plan here and
// returns at once; the query reads its groups' events from the store newest
// first (merged across groups), a window at a time, pushes them through the
// plan, and keeps its results for GetQueryResults until it is forgotten.
//
//   start → Scheduled → Running ─┬→ Complete (results kept)
//                                ├→ Cancelled (StopQuery)   ├→ Failed (store error)
//                                └→ Timeout (ran longer than maxRunMs)
//   finished queries are forgotten after keepMs, or when more than maxKept are kept.

import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setImmediate as yieldToIo } from "node:timers/promises";
import type { Logger } from "pino";
import type { Clock } from "../../clock.js";
import type { ResultField } from "../../model/generated/logs.js";
import type { EventPosition, LogStore, SweptEvent } from "../../store/log-store.js";
import { EventRow, type CountPushdown, type EventSource, type Execution, type QueryPlan } from "./pipeline.js";

export type QueryStatus = "Scheduled" | "Running" | "Complete" | "Failed" | "Cancelled" | "Timeout";

export interface QueryGroup {
  readonly id: number;
  readonly name: string;
}

export interface QueryRequest {
  /** The region it was started in: its groups are that region's, and only that region's callers see it. */
  readonly region: string;
  readonly queryString: string;
  readonly plan: QueryPlan;
  readonly groups: readonly QueryGroup[];
  /** Epoch ms, inclusive. */
  readonly startTime: number;
  /** Epoch ms, exclusive. */
  readonly endTime: number;
}

export interface QueryStatistics {
  readonly recordsMatched: number;
  readonly recordsScanned: number;
  readonly bytesScanned: number;
  readonly logGroupsScanned: number;
}

/** What GetQueryResults and DescribeQueries report of a query. */
export interface QuerySnapshot {
  readonly id: string;
  readonly region: string;
  readonly queryString: string;
  readonly groupNames: readonly string[];
  /** Epoch ms. */
  readonly createTime: number;
  readonly status: QueryStatus;
  /** Empty until the query is Complete. */
  readonly results: readonly (readonly ResultField[])[];
  readonly statistics: QueryStatistics;
  /** How long it ran (so far), ms. */
  readonly durationMs: number;
}

export const queryLimits = {
  /** Events read from the store per call: bounds the time one step holds the event loop. */
  window: 20_000,
  /** The first call reads this many, then four times more each call up to `window`: `| limit 20` reads little. */
  firstWindow: 1_000,
  /**
   * Events the store should count per call, for a plan it can count alone. The
   * calls cover slices of the time range, newest first, each sized from how many
   * events the last one held (starting with an hour).
   */
  countWindow: 200_000,
  firstCountSliceMs: 60 * 60_000,
  /** AWS ends a query that runs longer than 60 minutes with status Timeout. */
  maxRunMs: 60 * 60_000,
  /** Finished queries are kept this long… */
  keepMs: 60 * 60_000,
  /** …and at most this many of them (each holds up to 10,000 result rows). */
  maxKept: 50,
};

interface Query {
  readonly id: string;
  readonly request: QueryRequest;
  readonly createTime: number;
  status: QueryStatus;
  results: ResultField[][];
  statistics: { recordsMatched: number; recordsScanned: number; bytesScanned: number };
  started?: number;
  finishedAt?: number;
  durationMs: number;
  cancelled: boolean;
  done: Promise<void>;
}

export interface InsightsQueriesDeps {
  readonly logs: LogStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly accountId: string;
}

/** One group's events, newest first, fetched a window at a time. */
class GroupCursor {
  private events: readonly SweptEvent[] = [];
  index = 0;
  private before: EventPosition | undefined;
  exhausted = false;
  private readonly names = new Map<number, string>();
  private window = queryLimits.firstWindow;
  readonly source: EventSource;

  constructor(
    private readonly deps: InsightsQueriesDeps,
    private readonly group: QueryGroup,
    private readonly request: QueryRequest,
    private readonly stats: Query["statistics"],
  ) {
    this.source = {
      log: `${deps.accountId}:${group.name}`,
      streamName: (id) => this.names.get(id),
      ptr: (e) => Buffer.from(`${group.id}:${e.timestamp}:${e.id}`).toString("base64url"),
    };
  }

  current(): SweptEvent | undefined {
    return this.events[this.index];
  }

  /** Has the store count the group's events, slice by slice, into the execution; false if stopped. */
  async count(pushdown: CountPushdown, execution: Execution, going: () => boolean): Promise<boolean> {
    const { startTime } = this.request;
    let end = this.request.endTime;
    let slice = queryLimits.firstCountSliceMs;
    while (end > startTime) {
      if (!going()) return false;
      const start = Math.max(startTime, end - slice);
      const r = await this.deps.logs.countGroup({
        groupId: this.group.id,
        startTime: start,
        endTime: end,
        messageContains: pushdown.messageContains,
        ...(pushdown.binMs === undefined ? {} : { binMs: pushdown.binMs }),
        byStream: pushdown.byStream,
      });
      this.stats.recordsScanned += r.examined;
      await this.learnStreams(r.counts.flatMap((c) => (c.streamId === undefined ? [] : [c.streamId])));
      execution.pushCounts(r.counts, this.source);
      // The next slice aims at countWindow events, growing at most fourfold at a time.
      const perMs = r.examined / (end - start);
      slice = Math.max(1, Math.round(Math.min(slice * 4, perMs > 0 ? queryLimits.countWindow / perMs : slice * 4)));
      end = start;
      await yieldToIo();
    }
    return true;
  }

  private async learnStreams(ids: readonly number[]): Promise<void> {
    const unknown = [...new Set(ids)].filter((id) => !this.names.has(id));
    for (const [id, name] of await this.deps.logs.streamNames(unknown)) this.names.set(id, name);
  }

  /** Fetches until there is a current event or the group has no more. */
  async fill(): Promise<void> {
    while (this.index >= this.events.length && !this.exhausted) {
      const { plan, startTime, endTime } = this.request;
      const r = await this.deps.logs.sweepGroup({
        groupId: this.group.id,
        startTime,
        endTime,
        ...(this.before ? { before: this.before } : {}),
        messageContains: plan.messageContains,
        columns: plan.needs.message || plan.needs.ingestionTime ? "all" : "position",
        window: this.window,
      });
      this.window = Math.min(this.window * 4, queryLimits.window);
      this.stats.recordsScanned += r.examined;
      for (const e of r.events) if (e.message !== undefined) this.stats.bytesScanned += Buffer.byteLength(e.message);
      await this.learnStreams(r.events.map((e) => e.streamId));
      this.events = r.events;
      this.index = 0;
      if (r.last) this.before = r.last;
      this.exhausted = r.done;
      // The store's driver may answer without ever leaving the microtask queue:
      // let requests waiting on I/O in between windows.
      await yieldToIo();
    }
  }
}

const newer = (a: SweptEvent, b: SweptEvent): boolean => a.timestamp > b.timestamp || (a.timestamp === b.timestamp && a.id > b.id);

export class InsightsQueries {
  private readonly queries = new Map<string, Query>();

  constructor(private readonly deps: InsightsQueriesDeps) {}

  /** Registers the query and starts it in the background; returns its id. */
  start(request: QueryRequest): string {
    this.forgetOld();
    const query: Query = {
      id: randomUUID(),
      request,
      createTime: this.deps.clock.now().getTime(),
      status: "Scheduled",
      results: [],
      statistics: { recordsMatched: 0, recordsScanned: 0, bytesScanned: 0 },
      durationMs: 0,
      cancelled: false,
      done: Promise.resolve(),
    };
    this.queries.set(query.id, query);
    query.done = this.run(query);
    return query.id;
  }

  get(id: string): QuerySnapshot | undefined {
    const q = this.queries.get(id);
    return q && this.snapshot(q);
  }

  /** Newest first. */
  list(): QuerySnapshot[] {
    this.forgetOld();
    return [...this.queries.values()].sort((a, b) => b.createTime - a.createTime).map((q) => this.snapshot(q));
  }

  /** Cancels a Scheduled or Running query; false when it had already finished. */
  stop(id: string): boolean | undefined {
    const q = this.queries.get(id);
    if (!q) return undefined;
    if (q.status !== "Scheduled" && q.status !== "Running") return false;
    q.cancelled = true;
    this.finish(q, "Cancelled");
    return true;
  }

  /** Cancels every running query and waits for them to let go of the store. */
  async close(): Promise<void> {
    const running = [...this.queries.values()].filter((q) => q.status === "Scheduled" || q.status === "Running");
    for (const q of running) this.stop(q.id);
    await Promise.all(running.map((q) => q.done));
  }

  private snapshot(q: Query): QuerySnapshot {
    return {
      id: q.id,
      region: q.request.region,
      queryString: q.request.queryString,
      groupNames: q.request.groups.map((g) => g.name),
      createTime: q.createTime,
      status: q.status,
      results: q.status === "Complete" ? q.results : [],
      statistics: { ...q.statistics, logGroupsScanned: q.request.groups.length },
      durationMs: q.started === undefined ? 0 : q.finishedAt === undefined ? performance.now() - q.started : q.durationMs,
    };
  }

  private finish(q: Query, status: QueryStatus): void {
    if (q.finishedAt !== undefined) return;
    q.status = status;
    q.finishedAt = this.deps.clock.now().getTime();
    q.durationMs = q.started === undefined ? 0 : performance.now() - q.started;
  }

  private forgetOld(): void {
    const now = this.deps.clock.now().getTime();
    const finished = [...this.queries.values()].filter((q) => q.finishedAt !== undefined).sort((a, b) => b.finishedAt! - a.finishedAt!);
    finished.forEach((q, i) => {
      if (i >= queryLimits.maxKept || now - q.finishedAt! > queryLimits.keepMs) this.queries.delete(q.id);
    });
  }

  private async run(q: Query): Promise<void> {
    await yieldToIo(); // StartQuery answers first
    if (q.cancelled) return;
    q.status = "Running";
    q.started = performance.now();
    const execution = q.request.plan.start();
    const cursors = q.request.groups.map((g) => new GroupCursor(this.deps, g, q.request, q.statistics));
    const going = (): boolean => {
      if (q.cancelled) return false;
      if (performance.now() - q.started! <= queryLimits.maxRunMs) return true;
      this.finish(q, "Timeout");
      return false;
    };
    try {
      const pushdown = q.request.plan.countPushdown;
      if (pushdown) {
        for (const c of cursors) if (!(await c.count(pushdown, execution, going))) return;
      }
      let wanted = !pushdown;
      while (wanted) {
        if (!going()) return;
        for (const c of cursors) if (!c.current()) await c.fill();
        if (q.cancelled) return;
        const live = cursors.filter((c) => c.current());
        const [first] = live;
        if (first === undefined) break;
        if (live.length === 1) {
          // One group left: its window in order, no merging.
          const c = first;
          for (let e = c.current(); e && wanted; e = c.current()) {
            wanted = execution.push(new EventRow(e, c.source));
            c.index++;
          }
          continue;
        }
        // Several: the newest current event of all, until one group's window runs out.
        for (;;) {
          let best = first;
          for (const c of live) if (newer(c.current()!, best.current()!)) best = c;
          wanted = execution.push(new EventRow(best.current()!, best.source));
          best.index++;
          if (!wanted || !best.current()) break;
        }
      }
      if (q.cancelled) return;
      q.results = execution.finish();
      this.finish(q, "Complete");
    } catch (err) {
      this.deps.logger.error({ err, queryId: q.id }, "Logs Insights query failed");
      this.finish(q, "Failed");
    } finally {
      q.statistics.recordsMatched = execution.matched;
    }
  }
}
