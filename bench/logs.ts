// CloudWatch Logs benchmark: PutLogEvents ingest rate (batches of 1,000 and of
// 10,000 events), FilterLogEvents latency and Logs Insights query latency over a
// group of 1,000,000 events, for Berth on SQLite, Berth on PostgreSQL and moto's
// server, each its own process, driven by the same client in the same run. It
// prints; it asserts nothing (the Insights counts are checked and printed as
// exact or not).
//
//   every target: start → ingest N events in 10,000-event batches (timed; this is
//   also the seed) → ingest in 1,000-event batches into a second group (timed)
//   → each filter query R times at concurrency 1
//   → each Insights query R' times: StartQuery, GetQueryResults every 5 ms until
//     it is Complete (timed) → stop → print
//
// Every event goes through PutLogEvents, nothing is written to a store directly.
// moto holds events in Python lists and scans them per call; --moto-events gives
// it fewer where it cannot take N in reasonable time; the table says what each
// target held.
//
// Usage: node dist/bench/logs.js [--quick] [--only sqlite,postgres,moto]
//          [--events N] [--moto-events N] [--reps N] [--insights-reps N] [--postgres-url URL]

import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { SignedCall } from "../src/aws-client/aws-json-client.js";
import { logsApi } from "../src/model/generated/logs.js";
import { PooledJsonClient } from "./lib/pooled-client.js";
import { processCpuMs } from "./lib/processes.js";
import { summarize, type LatencySummary } from "./lib/stats.js";
import { fixed, formatTable } from "./lib/table.js";
import { berthMain, startBerth, startMoto, Unavailable, type Target } from "./lib/targets.js";

const region = "us-east-1";
const accessKeyId = "AKIABERTHBENCHMARK00";
const secretAccessKey = "berth-benchmark-secret-access-key-0000000";
const streamsPerGroup = 10;
const hour = 3_600_000;
const day = 24 * hour;

const targetKinds = ["sqlite", "postgres", "moto"] as const;
type TargetKind = (typeof targetKinds)[number];
const labels: Record<TargetKind, string> = { sqlite: "berth sqlite", postgres: "berth postgres", moto: "moto" };

interface Options {
  readonly events: number;
  readonly motoEvents: number;
  readonly smallBatchEvents: number;
  readonly reps: number;
  readonly insightsReps: number;
  readonly only: ReadonlySet<TargetKind>;
  readonly postgresUrl: string;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      events: { type: "string" },
      "moto-events": { type: "string" },
      reps: { type: "string" },
      "insights-reps": { type: "string" },
      "postgres-url": { type: "string" },
    },
  });
  const whole = (text: string | undefined, fallback: number, multiple = 1): number => {
    const n = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(n) || n < multiple || n % multiple !== 0) throw new Error(`expected a positive multiple of ${multiple}, got '${text}'`);
    return n;
  };
  const quick = values.quick;
  const kinds = (values.only ?? targetKinds.join(",")).split(",").map((s) => s.trim());
  for (const k of kinds) if (!targetKinds.includes(k as TargetKind)) throw new Error(`--only takes ${targetKinds.join(", ")}; got '${k}'`);
  const events = whole(values.events, quick ? 100_000 : 1_000_000, 10_000);
  return {
    events,
    motoEvents: whole(values["moto-events"], events, 10_000),
    smallBatchEvents: quick ? 50_000 : 200_000,
    reps: whole(values.reps, quick ? 10 : 40),
    insightsReps: whole(values["insights-reps"], quick ? 3 : 10),
    only: new Set(kinds as TargetKind[]),
    postgresUrl: values["postgres-url"] ?? process.env["BERTH_BENCH_POSTGRES_URL"] ?? process.env["BERTH_TEST_POSTGRES_URL"] ?? "postgres://berth@127.0.0.1:54329/berth",
  };
}

// ---------------------------------------------------------------------------
// Targets.

function startTarget(kind: TargetKind, opts: Options): Promise<Target> {
  if (kind === "moto") return startMoto();
  return startBerth({ store: kind, label: labels[kind], postgresUrl: opts.postgresUrl, region, accessKeyId, secretAccessKey });
}

// ---------------------------------------------------------------------------
// Events: application log lines, a quarter of them JSON; 2% ERROR (half of those JSON), 10% WARN.

function message(i: number): string {
  const level = i % 100 === 0 || i % 100 === 1 ? "ERROR" : i % 10 === 5 ? "WARN" : "INFO";
  const status = level === "ERROR" ? 500 : 200;
  const latency = (i * 7919) % 1000;
  if (i % 4 === 0) return `{"level":"${level}","status":${status},"latency":${latency},"path":"/api/items/${i % 997}"}`;
  return `${level} [r-${i}] GET /api/items/${i % 997} ${status} ${latency}ms`;
}

interface Plan {
  /** The oldest and newest event timestamps. */
  readonly first: number;
  readonly last: number;
  /** The stream the newest batch went to. */
  readonly lastStream: string;
}

/** Timestamps spread evenly over the 8 days up to yesterday, so no batch spans more than 24 hours. */
function timeline(total: number, now: number): Plan & { at(i: number): number } {
  // (lastStream assumes the 10,000-event batches of the big group.)
  const first = now - 9 * day;
  const span = 8 * day;
  return { first, last: first + span, lastStream: `app/${(total / 10_000 - 1) % streamsPerGroup}`, at: (i) => first + Math.floor((i * span) / total) };
}

async function ingest(client: PooledJsonClient, pid: number, group: string, total: number, batch: number, now: number): Promise<{ seconds: number; eventsPerSec: number; serverCpuSec: number }> {
  // moto answers these with an empty body, so only the status is checked.
  await client.send(client.sign("CreateLogGroup", { logGroupName: group }));
  for (let s = 0; s < streamsPerGroup; s++) await client.send(client.sign("CreateLogStream", { logGroupName: group, logStreamName: `app/${s}` }));
  const t = timeline(total, now);
  let seconds = 0;
  let cpu = 0;
  // Signed in slices so signing (a hash of each ~1 MB body) is not timed, and memory stays bounded.
  const slice = Math.max(1, Math.floor(200_000 / batch));
  for (let b0 = 0; b0 < total / batch; b0 += slice) {
    const calls: SignedCall[] = [];
    for (let b = b0; b < Math.min(b0 + slice, total / batch); b++) {
      const logEvents = Array.from({ length: batch }, (_, k) => {
        const i = b * batch + k;
        return { timestamp: t.at(i), message: message(i) };
      });
      calls.push(client.sign("PutLogEvents", { logGroupName: group, logStreamName: `app/${b % streamsPerGroup}`, logEvents }));
    }
    const cpuBefore = processCpuMs(pid);
    const started = performance.now();
    for (const call of calls) {
      const r = await client.send(call);
      const text = r.body.toString("utf8");
      const body = (text === "" ? {} : JSON.parse(text)) as { rejectedLogEventsInfo?: unknown };
      if (body.rejectedLogEventsInfo) throw new Error(`events rejected: ${JSON.stringify(body.rejectedLogEventsInfo)}`);
    }
    seconds += (performance.now() - started) / 1000;
    cpu += ((processCpuMs(pid) ?? 0) - (cpuBefore ?? 0)) / 1000;
    progress(`  ${Math.min((b0 + slice) * batch, total).toLocaleString("en-US")} / ${total.toLocaleString("en-US")} events`);
  }
  return { seconds, eventsPerSec: total / seconds, serverCpuSec: cpu };
}

// ---------------------------------------------------------------------------
// Filter queries: what a console, `aws logs tail` and an incident search send.

interface Query {
  readonly name: string;
  readonly input: (group: string, plan: Plan) => Record<string, unknown>;
}

const queries: readonly Query[] = [
  { name: "tail: last 10 min, no pattern", input: (g, p) => ({ logGroupName: g, startTime: p.last - 10 * 60_000, interleaved: true }) },
  { name: "console: ERROR, limit 100", input: (g) => ({ logGroupName: g, filterPattern: "ERROR", limit: 100 }) },
  { name: "search: ERROR, last 24 h", input: (g, p) => ({ logGroupName: g, filterPattern: "ERROR", startTime: p.last - day }) },
  { name: "search: ERROR, whole group", input: (g) => ({ logGroupName: g, filterPattern: "ERROR" }) },
  { name: "json: status >= 500, limit 100", input: (g) => ({ logGroupName: g, filterPattern: "{ $.status >= 500 }", limit: 100 }) },
  { name: "one stream, 1 h window", input: (g, p) => ({ logGroupName: g, logStreamNames: [p.lastStream], startTime: p.last - 2 * hour, endTime: p.last - hour }) },
];

interface QueryResult {
  readonly name: string;
  readonly latency?: LatencySummary;
  readonly events: number;
  readonly nextToken: boolean;
  readonly error?: string;
}

async function runQueries(client: PooledJsonClient, group: string, plan: Plan, reps: number): Promise<QueryResult[]> {
  const out: QueryResult[] = [];
  for (const q of queries) {
    try {
      const call = client.sign("FilterLogEvents", q.input(group, plan));
      const first = JSON.parse((await client.send(call)).body.toString("utf8")) as { events?: unknown[]; nextToken?: string };
      const samples: number[] = [];
      for (let r = 0; r < reps; r++) {
        const started = performance.now();
        await client.send(call);
        samples.push(performance.now() - started);
      }
      out.push({ name: q.name, latency: summarize(samples), events: first.events?.length ?? 0, nextToken: first.nextToken !== undefined });
    } catch (err) {
      out.push({ name: q.name, events: 0, nextToken: false, error: err instanceof Error ? err.message.slice(0, 120) : String(err) });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Logs Insights queries over the whole big group, each checked against the
// counts the generator implies (`expect`), as the issue asks: exact counts.

interface InsightsQuery {
  readonly name: string;
  readonly queryString: string;
  /** StartQuery's limit: the minute bins of 8 days (11,520) are more than the default 10,000 rows. */
  readonly limit?: number;
  /** Result rows as field → value; the expected count per group key, keyed as `key` reads a row. */
  readonly key: (row: Record<string, string>) => string;
  readonly count: (row: Record<string, string>) => number;
  readonly expect: (total: number, now: number) => Map<string, number>;
}

/** `2024-05-01 12:34:00.000`, as Logs Insights prints a bin. */
const binText = (ms: number): string => new Date(ms).toISOString().replace("T", " ").slice(0, 23);

/** How many of events 0 … total − 1 fall under each key; an event whose key is undefined is not counted. */
function tally(total: number, keyOf: (i: number) => string | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < total; i++) {
    const key = keyOf(i);
    if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

const insightsQueries: readonly InsightsQuery[] = [
  {
    name: "stats count(*) by bin(1m)",
    queryString: "stats count(*) by bin(1m)",
    limit: 100_000,
    key: (r) => r["bin(1m)"] ?? "",
    count: (r) => Number(r["count(*)"]),
    expect: (total, now) => {
      const t = timeline(total, now);
      return tally(total, (i) => binText(Math.floor(t.at(i) / 60_000) * 60_000));
    },
  },
  {
    name: "filter @message like /ERROR/ | stats count() by @logStream",
    queryString: "filter @message like /ERROR/ | stats count() by @logStream",
    key: (r) => r["@logStream"] ?? "",
    count: (r) => Number(r["count()"]),
    expect: (total) => tally(total, (i) => (message(i).includes("ERROR") ? `app/${Math.floor(i / 10_000) % streamsPerGroup}` : undefined)),
  },
  {
    name: "fields @timestamp, @message | limit 20",
    queryString: "fields @timestamp, @message | limit 20",
    key: () => "rows",
    count: () => 1,
    expect: () => new Map([["rows", 20]]),
  },
  {
    name: "filter status >= 500 | stats count(*) by path",
    queryString: "filter status >= 500 | stats count(*) by path",
    key: (r) => r["path"] ?? "",
    count: (r) => Number(r["count(*)"]),
    expect: (total) =>
      tally(total, (i) => {
        const m = message(i);
        return m.startsWith("{") && m.includes('"status":500') ? `/api/items/${i % 997}` : undefined;
      }),
  },
];

interface InsightsResult {
  readonly name: string;
  readonly latency?: LatencySummary;
  readonly rows: number;
  readonly exact: boolean;
  readonly error?: string;
}

interface QueryAnswer {
  status?: string;
  results?: { field: string; value: string }[][];
}

function sameCounts(q: InsightsQuery, answer: QueryAnswer, expected: ReadonlyMap<string, number>): boolean {
  const got = new Map<string, number>();
  for (const row of answer.results ?? []) {
    const r = Object.fromEntries(row.map((f) => [f.field, f.value]));
    got.set(q.key(r), (got.get(q.key(r)) ?? 0) + q.count(r));
  }
  return got.size === expected.size && [...expected].every(([k, n]) => got.get(k) === n);
}

async function runInsights(client: PooledJsonClient, group: string, total: number, now: number, reps: number): Promise<InsightsResult[]> {
  const t = timeline(total, now);
  const out: InsightsResult[] = [];
  for (const q of insightsQueries) {
    try {
      const expected = q.expect(total, now);
      const samples: number[] = [];
      let last: QueryAnswer = {};
      let exact = true;
      // One more run than measured: the first warms the server's code paths.
      for (let r = 0; r <= reps; r++) {
        const start = client.sign("StartQuery", {
          logGroupName: group,
          startTime: Math.floor(t.first / 1000),
          endTime: Math.ceil(t.last / 1000),
          queryString: q.queryString,
          ...(q.limit === undefined ? {} : { limit: q.limit }),
        });
        const started = performance.now();
        const { queryId } = JSON.parse((await client.send(start)).body.toString("utf8")) as { queryId: string };
        const poll = client.sign("GetQueryResults", { queryId });
        for (;;) {
          last = JSON.parse((await client.send(poll)).body.toString("utf8")) as QueryAnswer;
          if (last.status !== "Scheduled" && last.status !== "Running") break;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        if (r > 0) samples.push(performance.now() - started);
        if (last.status !== "Complete") throw new Error(`query ended ${last.status ?? "without a status"}`);
        exact &&= sameCounts(q, last, expected);
      }
      out.push({ name: q.name, latency: summarize(samples), rows: last.results?.length ?? 0, exact });
    } catch (err) {
      out.push({ name: q.name, rows: 0, exact: false, error: err instanceof Error ? err.message.slice(0, 120) : String(err) });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------

interface TargetReport {
  readonly kind: TargetKind;
  readonly status: "measured" | "skipped" | "failed";
  readonly reason?: string;
  readonly events?: number;
  readonly big?: { eventsPerSec: number; seconds: number; serverCpuSec: number };
  readonly small?: { eventsPerSec: number; seconds: number; serverCpuSec: number; events: number };
  readonly queries?: readonly QueryResult[];
  readonly insights?: readonly InsightsResult[];
}

const progress = (line: string): void => void process.stderr.write(`  … ${line}\n`);

async function benchTarget(kind: TargetKind, opts: Options): Promise<TargetReport> {
  progress(`${labels[kind]}: starting`);
  let target: Target;
  try {
    target = await startTarget(kind, opts);
  } catch (err) {
    return { kind, status: err instanceof Unavailable ? "skipped" : "failed", reason: err instanceof Error ? err.message : String(err) };
  }
  const client = new PooledJsonClient(logsApi, { endpoint: target.endpoint, region, accessKeyId, secretAccessKey }, { maxSockets: 4 });
  try {
    const events = kind === "moto" ? opts.motoEvents : opts.events;
    const small = Math.min(opts.smallBatchEvents, events);
    const now = Date.now();
    progress(`${labels[kind]}: PutLogEvents, ${events.toLocaleString("en-US")} events in batches of 10,000`);
    const big = await ingest(client, target.pid, "/bench/big", events, 10_000, now);
    progress(`${labels[kind]}: PutLogEvents, ${small.toLocaleString("en-US")} events in batches of 1,000`);
    const smallResult = await ingest(client, target.pid, "/bench/small", small, 1_000, now);
    progress(`${labels[kind]}: FilterLogEvents, ${queries.length} queries × ${opts.reps}`);
    const results = await runQueries(client, "/bench/big", timeline(events, now), opts.reps);
    progress(`${labels[kind]}: Logs Insights, ${insightsQueries.length} queries × ${opts.insightsReps}`);
    const insights = await runInsights(client, "/bench/big", events, now, opts.insightsReps);
    return { kind, status: "measured", events, big, small: { ...smallResult, events: small }, queries: results, insights };
  } catch (err) {
    return { kind, status: "failed", reason: err instanceof Error ? err.message : String(err) };
  } finally {
    await client.shutdown();
    await target.stop();
  }
}

/** One table row per query and target: p50, p99 and `more`, or the error the query met. */
function latencyRows<R extends { readonly name: string; readonly latency?: LatencySummary; readonly error?: string }>(
  named: readonly { readonly name: string }[],
  measured: readonly TargetReport[],
  results: (r: TargetReport) => readonly R[] | undefined,
  more: (result: R) => string[],
): string[][] {
  const rows: string[][] = [];
  for (const q of named) {
    for (const r of measured) {
      const x = results(r)?.find((y) => y.name === q.name);
      if (!x) continue;
      rows.push(x.error ? [q.name, labels[r.kind], "error", "", "", x.error] : [q.name, labels[r.kind], fixed(x.latency!.p50, 1), fixed(x.latency!.p99, 1), ...more(x)]);
    }
  }
  return rows;
}

function report(results: readonly TargetReport[], opts: Options): string {
  const out: string[] = [];
  out.push(`CloudWatch Logs benchmark — ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  out.push(`every event through PutLogEvents; FilterLogEvents ${opts.reps} times per query at concurrency 1, latency of the first page\n`);
  const measured = results.filter((r) => r.status === "measured");
  out.push("Ingest (PutLogEvents, one client, sequential requests)");
  out.push(
    formatTable(
      ["target", "events held", "10k-batch ev/s", "1k-batch ev/s", "server CPU µs/event (10k)"],
      measured.map((r) => [
        labels[r.kind],
        (r.events ?? 0).toLocaleString("en-US"),
        fixed(r.big?.eventsPerSec ?? Number.NaN, 0),
        `${fixed(r.small?.eventsPerSec ?? Number.NaN, 0)} (${(r.small?.events ?? 0).toLocaleString("en-US")} ev)`,
        fixed(((r.big?.serverCpuSec ?? Number.NaN) * 1e6) / (r.events ?? 1), 1),
      ]),
    ),
  );
  out.push("\nFilterLogEvents over the big group (first page: events returned, whether a nextToken came back)");
  const rows = latencyRows(queries, measured, (r) => r.queries, (qr) => [String(qr.events), qr.nextToken ? "yes" : "no"]);
  out.push(formatTable(["query", "target", "p50 ms", "p99 ms", "events", "nextToken"], rows));
  out.push(`\nLogs Insights over the whole big group (StartQuery until GetQueryResults says Complete, ${opts.insightsReps} runs after one warm-up; exact: the counts the generator implies)`);
  const insightRows = latencyRows(insightsQueries, measured, (r) => r.insights, (ir) => [String(ir.rows), ir.exact ? "yes" : "NO"]);
  out.push(formatTable(["query", "target", "p50 ms", "p99 ms", "rows", "exact"], insightRows));
  for (const r of results.filter((x) => x.status !== "measured")) out.push(`\n${labels[r.kind]}: ${r.status} — ${r.reason ?? ""}`);
  const sqlite = measured.find((r) => r.kind === "sqlite");
  if (sqlite) {
    const worst = Math.max(...(sqlite.queries ?? []).flatMap((q) => (q.latency ? [q.latency.p50] : [])));
    out.push("\nTargets (berth sqlite):");
    out.push(`  ingest ≥ 50,000 events/s (10k batches): ${fixed(sqlite.big?.eventsPerSec ?? Number.NaN, 0)}  ${(sqlite.big?.eventsPerSec ?? 0) >= 50_000 ? "MET" : "NOT MET"}`);
    out.push(`  filter p50 ≤ 200 ms (worst query)     : ${fixed(worst, 1)} ms  ${worst <= 200 ? "MET" : "NOT MET"}`);
    // The two queries: exact counts over a million events in well under a second.
    for (const q of insightsQueries.slice(0, 2)) {
      const ir = sqlite.insights?.find((x) => x.name === q.name);
      const p50 = ir?.latency?.p50 ?? Number.NaN;
      out.push(`  insights p50 < 1 s and exact: ${q.name}: ${fixed(p50, 1)} ms, exact ${ir?.exact ? "yes" : "no"}  ${p50 < 1000 && ir?.exact ? "MET" : "NOT MET"}`);
    }
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  const opts = readOptions();
  if (!existsSync(berthMain)) throw new Error(`${berthMain} is missing: run \`npm run build\` first.`);
  const results: TargetReport[] = [];
  for (const kind of targetKinds) if (opts.only.has(kind)) results.push(await benchTarget(kind, opts));
  console.log(report(results, opts));
}

await main();
