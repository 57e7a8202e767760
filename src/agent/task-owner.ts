// One task's owner: a mailbox and a loop that is the only writer of the task's
// state. Each message (desired state, a Docker event, an action's result, a
// timer) is applied, then the state machine says what to do next; actions run
// concurrently and post their results back to the mailbox.

import type { ContainerDefinition, HealthStatus, KeyValuePair, NetworkBinding, SubmitTaskStateChangeRequest, Task } from "../model/generated/ecs.js";
import type { AssignedTask } from "../protocol/channel.js";
import type { AgentClock } from "./agent-clock.js";
import { isAbortError } from "./agent-clock.js";
import {
  applyOverrides,
  awsvpcAttachment,
  ContainerConfigError,
  containerSpec,
  dockerContainerName,
  envFilePath,
  labels,
  logSettings,
  networkBindings,
  parseEnvFile,
  parseTaskContainersMemo,
  parseTaskMemoryMiB,
  pauseContainerName,
  pauseSpec,
  planVolume,
  portRequests,
  taskNetworkMode,
  type NetworkMode,
  type VolumeSource,
} from "./container-config.js";
import { DockerRuntimeError, type ContainerInfo, type DockerRuntime, type ImageInfo, type RegistryCredentials } from "./docker-runtime.js";
import { imageDigest, pullPlan, type PullBehavior, type SharedImageCalls } from "./image-pull.js";
import { ensurePauseImage, pauseImageTag } from "./pause-image.js";
import type { HostPortAllocator, PortChoice } from "./ports.js";
import type { TaskStateReports } from "./state-reports.js";
import type { ContainerSnapshot, TaskSnapshot } from "./task-snapshot.js";
import {
  apiStatus,
  healthFromDocker,
  laterOf,
  nextTransition,
  taskHealth,
  taskKnownStatus,
  taskStopReason,
  type ContainerView,
  type DesiredStatus,
  type RuntimeAction,
  type Status,
} from "./task-state-machine.js";
import { randomBytes } from "node:crypto";

export interface AgentLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What every task owner shares: the engine's parts and settings. */
export interface EngineContext {
  readonly agentId: string;
  readonly runtime: DockerRuntime;
  readonly clock: AgentClock;
  readonly reports: TaskStateReports;
  readonly ports: HostPortAllocator;
  readonly pulledImages: Set<string>;
  /** Image pulls and lookups in flight, shared by every task that needs the same image at the same time. */
  readonly images: SharedImageCalls;
  readonly pullBehavior: PullBehavior;
  readonly registryAuth?: (imageRef: string) => Promise<RegistryCredentials | undefined>;
  readonly resolveSecret?: (valueFrom: string, task: Task) => Promise<string>;
  readonly readEnvFile: (path: string) => Promise<string>;
  readonly stopTimeoutSeconds: number;
  readonly startTimeoutSeconds: number;
  readonly cleanupWaitMs: number;
  readonly region: string;
  readonly dockerArch: string;
  readonly bridgeGateway?: string;
  readonly awsvpcNetwork?: { readonly name: string; readonly gateway?: string; readonly subnet?: string };
  readonly metadataPort?: number;
  readonly log: AgentLogger;
  hostPortsInUse(signal: AbortSignal): Promise<Set<string>>;
  /** The owner finished (cleaned up, or stopped being assigned and removed its containers). */
  onDone(taskArn: string): void;
  /** A task's health changed. */
  readonly onHealth?: (report: TaskHealthReport) => void;
}

/** One task's health, shaped as the agent channel's `health` message carries it. */
export interface TaskHealthReport {
  readonly taskArn: string;
  readonly healthStatus: HealthStatus;
  readonly containers: readonly { readonly name: string; readonly healthStatus: HealthStatus }[];
}

/** Refusals to start that ECS reports as ResourceInitializationError (files, secrets, volumes). */
class ResourceInitError extends Error {
  override readonly name = "ResourceInitError";
}

interface ContainerState {
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
  cachedImage?: ImageInfo;
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
  waitingSince?: number;
  /** The runtime action in flight for it, if any. */
  acting?: RuntimeAction;
  notBefore?: number;
  failures: number;
  observing: boolean;
  observeAgain: boolean;
}

type Message =
  | { readonly kind: "assign"; readonly assigned: AssignedTask }
  | { readonly kind: "unassign" }
  | { readonly kind: "event"; readonly containerName?: string; readonly containerId: string; readonly action: string }
  | { readonly kind: "observed"; readonly name: string; readonly info: ContainerInfo | undefined; readonly error?: unknown }
  | { readonly kind: "done"; readonly name: string; readonly action: RuntimeAction; readonly result?: ActionResult; readonly error?: unknown }
  | { readonly kind: "resync" }
  | { readonly kind: "tick" }
  | { readonly kind: "cleanup-due" }
  | { readonly kind: "cleaned"; readonly error?: unknown };

type ActionResult =
  | { readonly action: "resolve-image"; readonly image?: ImageInfo; readonly auth?: RegistryCredentials }
  | { readonly action: "pull-image"; readonly imageId?: string; readonly digest?: string; readonly pullStartedAt: Date; readonly pullStoppedAt: Date }
  | { readonly action: "create"; readonly id: string }
  | { readonly action: "start" | "stop"; readonly info: ContainerInfo | undefined };

class Mailbox<T> {
  private readonly items: T[] = [];
  private waiter: ((m: T) => void) | undefined;

  post(m: T): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(m);
    } else this.items.push(m);
  }

  take(signal: AbortSignal): Promise<T> {
    const next = this.items.shift();
    if (next !== undefined) return Promise.resolve(next);
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        this.waiter = undefined;
        reject(signal.reason as Error);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiter = (m) => {
        signal.removeEventListener("abort", onAbort);
        resolve(m);
      };
    });
  }
}

export class TaskOwner {
  readonly taskArn: string;
  private clusterArn: string;
  private assigned: AssignedTask | undefined;
  /** Invariant: moves only from RUNNING to STOPPED; written by this loop alone (from the control plane's wish or the agent's own decision). */
  private desired: DesiredStatus = "RUNNING";
  /** Invariant: moves only forward (taskKnownStatus never returns an earlier status). */
  private known: Status = "NONE";
  private stopReason: string | undefined;
  /** No longer assigned: stop, remove, and report nothing. */
  private orphan = false;
  private readonly containers: ContainerState[] = [];
  private networkModeSeen: NetworkMode | undefined;
  private pullStartedAt: Date | undefined;
  private pullStoppedAt: Date | undefined;
  private executionStoppedAt: Date | undefined;
  private cleanup: "none" | "scheduled" | "running" | "done" = "none";
  private wakeAt: number | undefined;
  private readonly mailbox = new Mailbox<Message>();
  private readonly inflight = new Set<Promise<unknown>>();
  private loop: Promise<void> | undefined;
  private lastHealth: string | undefined;
  /** The version of the task document last posted to the mailbox. */
  private assignedVersion: number | undefined;

  /**
   * The owner's own signal, aborted with the engine's. Its mailbox and Docker calls
   * add and remove abort listeners all the time, and Node searches a signal's
   * listeners on every add and remove: on the engine's signal, which every task's
   * long waits (a container's exit) also listen to, that search grew with the
   * number of tasks.
   */
  private readonly signal: AbortSignal;
  private readonly untie: () => void;

  private constructor(
    private readonly ctx: EngineContext,
    taskArn: string,
    clusterArn: string,
    engineSignal: AbortSignal,
  ) {
    this.taskArn = taskArn;
    this.clusterArn = clusterArn;
    const own = new AbortController();
    const abort = (): void => own.abort(engineSignal.reason);
    if (engineSignal.aborted) abort();
    else engineSignal.addEventListener("abort", abort, { once: true });
    this.signal = own.signal;
    this.untie = () => engineSignal.removeEventListener("abort", abort);
  }

  static forAssigned(ctx: EngineContext, assigned: AssignedTask, signal: AbortSignal): TaskOwner {
    const owner = new TaskOwner(ctx, assigned.task.taskArn ?? "", assigned.task.clusterArn ?? "", signal);
    owner.assign(assigned);
    return owner;
  }

  /**
   * An owner rebuilt from Docker after an agent restart: the containers found
   * (already inspected), and the task's full container list from their labels.
   * It can observe and stop before the control plane re-sends the definition.
   */
  static forAdopted(ctx: EngineContext, taskArn: string, found: readonly ContainerInfo[], signal: AbortSignal): TaskOwner {
    const first = found[0];
    const owner = new TaskOwner(ctx, taskArn, first?.labels[labels.cluster] ?? "", signal);
    const memo = parseTaskContainersMemo(first?.labels[labels.taskContainers]);
    const pause = found.find((f) => f.labels[labels.role] === "pause");
    if (pause) owner.containers.push(owner.newContainer(pauseContainerName, "pause", false, pauseImageTag, pause.name));
    for (const m of memo) owner.containers.push(owner.newContainer(m.name, "app", m.essential, "", ""));
    for (const info of found) {
      const name = info.labels[labels.containerName] ?? "";
      let c = owner.containers.find((x) => x.name === name);
      if (!c) {
        c = owner.newContainer(name, "app", info.labels[labels.essential] !== "false", info.image, info.name);
        owner.containers.push(c);
      }
      c.dockerName = info.name;
      c.image = info.image;
      c.token = info.labels[labels.metadataToken] ?? c.token;
      c.labels = info.labels;
      owner.applyObservation(c, info);
      if (c.bound.length) ctx.ports.adopt(taskArn, c.bound.map((b) => ({ containerPort: b.containerPort, hostPort: b.hostPort, protocol: b.protocol })));
    }
    owner.networkModeSeen = pause ? "awsvpc" : modeFromDocker(first?.networkMode);
    // Everything observed already; the first loop pass reports it.
    owner.mailbox.post({ kind: "tick" });
    return owner;
  }

  run(): Promise<void> {
    this.loop ??= this.runLoop();
    return this.loop;
  }

  post(m: Message): void {
    this.mailbox.post(m);
  }

  assign(assigned: AssignedTask): void {
    // The control plane sends its whole set on every change: a task document it has not changed since (same version) tells nothing new.
    const version = assigned.task.version;
    if (version !== undefined && version === this.assignedVersion) return;
    this.assignedVersion = version;
    this.post({ kind: "assign", assigned });
  }

  unassign(): void {
    this.post({ kind: "unassign" });
  }

  event(containerName: string | undefined, containerId: string, action: string): void {
    this.post({ kind: "event", ...(containerName ? { containerName } : {}), containerId, action });
  }

  resync(): void {
    this.post({ kind: "resync" });
  }

  hasToken(token: string): boolean {
    return this.containers.some((c) => c.token === token);
  }

  private async runLoop(): Promise<void> {
    try {
      for (;;) {
        const m = await this.mailbox.take(this.signal);
        this.apply(m);
        if (this.cleanup === "done") break;
        this.progress();
        this.publish();
        // After publishing, so the cleanup grace counts from the STOPPED report the control plane accepts.
        if (this.known === "STOPPED") this.scheduleCleanup();
      }
    } catch (err) {
      if (!this.signal.aborted) this.ctx.log.error({ err, taskArn: this.taskArn }, "task owner stopped unexpectedly");
    }
    await Promise.allSettled([...this.inflight]);
    this.untie();
  }

  private newContainer(name: string, role: "app" | "pause", essential: boolean, image: string, dockerName: string): ContainerState {
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

  private get networkMode(): NetworkMode {
    if (this.assigned) return taskNetworkMode(this.assigned.taskDefinition);
    return this.networkModeSeen ?? "bridge";
  }

  // ---- applying messages (the only writes) ----

  private apply(m: Message): void {
    switch (m.kind) {
      case "assign":
        return this.applyAssign(m.assigned);
      case "unassign":
        this.orphan = true;
        this.desired = "STOPPED";
        this.ctx.reports.forget(this.taskArn);
        // A stopped task waiting out its cleanup grace is removed now: nobody will ask about it again.
        if (this.cleanup === "scheduled") this.post({ kind: "cleanup-due" });
        return;
      case "event": {
        const c = this.containers.find((x) => (m.containerName !== undefined && x.name === m.containerName) || x.runtimeId === m.containerId);
        // Docker sends the start event before its start call returns: the start action's own inspect, made after that, tells more.
        if (c && !(m.action === "start" && c.acting === "start")) this.observe(c);
        return;
      }
      case "observed": {
        const c = this.containers.find((x) => x.name === m.name);
        if (!c) return;
        c.observing = false;
        if (m.error === undefined) this.applyObservation(c, m.info);
        if (c.observeAgain) {
          c.observeAgain = false;
          this.observe(c);
        }
        return;
      }
      case "done":
        return this.applyDone(m);
      case "resync":
        for (const c of this.containers) if (c.runtimeId && c.known !== "STOPPED") this.observe(c);
        return;
      case "tick":
        return;
      case "cleanup-due":
        if (this.cleanup === "scheduled") this.startCleanup();
        return;
      case "cleaned":
        if (m.error !== undefined && !isAbortError(m.error)) {
          this.ctx.log.warn({ err: m.error, taskArn: this.taskArn }, "cleanup failed; retrying");
          this.cleanup = "scheduled";
          this.later(30_000, { kind: "cleanup-due" });
          return;
        }
        this.cleanup = "done";
        this.ctx.reports.forget(this.taskArn);
        this.ctx.ports.release(this.taskArn);
        this.ctx.onDone(this.taskArn);
        return;
    }
  }

  private applyAssign(assigned: AssignedTask): void {
    const { task, taskDefinition: td } = assigned;
    this.assigned = assigned;
    this.clusterArn = task.clusterArn ?? this.clusterArn;
    // What the control plane already shows is not worth a report: as ECS's agent, report when a status moves.
    this.ctx.reports.shown(this.taskArn, {
      cluster: this.clusterArn,
      task: this.taskArn,
      ...(task.lastStatus ? { status: task.lastStatus } : {}),
      containers: (task.containers ?? []).map((c) => ({ containerName: c.name, ...(c.lastStatus ? { status: c.lastStatus } : {}) })),
    });
    if (task.desiredStatus === "STOPPED" || task.lastStatus === "STOPPED") this.desired = "STOPPED";
    let mode: NetworkMode;
    try {
      mode = taskNetworkMode(td);
    } catch (err) {
      this.failTask(`CannotCreateContainerError: ${(err as Error).message}`);
      return;
    }
    if (mode === "awsvpc" && !this.containers.some((c) => c.role === "pause")) {
      this.containers.unshift(this.newContainer(pauseContainerName, "pause", false, pauseImageTag, dockerContainerName(this.ctx.agentId, task, td, pauseContainerName)));
    }
    for (const raw of td.containerDefinitions ?? []) {
      const def = applyOverrides(raw, task);
      const name = def.name ?? "";
      let c = this.containers.find((x) => x.name === name && x.role === "app");
      if (!c) {
        c = this.newContainer(name, "app", def.essential !== false, def.image ?? "", dockerContainerName(this.ctx.agentId, task, td, name));
        this.containers.push(c);
      }
      c.def = def;
      c.essential = def.essential !== false;
      c.image = def.image ?? c.image;
      if (!c.dockerName) c.dockerName = dockerContainerName(this.ctx.agentId, task, td, name);
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
  private failTask(reason: string): void {
    this.stopReason ??= reason;
    this.desired = "STOPPED";
    for (const c of this.containers) if (!c.created) c.reason ??= reason;
  }

  private applyObservation(c: ContainerState, info: ContainerInfo | undefined): void {
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
      c.healthSince = this.ctx.clock.now();
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

  private applyDone(m: Extract<Message, { kind: "done" }>): void {
    const c = this.containers.find((x) => x.name === m.name);
    if (!c) return;
    c.acting = undefined;
    if (m.error !== undefined) {
      if (this.signal.aborted) return;
      const message = m.error instanceof Error ? m.error.message : JSON.stringify(m.error);
      if (m.action === "stop") {
        // Stopping must eventually happen: retry with backoff (Docker may be restarting).
        c.failures += 1;
        c.notBefore = this.ctx.clock.now().getTime() + Math.min(30_000, 1000 * 2 ** c.failures);
        this.ctx.log.warn({ err: m.error, taskArn: this.taskArn, container: c.name }, "stop failed; retrying");
        return;
      }
      const prefix =
        m.error instanceof ResourceInitError
          ? "ResourceInitializationError"
          : m.action === "resolve-image" || m.action === "pull-image"
            ? "CannotPullContainerError"
            : m.action === "create"
              ? "CannotCreateContainerError"
              : "CannotStartContainerError";
      c.reason ??= `${prefix}: ${message}`;
      c.known = "STOPPED";
      this.ctx.log.warn({ taskArn: this.taskArn, container: c.name, reason: c.reason }, "container failed");
      return;
    }
    const r = m.result;
    if (!r) return;
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
        this.pullStartedAt ??= r.pullStartedAt;
        if (!this.pullStoppedAt || r.pullStoppedAt > this.pullStoppedAt) this.pullStoppedAt = r.pullStoppedAt;
        c.known = laterOf(c.known, "PULLED");
        return;
      case "create":
        c.runtimeId = r.id;
        c.created = true;
        c.known = laterOf(c.known, "CREATED");
        return;
      case "start":
        if (r.info) this.applyObservation(c, r.info);
        else c.known = laterOf(c.known, "RUNNING");
        return;
      case "stop":
        this.applyObservation(c, r.info);
        return;
    }
  }

  // ---- deciding ----

  private view(c: ContainerState): ContainerView {
    const def = c.def;
    return {
      name: c.name,
      role: c.role,
      essential: c.essential,
      known: c.known,
      desired: this.desired,
      created: c.created,
      started: c.started,
      ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
      hasHealthCheck: def ? def.healthCheck !== undefined : c.health !== undefined,
      ...(c.health ? { health: c.health } : {}),
      dependsOn: def?.dependsOn ?? [],
      volumesFrom: (def?.volumesFrom ?? []).map((v) => v.sourceContainer ?? ""),
      links: this.networkMode === "bridge" ? (def?.links ?? []).map((l) => l.split(":")[0] ?? "") : [],
      ...(c.waitingSince !== undefined ? { waitingSince: c.waitingSince } : {}),
      startTimeoutMs: (def?.startTimeout ?? this.ctx.startTimeoutSeconds) * 1000,
    };
  }

  private progress(): void {
    const now = this.ctx.clock.now().getTime();
    // Bookkeeping moves (no action) may unblock others: repeat until nothing moves.
    for (let round = 0; round < 50; round++) {
      if (this.desired === "RUNNING") {
        const reason = taskStopReason(this.containers.map((c) => this.view(c)));
        if (reason) {
          this.desired = "STOPPED";
          this.stopReason ??= reason;
        }
      }
      let moved = false;
      for (const c of this.containers) {
        if (c.acting) continue;
        const task = { containers: this.containers.map((x) => this.view(x)), now };
        const t = nextTransition(this.view(c), task);
        if (!t) {
          c.waitingSince = undefined;
          continue;
        }
        if (t.waitsOn.length > 0) {
          if (t.target !== "STOPPED") c.waitingSince ??= now;
          continue;
        }
        c.waitingSince = undefined;
        if (!t.action) {
          c.known = t.target;
          if (t.reason) c.reason ??= t.reason;
          moved = true;
          continue;
        }
        if (c.notBefore !== undefined && c.notBefore > now) continue;
        // Without its definition (adopted, not yet re-sent) a task can only be observed and stopped.
        if (!this.assigned && t.action !== "stop") continue;
        this.dispatch(c, t.action);
      }
      if (!moved) break;
    }
    this.known = taskKnownStatus(
      this.containers.map((c) => this.view(c)),
      this.known,
    );
    if (this.known === "STOPPED") {
      this.executionStoppedAt ??= this.latestFinish() ?? this.ctx.clock.now();
      this.ctx.ports.release(this.taskArn);
    }
    this.scheduleWake(now);
  }

  private latestFinish(): Date | undefined {
    let latest: Date | undefined;
    for (const c of this.containers) if (c.finishedAt && (!latest || c.finishedAt > latest)) latest = c.finishedAt;
    return latest;
  }

  /** Wakes the loop for the earliest startTimeout deadline or retry time. */
  private scheduleWake(now: number): void {
    let next: number | undefined;
    for (const c of this.containers) {
      if (c.waitingSince !== undefined) {
        const deadline = c.waitingSince + (c.def?.startTimeout ?? this.ctx.startTimeoutSeconds) * 1000;
        next = next === undefined ? deadline : Math.min(next, deadline);
      }
      if (c.notBefore !== undefined && !c.acting) next = next === undefined ? c.notBefore : Math.min(next, c.notBefore);
    }
    if (next === undefined || (this.wakeAt !== undefined && this.wakeAt <= next && this.wakeAt > now)) return;
    this.wakeAt = next;
    this.later(Math.max(0, next - now), { kind: "tick" }, () => {
      if (this.wakeAt === next) this.wakeAt = undefined;
    });
  }

  private later(ms: number, m: Message, before?: () => void): void {
    this.track(
      this.ctx.clock.sleep(ms, this.signal).then(
        () => {
          before?.();
          this.post(m);
        },
        () => {},
      ),
    );
  }

  private track(p: Promise<unknown>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private scheduleCleanup(): void {
    if (this.cleanup !== "none") return;
    this.cleanup = "scheduled";
    if (this.orphan) {
      this.post({ kind: "cleanup-due" });
      return;
    }
    // ECS keeps a stopped task's containers (and logs) for a grace period after the control plane has the STOPPED report.
    this.track(
      this.ctx.reports
        .whenAccepted(this.taskArn, (c) => c.status === "STOPPED")
        .then(() => this.ctx.clock.sleep(this.ctx.cleanupWaitMs, this.signal))
        .then(
          () => this.post({ kind: "cleanup-due" }),
          () => {},
        ),
    );
  }

  private startCleanup(): void {
    this.cleanup = "running";
    const ids = this.containers.filter((c) => c.role === "app" && c.runtimeId).map((c) => c.runtimeId as string);
    const pause = this.containers.find((c) => c.role === "pause")?.runtimeId;
    const { runtime, agentId } = this.ctx;
    const signal = this.signal;
    const taskArn = this.taskArn;
    this.track(
      (async () => {
        for (const id of ids) await runtime.removeContainer(id, { force: true, volumes: true }, signal);
        if (pause) await runtime.removeContainer(pause, { force: true, volumes: true }, signal);
        for (const v of await runtime.listVolumes({ [labels.agent]: agentId, [labels.taskArn]: taskArn, "berth.scope": "task" }, signal)) {
          await runtime.removeVolume(v.name, signal);
        }
      })().then(
        () => this.post({ kind: "cleaned" }),
        (error: unknown) => this.post({ kind: "cleaned", error }),
      ),
    );
  }

  // ---- acting (reads captured state, never writes it) ----

  private observe(c: ContainerState): void {
    if (!c.runtimeId && !c.dockerName) return;
    if (c.observing) {
      c.observeAgain = true;
      return;
    }
    c.observing = true;
    const ref = c.runtimeId ?? c.dockerName;
    const name = c.name;
    this.track(
      this.ctx.runtime.inspectContainer(ref, this.signal).then(
        (info) => this.post({ kind: "observed", name, info }),
        (error: unknown) => this.post({ kind: "observed", name, info: undefined, error }),
      ),
    );
  }

  private dispatch(c: ContainerState, action: RuntimeAction): void {
    c.acting = action;
    const name = c.name;
    this.track(
      this.act(c, action).then(
        (result) => this.post({ kind: "done", name, action, result }),
        (error: unknown) => this.post({ kind: "done", name, action, error }),
      ),
    );
  }

  private act(c: ContainerState, action: RuntimeAction): Promise<ActionResult> {
    switch (action) {
      case "resolve-image":
        return this.resolveImage(c);
      case "pull-image":
        return this.pullImage(c);
      case "create":
        return c.role === "pause" ? this.createPause(c) : this.createApp(c);
      case "start":
        return this.start(c);
      case "stop":
        return this.stop(c);
    }
  }

  private async resolveImage(c: ContainerState): Promise<ActionResult> {
    const { runtime, registryAuth, images } = this.ctx;
    if (c.role === "pause") {
      await ensurePauseImage(runtime, this.ctx.dockerArch, this.signal);
      return { action: "resolve-image" };
    }
    const ref = c.image;
    const image = await images.lookup(ref, () => runtime.inspectImage(ref, this.signal));
    const auth = registryAuth ? await registryAuth(ref) : undefined;
    return { action: "resolve-image", ...(image ? { image } : {}), ...(auth ? { auth } : {}) };
  }

  private async pullImage(c: ContainerState): Promise<ActionResult> {
    const { runtime, clock, pulledImages, images } = this.ctx;
    const pullStartedAt = clock.now();
    const ref = c.image;
    const auth = c.auth;
    const plan = c.role === "pause" ? "cached" : pullPlan(this.ctx.pullBehavior, c.cachedImage !== undefined, pulledImages.has(ref));
    let image: ImageInfo | undefined;
    if (plan === "cached") {
      // The pause image is ensured, not resolved; an app image was looked up a moment ago.
      image = c.cachedImage ?? (await images.lookup(ref, () => runtime.inspectImage(ref, this.signal)));
    } else {
      const outcome = await images.pull(ref, auth, async () => {
        let error: Error | undefined;
        await runtime.pullImage(ref, auth, this.signal).catch((err: unknown) => (error = err instanceof Error ? err : new Error(String(err))));
        return { ...(error ? { error } : {}), image: await runtime.inspectImage(ref, this.signal) };
      });
      if (!outcome.error) pulledImages.add(ref);
      else if (plan === "pull" || this.signal.aborted) throw outcome.error;
      else this.ctx.log.info({ image: ref, err: outcome.error }, "pull failed; using the cached image");
      image = outcome.image;
    }
    if (!image) throw new DockerRuntimeError("not-found", `image ${ref} is not present after the pull step`);
    const digest = imageDigest(image, ref);
    return { action: "pull-image", imageId: image.id, ...(digest ? { digest } : {}), pullStartedAt, pullStoppedAt: clock.now() };
  }

  private async createPause(c: ContainerState): Promise<ActionResult> {
    const assigned = this.assigned as AssignedTask;
    const network = this.ctx.awsvpcNetwork;
    if (!network) throw new ContainerConfigError("this agent has no awsvpc network configured (awsvpc.subnet)");
    const attachment = awsvpcAttachment(assigned.task);
    if (!attachment) throw new ContainerConfigError("the task has no ElasticNetworkInterface attachment with a privateIPv4Address");
    const spec = pauseSpec({ agentId: this.ctx.agentId, task: assigned.task, taskDefinition: assigned.taskDefinition, image: pauseImageTag, network: network.name, attachment });
    return { action: "create", id: await this.createOrAdopt(c, spec) };
  }

  private async createApp(c: ContainerState): Promise<ActionResult> {
    const { task, taskDefinition: td } = this.assigned as AssignedTask;
    const def = c.def as ContainerDefinition;
    const mode = this.networkMode;
    const { runtime, agentId } = this.ctx;

    const volumeSources: Record<string, VolumeSource> = {};
    for (const mp of def.mountPoints ?? []) {
      const name = mp.sourceVolume ?? "";
      const volume = td.volumes?.find((v) => v.name === name);
      if (!volume || volumeSources[name]) continue;
      const plan = planVolume(agentId, task, td, volume);
      if (plan.kind === "bind") {
        volumeSources[name] = plan;
        continue;
      }
      const existing = await runtime.inspectVolume(plan.name, this.signal);
      if (!existing) {
        if (!plan.autoprovision) throw new ResourceInitError(`volume ${plan.name} does not exist and autoprovision is false`);
        await runtime.createVolume(
          {
            name: plan.name,
            ...(plan.driver ? { driver: plan.driver } : {}),
            ...(plan.driverOpts ? { driverOpts: plan.driverOpts } : {}),
            labels: {
              ...(plan.labels ?? {}),
              [labels.agent]: agentId,
              [labels.role]: "volume",
              "berth.scope": plan.scope,
              ...(plan.scope === "task" ? { [labels.taskArn]: task.taskArn ?? "" } : {}),
            },
          },
          this.signal,
        );
      }
      volumeSources[name] = { kind: "volume", name: plan.name };
    }

    const fileEnvironment: KeyValuePair[] = [];
    for (const f of def.environmentFiles ?? []) {
      let path: string;
      try {
        path = envFilePath(f.value);
      } catch (err) {
        throw new ResourceInitError((err as Error).message);
      }
      const content = await this.ctx.readEnvFile(path).catch((err: unknown) => {
        throw new ResourceInitError(`cannot read environment file ${path}: ${(err as Error).message}`);
      });
      fileEnvironment.push(...parseEnvFile(content));
    }

    const secretEnvironment: KeyValuePair[] = [];
    for (const s of def.secrets ?? []) {
      if (!this.ctx.resolveSecret) throw new ResourceInitError(`secret ${s.name}: this agent cannot resolve secrets`);
      const value = await this.ctx.resolveSecret(s.valueFrom, task).catch((err: unknown) => {
        throw new ResourceInitError(`secret ${s.name} (${s.valueFrom}): ${(err as Error).message}`);
      });
      secretEnvironment.push({ name: s.name, value });
    }

    let hostPorts: PortChoice[] = [];
    const requests = portRequests(def, mode);
    if (requests.length) {
      const inUse = requests.some((r) => !r.hostPort) ? await this.ctx.hostPortsInUse(this.signal) : new Set<string>();
      hostPorts = this.ctx.ports.reserve(this.taskArn, requests, inUse);
    }

    const pause = this.containers.find((x) => x.role === "pause");
    const metadata = this.metadataUris(c.token, mode);
    const spec = containerSpec({
      agentId,
      task,
      taskDefinition: td,
      container: def,
      networkMode: mode,
      hostPorts,
      ...(pause?.runtimeId ? { pauseContainerId: pause.runtimeId } : {}),
      dockerNames: Object.fromEntries(this.containers.map((x) => [x.name, x.dockerName])),
      volumeSources,
      fileEnvironment,
      secretEnvironment,
      ...(metadata ? { metadata } : {}),
      metadataToken: c.token,
      region: this.ctx.region,
    });
    return { action: "create", id: await this.createOrAdopt(c, spec) };
  }

  private metadataUris(token: string, mode: NetworkMode): { v4: string; v3: string } | undefined {
    const port = this.ctx.metadataPort;
    if (port === undefined) return undefined;
    // The address a container can reach the host's endpoint at, from inside its network.
    const host = mode === "bridge" ? (this.ctx.bridgeGateway ?? "172.17.0.1") : mode === "awsvpc" ? (this.ctx.awsvpcNetwork?.gateway ?? "127.0.0.1") : "127.0.0.1";
    return { v4: `http://${host}:${port}/v4/${token}`, v3: `http://${host}:${port}/v3/${token}` };
  }

  /** Creates the container; if its (deterministic) name is taken by this very container, adopts it instead of duplicating. */
  private async createOrAdopt(c: ContainerState, spec: Parameters<DockerRuntime["createContainer"]>[1]): Promise<string> {
    try {
      return await this.ctx.runtime.createContainer(c.dockerName, spec, this.signal);
    } catch (err) {
      if (!(err instanceof DockerRuntimeError && err.kind === "conflict")) throw err;
      const existing = await this.ctx.runtime.inspectContainer(c.dockerName, this.signal);
      const mine =
        existing &&
        existing.labels[labels.agent] === this.ctx.agentId &&
        existing.labels[labels.taskArn] === this.taskArn &&
        existing.labels[labels.containerName] === c.name;
      if (!mine) throw err;
      return existing.id;
    }
  }

  private async start(c: ContainerState): Promise<ActionResult> {
    const id = c.runtimeId as string;
    await this.ctx.runtime.startContainer(id, this.signal);
    return { action: "start", info: await this.ctx.runtime.inspectContainer(id, this.signal) };
  }

  /** The stop signal, then SIGKILL once the stop timeout passes (ECS_CONTAINER_STOP_TIMEOUT, or the container's stopTimeout). */
  private async stop(c: ContainerState): Promise<ActionResult> {
    const { runtime } = this.ctx;
    const id = c.runtimeId as string;
    if (c.role === "pause") {
      // It waits for signals as PID 1 without handlers, so only SIGKILL ends it.
      await runtime.killContainer(id, "SIGKILL", this.signal);
    } else {
      const timeoutMs = (c.def?.stopTimeout ?? c.stopTimeout ?? this.ctx.stopTimeoutSeconds) * 1000;
      await runtime.killContainer(id, c.stopSignal ?? "SIGTERM", this.signal);
      if (!(await this.waitExit(id, timeoutMs))) {
        this.ctx.log.info({ taskArn: this.taskArn, container: c.name, timeoutMs }, "stop timeout passed; sending SIGKILL");
        await runtime.killContainer(id, "SIGKILL", this.signal);
      }
    }
    if (!(await this.waitExit(id, 60_000))) throw new Error(`container ${c.name} did not exit after SIGKILL`);
    return { action: "stop", info: await runtime.inspectContainer(id, this.signal) };
  }

  private async waitExit(id: string, ms: number): Promise<boolean> {
    const done = new AbortController();
    const signal = AbortSignal.any([this.signal, done.signal]);
    try {
      return await Promise.race([
        this.ctx.runtime.waitContainer(id, signal).then(
          () => true,
          (err: unknown) => {
            // A container removed meanwhile has exited too.
            if (err instanceof DockerRuntimeError && err.kind === "not-found") return true;
            throw err;
          },
        ),
        this.ctx.clock.sleep(ms, signal).then(() => false),
      ]);
    } finally {
      done.abort();
    }
  }

  // ---- telling ----

  private publish(): void {
    if (this.orphan || this.cleanup === "done") return;
    this.ctx.reports.update(this.taskArn, this.report());
    const health = this.health();
    const key = JSON.stringify(health);
    if (key !== this.lastHealth) {
      this.lastHealth = key;
      this.ctx.onHealth?.(health);
    }
  }

  report(): SubmitTaskStateChangeRequest {
    const apps = this.containers.filter((c) => c.role === "app");
    const mode = this.networkMode;
    const attachment = this.assigned ? awsvpcAttachment(this.assigned.task) : undefined;
    const pause = this.containers.find((c) => c.role === "pause");
    return {
      cluster: this.clusterArn,
      task: this.taskArn,
      status: apiStatus(this.known),
      ...(this.known === "STOPPED" && this.stopReason ? { reason: this.stopReason } : {}),
      containers: apps.map((c) => {
        const bindings: NetworkBinding[] = c.known === "RUNNING" ? networkBindings(mode, c.def ?? {}, c.bound) : [];
        return {
          containerName: c.name,
          ...(c.runtimeId ? { runtimeId: c.runtimeId } : {}),
          status: apiStatus(c.known),
          ...(c.known === "STOPPED" && c.started && c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
          ...(c.reason ? { reason: c.reason } : {}),
          ...(bindings.length ? { networkBindings: bindings } : {}),
          ...(c.imageDigest ? { imageDigest: c.imageDigest } : {}),
        };
      }),
      ...(this.pullStartedAt ? { pullStartedAt: this.pullStartedAt } : {}),
      ...(this.pullStoppedAt ? { pullStoppedAt: this.pullStoppedAt } : {}),
      ...(this.executionStoppedAt ? { executionStoppedAt: this.executionStoppedAt } : {}),
      ...(attachment?.attachmentId && pause && pause.known !== "NONE" && pause.known !== "MANIFEST_PULLED" && pause.known !== "PULLED" && pause.known !== "CREATED"
        ? { attachments: [{ attachmentArn: attachment.attachmentId, status: pause.known === "RUNNING" ? "ATTACHED" : "DETACHED" }] }
        : {}),
    };
  }

  /** Task and container health, as ECS's agent sends it on its telemetry channel (SubmitTaskStateChange has no health). */
  health(): TaskHealthReport {
    return {
      taskArn: this.taskArn,
      healthStatus: taskHealth(this.containers.map((c) => this.view(c))),
      containers: this.containers.filter((c) => c.role === "app" && c.health).map((c) => ({ name: c.name, healthStatus: c.health as HealthStatus })),
    };
  }

  snapshot(): TaskSnapshot {
    const task = this.assigned?.task;
    const td = this.assigned?.taskDefinition;
    const attachment = task ? awsvpcAttachment(task) : undefined;
    const mode = this.networkMode;
    const cpu = Number(task?.overrides?.cpu ?? td?.cpu ?? task?.cpu);
    const memory = parseTaskMemoryMiB(task?.overrides?.memory ?? td?.memory ?? task?.memory);
    const serviceName = task?.group?.startsWith("service:") ? task.group.slice("service:".length) : undefined;
    const containers: ContainerSnapshot[] = this.containers.map((c) => {
      const log = c.def && task ? logSettings(c.def, task, this.ctx.region) : undefined;
      return {
        name: c.name,
        role: c.role,
        essential: c.essential,
        ...(c.containerArn ? { containerArn: c.containerArn } : {}),
        ...(c.runtimeId ? { dockerId: c.runtimeId } : {}),
        dockerName: c.dockerName,
        image: c.image,
        ...(c.imageId ? { imageId: c.imageId } : {}),
        ...(c.imageDigest ? { imageDigest: c.imageDigest } : {}),
        labels: c.labels,
        desired: this.desired,
        known: c.known,
        ...(c.exitCode !== undefined && c.known === "STOPPED" ? { exitCode: c.exitCode } : {}),
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.health ? { health: c.health } : {}),
        ...(c.healthSince ? { healthSince: c.healthSince } : {}),
        cpu: c.def?.cpu ?? 0,
        ...(c.def?.memory !== undefined ? { memory: c.def.memory } : {}),
        ...(c.createdAt ? { createdAt: c.createdAt } : {}),
        ...(c.startedAt ? { startedAt: c.startedAt } : {}),
        ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
        networkBindings: c.known === "RUNNING" ? networkBindings(mode, c.def ?? {}, c.bound) : [],
        ...(log?.logConfig ? { logDriver: c.def?.logConfiguration?.logDriver ?? log.logConfig.Type, logOptions: c.def?.logConfiguration?.options ?? log.logConfig.Config } : {}),
        ipv4Addresses: mode === "awsvpc" && attachment ? [attachment.ipv4Address] : c.ipv4,
        metadataToken: c.token,
      };
    });
    return {
      taskArn: this.taskArn,
      clusterArn: this.clusterArn,
      family: td?.family ?? "",
      revision: String(td?.revision ?? ""),
      networkMode: mode,
      desired: this.desired,
      known: this.known,
      ...(this.stopReason ? { stopReason: this.stopReason } : {}),
      health: taskHealth(this.containers.map((c) => this.view(c))),
      limits: { ...(Number.isFinite(cpu) && cpu > 0 ? { cpu: cpu / 1024 } : {}), ...(memory ? { memory } : {}) },
      ...(this.pullStartedAt ? { pullStartedAt: this.pullStartedAt } : {}),
      ...(this.pullStoppedAt ? { pullStoppedAt: this.pullStoppedAt } : {}),
      ...(this.executionStoppedAt ? { executionStoppedAt: this.executionStoppedAt } : {}),
      ...(task?.availabilityZone ? { availabilityZone: task.availabilityZone } : {}),
      ...(task?.launchType ? { launchType: task.launchType } : {}),
      ...(serviceName ? { serviceName } : {}),
      tags: Object.fromEntries((task?.tags ?? []).map((t) => [t.key ?? "", t.value ?? ""])),
      ...(attachment
        ? {
            awsvpc: {
              ipv4Address: attachment.ipv4Address,
              ...(attachment.macAddress ? { macAddress: attachment.macAddress } : {}),
              ...(this.ctx.awsvpcNetwork?.subnet ? { subnetCidr: this.ctx.awsvpcNetwork.subnet } : {}),
              ...(this.ctx.awsvpcNetwork?.gateway ? { gateway: this.ctx.awsvpcNetwork.gateway } : {}),
            },
          }
        : {}),
      containers,
    };
  }
}

function modeFromDocker(mode: string | undefined): NetworkMode {
  if (!mode || mode === "default" || mode === "bridge") return "bridge";
  if (mode === "host" || mode === "none") return mode;
  if (mode.startsWith("container:")) return "awsvpc";
  return "bridge";
}
