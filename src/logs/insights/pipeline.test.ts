import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SweptEvent } from "../../store/log-store.js";
import { parseQuery } from "./parse.js";
import { EventRow, QueryPlan, type EventSource } from "./pipeline.js";

const t0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const source: EventSource = { log: "000000000000:/app", streamName: (id) => `stream-${id}`, ptr: (e) => `ptr-${e.id}` };

/** 120 events, one every 10 s over 20 minutes, across 3 streams; every 10th an ERROR, every 4th JSON. */
function events(): SweptEvent[] {
  const out: SweptEvent[] = [];
  for (let i = 0; i < 120; i++) {
    const level = i % 10 === 0 ? "ERROR" : "INFO";
    const message =
      i % 4 === 0
        ? JSON.stringify({ level, status: level === "ERROR" ? 500 : 200, latency: i, http: { path: `/p/${i % 3}` }, tags: ["a", "b"] })
        : `${level} [req-${i}] GET /p/${i % 3} took ${i}ms`;
    out.push({ id: i + 1, streamId: i % 3, timestamp: t0 + i * 10_000, ingestionTime: t0 + i * 10_000 + 5, message });
  }
  return out.reverse(); // the store hands them newest first
}

type Rows = Record<string, string>[];

function run(query: string, limit = 10_000): { rows: Rows; matched: number; plan: QueryPlan } {
  const plan = new QueryPlan(parseQuery(query), limit);
  const execution = plan.start();
  for (const e of events()) if (!execution.push(new EventRow(e, source))) break;
  const rows = execution.finish().map((r) => Object.fromEntries(r.map((f) => [f.field!, f.value!])));
  return { rows, matched: execution.matched, plan };
}

describe("Logs Insights evaluator", () => {
  it("counts per minute bin and per stream exactly, newest bin first", () => {
    const { rows, matched } = run("stats count(*) by bin(1m)");
    assert.equal(matched, 120);
    assert.equal(rows.length, 20);
    assert.deepEqual(rows[0], { "bin(1m)": "2024-05-01 12:19:00.000", "count(*)": "6" });
    assert.deepEqual(rows[19], { "bin(1m)": "2024-05-01 12:00:00.000", "count(*)": "6" });
    const errors = run("filter @message like /ERROR/ | stats count() by @logStream");
    assert.equal(errors.matched, 12);
    assert.deepEqual(
      errors.rows.sort((a, b) => (a["@logStream"] ?? "").localeCompare(b["@logStream"] ?? "")),
      [
        { "@logStream": "stream-0", "count()": "4" },
        { "@logStream": "stream-1", "count()": "4" },
        { "@logStream": "stream-2", "count()": "4" },
      ],
    );
  });

  it("returns the named fields in order, then @ptr, newest first by default, leaving absent fields out", () => {
    const { rows } = run("fields @timestamp, level, @logStream | limit 3");
    assert.deepEqual(rows, [
      { "@timestamp": "2024-05-01 12:19:50.000", "@logStream": "stream-2", "@ptr": "ptr-120" },
      { "@timestamp": "2024-05-01 12:19:40.000", "@logStream": "stream-1", "@ptr": "ptr-119" },
      { "@timestamp": "2024-05-01 12:19:30.000", "@logStream": "stream-0", "@ptr": "ptr-118" },
    ]);
    const fieldOrder = run("fields @logStream, @timestamp | limit 1").rows[0];
    assert.ok(fieldOrder);
    assert.deepEqual(Object.keys(fieldOrder), ["@logStream", "@timestamp", "@ptr"]);
  });

  it("shows every field, JSON ones flattened with dots, when the query names none", () => {
    const [row] = run("filter status = 500 | limit 1").rows;
    assert.ok(row);
    assert.deepEqual(Object.keys(row), ["@timestamp", "@message", "@logStream", "@log", "level", "status", "latency", "http.path", "tags.0", "tags.1", "@ptr"]);
    assert.equal(row["http.path"], "/p/1");
    assert.equal(row["@log"], "000000000000:/app");
  });

  it("filters with comparisons, like, =~, in, not, arithmetic and functions", () => {
    const count = (filter: string): number => Number(run(`filter ${filter} | stats count(*)`).rows[0]?.["count(*)"] ?? 0);
    assert.equal(count("status >= 500"), 6, "JSON numbers compare as numbers");
    assert.equal(count("status = '500'"), 6, "numeric strings compare as numbers");
    assert.equal(count("latency > 100 and level = 'INFO'"), 4);
    assert.equal(count("latency * 2 + 1 > 200"), 5);
    assert.equal(count("@message like 'ERROR'"), 12);
    assert.equal(count("@message not like /ERROR/"), 108);
    assert.equal(count("@message =~ /(?i)error/"), 12);
    assert.equal(count("http.path in ['/p/0', '/p/1']"), 20);
    assert.equal(count("not ispresent(status)"), 90);
    assert.equal(count("strlen(level) = 5 and toupper(tolower(level)) = 'ERROR'"), 6);
    assert.equal(count("isempty(nothing) and coalesce(nothing, level) = 'INFO'"), 24);
    assert.equal(count("abs(-latency) = latency and floor(latency / 7) = ceil(latency / 7)"), 5);
    assert.equal(count("@timestamp >= " + String(t0 + 60 * 10_000)), 60);
    assert.equal(count("datefloor(@timestamp, 1h) = fromMillis(" + String(t0) + ")"), 120);
    assert.equal(count("toMillis(@timestamp) - " + String(t0) + " < 10000"), 1);
  });

  it("parses globs and regexes into fields, and stats reads them", () => {
    const { rows } = run(`parse @message "[*] GET * took *ms" as req, path, took | filter ispresent(req) | stats count(*) as n, sum(took), min(took), max(took), avg(took) by path | sort path asc`);
    assert.deepEqual(rows[0], { path: "/p/0", n: "30", "sum(took)": "1800", "min(took)": "3", "max(took)": "117", "avg(took)": "60" });
    const regex = run(String.raw`parse @message /\[(?<req>req-\d+)\]/ | filter ispresent(req) | fields req | limit 2`).rows;
    assert.deepEqual(regex, [
      { req: "req-119", "@ptr": "ptr-120" },
      { req: "req-118", "@ptr": "ptr-119" },
    ]);
  });

  it("computes pct, count_distinct, stddev, earliest and latest", () => {
    const { rows } = run("stats pct(latency, 50) as p50, pct(latency, 100) as p100, count_distinct(http.path) as paths, count(status) as n, earliest(latency) as first, latest(latency) as last, stddev(latency) as sd");
    const r = rows[0];
    assert.ok(r);
    assert.equal(r["p50"], "56", "nearest rank of 0, 4, …, 116");
    assert.equal(r["p100"], "116");
    assert.equal(r["paths"], "3");
    assert.equal(r["n"], "30");
    assert.equal(r["first"], "0");
    assert.equal(r["last"], "116");
    assert.ok(Math.abs(Number(r["sd"]) - 35.2136) < 0.001, r["sd"]);
  });

  it("sorts (absent values last), keeps only what a limit lets through, dedups and displays", () => {
    const sorted = run("sort latency asc | limit 3 | display latency").rows;
    assert.deepEqual(sorted, [{ latency: "0", "@ptr": "ptr-1" }, { latency: "4", "@ptr": "ptr-5" }, { latency: "8", "@ptr": "ptr-9" }]);
    const dedup = run("filter ispresent(level) | dedup level | display level").rows;
    assert.deepEqual(dedup.map((r) => r["level"]), ["INFO", "ERROR"], "the first (newest) of each level");
    const afterStats = run("stats count(*) as n by @logStream | sort @logStream asc | limit 2").rows;
    assert.deepEqual(afterStats, [{ "@logStream": "stream-0", n: "40" }, { "@logStream": "stream-1", n: "40" }]);
    const byAggregate = run("filter ispresent(status) | stats count(*) by status | sort count(*) asc").rows;
    assert.deepEqual(byAggregate, [{ status: "500", "count(*)": "6" }, { status: "200", "count(*)": "24" }]);
  });

  it("stops reading once a limit or the output is full", () => {
    const plan = new QueryPlan(parseQuery("fields @message | limit 5"), 10_000);
    const execution = plan.start();
    let pushed = 0;
    for (const e of events()) {
      pushed++;
      if (!execution.push(new EventRow(e, source))) break;
    }
    assert.equal(pushed, 5);
    assert.equal(run("fields @message", 7).rows.length, 7, "StartQuery's limit caps the rows");
  });

  it("asks the store only for what the query reads, and pushes literal message tests into it", () => {
    assert.deepEqual(run("stats count(*) by bin(1m)").plan.needs, { message: false, ingestionTime: false });
    assert.deepEqual(run("stats count(*) by @logStream, bin(5m)").plan.countPushdown, { messageContains: [], binMs: 300_000, byStream: true });
    const errors = run("filter @message like /ERROR/ and @message like 'GET' | stats count() by @logStream").plan;
    assert.deepEqual(errors.countPushdown, { messageContains: ["ERROR", "GET"], byStream: true });
    assert.equal(run("filter @message like /ERR.R/ | stats count()").plan.countPushdown, undefined, "a real regex is not a substring");
    assert.equal(run("stats count(level) by bin(1m)").plan.countPushdown, undefined);
    const mixed = run("filter @message like 'ERROR' and status = 500 | fields @timestamp").plan;
    assert.deepEqual(mixed.messageContains, ["ERROR"]);
    assert.deepEqual(mixed.needs, { message: true, ingestionTime: false });
    assert.deepEqual(run("fields @ingestionTime | limit 1").plan.needs, { message: false, ingestionTime: true });
  });
});
