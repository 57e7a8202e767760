// Tasks: RunTask (placement through the pure scheduler, committed in one
// transaction), StartTask on named instances, StopTask, DescribeTasks, ListTasks,
// and the agent's SubmitTaskStateChange / SubmitContainerStateChange. The handlers
// check the request and present the result; the launch and the lifecycle are the
// domain's (src/ecs/), and the hooks tell the agents and the service scheduler.
//
//   RunTask ─ check ─ revision + capacity ─ hooks.tx { launchTasks } ─ commit ─ hooks publish ─ present

import { errors } from "../../errors.js";
import { EncodedOutput, type RequestContext, type ApiHandlers } from "../../edge/json-protocol.js";
import type {
  Cluster,
  DescribeTasksResponse,
  Failure,
  NetworkConfiguration,
  Operations,
  PlacementConstraint,
  PropagateTags,
  Tag,
  Task,
  TaskDefinition,
  TaskOverride,
} from "../../model/generated/ecs.js";
import type { ApiModel } from "../../model/api-model.js";
import { decodeDoc } from "../../protocol/doc-codec.js";
import type { LaunchType } from "../../scheduler/placement.js";
import type { Tx } from "../../store/store.js";
import { arnResource, arns, clusterName, type Scope } from "../../ecs/arns.js";
import { namedInstanceCapacity, resolveCapacity, runTaskRules, type TaskCapacity } from "../../ecs/capacity.js";
import type { Launch } from "../../ecs/task-documents.js";
import { launchTasks, revisionToRun, type Target } from "../../ecs/task-launch.js";
import { changeTask } from "../../ecs/task-writes.js";
import { requireCluster } from "./clusters.js";
import type { EcsDeps, EcsHandlers } from "./handler-dependencies.js";
import { nextTokenOf, pageRequest } from "./pagination.js";
import { RenderedJsonCache } from "./rendered-json-cache.js";
import { validateTags } from "./tags.js";

function checkCompatibility(def: TaskDefinition, launchType: LaunchType, network: NetworkConfiguration | undefined): void {
  if (!(def.compatibilities ?? ["EC2"]).includes(launchType)) {
    throw errors.client(`Task definition does not support launch_type ${launchType}.`);
  }
  if (def.networkMode === "awsvpc") {
    const subnets = network?.awsvpcConfiguration?.subnets ?? [];
    if (subnets.length === 0) {
      throw errors.invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    }
    if (subnets.length > 16) throw errors.invalidParameter("At most 16 subnets can be given in awsvpcConfiguration.");
  } else if (network?.awsvpcConfiguration) {
    throw errors.invalidParameter(
      `Network Configuration is not valid for the given networkMode of this task definition (${def.networkMode ?? "bridge"}).`,
    );
  }
}

function checkOverrides(def: TaskDefinition, overrides: TaskOverride | undefined): void {
  for (const o of overrides?.containerOverrides ?? []) {
    if (!def.containerDefinitions?.some((c) => c.name === o.name)) {
      throw errors.invalidParameter(`Override for container named '${o.name ?? ""}' does not match any container in the task definition.`);
    }
  }
  const json = JSON.stringify(overrides ?? {});
  if (json.length > 8192) throw errors.invalidParameter(`Container overrides must be at most 8192 bytes; these are ${json.length}.`);
}

function checkStartedBy(startedBy: string | undefined): void {
  if (startedBy !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(startedBy)) {
    throw errors.invalidParameter("startedBy can have up to 128 letters, numbers, hyphens and underscores.");
  }
}

/** The task as the API shows it: FARGATE tasks hide the capacity they run on. */
export function presentTask({ containerInstanceArn, tags: _kept, ...rest }: Task, tags: readonly Tag[] | undefined): Task {
  return {
    ...(rest.launchType === "FARGATE" ? rest : { ...rest, ...(containerInstanceArn ? { containerInstanceArn } : {}) }),
    ...(tags ? { tags: [...tags] } : {}),
  };
}

/**
 * DescribeTasks: one pass over the tasks; answered with their kept JSON unless TAGS
 * are asked for (tags live beside the document). A client waiting on tasks asks for
 * the same ones over and over, and decoding, presenting and encoding each one again
 * was most of the call's cost.
 */
export function describeTasksHandler({ store }: Pick<EcsDeps, "store">, model: ApiModel): NonNullable<ApiHandlers<Operations>["DescribeTasks"]> {
  const renderings = new RenderedJsonCache<Task, { readonly clusterArn: string; readonly json: string }>((task) => ({
    clusterArn: task.clusterArn ?? "",
    json: JSON.stringify(model.formatShape("Task", presentTask(task, undefined))),
  }));
  return (input, ctx) =>
    store.read(async (tx) => {
      const cluster = await requireCluster(tx, ctx, input.cluster);
      if (input.tasks.length > 100) throw errors.invalidParameter("DescribeTasks takes at most 100 tasks.");
      const failures: Failure[] = [];
      const arnsOf = input.tasks.map((ref) => taskArnOf(ctx, cluster, ref));
      const found = await tx.getTaskDocs(arnsOf);
      const withTags = input.include?.includes("TAGS") ?? false;
      const tagged: Task[] = [];
      const parts: string[] = [];
      for (const arn of arnsOf) {
        const doc = found.get(arn);
        const rendered = doc === undefined ? undefined : renderings.of(arn, doc);
        if (!rendered || rendered.clusterArn !== cluster.clusterArn) failures.push({ arn, reason: "MISSING" });
        else if (withTags) tagged.push(presentTask(decodeDoc(doc!), await tx.getTags(arn)));
        else parts.push(rendered.json);
      }
      if (withTags) return { tasks: tagged, failures };
      // The members in the model's order (DescribeTasksResponse: tasks, failures), as formatOutput writes them.
      return new EncodedOutput<DescribeTasksResponse>(`{"tasks":[${parts.join(",")}],"failures":${JSON.stringify(model.formatShape("Failures", failures))}}`);
    });
}

async function taskTags(
  tx: Tx,
  def: TaskDefinition,
  cluster: Cluster,
  input: { tags?: readonly Tag[]; propagateTags?: PropagateTags; enableECSManagedTags?: boolean },
): Promise<Tag[]> {
  const tags = [...validateTags(input.tags)];
  if (input.propagateTags === "TASK_DEFINITION") {
    for (const t of await tx.getTags(def.taskDefinitionArn!)) if (!tags.some((x) => x.key === t.key)) tags.push(t);
  }
  if (input.enableECSManagedTags) tags.push({ key: "aws:ecs:clusterName", value: cluster.clusterName! });
  if (tags.length > 50) throw errors.invalidParameter(`A task can have at most 50 tags; these come to ${tags.length}.`);
  return tags;
}

/** A task reference (ARN or id) in a cluster → its ARN. */
export function taskArnOf(scope: Scope, cluster: Cluster, ref: string): string {
  if (ref.startsWith("arn:")) {
    const resource = arnResource(scope, ref);
    if (!resource?.startsWith("task/")) throw errors.invalidParameter(`Invalid task ARN '${ref}'.`);
    return ref;
  }
  if (!/^[A-Za-z0-9-]{1,64}$/.test(ref)) throw errors.invalidParameter(`Invalid task id '${ref}'.`);
  return `arn:aws:ecs:${scope.region}:${scope.accountId}:task/${cluster.clusterName}/${ref}`;
}

export function taskHandlers({ store, hooks, random }: EcsDeps): EcsHandlers {
  /** The request's Launch: cluster, ACTIVE revision, capacity, and the checks RunTask and StartTask share. */
  async function launchOf(ctx: RequestContext, input: {
    cluster?: string;
    taskDefinition: string;
    overrides?: TaskOverride;
    group?: string;
    startedBy?: string;
    networkConfiguration?: NetworkConfiguration;
    tags?: readonly Tag[];
    propagateTags?: PropagateTags;
    enableECSManagedTags?: boolean;
    enableExecuteCommand?: boolean;
  }, tx: Tx, capacityOf: (cluster: Cluster) => Promise<TaskCapacity>): Promise<Launch> {
    const cluster = await requireCluster(tx, ctx, input.cluster);
    const definition = await revisionToRun(tx, ctx, input.taskDefinition, false);
    const capacity = await capacityOf(cluster);
    checkCompatibility(definition, capacity.launchType, input.networkConfiguration);
    checkOverrides(definition, input.overrides);
    checkStartedBy(input.startedBy);
    if (input.group !== undefined && !/^[A-Za-z0-9_:-]{1,255}$/.test(input.group)) {
      throw errors.invalidParameter("group can have up to 255 letters, numbers, hyphens, underscores and colons.");
    }
    return {
      cluster,
      definition,
      capacity,
      ...(input.overrides ? { overrides: input.overrides } : {}),
      group: input.group ?? `family:${definition.family}`,
      ...(input.startedBy ? { startedBy: input.startedBy } : {}),
      ...(input.networkConfiguration ? { network: input.networkConfiguration } : {}),
      tags: await taskTags(tx, definition, cluster, input),
      ...(input.enableExecuteCommand !== undefined ? { enableExecuteCommand: input.enableExecuteCommand } : {}),
    };
  }

  return {
    RunTask: async (input, ctx) => {
      const created = await hooks.tx("request", async (tx, changes) => {
        const count = input.count ?? 1;
        if (count < 1 || count > 10) throw errors.invalidParameter(`count must be between 1 and 10, got ${count}.`);
        const l = await launchOf(ctx, input, tx, async (cluster) =>
          (await resolveCapacity(tx, ctx, cluster, input, runTaskRules)).next,
        );
        const constraints: PlacementConstraint[] = [
          ...(l.definition.placementConstraints ?? []),
          ...(input.placementConstraints ?? []),
        ];
        if ((input.placementConstraints ?? []).length > 10) throw errors.invalidParameter("At most 10 placement constraints can be given.");
        if (l.capacity.launchType === "FARGATE" && ((input.placementConstraints ?? []).length > 0 || (input.placementStrategy ?? []).length > 0)) {
          throw errors.invalidParameter("Placement constraints and strategies are not supported with the FARGATE launch type.");
        }
        const target: Target = { place: { count, constraints, strategy: input.placementStrategy ?? [], random } };
        return launchTasks(tx, changes, ctx, l, target, ctx.now);
      });
      return { tasks: created.tasks.map((t) => presentTask(t, t.tags)), failures: [...created.failures] };
    },

    StartTask: async (input, ctx) => {
      const created = await hooks.tx("request", async (tx, changes) => {
        if (input.containerInstances.length < 1 || input.containerInstances.length > 10) {
          throw errors.invalidParameter("StartTask takes between 1 and 10 container instances.");
        }
        const l = await launchOf(ctx, input, tx, () => Promise.resolve(namedInstanceCapacity));
        const on = input.containerInstances.map((ref) => (ref.startsWith("arn:") ? ref : arns.containerInstance(ctx, clusterName(ctx, input.cluster), ref)));
        return launchTasks(tx, changes, ctx, l, { on }, ctx.now);
      });
      return { tasks: created.tasks.map((t) => presentTask(t, t.tags)), failures: [...created.failures] };
    },

    StopTask: async (input, ctx) => {
      const task = await hooks.tx("request", async (tx, changes) => {
        const cluster = await requireCluster(tx, ctx, input.cluster);
        const arn = taskArnOf(ctx, cluster, input.task);
        const reason = input.reason ?? "Task stopped by user";
        if (reason.length > 1024) throw errors.invalidParameter("reason can be at most 1024 characters.");
        const changed = await changeTask(tx, changes, arn, { kind: "stop", code: "UserInitiated", reason }, ctx.now);
        if (!changed || changed.clusterArn !== cluster.clusterArn) throw errors.invalidParameter("The referenced task was not found.");
        return changed;
      });
      return { task: presentTask(task, undefined) };
    },

    ListTasks: (input, ctx) =>
      store.read(async (tx) => {
        const cluster = await requireCluster(tx, ctx, input.cluster);
        if (input.serviceName !== undefined && input.startedBy !== undefined) {
          throw errors.invalidParameter("serviceName and startedBy cannot be used together.");
        }
        const instance = input.containerInstance;
        const page = await tx.listTaskArns({
          ...pageRequest(input),
          clusterArn: cluster.clusterArn!,
          desiredStatus: input.desiredStatus ?? "RUNNING",
          ...(instance
            ? { containerInstanceArn: instance.startsWith("arn:") ? instance : arns.containerInstance(ctx, cluster.clusterName!, instance) }
            : {}),
          ...(input.family ? { family: input.family } : {}),
          ...(input.startedBy ? { startedBy: input.startedBy } : {}),
          ...(input.serviceName ? { group: `service:${input.serviceName}` } : {}),
          ...(input.launchType ? { launchType: input.launchType } : {}),
        });
        return { taskArns: [...page.items], ...nextTokenOf(page) };
      }),

    SubmitTaskStateChange: async (input, ctx) => {
      const task = await hooks.tx("request", async (tx, changes) => {
        const cluster = await requireCluster(tx, ctx, input.cluster);
        if (!input.task) throw errors.invalidParameter("SubmitTaskStateChange needs the task.");
        const arn = taskArnOf(ctx, cluster, input.task);
        return changeTask(
          tx,
          changes,
          arn,
          {
            kind: "report",
            ...(input.status ? { status: input.status } : {}),
            ...(input.reason ? { reason: input.reason } : {}),
            ...(input.containers ? { containers: input.containers } : {}),
            ...(input.pullStartedAt ? { pullStartedAt: input.pullStartedAt } : {}),
            ...(input.pullStoppedAt ? { pullStoppedAt: input.pullStoppedAt } : {}),
            ...(input.executionStoppedAt ? { executionStoppedAt: input.executionStoppedAt } : {}),
          },
          ctx.now,
        );
      });
      if (!task) throw errors.invalidParameter(`The task '${input.task ?? ""}' was not found.`);
      return { acknowledgment: "ACK" };
    },

    SubmitContainerStateChange: async (input, ctx) => {
      const task = await hooks.tx("request", async (tx, changes) => {
        const cluster = await requireCluster(tx, ctx, input.cluster);
        if (!input.task || !input.containerName) throw errors.invalidParameter("SubmitContainerStateChange needs the task and containerName.");
        const arn = taskArnOf(ctx, cluster, input.task);
        return changeTask(
          tx,
          changes,
          arn,
          {
            kind: "report",
            containers: [
              {
                containerName: input.containerName,
                ...(input.runtimeId ? { runtimeId: input.runtimeId } : {}),
                ...(input.status ? { status: input.status } : {}),
                ...(input.exitCode !== undefined ? { exitCode: input.exitCode } : {}),
                ...(input.reason ? { reason: input.reason } : {}),
                ...(input.networkBindings ? { networkBindings: input.networkBindings } : {}),
              },
            ],
          },
          ctx.now,
        );
      });
      if (!task) throw errors.invalidParameter(`The task '${input.task ?? ""}' was not found.`);
      return { acknowledgment: "ACK" };
    },
  };
}
