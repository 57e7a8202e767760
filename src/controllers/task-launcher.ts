// Launches a service's tasks through the domain's one launch (ecs/task-launch.ts),
// inside the controller's transaction, so service tasks are placed and built
// exactly as standalone ones are. What makes them a service's is the Launch:
// startedBy carries the deployment id, the group names the service, the tags are
// the service's or the revision's, and a deregistered (INACTIVE) revision keeps
// running its service. REPLICA tasks go where the scheduler places them; a DAEMON
// task goes on the one instance the reconciler names.

import type { Tag } from "../model/generated/ecs.js";
import { errors } from "../errors.js";
import { capacityOfSpec, namedInstanceCapacity, type TaskCapacity } from "../ecs/capacity.js";
import type { Launch } from "../ecs/task-documents.js";
import type { TaskChanges } from "../ecs/task-hooks.js";
import { launchTasks, revisionToRun, type Launched } from "../ecs/task-launch.js";
import type { Tx } from "../store/store.js";
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

/** Where an EC2 service puts its tasks when it names no strategy: across zones, then across instances. */
const defaultServiceStrategy = [
  { type: "spread", field: "attribute:ecs.availability-zone" },
  { type: "spread", field: "instanceId" },
] as const;

/** The tasks' tags: the service's or the revision's (propagateTags), and ECS's managed ones. */
async function tagsFor(tx: Tx, req: LaunchRequest, cluster: string): Promise<Tag[]> {
  const tags: Tag[] = [...req.serviceTags];
  if (req.propagateTaskDefinitionTags) {
    for (const t of await tx.getTags(req.spec.taskDefinition)) if (!tags.some((x) => x.key === t.key)) tags.push(t);
  }
  if (req.enableECSManagedTags) tags.push({ key: "aws:ecs:clusterName", value: cluster }, { key: "aws:ecs:serviceName", value: req.serviceName });
  return tags.slice(0, 50);
}

/** The deployment's Launch; a deregistered revision still runs its service. */
async function serviceLaunch(tx: Tx, req: LaunchRequest, capacity: TaskCapacity): Promise<Launch> {
  const cluster = await tx.getCluster(req.clusterArn);
  if (!cluster) throw errors.clusterNotFound("Cluster not found.");
  return {
    cluster,
    definition: await revisionToRun(tx, req, req.spec.taskDefinition, true),
    capacity,
    group: `service:${req.serviceName}`,
    startedBy: req.deploymentId,
    ...(req.spec.networkConfiguration ? { network: req.spec.networkConfiguration } : {}),
    tags: await tagsFor(tx, req, cluster.clusterName!),
    enableExecuteCommand: req.enableExecuteCommand,
  };
}

/** Places `count` tasks of the deployment in the cluster, as RunTask does. */
export async function runServiceTasks(tx: Tx, changes: TaskChanges, req: LaunchRequest, count: number, random?: () => number): Promise<Launched> {
  const capacity = capacityOfSpec(req.spec);
  const launch = await serviceLaunch(tx, req, capacity.next);
  const constraints = [...(launch.definition.placementConstraints ?? []), ...req.spec.placementConstraints];
  const strategy = req.spec.placementStrategy.length > 0 ? [...req.spec.placementStrategy] : capacity.effective === "FARGATE" ? [] : [...defaultServiceStrategy];
  return launchTasks(tx, changes, req, launch, { place: { count, constraints, strategy, random } }, req.now);
}

/** Starts one task of the deployment on a named instance, as StartTask does (the DAEMON's way). */
export async function startServiceTask(tx: Tx, changes: TaskChanges, req: LaunchRequest, instanceArn: string): Promise<Launched> {
  const launch = await serviceLaunch(tx, req, namedInstanceCapacity);
  return launchTasks(tx, changes, req, launch, { on: [instanceArn] }, req.now);
}
