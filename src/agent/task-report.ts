// What a task says of itself to the control plane: its state change (ECS's
// SubmitTaskStateChange) and its health (the channel's `health` message).

import type { HealthStatus, NetworkBinding, SubmitTaskStateChangeRequest } from "../model/generated/ecs.js";
import type { TaskHealth } from "../protocol/channel.js";
import { awsvpcAttachment, networkBindings } from "./container-config.js";
import { containerView, networkModeOf, type TaskReading } from "./owned-task.js";
import { apiStatus, taskHealth } from "./task-state-machine.js";

export function stateChange(task: TaskReading): SubmitTaskStateChangeRequest {
  const apps = task.containers.filter((c) => c.role === "app");
  const mode = networkModeOf(task);
  const attachment = task.assigned ? awsvpcAttachment(task.assigned.task) : undefined;
  const pause = task.containers.find((c) => c.role === "pause");
  return {
    cluster: task.clusterArn,
    task: task.taskArn,
    status: apiStatus(task.known),
    ...(task.known === "STOPPED" && task.stopReason ? { reason: task.stopReason } : {}),
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
    ...(task.pullStartedAt ? { pullStartedAt: task.pullStartedAt } : {}),
    ...(task.pullStoppedAt ? { pullStoppedAt: task.pullStoppedAt } : {}),
    ...(task.executionStoppedAt ? { executionStoppedAt: task.executionStoppedAt } : {}),
    ...(attachment?.attachmentId && pause && pause.known !== "NONE" && pause.known !== "MANIFEST_PULLED" && pause.known !== "PULLED" && pause.known !== "CREATED"
      ? { attachments: [{ attachmentArn: attachment.attachmentId, status: pause.known === "RUNNING" ? "ATTACHED" : "DETACHED" }] }
      : {}),
  };
}

/** Task and container health, as ECS's agent sends it on its telemetry channel (SubmitTaskStateChange has no health). */
export function healthOf(task: TaskReading, startTimeoutSeconds: number): TaskHealth {
  return {
    taskArn: task.taskArn,
    healthStatus: taskHealth(task.containers.map((c) => containerView(task, c, startTimeoutSeconds))),
    containers: task.containers.filter((c) => c.role === "app" && c.health).map((c) => ({ name: c.name, healthStatus: c.health as HealthStatus })),
  };
}
