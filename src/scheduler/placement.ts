// Task placement as a pure function: demand + a snapshot of the cluster's
// instances → which instance each task goes to, and why the rest could not go
// anywhere. No I/O: the caller commits the plan in one transaction.
//
//   for each task:  instances ─ feasibility chain ─ rankers (strategy order) ─ pick ─ reserve in snapshot
//                       └─ every rejection keeps a reason → failures[]

import type { PlacementConstraint, PlacementStrategy } from "../model/generated/ecs.js";
import { allocateAddress } from "./awsvpc-addresses.js";
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
  readonly ec2InstanceId?: string | undefined;
  readonly agentVersion?: string | undefined;
  readonly attributes: Readonly<Record<string, string | null>>;
  /** CPU units and MiB not reserved by live tasks. */
  readonly remainingCpu: number;
  readonly remainingMemory: number;
  /** Host ports taken (reserved ports and live tasks' static ports). */
  readonly usedTcpPorts: ReadonlySet<number>;
  readonly usedUdpPorts: ReadonlySet<number>;
  /** The live tasks on the instance: their group (task:group, spread and distinctInstance read it). */
  readonly tasks: readonly { readonly group?: string }[];
  /** The CIDR awsvpc tasks on this instance take their address from; none, no awsvpc task fits. */
  readonly subnet?: string | undefined;
  /** Addresses of that subnet live tasks hold. */
  readonly usedAddresses?: ReadonlySet<string> | undefined;
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
  /** Each task needs an address of its instance's awsvpc subnet (an ENI, in ECS). */
  readonly awsvpc?: boolean;
}

export interface Failure {
  readonly arn?: string;
  readonly reason: string;
}

export interface Plan {
  /** The instance ARN of each placed task, in order. */
  readonly placements: readonly string[];
  /** For an awsvpc demand: the address of each placed task, in the same order. */
  readonly addresses?: readonly string[];
  /** One failure per task that could not be placed. */
  readonly failures: readonly Failure[];
}

/** Thrown for a constraint or strategy ECS would refuse; the caller maps it to InvalidParameterException. */
export class PlacementInputError extends Error {}

/** Why an instance cannot take the next task, and how far down the chain it got. */
interface Rejection {
  readonly reason: string;
  readonly depth: number;
}

/** An instance's free resources as placement goes on; a change replaces a set or list, never edits the snapshot's. */
interface Candidate {
  readonly base: InstanceSnapshot;
  /** Position in the ARN-ordered candidate list: rankers keep per-candidate data by it. */
  readonly index: number;
  cpu: number;
  memory: number;
  tcp: ReadonlySet<number>;
  udp: ReadonlySet<number>;
  tasks: readonly { readonly group?: string }[];
  addresses: ReadonlySet<string>;
  /** The chain's verdict on the next task: undefined when the instance can take it. */
  rejection: Rejection | undefined;
}

/**
 * A feasibility check: undefined when the instance can take the task, else ECS's reason.
 * Invariant: a checker reads only its own candidate and the demand, so placing a task
 * can change the verdict of the instance it went to and of no other.
 */
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
      constraints.memberOf.length === 0 || constraints.memberOf.every((e) => evaluateClusterQuery(e, queryTarget(c)))
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
    // The subnet's addresses are the last resource: a full subnet on one instance sends the task to another.
    (c, d) => (!d.awsvpc || nextAddress(c) !== undefined ? undefined : "RESOURCE:ENI"),
  ];
}

/** The address the next awsvpc task on the instance would get. */
const nextAddress = (c: Candidate): string | undefined => (c.base.subnet ? allocateAddress(c.base.subnet, c.addresses) : undefined);

/** The first check an instance fails, and how far down the chain it got. */
function reject(chain: readonly Checker[], c: Candidate, demand: Demand): Rejection | undefined {
  let depth = 0;
  for (const check of chain) {
    const reason = check(c, demand);
    if (reason !== undefined) return { reason, depth };
    depth++;
  }
  return undefined;
}

/** How to read a spread field, e.g. instanceId or attribute:ecs.availability-zone, off an instance. */
function spreadField(field: string): (i: InstanceSnapshot) => string {
  const f = field.toLowerCase();
  if (f === "instanceid" || f === "host") return (i) => i.arn;
  if (field.startsWith("attribute:")) {
    const name = field.slice("attribute:".length);
    return (i) => i.attributes[name] ?? "";
  }
  throw new PlacementInputError(`Unknown spread field '${field}'. Use instanceId, host or attribute:NAME.`);
}

/**
 * Lower scores win; strategies compare in order, later ones break ties. A ranker
 * hears of every task placed (`placed`) so whatever it counts stays true without
 * recounting the cluster.
 */
interface Ranker {
  readonly score: (c: Candidate) => number;
  readonly placed?: (c: Candidate) => void;
}

/** The strategy as rankers. Random ends the order: it picks among the instances tied so far, so what follows it never decides. */
interface Order {
  readonly ranks: readonly Ranker[];
  readonly random: boolean;
}

function order(strategy: readonly PlacementStrategy[], candidates: readonly Candidate[], demand: Demand): Order {
  if (strategy.length > 5) throw new PlacementInputError("At most 5 placement strategies can be given.");
  const ranks: Ranker[] = [];
  let random = false;
  for (const s of strategy) {
    const r = ranker(s, candidates, demand);
    if (random) continue; // still built: ECS refuses a bad strategy wherever it sits
    if (r === "random") random = true;
    else ranks.push(r);
  }
  return { ranks, random };
}

function ranker(s: PlacementStrategy, candidates: readonly Candidate[], demand: Demand): Ranker | "random" {
  switch (s.type) {
    case "binpack": {
      const field = (s.field ?? "").toLowerCase();
      if (field === "cpu") return { score: (c) => c.cpu };
      if (field === "memory") return { score: (c) => c.memory };
      throw new PlacementInputError(`binpack takes the field cpu or memory, not '${s.field ?? ""}'.`);
    }
    case "spread":
      return spread(spreadField(s.field ?? "instanceId"), candidates, demand.group);
    case "random":
      return "random";
    default:
      throw new PlacementInputError(`Unknown placement strategy type '${s.type ?? ""}'. Use binpack, spread or random.`);
  }
}

/**
 * Spread: the group's tasks per value of the field, over every candidate, full
 * ones included (a zone whose instances are full still holds its share).
 * Counted once per call, then kept by adding each placed task to its value.
 */
function spread(valueOf: (i: InstanceSnapshot) => string, candidates: readonly Candidate[], group: string): Ranker {
  // The group's tasks per spread value, one counter per value; countOf[c.index] is c's value's counter.
  const byValue = new Map<string, { tasks: number }>();
  const countOf = candidates.map((c) => {
    const value = valueOf(c.base);
    let count = byValue.get(value);
    if (count === undefined) byValue.set(value, (count = { tasks: 0 }));
    for (const t of c.tasks) if (t.group === group) count.tasks++;
    return count;
  });
  // Scored for every candidate on every placement: a plain index, with a counter that is
  // never used standing in for the out-of-range index countOf never has.
  const none = { tasks: 0 };
  return {
    score: (c) => (countOf[c.index] ?? none).tasks,
    placed: (c) => {
      (countOf[c.index] ?? none).tasks++;
    },
  };
}

/**
 * The feasible candidate that ranks best. Candidates are in ARN order, so among
 * equals the first is the lowest ARN; under random, one of the equals at random.
 * The best so far keeps its scores, so each candidate is scored only until it differs.
 */
function best(candidates: readonly Candidate[], { ranks, random }: Order, rng: () => number): Candidate | undefined {
  let chosen: Candidate | undefined;
  // The chosen candidate's score under each ranker, in the rankers' order.
  const top: number[] = [];
  const tied: Candidate[] = [];
  // The hot loop of placement (every feasible instance, for every task): plain indexed
  // loops, as V8 runs them; iterating the rankers, or guarding each index, costs up to
  // half of place()'s time.
  for (const c of candidates) {
    if (c.rejection) continue;
    let d = -1;
    if (chosen) {
      d = 0;
      // Invariant: r < ranks.length, and top holds one score per ranker once a candidate is chosen.
      for (let r = 0; r < ranks.length && d === 0; r++) d = ranks[r]!.score(c) - top[r]!;
    }
    if (d < 0) {
      chosen = c;
      // Invariant: r < ranks.length.
      for (let r = 0; r < ranks.length; r++) top[r] = ranks[r]!.score(c);
      tied.length = 0;
    }
    if (d <= 0 && random) tied.push(c);
  }
  return random && tied.length > 1 ? tied[Math.floor(rng() * tied.length)] : chosen;
}

/**
 * Takes the task's resources on the chosen instance, copying rather than changing the
 * snapshot's sets; returns the awsvpc address it took, if the task needs one.
 */
function reserve(c: Candidate, demand: Demand): string | undefined {
  c.cpu -= demand.cpu;
  c.memory -= demand.memory;
  if (demand.tcpPorts.length > 0) c.tcp = new Set([...c.tcp, ...demand.tcpPorts]);
  if (demand.udpPorts.length > 0) c.udp = new Set([...c.udp, ...demand.udpPorts]);
  c.tasks = [...c.tasks, { group: demand.group }];
  if (!demand.awsvpc) return undefined;
  // The chain passed this instance, so its subnet has a free address.
  const address = nextAddress(c)!;
  c.addresses = new Set([...c.addresses, address]);
  return address;
}

/** Why no instance takes the task: the reason of the one that got furthest down the chain. */
function failure(candidates: readonly Candidate[]): Failure {
  let closest: Candidate | undefined;
  for (const c of candidates) {
    if (c.rejection && (!closest || c.rejection.depth > closest.rejection!.depth)) closest = c;
  }
  return closest ? { arn: closest.base.arn, reason: closest.rejection!.reason } : { reason: "No Container Instances were found in your cluster." };
}

const noAddresses: ReadonlySet<string> = new Set();

/**
 * Places `demand.count` tasks one at a time, each on the best feasible instance
 * by the strategy, reserving its resources before the next is placed.
 *
 * Each instance goes through the feasibility chain once per call; after that only
 * the instance that took a task is checked again, and rankers update their counts
 * for it rather than recount the cluster.
 * Invariant: placements.length + failures.length === demand.count.
 */
export function place(demand: Demand, instances: readonly InstanceSnapshot[], rng: () => number = Math.random): Plan {
  const chain = feasibilityChain(compileConstraints(demand.constraints));
  const candidates: Candidate[] = instances
    .filter((i) => i.launchTypes.includes(demand.launchType))
    .sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0))
    .map((i, index) => ({
      base: i,
      index,
      cpu: i.remainingCpu,
      memory: i.remainingMemory,
      tcp: i.usedTcpPorts,
      udp: i.usedUdpPorts,
      tasks: i.tasks,
      addresses: i.usedAddresses ?? noAddresses,
      rejection: undefined,
    }));
  // With no strategy ECS spreads over instances; Berth does the same so repeated RunTasks balance.
  const strategy = demand.strategy.length > 0 ? demand.strategy : [{ type: "spread" as const, field: "instanceId" }];
  const ranking = order(strategy, candidates, demand);
  for (const c of candidates) c.rejection = reject(chain, c, demand);
  const placements: string[] = [];
  const addresses: string[] = [];
  const failures: Failure[] = [];
  for (let n = 0; n < demand.count; n++) {
    const chosen = best(candidates, ranking, rng);
    if (!chosen) {
      // Nothing changed since the last check, so no later task fits either.
      const why = failure(candidates);
      for (; n < demand.count; n++) failures.push(why);
      break;
    }
    const address = reserve(chosen, demand);
    if (address !== undefined) addresses.push(address);
    for (const rank of ranking.ranks) rank.placed?.(chosen);
    chosen.rejection = reject(chain, chosen, demand);
    placements.push(chosen.base.arn);
  }
  return demand.awsvpc ? { placements, addresses, failures } : { placements, failures };
}
