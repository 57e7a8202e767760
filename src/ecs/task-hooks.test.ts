// The hook point: transitions are published once their transaction commits, never
// for one that rolled back, one per task, and a subscriber that throws harms no one.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Task } from "../model/generated/ecs.js";
import type { Store, Tx } from "../store/store.js";
import { definedMembers, type Loose } from "./defined-members.js";
import { concernsServices, instancesToTell, TaskHooks, type TaskChangeBatch } from "./task-hooks.js";

/** A store whose transaction "commits" when its function returns and rolls back when it throws. */
function fakeStore(log: string[]): Store {
  const tx = {} as Tx;
  return {
    tx: async <T>(fn: (t: Tx) => Promise<T>): Promise<T> => {
      const out = await fn(tx);
      log.push("commit");
      return out;
    },
  } as Store;
}

const task = (arn: string, over: Loose<Partial<Task>> = {}): Task =>
  definedMembers<Task>({
    taskArn: arn,
    lastStatus: "PENDING",
    desiredStatus: "RUNNING",
    containerInstanceArn: "arn:i/1",
    ...over,
  });

describe("task hooks", () => {
  it("publish after the commit, one transition per task, and nothing for a rolled-back transaction", async () => {
    const log: string[] = [];
    const hooks = new TaskHooks(fakeStore(log), (err) => assert.ifError(err));
    const heard: TaskChangeBatch[] = [];
    hooks.subscribe((batch) => {
      log.push("published");
      heard.push(batch);
    });
    const a = task("arn:t/a");
    await hooks.tx("request", (_tx, changes) => {
      changes.record(undefined, a);
      changes.record(a, { ...a, lastStatus: "RUNNING" });
      changes.record(undefined, task("arn:t/b"));
      log.push("wrote");
      return Promise.resolve();
    });
    assert.deepEqual(log, ["wrote", "commit", "published"]);
    assert.deepEqual(heard[0]?.transitions, [{ after: { ...a, lastStatus: "RUNNING" } }, { after: task("arn:t/b") }]);
    await assert.rejects(
      hooks.tx("request", (_tx, changes) => {
        changes.record(undefined, task("arn:t/c"));
        return Promise.reject(new Error("rolled back"));
      }),
    );
    assert.equal(heard.length, 1);
  });

  it("carry on past a subscriber that throws", async () => {
    const failures: unknown[] = [];
    const hooks = new TaskHooks(fakeStore([]), (err) => failures.push(err));
    let heard = 0;
    hooks.subscribe(() => {
      throw new Error("subscriber bug");
    });
    hooks.subscribe(() => heard++);
    await hooks.tx("request", (_tx, changes) => Promise.resolve(changes.record(undefined, task("arn:t/a"))));
    assert.equal(heard, 1);
    assert.equal(failures.length, 1);
  });

  it("tell an agent of tasks that arrive or are told to stop, not of its own reports", () => {
    const running = task("arn:t/a", { lastStatus: "RUNNING" });
    const batch = (before: Task | undefined, after: Task): TaskChangeBatch => ({ origin: "request", transitions: [before ? { before, after } : { after }] });
    assert.deepEqual(instancesToTell(batch(undefined, task("arn:t/n"))), ["arn:i/1"]);
    assert.deepEqual(instancesToTell(batch(running, { ...running, desiredStatus: "STOPPED", lastStatus: "STOPPING" })), ["arn:i/1"]);
    assert.deepEqual(instancesToTell(batch(task("arn:t/a"), running)), []);
    assert.deepEqual(instancesToTell(batch(running, { ...running, desiredStatus: "STOPPED", lastStatus: "STOPPED" })), []);
    assert.deepEqual(instancesToTell(batch(undefined, task("arn:t/w", { containerInstanceArn: undefined }))), []);
  });

  it("nudge the service scheduler for service tasks it did not change itself", () => {
    const svcTask = task("arn:t/s", { group: "service:web" });
    const moved = { before: svcTask, after: { ...svcTask, lastStatus: "RUNNING" } };
    assert.equal(concernsServices({ origin: "request", transitions: [moved] }), true);
    assert.equal(concernsServices({ origin: "service-scheduler", transitions: [moved] }), false);
    assert.equal(concernsServices({ origin: "request", transitions: [{ before: svcTask, after: { ...svcTask, healthStatus: "HEALTHY" } }] }), false);
    assert.equal(concernsServices({ origin: "agent", transitions: [{ before: svcTask, after: { ...svcTask, healthStatus: "UNHEALTHY" } }] }), true);
    assert.equal(concernsServices({ origin: "request", transitions: [{ after: task("arn:t/r", { group: "family:web" }) }] }), false);
  });
});
