import type { Area } from "../area.js";
import type { InstanceNotifier } from "../api/ecs/deps.js";
import type { Store } from "../store/store.js";

export interface ServiceControllerDeps {
  readonly store: Store;
  readonly notifier: InstanceNotifier;
}

/** The service scheduler's loops, started with the control plane. */
export function serviceControllerArea(_deps: ServiceControllerDeps): Area {
  return {};
}
