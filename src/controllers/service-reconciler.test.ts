// The reconciler's buckets, checked over thousands of random desired/actual states
// (the buckets always add up; minimumHealthyPercent and maximumPercent hold in every
// step), and rollouts simulated to the end for every percentage pair.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  maximumOccupying,
  minimumHealthy,
  reconcileDaemon,
  reconcileReplica,
  type DaemonInstance,
  type ReplicaInput,
  type ServiceTaskView,
} from "./service-reconciler.js";

/** mulberry32: a small seeded generator, so a failing case can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: () => number, xs: readonly T[]): T => {
  const x = xs[Math.floor(r() * xs.length)];
  assert.ok(x !== undefined, "picks from a non-empty list");
  return x;
};

function randomTask(r: () => number, i: number, instances: number): ServiceTaskView {
  const pending = r() < 0.25;
  const healthy = !pending && r() < 0.6;
  const running = healthy || (!pending && r() < 0.6);
  return {
    arn: `t${i}`,
    current: r() < 0.5,
    healthy,
    running,
    pending,
    failedHealthCheck: !pending && !healthy && r() < 0.3,
    age: int(r, 0, 3),
    instanceArn: `i${int(r, 0, instances - 1)}`,
    ...(r() < 0.15 ? { protected: true } : {}),
  };
}

function randomReplica(r: () => number): ReplicaInput {
  return {
    desiredCount: int(r, 0, 12),
    minimumHealthyPercent: pick(r, [0, 25, 50, 66, 75, 100, int(r, 0, 100)]),
    maximumPercent: pick(r, [100, 125, 150, 200, 300, int(r, 100, 400)]),
    tasks: Array.from({ length: int(r, 0, 20) }, (_, i) => randomTask(r, i, 4)),
    stoppingCount: int(r, 0, 5),
    canLaunch: r() < 0.85,
    frozen: r() < 0.1,
  };
}

/** replace, stop and keep hold every task exactly once. */
function assertPartition(tasks: readonly ServiceTaskView[], buckets: { replace: readonly ServiceTaskView[]; stop: readonly ServiceTaskView[]; keep: readonly ServiceTaskView[] }, seed: number): void {
  const all = [...buckets.replace, ...buckets.stop, ...buckets.keep];
  assert.equal(all.length, tasks.length, `seed ${seed}: buckets hold ${all.length} of ${tasks.length} tasks`);
  assert.equal(new Set(all).size, all.length, `seed ${seed}: a task is in two buckets`);
  for (const t of tasks) assert.ok(all.includes(t), `seed ${seed}: ${t.arn} is in no bucket`);
}

describe("reconcileReplica", () => {
  it("rounds as ECS does: minimum healthy up, maximum down", () => {
    assert.equal(minimumHealthy(3, 50), 2);
    assert.equal(minimumHealthy(4, 75), 3);
    assert.equal(minimumHealthy(2, 75), 2);
    assert.equal(maximumOccupying(3, 150), 4);
    assert.equal(maximumOccupying(4, 200), 8);
  });

  it("over random states: the buckets add up and no step breaks the percentages", () => {
    for (let seed = 1; seed <= 5000; seed++) {
      const r = rng(seed);
      const input = randomReplica(r);
      const plan = reconcileReplica(input);
      assertPartition(input.tasks, plan, seed);
      const desired = input.desiredCount;
      const minH = minimumHealthy(desired, input.minimumHealthyPercent);
      const maxO = maximumOccupying(desired, input.maximumPercent);
      assert.ok(Number.isInteger(plan.place) && plan.place >= 0, `seed ${seed}: place ${plan.place}`);
      if (plan.place > 0) {
        assert.ok(input.tasks.length + input.stoppingCount + plan.place <= maxO, `seed ${seed}: placing ${plan.place} exceeds maximumPercent`);
      }
      const keptCurrent = plan.keep.filter((t) => t.current).length;
      // Protected tasks are never scaled in: only where one is kept may more than the desired count stay.
      const protectedKept = plan.keep.some((t) => t.current && t.protected);
      assert.ok(keptCurrent <= desired || protectedKept, `seed ${seed}: keeps ${keptCurrent} current tasks for ${desired} desired`);
      for (const t of [...plan.replace, ...plan.stop]) assert.ok(!t.protected || t.failedHealthCheck, `seed ${seed}: stopped protected ${t.arn}`);
      assert.ok(plan.place <= Math.max(0, desired - keptCurrent), `seed ${seed}: places more than the desired count lacks`);
      const healthyBefore = input.tasks.filter((t) => t.healthy && !t.failedHealthCheck).length;
      const healthyAfter = plan.keep.filter((t) => t.healthy).length;
      assert.ok(healthyAfter >= Math.min(healthyBefore, minH), `seed ${seed}: healthy ${healthyBefore} → ${healthyAfter}, minimum ${minH}`);
      const runningBefore = input.tasks.filter((t) => t.running && !t.failedHealthCheck).length;
      const runningAfter = plan.keep.filter((t) => t.running).length;
      assert.ok(runningAfter >= Math.min(runningBefore, minH), `seed ${seed}: running ${runningBefore} → ${runningAfter}, minimum ${minH}`);
      for (const t of input.tasks.filter((x) => x.failedHealthCheck)) assert.ok(plan.replace.includes(t), `seed ${seed}: a failed task is kept`);
      if (!input.canLaunch || input.frozen) assert.equal(plan.place, 0, `seed ${seed}: launched while it may not`);
      if (input.frozen) {
        for (const t of [...plan.replace, ...plan.stop]) assert.ok(t.current || t.failedHealthCheck, `seed ${seed}: frozen but retired ${t.arn}`);
      }
    }
  });

  /**
   * Simulates a rollout from `desired` old tasks, healthy or (`settling`) RUNNING but not yet counted healthy:
   * stopped tasks hold resources for one more step; new tasks are pending for a step, then running for a
   * step, then healthy. Returns the bounds seen and the steps taken.
   */
  function rollout(
    desired: number,
    minPct: number,
    maxPct: number,
    settling = false,
  ): { steps: number; minHealthySeen: number; minRunningSeen: number; maxOccupyingSeen: number; done: boolean } {
    let tasks: ServiceTaskView[] = Array.from({ length: desired }, (_, i) => ({
      arn: `old${i}`,
      current: false,
      healthy: !settling,
      running: true,
      pending: false,
      failedHealthCheck: false,
      age: 1,
    }));
    let stopping = 0;
    let next = 0;
    let minHealthySeen = Infinity;
    let minRunningSeen = Infinity;
    let maxOccupyingSeen = 0;
    for (let step = 1; step <= 100; step++) {
      const plan = reconcileReplica({ desiredCount: desired, minimumHealthyPercent: minPct, maximumPercent: maxPct, tasks, stoppingCount: stopping, canLaunch: true, frozen: false });
      // What the step leaves: the kept tasks plus the new ones; the stopped ones hold on until the next step.
      const placed = Array.from({ length: plan.place }, () => ({ arn: `new${next++}`, current: true, healthy: false, running: false, pending: true, failedHealthCheck: false, age: 0 }));
      const left = [...plan.keep, ...placed];
      minHealthySeen = Math.min(minHealthySeen, left.filter((t) => t.healthy).length);
      minRunningSeen = Math.min(minRunningSeen, left.filter((t) => t.running).length);
      maxOccupyingSeen = Math.max(maxOccupyingSeen, left.length + plan.replace.length + plan.stop.length);
      stopping = plan.replace.length + plan.stop.length;
      tasks = left.map((t) => (t.pending ? { ...t, pending: false, running: true } : t.running && !t.healthy ? { ...t, healthy: true } : t));
      const done = stopping === 0 && tasks.length === desired && tasks.every((t) => t.current && t.healthy);
      if (done) return { steps: step, minHealthySeen, minRunningSeen, maxOccupyingSeen, done };
    }
    return { steps: 100, minHealthySeen, minRunningSeen, maxOccupyingSeen, done: false };
  }

  it("a simulated rollout holds minimumHealthyPercent and maximumPercent at every step, and finishes whenever they leave room", () => {
    for (const desired of [1, 2, 3, 4, 5, 7, 10]) {
      for (const minPct of [0, 25, 50, 75, 100]) {
        for (const maxPct of [100, 125, 150, 200]) {
          const minH = minimumHealthy(desired, minPct);
          const maxO = maximumOccupying(desired, maxPct);
          for (const settling of [false, true]) {
            const r = rollout(desired, minPct, maxPct, settling);
            const label = `${desired} ${settling ? "settling" : "healthy"} tasks at ${minPct}/${maxPct}`;
            if (!settling) assert.ok(r.minHealthySeen >= minH, `${label}: healthy fell to ${r.minHealthySeen}, minimum ${minH}`);
            assert.ok(r.minRunningSeen >= minH, `${label}: running fell to ${r.minRunningSeen}, minimum ${minH}`);
            assert.ok(r.maxOccupyingSeen <= maxO, `${label}: ${r.maxOccupyingSeen} tasks held resources, maximum ${maxO}`);
            // With no room between the bounds (e.g. 100/100) ECS cannot replace a task either.
            assert.equal(r.done, maxO > minH, `${label}: finished ${r.done} in ${r.steps} steps`);
          }
        }
      }
    }
  });

  it("orders the three classic configurations as ECS does", () => {
    const old = (i: number): ServiceTaskView => ({ arn: `old${i}`, current: false, healthy: true, running: true, pending: false, failedHealthCheck: false, age: 1 });
    const base = { desiredCount: 3, tasks: [old(0), old(1), old(2)], stoppingCount: 0, canLaunch: true, frozen: false };
    // 100/200 starts all new tasks first and stops nothing.
    const a = reconcileReplica({ ...base, minimumHealthyPercent: 100, maximumPercent: 200 });
    assert.deepEqual([a.place, a.replace.length], [3, 0]);
    // 50/100 stops one (3 → 2 healthy) and has no room to start yet.
    const b = reconcileReplica({ ...base, minimumHealthyPercent: 50, maximumPercent: 100 });
    assert.deepEqual([b.place, b.replace.length], [0, 1]);
    // 0/100 stops all first.
    const c = reconcileReplica({ ...base, minimumHealthyPercent: 0, maximumPercent: 100 });
    assert.deepEqual([c.place, c.replace.length], [0, 3]);
  });

  it("scales down least useful first: pending, then unhealthy, then from the most crowded instance", () => {
    const t = (arn: string, over: Partial<ServiceTaskView>): ServiceTaskView => ({ arn, current: true, healthy: true, running: true, pending: false, failedHealthCheck: false, age: 0, ...over });
    const tasks = [t("a", { instanceArn: "i1" }), t("b", { instanceArn: "i1" }), t("c", { instanceArn: "i2" }), t("d", { pending: true, healthy: false, running: false }), t("e", { healthy: false })];
    const plan = reconcileReplica({ desiredCount: 2, minimumHealthyPercent: 100, maximumPercent: 200, tasks, stoppingCount: 0, canLaunch: true, frozen: false });
    assert.deepEqual(plan.stop.map((x) => x.arn), ["d", "e", "a"]);
    assert.equal(plan.place, 0);
  });

  describe("task scale-in protection", () => {
    const t = (arn: string, over: Partial<ServiceTaskView> = {}): ServiceTaskView => ({ arn, current: true, healthy: true, running: true, pending: false, failedHealthCheck: false, age: 0, ...over });
    const step = (desiredCount: number, tasks: ServiceTaskView[], maximumPercent = 200) =>
      reconcileReplica({ desiredCount, minimumHealthyPercent: 100, maximumPercent, tasks, stoppingCount: 0, canLaunch: true, frozen: false });

    it("a scale-in passes protected tasks over, and stops fewer when only protected ones are left", () => {
      const plan = step(1, [t("a", { protected: true }), t("b"), t("c", { protected: true }), t("d")]);
      assert.deepEqual(plan.stop.map((x) => x.arn), ["b", "d"]);
      assert.deepEqual(plan.keep.map((x) => x.arn), ["a", "c"]);
      assert.equal(plan.place, 0);
      const allProtected = step(0, [t("a", { protected: true }), t("b", { protected: true })]);
      assert.deepEqual([allProtected.stop.length, allProtected.keep.length], [0, 2]);
    });

    it("a rollout leaves protected tasks of the old deployment running until protection ends", () => {
      const old = (arn: string, over: Partial<ServiceTaskView> = {}) => t(arn, { current: false, age: 1, ...over });
      const tasks = [old("a", { protected: true }), old("b"), t("c"), t("d")];
      const during = step(2, tasks);
      assert.deepEqual(during.replace.map((x) => x.arn), ["b"]);
      assert.ok(during.keep.some((x) => x.arn === "a"));
      assert.equal(during.place, 0);
      // Protection over: the old task goes.
      const after = step(2, [old("a"), t("c"), t("d")]);
      assert.deepEqual(after.replace.map((x) => x.arn), ["a"]);
      // With no room above the desired count, the new deployment waits for the protected task.
      const full = step(1, [old("a", { protected: true })], 100);
      assert.deepEqual([full.place, full.replace.length], [0, 0]);
    });

    it("does not shield a task that failed its health check", () => {
      const plan = step(1, [t("a", { protected: true, running: true, healthy: false, failedHealthCheck: true })]);
      assert.deepEqual(plan.replace.map((x) => x.arn), ["a"]);
      assert.equal(plan.place, 1);
    });
  });
});

describe("reconcileDaemon", () => {
  it("over random states: the buckets add up, placements go to free eligible instances once, health holds", () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const r = rng(seed);
      const instances: DaemonInstance[] = Array.from({ length: int(r, 0, 6) }, (_, i) => {
        const eligible = r() < 0.7;
        return { arn: `i${i}`, eligible, hold: !eligible && r() < 0.3, stopping: r() < 0.2 };
      });
      const tasks = Array.from({ length: int(r, 0, 10) }, (_, i) => randomTask(r, i, Math.max(1, instances.length + 1)));
      const minPct = pick(r, [0, 50, 100]);
      const input = { instances, tasks, minimumHealthyPercent: minPct, canLaunch: r() < 0.9, frozen: r() < 0.1 };
      const plan = reconcileDaemon(input);
      assertPartition(tasks, plan, seed);
      const eligible = new Set(instances.filter((i) => i.eligible).map((i) => i.arn));
      assert.equal(plan.desiredCount, eligible.size);
      assert.equal(new Set(plan.place).size, plan.place.length, `seed ${seed}: two placements on one instance`);
      for (const arn of plan.place) {
        assert.ok(eligible.has(arn), `seed ${seed}: placed on ineligible ${arn}`);
        assert.ok(!tasks.some((t) => t.instanceArn === arn), `seed ${seed}: placed beside a live task on ${arn}`);
        assert.ok(!instances.find((i) => i.arn === arn)!.stopping, `seed ${seed}: placed before the old task stopped`);
      }
      // No eligible instance keeps two tasks... unless frozen or health forbids retiring the outdated one.
      for (const t of plan.keep) {
        if (eligible.has(t.instanceArn!) && t.current) assert.ok(plan.keep.filter((k) => k.instanceArn === t.instanceArn && k.current).length === 1, `seed ${seed}: duplicate current tasks kept`);
      }
      const healthyOn = (list: readonly { instanceArn?: string; healthy: boolean; failedHealthCheck: boolean }[]) =>
        new Set(list.filter((t) => t.healthy && !t.failedHealthCheck && eligible.has(t.instanceArn!)).map((t) => t.instanceArn)).size;
      const minH = minimumHealthy(eligible.size, minPct);
      assert.ok(healthyOn(plan.keep) >= Math.min(healthyOn(tasks), minH), `seed ${seed}: healthy instances fell below the minimum`);
      const runningOn = (list: readonly ServiceTaskView[]) =>
        new Set(list.filter((t) => t.running && !t.failedHealthCheck && eligible.has(t.instanceArn!)).map((t) => t.instanceArn)).size;
      assert.ok(runningOn(plan.keep) >= Math.min(runningOn(tasks), minH), `seed ${seed}: running instances fell below the minimum`);
      if (!input.canLaunch || input.frozen) assert.equal(plan.place.length, 0);
    }
  });

  it("stops the task of a drained (ineligible) instance and keeps the one of an instance whose agent is only away", () => {
    const t = (arn: string, instanceArn: string): ServiceTaskView => ({ arn, instanceArn, current: true, healthy: true, running: true, pending: false, failedHealthCheck: false, age: 0 });
    const plan = reconcileDaemon({
      instances: [
        { arn: "draining", eligible: false, hold: false, stopping: false },
        { arn: "away", eligible: false, hold: true, stopping: false },
        { arn: "new", eligible: true, hold: false, stopping: false },
      ],
      tasks: [t("a", "draining"), t("b", "away")],
      minimumHealthyPercent: 0,
      canLaunch: true,
      frozen: false,
    });
    assert.deepEqual(plan.stop.map((x) => x.arn), ["a"]);
    assert.deepEqual(plan.keep.map((x) => x.arn), ["b"]);
    assert.deepEqual(plan.place, ["new"]);
    assert.equal(plan.desiredCount, 1);
  });
});
