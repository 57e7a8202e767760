// The task engine's decisions, with no I/O: ordered internal statuses, what a
// container should do next given its task, and the mapping to ECS's API statuses.
// After amazon-ecs-agent's agent/engine: the task owner asks, acts, and records.

import type { ContainerCondition, HealthStatus } from "../model/generated/ecs.js";

/**
 * Internal container (and task) statuses, in the only order they are reached.
 * Invariant: a container's known status only moves to a later entry of this list.
 */
export const statusOrder = ["NONE", "MANIFEST_PULLED", "PULLED", "CREATED", "RUNNING", "STOPPED"] as const;
export type Status = (typeof statusOrder)[number];
export type DesiredStatus = "RUNNING" | "STOPPED";

export function rank(s: Status): number {
  return statusOrder.indexOf(s);
}

export function laterOf(a: Status, b: Status): Status {
  return rank(a) >= rank(b) ? a : b;
}

/** The one Docker-side action that moves a container to each status. */
export type RuntimeAction = "resolve-image" | "pull-image" | "create" | "start" | "stop";
export const actionToReach: Readonly<Record<Exclude<Status, "NONE">, RuntimeAction>> = {
  // Resolve the reference: registry credentials and whether a copy is already present.
  MANIFEST_PULLED: "resolve-image",
  // Pull per the configured pull behaviour, or decide the cached copy serves.
  PULLED: "pull-image",
  CREATED: "create",
  RUNNING: "start",
  // SIGTERM (or the image's stop signal), then SIGKILL after the stop timeout.
  STOPPED: "stop",
};

/** What nextTransition reads about one container. */
export interface ContainerView {
  readonly name: string;
  /** `pause` holds an awsvpc task's network namespace; it is never reported. */
  readonly role: "app" | "pause";
  readonly essential: boolean;
  readonly known: Status;
  readonly desired: DesiredStatus;
  /** A Docker container exists for it (created, running or exited). */
  readonly created: boolean;
  /** It has run at some point (Docker set StartedAt). */
  readonly started: boolean;
  readonly exitCode?: number;
  readonly reason?: string;
  readonly hasHealthCheck: boolean;
  readonly health?: HealthStatus;
  readonly dependsOn: readonly { readonly containerName: string; readonly condition: ContainerCondition }[];
  readonly volumesFrom: readonly string[];
  readonly links: readonly string[];
  /** When it first found itself blocked on a dependency (epoch ms), for startTimeout. */
  readonly waitingSince?: number;
  readonly startTimeoutMs: number;
}

export interface TaskView {
  readonly containers: readonly ContainerView[];
  readonly now: number;
}

/** A condition on another container that must hold before a transition may act. */
export interface Wait {
  readonly container: string;
  readonly condition: ContainerCondition | "CREATED" | "RUNNING" | "STOPPED";
}

export interface Transition {
  readonly target: Status;
  /** Undefined when the target is reached by bookkeeping alone (e.g. a never-started container is simply STOPPED). */
  readonly action?: RuntimeAction;
  /** Conditions still pending; the action may run only when this is empty. */
  readonly waitsOn: readonly Wait[];
  /** Why a container goes to STOPPED without running: a dependency that can never be met, or a timeout. */
  readonly reason?: string;
}

type Verdict = { readonly state: "met" } | { readonly state: "pending" } | { readonly state: "never"; readonly why: string };

/** Whether `dep` satisfies `condition` now, may later, or never can. */
export function evaluateCondition(dep: ContainerView | undefined, name: string, condition: Wait["condition"]): Verdict {
  if (!dep) return { state: "never", why: `there is no container named ${name} in the task` };
  const stopped = dep.known === "STOPPED";
  switch (condition) {
    case "CREATED":
      if (dep.created) return { state: "met" };
      return stopped ? { state: "never", why: `${name} was never created` } : { state: "pending" };
    case "RUNNING":
      if (dep.known === "RUNNING") return { state: "met" };
      return stopped ? { state: "never", why: `${name} is not running` } : { state: "pending" };
    case "START":
      if (dep.started) return { state: "met" };
      return stopped ? { state: "never", why: `${name} never started` } : { state: "pending" };
    case "COMPLETE":
      if (stopped && dep.started) return { state: "met" };
      return stopped ? { state: "never", why: `${name} never ran` } : { state: "pending" };
    case "SUCCESS":
      if (stopped && dep.started && dep.exitCode === 0) return { state: "met" };
      if (stopped) return { state: "never", why: dep.started ? `${name} exited with code ${dep.exitCode ?? "unknown"}` : `${name} never ran` };
      return { state: "pending" };
    case "HEALTHY":
      if (!dep.hasHealthCheck) return { state: "never", why: `${name} has no healthCheck` };
      if (dep.health === "HEALTHY") return { state: "met" };
      return stopped ? { state: "never", why: `${name} stopped before it was healthy` } : { state: "pending" };
    case "STOPPED":
      return stopped ? { state: "met" } : { state: "pending" };
  }
}

/** The conditions a container needs before acting toward `target`. */
export function requiredConditions(c: ContainerView, target: Status, task: TaskView): Wait[] {
  const pause = task.containers.find((x) => x.role === "pause");
  if (target === "CREATED" && c.role === "app") {
    return [
      // An awsvpc container joins the holder's namespace, which must exist and run.
      ...(pause ? [{ container: pause.name, condition: "RUNNING" as const }] : []),
      // Docker resolves --volumes-from and --link names at create time.
      ...c.volumesFrom.map((name) => ({ container: name, condition: "CREATED" as const })),
      ...c.links.map((name) => ({ container: name, condition: "CREATED" as const })),
    ];
  }
  if (target === "RUNNING" && c.role === "app") {
    return [
      ...c.dependsOn.map((d) => ({ container: d.containerName, condition: d.condition })),
      ...c.links.map((name) => ({ container: name, condition: "RUNNING" as const })),
    ];
  }
  if (target === "STOPPED" && c.role === "pause") {
    // The namespace outlives every container that uses it.
    return task.containers.filter((x) => x.role === "app").map((x) => ({ container: x.name, condition: "STOPPED" as const }));
  }
  if (target === "STOPPED") {
    // Shutdown reverses the start order: whatever depends on this container stops first.
    // Invariant: dependsOn is acyclic (RegisterTaskDefinition rejects cycles), so this cannot deadlock.
    return task.containers
      .filter((x) => x.role === "app" && x.name !== c.name && (x.dependsOn.some((d) => d.containerName === c.name) || x.links.includes(c.name)))
      .map((x) => ({ container: x.name, condition: "STOPPED" as const }));
  }
  return [];
}

/**
 * What a container does next. Undefined when it is settled (known has reached
 * or passed desired; STOPPED is terminal).
 * Invariant: the returned target is always later than `known`.
 */
export function nextTransition(c: ContainerView, task: TaskView): Transition | undefined {
  const desired: Status = c.desired;
  if (rank(c.known) >= rank(desired)) return undefined;

  if (c.desired === "STOPPED") {
    // Nothing runs yet, so there is nothing to stop: it is STOPPED by bookkeeping.
    if (c.known !== "RUNNING") return { target: "STOPPED", waitsOn: [] };
    const waitsOn = requiredConditions(c, "STOPPED", task).filter((w) => evaluateCondition(find(task, w.container), w.container, w.condition).state !== "met");
    return { target: "STOPPED", action: "stop", waitsOn };
  }

  const target = statusOrder[rank(c.known) + 1] as Exclude<Status, "NONE">;
  const pending: Wait[] = [];
  for (const w of requiredConditions(c, target, task)) {
    const v = evaluateCondition(find(task, w.container), w.container, w.condition);
    if (v.state === "never") {
      return { target: "STOPPED", waitsOn: [], reason: `DependencyError: container ${c.name} cannot start: ${describe(w)} can never be met: ${v.why}` };
    }
    if (v.state === "pending") pending.push(w);
  }
  if (pending.length > 0 && c.waitingSince !== undefined && task.now - c.waitingSince >= c.startTimeoutMs) {
    return {
      target: "STOPPED",
      waitsOn: [],
      reason: `DependencyTimeout: container ${c.name} waited ${Math.round(c.startTimeoutMs / 1000)}s (startTimeout) for ${pending.map(describe).join(", ")}`,
    };
  }
  return { target, action: actionToReach[target], waitsOn: pending };
}

function find(task: TaskView, name: string): ContainerView | undefined {
  return task.containers.find((x) => x.name === name);
}

function describe(w: Wait): string {
  return `${w.container} ${w.condition}`;
}

/**
 * The task's known status from its containers: STOPPED once every container is;
 * otherwise the earliest status among the app containers still going. The
 * namespace holder never advances the task (it runs before and after the apps).
 * Invariant: never earlier than `previous` (reports never go backwards).
 */
export function taskKnownStatus(containers: readonly ContainerView[], previous: Status): Status {
  if (containers.every((c) => c.known === "STOPPED")) return "STOPPED";
  const going = containers.filter((c) => c.role === "app" && c.known !== "STOPPED");
  if (going.length === 0) return previous;
  let min: Status = "STOPPED";
  for (const c of going) if (rank(c.known) < rank(min)) min = c.known;
  return laterOf(previous, min);
}

/** Why the task must stop on its own, if it must. */
export function taskStopReason(containers: readonly ContainerView[]): string | undefined {
  for (const c of containers) {
    if (c.known !== "STOPPED") continue;
    if (c.role === "pause" && c.desired === "RUNNING") return c.reason ?? "Task network namespace holder stopped";
    if (c.role === "app" && c.essential) return c.started ? "Essential container in task exited" : (c.reason ?? `Essential container ${c.name} did not start`);
  }
  return undefined;
}

/**
 * ECS's task health: UNHEALTHY if any essential container with a health check is;
 * HEALTHY when all of them are; UNKNOWN otherwise (including when none has a check).
 */
export function taskHealth(containers: readonly ContainerView[]): HealthStatus {
  const checked = containers.filter((c) => c.role === "app" && c.essential && c.hasHealthCheck);
  if (checked.length === 0) return "UNKNOWN";
  if (checked.some((c) => c.health === "UNHEALTHY")) return "UNHEALTHY";
  if (checked.every((c) => c.health === "HEALTHY")) return "HEALTHY";
  return "UNKNOWN";
}

/** The ECS API's view of an internal status, for containers and tasks alike. */
export function apiStatus(s: Status): "PENDING" | "RUNNING" | "STOPPED" {
  if (s === "STOPPED") return "STOPPED";
  if (s === "RUNNING") return "RUNNING";
  return "PENDING";
}

/** Docker's health words in ECS's. */
export function healthFromDocker(h: string | undefined): HealthStatus | undefined {
  if (h === "healthy") return "HEALTHY";
  if (h === "unhealthy") return "UNHEALTHY";
  if (h === "starting") return "UNKNOWN";
  return undefined;
}
