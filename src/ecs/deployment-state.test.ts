// Deployment transitions: rollout completion, the circuit breaker with and without
// rollback, superseding, and the ServiceDeployment status each implies.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StoredDeployment } from "../store/service-store.js";
import { advanceRollout, newDeployment, newDeploymentId, rollBack, supersede, type DeploymentCounts, type RolloutInput } from "./deployment-state.js";

const t0 = new Date(1_700_000_000_000);
const at = (s: number): Date => new Date(t0.getTime() + s * 1000);

function deployment(id: string, createdAt: Date, breaker = { enable: true, rollback: true }): StoredDeployment {
  return newDeployment({
    id,
    serviceArn: "arn:aws:ecs:us-east-1:000000000000:service/c/web",
    clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/c",
    serviceDeploymentArn: `arn:aws:ecs:us-east-1:000000000000:service-deployment/c/web/${id.slice(-4)}`,
    serviceRevisionArn: `arn:aws:ecs:us-east-1:000000000000:service-revision/c/web/${id.slice(8)}`,
    spec: { taskDefinition: `arn:aws:ecs:us-east-1:000000000000:task-definition/web:${id.slice(-1)}`, launchType: "EC2", placementConstraints: [], placementStrategy: [] },
    deploymentConfiguration: { deploymentCircuitBreaker: breaker, minimumHealthyPercent: 100, maximumPercent: 200 },
    desiredCount: 3,
    sourceServiceRevisions: [],
    now: createdAt,
  });
}

const counts = (entries: Record<string, Partial<DeploymentCounts>>): Map<string, DeploymentCounts> =>
  new Map(Object.entries(entries).map(([id, c]) => [id, { live: 0, running: 0, pending: 0, healthy: 0, ...c }]));
const full = { live: 3, running: 3, healthy: 3 };

function step(input: Partial<RolloutInput> & { deployments: readonly StoredDeployment[] }) {
  const out = advanceRollout({ serviceName: "web", desiredCount: 3, breaker: { enable: true, rollback: true }, counts: new Map(), now: at(100), ...input });
  const byId = new Map(input.deployments.map((d) => [d.id, d]));
  for (const d of out.changed) byId.set(d.id, d);
  return { ...out, byId };
}

describe("deployment ids", () => {
  it("are ecs-svc/ and 19 digits", () => {
    for (let i = 0; i < 50; i++) assert.match(newDeploymentId(), /^ecs-svc\/[1-9]\d{18}$/);
  });
});

describe("advanceRollout", () => {
  it("moves a new deployment's ServiceDeployment to IN_PROGRESS, then COMPLETED/SUCCESSFUL once its tasks are all healthy and the old ones gone", () => {
    const old = { ...deployment("ecs-svc/1000000000000000001", at(0)), status: "ACTIVE" as const, rolloutState: "COMPLETED" as const };
    const primary = deployment("ecs-svc/1000000000000000002", at(10));
    const first = step({ deployments: [primary, old], counts: counts({ [primary.id]: { live: 3, running: 3, healthy: 2 }, [old.id]: full }) });
    assert.equal(first.byId.get(primary.id)!.serviceDeployment.status, "IN_PROGRESS");
    assert.equal(first.byId.get(primary.id)!.rolloutState, "IN_PROGRESS");
    assert.deepEqual(first.events, []);
    // Healthy, but an old task still runs: not yet.
    const second = step({ deployments: [...first.byId.values()], counts: counts({ [primary.id]: full, [old.id]: { live: 1, running: 1 } }) });
    assert.equal(second.byId.get(primary.id)!.rolloutState, "IN_PROGRESS");
    const third = step({ deployments: [...second.byId.values()], counts: counts({ [primary.id]: full }) });
    const done = third.byId.get(primary.id)!;
    assert.equal(done.rolloutState, "COMPLETED");
    assert.equal(done.rolloutStateReason, `ECS deployment ${primary.id} completed.`);
    assert.equal(done.serviceDeployment.status, "SUCCESSFUL");
    assert.deepEqual(done.serviceDeployment.finishedAt, at(100));
    assert.equal(done.serviceDeployment.circuitBreaker.status, "MONITORING_COMPLETE");
    assert.equal(third.byId.get(old.id)!.status, "INACTIVE");
    assert.deepEqual(third.events, [`(service web) (deployment ${primary.id}) deployment completed.`]);
  });

  it("fails the deployment at the breaker's threshold and rolls back to the last completed one", () => {
    const base = deployment("ecs-svc/1000000000000000001", at(0));
    const good: StoredDeployment = {
      ...base,
      status: "ACTIVE",
      rolloutState: "COMPLETED",
      serviceDeployment: { ...base.serviceDeployment, status: "SUCCESSFUL", finishedAt: at(5) },
    };
    const bad = { ...deployment("ecs-svc/1000000000000000002", at(10)), failedTasks: 2 };
    const below = step({ deployments: [bad, good], lastCompleted: good, counts: counts({ [good.id]: full }) });
    assert.equal(below.byId.get(bad.id)!.rolloutState, "IN_PROGRESS", "2 failures of 3 desired: under the threshold of 3");
    const tripped = step({
      deployments: [{ ...below.byId.get(bad.id)!, failedTasks: 3 }, good],
      lastCompleted: good,
      counts: counts({ [good.id]: full, [bad.id]: { live: 1 } }),
    });
    const failed = tripped.byId.get(bad.id)!;
    assert.equal(failed.rolloutState, "FAILED");
    assert.equal(failed.rolloutStateReason, "ECS deployment circuit breaker: tasks failed to start.");
    assert.equal(failed.status, "ACTIVE");
    assert.equal(failed.serviceDeployment.status, "ROLLBACK_IN_PROGRESS");
    assert.deepEqual(failed.serviceDeployment.rollback, { reason: "ECS deployment circuit breaker: tasks failed to start.", startedAt: at(100), serviceRevisionArn: good.serviceRevisionArn });
    assert.deepEqual(failed.serviceDeployment.circuitBreaker, { status: "TRIGGERED", failureCount: 3, threshold: 3 });
    const back = tripped.byId.get(good.id)!;
    assert.equal(back.status, "PRIMARY");
    assert.equal(back.rolloutState, "IN_PROGRESS");
    assert.equal(back.rollbackOf, bad.id);
    assert.equal([...tripped.byId.values()].filter((d) => d.status === "PRIMARY").length, 1);
    assert.deepEqual(tripped.events, [
      `(service web) (deployment ${bad.id}) deployment failed: tasks failed to start.`,
      `(service web) rolling back to deployment ${good.id}.`,
    ]);
    // The failed deployment's tasks are gone; the rollback completes and says so on the failed ServiceDeployment.
    const end = step({ deployments: [back, failed], counts: counts({ [good.id]: full }) });
    assert.equal(end.byId.get(good.id)!.rolloutState, "COMPLETED");
    assert.equal(end.byId.get(good.id)!.rollbackOf, undefined);
    assert.equal(end.byId.get(good.id)!.serviceDeployment.status, "SUCCESSFUL", "the target's own ServiceDeployment is untouched");
    assert.deepEqual(end.byId.get(good.id)!.serviceDeployment.finishedAt, at(5));
    assert.equal(end.byId.get(bad.id)!.serviceDeployment.status, "ROLLBACK_SUCCESSFUL");
    assert.equal(end.byId.get(bad.id)!.status, "INACTIVE");
  });

  it("without rollback (or nothing to roll back to) the failed deployment stays PRIMARY, its ServiceDeployment STOPPED", () => {
    const bad = { ...deployment("ecs-svc/1000000000000000002", at(10)), failedTasks: 3 };
    const out = step({ deployments: [bad], breaker: { enable: true, rollback: false } });
    assert.equal(out.byId.get(bad.id)!.status, "PRIMARY");
    assert.equal(out.byId.get(bad.id)!.rolloutState, "FAILED");
    assert.equal(out.byId.get(bad.id)!.serviceDeployment.status, "STOPPED");
    const first = step({ deployments: [bad] });
    assert.equal(first.byId.get(bad.id)!.serviceDeployment.status, "STOPPED", "a first deployment has no completed one to return to");
    // FAILED never changes again.
    const later = step({ deployments: [out.byId.get(bad.id)!], counts: counts({ [bad.id]: full }) });
    assert.equal(later.byId.get(bad.id)!.rolloutState, "FAILED");
  });

  it("ignores failures while the breaker is off", () => {
    const d = { ...deployment("ecs-svc/1000000000000000002", at(10), { enable: false, rollback: false }), failedTasks: 50 };
    const out = step({ deployments: [d], breaker: { enable: false, rollback: false } });
    assert.equal(out.byId.get(d.id)!.rolloutState, "IN_PROGRESS");
    assert.equal(d.serviceDeployment.circuitBreaker.status, "DISABLED");
  });

  it("a rollback that fails itself does not roll back again", () => {
    const bad = { ...deployment("ecs-svc/1000000000000000002", at(10)), status: "ACTIVE" as const, rolloutState: "FAILED" as const, serviceDeployment: { ...deployment("ecs-svc/1000000000000000002", at(10)).serviceDeployment, status: "ROLLBACK_IN_PROGRESS" as const } };
    const back = rollBack(bad, { ...deployment("ecs-svc/1000000000000000001", at(0)), rolloutState: "COMPLETED" }, at(50)).at(-1)!;
    const out = step({ deployments: [{ ...back, failedTasks: 3 }, bad], lastCompleted: back });
    assert.equal(out.byId.get(back.id)!.rolloutState, "FAILED");
    assert.equal(out.byId.get(back.id)!.status, "PRIMARY");
    assert.equal(out.byId.get(bad.id)!.serviceDeployment.status, "ROLLBACK_FAILED");
  });

  it("an older deployment whose tasks are all gone becomes INACTIVE", () => {
    const old = { ...deployment("ecs-svc/1000000000000000001", at(0)), status: "ACTIVE" as const };
    const primary = deployment("ecs-svc/1000000000000000002", at(10));
    const out = step({ deployments: [primary, old], counts: counts({ [primary.id]: { live: 3, running: 1 } }) });
    assert.equal(out.byId.get(old.id)!.status, "INACTIVE");
  });
});

describe("supersede", () => {
  it("turns the PRIMARY into ACTIVE and stops its unfinished ServiceDeployment; finished ones keep their status", () => {
    const rolling = deployment("ecs-svc/1000000000000000002", at(10));
    const [stopped] = supersede([rolling], at(20));
    assert.ok(stopped);
    assert.equal(stopped.status, "ACTIVE");
    assert.equal(stopped.serviceDeployment.status, "STOPPED");
    assert.deepEqual(stopped.serviceDeployment.stoppedAt, at(20));
    const finished = { ...rolling, rolloutState: "COMPLETED" as const, serviceDeployment: { ...rolling.serviceDeployment, status: "SUCCESSFUL" as const } };
    assert.equal(supersede([finished], at(20))[0]?.serviceDeployment.status, "SUCCESSFUL");
    assert.deepEqual(supersede([{ ...rolling, status: "ACTIVE" }], at(20)), []);
  });
});
