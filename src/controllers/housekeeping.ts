// Housekeeping, two loops: tasks waiting in PROVISIONING for capacity (FARGATE
// with no capacity yet) are placed as soon as some appears; and what ECS stops
// showing an hour after it ended is forgotten then: STOPPED tasks, deleted
// (INACTIVE) services and clusters, deregistered container instances.

import type { Logger } from "pino";
import type { Subsystem } from "../subsystem.js";
import type { Clock } from "../clock.js";
import type { TaskHooks } from "../ecs/task-hooks.js";
import { placeWaitingTask } from "../ecs/task-launch.js";
import type { Store, Tx } from "../store/store.js";

export interface HousekeepingDeps {
  readonly store: Store;
  /** Placing a waiting task goes through them, so its agent hears of it once the placement commits. */
  readonly hooks: TaskHooks;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly placeEveryMs?: number;
  readonly forgetEveryMs?: number;
  /** How long a STOPPED task, or an INACTIVE service, cluster or container instance, stays describable. */
  readonly keepMs?: number;
}

/** ECS keeps stopped tasks describable for about an hour, and deleted resources "for a period of time": Berth, an hour for all. */
export const keptAfterEndMs = 60 * 60 * 1000;

/** Resources forgotten per transaction, so a backlog never holds the writer long. */
const batch = 100;

/** What one pass forgot. */
export interface Forgotten {
  readonly tasks: number;
  readonly services: number;
  readonly containerInstances: number;
  readonly clusters: number;
}

/** Runs a forgetting step in transactions of `batch` until it finds no more; returns how many it forgot. */
async function inBatches(store: Store, step: (tx: Tx) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await store.tx(step);
    total += n;
    if (n < batch) return total;
  }
}

/**
 * Forgets what ended (STOPPED, INACTIVE) before `cutoff`. Services and container
 * instances go before clusters: a cluster is forgotten only once nothing stored names
 * it, so one whose last service or instance goes in this pass goes with them.
 */
export async function forgetEnded(store: Store, cutoff: Date): Promise<Forgotten> {
  const tasks = await store.tx((tx) => tx.purgeStoppedTasks(cutoff));
  const services = await inBatches(store, (tx) => tx.services.forgetServices(cutoff, batch));
  const containerInstances = await inBatches(store, (tx) => tx.forgetContainerInstances(cutoff, batch));
  const clusters = await inBatches(store, (tx) => tx.forgetClusters(cutoff, batch));
  return { tasks, services, containerInstances, clusters };
}

export function housekeepingSubsystem(deps: HousekeepingDeps): Subsystem {
  const timers: NodeJS.Timeout[] = [];
  let running: Promise<void> = Promise.resolve();
  // One pass at a time: a slow pass is never overlapped by the next.
  const every = (ms: number, pass: () => Promise<void>): void => {
    const t = setInterval(() => {
      running = running.then(pass).catch((err: unknown) => deps.logger.error({ err }, "housekeeping failed"));
    }, ms);
    t.unref();
    timers.push(t);
  };

  async function placeWaiting(): Promise<void> {
    const waiting = await deps.store.tx((tx) => tx.waitingTasks(50));
    for (const task of waiting) {
      await deps.hooks.tx("housekeeping", async (tx, changes) => {
        const current = await tx.getTask(task.taskArn!);
        if (current) await placeWaitingTask(tx, changes, current, deps.clock.now());
      });
    }
  }

  async function forget(): Promise<void> {
    const forgotten = await forgetEnded(deps.store, new Date(deps.clock.now().getTime() - (deps.keepMs ?? keptAfterEndMs)));
    if (Object.values(forgotten).some((n) => n > 0)) deps.logger.info({ forgotten }, "forgot what ended an hour ago");
  }

  return {
    start() {
      every(deps.placeEveryMs ?? 1000, placeWaiting);
      every(deps.forgetEveryMs ?? 5 * 60 * 1000, forget);
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      await running;
    },
  };
}
