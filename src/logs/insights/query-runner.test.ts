import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import type { GroupSweep, GroupSweepResult, LogStore } from "../../store/log-store.js";
import { parseQuery } from "./parse.js";
import { QueryPlan } from "./pipeline.js";
import { InsightsQueries, queryLimits, type QueryStatus } from "./query-runner.js";

/** A store holding `count` events in one stream, one per second, whose sweeps wait for `gate` when given. */
function fakeLogs(count: number, gate?: Promise<void>): LogStore {
  const all = Array.from({ length: count }, (_, i) => ({ id: i + 1, streamId: 7, timestamp: 1_000 * (i + 1), message: `line ${i + 1}` })).reverse();
  const store: Pick<LogStore, "sweepGroup" | "streamNames"> = {
    async sweepGroup(s: GroupSweep): Promise<GroupSweepResult> {
      await gate;
      const from = s.before ? all.findIndex((e) => e.timestamp < s.before!.timestamp) : 0;
      const events = from < 0 ? [] : all.slice(from, from + s.window);
      const last = events[events.length - 1];
      return { events, examined: events.length, ...(last ? { last: { timestamp: last.timestamp, id: last.id } } : {}), done: events.length < s.window };
    },
    streamNames: (ids) => Promise.resolve(new Map(ids.map((id) => [id, `stream-${id}`]))),
  };
  return store as LogStore;
}

const waitFor = async (queries: InsightsQueries, id: string, done: (s: QueryStatus) => boolean): Promise<QueryStatus> => {
  for (;;) {
    const s = queries.get(id)?.status;
    if (s !== undefined && done(s)) return s;
    await new Promise((r) => setTimeout(r, 1));
  }
};

describe("InsightsQueries", () => {
  const request = (queryString: string) => ({ region: "us-east-1", queryString, plan: new QueryPlan(parseQuery(queryString), 10_000), groups: [{ id: 1, name: "/g" }], startTime: 0, endTime: Number.MAX_SAFE_INTEGER });

  it("runs a query in the background, newest events first, and forgets it an hour after it finished", async () => {
    let now = Date.UTC(2024, 0, 1);
    const queries = new InsightsQueries({ logs: fakeLogs(5_000), clock: { now: () => new Date(now) }, logger: pino({ level: "silent" }), accountId: "1" });
    const id = queries.start(request("fields @message | limit 2"));
    assert.equal(queries.get(id)?.status, "Scheduled", "StartQuery answers before the query runs");
    assert.equal(await waitFor(queries, id, (s) => s === "Complete"), "Complete");
    const q = queries.get(id)!;
    assert.deepEqual(q.results.map((r) => r[0]?.value), ["line 5000", "line 4999"]);
    assert.equal(q.statistics.recordsScanned, queryLimits.firstWindow, "a limit stops the reading after the first window");
    now += queryLimits.keepMs;
    assert.ok(queries.list().some((x) => x.id === id));
    now += 1;
    assert.equal(queries.list().length, 0);
    assert.equal(queries.get(id), undefined);
  });

  it("cancels a running query on StopQuery and keeps no results", async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const queries = new InsightsQueries({ logs: fakeLogs(100, gate), clock: { now: () => new Date() }, logger: pino({ level: "silent" }), accountId: "1" });
    const id = queries.start(request("fields @message"));
    await waitFor(queries, id, (s) => s !== "Scheduled");
    assert.equal(queries.get(id)?.status, "Running");
    assert.equal(queries.stop(id), true);
    open();
    await queries.close();
    assert.equal(queries.get(id)?.status, "Cancelled");
    assert.deepEqual(queries.get(id)?.results, []);
    assert.equal(queries.stop(id), false, "a finished query cannot be stopped");
    assert.equal(queries.stop("no-such-query"), undefined);
  });
});
