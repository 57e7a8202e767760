// The controller pass without HTTP or real time: the API handlers and the
// controller on one SQLite store, a manual clock, task reports applied directly.
// Level-triggered means a pass repeated — or run by a fresh controller — over the
// same state decides nothing new.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { clusterHandlers } from "../api/ecs/clusters.js";
import { containerInstancesHandlers } from "../api/ecs/container-instances.js";
import type { EcsDeps } from "../api/ecs/handler-dependencies.js";
import { serviceHandlers } from "../api/ecs/services.js";
import { taskDefinitionsHandlers } from "../api/ecs/task-definitions.js";
import { launchTypeAttributePrefix } from "../protocol/attributes.js";
import type { RequestContext } from "../edge/json-protocol.js";
import type { Task } from "../model/generated/ecs.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import type { ServiceTaskRecord } from "../store/service-store.js";
import type { Store } from "../store/store.js";
import { TaskHooks } from "../ecs/task-hooks.js";
import { changeTask } from "../ecs/task-writes.js";
import { ServiceController } from "./service-controller.js";
import { failedHealthCheck, isHealthy, taskOutcome } from "./service-sync.js";

const clusterArn = "arn:aws:ecs:us-east-1:000000000000:cluster/unit";

class ManualClock {
  constructor(private ms: number) {}
  now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

interface Rig {
  readonly store: Store;
  readonly clock: ManualClock;
  readonly deps: EcsDeps;
  readonly ctx: () => RequestContext;
  controller(): ServiceController;
  tasks(): Promise<readonly Task[]>;
  /** What the agent would report: every PENDING/PROVISIONING task RUNNING, every task told to stop STOPPED. */
  playAgent(): Promise<void>;
  close(): Promise<void>;
}

async function rig(): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), "berth-service-sync-"));
  const store = await openSqliteStore(join(dir, "berth.db"), "us-east-1");
  const clock = new ManualClock(Date.UTC(2024, 0, 1));
  const hooks = new TaskHooks(store, (err) => assert.ifError(err));
  const deps: EcsDeps = { store, hooks, serviceScheduler: { prod: () => undefined }, endpoint: () => "http://127.0.0.1:4566" };
  const ctx = (): RequestContext => ({
    requestId: "r",
    principal: { accessKeyId: "k", secretAccessKey: "s", arn: "arn:aws:iam::000000000000:root", kind: "root" },
    accountId: "000000000000",
    region: "us-east-1",
    now: clock.now(),
  });
  const tasks = () => store.tx((tx) => tx.liveTasksInCluster(clusterArn));
  return {
    store,
    clock,
    deps,
    ctx,
    controller: () => new ServiceController({ store, hooks, clock, intervalMs: 1_000_000, settleMs: 0, instanceLostAfterMs: 60_000 }),
    tasks,
    async playAgent() {
      for (const t of await tasks()) {
        await hooks.tx("request", async (tx, changes) => {
          if (t.desiredStatus === "STOPPED") await changeTask(tx, changes, t.taskArn!, { kind: "report", status: "STOPPED" }, clock.now());
          else if (t.lastStatus !== "RUNNING") await changeTask(tx, changes, t.taskArn!, { kind: "report", status: "RUNNING" }, clock.now());
        });
      }
    },
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function setup(r: Rig, instances: number): Promise<string[]> {
  await clusterHandlers(r.deps).CreateCluster!({ clusterName: "unit" }, r.ctx());
  await taskDefinitionsHandlers(r.deps).RegisterTaskDefinition!({ family: "web", containerDefinitions: [{ name: "app", image: "x", memory: 64 }] }, r.ctx());
  const arns: string[] = [];
  for (let i = 0; i < instances; i++) {
    const out = await containerInstancesHandlers(r.deps).RegisterContainerInstance!(
      {
        cluster: "unit",
        totalResources: [
          { name: "CPU", type: "INTEGER", integerValue: 1024 },
          { name: "MEMORY", type: "INTEGER", integerValue: 2048 },
        ],
        attributes: [{ name: `${launchTypeAttributePrefix}EC2` }],
      },
      r.ctx(),
    );
    const arn = out.containerInstance!.containerInstanceArn!;
    await r.store.tx(async (tx) => {
      const i = (await tx.getContainerInstance(clusterArn, arn))!;
      await tx.putContainerInstance(clusterArn, { ...i, agentConnected: true });
    });
    arns.push(arn);
  }
  return arns;
}

describe("service passes", () => {
  it("decide nothing new when repeated, or when a fresh controller takes over, over the same state", async () => {
    const r = await rig();
    try {
      await setup(r, 2);
      await serviceHandlers(r.deps).CreateService!({ cluster: "unit", serviceName: "web", taskDefinition: "web", desiredCount: 3 }, r.ctx());
      const first = r.controller();
      assert.equal(await first.runOnce(), true);
      const launched = await r.tasks();
      assert.equal(launched.length, 3);
      await first.runOnce();
      assert.equal((await r.tasks()).length, 3, "a second pass over the same state launches nothing");
      // A restart: a new controller with nothing in memory.
      await first.stop();
      const second = r.controller();
      assert.equal(await second.runOnce(), true, "the stopped controller handed the lease back");
      assert.deepEqual((await r.tasks()).map((t) => t.taskArn).sort(), launched.map((t) => t.taskArn).sort());
      // Another process's controller would find the lease taken.
      assert.equal(await r.controller().runOnce(), false);
      await r.playAgent();
      r.clock.advance(1000);
      await second.runOnce();
      const svc = await serviceHandlers(r.deps).DescribeServices!({ cluster: "unit", services: ["web"] }, r.ctx());
      const [web] = svc.services ?? [];
      assert.ok(web);
      assert.equal(web.runningCount, 3);
      assert.equal(web.deployments?.[0]?.rolloutState, "COMPLETED");
    } finally {
      await r.close();
    }
  });

  it("declares a host lost only after the timeout on the injected clock, then replaces its tasks", async () => {
    const r = await rig();
    try {
      const [a, b] = await setup(r, 2);
      assert.ok(a);
      await serviceHandlers(r.deps).CreateService!({ cluster: "unit", serviceName: "web", taskDefinition: "web", desiredCount: 2 }, r.ctx());
      const c = r.controller();
      await c.runOnce();
      await r.playAgent();
      const onA = (await r.tasks()).filter((t) => t.containerInstanceArn === a);
      assert.equal(onA.length, 1);
      const [onlyOnA] = onA;
      assert.ok(onlyOnA);
      await r.store.tx(async (tx) => {
        const i = (await tx.getContainerInstance(clusterArn, a))!;
        await tx.putContainerInstance(clusterArn, { ...i, agentConnected: false });
      });
      await c.runOnce();
      r.clock.advance(59_999);
      await c.runOnce();
      assert.equal((await r.store.tx((tx) => tx.getTask(onlyOnA.taskArn!)))?.lastStatus, "RUNNING", "not lost a millisecond early");
      r.clock.advance(1);
      await c.runOnce();
      const lost = await r.store.tx((tx) => tx.getTask(onlyOnA.taskArn!));
      assert.equal(lost?.lastStatus, "STOPPED");
      assert.equal(lost?.stopCode, "TerminationNotice");
      const live = await r.tasks();
      assert.equal(live.length, 2);
      assert.ok(live.every((t) => t.containerInstanceArn === b), "the replacement went to the connected host");
    } finally {
      await r.close();
    }
  });
});

describe("task health and outcomes", () => {
  const now = new Date(100_000);
  const task = (over: Partial<Task>): Task => ({ lastStatus: "RUNNING", desiredStatus: "RUNNING", startedAt: new Date(90_000), containers: [{ name: "app" }], ...over });
  const record: ServiceTaskRecord = { taskArn: "t", serviceArn: "s", deploymentId: "d", settled: false, ran: false, createdAt: now };

  it("counts a task healthy once RUNNING long enough, or HEALTHY when it has health checks", () => {
    assert.equal(isHealthy(task({}), now, 10_000), true);
    assert.equal(isHealthy(task({}), now, 10_001), false);
    assert.equal(isHealthy(task({ lastStatus: "PENDING" }), now, 0), false);
    const checked = { containers: [{ name: "app", healthStatus: "UNKNOWN" as const }] };
    assert.equal(isHealthy(task({ ...checked, healthStatus: "UNKNOWN" }), now, 0), false);
    assert.equal(isHealthy(task({ ...checked, healthStatus: "HEALTHY" }), now, 60_000), true, "health checks replace the settle time");
  });

  it("fails a task on its health checks only after the grace period", () => {
    const sick = task({ containers: [{ name: "app", healthStatus: "UNHEALTHY" }], healthStatus: "UNHEALTHY" });
    assert.equal(failedHealthCheck(sick, now, 10_000), true);
    assert.equal(failedHealthCheck(sick, now, 10_001), false);
    assert.equal(failedHealthCheck(task({ healthStatus: "UNHEALTHY" }), now, 0), false, "no health checks, no failure");
  });

  it("counts what a task's end means for the breaker and the throttle", () => {
    assert.deepEqual(taskOutcome(task({ lastStatus: "STOPPED", stopCode: "EssentialContainerExited" }), record), { failed: true, failedToStart: false });
    const neverStarted: Task = { lastStatus: "STOPPED", desiredStatus: "RUNNING", stopCode: "TaskFailedToStart", containers: [{ name: "app" }] };
    assert.deepEqual(taskOutcome(neverStarted, record), { failed: true, failedToStart: true });
    assert.deepEqual(taskOutcome(task({ lastStatus: "STOPPED", stopCode: "UserInitiated" }), record), { failed: false, failedToStart: false });
    assert.deepEqual(taskOutcome(task({ lastStatus: "STOPPED", stopCode: "ServiceSchedulerInitiated" }), { ...record, stopKind: "scheduler" }), { failed: false, failedToStart: false });
    assert.deepEqual(taskOutcome(task({ lastStatus: "STOPPED", stopCode: "ServiceSchedulerInitiated" }), { ...record, stopKind: "health" }), { failed: true, failedToStart: false });
    assert.deepEqual(taskOutcome(task({ lastStatus: "STOPPED", stopCode: "TerminationNotice" }), record), { failed: false, failedToStart: false });
    assert.deepEqual(taskOutcome(undefined, record), { failed: false, failedToStart: false });
  });
});
