// Launches a service's tasks with the code RunTask and StartTask use (tasks.ts),
// inside the controller's transaction, so service tasks are placed and built
// exactly as standalone ones are.
//
// REPLICA tasks go through tasks.ts's launchTasks. DAEMON tasks must land on one
// named instance, which only the StartTask handler does; until tasks.ts exports
// that step too, they go through the handler with a Store whose tx() runs in the
// caller's transaction, and two things the public API refuses but a service needs
// are fixed up here: startedBy carries the deployment id ("ecs-svc/…", whose slash
// StartTask's startedBy rule rejects), and a deregistered (INACTIVE) revision keeps
// running its service.

import type { RequestContext } from "../edge/json-protocol.js";
import type { CapacityProviderStrategyItem, Failure, StartTaskRequest, Tag, Task, TaskDefinition } from "../model/generated/ecs.js";
import { launchTasks, taskHandlers, type Launch } from "../api/ecs/tasks.js";
import { taskDefinitionRef } from "../api/ecs/arns.js";
import { errors } from "../edge/errors.js";
import type { Store, Tx } from "../store/store.js";
import type { DeploymentSpec } from "../store/service-store.js";

export interface LaunchRequest {
  readonly region: string;
  readonly accountId: string;
  readonly now: Date;
  readonly clusterArn: string;
  readonly serviceName: string;
  readonly deploymentId: string;
  readonly spec: DeploymentSpec;
  /** The service's tags, when it propagates them to its tasks. */
  readonly serviceTags: readonly Tag[];
  readonly propagateTaskDefinitionTags: boolean;
  readonly enableECSManagedTags: boolean;
  readonly enableExecuteCommand: boolean;
}

export interface Launched {
  readonly tasks: readonly Task[];
  readonly failures: readonly Failure[];
  /** Instances whose agents must hear about the new tasks once the transaction commits. */
  readonly instances: readonly string[];
}

/** Where an EC2 service puts its tasks when it names no strategy: across zones, then across instances. */
export const defaultServiceStrategy = [
  { type: "spread", field: "attribute:ecs.availability-zone" },
  { type: "spread", field: "instanceId" },
] as const;

const fargateProvider = (name: string): boolean => name === "FARGATE" || name === "FARGATE_SPOT";

/** Whether the spec runs on Fargate capacity, where placement strategies do not apply. */
export const isFargate = (spec: DeploymentSpec): boolean =>
  spec.launchType === "FARGATE" ||
  (spec.launchType === undefined && (spec.capacityProviderStrategy ?? []).length > 0 && spec.capacityProviderStrategy!.every((s) => fargateProvider(s.capacityProvider)));

/** The launch type and capacity provider the next task gets: a provider with a base first, then the heaviest weight. */
function capacityOf(spec: DeploymentSpec): Launch["capacity"] {
  // CreateService refuses MANAGED_INSTANCES, so the launch type is one placement knows.
  if (spec.launchType) return { launchType: spec.launchType as Launch["capacity"]["launchType"] };
  const items: CapacityProviderStrategyItem[] = [...(spec.capacityProviderStrategy ?? [])];
  const first = items.sort((a, b) => (b.base ?? 0) - (a.base ?? 0) || (b.weight ?? 0) - (a.weight ?? 0))[0];
  if (!first) return { launchType: "EC2" };
  return { launchType: fargateProvider(first.capacityProvider) ? "FARGATE" : "EC2", capacityProviderName: first.capacityProvider };
}

/** The revision the deployment runs; a deregistered one still runs its service. */
async function definitionOf(tx: Tx, req: LaunchRequest): Promise<TaskDefinition> {
  const r = taskDefinitionRef(req, req.spec.taskDefinition);
  const def = await tx.getTaskDefinition(r.family, r.revision);
  if (!def) throw errors.client(`Unable to find task definition '${req.spec.taskDefinition}'.`);
  return def;
}

/** The tasks' tags: the service's or the revision's (propagateTags), and ECS's managed ones. */
async function tagsFor(tx: Tx, req: LaunchRequest, cluster: string): Promise<Tag[]> {
  const tags: Tag[] = [...req.serviceTags];
  if (req.propagateTaskDefinitionTags) {
    for (const t of await tx.getTags(req.spec.taskDefinition)) if (!tags.some((x) => x.key === t.key)) tags.push(t);
  }
  if (req.enableECSManagedTags) tags.push({ key: "aws:ecs:clusterName", value: cluster }, { key: "aws:ecs:serviceName", value: req.serviceName });
  return tags.slice(0, 50);
}

/** Places `count` tasks of the deployment in the cluster, as RunTask does. */
export async function runServiceTasks(tx: Tx, req: LaunchRequest, count: number, random?: () => number): Promise<Launched> {
  const cluster = await tx.getCluster(req.clusterArn);
  if (!cluster) throw errors.clusterNotFound("Cluster not found.");
  const definition = await definitionOf(tx, req);
  const launch: Launch = {
    cluster,
    definition,
    capacity: capacityOf(req.spec),
    group: `service:${req.serviceName}`,
    startedBy: req.deploymentId,
    ...(req.spec.networkConfiguration ? { network: req.spec.networkConfiguration } : {}),
    tags: await tagsFor(tx, req, cluster.clusterName!),
    enableExecuteCommand: req.enableExecuteCommand,
  };
  const constraints = [...(definition.placementConstraints ?? []).map((c) => ({ type: c.type, expression: c.expression })), ...req.spec.placementConstraints];
  const strategy = req.spec.placementStrategy.length > 0 ? [...req.spec.placementStrategy] : isFargate(req.spec) ? [] : [...defaultServiceStrategy];
  const out = await launchTasks(tx, req, launch, { count, constraints, strategy, random, now: req.now });
  return { ...out, instances: [...new Set(out.tasks.flatMap((t) => (t.containerInstanceArn ? [t.containerInstanceArn] : [])))] };
}

/** A Store whose every transaction is `tx`, with deregistered revisions shown ACTIVE (a service keeps running them). */
function storeIn(tx: Tx, store: Store): Store {
  const view = new Proxy(tx, {
    get(target, prop, receiver) {
      if (prop === "getTaskDefinition") {
        return async (family: string, revision?: number) => {
          const def = await target.getTaskDefinition(family, revision);
          return def && revision !== undefined && def.status === "INACTIVE" ? { ...def, status: "ACTIVE" } : def;
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    kind: store.kind,
    logs: store.logs,
    registry: store.registry,
    tx: <T>(fn: (t: Tx) => Promise<T>): Promise<T> => fn(view),
    read: <T>(fn: (t: Tx) => Promise<T>): Promise<T> => fn(view),
    snapshot: <T>(fn: (t: Tx) => Promise<T>): Promise<T> => fn(view),
    close: () => Promise.resolve(),
  };
}

function context(req: LaunchRequest): RequestContext {
  return {
    requestId: "service-scheduler",
    principal: {
      accessKeyId: "",
      secretAccessKey: "",
      arn: `arn:aws:iam::${req.accountId}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`,
      kind: "root",
    },
    accountId: req.accountId,
    region: req.region,
    now: req.now,
  };
}

/** Starts one task of the deployment on a named instance, as StartTask does (the DAEMON's way). */
export async function startServiceTask(tx: Tx, store: Store, req: LaunchRequest, instanceArn: string): Promise<Launched> {
  const instances = new Set<string>();
  const handlers = taskHandlers({ store: storeIn(tx, store), notifier: { tasksChanged: (arns) => arns.forEach((a) => instances.add(a)) } });
  const cluster = req.clusterArn.slice(req.clusterArn.lastIndexOf("/") + 1);
  // Tags go on after the handler: its rules refuse the aws: prefix of the managed ones.
  const input: StartTaskRequest = {
    cluster: req.clusterArn,
    taskDefinition: req.spec.taskDefinition,
    containerInstances: [instanceArn],
    group: `service:${req.serviceName}`,
    ...(req.spec.networkConfiguration ? { networkConfiguration: req.spec.networkConfiguration } : {}),
    enableExecuteCommand: req.enableExecuteCommand,
  };
  const out = await handlers.StartTask!(input, context(req));
  const tags = await tagsFor(tx, req, cluster);
  const tasks: Task[] = [];
  for (const t of out.tasks ?? []) {
    const stored = await tx.getTask(t.taskArn!);
    if (!stored) continue;
    const next: Task = { ...stored, startedBy: req.deploymentId, tags };
    await tx.putTask(next);
    if (tags.length > 0) await tx.putTags(next.taskArn!, tags);
    tasks.push(next);
  }
  return { tasks, failures: out.failures ?? [], instances: [...instances] };
}
