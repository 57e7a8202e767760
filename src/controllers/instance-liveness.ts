// Host loss: an instance whose agent has been away longer than the timeout is
// declared lost, and its live tasks are marked STOPPED (nobody is left to stop
// them), so services replace them elsewhere. A deregistered instance's tasks go
// the same way at once. When the agent was away is kept in the store, so a
// control plane restart does not restart the clock.

import type { ContainerInstance } from "../model/generated/ecs.js";
import type { TaskChanges } from "../ecs/task-hooks.js";
import { changeTask } from "../ecs/task-writes.js";
import type { Tx } from "../store/store.js";

export interface Liveness {
  /** When the agent was first seen away; undefined while it is connected. */
  readonly disconnectedSince?: Date;
  /** Whether its tasks are to be declared lost now. */
  readonly lost: boolean;
}

/** What one look at an instance decides. Invariant: a connected ACTIVE/DRAINING instance is never lost. */
export function livenessOf(instance: ContainerInstance, since: Date | undefined, now: Date, lostAfterMs: number): Liveness {
  if (instance.status === "INACTIVE") return { lost: true };
  if (instance.agentConnected) return { lost: false };
  const from = since ?? now;
  return { disconnectedSince: from, lost: now.getTime() - from.getTime() >= lostAfterMs };
}

export const lostReason = (instanceArn: string, seconds: number): string =>
  `Host (container instance ${instanceArn.slice(instanceArn.lastIndexOf("/") + 1)}) lost: its agent has been disconnected for more than ${seconds} seconds.`;
export const deregisteredReason = (instanceArn: string): string =>
  `Container instance ${instanceArn.slice(instanceArn.lastIndexOf("/") + 1)} was deregistered.`;

/** Checks every instance of the cluster; returns how many tasks were declared lost. */
export async function checkInstances(tx: Tx, changes: TaskChanges, clusterArn: string, now: Date, lostAfterMs: number): Promise<number> {
  let lostTasks = 0;
  for (let after: string | undefined, more = true; more; ) {
    const page = await tx.listContainerInstances(clusterArn, { limit: 100, ...(after ? { after } : {}) });
    for (const i of page.items) {
      const arn = i.containerInstanceArn!;
      const since = await tx.services.disconnectedSince(arn);
      const l = livenessOf(i, since, now, lostAfterMs);
      if (l.disconnectedSince?.getTime() !== since?.getTime()) await tx.services.setDisconnectedSince(arn, l.disconnectedSince);
      if (!l.lost) continue;
      const reason = i.status === "INACTIVE" ? deregisteredReason(arn) : lostReason(arn, lostAfterMs / 1000);
      for (const t of await tx.liveTasksOnInstance(arn)) {
        // Nobody will report this task again: it stops here and now.
        await changeTask(tx, changes, t.taskArn!, { kind: "stop", code: "TerminationNotice", reason }, now);
        await changeTask(tx, changes, t.taskArn!, { kind: "report", status: "STOPPED", reason }, now);
        lostTasks++;
      }
    }
    after = page.next;
    more = page.next !== undefined;
  }
  return lostTasks;
}
