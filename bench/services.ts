// Services benchmark on a real `berth up`: (a) how long from `docker kill` of a
// service task's container to its replacement RUNNING, beside a raw Docker
// create+start of the same image in the same run; (b) how long a rolling
// deployment of N tasks takes at 100/200 and 50/100, beside its floor
// ceil(N / batch) × (single-task start + settle). It prints figures; it asserts nothing.
//
//   berth up ─ raw Docker create+start ×n ─ RunTask→RUNNING ×3 (single-task start)
//            ─ service desired 1: docker kill ×n → replacement RUNNING
//            ─ service desired N: update-service to a new revision → steady, per config
//
// Usage: node dist/bench/services.js [--quick] [--skip-docker] [--timeline]
//   --timeline: also prints the 10-task 100/200 rollout step by step, from UpdateService to
//   the last old task STOPPED, each step with the time since the one before and what it waited on

import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
} from "@aws-sdk/client-ecs";
import Docker from "dockerode";
import { labels } from "../src/agent/container-config.js";
import { busyboxImage, ensureBusyboxImage } from "../test/kit/agent/busybox-image.js";
import { BerthTestbed, containersOfTask, removeAgentDockerObjects } from "../test/kit/berth-process.js";
import { summarize } from "./lib/stats.js";
import { fixed, formatTable } from "./lib/table.js";

process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";
// The child processes inherit this environment; a 1 s settle keeps the rollouts short (and is the floor's settle term).
process.env["BERTH_SERVICE_SETTLE_MS"] ??= "1000";
const settleMs = Number(process.env["BERTH_SERVICE_SETTLE_MS"]);

const { values: options } = parseArgs({
  options: { quick: { type: "boolean", default: false }, "skip-docker": { type: "boolean", default: false }, timeline: { type: "boolean", default: false } },
});
const quick = options.quick ?? false;

const cluster = "default";
const idle = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pollMs = 20;
const rolloutLimitMs = 120_000;

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}, node ${process.version}${quick ? ", --quick" : ""}; BERTH_SERVICE_SETTLE_MS=${settleMs}, BERTH_SERVICE_RECONCILE_MS=${process.env["BERTH_SERVICE_RECONCILE_MS"] ?? "1000 (default)"}`,
);

async function registerRevision(ecs: ECSClient, family: string, rev: string): Promise<string> {
  const r = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      networkMode: "bridge",
      containerDefinitions: [{ name: "main", image: busyboxImage, memory: 8, essential: true, command: idle, environment: [{ name: "REV", value: rev }], stopTimeout: 2 }],
    }),
  );
  return r.taskDefinition!.taskDefinitionArn!;
}

async function describeService(ecs: ECSClient, name: string): Promise<Service> {
  const [service] = (await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }))).services ?? [];
  if (service === undefined) throw new Error(`service ${name} is not described`);
  return service;
}

async function runningTaskArns(ecs: ECSClient, name: string): Promise<string[]> {
  const arns = (await ecs.send(new ListTasksCommand({ cluster, serviceName: name, desiredStatus: "RUNNING" }))).taskArns ?? [];
  if (arns.length === 0) return [];
  const tasks = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? [];
  return tasks.filter((t) => t.lastStatus === "RUNNING").map((t) => t.taskArn!);
}

function steady(s: Service, taskDefinition: string): boolean {
  return s.deployments?.length === 1 && s.taskDefinition === taskDefinition && s.runningCount === s.desiredCount && s.deployments[0]?.runningCount === s.desiredCount;
}

async function waitSteady(ecs: ECSClient, name: string, taskDefinition: string, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (steady(await describeService(ecs, name), taskDefinition)) return true;
    await sleep(pollMs * 5);
  }
  return false;
}

async function removeService(ecs: ECSClient, name: string): Promise<void> {
  await ecs.send(new DeleteServiceCommand({ cluster, service: name, force: true })).catch(() => undefined);
}

/** Raw Docker create+start of the same image, one at a time; each container removed after. */
async function rawDocker(docker: Docker, n: number): Promise<number[]> {
  const id = `bench-raw-${randomBytes(4).toString("hex")}`;
  const out: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const c = await docker.createContainer({ name: `${id}-${i}`, Image: busyboxImage, Cmd: idle, Labels: { [labels.agent]: id }, HostConfig: { MemoryReservation: 8 * 1024 * 1024 } });
      await c.start();
      out.push(performance.now() - t0);
      await c.remove({ force: true });
    }
  } finally {
    await removeAgentDockerObjects(docker, id);
  }
  return out;
}

/** RunTask → RUNNING for one task at a time: the floor's "start time". */
async function singleStart(ecs: ECSClient, taskDefinition: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const arn = (await ecs.send(new RunTaskCommand({ cluster, taskDefinition, launchType: "EC2" }))).tasks?.[0]?.taskArn;
    if (arn === undefined) throw new Error("RunTask started no bench task");
    for (;;) {
      const [t] = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] }))).tasks ?? [];
      if (t === undefined) throw new Error(`bench task ${arn} is not described`);
      if (t.lastStatus === "RUNNING") break;
      if (t.lastStatus === "STOPPED") throw new Error(`bench task stopped: ${t.stoppedReason ?? ""}`);
      await sleep(pollMs);
    }
    out.push(performance.now() - t0);
    await ecs.send(new StopTaskCommand({ cluster, task: arn }));
  }
  return out;
}

/** docker kill of the service's one task → a different task RUNNING. */
async function killToReplacement(ecs: ECSClient, docker: Docker, name: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let arns: string[] = [];
    while (arns.length !== 1) {
      arns = await runningTaskArns(ecs, name);
      await sleep(pollMs * 5);
    }
    const [victim] = arns;
    if (victim === undefined) throw new Error(`service ${name} has no running task`);
    const [container] = await containersOfTask(docker, victim);
    if (container === undefined) throw new Error(`bench task ${victim} has no container`);
    const t0 = performance.now();
    await docker.getContainer(container.Id).kill();
    for (;;) {
      const now = await runningTaskArns(ecs, name);
      if (now.some((a) => a !== victim)) break;
      if (performance.now() - t0 > 60_000) throw new Error("no replacement within 60 s");
      await sleep(pollMs);
    }
    out.push(performance.now() - t0);
    // Let the replacement settle, so the next kill starts from a steady service.
    await sleep(settleMs + 500);
  }
  return out;
}

/** One step of a rollout, at ms since UpdateService. */
interface Step {
  readonly at: number;
  readonly what: string;
  /** What the time since the step before went on. */
  readonly waitedOn: string;
}

/** What the gap before a step went on, by the kind of step. */
const waits: Readonly<Record<string, string>> = {
  "new task created": "the service scheduler's pass (reconcile interval or nudge) deciding to launch",
  "new task pull started": "the agent hub's push to the agent, and the agent taking the task",
  "new task pull done": "the image (cached: Docker's inspect)",
  "new task RUNNING": "Docker's create and start, and the agent's report",
  "old task stopping": "the settle window after the new tasks ran, then the scheduler's pass",
  "old task STOPPED": "stopTimeout/SIGTERM, Docker's stop and remove, and the agent's report",
  "deployment COMPLETED": "the scheduler's pass seeing the old deployment drained",
};

/** The rollout of `name` from the service's tasks and deployments, as steps after `t0` (epoch ms of UpdateService). */
async function timelineOf(ecs: ECSClient, name: string, t0: number, newRevision: string): Promise<Step[]> {
  const arns: string[] = [];
  for (const desiredStatus of ["RUNNING", "STOPPED"] as const) {
    arns.push(...((await ecs.send(new ListTasksCommand({ cluster, serviceName: name, desiredStatus }))).taskArns ?? []));
  }
  const tasks = [];
  for (let i = 0; i < arns.length; i += 100) tasks.push(...((await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) }))).tasks ?? []));
  const steps: { at: number; what: string; kind: string }[] = [];
  const add = (date: Date | undefined, kind: string, id: string) => {
    if (date && date.getTime() >= t0) steps.push({ at: date.getTime() - t0, what: `${kind} ${id}`, kind });
  };
  for (const t of tasks) {
    const id = (t.taskArn ?? "").split("/").pop()?.slice(0, 8) ?? "";
    if (t.taskDefinitionArn === newRevision) {
      add(t.createdAt, "new task created", id);
      add(t.pullStartedAt, "new task pull started", id);
      add(t.pullStoppedAt, "new task pull done", id);
      add(t.startedAt, "new task RUNNING", id);
    } else {
      add(t.stoppingAt, "old task stopping", id);
      add(t.stoppedAt, "old task STOPPED", id);
    }
  }
  const primary = (await describeService(ecs, name)).deployments?.find((d) => d.status === "PRIMARY");
  if (primary?.rolloutState === "COMPLETED") add(primary.updatedAt, "deployment COMPLETED", primary.id ?? "");
  steps.sort((a, b) => a.at - b.at);
  return steps.map((s) => ({ at: s.at, what: s.what, waitedOn: waits[s.kind] ?? "" }));
}

function printTimeline(steps: readonly Step[]): void {
  console.log("\n(c) the 10-task 100/200 rollout, step by step (ms since UpdateService; server timestamps, to the millisecond)");
  let before = 0;
  const rows = steps.map((s) => {
    const row = [fixed(s.at, 0), `+${fixed(s.at - before, 0)}`, s.what, s.waitedOn];
    before = s.at;
    return row;
  });
  console.log(formatTable(["at ms", "gap", "step", "the gap went on"], rows));
}

/** Creates a service of `count` tasks, waits for it steady, then times update-service to a new revision → steady. */
async function rollout(
  ecs: ECSClient,
  family: string,
  count: number,
  minHealthy: number,
  maxPercent: number,
  timeline?: (steps: Step[]) => void,
): Promise<number | undefined> {
  const name = `bench-roll-${count}-${minHealthy}-${maxPercent}`;
  const v1 = await registerRevision(ecs, family, `${name}-1`);
  const v2 = await registerRevision(ecs, family, `${name}-2`);
  await ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: name,
      taskDefinition: v1,
      desiredCount: count,
      launchType: "EC2",
      deploymentConfiguration: { minimumHealthyPercent: minHealthy, maximumPercent: maxPercent },
    }),
  );
  try {
    if (!(await waitSteady(ecs, name, v1, rolloutLimitMs))) return undefined;
    await sleep(settleMs + 500);
    const t0 = performance.now();
    const wallT0 = Date.now();
    await ecs.send(new UpdateServiceCommand({ cluster, service: name, taskDefinition: v2 }));
    if (!(await waitSteady(ecs, name, v2, rolloutLimitMs))) return undefined;
    const ms = performance.now() - t0;
    if (timeline) {
      // Steady counts RUNNING tasks; the last old task may still be stopping.
      const deadline = performance.now() + 30_000;
      while (performance.now() < deadline && (await ecs.send(new ListTasksCommand({ cluster, serviceName: name, desiredStatus: "STOPPED" }))).taskArns?.length !== count) await sleep(100);
      timeline(await timelineOf(ecs, name, wallT0, v2));
    }
    return ms;
  } finally {
    await removeService(ecs, name);
    // Give the stops time to finish before the next configuration's figures.
    const deadline = performance.now() + 60_000;
    while (performance.now() < deadline && (await ecs.send(new ListTasksCommand({ cluster, serviceName: name }))).taskArns?.length) await sleep(250);
  }
}

if (options["skip-docker"]) {
  console.log("--skip-docker: nothing to measure (every figure here needs Docker)");
} else {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (err) {
    console.log(`Docker is not reachable (${err instanceof Error ? err.message : String(err)}); skipping the services benchmark`);
    process.exit(0);
  }
  await ensureBusyboxImage(docker);
  const bed = new BerthTestbed();
  try {
    const up = await bed.up();
    const ecs = bed.ecs(up);
    const n = quick ? 5 : 10;
    const family = `bench-svc-${randomBytes(3).toString("hex")}`;

    const raw = summarize(await rawDocker(docker, n));
    const def = await registerRevision(ecs, family, "single");
    const start = summarize(await singleStart(ecs, def, 3));

    const healName = "bench-heal";
    await ecs.send(new CreateServiceCommand({ cluster, serviceName: healName, taskDefinition: def, desiredCount: 1, launchType: "EC2" }));
    await waitSteady(ecs, healName, def, 60_000);
    await sleep(settleMs + 500);
    const heal = summarize(await killToReplacement(ecs, docker, healName, n));
    await removeService(ecs, healName);

    console.log(`\n(a) docker kill of a service task's container → replacement RUNNING (polled every ${pollMs} ms), beside raw Docker create+start; ms, n=${n}`);
    console.log(
      formatTable(
        ["measure", "p50", "p99", "max"],
        [
          ["raw docker create+start", fixed(raw.p50, 0), fixed(raw.p99, 0), fixed(raw.max, 0)],
          ["berth kill → replacement RUNNING", fixed(heal.p50, 0), fixed(heal.p99, 0), fixed(heal.max, 0)],
          ["overhead (berth − docker)", fixed(heal.p50 - raw.p50, 0), fixed(heal.p99 - raw.p99, 0), ""],
        ],
      ),
    );
    const verdict = (ms: number) => (ms <= 1000 ? "MET" : "NOT MET");
    console.log(`target: ≤ 1,000 ms more than raw Docker — p50 ${verdict(heal.p50 - raw.p50)}, p99 ${verdict(heal.p99 - raw.p99)}${n < 100 ? ` (p99 of n=${n} is the max)` : ""}`);

    const startTerm = start.p50 + settleMs;
    const rows: string[][] = [];
    let timeline: Step[] | undefined;
    for (const count of quick ? [10] : [10, 50]) {
      for (const [minHealthy, maxPercent] of [
        [100, 200],
        [50, 100],
      ] as const) {
        // How many tasks may start at once: the room above desired at 100/200, the room below it at 50/100.
        const batch = Math.max(1, minHealthy === 100 ? Math.floor((count * (maxPercent - 100)) / 100) : count - Math.ceil((count * minHealthy) / 100));
        const floor = Math.ceil(count / batch) * startTerm;
        const wantTimeline = options.timeline && count === 10 && minHealthy === 100;
        const ms = await rollout(ecs, family, count, minHealthy, maxPercent, wantTimeline ? (steps) => (timeline = steps) : undefined);
        rows.push([
          String(count),
          `${minHealthy}/${maxPercent}`,
          String(batch),
          ms === undefined ? `> ${rolloutLimitMs / 1000} s (not steady)` : fixed(ms, 0),
          fixed(floor, 0),
          ms === undefined ? "" : fixed(ms / floor, 1),
        ]);
      }
    }
    console.log(
      `\n(b) rolling deployment (update-service to a new revision → one deployment, runningCount = desired); floor = ceil(N / batch) × (single-task start p50 ${fixed(start.p50, 0)} ms + settle ${settleMs} ms); ms`,
    );
    console.log(formatTable(["tasks", "min/max %", "batch", "rollout ms", "floor ms", "rollout/floor"], rows));
    if (quick) console.log("--quick: the 50-task rollouts were not run");
    if (timeline) printTimeline(timeline);
  } finally {
    await bed.cleanup();
  }
}
