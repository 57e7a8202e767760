// How tasks get capacity: a launch type, or a capacity provider strategy (the
// request's, else the cluster's default, else EC2). One resolver for RunTask and
// for services (CreateService, UpdateService); the service scheduler reads the
// same answer back from the stored spec. Where RunTask and services differ, the
// difference is a named rule, not another resolver.
//
//   request ─ resolveCapacity(rules) ─┐
//   stored spec ─ capacityOfSpec ─────┴─ Capacity { launchType | strategy, effective, next }

import { errors } from "../errors.js";
import type { CapacityProviderStrategyItem, Cluster, LaunchType as ApiLaunchType } from "../model/generated/ecs.js";
import type { LaunchType } from "../scheduler/placement.js";
import type { Tx } from "../store/store.js";
import type { Scope } from "./arns.js";
import { builtinProviders, findCapacityProvider, validateStrategy } from "./capacity-providers.js";

/** What one task gets: its launch type, and the capacity provider it was placed through. */
export interface TaskCapacity {
  readonly launchType: LaunchType;
  readonly capacityProviderName?: string;
}

/** How tasks get capacity: exactly one of a launch type and a capacity provider strategy. */
export interface Capacity {
  readonly launchType?: ApiLaunchType;
  readonly capacityProviderStrategy?: readonly CapacityProviderStrategyItem[];
  /** The launch type every task ends up with: FARGATE when every provider is a FARGATE one. */
  readonly effective: ApiLaunchType;
  /** What the next task gets: the provider with a base first, then the heaviest weight. */
  readonly next: TaskCapacity;
}

/** What a request (or a stored service spec) names. */
export interface CapacityRequest {
  readonly launchType?: string | undefined;
  readonly capacityProviderStrategy?: readonly CapacityProviderStrategyItem[] | undefined;
}

/** Where RunTask and services differ, as ECS does. */
export interface CapacityRules {
  /** RunTask checks the provider its task goes to; a service every provider it may use. */
  readonly checkProviders: "first" | "every";
  /** A service refuses MANAGED_INSTANCES; RunTask leaves it to placement, which finds no instance of it. */
  readonly refuseManagedInstances: boolean;
}

export const runTaskRules: CapacityRules = { checkProviders: "first", refuseManagedInstances: false };
export const serviceRules: CapacityRules = { checkProviders: "every", refuseManagedInstances: true };

/** Tasks started on named instances (StartTask, a DAEMON service's) are EC2 tasks. */
export const namedInstanceCapacity: TaskCapacity = { launchType: "EC2" };

const fargateProvider = (name: string): boolean => builtinProviders.some((b) => b === name);

/** The item the first task goes to: a provider with a base first, then the heaviest weight. */
function firstProvider(items: readonly CapacityProviderStrategyItem[]): CapacityProviderStrategyItem | undefined {
  return [...items].sort((a, b) => (b.base ?? 0) - (a.base ?? 0) || (b.weight ?? 0) - (a.weight ?? 0)).at(0);
}

const throughProvider = (name: string): TaskCapacity => ({ launchType: fargateProvider(name) ? "FARGATE" : "EC2", capacityProviderName: name });

function ofLaunchType(launchType: string): Capacity {
  // A launch type placement does not know (MANAGED_INSTANCES, where allowed) finds no instance.
  const type = launchType as ApiLaunchType;
  return { launchType: type, effective: type, next: { launchType: type as LaunchType } };
}

function ofStrategy(items: readonly CapacityProviderStrategyItem[], next: TaskCapacity): Capacity {
  return {
    capacityProviderStrategy: [...items],
    effective: items.every((i) => fargateProvider(i.capacityProvider)) ? "FARGATE" : "EC2",
    next,
  };
}

/** The capacity a request names, checked against the cluster: exactly one kind, providers that exist and are associated. */
export async function resolveCapacity(tx: Tx, scope: Scope, cluster: Cluster, request: CapacityRequest, rules: CapacityRules): Promise<Capacity> {
  const { launchType, capacityProviderStrategy: strategy } = request;
  if (launchType && strategy && strategy.length > 0) {
    throw errors.invalidParameter("Specify either a launchType or a capacityProviderStrategy, not both.");
  }
  if (launchType === "MANAGED_INSTANCES" && rules.refuseManagedInstances) {
    throw errors.unsupportedFeature("Berth does not support the MANAGED_INSTANCES launch type; use EC2, EXTERNAL or FARGATE.");
  }
  if (launchType) return ofLaunchType(launchType);
  const items = strategy && strategy.length > 0 ? strategy : (cluster.defaultCapacityProviderStrategy ?? []);
  const first = firstProvider(items);
  if (first === undefined) return ofLaunchType("EC2");
  validateStrategy(items);
  let next: TaskCapacity | undefined;
  for (const item of rules.checkProviders === "every" ? items : [first]) {
    const provider = await findCapacityProvider(tx, scope, item.capacityProvider);
    if (!provider) throw errors.invalidParameter(`The capacity provider '${item.capacityProvider}' does not exist.`);
    if (!(cluster.capacityProviders ?? []).includes(provider.name!) && !fargateProvider(provider.name!)) {
      throw errors.invalidParameter(`The capacity provider '${provider.name}' is not associated with cluster '${cluster.clusterName}'.`);
    }
    // The provider as the store names it, though the request may give its ARN.
    if (item === first) next = throughProvider(provider.name!);
  }
  return ofStrategy(items, next!);
}

/** The capacity of a spec resolved earlier (a service's deployment): read back, not checked again. */
export function capacityOfSpec(spec: CapacityRequest): Capacity {
  if (spec.launchType) return ofLaunchType(spec.launchType);
  const items = spec.capacityProviderStrategy ?? [];
  const first = firstProvider(items);
  return first === undefined ? ofLaunchType("EC2") : ofStrategy(items, throughProvider(first.capacityProvider));
}
