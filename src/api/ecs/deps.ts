// What the ECS handlers are given: the store, plus the request's scope from the edge.

import type { Store } from "../../store/store.js";
import type { Handlers } from "../../edge/json-protocol.js";
import type { Operations } from "../../model/generated/ecs.js";

export interface EcsDeps {
  readonly store: Store;
}

export type EcsHandlers = Handlers<Operations>;
