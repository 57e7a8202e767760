// A nudge from the API to the service controller of the same process: "something
// changed, look now" (CreateService, UpdateService, DeleteService). The controller
// is level-triggered and also looks on its own every interval, so a lost nudge
// only costs latency. Keyed by store: each control plane in a process (tests run
// several) has its own.

import type { Store } from "../store/store.js";

const listeners = new WeakMap<Store, Set<() => void>>();

export function prodServiceController(store: Store): void {
  for (const fn of listeners.get(store) ?? []) fn();
}

/** Subscribes; returns the unsubscribe. */
export function onServiceProd(store: Store, fn: () => void): () => void {
  let set = listeners.get(store);
  if (!set) listeners.set(store, (set = new Set()));
  set.add(fn);
  return () => set.delete(fn);
}
