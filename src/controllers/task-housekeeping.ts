// Two loops over tasks: tasks waiting in PROVISIONING for capacity (FARGATE
// with no capacity yet) are placed as soon as some appears, and stopped tasks are
// forgotten once ECS would forget them (they stay describable for an hour).

import type { Logger } from "pino";
import type { Subsystem } from "../subsystem.js";
import type { Clock } from "../clock.js";
import type { TaskHooks } from "../ecs/task-hooks.js";
import { placeWaitingTask } from "../ecs/task-launch.js";
import type { Store } from "../store/store.js";

export interface HousekeepingDeps {
  readonly store: Store;
  /** Placing a waiting task goes through them, so its agent hears of it once the placement commits. */
  readonly hooks: TaskHooks;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly placeEveryMs?: number;
  readonly purgeEveryMs?: number;
  /** How long a STOPPED task stays describable. */
  readonly keepStoppedMs?: number;
}

export function taskHousekeepingSubsystem(deps: HousekeepingDeps): Subsystem {
  const timers: NodeJS.Timeout[] = [];
  let running: Promise<void> = Promise.resolve();
  // One pass at a time: a slow pass is never overlapped by the next.
  const every = (ms: number, pass: () => Promise<void>): void => {
    const t = setInterval(() => {
      running = running.then(pass).catch((err: unknown) => deps.logger.error({ err }, "task housekeeping failed"));
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

  async function purge(): Promise<void> {
    const cutoff = new Date(deps.clock.now().getTime() - (deps.keepStoppedMs ?? 60 * 60 * 1000));
    const n = await deps.store.tx((tx) => tx.purgeStoppedTasks(cutoff));
    if (n > 0) deps.logger.info({ purged: n }, "forgot stopped tasks");
  }

  return {
    start() {
      every(deps.placeEveryMs ?? 1000, placeWaiting);
      every(deps.purgeEveryMs ?? 5 * 60 * 1000, purge);
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      await running;
    },
  };
}
