// The lifecycle table: forward only, stop codes as ECS sets them, STOPPED final.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Task } from "../model/generated/ecs.js";
import { definedMembers, type Loose } from "./defined-members.js";
import { applyTaskEvent, taskStatuses } from "./task-lifecycle.js";

const t0 = new Date(1_000_000);
const t1 = new Date(2_000_000);

function task(over: Loose<Partial<Task>> = {}): Task {
  return definedMembers<Task>({
    taskArn: "arn:aws:ecs:us-east-1:000000000000:task/c/1",
    containerInstanceArn: "arn:i",
    lastStatus: "PENDING",
    desiredStatus: "RUNNING",
    version: 1,
    containers: [{ name: "app", lastStatus: "PENDING" }],
    ...over,
  });
}

describe("applyTaskEvent", () => {
  it("RUNNING sets startedAt and connectivity, once", () => {
    const running = applyTaskEvent(task(), { kind: "report", status: "RUNNING" }, t0);
    assert.equal(running.lastStatus, "RUNNING");
    assert.deepEqual(running.startedAt, t0);
    assert.equal(running.connectivity, "CONNECTED");
    assert.equal(running.version, 2);
    const again = applyTaskEvent(running, { kind: "report", status: "RUNNING" }, t1);
    assert.deepEqual(again.startedAt, t0);
  });

  it("never moves backwards, for tasks or containers", () => {
    const running = applyTaskEvent(
      task(),
      { kind: "report", status: "RUNNING", containers: [{ containerName: "app", status: "RUNNING" }] },
      t0,
    );
    const back = applyTaskEvent(
      running,
      { kind: "report", status: "PENDING", containers: [{ containerName: "app", status: "PENDING" }] },
      t1,
    );
    assert.equal(back.lastStatus, "RUNNING");
    assert.equal(back.containers?.[0]?.lastStatus, "RUNNING");
  });

  it("a stop of a placed task asks the agent (STOPPING); of an unplaced one, ends it at once", () => {
    const stopping = applyTaskEvent(task(), { kind: "stop", code: "UserInitiated", reason: "bye" }, t0);
    assert.equal(stopping.desiredStatus, "STOPPED");
    assert.equal(stopping.lastStatus, "STOPPING");
    assert.deepEqual(stopping.stoppingAt, t0);
    const unplaced = applyTaskEvent(task({ containerInstanceArn: undefined, lastStatus: "PROVISIONING" }), { kind: "stop", code: "UserInitiated", reason: "bye" }, t0);
    assert.equal(unplaced.lastStatus, "STOPPED");
    assert.deepEqual(unplaced.stoppedAt, t0);
    assert.equal(unplaced.containers?.[0]?.lastStatus, "STOPPED");
  });

  it("names why a task stopped: user, essential exit, failure to start", () => {
    const user = applyTaskEvent(
      applyTaskEvent(task(), { kind: "stop", code: "UserInitiated", reason: "bye" }, t0),
      { kind: "report", status: "STOPPED", containers: [{ containerName: "app", status: "STOPPED", exitCode: 143 }] },
      t1,
    );
    assert.equal(user.stopCode, "UserInitiated");
    assert.equal(user.stoppedReason, "bye");
    assert.equal(user.containers?.[0]?.exitCode, 143);

    const exited = applyTaskEvent(task(), { kind: "report", status: "STOPPED", containers: [{ containerName: "app", exitCode: 3 }] }, t1);
    assert.equal(exited.stopCode, "EssentialContainerExited");
    assert.equal(exited.stoppedReason, "Essential container in task exited");

    const failed = applyTaskEvent(task(), { kind: "report", status: "STOPPED", reason: "CannotPullContainerError: no such image" }, t1);
    assert.equal(failed.stopCode, "TaskFailedToStart");
    assert.equal(failed.stoppedReason, "CannotPullContainerError: no such image");
  });

  it("a STOPPED task never changes again", () => {
    const stopped = applyTaskEvent(task(), { kind: "report", status: "STOPPED" }, t0);
    assert.equal(applyTaskEvent(stopped, { kind: "report", status: "RUNNING" }, t1), stopped);
    assert.equal(applyTaskEvent(stopped, { kind: "stop", code: "UserInitiated", reason: "x" }, t1), stopped);
    assert.equal(applyTaskEvent(stopped, { kind: "health", healthStatus: "HEALTHY", containers: [] }, t1), stopped);
  });

  it("health sets the task's and each reported container's status; the same health changes nothing", () => {
    const healthy = applyTaskEvent(task(), { kind: "health", healthStatus: "HEALTHY", containers: [{ name: "app", healthStatus: "HEALTHY" }, { name: "gone", healthStatus: "UNHEALTHY" }] }, t0);
    assert.equal(healthy.healthStatus, "HEALTHY");
    assert.deepEqual(healthy.containers, [{ name: "app", lastStatus: "PENDING", healthStatus: "HEALTHY" }]);
    assert.equal(healthy.version, 2);
    assert.equal(applyTaskEvent(healthy, { kind: "health", healthStatus: "HEALTHY", containers: [{ name: "app", healthStatus: "HEALTHY" }] }, t1), healthy);
  });

  it("lists ECS's statuses in lifecycle order", () => {
    assert.deepEqual([...taskStatuses], ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"]);
  });
});
