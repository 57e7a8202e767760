// One pass of the service scheduler over one service, in one transaction. It reads
// what is (the service, its deployments, its live tasks, the cluster's instances),
// settles tasks that ended, advances the rollout, asks the pure reconciler what to
// do, does it, and records it — so a pass that never commits changed nothing, and
// the next pass (in this process or another) decides again from the store alone.
//
//   lock cluster, service ─ settle ledger ─ advanceRollout ─ reconcile{Replica,Daemon}
//        ─ stop (changeTask) ─ launch (task-launcher) ─ events, deployments, service ─ commit

import { randomUUID } from "node:crypto";
import type { ContainerInstance, Task } from "../model/generated/ecs.js";
import { AwsError } from "../errors.js";
import { scopeOfArn } from "../ecs/arns.js";
import { revisionOfArn } from "../model/task-definition-arn.js";
import { launchTypesOf } from "../ecs/placement-snapshot.js";
import { serviceTasks } from "../ecs/service-deployments.js";
import type { TaskChanges } from "../ecs/task-hooks.js";
import type { Launched } from "../ecs/task-launch.js";
import { changeTask } from "../ecs/task-writes.js";
import { evaluateClusterQuery, parseClusterQuery, type Expression } from "../scheduler/cluster-query.js";
import type { ServiceRef, ServiceTaskRecord, StoredDeployment, StoredService } from "../store/service-store.js";
import type { Tx } from "../store/store.js";
import { advanceRollout, noTasks, type DeploymentCounts } from "../ecs/deployment-state.js";
import { afterFailedStart, throttleBegins, throttled } from "./launch-throttle.js";
import { healthStopReason, placementReason, schedulerStopReason, serviceEvents } from "../ecs/service-messages.js";
import {
  reconcileDaemon,
  reconcileReplica,
  type DaemonInstance,
  type ServiceTaskView,
} from "./service-reconciler.js";
import { runServiceTasks, startServiceTask, type LaunchRequest } from "./task-launcher.js";
import { isProtected } from "../ecs/task-protection.js";

export interface SyncConfig {
  readonly now: Date;
  readonly random?: () => number;
  /** The first delay of the launch throttle; it doubles from there. */
  readonly throttleBaseMs: number;
  /** How long a task without health checks must have been RUNNING before it counts as healthy (ECS waits 40 s; Berth 5 s by default). */
  readonly settleMs: number;
}

/** How many events a service keeps, as DescribeServices shows them. */
export const eventsKept = 100;
/** A placement failure is said again only after this long (the scheduler retries every pass). */
const repeatFailureAfterMs = 5 * 60_000;

const pendingStatuses = new Set(["PROVISIONING", "PENDING", "ACTIVATING"]);

const hasHealthCheck = (t: Task): boolean => (t.containers ?? []).some((c) => c.healthStatus !== undefined);

/** Whether a live task counts toward minimumHealthyPercent at `now`. */
export function isHealthy(t: Task, now: Date, settleMs: number): boolean {
  if (t.lastStatus !== "RUNNING" || t.desiredStatus === "STOPPED") return false;
  if (hasHealthCheck(t)) return t.healthStatus === "HEALTHY";
  return now.getTime() - (t.startedAt?.getTime() ?? now.getTime()) >= settleMs;
}

/** Whether a RUNNING task failed its health checks after the grace period. */
export function failedHealthCheck(t: Task, now: Date, graceMs: number): boolean {
  return (
    t.lastStatus === "RUNNING" &&
    hasHealthCheck(t) &&
    t.healthStatus === "UNHEALTHY" &&
    now.getTime() - (t.startedAt?.getTime() ?? now.getTime()) >= graceMs
  );
}

/** How a launched task's end counts: against the deployment (circuit breaker), and toward the launch throttle. */
export function taskOutcome(task: Task | undefined, record: ServiceTaskRecord): { failed: boolean; failedToStart: boolean } {
  if (!task) return { failed: false, failedToStart: false };
  if (record.stopKind === "health") return { failed: true, failedToStart: false };
  // Stopped by the scheduler, a user or the loss of its host: not the task's failure.
  if (record.stopKind || task.stopCode === "UserInitiated" || task.stopCode === "TerminationNotice" || task.stopCode === "ServiceSchedulerInitiated") {
    return { failed: false, failedToStart: false };
  }
  const failedToStart = task.startedAt === undefined;
  return { failed: task.stopCode === "TaskFailedToStart" || task.stopCode === "EssentialContainerExited" || failedToStart, failedToStart };
}

async function clusterInstances(tx: Tx, clusterArn: string): Promise<Map<string, ContainerInstance>> {
  const out = new Map<string, ContainerInstance>();
  for (let after: string | undefined, more = true; more; ) {
    const page = await tx.listContainerInstances(clusterArn, { limit: 100, ...(after ? { after } : {}) });
    for (const i of page.items) out.set(i.containerInstanceArn!, i);
    after = page.next;
    more = page.next !== undefined;
  }
  return out;
}

/** DAEMON eligibility of each instance: ACTIVE, connected, of the service's launch type, meeting its memberOf constraints. */
async function daemonInstances(
  tx: Tx,
  deployment: StoredDeployment,
  instances: ReadonlyMap<string, ContainerInstance>,
  live: readonly Task[],
): Promise<DaemonInstance[]> {
  const ref = revisionOfArn(deployment.spec.taskDefinition);
  const def = ref ? await tx.getTaskDefinition(ref.region, ref.family, ref.revision) : undefined;
  const expressions: Expression[] = [];
  for (const c of [...(def?.placementConstraints ?? []), ...deployment.spec.placementConstraints]) {
    if (c.type === "memberOf" && c.expression) {
      try {
        expressions.push(parseClusterQuery(c.expression));
      } catch {
        // Checked when the service was created; an unreadable one constrains nothing.
      }
    }
  }
  const launchType = deployment.spec.launchType ?? "EC2";
  const out: DaemonInstance[] = [];
  for (const [arn, i] of instances) {
    const attributes: Record<string, string | null> = {};
    for (const a of await tx.attributesOf(arn)) attributes[a.name] = a.value ?? null;
    const here = live.filter((t) => t.containerInstanceArn === arn);
    const fits =
      launchTypesOf(attributes).includes(launchType as "EC2") &&
      expressions.every((e) =>
        evaluateClusterQuery(e, {
          attributes,
          agentConnected: i.agentConnected ?? false,
          ...(i.versionInfo?.agentVersion ? { agentVersion: i.versionInfo.agentVersion } : {}),
          ...(i.ec2InstanceId ? { ec2InstanceId: i.ec2InstanceId } : {}),
          registeredAt: i.registeredAt ?? new Date(0),
          runningTasksCount: here.filter((t) => t.lastStatus === "RUNNING").length,
          taskGroups: here.flatMap((t) => (t.group ? [t.group] : [])),
        }),
      );
    out.push({
      arn,
      eligible: fits && i.status === "ACTIVE" && (i.agentConnected ?? false),
      hold: fits && i.status === "ACTIVE" && !(i.agentConnected ?? false),
      stopping: here.some((t) => t.desiredStatus === "STOPPED"),
    });
  }
  return out;
}

/** Runs one pass over the service; its task writes are recorded in `changes`, for the hooks to publish once it commits. */
export async function syncService(tx: Tx, changes: TaskChanges, ref: ServiceRef, cfg: SyncConfig): Promise<void> {
  const { now } = cfg;
  // Lock order everywhere: cluster, then service, then tasks.
  await tx.getCluster(ref.clusterArn);
  const stored = await tx.services.getService(ref.arn, { lock: true });
  if (!stored || stored.service.status === "INACTIVE") return;
  const svc = stored.service;
  const name = svc.serviceName;
  const daemon = svc.schedulingStrategy === "DAEMON";
  const history = await tx.services.deploymentsOf(svc.serviceArn, { includeInactive: true });
  const records = new Map(history.map((d) => [d.id, d]));
  const changed = new Set<string>();
  const write = (d: StoredDeployment): void => {
    records.set(d.id, d);
    changed.add(d.id);
  };
  const active = (): StoredDeployment[] =>
    [...records.values()]
      .filter((d) => d.status !== "INACTIVE")
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
  const live = await serviceTasks(tx, svc);
  const instances = await clusterInstances(tx, svc.clusterArn);
  const events: string[] = [];
  let throttle = stored.throttle;

  // Settle: tasks that ended since the last pass count against their deployment and the throttle.
  const liveByArn = new Map(live.map((t) => [t.taskArn!, t]));
  const ledger = new Map<string, ServiceTaskRecord>();
  for (const rec of await tx.services.unsettledServiceTasks(svc.serviceArn)) {
    const t = liveByArn.get(rec.taskArn);
    if (t) {
      ledger.set(rec.taskArn, rec);
      if (!rec.ran && t.lastStatus === "RUNNING") {
        const ran = { ...rec, ran: true };
        await tx.services.putServiceTask(ran);
        ledger.set(rec.taskArn, ran);
        // A task that reaches RUNNING ends the throttle.
        if (throttle && throttle.failedStarts > 0) throttle = { failedStarts: 0 };
      }
      continue;
    }
    const ended = await tx.getTask(rec.taskArn);
    const outcome = taskOutcome(ended, rec);
    await tx.services.putServiceTask({ ...rec, settled: true, ran: rec.ran || ended?.startedAt !== undefined });
    const d = records.get(rec.deploymentId);
    if (outcome.failed && d) write({ ...d, failedTasks: d.failedTasks + 1, updatedAt: now });
    if (outcome.failedToStart) {
      const next = afterFailedStart(throttle, now, cfg.throttleBaseMs);
      if (throttleBegins(throttle, next)) events.push(serviceEvents.throttled(name));
      throttle = next;
    }
  }

  const desiredRunning = (): Task[] => live.filter((t) => t.desiredStatus !== "STOPPED");
  const graceMs = (svc.healthCheckGracePeriodSeconds ?? 0) * 1000;
  const countsOf = (): Map<string, DeploymentCounts> => {
    const counts = new Map<string, DeploymentCounts>();
    for (const t of live) {
      const c = counts.get(t.startedBy!) ?? noTasks;
      counts.set(t.startedBy!, {
        live: c.live + 1,
        running: c.running + (t.lastStatus === "RUNNING" ? 1 : 0),
        pending: c.pending + (pendingStatuses.has(t.lastStatus ?? "") ? 1 : 0),
        healthy: c.healthy + (isHealthy(t, now, cfg.settleMs) ? 1 : 0),
      });
    }
    return counts;
  };

  let primary = active().find((d) => d.status === "PRIMARY");
  if (!primary) return;
  const daemonView = daemon ? await daemonInstances(tx, primary, instances, live) : undefined;
  let desired = svc.status === "DRAINING" ? 0 : daemon ? daemonView!.filter((i) => i.eligible).length : (svc.desiredCount ?? 0);

  // Rollout: completion, the circuit breaker, rollback.
  if (svc.status === "ACTIVE") {
    const lastCompleted = [...records.values()]
      .filter((d) => d.rolloutState === "COMPLETED" && d.id !== primary!.id)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
    const rolledBack = primary.rollbackOf ? records.get(primary.rollbackOf) : undefined;
    const step = advanceRollout({
      serviceName: name,
      desiredCount: desired,
      breaker: svc.deploymentConfiguration?.deploymentCircuitBreaker,
      deployments: active(),
      ...(rolledBack ? { rolledBack } : {}),
      counts: countsOf(),
      ...(lastCompleted ? { lastCompleted } : {}),
      now,
    });
    step.changed.forEach(write);
    events.push(...step.events);
    primary = active().find((d) => d.status === "PRIMARY")!;
  }

  // Decide.
  const ages = new Map(active().map((d, i) => [d.id, i]));
  const instanceStatus = (t: Task): string | undefined => (t.containerInstanceArn ? instances.get(t.containerInstanceArn)?.status : undefined);
  const view = (t: Task): ServiceTaskView => ({
    arn: t.taskArn!,
    // A task on a DRAINING (or deregistered) instance is replaced like an outdated one.
    current: t.startedBy === primary.id && !["DRAINING", "INACTIVE"].includes(instanceStatus(t) ?? "ACTIVE"),
    healthy: isHealthy(t, now, cfg.settleMs),
    running: t.lastStatus === "RUNNING",
    pending: pendingStatuses.has(t.lastStatus ?? ""),
    failedHealthCheck: failedHealthCheck(t, now, graceMs),
    age: ages.get(t.startedBy!) ?? ages.size,
    ...(t.containerInstanceArn ? { instanceArn: t.containerInstanceArn } : {}),
    ...(isProtected(ledger.get(t.taskArn!), now) ? { protected: true } : {}),
  });
  const views = desiredRunning().map(view);
  const stoppingCount = live.length - views.length;
  const frozen = primary.rolloutState === "FAILED";
  const canLaunch = !throttled(throttle, now) && svc.status === "ACTIVE";
  const config = svc.deploymentConfiguration ?? {};
  let toStop: ServiceTaskView[];
  let placeCount = 0;
  let placeOn: readonly string[] = [];
  if (daemon) {
    const plan = reconcileDaemon({
      instances: svc.status === "DRAINING" ? daemonView!.map((i) => ({ ...i, eligible: false, hold: false })) : daemonView!,
      tasks: views,
      minimumHealthyPercent: config.minimumHealthyPercent ?? 0,
      canLaunch,
      frozen,
    });
    toStop = [...plan.replace, ...plan.stop];
    placeOn = plan.place;
  } else {
    const plan = reconcileReplica({
      desiredCount: desired,
      minimumHealthyPercent: config.minimumHealthyPercent ?? 100,
      maximumPercent: config.maximumPercent ?? 200,
      tasks: views,
      stoppingCount,
      canLaunch,
      frozen,
    });
    toStop = [...plan.replace, ...plan.stop];
    placeCount = plan.place;
  }

  // Act: stop.
  const stopped: string[] = [];
  for (const v of toStop) {
    const health = v.failedHealthCheck;
    const task = await changeTask(
      tx,
      changes,
      v.arn,
      { kind: "stop", code: "ServiceSchedulerInitiated", reason: health ? healthStopReason : schedulerStopReason(primary.id) },
      now,
    );
    if (!task) continue;
    stopped.push(v.arn);
    const rec = ledger.get(v.arn);
    if (rec) await tx.services.putServiceTask({ ...rec, stopKind: health ? "health" : "scheduler" });
    if (health) events.push(serviceEvents.failedHealthChecks(name, v.arn));
  }
  if (stopped.length > 0) events.push(serviceEvents.stopped(name, stopped));

  // Act: launch.
  const request: LaunchRequest = {
    ...scopeOfArn(svc.serviceArn),
    now,
    clusterArn: svc.clusterArn,
    serviceName: name,
    deploymentId: primary.id,
    spec: primary.spec,
    serviceTags: svc.propagateTags === "SERVICE" ? await tx.getTags(svc.serviceArn) : [],
    propagateTaskDefinitionTags: svc.propagateTags === "TASK_DEFINITION",
    enableECSManagedTags: svc.enableECSManagedTags ?? false,
    enableExecuteCommand: svc.enableExecuteCommand ?? false,
  };
  const launched: Launched[] = [];
  const failures: string[] = [];
  try {
    if (placeCount > 0) launched.push(await runServiceTasks(tx, changes, request, placeCount, cfg.random));
    for (const arn of placeOn) launched.push(await startServiceTask(tx, changes, request, arn));
  } catch (err) {
    // RunTask refuses before it writes anything; the service says why and the next pass tries again.
    if (!(err instanceof AwsError)) throw err;
    failures.push(serviceEvents.unableToLaunch(name, err.message));
  }
  const started = launched.flatMap((l) => l.tasks);
  for (const t of started) {
    await tx.services.trackServiceTask({ taskArn: t.taskArn!, serviceArn: svc.serviceArn, deploymentId: primary.id, settled: false, ran: false, createdAt: now });
  }
  if (started.length > 0) events.push(serviceEvents.started(name, started.map((t) => t.taskArn!)));
  const failure = launched.flatMap((l) => l.failures)[0];
  if (failure) failures.push(serviceEvents.unableToPlace(name, placementReason(failure.reason ?? "", failure.arn)));

  // Record: steady state, the service, deployments, events.
  const runningNow = live.filter((t) => t.lastStatus === "RUNNING" && t.desiredStatus !== "STOPPED").length;
  const steady =
    svc.status === "ACTIVE" &&
    active().length === 1 &&
    primary.rolloutState === "COMPLETED" &&
    stopped.length === 0 &&
    started.length === 0 &&
    stoppingCount === 0 &&
    live.length === desired &&
    runningNow === desired;
  if (steady && !stored.steady) events.push(serviceEvents.steady(name));
  let nextService: StoredService = { ...stored, steady, ...(throttle ? { throttle } : {}) };
  if (daemon && svc.status === "ACTIVE" && svc.desiredCount !== desired) nextService = { ...nextService, service: { ...nextService.service, desiredCount: desired } };
  if (svc.status === "DRAINING" && live.length === 0 && started.length === 0) {
    nextService = { ...nextService, inactiveSince: now, service: { ...nextService.service, status: "INACTIVE" } };
    for (const d of active()) write({ ...d, status: "INACTIVE", updatedAt: now });
    desired = 0;
  }
  if (JSON.stringify(nextService) !== JSON.stringify(stored)) await tx.services.putService(nextService);
  for (const id of changed) await tx.services.putDeployment(records.get(id)!);
  for (const message of events) await tx.services.addServiceEvent(svc.serviceArn, { id: randomUUID(), createdAt: now, message }, eventsKept);
  if (failures.length > 0) {
    const [latest] = await tx.services.serviceEvents(svc.serviceArn, 1);
    for (const message of failures) {
      const repeat = latest?.message === message && now.getTime() - (latest.createdAt?.getTime() ?? 0) < repeatFailureAfterMs;
      if (!repeat) await tx.services.addServiceEvent(svc.serviceArn, { id: randomUUID(), createdAt: now, message }, eventsKept);
    }
  }
}
