// What a task owner holds about its task and each of its containers, and how an
// inspection of a container changes it (after amazon-ecs-agent's api/task and
// api/container). Only the owner's loop calls what writes here.

import { randomBytes } from "node:crypto";
import type { ContainerDefinition, HealthStatus } from "../model/generated/ecs.js";
import type { AssignedTask } from "../protocol/channel.js";
import type { AgentClock } from "./agent-clock.js";
import { applyOverrides, dockerContainerName, pauseContainerName, taskNetworkMode, type NetworkMode } from "./container-config.js";
import type { ContainerInfo, ImageInfo, RegistryCredentials } from "./docker-runtime.js";
import { pauseImageTag } from "./pause-image.js";
import { healthFromDocker, laterOf, type ContainerView, type DesiredStatus, type RuntimeAction, type Status } from "./task-state-machine.js";

export interface ContainerState {
  readonly name: string;
  readonly role: "app" | "pause";
  def?: ContainerDefinition;
  essential: boolean;
  containerArn?: string;
  dockerName: string;
  image: string;
  known: Status;
  runtimeId?: string;
  created: boolean;
  started: boolean;
  exitCode?: number;
  reason?: string;
  health?: HealthStatus;
  healthSince?: Date;
  imageId?: string;
  imageDigest?: string;
  /** What Docker had under the image reference when the image was resolved (none: not present). */
  cachedImage?: ImageInfo | undefined;
  auth?: RegistryCredentials;
  bound: ContainerInfo["ports"];
  ipv4: string[];
  labels: Readonly<Record<string, string>>;
  createdAt?: Date;
  startedAt?: Date;
  finishedAt?: Date;
  stopSignal?: string;
  stopTimeout?: number;
  token: string;
  waitingSince?: number | undefined;
  /** The runtime action in flight for it, if any. */
  acting?: RuntimeAction | undefined;
  notBefore?: number | undefined;
  failures: number;
  observing: boolean;
  observeAgain: boolean;
}

/** What a runtime action that succeeded tells back (task-actions.ts performs them). */
export type ActionResult =
  | { readonly action: "resolve-image"; readonly image?: ImageInfo; readonly auth?: RegistryCredentials }
  | { readonly action: "pull-image"; readonly imageId?: string; readonly digest?: string; readonly pullStartedAt: Date; readonly pullStoppedAt: Date }
  | { readonly action: "create"; readonly id: string }
  | { readonly action: "start" | "stop"; readonly info: ContainerInfo | undefined };

export interface TaskState {
  readonly taskArn: string;
  clusterArn: string;
  /** The control plane's task and definition; none for a task adopted from Docker and not yet re-sent. */
  assigned: AssignedTask | undefined;
  /** Invariant: moves only from RUNNING to STOPPED; written by the owner's loop alone (from the control plane's wish or the agent's own decision). */
  desired: DesiredStatus;
  /** Invariant: moves only forward (taskKnownStatus never returns an earlier status). */
  known: Status;
  stopReason: string | undefined;
  readonly containers: ContainerState[];
  networkModeSeen: NetworkMode | undefined;
  pullStartedAt: Date | undefined;
  pullStoppedAt: Date | undefined;
  executionStoppedAt: Date | undefined;
}

/** The task as the actions, reports and snapshot see it: they read, never write. */
export type TaskReading = Readonly<Omit<TaskState, "containers">> & { readonly containers: readonly Readonly<ContainerState>[] };

export function newTaskState(taskArn: string, clusterArn: string): TaskState {
  return {
    taskArn,
    clusterArn,
    assigned: undefined,
    desired: "RUNNING",
    known: "NONE",
    stopReason: undefined,
    containers: [],
    networkModeSeen: undefined,
    pullStartedAt: undefined,
    pullStoppedAt: undefined,
    executionStoppedAt: undefined,
  };
}

export function newContainerState(name: string, role: "app" | "pause", essential: boolean, image: string, dockerName: string): ContainerState {
  return {
    name,
    role,
    essential,
    dockerName,
    image,
    known: "NONE",
    created: false,
    started: false,
    bound: [],
    ipv4: [],
    labels: {},
    token: randomBytes(16).toString("hex"),
    failures: 0,
    observing: false,
    observeAgain: false,
  };
}

export function networkModeOf(task: TaskReading): NetworkMode {
  if (task.assigned) return taskNetworkMode(task.assigned.taskDefinition);
  return task.networkModeSeen ?? "bridge";
}

/** An adopted task's network mode, from what Docker says of its first container. */
export function modeFromDocker(mode: string | undefined): NetworkMode {
  if (!mode || mode === "default" || mode === "bridge") return "bridge";
  if (mode === "host" || mode === "none") return mode;
  if (mode.startsWith("container:")) return "awsvpc";
  return "bridge";
}

/** What Docker's inspection (none: the container is gone) tells of a container. */
export function applyObservation(c: ContainerState, info: ContainerInfo | undefined, clock: AgentClock): void {
  if (!info) {
    if ((c.created || c.runtimeId) && c.known !== "STOPPED") {
      c.known = "STOPPED";
      c.reason ??= "Container no longer exists on the host";
    }
    return;
  }
  c.runtimeId = info.id;
  c.created = true;
  c.labels = info.labels;
  if (info.createdAt) c.createdAt = info.createdAt;
  if (info.state.startedAt) {
    c.started = true;
    c.startedAt = info.state.startedAt;
  }
  if (info.imageId) c.imageId = info.imageId;
  if (info.stopSignal) c.stopSignal = info.stopSignal;
  if (info.stopTimeout !== undefined) c.stopTimeout = info.stopTimeout;
  const ips = Object.values(info.networks)
    .map((n) => n.ipAddress)
    .filter(Boolean);
  if (ips.length) c.ipv4 = ips;
  if (c.known === "STOPPED") return;
  const health = healthFromDocker(info.state.health);
  if (health && health !== c.health) {
    c.health = health;
    c.healthSince = clock.now();
  }
  if (info.state.running) {
    c.known = laterOf(c.known, "RUNNING");
    c.bound = info.ports;
  } else if (c.started) {
    c.known = "STOPPED";
    c.exitCode = info.state.exitCode;
    if (info.state.finishedAt) c.finishedAt = info.state.finishedAt;
    if (info.state.oomKilled) c.reason ??= "OutOfMemoryError: Container killed due to memory usage";
  } else {
    c.known = laterOf(c.known, "CREATED");
  }
}

/** A container as the state machine sees it. */
export function containerView(task: TaskReading, c: Readonly<ContainerState>, startTimeoutSeconds: number): ContainerView {
  const def = c.def;
  return {
    name: c.name,
    role: c.role,
    essential: c.essential,
    known: c.known,
    desired: task.desired,
    created: c.created,
    started: c.started,
    ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
    ...(c.reason !== undefined ? { reason: c.reason } : {}),
    hasHealthCheck: def ? def.healthCheck !== undefined : c.health !== undefined,
    ...(c.health ? { health: c.health } : {}),
    dependsOn: def?.dependsOn ?? [],
    volumesFrom: (def?.volumesFrom ?? []).map((v) => v.sourceContainer ?? ""),
    links: networkModeOf(task) === "bridge" ? (def?.links ?? []).map((l) => l.split(":")[0] ?? "") : [],
    ...(c.waitingSince !== undefined ? { waitingSince: c.waitingSince } : {}),
    startTimeoutMs: (def?.startTimeout ?? startTimeoutSeconds) * 1000,
  };
}

/** The control plane's task and definition: the containers it names (the namespace holder first for awsvpc), and what it wants. */
export function applyAssigned(owned: TaskState, assigned: AssignedTask, agentId: string): void {
  const { task, taskDefinition: td } = assigned;
  owned.assigned = assigned;
  owned.clusterArn = task.clusterArn ?? owned.clusterArn;
  if (task.desiredStatus === "STOPPED" || task.lastStatus === "STOPPED") owned.desired = "STOPPED";
  let mode: NetworkMode;
  try {
    mode = taskNetworkMode(td);
  } catch (err) {
    failTask(owned, `CannotCreateContainerError: ${(err as Error).message}`);
    return;
  }
  if (mode === "awsvpc" && !owned.containers.some((c) => c.role === "pause")) {
    owned.containers.unshift(newContainerState(pauseContainerName, "pause", false, pauseImageTag, dockerContainerName(agentId, task, td, pauseContainerName)));
  }
  for (const raw of td.containerDefinitions ?? []) {
    const def = applyOverrides(raw, task);
    const name = def.name ?? "";
    let c = owned.containers.find((x) => x.name === name && x.role === "app");
    if (!c) {
      c = newContainerState(name, "app", def.essential !== false, def.image ?? "", dockerContainerName(agentId, task, td, name));
      owned.containers.push(c);
    }
    c.def = def;
    c.essential = def.essential !== false;
    c.image = def.image ?? c.image;
    if (!c.dockerName) c.dockerName = dockerContainerName(agentId, task, td, name);
    const cp = task.containers?.find((x) => x.name === name);
    if (cp?.containerArn) c.containerArn = cp.containerArn;
    // The control plane saw this container created (it has a runtime id) but Docker does not have it: it is gone, not new.
    if (cp?.runtimeId && !c.created && !c.acting && c.known === "NONE") {
      c.known = "STOPPED";
      c.reason = "Container no longer exists on the host";
    }
  }
}

/** Stops the task before anything ran, for a reason that applies to every container. */
function failTask(owned: TaskState, reason: string): void {
  owned.stopReason ??= reason;
  owned.desired = "STOPPED";
  for (const c of owned.containers) if (!c.created) c.reason ??= reason;
}

/** What a runtime action that succeeded tells of its container (and of the task's pull times). */
export function applyResult(owned: TaskState, c: ContainerState, r: ActionResult, clock: AgentClock): void {
  c.failures = 0;
  c.notBefore = undefined;
  switch (r.action) {
    case "resolve-image":
      c.cachedImage = r.image;
      if (r.auth) c.auth = r.auth;
      c.known = laterOf(c.known, "MANIFEST_PULLED");
      return;
    case "pull-image":
      if (r.imageId) c.imageId = r.imageId;
      if (r.digest) c.imageDigest = r.digest;
      owned.pullStartedAt ??= r.pullStartedAt;
      if (!owned.pullStoppedAt || r.pullStoppedAt > owned.pullStoppedAt) owned.pullStoppedAt = r.pullStoppedAt;
      c.known = laterOf(c.known, "PULLED");
      return;
    case "create":
      c.runtimeId = r.id;
      c.created = true;
      c.known = laterOf(c.known, "CREATED");
      return;
    case "start":
      if (r.info) applyObservation(c, r.info, clock);
      else c.known = laterOf(c.known, "RUNNING");
      return;
    case "stop":
      applyObservation(c, r.info, clock);
      return;
  }
}
