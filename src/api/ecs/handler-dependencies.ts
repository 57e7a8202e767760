// What the ECS handlers are given: the store, the task hooks their task writes go
// through (they tell the agents and the service scheduler once a change commits),
// and the service scheduler, to nudge when a service changes.

import type { Store } from "../../store/store.js";
import type { Handlers } from "../../edge/json-protocol.js";
import type { Operations } from "../../model/generated/ecs.js";
import type { TaskHooks } from "../../ecs/task-hooks.js";

/** The service scheduler as the API sees it: "a service changed, look now". */
export interface ServiceScheduler {
  /** Asks for a pass soon; the scheduler also looks on its own, so a lost nudge only costs latency. */
  prod(): void;
}

export interface EcsDeps {
  readonly store: Store;
  readonly hooks: TaskHooks;
  readonly serviceScheduler: ServiceScheduler;
  /** This Berth's URL as clients reach it (DiscoverPollEndpoint); known once the edge listens. */
  readonly endpoint: () => string;
  /** Placement's source of randomness (the random strategy); tests pass a seeded one. */
  readonly random?: () => number;
}

export type EcsHandlers = Handlers<Operations>;
