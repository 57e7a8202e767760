// Soak benchmark: the control-plane API mix at concurrency 64 for minutes on end
// against `berth server` (its own process) on SQLite and on PostgreSQL, printing
// each minute's throughput, latency, errors, the server's memory and what its
// data takes on disk beside the first minute's, then whether what issue-level
// targets say must hold under sustained load did hold. It asserts nothing.
//
//   per store: start → seed → closed loop at c64 for N minutes
//              (every minute: summarise its requests; sample RSS, files, dead tuples)
//            → stop → table → verdict
//
// Usage: node dist/bench/soak.js [--minutes N] [--only sqlite|postgres] [--postgres-url URL] [--quick]

import { readdirSync, statSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import type { SignedCall } from "../src/aws-client/aws-json-client.js";
import type { PooledJsonClient } from "./lib/pooled-client.js";
import { accessKeyId, ecsClient, mix, mixDescription, plan, region, secretAccessKey, seed } from "./lib/control-plane-mix.js";
import { runFor } from "./lib/load.js";
import { processRssBytes } from "./lib/processes.js";
import { summarize } from "./lib/stats.js";
import { fixed, formatTable } from "./lib/table.js";
import { startBerth, Unavailable, type BerthServer } from "./lib/targets.js";

const concurrency = 64;
/** Calls signed for each minute, sent over and over through it (signatures stay valid for 15 minutes). */
const poolSize = 5_000;
const mib = 1024 * 1024;

// What must hold (issue "Sustained load"): SQLite's WAL under this at every
// sample; RSS and p99 of the last minute close to the second's (the first
// includes warming up); no errors.
const walLimitBytes = 64 * mib;
const rssTolerance = 0.1;
const p99Tolerance = 1.2;

const stores = ["sqlite", "postgres"] as const;
type StoreKind = (typeof stores)[number];
const labels: Record<StoreKind, string> = { sqlite: "Berth (SQLite)", postgres: "Berth (PostgreSQL)" };

interface Options {
  readonly minutes: number;
  readonly only: readonly StoreKind[];
  readonly postgresUrl: string;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      minutes: { type: "string" },
      only: { type: "string" },
      "postgres-url": { type: "string" },
      // `npm run bench -- --quick` passes it to every benchmark: 2 minutes, the fewest a verdict needs.
      quick: { type: "boolean", default: false },
    },
  });
  const minutes = Number(values.minutes ?? (values.quick ? 2 : 10));
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 14) {
    throw new Error(`--minutes takes a whole number from 1 to 14 (every call is signed before the clock starts, and a signature holds 15 minutes); got '${values.minutes}'`);
  }
  const only = (values.only ?? stores.join(",")).split(",").map((s) => s.trim());
  for (const s of only) if (!stores.includes(s as StoreKind)) throw new Error(`--only takes ${stores.join(", ")}; got '${s}'`);
  return {
    minutes,
    only: stores.filter((s) => only.includes(s)),
    postgresUrl:
      values["postgres-url"] ??
      process.env["BERTH_BENCH_POSTGRES_URL"] ??
      process.env["BERTH_TEST_POSTGRES_URL"] ??
      "postgres://berth@127.0.0.1:54329/berth",
  };
}

// ---------------------------------------------------------------------------
// Samples.

interface Minute {
  readonly requests: number;
  readonly errors: number;
  readonly reqPerSec: number;
  readonly p50: number;
  readonly p99: number;
  /** Sampled at the minute's end. */
  readonly rssBytes: number;
  readonly disk: Disk;
}

interface Disk {
  /** The database: SQLite's file, or PostgreSQL's pg_database_size. */
  readonly databaseBytes: number;
  /** SQLite's -wal file, or PostgreSQL's pg_wal (the server's, shared by every database on it). */
  readonly walBytes: number;
  /** Everything in Berth's --data-dir. */
  readonly dataDirBytes: number;
  /** PostgreSQL: dead tuples in Berth's tables (pg_stat_user_tables), and live ones. */
  readonly deadTuples?: number;
  readonly liveTuples?: number;
}

function sizeOf(path: string): number {
  try {
    const s = statSync(path);
    if (!s.isDirectory()) return s.size;
    return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
  } catch {
    // Gone between the listing and the stat (a WAL truncated, a blob moved).
    return 0;
  }
}

/** Reads what one store keeps on disk. */
type DiskProbe = { sample(): Promise<Disk>; close(): Promise<void> };

function sqliteProbe(server: BerthServer): DiskProbe {
  const file = join(server.dataDir, "berth.db");
  return {
    sample: () => Promise.resolve({ databaseBytes: sizeOf(file), walBytes: sizeOf(`${file}-wal`), dataDirBytes: sizeOf(server.dataDir) }),
    close: () => Promise.resolve(),
  };
}

async function postgresProbe(server: BerthServer): Promise<DiskProbe> {
  const client = new pg.Client({ connectionString: server.postgresUrl });
  await client.connect();
  const one = async (query: string): Promise<Record<string, string | null>> => {
    const [row] = (await client.query<Record<string, string | null>>(query)).rows;
    if (row === undefined) throw new Error(`no row from: ${query}`);
    return row;
  };
  return {
    async sample() {
      const size = await one("select pg_database_size(current_database()) as bytes");
      // pg_ls_waldir needs superuser or pg_monitor; without it the WAL is not shown.
      const wal = await one("select coalesce(sum(size), 0) as bytes from pg_ls_waldir()").catch(() => ({ bytes: null }));
      const tuples = await one("select coalesce(sum(n_dead_tup), 0) as dead, coalesce(sum(n_live_tup), 0) as live from pg_stat_user_tables");
      return {
        databaseBytes: Number(size.bytes),
        walBytes: wal.bytes === null ? Number.NaN : Number(wal.bytes),
        dataDirBytes: sizeOf(server.dataDir),
        deadTuples: Number(tuples.dead),
        liveTuples: Number(tuples.live),
      };
    },
    close: () => client.end(),
  };
}

// ---------------------------------------------------------------------------
// The run.

const progress = (line: string): void => void process.stderr.write(`  … ${line}\n`);

/**
 * Every minute's calls, signed before the clock starts (about 30 µs each), so no
 * signing runs while requests are measured; a signature holds for 15 minutes.
 */
function signPools(client: PooledJsonClient, minutes: number): SignedCall[][] {
  return Array.from({ length: minutes }, (_, m) => plan(mix, poolSize, m + 1).map((c) => client.sign(c.op, c.input)));
}

interface Soaked {
  readonly minutes: readonly Minute[];
  readonly errorSamples: readonly string[];
}

async function soak(server: BerthServer, client: PooledJsonClient, probe: DiskProbe, minutes: number, label: string): Promise<Soaked> {
  const buckets = Array.from({ length: minutes }, () => ({ latencies: [] as number[], errors: 0 }));
  const errorSamples = new Set<string>();
  const done: Minute[] = [];
  const pools = signPools(client, minutes);
  const started = performance.now();
  const minuteOf = (): number => Math.min(minutes - 1, Math.floor((performance.now() - started) / 60_000));
  // Each minute's end: its figures.
  const closeMinute = async (m: number): Promise<void> => {
    const rssBytes = processRssBytes(server.pid) ?? Number.NaN;
    const disk = await probe.sample();
    const bucket = buckets[m];
    if (bucket === undefined) throw new Error(`minute ${m + 1} is outside the run's ${minutes}`);
    const { latencies, errors } = bucket;
    bucket.latencies = [];
    const s = summarize(latencies);
    const minute: Minute = { requests: latencies.length, errors, reqPerSec: latencies.length / 60, p50: s.p50, p99: s.p99, rssBytes, disk };
    done[m] = minute;
    progress(`${label} minute ${m + 1}: ${minuteLine(minute)}`);
  };
  let closing = Promise.resolve();
  const timers = Array.from({ length: minutes - 1 }, (_, m) => setTimeout(() => {
      closing = closing.then(() => closeMinute(m));
    }, (m + 1) * 60_000));
  await runFor({
    concurrency,
    seconds: minutes * 60,
    send: (i) => {
      const pool = pools[minuteOf()] ?? [];
      const call = pool[i % pool.length];
      if (call === undefined) throw new Error("the pool of signed calls is empty");
      return client.send(call);
    },
    record: (latencyMs, err) => {
      const bucket = buckets[minuteOf()];
      if (bucket === undefined) throw new Error("the run has no minute to record into");
      // Latency of every request, failed ones included, as control-plane.ts counts them.
      bucket.latencies.push(latencyMs);
      if (err === undefined) return;
      bucket.errors++;
      if (errorSamples.size < 5) errorSamples.add(err instanceof Error ? err.message : JSON.stringify(err));
    },
  });
  for (const t of timers) clearTimeout(t);
  await closing;
  await closeMinute(minutes - 1);
  return { minutes: done, errorSamples: [...errorSamples] };
}

// ---------------------------------------------------------------------------
// Report.

const inMib = (bytes: number): string => fixed(bytes / mib, 1);

function minuteLine(m: Minute): string {
  const tuples = m.disk.deadTuples === undefined ? "" : `, dead tuples ${m.disk.deadTuples} (live ${m.disk.liveTuples})`;
  return (
    `${fixed(m.reqPerSec, 0)} req/s, p50 ${fixed(m.p50, 2)} ms, p99 ${fixed(m.p99, 2)} ms, ${m.errors} errors, RSS ${inMib(m.rssBytes)} MiB, ` +
    `database ${inMib(m.disk.databaseBytes)} MiB, WAL ${inMib(m.disk.walBytes)} MiB, data dir ${inMib(m.disk.dataDirBytes)} MiB${tuples}`
  );
}

/** A figure and, after the first minute, how it compares with the first minute's. */
function beside(value: number, first: number, text: string, isFirst: boolean): string {
  if (isFirst || !Number.isFinite(value) || !Number.isFinite(first) || first === 0) return text;
  return `${text} (${fixed(value / first, 2)}×)`;
}

function table(kind: StoreKind, minutes: readonly Minute[]): string {
  const [first] = minutes;
  if (first === undefined) throw new Error("no minute to tabulate");
  const rows = minutes.map((m, i) => {
    const at = (value: number, firstValue: number, text: string): string => beside(value, firstValue, text, i === 0);
    const row = [
      String(i + 1),
      at(m.reqPerSec, first.reqPerSec, fixed(m.reqPerSec, 0)),
      at(m.p50, first.p50, fixed(m.p50, 2)),
      at(m.p99, first.p99, fixed(m.p99, 2)),
      String(m.errors),
      at(m.rssBytes, first.rssBytes, inMib(m.rssBytes)),
      at(m.disk.databaseBytes, first.disk.databaseBytes, inMib(m.disk.databaseBytes)),
      at(m.disk.walBytes, first.disk.walBytes, inMib(m.disk.walBytes)),
      at(m.disk.dataDirBytes, first.disk.dataDirBytes, inMib(m.disk.dataDirBytes)),
    ];
    if (kind === "postgres") row.push(`${m.disk.deadTuples ?? "—"} / ${m.disk.liveTuples ?? "—"}`);
    return row;
  });
  const wal = kind === "sqlite" ? "WAL MiB" : "pg_wal MiB (server)";
  const header = ["minute", "req/s", "p50 ms", "p99 ms", "errors", "RSS MiB", "database MiB", wal, "data dir MiB"];
  if (kind === "postgres") header.push("dead / live tuples");
  return formatTable(header, rows);
}

/** The Must-hold criteria, each MET or NOT MET, then the whole. */
function verdict(kind: StoreKind, minutes: readonly Minute[], errors: number): string[] {
  const [, second] = minutes;
  const last = minutes.at(-1);
  if (second === undefined || last === undefined) {
    return ["  verdict: not judged (the criteria compare the last minute with the second: run --minutes 2 or more)"];
  }
  const checks: [string, boolean][] = [];
  if (kind === "sqlite") {
    const maxWal = Math.max(...minutes.map((m) => m.disk.walBytes));
    checks.push([`WAL ≤ ${inMib(walLimitBytes)} MiB at every sample (max ${inMib(maxWal)})`, maxWal <= walLimitBytes]);
  }
  const rss = last.rssBytes / second.rssBytes;
  checks.push([`RSS last within ${rssTolerance * 100}% of the second (${fixed(rss, 2)}×)`, Math.abs(rss - 1) <= rssTolerance]);
  const p99 = last.p99 / second.p99;
  checks.push([`p99 last ≤ ${p99Tolerance}× the second (${fixed(p99, 2)}×)`, p99 <= p99Tolerance]);
  checks.push([`0 errors (${errors})`, errors === 0]);
  const all = checks.every(([, ok]) => ok);
  return [...checks.map(([what, ok]) => `  ${what}: ${ok ? "MET" : "NOT MET"}`), `  verdict: ${all ? "HOLDS" : "DOES NOT HOLD"}`];
}

// ---------------------------------------------------------------------------

async function runStore(kind: StoreKind, opts: Options): Promise<string[]> {
  const label = labels[kind];
  progress(`${label}: starting`);
  let server: BerthServer;
  try {
    server = await startBerth({ store: kind, label, postgresUrl: opts.postgresUrl, region, accessKeyId, secretAccessKey });
  } catch (err) {
    if (err instanceof Unavailable) return [`${label}: skipped (${err.message})`];
    throw err;
  }
  const client = ecsClient(server.endpoint, concurrency);
  try {
    await seed(client, true);
    const probe = kind === "sqlite" ? sqliteProbe(server) : await postgresProbe(server);
    try {
      progress(`${label}: ${opts.minutes} minutes at concurrency ${concurrency}`);
      const soaked = await soak(server, client, probe, opts.minutes, label);
      const errors = soaked.minutes.reduce((sum, m) => sum + m.errors, 0);
      const out = [`${label}, each figure beside the first minute's:`, table(kind, soaked.minutes)];
      if (soaked.errorSamples.length > 0) out.push(`  errors, e.g. ${soaked.errorSamples.join(" | ")}`);
      out.push(`Must hold (${label}):`, ...verdict(kind, soaked.minutes, errors));
      return out;
    } finally {
      await probe.close();
    }
  } finally {
    await client.shutdown();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const opts = readOptions();
  // loadavg() always gives three figures (zeros on Windows).
  const [startLoad = Number.NaN] = loadavg();
  console.log("Berth soak benchmark");
  console.log(`  mix          ${mixDescription(mix)}`);
  console.log(`  load         concurrency ${concurrency}, closed loop, ${opts.minutes} minutes per store`);
  console.log(`  machine      ${cpus().length} cores, Node ${process.version}, load average ${fixed(startLoad, 1)}; berth server is its own process`);
  console.log("");
  for (const kind of opts.only) console.log(["", ...(await runStore(kind, opts))].join("\n"));
  const [endLoad = Number.NaN] = loadavg();
  console.log(`\nLoad average: ${fixed(startLoad, 1)} at the start, ${fixed(endLoad, 1)} at the end (this benchmark included), on ${cpus().length} cores.`);
  if (startLoad >= cpus().length / 2) console.log("Other work was running when the benchmark started: latency figures are pessimistic and noisy.");
}

main().catch((err: unknown) => {
  console.error(`soak benchmark: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
