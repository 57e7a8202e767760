// One task's owner: a mailbox and a loop that is the only writer of the task's
// state. Each message (desired state, a Docker event, an action's result, a
// timer) is applied, then the state machine says what to do next; actions run
// concurrently and post their results back to the mailbox.
//
//   post(message) ─► mailbox ─► apply (writes) ─► progress: nextTransition per container
//        ▲                                           │ bookkeeping moves, or dispatch(action)
//        └──────── "done" / "observed" / timers ◄────┘ task-actions.ts (reads only)
//   then publish: task-report.ts → the report queue and onHealth

import type { AssignedTask, TaskHealth } from "../protocol/channel.js";
import { isAbortError } from "./agent-clock.js";
import { labels, parseTaskContainersMemo, pauseContainerName } from "./container-config.js";
import type { ContainerInfo } from "./docker-runtime.js";
import type { EngineContext } from "./engine-context.js";
import { Mailbox } from "./mailbox.js";
import {
  applyAssigned,
  applyObservation,
  applyResult,
  containerView,
  modeFromDocker,
  newContainerState,
  newTaskState,
  type ActionResult,
  type ContainerState,
  type TaskState,
} from "./owned-task.js";
import { pauseImageTag } from "./pause-image.js";
import { failureReason, removeTask, runAction, type ActionScope } from "./task-actions.js";
import { healthOf, stateChange } from "./task-report.js";
import { snapshotOf, type TaskSnapshot } from "./task-snapshot.js";
import { nextTransition, taskKnownStatus, taskStopReason, type ContainerView, type RuntimeAction } from "./task-state-machine.js";

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

export class TaskOwner {
  readonly taskArn: string;
  /** Invariant: written only while the loop applies a message (apply, progress); actions, reports and the snapshot read it. */
  private readonly task: TaskState;
  /** No longer assigned: stop, remove, and report nothing. */
  private orphan = false;
  private cleanup: "none" | "scheduled" | "running" | "done" = "none";
  private wakeAt: number | undefined;
  private readonly mailbox = new Mailbox<Message>();
  private readonly inflight = new Set<Promise<unknown>>();
  private loop: Promise<void> | undefined;
  private lastHealth: string | undefined;
  /** The version of the task document last posted to the mailbox. */
  private assignedVersion: number | undefined;
  private readonly scope: ActionScope;

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
    this.task = newTaskState(taskArn, clusterArn);
    const own = new AbortController();
    const abort = (): void => own.abort(engineSignal.reason);
    if (engineSignal.aborted) abort();
    else engineSignal.addEventListener("abort", abort, { once: true });
    this.signal = own.signal;
    this.untie = () => engineSignal.removeEventListener("abort", abort);
    this.scope = { ctx, signal: this.signal, task: this.task };
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
    const { containers } = owner.task;
    const memo = parseTaskContainersMemo(first?.labels[labels.taskContainers]);
    const pause = found.find((f) => f.labels[labels.role] === "pause");
    if (pause) containers.push(newContainerState(pauseContainerName, "pause", false, pauseImageTag, pause.name));
    for (const m of memo) containers.push(newContainerState(m.name, "app", m.essential, "", ""));
    for (const info of found) {
      const name = info.labels[labels.containerName] ?? "";
      let c = containers.find((x) => x.name === name);
      if (!c) {
        c = newContainerState(name, "app", info.labels[labels.essential] !== "false", info.image, info.name);
        containers.push(c);
      }
      c.dockerName = info.name;
      c.image = info.image;
      c.token = info.labels[labels.metadataToken] ?? c.token;
      c.labels = info.labels;
      applyObservation(c, info, ctx.clock);
      if (c.bound.length) ctx.ports.adopt(taskArn, c.bound.map((b) => ({ containerPort: b.containerPort, hostPort: b.hostPort, protocol: b.protocol })));
    }
    owner.task.networkModeSeen = pause ? "awsvpc" : modeFromDocker(first?.networkMode);
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
    return this.task.containers.some((c) => c.token === token);
  }

  /** Task and container health, as the channel's `health` message carries it. */
  health(): TaskHealth {
    return healthOf(this.task, this.ctx.startTimeoutSeconds);
  }

  snapshot(): TaskSnapshot {
    return snapshotOf(this.task, this.ctx);
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
        if (this.task.known === "STOPPED") this.scheduleCleanup();
      }
    } catch (err) {
      if (!this.signal.aborted) this.ctx.log.error({ err, taskArn: this.taskArn }, "task owner stopped unexpectedly");
    }
    await Promise.allSettled([...this.inflight]);
    this.untie();
  }

  // ---- applying messages (the only writes) ----

  private apply(m: Message): void {
    const { containers } = this.task;
    switch (m.kind) {
      case "assign":
        return this.applyAssign(m.assigned);
      case "unassign":
        this.orphan = true;
        this.task.desired = "STOPPED";
        this.ctx.reports.forget(this.taskArn);
        // A stopped task waiting out its cleanup grace is removed now: nobody will ask about it again.
        if (this.cleanup === "scheduled") this.post({ kind: "cleanup-due" });
        return;
      case "event": {
        const c = containers.find((x) => (m.containerName !== undefined && x.name === m.containerName) || x.runtimeId === m.containerId);
        // Docker sends the start event before its start call returns: the start action's own inspect, made after that, tells more.
        if (c && !(m.action === "start" && c.acting === "start")) this.observe(c);
        return;
      }
      case "observed": {
        const c = containers.find((x) => x.name === m.name);
        if (!c) return;
        c.observing = false;
        if (m.error === undefined) applyObservation(c, m.info, this.ctx.clock);
        if (c.observeAgain) {
          c.observeAgain = false;
          this.observe(c);
        }
        return;
      }
      case "done":
        return this.applyDone(m);
      case "resync":
        for (const c of containers) if (c.runtimeId && c.known !== "STOPPED") this.observe(c);
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
    const { task } = assigned;
    // What the control plane already shows is not worth a report: as ECS's agent, report when a status moves.
    this.ctx.reports.shown(this.taskArn, {
      cluster: task.clusterArn ?? this.task.clusterArn,
      task: this.taskArn,
      ...(task.lastStatus ? { status: task.lastStatus } : {}),
      containers: (task.containers ?? []).map((c) => ({ ...(c.name === undefined ? {} : { containerName: c.name }), ...(c.lastStatus ? { status: c.lastStatus } : {}) })),
    });
    applyAssigned(this.task, assigned, this.ctx.agentId);
  }

  private applyDone(m: Extract<Message, { kind: "done" }>): void {
    const c = this.task.containers.find((x) => x.name === m.name);
    if (!c) return;
    c.acting = undefined;
    if (m.error !== undefined) {
      if (this.signal.aborted) return;
      if (m.action === "stop") {
        // Stopping must eventually happen: retry with backoff (Docker may be restarting).
        c.failures += 1;
        c.notBefore = this.ctx.clock.now().getTime() + Math.min(30_000, 1000 * 2 ** c.failures);
        this.ctx.log.warn({ err: m.error, taskArn: this.taskArn, container: c.name }, "stop failed; retrying");
        return;
      }
      c.reason ??= failureReason(m.action, m.error);
      c.known = "STOPPED";
      this.ctx.log.warn({ taskArn: this.taskArn, container: c.name, reason: c.reason }, "container failed");
      return;
    }
    if (m.result) applyResult(this.task, c, m.result, this.ctx.clock);
  }

  // ---- deciding ----

  private progress(): void {
    const owned = this.task;
    const now = this.ctx.clock.now().getTime();
    const views = (): ContainerView[] => owned.containers.map((x) => containerView(owned, x, this.ctx.startTimeoutSeconds));
    // Bookkeeping moves (no action) may unblock others: repeat until nothing moves.
    for (let round = 0; round < 50; round++) {
      if (owned.desired === "RUNNING") {
        const reason = taskStopReason(views());
        if (reason) {
          owned.desired = "STOPPED";
          owned.stopReason ??= reason;
        }
      }
      let moved = false;
      for (const c of owned.containers) {
        if (c.acting) continue;
        const t = nextTransition(containerView(owned, c, this.ctx.startTimeoutSeconds), { containers: views(), now });
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
        if (!owned.assigned && t.action !== "stop") continue;
        this.dispatch(c, t.action);
      }
      if (!moved) break;
    }
    owned.known = taskKnownStatus(views(), owned.known);
    if (owned.known === "STOPPED") {
      owned.executionStoppedAt ??= this.latestFinish() ?? this.ctx.clock.now();
      this.ctx.ports.release(this.taskArn);
    }
    this.scheduleWake(now);
  }

  private latestFinish(): Date | undefined {
    let latest: Date | undefined;
    for (const c of this.task.containers) if (c.finishedAt && (!latest || c.finishedAt > latest)) latest = c.finishedAt;
    return latest;
  }

  /** Wakes the loop for the earliest startTimeout deadline or retry time. */
  private scheduleWake(now: number): void {
    let next: number | undefined;
    for (const c of this.task.containers) {
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

  // ---- acting: started here, performed by task-actions.ts, results posted back ----

  private startCleanup(): void {
    this.cleanup = "running";
    this.track(
      removeTask(this.scope).then(
        () => this.post({ kind: "cleaned" }),
        (error: unknown) => this.post({ kind: "cleaned", error }),
      ),
    );
  }

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
      runAction(this.scope, c, action).then(
        (result) => this.post({ kind: "done", name, action, result }),
        (error: unknown) => this.post({ kind: "done", name, action, error }),
      ),
    );
  }

  // ---- telling ----

  private publish(): void {
    if (this.orphan || this.cleanup === "done") return;
    this.ctx.reports.update(this.taskArn, stateChange(this.task));
    const health = this.health();
    const key = JSON.stringify(health);
    if (key !== this.lastHealth) {
      this.lastHealth = key;
      this.ctx.onHealth?.(health);
    }
  }
}
