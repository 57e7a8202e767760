// TagResource / UntagResource / ListTagsForResource on every taggable ECS ARN,
// and the tag rules every Create* operation shares.

import { errors } from "../../errors.js";
import type { Tag } from "../../model/generated/ecs.js";
import type { Tx } from "../../store/store.js";
import { arnResource, arns, taskDefinitionRef, type Scope } from "../../ecs/arns.js";
import type { EcsDeps, EcsHandlers } from "./handler-dependencies.js";

/** ECS's tag rules, as every resource takes them: at most 50, sizes, unique keys, no reserved prefix. */
export function validateTags(tags: readonly Tag[] | undefined): readonly Tag[] {
  if (!tags) return [];
  if (tags.length > 50) throw errors.invalidParameter(`Too many tags: ${tags.length}. A resource can have at most 50 tags.`);
  const keys = new Set<string>();
  for (const t of tags) {
    const key = t.key ?? "";
    if (key.length < 1 || key.length > 128) throw errors.invalidParameter(`Invalid tag key '${key}': a tag key must be 1 to 128 characters.`);
    if ((t.value ?? "").length > 256) throw errors.invalidParameter(`Invalid value for tag '${key}': a tag value can be at most 256 characters.`);
    if (key.toLowerCase().startsWith("aws:")) {
      throw errors.invalidParameter(`Invalid tag key '${key}': the 'aws:' prefix is reserved for AWS use.`);
    }
    if (keys.has(key)) throw errors.invalidParameter(`Duplicate tag key '${key}': each tag key can appear once.`);
    keys.add(key);
  }
  return tags;
}

/** Throws the error ECS gives when a taggable resource does not exist. */
async function requireResource(tx: Tx, scope: Scope, arn: string): Promise<void> {
  const resource = arnResource(scope, arn);
  const slash = resource?.indexOf("/") ?? -1;
  const kind = resource && slash > 0 ? resource.slice(0, slash) : "";
  const rest = resource?.slice(slash + 1) ?? "";
  switch (kind) {
    case "cluster": {
      const c = await tx.getCluster(arn);
      if (!c || c.status === "INACTIVE") throw errors.clusterNotFound("The specified cluster is not found.");
      return;
    }
    case "task-definition": {
      const ref = taskDefinitionRef(scope, arn);
      if (ref.revision === undefined || !(await tx.getTaskDefinition(scope.region, ref.family, ref.revision))) {
        throw errors.client("The specified task definition does not exist.");
      }
      return;
    }
    case "container-instance": {
      const clusterName = rest.split("/")[0] ?? "";
      if (!(await tx.getContainerInstance(arns.cluster(scope, clusterName), arn))) {
        throw errors.invalidParameter("The specified container instance does not exist.");
      }
      return;
    }
    case "task": {
      if (!(await tx.getTask(arn))) throw errors.invalidParameter("The specified task does not exist.");
      return;
    }
    case "service": {
      const service = await tx.services.getService(arn);
      if (!service) throw errors.invalidParameter("The specified service does not exist.");
      return;
    }
    case "capacity-provider": {
      const p = await tx.getCapacityProvider(scope.region, rest);
      if (!p || p.status === "INACTIVE") throw errors.invalidParameter("The specified capacity provider does not exist.");
      return;
    }
    default:
      throw errors.invalidParameter(`Invalid resource ARN '${arn}'. Give the ARN of an ECS cluster, service, task, task definition, container instance or capacity provider in ${scope.region}.`);
  }
}

export function tagHandlers({ store }: EcsDeps): EcsHandlers {
  return {
    TagResource: (input, ctx) =>
      store.tx(async (tx) => {
        await requireResource(tx, ctx, input.resourceArn);
        const tags = validateTags(input.tags);
        const existing = await tx.getTags(input.resourceArn);
        const keys = new Set([...existing.map((t) => t.key), ...tags.map((t) => t.key)]);
        if (keys.size > 50) throw errors.invalidParameter(`A resource can have at most 50 tags; this would give it ${keys.size}.`);
        await tx.putTags(input.resourceArn, tags);
        return {};
      }),
    UntagResource: (input, ctx) =>
      store.tx(async (tx) => {
        await requireResource(tx, ctx, input.resourceArn);
        await tx.deleteTags(input.resourceArn, input.tagKeys);
        return {};
      }),
    ListTagsForResource: (input, ctx) =>
      store.read(async (tx) => {
        await requireResource(tx, ctx, input.resourceArn);
        return { tags: [...(await tx.getTags(input.resourceArn))] };
      }),
  };
}
