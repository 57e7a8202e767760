// Capacity providers: FARGATE and FARGATE_SPOT are built in (capacity the control
// plane manages); user-defined ones are kept in the store. Clusters name them in
// capacityProviders and defaultCapacityProviderStrategy.

import { errors } from "../errors.js";
import type { CapacityProvider, CapacityProviderStrategyItem } from "../model/generated/ecs.js";
import type { Tx } from "../store/store.js";
import { arnResource, arns, type Scope } from "./arns.js";

export const builtinProviders = ["FARGATE", "FARGATE_SPOT"] as const;

export function builtinProvider(scope: Scope, name: (typeof builtinProviders)[number]): CapacityProvider {
  return { capacityProviderArn: arns.capacityProvider(scope, name), name, status: "ACTIVE", type: name, tags: [] };
}

/** A capacity provider reference (name or ARN) → its name. */
export function providerName(scope: Scope, ref: string): string {
  if (!ref.startsWith("arn:")) return ref;
  const resource = arnResource(scope, ref);
  return resource?.startsWith("capacity-provider/") ? resource.slice("capacity-provider/".length) : ref;
}

/** The ACTIVE capacity provider of that name, built in or stored. */
export async function findCapacityProvider(tx: Tx, scope: Scope, ref: string): Promise<CapacityProvider | undefined> {
  const name = providerName(scope, ref);
  const fixed = builtinProviders.find((b) => b === name);
  if (fixed) return builtinProvider(scope, fixed);
  const stored = await tx.getCapacityProvider(scope.region, name);
  return stored?.status === "ACTIVE" ? stored : undefined;
}

/**
 * Checks a cluster's capacity providers and default strategy as ECS does:
 * providers exist, the strategy only names associated providers, one base at most.
 */
export async function validateClusterProviders(
  tx: Tx,
  scope: Scope,
  providers: readonly string[],
  strategy: readonly CapacityProviderStrategyItem[],
): Promise<void> {
  for (const p of providers) {
    if (!(await findCapacityProvider(tx, scope, p))) {
      throw errors.invalidParameter(`The specified capacity provider '${p}' does not exist. Create it first, or use FARGATE or FARGATE_SPOT.`);
    }
  }
  validateStrategy(strategy);
  for (const item of strategy) {
    if (!providers.includes(item.capacityProvider)) {
      throw errors.invalidParameter(
        `The capacity provider strategy names '${item.capacityProvider}', which is not associated with the cluster. Add it to capacityProviders first.`,
      );
    }
  }
}

/** The strategy rules shared by clusters, RunTask and services. */
export function validateStrategy(strategy: readonly CapacityProviderStrategyItem[]): void {
  if (strategy.length > 20) throw errors.invalidParameter("A capacity provider strategy can have at most 20 items.");
  const names = new Set(strategy.map((s) => s.capacityProvider));
  if (names.size !== strategy.length) throw errors.invalidParameter("A capacity provider strategy cannot name the same capacity provider twice.");
  if (strategy.filter((s) => (s.base ?? 0) > 0).length > 1) {
    throw errors.invalidParameter("Only one capacity provider in a strategy can have a base defined.");
  }
}
