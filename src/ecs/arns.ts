// ECS resource names: building ARNs from settings and reading the name or ARN
// forms the API accepts wherever it takes a reference.

import { errors } from "../errors.js";

export interface Scope {
  readonly accountId: string;
  readonly region: string;
}

const prefix = (s: Scope): string => `arn:aws:ecs:${s.region}:${s.accountId}`;

export const arns = {
  cluster: (s: Scope, name: string) => `${prefix(s)}:cluster/${name}`,
  taskDefinition: (s: Scope, family: string, revision: number) => `${prefix(s)}:task-definition/${family}:${revision}`,
  containerInstance: (s: Scope, clusterName: string, id: string) => `${prefix(s)}:container-instance/${clusterName}/${id}`,
  capacityProvider: (s: Scope, name: string) => `${prefix(s)}:capacity-provider/${name}`,
  service: (s: Scope, clusterName: string, name: string) => `${prefix(s)}:service/${clusterName}/${name}`,
  /** `path` is CLUSTER/SERVICE. */
  serviceRevision: (s: Scope, path: string, id: string) => `${prefix(s)}:service-revision/${path}/${id}`,
  serviceDeployment: (s: Scope, path: string, id: string) => `${prefix(s)}:service-deployment/${path}/${id}`,
};

export const defaultClusterName = "default";

/** The region and account an ARN names: what a controller acts in for a resource of any region. */
export function scopeOfArn(arn: string): Scope {
  const [, , , region = "", accountId = ""] = arn.split(":");
  return { region, accountId };
}

/** The resource part of an ECS ARN of this account and region ("cluster/x"), or undefined. */
export function arnResource(s: Scope, arn: string): string | undefined {
  const head = `${prefix(s)}:`;
  return arn.startsWith(head) ? arn.slice(head.length) : undefined;
}

/** A cluster reference (name or ARN, omitted = default) → the cluster's name. */
export function clusterName(s: Scope, ref: string | undefined): string {
  if (ref === undefined || ref === "") return defaultClusterName;
  if (!ref.startsWith("arn:")) return ref;
  const resource = arnResource(s, ref);
  if (!resource?.startsWith("cluster/")) {
    throw errors.invalidParameter(`Invalid cluster ARN '${ref}'. Use a cluster name or arn:aws:ecs:${s.region}:${s.accountId}:cluster/NAME.`);
  }
  return resource.slice("cluster/".length);
}

export interface TaskDefinitionRef {
  readonly family: string;
  /** Undefined means the latest ACTIVE revision. */
  readonly revision?: number;
}

/** "family", "family:revision" or a task definition ARN. */
export function taskDefinitionRef(s: Scope, ref: string): TaskDefinitionRef {
  let text = ref;
  if (ref.startsWith("arn:")) {
    const resource = arnResource(s, ref);
    if (!resource?.startsWith("task-definition/")) {
      throw errors.client(`Invalid task definition ARN '${ref}'. Use family, family:revision or arn:aws:ecs:${s.region}:${s.accountId}:task-definition/FAMILY:REVISION.`);
    }
    text = resource.slice("task-definition/".length);
  }
  const m = /^([A-Za-z0-9_-]{1,255})(?::(\d+))?$/.exec(text);
  const family = m?.[1];
  if (family === undefined) throw errors.client(`Invalid task definition '${ref}'. Use family, family:revision or a task definition ARN.`);
  const revision = m?.[2];
  return revision === undefined ? { family } : { family, revision: Number(revision) };
}

/** ECS's rule for cluster, family, container and capacity provider names. */
export const namePattern = /^[A-Za-z0-9_-]{1,255}$/;
