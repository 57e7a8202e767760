// ECS task definitions: RegisterTaskDefinition (revisions per family), Describe,
// List, ListFamilies, Deregister and Delete. The checks and derivations are pure
// and live in task-definition-rules.ts; this module adds identity, state and storage.
//
//   register: rules (validate, normalise, derive) → tx { nextRevision → insert → tags }
//   status:   ACTIVE --deregister--> INACTIVE --delete--> DELETE_IN_PROGRESS

import { AwsError, errors } from "../../errors.js";
import { EncodedOutput, type ApiHandlers } from "../../edge/json-protocol.js";
import type { DescribeTaskDefinitionResponse, Failure, Operations, TaskDefinition, TaskDefinitionStatus } from "../../model/generated/ecs.js";
import type { ApiModel } from "../../model/api-model.js";
import { decodeDoc } from "../../protocol/doc-codec.js";
import { arns, taskDefinitionRef, type Scope, type TaskDefinitionRef } from "../../ecs/arns.js";
import type { EcsDeps, EcsHandlers } from "./handler-dependencies.js";
import { nextTokenOf, pageRequest } from "./pagination.js";
import { RenderedJsonCache } from "./rendered-json-cache.js";
import { prepareTaskDefinition } from "./task-definition-rules.js";
import { validateTags } from "./tags.js";

/** DeleteTaskDefinitions takes at most this many identifiers per call. */
export const maxDeleteBatch = 10;

// Failure reasons of DeleteTaskDefinitions, in ECS's words.
export const deleteFailureReasons = {
  invalidIdentifier: "The specified task definition identifier is invalid. Specify a valid name or ARN and try again.",
  notFound: "The specified task definition does not exist. Specify a valid account, family, revision and try again.",
  stillActive: "The specified task definition is still in ACTIVE status. Please deregister the target and try again.",
} as const;

const unableToDescribe = "Unable to describe task definition.";

/**
 * DescribeTaskDefinition, answered with the revision's kept JSON unless TAGS are
 * asked for (tags live beside the document): deploy tools and dashboards describe
 * the same few revisions over and over, and decoding and shaping one again was
 * most of the call's cost.
 */
export function describeTaskDefinitionHandler(
  { store }: Pick<EcsDeps, "store">,
  model: ApiModel,
): NonNullable<ApiHandlers<Operations>["DescribeTaskDefinition"]> {
  const renderings = new RenderedJsonCache<TaskDefinition, string>((definition) => JSON.stringify(model.formatShape("TaskDefinition", definition)));
  return (input, ctx) => {
    const ref = taskDefinitionRef(ctx, input.taskDefinition);
    return store.read(async (tx) => {
      const doc = await tx.getTaskDefinitionDoc(ctx.region, ref.family, ref.revision);
      if (!doc) throw errors.client(unableToDescribe);
      if (input.include?.includes("TAGS")) {
        const taskDefinition = decodeDoc(doc);
        return { taskDefinition, tags: [...(await tx.getTags(taskDefinition.taskDefinitionArn!))] };
      }
      // The one member (DescribeTaskDefinitionResponse: taskDefinition, then tags), as formatOutput writes it.
      return new EncodedOutput<DescribeTaskDefinitionResponse>(`{"taskDefinition":${renderings.of(`${ctx.region}:${ref.family}:${ref.revision ?? "latest"}`, doc)}}`);
    });
  };
}

export function taskDefinitionsHandlers(deps: EcsDeps): EcsHandlers {
  return {
    async RegisterTaskDefinition(input, ctx) {
      const tags = input.tags ?? [];
      validateTags(tags);
      const prepared = prepareTaskDefinition(input);
      return deps.store.tx(async (tx) => {
        // Invariant: the revision comes from the family's counter, never from
        // existing rows, so concurrent registrations and deletions cannot reuse one.
        const revision = await tx.nextRevision(ctx.region, input.family);
        const taskDefinition: TaskDefinition = {
          ...prepared,
          taskDefinitionArn: arns.taskDefinition(ctx, input.family, revision),
          revision,
          status: "ACTIVE",
          registeredAt: ctx.now,
          registeredBy: ctx.principal.arn,
        };
        await tx.insertTaskDefinition(taskDefinition);
        if (tags.length > 0) await tx.putTags(taskDefinition.taskDefinitionArn!, tags);
        return { taskDefinition, ...(input.tags === undefined ? {} : { tags }) };
      });
    },

    async DeregisterTaskDefinition(input, ctx) {
      const ref = taskDefinitionRef(ctx, input.taskDefinition);
      if (ref.revision === undefined) {
        throw errors.client(`Specify the revision to deregister: '${input.taskDefinition}:REVISION' or a task definition ARN.`);
      }
      return deps.store.tx(async (tx) => {
        const current = await tx.getTaskDefinition(ctx.region, ref.family, ref.revision);
        if (!current) throw errors.client(deleteFailureReasons.notFound);
        switch (current.status) {
          case "ACTIVE": {
            const taskDefinition: TaskDefinition = { ...current, status: "INACTIVE", deregisteredAt: ctx.now };
            await tx.putTaskDefinition(taskDefinition);
            return { taskDefinition };
          }
          case "INACTIVE":
            // Deregistering twice is a no-op that answers with the revision, so retries are safe.
            return { taskDefinition: current };
          default:
            throw errors.client(
              `The specified task definition is ${current.status ?? "being deleted"} and can no longer be deregistered.`,
            );
        }
      });
    },

    async DeleteTaskDefinitions(input, ctx) {
      const ids = input.taskDefinitions;
      if (ids.length === 0 || ids.length > maxDeleteBatch) {
        throw errors.invalidParameter(`taskDefinitions must list between 1 and ${maxDeleteBatch} task definitions, got ${ids.length}.`);
      }
      return deps.store.tx(async (tx) => {
        const deleted = new Map<string, TaskDefinition>();
        const failures: Failure[] = [];
        // Each identifier succeeds or fails on its own: one bad item never fails the call.
        for (const id of ids) {
          const ref = parseRef(ctx, id);
          if (ref?.revision === undefined) {
            failures.push({ arn: id, reason: deleteFailureReasons.invalidIdentifier });
            continue;
          }
          const current = await tx.getTaskDefinition(ctx.region, ref.family, ref.revision);
          if (!current) {
            failures.push({ arn: id, reason: deleteFailureReasons.notFound });
          } else if (current.status === "ACTIVE") {
            failures.push({ arn: id, reason: deleteFailureReasons.stillActive });
          } else if (current.status === "INACTIVE") {
            const taskDefinition: TaskDefinition = { ...current, status: "DELETE_IN_PROGRESS", deleteRequestedAt: ctx.now };
            await tx.putTaskDefinition(taskDefinition);
            deleted.set(taskDefinition.taskDefinitionArn!, taskDefinition);
          } else {
            // Already DELETE_IN_PROGRESS: asking again is answered, not refused.
            deleted.set(current.taskDefinitionArn!, current);
          }
        }
        return { taskDefinitions: [...deleted.values()], failures };
      });
    },

    async ListTaskDefinitions(input, ctx) {
      const page = pageRequest(input);
      const status: TaskDefinitionStatus = input.status ?? "ACTIVE";
      const descending = input.sort === "DESC";
      const family = input.familyPrefix === "" ? undefined : input.familyPrefix;
      return deps.store.read(async (tx) => {
        // ECS reads ListTaskDefinitions' familyPrefix as a whole family name.
        const result = await tx.listTaskDefinitionArns({ ...page, region: ctx.region, status, descending, ...(family !== undefined ? { family } : {}) });
        return { taskDefinitionArns: [...result.items], ...nextTokenOf(result) };
      });
    },

    async ListTaskDefinitionFamilies(input, ctx) {
      const page = pageRequest(input);
      const familyPrefix = input.familyPrefix === "" ? undefined : input.familyPrefix;
      return deps.store.read(async (tx) => {
        const result = await tx.listTaskDefinitionFamilies({ ...page, region: ctx.region, ...(familyPrefix === undefined ? {} : { familyPrefix }), status: input.status ?? "ALL" });
        return { families: [...result.items], ...nextTokenOf(result) };
      });
    },
  };
}

function parseRef(scope: Scope, id: string): TaskDefinitionRef | undefined {
  try {
    return taskDefinitionRef(scope, id);
  } catch (err) {
    if (err instanceof AwsError) return undefined;
    throw err;
  }
}


