// The task lifecycle as ECS shows it, as a pure function of events:
// PROVISIONING → PENDING → ACTIVATING → RUNNING → DEACTIVATING → STOPPING →
// DEPROVISIONING → STOPPED. The control plane writes desiredStatus; the agent's
// reports move lastStatus. Nothing here does I/O.

import type { Container, ContainerStateChange, HealthStatus, Task, TaskStopCode } from "../model/generated/ecs.js";

export const taskStatuses = [
  "PROVISIONING",
  "PENDING",
  "ACTIVATING",
  "RUNNING",
  "DEACTIVATING",
  "STOPPING",
  "DEPROVISIONING",
  "STOPPED",
] as const;
export type TaskStatus = (typeof taskStatuses)[number];

const rank = (status: string | undefined): number => taskStatuses.indexOf((status ?? "PROVISIONING") as TaskStatus);

const containerRank = (status: string | undefined): number => ["PENDING", "RUNNING", "STOPPED"].indexOf(status ?? "PENDING");

export type TaskEvent =
  | {
      /** What the agent reports through SubmitTaskStateChange. */
      readonly kind: "report";
      readonly status?: string;
      readonly reason?: string;
      readonly containers?: readonly ContainerStateChange[];
      readonly pullStartedAt?: Date;
      readonly pullStoppedAt?: Date;
      readonly executionStoppedAt?: Date;
    }
  | {
      /** StopTask, a service scheduler, a lost host: the control plane wants the task stopped. */
      readonly kind: "stop";
      readonly code: TaskStopCode;
      readonly reason: string;
    }
  | {
      /** The agent's health checks: the task's health and each checked container's. */
      readonly kind: "health";
      readonly healthStatus: HealthStatus;
      readonly containers: readonly { readonly name: string; readonly healthStatus: HealthStatus }[];
    };

function mergeContainers(current: readonly Container[], changes: readonly ContainerStateChange[]): Container[] {
  return current.map((c) => {
    const change = changes.find((x) => x.containerName === c.name);
    if (!change) return c;
    // Invariant: a container's lastStatus never moves backwards.
    const forward = containerRank(change.status) >= containerRank(c.lastStatus);
    return {
      ...c,
      ...(forward && change.status ? { lastStatus: change.status } : {}),
      ...(change.runtimeId ? { runtimeId: change.runtimeId } : {}),
      ...(change.imageDigest ? { imageDigest: change.imageDigest } : {}),
      ...(change.exitCode !== undefined ? { exitCode: change.exitCode } : {}),
      ...(change.reason ? { reason: change.reason } : {}),
      ...(change.networkBindings ? { networkBindings: change.networkBindings } : {}),
    };
  });
}

/**
 * The task after an event, with `version` bumped when anything changed.
 * Invariant: lastStatus never moves backwards, and a STOPPED task never changes.
 */
export function applyTaskEvent(task: Task, event: TaskEvent, now: Date): Task {
  if (task.lastStatus === "STOPPED") return task;
  if (event.kind === "health") return withHealth(task, event);
  let next: Task = task;
  if (event.kind === "stop") {
    if (task.desiredStatus === "STOPPED") return task;
    next = { ...task, desiredStatus: "STOPPED", stopCode: event.code, stoppedReason: event.reason, stoppingAt: now };
    // A task no agent holds yet has nothing to stop: it is done at once.
    next = task.containerInstanceArn
      ? { ...next, ...(rank(task.lastStatus) < rank("STOPPING") ? { lastStatus: "STOPPING" } : {}) }
      : stopped(next, now);
  } else {
    next = {
      ...task,
      containers: mergeContainers(task.containers ?? [], event.containers ?? []),
      ...(event.pullStartedAt && !task.pullStartedAt ? { pullStartedAt: event.pullStartedAt } : {}),
      ...(event.pullStoppedAt ? { pullStoppedAt: event.pullStoppedAt } : {}),
      ...(event.executionStoppedAt ? { executionStoppedAt: event.executionStoppedAt } : {}),
    };
    if (event.status === "PENDING" && rank(task.lastStatus) < rank("PENDING")) next = { ...next, lastStatus: "PENDING" };
    if (event.status === "RUNNING" && task.desiredStatus === "RUNNING" && rank(task.lastStatus) < rank("RUNNING")) {
      // ACTIVATING is where load balancer registration happens; with none to do, the task passes through it.
      next = { ...next, lastStatus: "RUNNING", startedAt: task.startedAt ?? now, connectivity: "CONNECTED", connectivityAt: now };
    }
    if (event.status === "STOPPED") {
      // A container that exited ran: the task did start, however briefly.
      const failedToStart = !task.startedAt && !(next.containers ?? []).some((c) => c.exitCode !== undefined);
      next = {
        ...next,
        desiredStatus: "STOPPED",
        stoppingAt: task.stoppingAt ?? now,
        stopCode: task.stopCode ?? (failedToStart ? "TaskFailedToStart" : "EssentialContainerExited"),
        stoppedReason: task.stoppedReason ?? event.reason ?? (failedToStart ? "Task failed to start" : "Essential container in task exited"),
      };
      next = stopped(next, now);
    }
  }
  return next === task ? task : { ...next, version: (task.version ?? 0) + 1 };
}

/** The task with the health the agent reported; the same task when nothing changed. */
function withHealth(task: Task, event: Extract<TaskEvent, { kind: "health" }>): Task {
  let changed = task.healthStatus !== event.healthStatus;
  const containers = (task.containers ?? []).map((c) => {
    const reported = event.containers.find((x) => x.name === c.name);
    if (!reported || reported.healthStatus === c.healthStatus) return c;
    changed = true;
    return { ...c, healthStatus: reported.healthStatus };
  });
  return changed ? { ...task, healthStatus: event.healthStatus, containers, version: (task.version ?? 0) + 1 } : task;
}

/** DEPROVISIONING releases the task's network attachment; then the task is STOPPED. */
function stopped(task: Task, now: Date): Task {
  return {
    ...task,
    lastStatus: "STOPPED",
    stoppedAt: now,
    executionStoppedAt: task.executionStoppedAt ?? now,
    ...(task.connectivity === "CONNECTED" ? { connectivity: "DISCONNECTED" } : {}),
    containers: (task.containers ?? []).map((c) => (c.lastStatus === "STOPPED" ? c : { ...c, lastStatus: "STOPPED" })),
    attachments: (task.attachments ?? []).map((a) => ({ ...a, status: "DELETED" })),
  };
}

/** Whether the task still holds its instance's resources. */
export const isLive = (task: Task): boolean => task.lastStatus !== "STOPPED";
