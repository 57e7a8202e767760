// The service scheduler end to end, without Docker: a real control plane, simulated
// agents playing the hosts, the SDK as the client. Each scenario runs on SQLite and,
// when BERTH_TEST_POSTGRES_URL names a server, on PostgreSQL.

// The controller reads its timings from the environment when the control plane builds it.
process.env["BERTH_SERVICE_RECONCILE_MS"] = "20";
process.env["BERTH_SERVICE_THROTTLE_MS"] = "200";
process.env["BERTH_INSTANCE_LOST_MS"] = "1500";
// Tasks without health checks count as healthy after 100 ms RUNNING (default 5 s); the crashing scripts exit well before.
process.env["BERTH_SERVICE_SETTLE_MS"] = "100";

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import pino from "pino";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  RegisterTaskDefinitionCommand,
  StopTaskCommand,
  UpdateContainerInstancesStateCommand,
  UpdateServiceCommand,
  type ContainerDefinition,
  type Deployment,
  type Service,
} from "@aws-sdk/client-ecs";
import { startControlPlane, type ControlPlane } from "../control-plane.js";
import type { Task } from "../model/generated/ecs.js";
import { createScratchDatabase, requirePostgresUrl } from "../../test/kit/postgres.js";
import { eventually, SimulatedAgent, type TaskScript } from "../../test/kit/simulated-agent.js";

const region = "us-east-1";
const account = "000000000000";
const cluster = "svc";
const clusterArn = `arn:aws:ecs:${region}:${account}:cluster/${cluster}`;

type Kind = "sqlite" | "postgres";

/** A control plane that can be stopped and started again on the same data (the restart scenario). */
interface Plane {
  readonly cp: ControlPlane;
  readonly ecs: ECSClient;
}

interface World {
  plane: Plane;
  start(): Promise<Plane>;
  agents: SimulatedAgent[];
  addAgent(opts?: { zone?: string; script?: (t: Task) => TaskScript; cpu?: number; memory?: number }): Promise<SimulatedAgent>;
  close(): Promise<void>;
}

async function world(kind: Kind): Promise<World> {
  const dataDir = mkdtempSync(join(tmpdir(), "berth-svc-"));
  const scratch = kind === "postgres" ? await createScratchDatabase(requirePostgresUrl()!) : undefined;
  const start = async (): Promise<Plane> => {
    const cp = await startControlPlane({
      host: "127.0.0.1",
      port: 0,
      dataDir,
      ...(scratch ? { store: scratch.url } : {}),
      accountId: account,
      region,
      logger: pino({ level: "silent" }),
      rootAccessKeyId: "AKIATESTSERVICES0001",
      rootSecretAccessKey: "secret-for-service-tests",
    });
    const ecs = new ECSClient({
      endpoint: cp.edge.url,
      region,
      credentials: { accessKeyId: cp.root.accessKeyId, secretAccessKey: cp.root.secretAccessKey },
      maxAttempts: 1,
    });
    return { cp, ecs };
  };
  const w: World = {
    plane: await start(),
    start,
    agents: [],
    async addAgent(opts = {}) {
      const agent = await SimulatedAgent.start({
        ecs: w.plane.ecs,
        store: w.plane.cp.store,
        cluster,
        zone: opts.zone ?? `${region}a`,
        ...(opts.cpu ? { cpu: opts.cpu } : {}),
        ...(opts.memory ? { memory: opts.memory } : {}),
        ...(opts.script ? { script: opts.script } : {}),
      });
      w.agents.push(agent);
      return agent;
    },
    async close() {
      for (const a of w.agents) await a.stop();
      await w.plane.cp.stop();
      await scratch?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await w.plane.ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  return w;
}

const container = (over: Partial<ContainerDefinition> = {}): ContainerDefinition => ({
  name: "app",
  image: "registry.local/app:1",
  cpu: 128,
  memory: 128,
  essential: true,
  ...over,
});

async function register(ecs: ECSClient, family: string, over: Partial<ContainerDefinition> = {}): Promise<string> {
  const out = await ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: [container(over)], networkMode: "bridge" }));
  return out.taskDefinition!.taskDefinitionArn!;
}

async function service(ecs: ECSClient, name: string): Promise<Service> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }));
  const [found] = out.services ?? [];
  assert.ok(found, `service ${name} is described`);
  return found;
}

/** The deployment ECS lists first: the PRIMARY one. */
function primaryDeployment(s: Service): Deployment {
  const [primary] = s.deployments ?? [];
  assert.ok(primary, `service ${s.serviceName} has a deployment`);
  return primary;
}

/** The service's tasks straight from the store: every task, live or stopped, of its group. */
async function tasksOf(w: World, name: string): Promise<Task[]> {
  return w.plane.cp.store.tx(async (tx) => {
    const live = (await tx.liveTasksInCluster(clusterArn)).filter((t) => t.group === `service:${name}`);
    return live;
  });
}

const stable = (s: Service): boolean =>
  s.status === "ACTIVE" && s.deployments?.length === 1 && s.deployments[0]?.rolloutState === "COMPLETED" && s.runningCount === s.desiredCount && s.pendingCount === 0;

async function untilStable(w: World, name: string, timeoutMs = 15_000): Promise<Service> {
  return eventually(`${name} to be stable`, async () => {
    const s = await service(w.plane.ecs, name);
    return stable(s) ? s : undefined;
  }, timeoutMs);
}

/** Samples the service's tasks until `done`, handing each sample to `check`; returns how many samples were taken. */
async function sampleUntil(w: World, name: string, check: (tasks: Task[]) => void, done: () => Promise<boolean>, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let samples = 0;
  for (;;) {
    check(await tasksOf(w, name));
    samples++;
    if (await done()) return samples;
    if (Date.now() > deadline) throw new Error(`${name}: rollout did not finish in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const postgresUrl = requirePostgresUrl();
const kinds: Kind[] = postgresUrl ? ["sqlite", "postgres"] : ["sqlite"];

for (const kind of kinds) {
  describe(`service scheduler (${kind})`, { concurrency: false }, () => {
    it("holds the desired count: a task whose container exits is replaced, back to 3", async () => {
      const w = await world(kind);
      try {
        await w.addAgent();
        await w.addAgent({ zone: `${region}b` });
        const td = await register(w.plane.ecs, "web");
        await w.plane.ecs.send(new CreateServiceCommand({ cluster, serviceName: "web", taskDefinition: td, desiredCount: 3 }));
        const before = await untilStable(w, "web");
        assert.equal(before.runningCount, 3);
        const [victim] = await tasksOf(w, "web");
        assert.ok(victim);
        const agent = w.agents.find((a) => a.containerInstanceArn === victim.containerInstanceArn)!;
        agent.exitContainer(victim.taskArn!, 2);
        const after = await eventually("a replacement", async () => {
          // Tasks first: a describe taken after them sees at least the pass that launched the replacement.
          const tasks = await tasksOf(w, "web");
          const s = await service(w.plane.ecs, "web");
          return stable(s) && !tasks.some((t) => t.taskArn === victim.taskArn) && tasks.length === 3 ? s : undefined;
        });
        assert.equal(after.runningCount, 3);
        assert.equal(primaryDeployment(after).failedTasks, 1, "the exit counts against the deployment");
        const stopped = await w.plane.cp.store.tx((tx) => tx.getTask(victim.taskArn!));
        assert.equal(stopped?.lastStatus, "STOPPED");
        assert.equal(stopped?.stopCode, "EssentialContainerExited");
        assert.ok(after.events!.some((e) => /^\(service web\) has started 1 tasks: \(task [0-9a-f]{32}\)\.$/.test(e.message!)), "a started event");
        assert.ok(after.events!.some((e) => e.message === "(service web) has reached a steady state."));
      } finally {
        await w.close();
      }
    });

    it("replaces a task stopped with StopTask (not a failure) and moves tasks off a DRAINING instance, new first", async () => {
      const w = await world(kind);
      try {
        const a = await w.addAgent();
        const b = await w.addAgent({ zone: `${region}b` });
        const td = await register(w.plane.ecs, "move");
        await w.plane.ecs.send(new CreateServiceCommand({ cluster, serviceName: "move", taskDefinition: td, desiredCount: 2 }));
        await untilStable(w, "move");
        const [victim] = await tasksOf(w, "move");
        assert.ok(victim);
        await w.plane.ecs.send(new StopTaskCommand({ cluster, task: victim.taskArn!, reason: "operator" }));
        const s = await eventually("the stopped task's replacement", async () => {
          const tasks = await tasksOf(w, "move");
          const svc = await service(w.plane.ecs, "move");
          return stable(svc) && tasks.length === 2 && !tasks.some((t) => t.taskArn === victim.taskArn) ? svc : undefined;
        });
        assert.equal(primaryDeployment(s).failedTasks, 0, "a user's StopTask is not the task's failure");
        // Drain a host that holds a task (the replacement may have joined the other one on the same host).
        const hosts = new Set((await tasksOf(w, "move")).map((t) => t.containerInstanceArn));
        const [drained, kept] = hosts.has(a.containerInstanceArn) ? [a, b] : [b, a];
        await w.plane.ecs.send(new UpdateContainerInstancesStateCommand({ cluster, containerInstances: [drained.containerInstanceArn], status: "DRAINING" }));
        let sawMore = false;
        await sampleUntil(
          w,
          "move",
          (tasks) => {
            const healthy = tasks.filter((t) => t.lastStatus === "RUNNING" && t.desiredStatus === "RUNNING").length;
            assert.ok(healthy >= 2, `healthy tasks fell to ${healthy} while draining`);
            assert.ok(tasks.length <= 4, `${tasks.length} tasks hold resources`);
            if (tasks.length > 2) sawMore = true;
          },
          async () => {
            const tasks = await tasksOf(w, "move");
            const svc = await service(w.plane.ecs, "move");
            return stable(svc) && tasks.length === 2 && tasks.every((t) => t.containerInstanceArn === kept.containerInstanceArn);
          },
        );
        assert.ok(sawMore, "replacements started before the draining tasks stopped (100/200)");
      } finally {
        await w.close();
      }
    });

    it("rolls 3 tasks at 100/200: new tasks first, never fewer than 3 healthy, never more than 6", async () => {
      const w = await world(kind);
      try {
        await w.addAgent({ script: () => ({ startAfterMs: 80 }) });
        await w.addAgent({ zone: `${region}b`, script: () => ({ startAfterMs: 80 }) });
        const v1 = await register(w.plane.ecs, "roll");
        await w.plane.ecs.send(new CreateServiceCommand({ cluster, serviceName: "roll", taskDefinition: v1, desiredCount: 3 }));
        await untilStable(w, "roll");
        const v2 = await register(w.plane.ecs, "roll", { image: "registry.local/app:2" });
        await w.plane.ecs.send(new UpdateServiceCommand({ cluster, service: "roll", taskDefinition: v2 }));
        let sawSix = false;
        const samples = await sampleUntil(
          w,
          "roll",
          (tasks) => {
            const healthy = tasks.filter((t) => t.lastStatus === "RUNNING" && t.desiredStatus === "RUNNING").length;
            assert.ok(healthy >= 3, `healthy tasks fell to ${healthy}`);
            assert.ok(tasks.length <= 6, `${tasks.length} tasks hold resources`);
            if (tasks.length === 6) sawSix = true;
          },
          async () => {
            const s = await service(w.plane.ecs, "roll");
            return stable(s) && s.taskDefinition === v2;
          },
        );
        assert.ok(samples > 5, "the rollout was sampled while it ran");
        assert.ok(sawSix, "100/200 starts all new tasks before stopping old ones");
        const tasks = await tasksOf(w, "roll");
        assert.deepEqual(tasks.map((t) => t.taskDefinitionArn), [v2, v2, v2]);
        const s = await service(w.plane.ecs, "roll");
        const stoppedCount = s.events!.reduce((n, e) => n + Number(/^\(service roll\) has stopped (\d+) running tasks: /.exec(e.message!)?.[1] ?? 0), 0);
        assert.equal(stoppedCount, 3, "the stopped events name the 3 old tasks");
        const stopped = await w.plane.cp.store.tx(async (tx) => {
          const arns = await tx.listTaskArns({ clusterArn, group: "service:roll", desiredStatus: "STOPPED", limit: 100 });
          return Promise.all(arns.items.map((a) => tx.getTask(a)));
        });
        assert.equal(stopped.length, 3);
        for (const t of stopped) {
          assert.equal(t?.stopCode, "ServiceSchedulerInitiated");
          assert.equal(t?.stoppedReason, `Scaling activity initiated by (deployment ${primaryDeployment(s).id})`);
        }
      } finally {
        await w.close();
      }
    });

    it("rolls 3 tasks at 50/100: stops first, never more than 3 tasks, never fewer than 2 healthy", async () => {
      const w = await world(kind);
      try {
        await w.addAgent({ script: () => ({ startAfterMs: 80 }) });
        const v1 = await register(w.plane.ecs, "half");
        await w.plane.ecs.send(
          new CreateServiceCommand({
            cluster,
            serviceName: "half",
            taskDefinition: v1,
            desiredCount: 3,
            deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 100 },
          }),
        );
        await untilStable(w, "half");
        const v2 = await register(w.plane.ecs, "half", { image: "registry.local/app:2" });
        await w.plane.ecs.send(new UpdateServiceCommand({ cluster, service: "half", taskDefinition: v2 }));
        let sawTwo = false;
        await sampleUntil(
          w,
          "half",
          (tasks) => {
            const healthy = tasks.filter((t) => t.lastStatus === "RUNNING" && t.desiredStatus === "RUNNING").length;
            assert.ok(tasks.length <= 3, `${tasks.length} tasks hold resources`);
            assert.ok(healthy >= 2, `healthy tasks fell to ${healthy}`);
            if (healthy === 2) sawTwo = true;
          },
          async () => {
            const s = await service(w.plane.ecs, "half");
            return stable(s) && s.taskDefinition === v2;
          },
        );
        assert.ok(sawTwo, "50/100 stops an old task before starting a new one");
      } finally {
        await w.close();
      }
    });

    it("trips the circuit breaker on a revision whose container exits at once, and rolls back to the last completed one", async () => {
      const w = await world(kind);
      try {
        const script = (t: Task): TaskScript => (t.taskDefinitionArn?.endsWith(":2") ? { exitAfterMs: 0, exitCode: 3 } : {});
        await w.addAgent({ script });
        await w.addAgent({ zone: `${region}b`, script });
        const v1 = await register(w.plane.ecs, "cb");
        await w.plane.ecs.send(
          new CreateServiceCommand({
            cluster,
            serviceName: "cb",
            taskDefinition: v1,
            desiredCount: 3,
            deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
          }),
        );
        const first = await untilStable(w, "cb");
        const firstDeployment = primaryDeployment(first);
        const v2 = await register(w.plane.ecs, "cb", { image: "registry.local/app:broken" });
        const updated = await w.plane.ecs.send(new UpdateServiceCommand({ cluster, service: "cb", taskDefinition: v2 }));
        const failedSd = updated.service!.currentServiceDeployment!;
        const end = await eventually(
          "the rollback to finish",
          async () => {
            const s = await service(w.plane.ecs, "cb");
            return stable(s) && s.taskDefinition === v1 ? s : undefined;
          },
          20_000,
        );
        assert.equal(primaryDeployment(end).id, firstDeployment.id, "the last completed deployment is PRIMARY again");
        assert.equal(primaryDeployment(end).rolloutState, "COMPLETED");
        assert.equal(end.runningCount, 3);
        const messages = end.events!.map((e) => e.message!);
        const failedId = updated.service!.deployments!.find((d) => d.status === "PRIMARY")!.id!;
        assert.ok(messages.includes(`(service cb) (deployment ${failedId}) deployment failed: tasks failed to start.`), messages.join("\n"));
        assert.ok(messages.includes(`(service cb) rolling back to deployment ${firstDeployment.id}.`));
        const [sd] = (await w.plane.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [failedSd] }))).serviceDeployments ?? [];
        assert.ok(sd);
        assert.equal(sd.status, "ROLLBACK_SUCCESSFUL");
        assert.equal(sd.deploymentCircuitBreaker?.status, "TRIGGERED");
        assert.equal(sd.deploymentCircuitBreaker?.threshold, 3);
        // Counted a pass at a time: the last pass can add the rest of a batch (3 tasks) to the 2 it had.
        const failures = sd.deploymentCircuitBreaker?.failureCount ?? 0;
        assert.ok(failures >= 3 && failures <= 5, `failureCount ${failures}`);
        assert.equal(sd.rollback?.serviceRevisionArn, first.currentServiceRevisions?.[0]?.arn);
        const list = await w.plane.ecs.send(new ListServiceDeploymentsCommand({ cluster, service: "cb" }));
        assert.deepEqual(list.serviceDeployments!.map((d) => d.status), ["ROLLBACK_SUCCESSFUL", "SUCCESSFUL"]);
        // The old tasks never stopped: the failed revision never had a healthy task to replace them with.
        assert.equal((await tasksOf(w, "cb")).filter((t) => t.startedBy === firstDeployment.id).length, 3);
      } finally {
        await w.close();
      }
    });

    it("without rollback, a tripped breaker leaves the deployment FAILED and launches nothing more", async () => {
      const w = await world(kind);
      try {
        await w.addAgent({ script: (t) => (t.taskDefinitionArn?.endsWith(":2") ? { exitAfterMs: 0, exitCode: 1 } : {}) });
        const v1 = await register(w.plane.ecs, "cbf");
        await w.plane.ecs.send(
          new CreateServiceCommand({
            cluster,
            serviceName: "cbf",
            taskDefinition: v1,
            desiredCount: 2,
            deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
          }),
        );
        await untilStable(w, "cbf");
        const v2 = await register(w.plane.ecs, "cbf", { image: "registry.local/app:broken" });
        await w.plane.ecs.send(new UpdateServiceCommand({ cluster, service: "cbf", taskDefinition: v2 }));
        const failed = await eventually("the deployment to fail", async () => {
          const s = await service(w.plane.ecs, "cbf");
          return s.deployments!.find((d) => d.rolloutState === "FAILED") ? s : undefined;
        });
        const primary = failed.deployments!.find((d) => d.status === "PRIMARY")!;
        assert.equal(primary.rolloutState, "FAILED");
        assert.equal(primary.rolloutStateReason, "ECS deployment circuit breaker: tasks failed to start.");
        // Failures are counted a pass at a time, so the tally can pass the threshold (3) by the tasks of the last batch.
        assert.ok(primary.failedTasks! >= 3 && primary.failedTasks! <= 4, `failedTasks ${primary.failedTasks}`);
        // One snapshot for both reads: a task whose desired status moves to STOPPED between them would count twice.
        const launchedBy = (id: string) =>
          w.plane.cp.store.snapshot(async (tx) => {
            const running = await tx.listTaskArns({ clusterArn, startedBy: id, desiredStatus: "RUNNING", limit: 100 });
            const stopped = await tx.listTaskArns({ clusterArn, startedBy: id, desiredStatus: "STOPPED", limit: 100 });
            return running.items.length + stopped.items.length;
          });
        const launched = await launchedBy(primary.id!);
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(await launchedBy(primary.id!), launched, "no launches after the breaker tripped");
        const later = await service(w.plane.ecs, "cbf");
        assert.equal(later.runningCount, 2, "the old tasks keep running");
      } finally {
        await w.close();
      }
    });

    it("DAEMON: one task per ACTIVE instance; a new instance gets one, a drained instance loses it", async () => {
      const w = await world(kind);
      try {
        const a = await w.addAgent();
        await w.addAgent({ zone: `${region}b` });
        const td = await register(w.plane.ecs, "logger");
        await w.plane.ecs.send(new CreateServiceCommand({ cluster, serviceName: "logger", taskDefinition: td, schedulingStrategy: "DAEMON" }));
        const two = await untilStable(w, "logger");
        assert.equal(two.desiredCount, 2);
        assert.deepEqual(two.deploymentConfiguration, { deploymentCircuitBreaker: { enable: false, rollback: false }, maximumPercent: 100, minimumHealthyPercent: 0 });
        const c = await w.addAgent({ zone: `${region}c` });
        await eventually("the new instance's task", async () => {
          const s = await service(w.plane.ecs, "logger");
          const tasks = await tasksOf(w, "logger");
          return stable(s) && s.desiredCount === 3 && tasks.some((t) => t.containerInstanceArn === c.containerInstanceArn);
        });
        await w.plane.ecs.send(new UpdateContainerInstancesStateCommand({ cluster, containerInstances: [a.containerInstanceArn], status: "DRAINING" }));
        const drained = await eventually("the drained instance to lose its task", async () => {
          const tasks = await tasksOf(w, "logger");
          const s = await service(w.plane.ecs, "logger");
          return stable(s) && s.desiredCount === 2 && !tasks.some((t) => t.containerInstanceArn === a.containerInstanceArn) ? tasks : undefined;
        });
        assert.equal(new Set(drained.map((t) => t.containerInstanceArn)).size, 2, "one task per remaining instance");
      } finally {
        await w.close();
      }
    });

    it("declares a host lost after its agent is away too long, and replaces its tasks elsewhere", async () => {
      const w = await world(kind);
      try {
        const a = await w.addAgent();
        const b = await w.addAgent({ zone: `${region}b` });
        const td = await register(w.plane.ecs, "lost");
        await w.plane.ecs.send(new CreateServiceCommand({ cluster, serviceName: "lost", taskDefinition: td, desiredCount: 2 }));
        await untilStable(w, "lost");
        const onA = (await tasksOf(w, "lost")).filter((t) => t.containerInstanceArn === a.containerInstanceArn);
        assert.equal(onA.length, 1, "spread puts one task on each host");
        const [lost] = onA;
        assert.ok(lost);
        await a.disconnect();
        await eventually("the replacement on the other host", async () => {
          const tasks = await tasksOf(w, "lost");
          const s = await service(w.plane.ecs, "lost");
          return stable(s) && tasks.every((t) => t.containerInstanceArn === b.containerInstanceArn) && tasks.length === 2;
        });
        const gone = await w.plane.cp.store.tx((tx) => tx.getTask(lost.taskArn!));
        assert.equal(gone?.lastStatus, "STOPPED");
        assert.equal(gone?.stopCode, "TerminationNotice");
        assert.match(gone?.stoppedReason ?? "", /^Host \(container instance [0-9a-f]+\) lost: its agent has been disconnected for more than 1.5 seconds\.$/);
      } finally {
        await w.close();
      }
    });

    it("replaces a task that fails its container health checks after the grace period", async () => {
      const w = await world(kind);
      try {
        const agent = await w.addAgent({ script: () => ({ health: "HEALTHY", healthAfterMs: 30 }) });
        const td = await register(w.plane.ecs, "hc", { healthCheck: { command: ["CMD-SHELL", "true"], interval: 5, timeout: 2, retries: 1 } });
        await w.plane.ecs.send(new CreateServiceCommand({ cluster, serviceName: "hc", taskDefinition: td, desiredCount: 2, healthCheckGracePeriodSeconds: 0 }));
        await untilStable(w, "hc");
        const [sick] = await tasksOf(w, "hc");
        assert.ok(sick);
        assert.equal(sick.healthStatus, "HEALTHY", "the deployment completed only once its tasks were HEALTHY");
        await agent.setHealth(sick.taskArn!, "UNHEALTHY");
        const after = await eventually("the unhealthy task to be replaced", async () => {
          const tasks = await tasksOf(w, "hc");
          const s = await service(w.plane.ecs, "hc");
          // The failure is counted once the stopped task is seen STOPPED, a pass after its replacement started.
          return stable(s) && !tasks.some((t) => t.taskArn === sick.taskArn) && primaryDeployment(s).failedTasks === 1 ? s : undefined;
        });
        const id = sick.taskArn!.slice(sick.taskArn!.lastIndexOf("/") + 1);
        assert.ok(after.events!.some((e) => e.message === `(service hc) (task ${id}) failed container health checks.`));
        const stopped = await w.plane.cp.store.tx((tx) => tx.getTask(sick.taskArn!));
        assert.equal(stopped?.stoppedReason, "Task failed container health checks");
        // Within the grace period an unhealthy task stays.
        await w.plane.ecs.send(new UpdateServiceCommand({ cluster, service: "hc", healthCheckGracePeriodSeconds: 3600 }));
        const [next] = await tasksOf(w, "hc");
        assert.ok(next);
        await agent.setHealth(next.taskArn!, "UNHEALTHY");
        await new Promise((r) => setTimeout(r, 300));
        assert.ok((await tasksOf(w, "hc")).some((t) => t.taskArn === next.taskArn && t.desiredStatus === "RUNNING"));
      } finally {
        await w.close();
      }
    });

    it("throttles launches of tasks that keep failing to start, and says so", async () => {
      const w = await world(kind);
      try {
        await w.addAgent({ script: () => ({ crashAtStart: true, startAfterMs: 5 }) });
        const td = await register(w.plane.ecs, "crash");
        await w.plane.ecs.send(new CreateServiceCommand({ cluster, serviceName: "crash", taskDefinition: td, desiredCount: 1 }));
        const s = await eventually("the throttle event", async () => {
          const svc = await service(w.plane.ecs, "crash");
          return svc.events!.some((e) => e.message === "(service crash) is unable to consistently start tasks successfully.") ? svc : undefined;
        });
        assert.ok(primaryDeployment(s).failedTasks! >= 2);
        const t0 = Date.now();
        const before = primaryDeployment(s).failedTasks!;
        await new Promise((r) => setTimeout(r, 1000));
        const after = primaryDeployment(await service(w.plane.ecs, "crash")).failedTasks!;
        // Unthrottled, a pass every 20 ms would launch dozens; doubling from 200 ms allows a handful.
        assert.ok(after - before <= 4, `${after - before} launches in ${Date.now() - t0} ms`);
        const stopped = await w.plane.cp.store.tx(async (tx) => {
          const arns = await tx.listTaskArns({ clusterArn, group: "service:crash", desiredStatus: "STOPPED", limit: 1 });
          const [arn] = arns.items;
          assert.ok(arn, "a stopped task");
          return tx.getTask(arn);
        });
        assert.equal(stopped?.stopCode, "TaskFailedToStart");
      } finally {
        await w.close();
      }
    });

    it("says why a task cannot be placed", async () => {
      const w = await world(kind);
      try {
        const agent = await w.addAgent({ memory: 1024 });
        const td = await register(w.plane.ecs, "big", { memory: 4096 });
        await w.plane.ecs.send(new CreateServiceCommand({ cluster, serviceName: "big", taskDefinition: td, desiredCount: 1 }));
        const id = agent.containerInstanceArn.slice(agent.containerInstanceArn.lastIndexOf("/") + 1);
        const s = await eventually("the placement failure event", async () => {
          const svc = await service(w.plane.ecs, "big");
          return svc.events!.length > 0 ? svc : undefined;
        });
        assert.equal(
          s.events?.[0]?.message,
          `(service big) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance ${id}) has insufficient memory available. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.`,
        );
        await new Promise((r) => setTimeout(r, 200));
        assert.equal((await service(w.plane.ecs, "big")).events!.length, 1, "the same failure is not repeated every pass");
      } finally {
        await w.close();
      }
    });

    it("deletes with force: DRAINING stops every task, then INACTIVE", async () => {
      const w = await world(kind);
      try {
        await w.addAgent();
        const td = await register(w.plane.ecs, "gone");
        await w.plane.ecs.send(new CreateServiceCommand({ cluster, serviceName: "gone", taskDefinition: td, desiredCount: 2 }));
        await untilStable(w, "gone");
        await assert.rejects(w.plane.ecs.send(new DeleteServiceCommand({ cluster, service: "gone" })), (err: Error) => {
          assert.equal(err.name, "InvalidParameterException");
          assert.equal(err.message, "The service cannot be stopped while it is scaled above 0.");
          return true;
        });
        const out = await w.plane.ecs.send(new DeleteServiceCommand({ cluster, service: "gone", force: true }));
        assert.equal(out.service?.status, "DRAINING");
        assert.equal(out.service?.desiredCount, 0);
        const inactive = await eventually("INACTIVE", async () => {
          const s = await service(w.plane.ecs, "gone");
          return s.status === "INACTIVE" ? s : undefined;
        });
        assert.equal(inactive.runningCount, 0);
        assert.equal((await tasksOf(w, "gone")).length, 0);
      } finally {
        await w.close();
      }
    });

    it("converges to the same result when the control plane restarts mid-rollout: no extra tasks, none missing", async () => {
      const w = await world(kind);
      try {
        const slow = (t: Task): TaskScript => (t.taskDefinitionArn?.endsWith(":2") ? { startAfterMs: 400 } : {});
        await w.addAgent({ script: slow });
        await w.addAgent({ zone: `${region}b`, script: slow });
        const v1 = await register(w.plane.ecs, "rs");
        await w.plane.ecs.send(new CreateServiceCommand({ cluster, serviceName: "rs", taskDefinition: v1, desiredCount: 4 }));
        await untilStable(w, "rs");
        const v2 = await register(w.plane.ecs, "rs", { image: "registry.local/app:2" });
        const updated = await w.plane.ecs.send(new UpdateServiceCommand({ cluster, service: "rs", taskDefinition: v2 }));
        const target = updated.service!.deployments!.find((d) => d.status === "PRIMARY")!.id!;
        await eventually("the new tasks to be launched", async () => (await tasksOf(w, "rs")).filter((t) => t.startedBy === target).length === 4);
        // Stop everything mid-rollout: the new tasks are still PENDING, the old ones RUNNING.
        for (const a of w.agents) await a.stop();
        await w.plane.cp.stop();
        w.plane = await w.start();
        for (const a of w.agents) {
          await a.attach(w.plane.ecs, w.plane.cp.store);
          await a.reconnect();
        }
        const end = await eventually(
          "convergence after the restart",
          async () => {
            const s = await service(w.plane.ecs, "rs");
            return stable(s) && s.taskDefinition === v2 ? s : undefined;
          },
          20_000,
        );
        assert.equal(primaryDeployment(end).id, target);
        const all = await w.plane.cp.store.tx(async (tx) => {
          const ids = [
            ...(await tx.listTaskArns({ clusterArn, group: "service:rs", desiredStatus: "RUNNING", limit: 100 })).items,
            ...(await tx.listTaskArns({ clusterArn, group: "service:rs", desiredStatus: "STOPPED", limit: 100 })).items,
          ];
          return Promise.all(ids.map((id) => tx.getTask(id)));
        });
        assert.equal(all.filter((t) => t?.startedBy === target).length, 4, "exactly 4 tasks were ever launched for the new deployment");
        assert.equal(all.filter((t) => t?.startedBy === target && t.lastStatus === "RUNNING").length, 4);
        assert.equal(all.filter((t) => t?.startedBy !== target && t?.lastStatus !== "STOPPED").length, 0, "every old task stopped");
      } finally {
        await w.close();
      }
    });
  });
}
