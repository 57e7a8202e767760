// Control-plane benchmark: throughput and p50/p99 latency of a realistic mix of
// ECS calls at concurrency 1 and 16, for Berth on SQLite, Berth on PostgreSQL
// and moto's server, each started here as its own process and driven by the
// same load generator in the same run. It prints figures; it asserts nothing.
//
// A fourth target, the floor, is a bare node:http server that answers `{}`: the
// best this machine and load generator can do, to read the others against.
//
//   every target: start → seed (1 cluster, 20 task definitions) → check
//   then c1 on each target in turn, then c16 on each (pre-sign, warm up, run, summarise)
//   then stop them all → print
//
// Usage: node dist/bench/control-plane.js [--quick] [--only sqlite,postgres,moto,floor]
//          [--requests-c1 N] [--requests-c16 N] [--warmup-seconds S] [--ops Op1,Op2]
//          [--postgres-url URL] [--cpu-prof DIR]

import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { SignedCall } from "../src/aws-client/aws-json-client.js";
import type { PooledJsonClient } from "./lib/pooled-client.js";
import {
  accessKeyId,
  ecsClient,
  mix,
  mixDescription,
  plan,
  region,
  secretAccessKey,
  seed,
  seedFamilies,
  seedRevisions,
  type MixEntry,
  type PlannedCall,
} from "./lib/control-plane-mix.js";
import { runClosedLoop, warmUp } from "./lib/load.js";
import { freePort, processCpuMs, startServer } from "./lib/processes.js";
import { summarize, type LatencySummary } from "./lib/stats.js";
import { fixed, formatTable } from "./lib/table.js";
import { berthMain, startBerth, startMoto, Unavailable, type Target } from "./lib/targets.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const floorServer = join(repoRoot, "dist", "bench", "lib", "floor-server.js");

const concurrencies = [1, 16] as const;
/** Warm-up calls signed for each cell, sent over and over for the warm-up's seconds. */
const warmupPool = 2_000;

// ---------------------------------------------------------------------------
// Options.

interface Options {
  readonly requests: Readonly<Record<(typeof concurrencies)[number], number>>;
  /** How long each cell warms its target up for, right before its clock starts. */
  readonly warmupSeconds: number;
  readonly only: ReadonlySet<TargetKind>;
  readonly ops?: ReadonlySet<string>;
  readonly postgresUrl: string;
  readonly cpuProfDir?: string;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      ops: { type: "string" },
      "requests-c1": { type: "string" },
      "requests-c16": { type: "string" },
      "warmup-seconds": { type: "string" },
      "postgres-url": { type: "string" },
      "cpu-prof": { type: "string" },
    },
  });
  const count = (text: string | undefined, fallback: number): number => {
    const n = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive whole number of requests, got '${text}'`);
    return n;
  };
  const seconds = (text: string | undefined, fallback: number): number => {
    const n = text === undefined ? fallback : Number(text);
    if (!Number.isFinite(n) || n < 0) throw new Error(`expected a number of seconds (0 or more), got '${text}'`);
    return n;
  };
  const quick = values.quick;
  const kinds = (values.only ?? targetKinds.join(",")).split(",").map((s) => s.trim());
  for (const k of kinds) if (!targetKinds.includes(k as TargetKind)) throw new Error(`--only takes ${targetKinds.join(", ")}; got '${k}'`);
  const ops = values.ops?.split(",").map((s) => s.trim());
  for (const op of ops ?? []) if (!mix.some((m) => m.op === op)) throw new Error(`--ops takes ${mix.map((m) => m.op).join(", ")}; got '${op}'`);
  return {
    requests: { 1: count(values["requests-c1"], quick ? 300 : 2_000), 16: count(values["requests-c16"], quick ? 1_000 : 8_000) },
    warmupSeconds: seconds(values["warmup-seconds"], quick ? 1 : 5),
    only: new Set(kinds as TargetKind[]),
    ...(ops ? { ops: new Set(ops) } : {}),
    postgresUrl:
      values["postgres-url"] ??
      process.env["BERTH_BENCH_POSTGRES_URL"] ??
      process.env["BERTH_TEST_POSTGRES_URL"] ??
      "postgres://berth@127.0.0.1:54329/berth",
    ...(values["cpu-prof"] ? { cpuProfDir: resolve(values["cpu-prof"]) } : {}),
  };
}

// ---------------------------------------------------------------------------
// Targets.

const targetKinds = ["sqlite", "postgres", "moto", "floor"] as const;
type TargetKind = (typeof targetKinds)[number];

const targetLabels: Record<TargetKind, string> = {
  sqlite: "Berth (SQLite)",
  postgres: "Berth (PostgreSQL)",
  moto: "moto",
  floor: "floor (bare node:http)",
};

interface StartedTarget extends Target {
  /** Whether it holds state to seed and check (the floor answers `{}` to everything). */
  readonly stateful: boolean;
}

async function startFloor(): Promise<StartedTarget> {
  const port = await freePort();
  const server = await startServer({ name: "floor server", command: process.execPath, args: [floorServer, String(port)], readyOutput: /is running/ });
  return { endpoint: `http://127.0.0.1:${port}`, pid: server.pid, stateful: false, stop: () => server.stop() };
}

async function startTarget(kind: TargetKind, opts: Options): Promise<StartedTarget> {
  switch (kind) {
    case "moto":
      return { ...(await startMoto()), stateful: true };
    case "floor":
      return startFloor();
    default: {
      const berth = await startBerth({
        store: kind,
        label: targetLabels[kind],
        postgresUrl: opts.postgresUrl,
        region,
        accessKeyId,
        secretAccessKey,
        ...(opts.cpuProfDir ? { cpuProfDir: join(opts.cpuProfDir, kind) } : {}),
      });
      return { ...berth, stateful: true };
    }
  }
}

// ---------------------------------------------------------------------------
// Seeding, checking, measuring.

interface Cell {
  readonly concurrency: number;
  readonly requests: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly reqPerSec: number;
  readonly latency: LatencySummary;
  readonly byOp: ReadonlyMap<string, LatencySummary>;
  /** The target process's CPU time per request (user + system), when /proc shows it. */
  readonly serverCpuUsPerRequest: number;
  /** Calls sent while warming up, right before the clock started, and how many of them failed. */
  readonly warmup: { readonly sent: number; readonly errors: number };
}

/** Call `i` of `signed`: the load generator asks only for indexes below the count it was given. */
function callAt(signed: readonly SignedCall[], i: number): SignedCall {
  const call = signed[i];
  if (call === undefined) throw new Error(`the load generator asked for call ${i} of ${signed.length}`);
  return call;
}

async function measure(
  client: PooledJsonClient,
  calls: readonly PlannedCall[],
  warmup: { readonly calls: readonly PlannedCall[]; readonly seconds: number },
  concurrency: number,
  serverPid: number,
): Promise<Cell> {
  // Signed before the clock starts, so signing costs the load generator nothing while measuring.
  const sign = (planned: readonly PlannedCall[]): SignedCall[] => planned.map((c) => client.sign(c.op, c.input));
  const warm = sign(warmup.calls);
  const signed = sign(calls);
  // Warmed up right before the clock starts, and for a while: a target that sat idle
  // (through other targets' cells, or while the calls were signed) answered its first
  // calls slowly, as did the load generator with the signing's garbage to collect; and
  // V8 goes on compiling and optimizing Berth's code for its first seconds under load.
  const warmed = await warmUp({ concurrency, seconds: warmup.seconds, count: warm.length, send: (i) => client.send(callAt(warm, i)) });
  const cpuBefore = processCpuMs(serverPid);
  const result = await runClosedLoop({ concurrency, count: signed.length, send: (i) => client.send(callAt(signed, i)) });
  const cpuAfter = processCpuMs(serverPid);
  const byOpSamples = new Map<string, number[]>();
  for (const [i, { op }] of calls.entries()) {
    const latency = result.latenciesMs[i];
    if (!result.ok[i] || latency === undefined) continue;
    let samples = byOpSamples.get(op);
    if (!samples) byOpSamples.set(op, (samples = []));
    samples.push(latency);
  }
  return {
    concurrency,
    requests: calls.length,
    errors: result.errors,
    errorSamples: result.errorSamples,
    reqPerSec: (calls.length / result.elapsedMs) * 1000,
    latency: summarize(Array.from(result.latenciesMs)),
    byOp: new Map([...byOpSamples].map(([op, samples]) => [op, summarize(samples)])),
    serverCpuUsPerRequest: cpuBefore === undefined || cpuAfter === undefined ? Number.NaN : ((cpuAfter - cpuBefore) * 1000) / calls.length,
    warmup: warmed,
  };
}

type TargetResult =
  | { readonly kind: TargetKind; readonly status: "measured"; readonly cells: readonly Cell[] }
  | { readonly kind: TargetKind; readonly status: "skipped" | "failed"; readonly reason: string };

const progress = (line: string): void => void process.stderr.write(`  … ${line}\n`);

interface Ready {
  readonly kind: TargetKind;
  readonly target: StartedTarget;
  readonly client: PooledJsonClient;
}

const failure = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Starts and seeds one target; a target that cannot run comes back as its result. */
async function prepare(kind: TargetKind, entries: readonly MixEntry[], opts: Options): Promise<Ready | TargetResult> {
  const label = targetLabels[kind];
  progress(`${label}: starting`);
  let target: StartedTarget;
  try {
    target = await startTarget(kind, opts);
  } catch (err) {
    return { kind, status: err instanceof Unavailable ? "skipped" : "failed", reason: failure(err) };
  }
  const client = ecsClient(target.endpoint, Math.max(...concurrencies));
  try {
    if (target.stateful) {
      progress(`${label}: seeding`);
      await seed(client, entries.some((e) => e.op.includes("TaskDefinition")));
    }
    return { kind, target, client };
  } catch (err) {
    await client.shutdown();
    await target.stop();
    return { kind, status: "failed", reason: failure(err) };
  }
}

/**
 * Every target is started and seeded first; then each concurrency is
 * measured on every target in turn, so the cells a ratio compares ran minutes
 * apart at most, under the same background load.
 */
async function benchAll(kinds: readonly TargetKind[], entries: readonly MixEntry[], opts: Options): Promise<TargetResult[]> {
  const results = new Map<TargetKind, TargetResult>();
  const ready: Ready[] = [];
  try {
    for (const kind of kinds) {
      const r = await prepare(kind, entries, opts);
      if ("target" in r) ready.push(r);
      else results.set(kind, r);
    }
    const cells = new Map<TargetKind, Cell[]>(ready.map((r) => [r.kind, []]));
    // One warm-up sequence for every cell, planned once.
    const warmup = { calls: plan(entries, warmupPool, 99), seconds: opts.warmupSeconds };
    for (const c of concurrencies) {
      for (const r of ready) {
        if (results.has(r.kind)) continue;
        progress(`${targetLabels[r.kind]}: concurrency ${c}, ${opts.requests[c]} requests`);
        try {
          const cell = await measure(r.client, plan(entries, opts.requests[c], c), warmup, c, r.target.pid);
          const failed = cell.warmup.errors > 0 ? ` (${cell.warmup.errors} failed)` : "";
          progress(`${targetLabels[r.kind]}: concurrency ${c}, ${fixed(cell.reqPerSec, 0)} req/s, after ${cell.warmup.sent} warm-up calls${failed}`);
          cells.get(r.kind)!.push(cell);
        } catch (err) {
          results.set(r.kind, { kind: r.kind, status: "failed", reason: failure(err) });
        }
      }
    }
    for (const r of ready) if (!results.has(r.kind)) results.set(r.kind, { kind: r.kind, status: "measured", cells: cells.get(r.kind)! });
  } finally {
    for (const r of ready) {
      await r.client.shutdown();
      await r.target.stop();
    }
  }
  return kinds.map((k) => results.get(k)!);
}

// ---------------------------------------------------------------------------
// Report.

function report(results: readonly TargetResult[], entries: readonly MixEntry[]): string {
  const moto = results.find((r) => r.kind === "moto");
  const motoCell = (c: number): Cell | undefined => (moto?.status === "measured" ? moto.cells.find((cell) => cell.concurrency === c) : undefined);
  const ratio = (kind: TargetKind, cell: Cell): string => {
    const m = motoCell(cell.concurrency);
    return kind === "moto" || kind === "floor" || !m ? "—" : `${fixed(cell.reqPerSec / m.reqPerSec, 1)}×`;
  };

  const rows: string[][] = [];
  const notes: string[] = [];
  for (const r of results) {
    const label = targetLabels[r.kind];
    if (r.status !== "measured") {
      rows.push([label, "—", r.status === "skipped" ? "skipped" : "FAILED", "", "", "", "", "", ""]);
      notes.push(`${label}: ${r.status === "skipped" ? "skipped" : "failed"} (${r.reason})`);
      continue;
    }
    for (const cell of r.cells) {
      rows.push([
        label,
        String(cell.concurrency),
        String(cell.requests),
        String(cell.errors),
        fixed(cell.reqPerSec, 0),
        fixed(cell.latency.p50, 2),
        fixed(cell.latency.p99, 2),
        ratio(r.kind, cell),
        fixed(cell.serverCpuUsPerRequest, 0),
      ]);
      if (cell.errors > 0) notes.push(`${label} c${cell.concurrency}: ${cell.errors} errors, e.g. ${cell.errorSamples.join(" | ")}`);
    }
  }
  const out: string[] = [];
  out.push(formatTable(["target", "concurrency", "requests", "errors", "req/s", "p50 ms", "p99 ms", "Berth/moto", "server CPU µs/req"], rows));
  out.push(
    "server CPU: the target's own process (all threads); Berth on PostgreSQL also spends CPU in PostgreSQL's processes.",
    "floor: a bare node:http server answering {} — the best this machine and load generator reach.",
  );

  const top = Math.max(...concurrencies);
  const opRows: string[][] = [];
  for (const r of results) {
    if (r.status !== "measured" || r.kind === "floor") continue;
    const cell = r.cells.find((c) => c.concurrency === top)!;
    opRows.push([
      targetLabels[r.kind],
      ...entries.map((e) => {
        const s = cell.byOp.get(e.op);
        return s ? `${fixed(s.p50, 2)} / ${fixed(s.p99, 2)}` : "—";
      }),
    ]);
  }
  if (opRows.length > 0) {
    out.push("", `p50 / p99 ms by operation at concurrency ${top}:`);
    out.push(formatTable(["target", ...entries.map((e) => e.op)], opRows));
  }

  out.push("", `Targets (Berth on SQLite at concurrency ${top}; printed, not asserted):`);
  const sqlite = results.find((r) => r.kind === "sqlite");
  const sqliteCell = sqlite?.status === "measured" ? sqlite.cells.find((c) => c.concurrency === top) : undefined;
  const m = motoCell(top);
  if (!sqliteCell) {
    out.push("  not measured (Berth on SQLite did not run)");
  } else {
    if (m) {
      const x = sqliteCell.reqPerSec / m.reqPerSec;
      out.push(
        `  throughput ≥ 10× moto : ${fixed(x, 1)}× (${fixed(sqliteCell.reqPerSec, 0)} vs ${fixed(m.reqPerSec, 0)} req/s)  ${x >= 10 ? "MET" : "NOT MET"}`,
      );
    } else {
      out.push("  throughput ≥ 10× moto : not measured (moto did not run)");
    }
    const p99 = sqliteCell.latency.p99;
    out.push(`  p99 < 10 ms           : ${fixed(p99, 2)} ms  ${p99 < 10 ? "MET" : "NOT MET"}`);
    if (sqliteCell.errors > 0) out.push(`  (with ${sqliteCell.errors} errors in the cell: the figures are not comparable)`);
  }
  if (notes.length > 0) out.push("", "Notes:", ...notes.map((n) => `  ${n}`));
  return out.join("\n");
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = readOptions();
  if (!existsSync(berthMain)) throw new Error(`${berthMain} is missing: run \`npm run build\` first.`);
  const entries = opts.ops ? mix.filter((m) => opts.ops!.has(m.op)) : mix;
  const kinds = targetKinds.filter((k) => opts.only.has(k));

  console.log("Berth control-plane benchmark");
  console.log(`  mix          ${mixDescription(entries)}`);
  console.log(`  seed         1 cluster, ${seedFamilies * seedRevisions} task definitions (${seedFamilies} families × ${seedRevisions} revisions)`);
  console.log(`  requests     ${concurrencies.map((c) => `${opts.requests[c]} at concurrency ${c}`).join(", ")}, each after ${opts.warmupSeconds} s of warm-up calls at its concurrency`);
  console.log(`  client       pre-signed SigV4 JSON 1.1 over keep-alive HTTP, one socket per concurrent request`);
  const [startLoad = 0] = loadavg();
  console.log(`  machine      ${cpus().length} cores, Node ${process.version}, load average ${fixed(startLoad, 1)}; each target is its own process`);
  if (opts.cpuProfDir) console.log(`  cpu profiles ${opts.cpuProfDir}/<store>/*.cpuprofile (Berth only)`);
  console.log("");

  const results = await benchAll(kinds, entries, opts);
  console.log(report(results, entries));
  // The load average at the end counts this benchmark's own processes (the client
  // and a server at least), so only the one at the start tells whether others were busy.
  const [endLoad = 0] = loadavg();
  console.log(`\nLoad average: ${fixed(startLoad, 1)} at the start, ${fixed(endLoad, 1)} at the end (this benchmark included), on ${cpus().length} cores.`);
  if (startLoad >= cpus().length / 2) console.log("Other work was running when the benchmark started: figures are pessimistic and noisy; run again on an idle machine.");
  if (results.some((r) => r.status === "failed")) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(`control-plane benchmark: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
