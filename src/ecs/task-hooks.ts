// The task lifecycle's hook point: every task write of the domain records the
// task before and after it; once the transaction that made them commits, the
// transitions go to every subscriber (the service scheduler's nudge, the agent
// hub's push, and whatever comes later: load balancers, Cloud Map, events, metrics).
//
//   hooks.tx(fn) ─ store.tx { domain writes ─ changes.record(before, after) } ─ commit ─ publish ─ subscribers
//                                                                   └ rolled back: nothing is published

import type { Task } from "../model/generated/ecs.js";
import type { Store, Tx } from "../store/store.js";

/** One task's change in a transaction: its state before the transaction (none for a new task) and after it. */
export interface TaskTransition {
  readonly before?: Task;
  readonly after: Task;
}

/** Who made a transaction's changes, so a subscriber can pass over the ones it made itself. */
export type ChangeOrigin = "request" | "service-scheduler" | "housekeeping" | "agent";

/** What one committed transaction did to tasks. */
export interface TaskChangeBatch {
  readonly origin: ChangeOrigin;
  /** One per task, in the order the transaction first wrote each. */
  readonly transitions: readonly TaskTransition[];
}

export type TaskSubscriber = (batch: TaskChangeBatch) => void;

/** The transitions one transaction makes; the domain's task writes record into it. */
export class TaskChanges {
  private readonly byArn = new Map<string, TaskTransition>();

  /** Records a write; a task written twice keeps its first `before` and its last `after`. */
  record(before: Task | undefined, after: Task): void {
    const arn = after.taskArn!;
    const earlier = this.byArn.get(arn);
    const from = earlier ? earlier.before : before;
    this.byArn.set(arn, from ? { before: from, after } : { after });
  }

  get transitions(): readonly TaskTransition[] {
    return [...this.byArn.values()];
  }
}

/** Says that the tasks an agent should run have changed (the agent hub pushes it the new set). */
export interface InstanceNotifier {
  /** Called after a transaction that changed tasks on these instances has committed. */
  tasksChanged(containerInstanceArns: readonly string[]): void;
}

/**
 * The publisher: runs transactions that change tasks and, after each commits, hands its
 * transitions to the subscribers, synchronously and in the order they subscribed.
 * Invariant: nothing is published inside a transaction or for one that rolled back.
 */
export class TaskHooks {
  private readonly subscribers = new Set<TaskSubscriber>();

  /** `failed` hears of a subscriber that threw; the publisher and the other subscribers carry on. */
  constructor(
    private readonly store: Store,
    private readonly failed: (err: unknown) => void,
  ) {}

  /** Adds a subscriber; returns the unsubscribe. */
  subscribe(fn: TaskSubscriber): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** Runs `fn` in one store transaction and publishes the task transitions it recorded once it commits. */
  async tx<T>(origin: ChangeOrigin, fn: (tx: Tx, changes: TaskChanges) => Promise<T>): Promise<T> {
    const changes = new TaskChanges();
    const out = await this.store.tx((tx) => fn(tx, changes));
    const transitions = changes.transitions;
    if (transitions.length > 0) this.publish({ origin, transitions });
    return out;
  }

  private publish(batch: TaskChangeBatch): void {
    for (const fn of this.subscribers) {
      try {
        fn(batch);
      } catch (err) {
        this.failed(err);
      }
    }
  }
}

/**
 * The instances whose agents must hear of a batch: a task arrived on the instance, or the
 * control plane told a task there to stop. An agent's own reports change nothing it has to hear.
 */
export function instancesToTell(batch: TaskChangeBatch): string[] {
  const out = new Set<string>();
  for (const { before, after } of batch.transitions) {
    const instance = after.containerInstanceArn;
    if (!instance) continue;
    const arrived = before?.containerInstanceArn !== instance;
    const toldToStop = after.desiredStatus === "STOPPED" && before?.desiredStatus !== "STOPPED" && after.lastStatus !== "STOPPED";
    if (arrived || toldToStop) out.add(instance);
  }
  return [...out];
}

/**
 * Whether a batch is news to the service scheduler: a service's task was created, moved on,
 * was told to stop or turned UNHEALTHY (the scheduler replaces it), by someone other than the scheduler itself.
 */
export function concernsServices(batch: TaskChangeBatch): boolean {
  if (batch.origin === "service-scheduler") return false;
  return batch.transitions.some(
    ({ before, after }) =>
      (after.group ?? "").startsWith("service:") &&
      (!before ||
        before.lastStatus !== after.lastStatus ||
        before.desiredStatus !== after.desiredStatus ||
        (after.healthStatus === "UNHEALTHY" && before.healthStatus !== "UNHEALTHY")),
  );
}
