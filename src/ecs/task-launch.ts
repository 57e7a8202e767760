// The launch: tasks of a revision placed in a cluster and written, in the caller's
// transaction. RunTask, StartTask, the service scheduler (REPLICA and DAEMON) and
// the placement of tasks waiting for capacity all go through launchTasks; they
// differ only in the Launch they pass and where the tasks go (the Target).
//
//   Launch + Target ─ snapshot ─ place() (feasibility chain, addresses) ─ newTask/assign ─ write + record transitions

import { errors } from "../errors.js";
import type { Failure, PlacementConstraint, PlacementStrategy, Task, TaskDefinition } from "../model/generated/ecs.js";
import { place, PlacementInputError, type Demand, type InstanceSnapshot, type Plan } from "../scheduler/placement.js";
import type { Tx } from "../store/store.js";
import { scopeOfArn, taskDefinitionRef, type Scope } from "./arns.js";
import { namedInstanceCapacity, type TaskCapacity } from "./capacity.js";
import { snapshot } from "./placement-snapshot.js";
import { assign, newTask, placementOn, staticPorts, taskSize, type Launch } from "./task-documents.js";
import type { TaskChanges } from "./task-hooks.js";
import { insertTasks, updateTask } from "./task-writes.js";

/** Where a launch's tasks go. */
export type Target =
  /** `count` new tasks wherever the scheduler places them (RunTask, a REPLICA service). */
  | {
      readonly place: {
        readonly count: number;
        readonly constraints: readonly PlacementConstraint[];
        readonly strategy: readonly PlacementStrategy[];
        readonly random?: (() => number) | undefined;
      };
    }
  /** One new task on each named instance: the strategy is skipped, not the checks (StartTask, a DAEMON service). */
  | { readonly on: readonly string[] }
  /** A task written earlier that waits in PROVISIONING for capacity: placed now, or left waiting. */
  | { readonly waiting: Task };

export interface Launched {
  readonly tasks: readonly Task[];
  readonly failures: readonly Failure[];
}

/** The revision a task runs; RunTask and StartTask need an ACTIVE one, a service keeps running a deregistered one. */
export async function revisionToRun(tx: Tx, scope: Scope, ref: string, allowInactive: boolean): Promise<TaskDefinition> {
  const r = taskDefinitionRef(scope, ref);
  const def = await tx.getTaskDefinition(scope.region, r.family, r.revision);
  if (!def) throw errors.client(`Unable to find task definition '${ref}'. Register it first, or check the family and revision.`);
  if (def.status !== "ACTIVE" && !allowInactive) throw errors.client(`TaskDefinition is inactive: ${def.taskDefinitionArn}. Run an ACTIVE revision.`);
  return def;
}

function demandOf(l: Launch, count: number, constraints: readonly PlacementConstraint[], strategy: readonly PlacementStrategy[]): Demand {
  const size = taskSize(l.definition, l.overrides);
  return {
    count,
    launchType: l.capacity.launchType,
    cpu: size.cpu,
    memory: size.memory,
    tcpPorts: staticPorts(l.definition, "tcp"),
    udpPorts: staticPorts(l.definition, "udp"),
    requiredAttributes: (l.definition.requiresAttributes ?? []).map((a) => ({
      name: a.name,
      ...(a.value !== undefined ? { value: a.value } : {}),
    })),
    // Fargate's capacity is Berth's to arrange: the user's constraints do not apply to it.
    constraints: l.capacity.launchType === "FARGATE" ? [] : constraints,
    strategy: l.capacity.launchType === "FARGATE" ? [] : strategy,
    group: l.group,
    awsvpc: l.definition.networkMode === "awsvpc",
  };
}

function planOf(demand: Demand, instances: readonly InstanceSnapshot[], random?: () => number): Plan {
  try {
    return place(demand, instances, random);
  } catch (err) {
    if (err instanceof PlacementInputError) throw errors.invalidParameter(err.message);
    throw err;
  }
}

/**
 * Places and writes the launch's tasks in the caller's transaction, recording each
 * write in `changes`. New FARGATE tasks that find no capacity are written
 * PROVISIONING and wait for it, as ECS's do; others that find none come back as failures.
 */
export async function launchTasks(tx: Tx, changes: TaskChanges, scope: Scope, l: Launch, target: Target, now: Date): Promise<Launched> {
  const cluster = await snapshot(tx, l.cluster.clusterArn!, "on" in target ? namedInstanceCapacity.launchType : l.capacity.launchType);
  const tasks: Task[] = [];
  const failures: Failure[] = [];
  if ("on" in target) {
    // What this call has taken on each named instance so far (only the addresses, as StartTask always did).
    const taken = new Map<string, InstanceSnapshot>();
    for (const arn of target.on) {
      const on = cluster.on(arn);
      if (!on) {
        failures.push({ arn, reason: "MISSING" });
        continue;
      }
      const snap = taken.get(arn) ?? on.snap;
      const plan = place({ ...demandOf(l, 1, [], []), launchType: snap.launchTypes[0] ?? "EC2" }, [snap]);
      const [failure] = plan.failures;
      if (failure) {
        failures.push({ arn, reason: failure.reason });
        continue;
      }
      const address = plan.addresses?.[0];
      if (address) taken.set(arn, { ...snap, usedAddresses: new Set([...(snap.usedAddresses ?? []), address]) });
      tasks.push(assign(newTask(scope, l, now), l.definition, placementOn(on), address));
    }
    await insertTasks(tx, changes, tasks);
    return { tasks, failures };
  }
  const waiting = "waiting" in target ? target.waiting : undefined;
  const plan =
    "place" in target
      ? planOf(demandOf(l, target.place.count, target.place.constraints, target.place.strategy), cluster.instances, target.place.random)
      : planOf(demandOf(l, 1, [], []), cluster.instances);
  plan.placements.forEach((arn, n) => {
    const task = waiting ?? newTask(scope, l, now);
    tasks.push(assign(task, l.definition, placementOn(cluster.on(arn)!), plan.addresses?.[n]));
  });
  if (waiting) {
    const placed: Task | undefined = tasks[0] && { ...tasks[0], version: (waiting.version ?? 0) + 1 };
    if (placed) await updateTask(tx, changes, waiting, placed);
    return { tasks: placed ? [placed] : [], failures: [] };
  }
  failures.push(...plan.failures.map((f) => ({ ...(f.arn ? { arn: f.arn } : {}), reason: f.reason })));
  if (l.capacity.launchType === "FARGATE") {
    for (let n = failures.length; n > 0; n--) tasks.push(newTask(scope, l, now));
    failures.length = 0;
  }
  await insertTasks(tx, changes, tasks);
  return { tasks, failures };
}

/**
 * Tries again to place a task that waits in PROVISIONING without an instance;
 * returns it placed, or undefined while there is still no capacity.
 */
export async function placeWaitingTask(tx: Tx, changes: TaskChanges, task: Task, now: Date): Promise<Task | undefined> {
  if (task.containerInstanceArn || task.lastStatus !== "PROVISIONING" || task.desiredStatus !== "RUNNING") return undefined;
  // Tasks of every region wait in one queue: each is placed in its own.
  const scope = scopeOfArn(task.taskArn!);
  const r = taskDefinitionRef(scope, task.taskDefinitionArn!);
  const definition = await tx.getTaskDefinition(scope.region, r.family, r.revision);
  const cluster = await tx.getCluster(task.clusterArn!);
  if (!definition || !cluster) return undefined;
  const capacity: TaskCapacity = {
    launchType: (task.launchType ?? "EC2") as TaskCapacity["launchType"],
    ...(task.capacityProviderName ? { capacityProviderName: task.capacityProviderName } : {}),
  };
  const launch: Launch = {
    cluster,
    definition,
    capacity,
    ...(task.overrides ? { overrides: task.overrides } : {}),
    group: task.group ?? `family:${definition.family}`,
    tags: [],
  };
  const out = await launchTasks(tx, changes, scope, launch, { waiting: task }, now);
  return out.tasks[0];
}
