// Tasks benchmark: (a) RunTask → RUNNING latency on a real `berth server` +
// `berth agent` beside raw Docker create+start of the same image in the same run,
// (b) placement throughput, pure `place()` on 1,000 simulated instances and
// committed through the store by RunTask, (c) the agent process's RSS idle and
// with 50 running tasks. It prints figures; it asserts nothing.
//
//   (b) pure place() ─ in-process control plane + 1,000 instances → RunTask ×N
//   (a, c) berth server + berth agent (processes) ─ idle RSS → 50 tasks RSS → stop
//          → one at a time / burst 20 / burst 100, in rounds of raw Docker then Berth
//
// Usage: node dist/bench/tasks.js [--quick] [--skip-docker]

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import {
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  StopTaskCommand,
  CreateClusterCommand,
  type ECSClient,
} from "@aws-sdk/client-ecs";
import Docker from "dockerode";
import { labels } from "../src/agent/container-config.js";
import { busyboxImage, ensureBusyboxImage } from "../test/kit/agent/busybox-image.js";
import { ecsApi } from "../src/model/generated/ecs.js";
import { place, type Demand, type InstanceSnapshot } from "../src/scheduler/placement.js";
import { BerthTestbed, removeAgentDockerObjects, type BerthProcess } from "../test/kit/berth-process.js";
import { startTestServer } from "../test/kit/harness.js";
import { PooledJsonClient } from "./lib/pooled-client.js";
import { machineCpuMs, pidOf, processCpuMs, settle } from "./lib/processes.js";
import { summarize } from "./lib/stats.js";
import { fixed, formatTable } from "./lib/table.js";

// The SDK clients here are the benchmark's plumbing: their Node version notice is noise in the figures.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";

const { values: options } = parseArgs({ options: { quick: { type: "boolean", default: false }, "skip-docker": { type: "boolean", default: false } } });
const quick = options.quick ?? false;

const idle = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const verdict = (ok: boolean) => (ok ? "MET" : "NOT MET");

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}, node ${process.version}${quick ? ", --quick" : ""}`);

// ---------------------------------------------------------------------------
// (b) Placement throughput.

function simulatedInstances(n: number): InstanceSnapshot[] {
  return Array.from({ length: n }, (_, i) => ({
    arn: `arn:aws:ecs:us-east-1:000000000000:container-instance/bench/${i.toString(16).padStart(32, "0")}`,
    status: "ACTIVE",
    agentConnected: true,
    launchTypes: ["EC2"],
    registeredAt: new Date(0),
    attributes: { "ecs.availability-zone": `us-east-1${"abc".charAt(i % 3)}`, "ecs.instance-type": i % 2 ? "m5.large" : "c5.xlarge", tier: i % 4 === 0 ? "gold" : "bronze" },
    remainingCpu: 4096,
    remainingMemory: 16384,
    usedTcpPorts: new Set([22, 2375, 2376, 51678, 51679]),
    usedUdpPorts: new Set<number>(),
    tasks: [],
  }));
}

/** CPU time (user + system) of this process; steadier than wall time on a shared machine. */
const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

function pureDemand(count: number, over: Partial<Demand>): Demand {
  return { count, launchType: "EC2", cpu: 16, memory: 32, tcpPorts: [], udpPorts: [], requiredAttributes: [], constraints: [], strategy: [], group: "family:bench", ...over };
}

function benchPure(): string[][] {
  const instances = simulatedInstances(1_000);
  const total = quick ? 2_000 : 10_000;
  const cases: { name: string; demand: Partial<Demand>; calls: number; perCall: number }[] = [
    { name: `binpack memory, 1 call × ${total}`, demand: { strategy: [{ type: "binpack", field: "memory" }] }, calls: 1, perCall: total },
    { name: `spread zone + binpack, 1 call × ${total}`, demand: { strategy: [{ type: "spread", field: "attribute:ecs.availability-zone" }, { type: "binpack", field: "memory" }] }, calls: 1, perCall: total },
    { name: `default (spread instanceId), 1 call × ${total}`, demand: {}, calls: 1, perCall: total },
    { name: `random, 1 call × ${total}`, demand: { strategy: [{ type: "random" }] }, calls: 1, perCall: total },
    { name: `memberOf tier==gold + random, 1 call × ${total}`, demand: { strategy: [{ type: "random" }], constraints: [{ type: "memberOf", expression: "attribute:tier == gold" }] }, calls: 1, perCall: total },
    { name: `spread zone + binpack, ${total / 10} calls × 10`, demand: { strategy: [{ type: "spread", field: "attribute:ecs.availability-zone" }, { type: "binpack", field: "memory" }] }, calls: total / 10, perCall: 10 },
  ];
  const rows: string[][] = [];
  for (const c of cases) {
    place(pureDemand(10, c.demand), instances); // warm up
    let placed = 0;
    let failed = 0;
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < c.calls; i++) {
      const plan = place(pureDemand(c.perCall, c.demand), instances);
      placed += plan.placements.length;
      failed += plan.failures.length;
    }
    const cpuS = cpuSeconds(process.cpuUsage(cpu0));
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    rows.push([c.name, String(placed), String(failed), fixed(s * 1000, 0), fixed(placed / s, 0), fixed(placed / cpuS, 0), verdict(placed / s >= 5_000)]);
  }
  return rows;
}

async function benchCommitted(): Promise<string[][]> {
  const server = await startTestServer();
  const ecs = server.ecs();
  try {
    const clusterName = "bench";
    await ecs.send(new CreateClusterCommand({ clusterName }));
    const zones = ["us-east-1a", "us-east-1b", "us-east-1c"];
    const t0 = Date.now();
    for (let i = 0; i < 1_000; i++) {
      await ecs.send(
        new RegisterContainerInstanceCommand({
          cluster: clusterName,
          totalResources: [
            { name: "CPU", type: "INTEGER", integerValue: 4096 },
            { name: "MEMORY", type: "INTEGER", integerValue: 16384 },
            { name: "PORTS", type: "STRINGSET", stringSetValue: ["22", "2375", "2376", "51678", "51679"] },
            { name: "PORTS_UDP", type: "STRINGSET", stringSetValue: [] },
          ],
          attributes: [
            { name: "ecs.availability-zone", value: zones[i % 3] },
            { name: "ecs.os-type", value: "linux" },
          ],
          versionInfo: { agentVersion: "1.0.0" },
        }),
      );
    }
    const registerS = (Date.now() - t0) / 1000;
    // No agent is attached: mark every instance connected through the store, as the hub would.
    const clusterArn = `arn:aws:ecs:us-east-1:000000000000:cluster/${clusterName}`;
    let connected = 0;
    await server.cp.store.tx(async (tx) => {
      for (let after: string | undefined, more = true; more; ) {
        const page = await tx.listContainerInstances(clusterArn, { limit: 100, ...(after ? { after } : {}) });
        for (const i of page.items) {
          await tx.putContainerInstance(clusterArn, { ...i, agentConnected: true });
          connected++;
          after = i.containerInstanceArn;
        }
        more = page.next !== undefined;
      }
    });
    const def = await ecs.send(
      new RegisterTaskDefinitionCommand({ family: "bench-place", containerDefinitions: [{ name: "main", image: busyboxImage, cpu: 16, memory: 32, essential: true }] }),
    );
    const calls = quick ? 50 : 1_000;
    const strategy = [
      { type: "spread" as const, field: "attribute:ecs.availability-zone" },
      { type: "binpack" as const, field: "memory" },
    ];
    const rates: { placed: number; ms: number; cpuMs: number }[] = [];
    let failures = 0;
    // The lean client, as the other benchmarks' load generators: the SDK's own CPU
    // would come out of the thread the control plane runs on here.
    const client = new PooledJsonClient(
      ecsApi,
      {
        endpoint: server.url,
        region: "us-east-1",
        accessKeyId: server.cp.root.accessKeyId,
        secretAccessKey: server.cp.root.secretAccessKey,
      },
      { maxSockets: 1 },
    );
    for (let i = 0; i < calls; i++) {
      const s = process.hrtime.bigint();
      const cpu0 = process.cpuUsage();
      const r = (await client.call("RunTask", {
        cluster: clusterName,
        taskDefinition: def.taskDefinition!.taskDefinitionArn!,
        count: 10,
        placementStrategy: strategy,
      })) as { tasks?: unknown[]; failures?: unknown[] };
      rates.push({ placed: r.tasks?.length ?? 0, ms: Number(process.hrtime.bigint() - s) / 1e6, cpuMs: cpuSeconds(process.cpuUsage(cpu0)) * 1000 });
      failures += r.failures?.length ?? 0;
    }
    await client.shutdown();
    const window = (from: number, to: number) => {
      const part = rates.slice(from, to);
      const placed = part.reduce((n, r) => n + r.placed, 0);
      const ms = part.reduce((n, r) => n + r.ms, 0);
      const cpuMs = part.reduce((n, r) => n + r.cpuMs, 0);
      return { placed, ms, rate: placed / (ms / 1000), cpuPerCall: cpuMs / part.length, p50: summarize(part.map((r) => r.ms)).p50 };
    };
    const q = Math.floor(calls / 4);
    const all = window(0, calls);
    const first = window(0, q);
    const last = window(calls - q, calls);
    console.log(`committed: ${connected} instances registered in ${fixed(registerS, 1)} s and marked connected; ${all.placed} tasks placed, ${failures} failures`);
    return [
      [`RunTask ×${calls} (count 10), all`, String(all.placed), fixed(all.p50, 1), fixed(all.cpuPerCall, 1), fixed(all.rate, 0), verdict(all.rate >= 1_000)],
      [`first ${q} calls (0–${first.placed} live tasks)`, String(first.placed), fixed(first.p50, 1), fixed(first.cpuPerCall, 1), fixed(first.rate, 0), verdict(first.rate >= 1_000)],
      [`last ${q} calls (up to ${all.placed} live tasks)`, String(last.placed), fixed(last.p50, 1), fixed(last.cpuPerCall, 1), fixed(last.rate, 0), verdict(last.rate >= 1_000)],
    ];
  } finally {
    ecs.destroy();
    await server.stop();
  }
}

// ---------------------------------------------------------------------------
// (a) and (c): a real berth server + berth agent, and raw Docker.

function vmRssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU used during a phase, in ms: the whole machine's (and what the hypervisor stole), and that of dockerd and Berth's two processes (/proc). */
interface CpuSplit {
  readonly machine: number;
  readonly stolen: number;
  readonly dockerd: number;
  readonly server: number;
  readonly agent: number;
}

interface Launch {
  /** Per task, ms from the launch to RUNNING (raw Docker: its start call returned). */
  readonly latencies: number[];
  /** Berth only: per task, ms from the launch to the first poll that saw it RUNNING. */
  readonly seen?: number[];
  /** From the launch to the last task's RUNNING. */
  readonly wallMs: number;
}

interface Phase extends Launch {
  readonly cpu: CpuSplit;
}

/** Rounds of one shape as one phase: every latency, and the rounds' times and CPU added up. */
function joinPhases(a: Phase, b: Phase): Phase {
  return {
    latencies: [...a.latencies, ...b.latencies],
    ...(a.seen && b.seen ? { seen: [...a.seen, ...b.seen] } : {}),
    wallMs: a.wallMs + b.wallMs,
    cpu: {
      machine: a.cpu.machine + b.cpu.machine,
      stolen: a.cpu.stolen + b.cpu.stolen,
      dockerd: a.cpu.dockerd + b.cpu.dockerd,
      server: a.cpu.server + b.cpu.server,
      agent: a.cpu.agent + b.cpu.agent,
    },
  };
}

interface TaskStatus {
  readonly taskArn: string;
  readonly lastStatus: string;
  /** Epoch seconds: when the control plane moved the task to RUNNING (ECS's definition). */
  readonly startedAt?: number;
  readonly stoppedReason?: string;
}

class BerthRunner {
  private readonly runs: string[] = [];
  /**
   * A lean client for what is measured (RunTask, the polls), the SDK for the
   * clean-up: frequent DescribeTasks polls through the SDK cost the load generator
   * about as much CPU as the server spends answering it, taken from the same two
   * cores Docker and Berth share, and the SDK's own work on a RunTask would count
   * as Berth's latency (raw Docker's side is dockerode's thin calls).
   */
  constructor(
    private readonly ecs: ECSClient,
    private readonly client: PooledJsonClient,
    private readonly def: string,
  ) {}

  /** Up to 100 tasks' statuses. */
  private async describe(arns: readonly string[]): Promise<readonly TaskStatus[]> {
    const r = (await this.client.call("DescribeTasks", { cluster: "default", tasks: arns })) as { tasks?: TaskStatus[] };
    return r.tasks ?? [];
  }

  /**
   * Launches `count` tasks as concurrent RunTasks of up to 10. A task's latency
   * ends at its startedAt, the moment the control plane moved it to RUNNING (as
   * ECS defines the field; same machine, same clock), not at the poll that sees
   * it: a poll adds up to its interval, which raw Docker's returning call does
   * not pay. The polls only tell when every task is there, every 100 ms (what
   * they see is printed beside); faster polls of up to 100 tasks would take the
   * two cores Docker and Berth share (the SDKs' tasksRunning waiter polls every 6 s).
   */
  async launch(count: number): Promise<Launch> {
    const pollMs = 100;
    const t0 = performance.now();
    const t0Epoch = performance.timeOrigin + t0;
    const calls: Promise<string[]>[] = [];
    for (let left = count; left > 0; left -= 10) {
      const n = Math.min(10, left);
      calls.push(
        this.client.call("RunTask", { cluster: "default", taskDefinition: this.def, count: n }).then((answer) => {
          const r = answer as { tasks?: { taskArn: string }[]; failures?: unknown[] };
          if ((r.failures?.length ?? 0) > 0) throw new Error(`RunTask failures: ${JSON.stringify(r.failures)}`);
          return (r.tasks ?? []).map((t) => t.taskArn);
        }),
      );
    }
    const pending = new Set((await Promise.all(calls)).flat());
    const latencies: number[] = [];
    const seen: number[] = [];
    this.runs.push(...pending);
    const deadline = t0 + 120_000;
    while (pending.size > 0) {
      const arns = [...pending];
      for (let i = 0; i < arns.length; i += 100) {
        const tasks = await this.describe(arns.slice(i, i + 100));
        const now = performance.now();
        for (const t of tasks) {
          if (t.lastStatus === "RUNNING" && pending.delete(t.taskArn)) {
            if (t.startedAt === undefined) throw new Error(`task ${t.taskArn} is RUNNING without a startedAt`);
            latencies.push(t.startedAt * 1000 - t0Epoch);
            seen.push(now - t0);
          } else if (t.lastStatus === "STOPPED") throw new Error(`task stopped: ${t.stoppedReason ?? ""}`);
        }
      }
      if (performance.now() > deadline) throw new Error(`${pending.size} tasks not RUNNING after 120 s`);
      if (pending.size > 0) await sleep(pollMs);
    }
    return { latencies, seen, wallMs: Math.max(...latencies) };
  }

  async stopAll(): Promise<void> {
    const arns = this.runs.splice(0);
    for (let i = 0; i < arns.length; i += 10) {
      await Promise.all(arns.slice(i, i + 10).map((task) => this.ecs.send(new StopTaskCommand({ cluster: "default", task }))));
    }
    const deadline = Date.now() + 120_000;
    for (let left = arns; left.length > 0 && Date.now() < deadline; ) {
      const still: string[] = [];
      for (let i = 0; i < left.length; i += 100) {
        for (const t of await this.describe(left.slice(i, i + 100))) if (t.lastStatus !== "STOPPED") still.push(t.taskArn);
      }
      left = still;
      if (left.length > 0) await sleep(200);
    }
  }
}

class RawDocker {
  readonly id = `bench-raw-${randomBytes(4).toString("hex")}`;
  private n = 0;
  constructor(private readonly docker: Docker) {}

  private async one(t0: number): Promise<number> {
    const c = await this.docker.createContainer({
      name: `${this.id}-${this.n++}`,
      Image: busyboxImage,
      Cmd: idle,
      Labels: { [labels.agent]: this.id },
      // What Berth gives the task's container: its memoryReservation, and ECS's 2 CPU shares for a container with no cpu.
      HostConfig: { MemoryReservation: 8 * 1024 * 1024, CpuShares: 2 },
    });
    await c.start();
    return performance.now() - t0;
  }

  /** `count` create+start at once; latency of each from the burst's start. */
  async launch(count: number): Promise<Launch> {
    const t0 = performance.now();
    const latencies = await Promise.all(Array.from({ length: count }, () => this.one(t0)));
    return { latencies, wallMs: performance.now() - t0 };
  }

  async clean(): Promise<void> {
    await removeAgentDockerObjects(this.docker, this.id);
  }
}

async function benchDocker(): Promise<void> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (err) {
    console.log(`\n(a), (c) skipped: Docker Engine unreachable (${err instanceof Error ? err.message : String(err)})`);
    return;
  }
  await ensureBusyboxImage(docker);
  const bed = new BerthTestbed();
  const raw = new RawDocker(docker);
  try {
    const server = await bed.server();
    // Like raw Docker, the agent starts from the cached image: ECS's default behaviour would
    // first try a pull (here of an image no registry has), a registry round trip, not Berth's.
    const agent: BerthProcess = await bed.agent(server, { name: "bench agent", imagePullBehavior: "prefer-cached" });
    const ecs = bed.ecs(server);
    const def = await ecs.send(
      new RegisterTaskDefinitionCommand({ family: "bench-latency", containerDefinitions: [{ name: "main", image: busyboxImage, memoryReservation: 8, essential: true, command: idle, stopTimeout: 2 }] }),
    );
    const client = new PooledJsonClient(
      ecsApi,
      {
        endpoint: server.url!,
        region: "us-east-1",
        accessKeyId: bed.accessKeyId,
        secretAccessKey: bed.secretAccessKey,
      },
      { maxSockets: 10 },
    );
    const berth = new BerthRunner(ecs, client, def.taskDefinition!.taskDefinitionArn!);

    // (c) first, on a fresh agent.
    await sleep(3_000);
    const rssIdle = vmRssMiB(agent.pid);
    await berth.launch(50);
    await sleep(3_000);
    const rss50 = vmRssMiB(agent.pid);
    await berth.stopAll();

    // (a): the same shapes for raw Docker and Berth, in alternating rounds.
    const dockerd = pidOf("dockerd");
    const cpuNow = (): CpuSplit => {
      const machine = machineCpuMs();
      return {
        machine: machine?.busy ?? Number.NaN,
        stolen: machine?.stolen ?? Number.NaN,
        dockerd: dockerd === undefined ? Number.NaN : (processCpuMs(dockerd) ?? Number.NaN),
        server: processCpuMs(server.pid) ?? Number.NaN,
        agent: processCpuMs(agent.pid) ?? Number.NaN,
      };
    };
    // Every phase starts on a quiet machine: removing a burst's containers keeps Docker and
    // the kernel busy for seconds after the call returns, and would land on the next phase.
    const measure = async (run: () => Promise<Launch>): Promise<Phase> => {
      await settle();
      const a = cpuNow();
      const r = await run();
      const b = cpuNow();
      return {
        ...r,
        cpu: { machine: b.machine - a.machine, stolen: b.stolen - a.stolen, dockerd: b.dockerd - a.dockerd, server: b.server - a.server, agent: b.agent - a.agent },
      };
    };
    /**
     * One launch after another, 100 ms apart on both sides (Berth's polls leave up to
     * that between its launches); the rate counts each launch's own time.
     */
    const sequential = async (run: (n: number) => Promise<Launch>, n: number): Promise<Launch> => {
      const launches: Launch[] = [];
      for (let i = 0; i < n; i++) {
        if (i > 0) await sleep(100);
        launches.push(await run(1));
      }
      return {
        latencies: launches.flatMap((l) => l.latencies),
        seen: launches.flatMap((l) => l.seen ?? []),
        wallMs: launches.reduce((sum, l) => sum + l.wallMs, 0),
      };
    };
    const phases: { name: string; raw: Phase; berth: Phase }[] = [];
    // Each shape runs in rounds, raw Docker then Berth in each: one burst is one sample of
    // a noisy machine, and alternating keeps a slow spell from landing on one side only.
    const rounds = quick ? 1 : 2;
    const seqN = 10;
    const shapes = [
      { name: `one at a time, n=${seqN * rounds}`, raw: () => sequential((n) => raw.launch(n), seqN), berth: () => sequential((n) => berth.launch(n), seqN) },
      ...(quick ? [20] : [20, 100]).map((size) => ({ name: `burst of ${size}${rounds > 1 ? ` (×${rounds})` : ""}`, raw: () => raw.launch(size), berth: () => berth.launch(size) })),
    ];
    for (const shape of shapes) {
      let sides: { raw: Phase; berth: Phase } | undefined;
      for (let round = 0; round < rounds; round++) {
        const r = await measure(shape.raw);
        await raw.clean();
        const b = await measure(shape.berth);
        await berth.stopAll();
        sides = sides ? { raw: joinPhases(sides.raw, r), berth: joinPhases(sides.berth, b) } : { raw: r, berth: b };
      }
      phases.push({ name: shape.name, ...sides! });
    }
    await client.shutdown();

    const rows = phases.map((p) => {
      const r = summarize(p.raw.latencies);
      const b = summarize(p.berth.latencies);
      const seen = summarize(p.berth.seen ?? []);
      const rawRate = (p.raw.latencies.length / p.raw.wallMs) * 1000;
      const berthRate = (p.berth.latencies.length / p.berth.wallMs) * 1000;
      return [
        p.name,
        fixed(r.p50, 0),
        fixed(r.p99, 0),
        fixed(b.p50, 0),
        fixed(b.p99, 0),
        fixed(seen.p50, 0),
        `${b.p50 >= r.p50 ? "+" : "−"}${fixed(Math.abs(b.p50 - r.p50), 0)}`,
        fixed(rawRate, 1),
        fixed(berthRate, 1),
        `${fixed((berthRate / rawRate) * 100, 0)}%`,
      ];
    });
    const perTask = (p: Phase, ms: number) => fixed(ms / p.latencies.length, 1);
    const cpuRows = phases.map((p) => [
      p.name,
      perTask(p.raw, p.raw.cpu.machine),
      perTask(p.berth, p.berth.cpu.machine),
      perTask(p.raw, p.raw.cpu.stolen),
      perTask(p.berth, p.berth.cpu.stolen),
      perTask(p.raw, p.raw.cpu.dockerd),
      perTask(p.berth, p.berth.cpu.dockerd),
      perTask(p.berth, p.berth.cpu.server),
      perTask(p.berth, p.berth.cpu.agent),
    ]);
    console.log("\n(a) RunTask → RUNNING beside raw Docker create+start (dockerode), same image, same run; ms");
    console.log("    Berth's latency ends at the task's startedAt, when the control plane moved it to RUNNING; 'seen' is the first DescribeTasks poll (every 100 ms) that showed it");
    console.log("    the agent runs with --image-pull-behavior prefer-cached: both sides start from the image in Docker's cache");
    console.log("    every phase starts once the machine is quiet (≤ 15% CPU busy over 500 ms, at most 20 s)");
    console.log(formatTable(["shape", "docker p50", "docker p99", "berth p50", "berth p99", "berth p50 seen", "overhead p50", "docker tasks/s", "berth tasks/s", "berth/docker"], rows));
    console.log("\n(a) CPU per task started, ms (/proc, during each phase; Berth's polling included): the whole machine (busy; and stolen by the hypervisor), dockerd, and Berth's server and agent");
    console.log(formatTable(["shape", "machine, docker", "machine, berth", "stolen, docker", "stolen, berth", "dockerd, docker", "dockerd, berth", "berth server", "berth agent"], cpuRows));

    console.log("\n(c) berth agent process RSS (/proc/<pid>/status VmRSS)");
    console.log(
      formatTable(
        ["state", "RSS MiB", "target"],
        [
          ["idle (registered, no tasks)", fixed(rssIdle, 1), `≤ 60 MiB ${verdict(rssIdle <= 60)}`],
          ["50 running tasks", fixed(rss50, 1), ""],
        ],
      ),
    );
  } finally {
    await raw.clean();
    await bed.cleanup();
  }
}

console.log("\n(b) placement throughput, pure place() on 1,000 simulated instances (cpu 16, memory 32 per task)");
console.log(formatTable(["case", "placed", "failed", "ms", "placements/s", "per CPU-s", "≥ 5,000/s"], benchPure()));
console.log("\n(b) placement committed through the store: RunTask on an in-process control plane (SQLite) with 1,000 connected instances; CPU counts the load generator's client too");
console.log(formatTable(["calls", "placed", "p50 ms/call", "mean CPU ms/call", "placements/s", "≥ 1,000/s"], await benchCommitted()));
if (!options["skip-docker"]) await benchDocker();
