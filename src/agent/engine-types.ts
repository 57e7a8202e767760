// The boundary between the agent's link to the control plane and its task
// engine: what the engine is asked to make true, and how it says what happened.

import type { SubmitTaskStateChangeRequest } from "../model/generated/ecs.js";
import type { AssignedTask } from "../protocol/channel.js";

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
