// What the ECS handlers are given: the store, and a way to tell agents that
// their instance's tasks changed (the agent hub pushes them the new set).

import type { Store } from "../../store/store.js";
import type { Handlers } from "../../edge/json-protocol.js";
import type { Operations } from "../../model/generated/ecs.js";

export interface InstanceNotifier {
  /** Called after a transaction that changed tasks on these instances has committed. */
  tasksChanged(containerInstanceArns: readonly string[]): void;
}

export interface EcsDeps {
  readonly store: Store;
  readonly notifier: InstanceNotifier;
  /** Placement's source of randomness (the random strategy); tests pass a seeded one. */
  readonly random?: () => number;
}

export type EcsHandlers = Handlers<Operations>;
