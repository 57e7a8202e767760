// The boundary between the agent's link to the control plane and its task
// engine: what the engine is asked to make true, and how it says what happened.

import type { SubmitTaskStateChangeRequest, Task, TaskDefinition } from "../model/generated/ecs.js";

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

/** How the engine reports: the ECS agent's own SubmitTaskStateChange. */
export interface StateReporter {
  submitTaskStateChange(change: SubmitTaskStateChangeRequest): Promise<void>;
}

export interface TaskEngine {
  /** Finds this agent's containers (by label) and adopts them; reports what changed while it was away. */
  start(): Promise<void>;
  /**
   * Level-triggered: the complete set of tasks this instance should hold.
   * Tasks absent from the set and still running on the host are stopped.
   */
  reconcile(tasks: readonly AssignedTask[]): void;
  /** Stops the engine's loops; containers keep running (an agent restart must not touch them). */
  stop(): Promise<void>;
}

/** Attributes an agent sets, one per launch type its capacity serves: berth.launch-type.EC2, …FARGATE, …EXTERNAL. */
export const launchTypeAttributePrefix = "berth.launch-type.";
/** The attribute an agent sets to the CIDR of its awsvpc network, from which the control plane picks task IPs. */
export const awsvpcSubnetAttribute = "berth.awsvpc-subnet";
