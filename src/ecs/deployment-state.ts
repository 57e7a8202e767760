// Deployments as a pure state machine: how a rollout moves (IN_PROGRESS →
// COMPLETED | FAILED), what a new deployment does to the ones before it, when a
// failed one rolls back, and the ServiceDeployment status each step implies.
//
//   Deployment.status:           PRIMARY ──(newer deployment)──▶ ACTIVE ──(no tasks left / primary completed)──▶ INACTIVE
//   Deployment.rolloutState:     IN_PROGRESS ──(primary steady)──▶ COMPLETED
//                                            └─(failed tasks ≥ threshold, breaker on)──▶ FAILED
//   ServiceDeployment.status:    PENDING ▶ IN_PROGRESS ▶ SUCCESSFUL | STOPPED (superseded / failed without rollback)
//                                                      ▶ ROLLBACK_IN_PROGRESS ▶ ROLLBACK_SUCCESSFUL | ROLLBACK_FAILED

import { randomBytes, randomInt } from "node:crypto";
import type {
  DeploymentCircuitBreaker,
  DeploymentConfiguration,
  ServiceDeploymentStatus,
  ServiceRevisionSummary,
} from "../model/generated/ecs.js";
import type { DeploymentSpec, StoredDeployment } from "../store/service-store.js";
import { breakerTripped, failureThreshold } from "./circuit-breaker.js";
import { rolloutReasons, serviceEvents } from "./service-messages.js";

/** A fresh deployment id, ecs-svc/ and 19 digits (the digits also number its service revision). */
export function newDeploymentId(): string {
  let digits = String(randomInt(1, 10));
  for (let i = 0; i < 18; i++) digits += String(randomInt(0, 10));
  return `ecs-svc/${digits}`;
}

/** The id part of a ServiceDeployment ARN: 20 URL-safe characters, as ECS's are. */
export const newServiceDeploymentId = (): string => randomBytes(15).toString("base64url");

/** What the tasks of one deployment are doing right now. */
export interface DeploymentCounts {
  /** Not STOPPED, told to stop or not. */
  readonly live: number;
  readonly running: number;
  readonly pending: number;
  readonly healthy: number;
}

export const noTasks: DeploymentCounts = { live: 0, running: 0, pending: 0, healthy: 0 };

export interface NewDeployment {
  readonly id: string;
  readonly serviceArn: string;
  readonly clusterArn: string;
  readonly serviceDeploymentArn: string;
  readonly serviceRevisionArn: string;
  readonly spec: DeploymentSpec;
  readonly deploymentConfiguration: DeploymentConfiguration;
  readonly desiredCount: number;
  /** What ran before: the revisions of the deployments this one replaces. */
  readonly sourceServiceRevisions: readonly ServiceRevisionSummary[];
  readonly now: Date;
}

const breakerStatus = (breaker: DeploymentCircuitBreaker | undefined): "MONITORING" | "DISABLED" => (breaker?.enable ? "MONITORING" : "DISABLED");

/** A PRIMARY deployment, rolling out. */
export function newDeployment(d: NewDeployment): StoredDeployment {
  const breaker = d.deploymentConfiguration.deploymentCircuitBreaker;
  return {
    id: d.id,
    serviceArn: d.serviceArn,
    clusterArn: d.clusterArn,
    serviceDeploymentArn: d.serviceDeploymentArn,
    serviceRevisionArn: d.serviceRevisionArn,
    status: "PRIMARY",
    spec: d.spec,
    rolloutState: "IN_PROGRESS",
    rolloutStateReason: rolloutReasons.inProgress(d.id),
    failedTasks: 0,
    createdAt: d.now,
    updatedAt: d.now,
    serviceDeployment: {
      status: "PENDING",
      updatedAt: d.now,
      sourceServiceRevisions: d.sourceServiceRevisions,
      deploymentConfiguration: d.deploymentConfiguration,
      circuitBreaker: { status: breakerStatus(breaker), failureCount: 0, threshold: failureThreshold(d.desiredCount) },
    },
  };
}

const setSd = (d: StoredDeployment, now: Date, patch: Partial<StoredDeployment["serviceDeployment"]>): StoredDeployment => ({
  ...d,
  serviceDeployment: { ...d.serviceDeployment, ...patch, updatedAt: now },
});

const unfinished: ReadonlySet<ServiceDeploymentStatus> = new Set(["PENDING", "IN_PROGRESS"]);

/** The deployment as no rollback's: a superseded or completed one rolls nothing back any more. */
const settled = ({ rollbackOf: _rollbackOf, ...d }: StoredDeployment): StoredDeployment => d;

/**
 * What starting a new deployment does to the existing ones: the PRIMARY becomes ACTIVE, and
 * a ServiceDeployment still rolling out is STOPPED (a newer one took over).
 */
export function supersede(existing: readonly StoredDeployment[], now: Date): StoredDeployment[] {
  const changed: StoredDeployment[] = [];
  for (const d of existing) {
    if (d.status !== "PRIMARY") continue;
    let next: StoredDeployment = { ...settled(d), status: "ACTIVE", updatedAt: now };
    if (unfinished.has(next.serviceDeployment.status)) {
      const cb = next.serviceDeployment.circuitBreaker;
      next = setSd(next, now, {
        status: "STOPPED",
        statusReason: "A newer service deployment started before this one finished.",
        stoppedAt: now,
        circuitBreaker: { ...cb, status: cb.status === "DISABLED" ? "DISABLED" : "MONITORING_COMPLETE" },
      });
    }
    changed.push(next);
  }
  return changed;
}

/**
 * Rolling back: the last deployment that COMPLETED becomes PRIMARY again and rolls out
 * once more (its tasks that still run count at once); the failed one is superseded.
 */
export function rollBack(failed: StoredDeployment, target: StoredDeployment, now: Date): StoredDeployment[] {
  return [
    ...supersede([failed], now),
    {
      ...target,
      status: "PRIMARY",
      rolloutState: "IN_PROGRESS",
      rolloutStateReason: rolloutReasons.rollback(target.id),
      rollbackOf: failed.id,
      updatedAt: now,
    },
  ];
}

export interface RolloutInput {
  readonly serviceName: string;
  readonly desiredCount: number;
  readonly breaker: DeploymentCircuitBreaker | undefined;
  /** The service's deployments that are not INACTIVE. */
  readonly deployments: readonly StoredDeployment[];
  /** The deployment a rolling-back PRIMARY rolls back from, when it is INACTIVE already. */
  readonly rolledBack?: StoredDeployment;
  readonly counts: ReadonlyMap<string, DeploymentCounts>;
  /** The newest deployment that COMPLETED, other than the PRIMARY: what a rollback returns to. */
  readonly lastCompleted?: StoredDeployment;
  readonly now: Date;
}

export interface RolloutStep {
  /** Every deployment this step changed. */
  readonly changed: readonly StoredDeployment[];
  readonly events: readonly string[];
}

/**
 * One step of the rollout, from the deployments and what their tasks are doing.
 * Invariant: at most one deployment is PRIMARY, before and after.
 * Invariant: FAILED never changes again; COMPLETED changes only when a rollback makes it PRIMARY again.
 */
export function advanceRollout(input: RolloutInput): RolloutStep {
  const { now } = input;
  const records = new Map<string, StoredDeployment>();
  for (const d of [...(input.rolledBack ? [input.rolledBack] : []), ...input.deployments]) records.set(d.id, d);
  const touched = new Set<string>();
  const update = (d: StoredDeployment): void => {
    records.set(d.id, d);
    touched.add(d.id);
  };
  const events: string[] = [];
  const counts = (id: string): DeploymentCounts => input.counts.get(id) ?? noTasks;
  let primary = input.deployments.find((d) => d.status === "PRIMARY");

  if (primary) {
    if (primary.serviceDeployment.status === "PENDING") update(setSd(primary, now, { status: "IN_PROGRESS", startedAt: now }));
    primary = records.get(primary.id)!;
    const threshold = failureThreshold(input.desiredCount);
    const rollingBackFrom = primary.rollbackOf ? records.get(primary.rollbackOf) : undefined;
    if (primary.rolloutState === "IN_PROGRESS" && input.breaker?.enable && breakerTripped(primary.failedTasks, input.desiredCount)) {
      const tripped = { status: "TRIGGERED" as const, failureCount: primary.failedTasks, threshold };
      let failed: StoredDeployment = { ...primary, rolloutState: "FAILED", rolloutStateReason: rolloutReasons.failed, updatedAt: now };
      events.push(serviceEvents.deploymentFailed(input.serviceName, primary.id));
      if (rollingBackFrom) {
        // A rollback that fails itself does not roll back again.
        update(setSd(rollingBackFrom, now, { status: "ROLLBACK_FAILED", finishedAt: now }));
        update(failed);
      } else if (input.breaker.rollback && input.lastCompleted && input.lastCompleted.id !== primary.id) {
        const target = records.get(input.lastCompleted.id) ?? input.lastCompleted;
        failed = setSd(failed, now, {
          status: "ROLLBACK_IN_PROGRESS",
          statusReason: rolloutReasons.failed,
          rollback: { reason: rolloutReasons.failed, startedAt: now, serviceRevisionArn: target.serviceRevisionArn },
          circuitBreaker: tripped,
        });
        rollBack(failed, target, now).forEach(update);
        events.push(serviceEvents.rollingBack(input.serviceName, target.id));
      } else {
        update(setSd(failed, now, { status: "STOPPED", statusReason: rolloutReasons.failed, stoppedAt: now, circuitBreaker: tripped }));
      }
    } else if (primary.rolloutState === "IN_PROGRESS") {
      const mine = counts(primary.id);
      const othersEmpty = input.deployments.every((d) => d.id === primary!.id || counts(d.id).live === 0);
      const d = input.desiredCount;
      if (mine.live === d && mine.running === d && mine.healthy === d && othersEmpty) {
        let done: StoredDeployment = { ...settled(primary), rolloutState: "COMPLETED", rolloutStateReason: rolloutReasons.completed(primary.id), updatedAt: now };
        events.push(serviceEvents.deploymentCompleted(input.serviceName, primary.id));
        if (unfinished.has(done.serviceDeployment.status)) {
          const cb = done.serviceDeployment.circuitBreaker;
          done = setSd(done, now, { status: "SUCCESSFUL", finishedAt: now, circuitBreaker: { ...cb, status: cb.status === "DISABLED" ? "DISABLED" : "MONITORING_COMPLETE" } });
        }
        update(done);
        if (rollingBackFrom) update(setSd(rollingBackFrom, now, { status: "ROLLBACK_SUCCESSFUL", finishedAt: now }));
        for (const other of input.deployments) {
          if (other.id !== primary.id) update({ ...records.get(other.id)!, status: "INACTIVE", updatedAt: now });
        }
      } else if (primary.serviceDeployment.circuitBreaker.failureCount !== primary.failedTasks && unfinished.has(primary.serviceDeployment.status)) {
        // The circuit breaker's running tally, for DescribeServiceDeployments.
        update(setSd(primary, now, { circuitBreaker: { ...primary.serviceDeployment.circuitBreaker, failureCount: primary.failedTasks, threshold } }));
      }
    }
  }
  // Older deployments whose tasks are all gone have nothing left to show.
  for (const d of input.deployments) {
    const r = records.get(d.id)!;
    if (r.status === "ACTIVE" && counts(d.id).live === 0) update({ ...r, status: "INACTIVE", updatedAt: now });
  }
  return { changed: [...touched].map((id) => records.get(id)!), events };
}
