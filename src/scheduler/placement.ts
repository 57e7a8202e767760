// Task placement as a pure function: demand + a snapshot of the cluster's
// instances → which instance each task goes to, and why the rest could not go
// anywhere. No I/O: the caller commits the plan in one transaction.
//
//   for each task:  instances ─ feasibility chain ─ rankers (strategy order) ─ pick ─ reserve in snapshot
//                       └─ every rejection keeps a reason → failures[]

import type { PlacementConstraint, PlacementStrategy } from "../model/generated/ecs.js";
import { evaluateClusterQuery, parseClusterQuery, type Expression, type QueryTarget } from "./cluster-query.js";

export type LaunchType = "EC2" | "FARGATE" | "EXTERNAL";

/** One container instance as placement sees it. */
export interface InstanceSnapshot {
  readonly arn: string;
  readonly status: string;
  readonly agentConnected: boolean;
  /** Which launch types this instance's capacity serves. */
  readonly launchTypes: readonly LaunchType[];
  readonly registeredAt: Date;
  readonly ec2InstanceId?: string;
  readonly agentVersion?: string;
  readonly attributes: Readonly<Record<string, string | null>>;
  /** CPU units and MiB not reserved by live tasks. */
  readonly remainingCpu: number;
  readonly remainingMemory: number;
  /** Host ports taken (reserved ports and live tasks' static ports). */
  readonly usedTcpPorts: ReadonlySet<number>;
  readonly usedUdpPorts: ReadonlySet<number>;
  /** The live tasks on the instance: their group and family. */
  readonly tasks: readonly { readonly group?: string; readonly family: string }[];
}

export interface Demand {
  readonly count: number;
  readonly launchType: LaunchType;
  /** Per task: CPU units and MiB to reserve. */
  readonly cpu: number;
  readonly memory: number;
  readonly tcpPorts: readonly number[];
  readonly udpPorts: readonly number[];
  readonly requiredAttributes: readonly { readonly name: string; readonly value?: string }[];
  readonly constraints: readonly PlacementConstraint[];
  readonly strategy: readonly PlacementStrategy[];
  readonly group: string;
  readonly family: string;
}

export interface Failure {
  readonly arn?: string;
  readonly reason: string;
}

export interface Plan {
  /** The instance ARN of each placed task, in order. */
  readonly placements: readonly string[];
  /** One failure per task that could not be placed. */
  readonly failures: readonly Failure[];
}

/** Thrown for a constraint or strategy ECS would refuse; the caller maps it to InvalidParameterException. */
export class PlacementInputError extends Error {}

/** A mutable copy of an instance's free resources as placement goes on. */
interface Candidate {
  readonly base: InstanceSnapshot;
  cpu: number;
  memory: number;
  readonly tcp: Set<number>;
  readonly udp: Set<number>;
  readonly tasks: { group?: string; family: string }[];
}

/** A feasibility check: undefined when the instance can take the task, else ECS's reason. */
type Checker = (c: Candidate, demand: Demand) => string | undefined;

interface CompiledConstraints {
  readonly memberOf: readonly Expression[];
  readonly distinctInstance: boolean;
}

function compileConstraints(constraints: readonly PlacementConstraint[]): CompiledConstraints {
  const memberOf: Expression[] = [];
  let distinctInstance = false;
  for (const c of constraints) {
    if (c.type === "distinctInstance") {
      if (c.expression) throw new PlacementInputError("A distinctInstance placement constraint takes no expression.");
      distinctInstance = true;
    } else if (c.type === "memberOf") {
      if (!c.expression) throw new PlacementInputError("A memberOf placement constraint needs an expression.");
      try {
        memberOf.push(parseClusterQuery(c.expression));
      } catch (err) {
        throw new PlacementInputError(`Invalid memberOf expression: ${err instanceof Error ? err.message : String(err)}`);
      }
    } else {
      throw new PlacementInputError(`Unknown placement constraint type '${c.type ?? ""}'. Use distinctInstance or memberOf.`);
    }
  }
  return { memberOf, distinctInstance };
}

function queryTarget(c: Candidate): QueryTarget {
  const b = c.base;
  return {
    attributes: b.attributes,
    agentConnected: b.agentConnected,
    ...(b.agentVersion !== undefined ? { agentVersion: b.agentVersion } : {}),
    ...(b.ec2InstanceId !== undefined ? { ec2InstanceId: b.ec2InstanceId } : {}),
    registeredAt: b.registeredAt,
    runningTasksCount: c.tasks.length,
    taskGroups: c.tasks.flatMap((t) => (t.group ? [t.group] : [])),
  };
}

/**
 * The feasibility chain, cheapest and most fundamental first, so the reason
 * recorded is the one a user can act on.
 */
function feasibilityChain(constraints: CompiledConstraints): readonly Checker[] {
  return [
    // Only ACTIVE instances take new tasks; DRAINING ones are being emptied.
    (c) => (c.base.status === "ACTIVE" ? undefined : "INACTIVE"),
    // A task sent to a disconnected agent would never start.
    (c) => (c.base.agentConnected ? undefined : "AGENT"),
    // Attributes the task definition requires (capabilities, custom requirements).
    (c, d) =>
      d.requiredAttributes.every((a) =>
        a.name in c.base.attributes && (a.value === undefined || c.base.attributes[a.name] === a.value),
      )
        ? undefined
        : "ATTRIBUTE",
    // The user's memberOf expressions, in the cluster query language.
    (c) =>
      constraints.memberOf.every((e) => evaluateClusterQuery(e, queryTarget(c)))
        ? undefined
        : "MemberOf placement constraint unsatisfied.",
    // distinctInstance: no two tasks of the group on one instance.
    (c, d) =>
      constraints.distinctInstance && c.tasks.some((t) => t.group === d.group)
        ? "DistinctInstance placement constraint unsatisfied."
        : undefined,
    // Resources last: they are what a bigger or emptier instance fixes.
    (c, d) => (c.cpu >= d.cpu ? undefined : "RESOURCE:CPU"),
    (c, d) => (c.memory >= d.memory ? undefined : "RESOURCE:MEMORY"),
    (c, d) => (d.tcpPorts.every((p) => !c.tcp.has(p)) ? undefined : "RESOURCE:PORTS"),
    (c, d) => (d.udpPorts.every((p) => !c.udp.has(p)) ? undefined : "RESOURCE:PORTS_UDP"),
  ];
}

/** The first check an instance fails, and how far down the chain it got. */
function reject(chain: readonly Checker[], c: Candidate, demand: Demand): { reason: string; depth: number } | undefined {
  for (let depth = 0; depth < chain.length; depth++) {
    const reason = chain[depth](c, demand);
    if (reason !== undefined) return { reason, depth };
  }
  return undefined;
}

/** The value an instance has for a spread field, e.g. instanceId or attribute:ecs.availability-zone. */
function spreadValue(c: Candidate, field: string): string {
  const f = field.toLowerCase();
  if (f === "instanceid" || f === "host") return c.base.arn;
  if (field.startsWith("attribute:")) return c.base.attributes[field.slice("attribute:".length)] ?? "";
  throw new PlacementInputError(`Unknown spread field '${field}'. Use instanceId, host or attribute:NAME.`);
}

/** Lower scores win; strategies compare in order, later ones break ties. */
type Ranker = (c: Candidate) => number;

function rankers(
  strategy: readonly PlacementStrategy[],
  all: readonly Candidate[],
  feasible: readonly Candidate[],
  demand: Demand,
  rng: () => number,
): Ranker[] {
  if (strategy.length > 5) throw new PlacementInputError("At most 5 placement strategies can be given.");
  return strategy.map((s): Ranker => {
    switch (s.type) {
      case "binpack": {
        const field = (s.field ?? "").toLowerCase();
        if (field === "cpu") return (c) => c.cpu;
        if (field === "memory") return (c) => c.memory;
        throw new PlacementInputError(`binpack takes the field cpu or memory, not '${s.field ?? ""}'.`);
      }
      case "spread": {
        const field = s.field ?? "instanceId";
        // Tasks of this group per value, over every instance, full ones included:
        // a zone whose instances are full still holds its share.
        const counts = new Map<string, number>();
        for (const c of all) {
          const v = spreadValue(c, field);
          counts.set(v, (counts.get(v) ?? 0) + c.tasks.filter((t) => t.group === demand.group).length);
        }
        return (c) => counts.get(spreadValue(c, field)) ?? 0;
      }
      case "random": {
        const scores = new Map(feasible.map((c) => [c.base.arn, rng()]));
        return (c) => scores.get(c.base.arn) ?? 0;
      }
      default:
        throw new PlacementInputError(`Unknown placement strategy type '${s.type ?? ""}'. Use binpack, spread or random.`);
    }
  });
}

function compare(a: Candidate, b: Candidate, ranks: readonly Ranker[]): number {
  for (const rank of ranks) {
    const d = rank(a) - rank(b);
    if (d !== 0) return d;
  }
  return a.base.arn < b.base.arn ? -1 : a.base.arn > b.base.arn ? 1 : 0;
}

/**
 * Places `demand.count` tasks one at a time, each on the best feasible instance
 * by the strategy, reserving its resources before the next is placed.
 * Invariant: placements.length + failures.length === demand.count.
 */
export function place(demand: Demand, instances: readonly InstanceSnapshot[], rng: () => number = Math.random): Plan {
  const constraints = compileConstraints(demand.constraints);
  const chain = feasibilityChain(constraints);
  const candidates: Candidate[] = instances
    .filter((i) => i.launchTypes.includes(demand.launchType))
    .map((i) => ({
      base: i,
      cpu: i.remainingCpu,
      memory: i.remainingMemory,
      tcp: new Set(i.usedTcpPorts),
      udp: new Set(i.usedUdpPorts),
      tasks: [...i.tasks],
    }));
  // With no strategy ECS spreads over instances; Berth does the same so repeated RunTasks balance.
  const strategy = demand.strategy.length > 0 ? demand.strategy : [{ type: "spread" as const, field: "instanceId" }];
  const placements: string[] = [];
  const failures: Failure[] = [];
  for (let n = 0; n < demand.count; n++) {
    const feasible: Candidate[] = [];
    let closest: { arn: string; reason: string; depth: number } | undefined;
    for (const c of candidates) {
      const rejection = reject(chain, c, demand);
      if (!rejection) feasible.push(c);
      else if (!closest || rejection.depth > closest.depth) closest = { arn: c.base.arn, ...rejection };
    }
    if (feasible.length === 0) {
      failures.push(closest ? { arn: closest.arn, reason: closest.reason } : { reason: "No Container Instances were found in your cluster." });
      continue;
    }
    const ranks = rankers(strategy, candidates, feasible, demand, rng);
    const best = feasible.reduce((a, b) => (compare(b, a, ranks) < 0 ? b : a));
    best.cpu -= demand.cpu;
    best.memory -= demand.memory;
    for (const p of demand.tcpPorts) best.tcp.add(p);
    for (const p of demand.udpPorts) best.udp.add(p);
    best.tasks.push({ group: demand.group, family: demand.family });
    placements.push(best.base.arn);
  }
  return { placements, failures };
}
