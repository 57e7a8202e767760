// A subsystem of Berth (ECS, logs, the registry, …) as the control plane assembles it:
// the APIs it serves on the edge and the background loops it runs.

import type { Logger } from "pino";
import type { Clock } from "./clock.js";
import type { KeyRing } from "./edge/access-keys.js";
import type { ServedApi } from "./edge/json-protocol.js";
import type { HttpRoute, UpgradeRoute } from "./edge/server.js";
import type { Store } from "./store/store.js";

export interface SubsystemDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly dataDir: string;
  readonly accountId: string;
  readonly region: string;
  readonly keys: KeyRing;
  /** host:port clients use to reach the edge (for repository URIs and the like); known once it listens. */
  readonly publicHost: () => string;
}

export interface Subsystem {
  readonly apis?: readonly ServedApi[];
  readonly routes?: readonly HttpRoute[];
  readonly upgrades?: readonly UpgradeRoute[];
  /** Starts background loops (retention, garbage collection, …) once the edge listens. */
  start?(): void;
  /** Stops them; resolves when they have finished their current step. */
  stop?(): Promise<void>;
}
