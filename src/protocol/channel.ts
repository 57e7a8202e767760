// The agent channel: how an agent joins, where it holds its WebSocket, and the
// messages both ends send on it. Documents on the socket are encoded with
// doc-codec.ts, so Dates cross as Dates.

import type { HealthStatus, Task, TaskDefinition } from "../model/generated/ecs.js";

/** POST with `authorization: Bearer <join token>` → JoinResponse. */
export const joinPath = "/agent/v1/join";
/** WebSocket upgrade, `?containerInstance=<ARN>`, with the same bearer token. */
export const connectPath = "/agent/v1/connect";

/** The agent's own narrow key pair, and where it is. */
export interface JoinResponse {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly accountId: string;
}

/**
 * A task the control plane placed on this instance, with its definition.
 * `task.desiredStatus` is RUNNING or STOPPED; for awsvpc tasks the ENI attachment
 * (`task.attachments`, type ElasticNetworkInterface) carries the private IP the
 * control plane chose from this instance's awsvpc subnet.
 */
export interface AssignedTask {
  readonly task: Task;
  readonly taskDefinition: TaskDefinition;
}

/** One task's health: the task's and each container's with a health check. */
export interface TaskHealth {
  readonly taskArn: string;
  readonly healthStatus: HealthStatus;
  readonly containers: readonly { readonly name: string; readonly healthStatus: HealthStatus }[];
}

/** Control plane → agent: the complete set of tasks the instance should hold (level-triggered). */
export type HubMessage = { readonly type: "tasks"; readonly tasks: readonly AssignedTask[] };

/** Agent → control plane: health that changed (SubmitTaskStateChange has no health field). */
export type AgentMessage = { readonly type: "health"; readonly tasks: readonly TaskHealth[] };
