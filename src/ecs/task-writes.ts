// Every task write of the domain: new tasks, a waiting task placed, an event applied.
// Each records its transition in the transaction's TaskChanges, so the hooks hear of
// all of them (task-hooks.ts).

import type { Task } from "../model/generated/ecs.js";
import type { Tx } from "../store/store.js";
import { applyTaskEvent, type TaskEvent } from "./task-lifecycle.js";
import type { TaskChanges } from "./task-hooks.js";

/** Writes new tasks and their tags. */
export async function insertTasks(tx: Tx, changes: TaskChanges, tasks: readonly Task[]): Promise<void> {
  for (const t of tasks) {
    await tx.insertTask(t);
    if (t.tags && t.tags.length > 0) await tx.putTags(t.taskArn!, t.tags);
    changes.record(undefined, t);
  }
}

/** Writes a new version of a task the caller read in this transaction. */
export async function updateTask(tx: Tx, changes: TaskChanges, before: Task, after: Task): Promise<void> {
  await tx.putTask(after);
  changes.record(before, after);
}

/** Applies an event to a task and writes it; returns the task after the event, or undefined when there is no such task. */
export async function changeTask(tx: Tx, changes: TaskChanges, arn: string, event: TaskEvent, now: Date): Promise<Task | undefined> {
  const task = await tx.getTask(arn);
  if (!task) return undefined;
  const next = applyTaskEvent(task, event, now);
  if (next !== task) await updateTask(tx, changes, task, next);
  return next;
}
