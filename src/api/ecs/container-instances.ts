// Container instances — the hosts agents register, users drain and deregister — and ECS's attribute
// operations (PutAttributes, DeleteAttributes, ListAttributes), whose only target type is the container instance.
//
// Words: an instance's *registered* resources are what its agent reported; its *remaining* resources are those
// minus what its tasks reserve (`remainingResources`). Attributes and tags live in their own tables, never in the
// stored instance document, so PutAttributes and the registration write to one place.

import { randomUUID } from "node:crypto";
import { errors } from "../../errors.js";
import type { RequestContext } from "../../edge/json-protocol.js";
import type {
  Attribute,
  ContainerInstance,
  ContainerInstanceStatus,
  Failure,
  PlatformDevice,
  Resource,
} from "../../model/generated/ecs.js";
import { ClusterQueryError, evaluateClusterQuery, parseClusterQuery, type Expression } from "../../scheduler/cluster-query.js";
import type { AttributeRow, InactiveSince, Page, PageRequest, Tx } from "../../store/store.js";
import { arnResource, arns, clusterName, type Scope } from "../../ecs/arns.js";
import type { EcsDeps, EcsHandlers } from "./handler-dependencies.js";
import { reservationOf } from "../../store/task-reservation.js";
import { nextTokenOf, pageRequest } from "./pagination.js";
import { validateTags } from "./tags.js";

const TARGET_TYPE = "container-instance";

/** The API's statuses plus INACTIVE, which a deregistered instance keeps while it stays describable. */
type InstanceStatus = ContainerInstanceStatus | "INACTIVE";

/** The stored document: the API's shape plus what the API never returns but later issues need. */
interface StoredInstance extends ContainerInstance, InactiveSince {
  readonly status: InstanceStatus;
  readonly containerInstanceArn: string;
  /** GPUs and other devices the agent reported; the scheduler will assign them to tasks. */
  readonly platformDevices?: readonly PlatformDevice[];
}

// ---------------------------------------------------------------------------------------------------------
// Resources

/** What tasks hold on an instance; remainingResources, the counts and `filter` all flow from it. */
interface TaskUsage {
  readonly runningTasksCount: number;
  readonly pendingTasksCount: number;
  /** One entry per task that holds resources: its CPU, MEMORY, PORTS and PORTS_UDP as Resource shapes. */
  readonly reservations: readonly (readonly Resource[])[];
  readonly taskGroups: readonly string[];
}

async function taskUsage(tx: Tx, instanceArn: string): Promise<TaskUsage> {
  const live = await tx.liveTasksOnInstance(instanceArn);
  return {
    runningTasksCount: live.filter((t) => t.lastStatus === "RUNNING").length,
    pendingTasksCount: live.filter((t) => ["PROVISIONING", "PENDING", "ACTIVATING"].includes(t.lastStatus ?? "")).length,
    reservations: live.map((t) => {
      const r = reservationOf(t);
      return [
        resource("CPU", "INTEGER", { integer: r.cpu }),
        resource("MEMORY", "INTEGER", { integer: r.memory }),
        resource("PORTS", "STRINGSET", { set: r.tcpPorts.map(String) }),
        resource("PORTS_UDP", "STRINGSET", { set: r.udpPorts.map(String) }),
      ];
    }),
    taskGroups: live.flatMap((t) => (t.group ? [t.group] : [])),
  };
}

// ECS lists host ports in use, not free ones: the PORTS of remainingResources are the registered (reserved)
// ports plus every port a task has bound. Other string sets (GPU ids) list what is still free.
const PORT_RESOURCES = new Set(["PORTS", "PORTS_UDP"]);

/**
 * registeredResources minus what the given task reservations hold.
 * Invariant: with no reservations the result equals `registered`; numbers never go below what the tasks leave.
 */
export function remainingResources(
  registered: readonly Resource[],
  reservations: readonly (readonly Resource[])[],
): Resource[] {
  return registered.map((r) => {
    const used = reservations.flatMap((held) => held.filter((h) => h.name === r.name));
    switch (r.type) {
      case "INTEGER":
        return { ...r, integerValue: (r.integerValue ?? 0) - sum(used.map((u) => u.integerValue ?? 0)) };
      case "LONG":
        return { ...r, longValue: (r.longValue ?? 0) - sum(used.map((u) => u.longValue ?? 0)) };
      case "DOUBLE":
        return { ...r, doubleValue: (r.doubleValue ?? 0) - sum(used.map((u) => u.doubleValue ?? 0)) };
      case "STRINGSET": {
        const taken = new Set(used.flatMap((u) => u.stringSetValue ?? []));
        const own = r.stringSetValue ?? [];
        const value = PORT_RESOURCES.has(r.name ?? "")
          ? [...own, ...[...taken].filter((p) => !own.includes(p))]
          : own.filter((v) => !taken.has(v));
        return { ...r, stringSetValue: value };
      }
      default:
        return r;
    }
  });
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

const RESOURCE_TYPES = new Set(["INTEGER", "LONG", "DOUBLE", "STRINGSET"]);

/** ECS's form of one resource: every numeric field present, zero when unused. */
function resource(
  name: string,
  type: string,
  value: { integer?: number | undefined; long?: number | undefined; double?: number | undefined; set?: readonly string[] | undefined },
): Resource {
  return {
    name,
    type,
    doubleValue: value.double ?? 0,
    longValue: value.long ?? 0,
    integerValue: value.integer ?? 0,
    ...(value.set === undefined ? {} : { stringSetValue: value.set }),
  };
}

/** An agent's totalResources → registeredResources: CPU, MEMORY, PORTS, PORTS_UDP first, then anything else. */
function registeredResources(total: readonly Resource[] | undefined): Resource[] {
  const byName = new Map<string, Resource>();
  for (const r of total ?? []) {
    if (r.name === undefined || r.name === "") throw errors.invalidParameter("Every entry of totalResources needs a name (CPU, MEMORY, PORTS, PORTS_UDP, ...).");
    if (byName.has(r.name)) throw errors.invalidParameter(`totalResources names ${r.name} more than once.`);
    byName.set(r.name, r);
  }
  const count = (name: string): Resource => {
    const r = byName.get(name);
    if (!r) throw errors.invalidParameter(`totalResources must include ${name} as an INTEGER resource (CPU in units of 1024 per core, MEMORY in MiB).`);
    if (r.type !== undefined && r.type !== "INTEGER") throw errors.invalidParameter(`totalResources ${name} must have type INTEGER, got ${r.type}.`);
    const n = r.integerValue ?? r.longValue ?? 0;
    if (!Number.isInteger(n) || n < 0) throw errors.invalidParameter(`totalResources ${name} must be a non-negative integer, got ${n}.`);
    return resource(name, "INTEGER", { integer: n });
  };
  const ports = (name: string): Resource => {
    const r = byName.get(name);
    if (r?.type !== undefined && r.type !== "STRINGSET") throw errors.invalidParameter(`totalResources ${name} must have type STRINGSET, got ${r.type}.`);
    const set: string[] = [];
    for (const p of r?.stringSetValue ?? []) {
      if (!/^\d{1,5}$/.test(p) || Number(p) > 65535) throw errors.invalidParameter(`totalResources ${name} holds '${p}', which is not a port number (0-65535).`);
      if (!set.includes(p)) set.push(p);
    }
    return resource(name, "STRINGSET", { set });
  };
  const known = [count("CPU"), count("MEMORY"), ports("PORTS"), ports("PORTS_UDP")];
  const others = [...byName.values()]
    .filter((r) => !["CPU", "MEMORY", "PORTS", "PORTS_UDP"].includes(r.name!))
    .map((r) => {
      const type = r.type ?? (r.stringSetValue ? "STRINGSET" : "INTEGER");
      if (!RESOURCE_TYPES.has(type)) throw errors.invalidParameter(`totalResources ${r.name} has type ${type}; use INTEGER, LONG, DOUBLE or STRINGSET.`);
      return resource(r.name!, type, {
        integer: r.integerValue,
        long: r.longValue,
        double: r.doubleValue,
        set: type === "STRINGSET" ? (r.stringSetValue ?? []) : undefined,
      });
    });
  return [...known, ...others];
}

// ---------------------------------------------------------------------------------------------------------
// Attributes

// From the Attribute shape's documentation; the model itself states no pattern.
const ATTRIBUTE_NAME = /^[A-Za-z0-9_./\\-]{1,128}$/;
const ATTRIBUTE_VALUE = /^[A-Za-z0-9_.@/\\: -]{1,128}$/;

// Agents register dozens of ecs.* / com.amazonaws.ecs.* attributes; the per-resource limit is on the others.
const MAX_CUSTOM_ATTRIBUTES = 10;
const isCustom = (name: string): boolean => !name.startsWith("ecs.") && !name.startsWith("com.amazonaws.ecs.");

function checkAttribute(a: { readonly name: string; readonly value?: string }): void {
  if (!ATTRIBUTE_NAME.test(a.name)) {
    throw errors.invalidParameter(
      `Attribute name '${a.name}' is not valid: use 1-128 letters, numbers, hyphens, underscores, periods, forward slashes or back slashes.`,
    );
  }
  if (a.value !== undefined && (!ATTRIBUTE_VALUE.test(a.value) || a.value.startsWith(" ") || a.value.endsWith(" "))) {
    throw errors.invalidParameter(
      `Value '${a.value}' of attribute ${a.name} is not valid: use 1-128 letters, numbers, hyphens, underscores, periods, at signs, slashes, colons or inner spaces.`,
    );
  }
}

/** The attributes an EC2 instance identity document implies (ECS adds these itself; the agent does not). */
interface IdentityFacts {
  readonly ec2InstanceId?: string;
  readonly attributes: readonly Attribute[];
}

function readIdentityDocument(text: string | undefined): IdentityFacts {
  let doc: unknown;
  try {
    doc = text === undefined || text === "" ? undefined : JSON.parse(text);
  } catch {
    // Not an EC2 document (an EXTERNAL host may send anything): nothing to learn from it.
    return { attributes: [] };
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return { attributes: [] };
  const field = (key: string): string | undefined => {
    const v = (doc as Record<string, unknown>)[key];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const attributes: Attribute[] = [];
  const add = (name: string, value: string | undefined) => {
    if (value !== undefined && ATTRIBUTE_VALUE.test(value)) attributes.push({ name, value });
  };
  add("ecs.instance-type", field("instanceType"));
  add("ecs.availability-zone", field("availabilityZone"));
  add("ecs.ami-id", field("imageId"));
  const ec2InstanceId = field("instanceId");
  return ec2InstanceId === undefined ? { attributes } : { ec2InstanceId, attributes };
}

const attributeOut = (row: AttributeRow): Attribute => ({
  name: row.name,
  ...(row.value === undefined ? {} : { value: row.value }),
  targetType: TARGET_TYPE,
  targetId: row.targetId,
});

// ---------------------------------------------------------------------------------------------------------
// Lookups

interface ClusterScope {
  readonly name: string;
  readonly arn: string;
}

async function activeCluster(tx: Tx, ctx: RequestContext, ref: string | undefined): Promise<ClusterScope> {
  const name = clusterName(ctx, ref);
  const arn = arns.cluster(ctx, name);
  const cluster = await tx.getCluster(arn);
  if (!cluster || cluster.status === "INACTIVE") {
    throw errors.clusterNotFound(`Cluster not found: ${name}. Create it with CreateCluster, or list clusters with ListClusters.`);
  }
  return { name, arn };
}

/** A container instance ID or ARN → the full ARN it names in this cluster. */
function instanceArn(s: Scope, cluster: ClusterScope, ref: string): string {
  if (!ref.startsWith("arn:")) return arns.containerInstance(s, cluster.name, ref);
  const resource = arnResource(s, ref);
  const prefix = "container-instance/";
  // The pre-2018 ARN format has no cluster segment; the instance's cluster is the request's.
  if (resource?.startsWith(prefix) && !resource.slice(prefix.length).includes("/")) {
    return arns.containerInstance(s, cluster.name, resource.slice(prefix.length));
  }
  return ref;
}

const instanceId = (arn: string): string => arn.slice(arn.lastIndexOf("/") + 1);

async function getInstance(tx: Tx, cluster: ClusterScope, arn: string): Promise<StoredInstance | undefined> {
  return (await tx.getContainerInstance(cluster.arn, arn)) as StoredInstance | undefined;
}

// Read from their own tables or from tasks on every request, so a stored copy could only go stale.
const DERIVED_FIELDS: ReadonlySet<string> = new Set(["attributes", "tags", "remainingResources", "runningTasksCount", "pendingTasksCount"]);

function storable(i: StoredInstance): StoredInstance {
  return Object.fromEntries(Object.entries(i).filter(([k]) => !DERIVED_FIELDS.has(k))) as unknown as StoredInstance;
}

interface Presentation {
  readonly tags?: boolean;
  readonly health?: boolean;
}

/** The API's view of a stored instance: attributes, counts and remaining resources read now. */
async function present(tx: Tx, instance: StoredInstance, show: Presentation = {}): Promise<ContainerInstance> {
  const { healthStatus, ...i } = instance;
  const usage = await taskUsage(tx, i.containerInstanceArn);
  const attributes = (await tx.attributesOf(i.containerInstanceArn)).map((a) => ({
    name: a.name,
    ...(a.value === undefined ? {} : { value: a.value }),
  }));
  // platformDevices is not in the API's shape; the edge's output shaping drops it.
  return {
    ...i,
    remainingResources: remainingResources(i.registeredResources ?? [], usage.reservations),
    runningTasksCount: usage.runningTasksCount,
    pendingTasksCount: usage.pendingTasksCount,
    attributes,
    ...(show.tags ? { tags: await tx.getTags(i.containerInstanceArn) } : {}),
    // No health data until an agent channel reports it.
    ...(show.health ? { healthStatus: healthStatus ?? { overallStatus: "INSUFFICIENT_DATA" } } : {}),
  };
}

async function queryTarget(tx: Tx, i: StoredInstance) {
  const usage = await taskUsage(tx, i.containerInstanceArn);
  const attributes: Record<string, string | null> = {};
  for (const a of await tx.attributesOf(i.containerInstanceArn)) attributes[a.name] = a.value ?? null;
  return {
    attributes,
    agentConnected: i.agentConnected ?? false,
    ...(i.versionInfo?.agentVersion ? { agentVersion: i.versionInfo.agentVersion } : {}),
    ...(i.ec2InstanceId ? { ec2InstanceId: i.ec2InstanceId } : {}),
    registeredAt: i.registeredAt ?? new Date(0),
    runningTasksCount: usage.runningTasksCount,
    taskGroups: usage.taskGroups,
  };
}

/**
 * One page of the cluster's instances that pass `keep`, resuming after `req.after`. The store pages by ARN
 * without filters, so this reads on until the page is full and knows whether another match follows.
 */
async function scanInstances(
  tx: Tx,
  clusterArn: string,
  req: PageRequest,
  keep: (i: StoredInstance) => Promise<boolean>,
): Promise<Page<StoredInstance>> {
  const items: StoredInstance[] = [];
  let after = req.after;
  for (;;) {
    const batch = await tx.listContainerInstances(clusterArn, { limit: Math.max(req.limit, 50), ...(after ? { after } : {}) });
    for (const i of batch.items as StoredInstance[]) {
      if (!(await keep(i))) continue;
      const last = items.at(-1);
      if (last !== undefined && items.length === req.limit) return { items, next: last.containerInstanceArn };
      items.push(i);
    }
    if (batch.next === undefined) return { items };
    after = batch.next;
  }
}

function parseFilter(text: string | undefined): Expression | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  try {
    return parseClusterQuery(text);
  } catch (err) {
    if (err instanceof ClusterQueryError) throw errors.invalidParameter(`Invalid filter '${text}': ${err.message}.`);
    throw err;
  }
}

function checkCount(what: string, n: number, max: number): void {
  if (n === 0) throw errors.invalidParameter(`${what} must not be empty.`);
  if (n > max) throw errors.invalidParameter(`${what} can name at most ${max} entries, got ${n}.`);
}

const missing = (arn: string): Failure => ({ arn, reason: "MISSING" });

/** Where a PutAttributes/DeleteAttributes entry points: the full ARN of an existing, registered instance. */
async function attributeTarget(tx: Tx, ctx: RequestContext, cluster: ClusterScope, a: Attribute): Promise<string> {
  if (a.targetId === undefined || a.targetId === "") {
    throw errors.invalidParameter(`Attribute ${a.name} needs a targetId: the ARN or ID of a container instance.`);
  }
  if (!a.targetId.startsWith("arn:") && a.targetType === undefined) {
    throw errors.invalidParameter(`Attribute ${a.name} names its target by ID '${a.targetId}', so it needs targetType container-instance.`);
  }
  const arn = instanceArn(ctx, cluster, a.targetId);
  const instance = await getInstance(tx, cluster, arn);
  if (!instance || instance.status === "INACTIVE") {
    throw errors.targetNotFound(`Could not find container instance ${a.targetId} in cluster ${cluster.name}.`);
  }
  return arn;
}

// ---------------------------------------------------------------------------------------------------------
// Handlers

export function containerInstancesHandlers(deps: EcsDeps): EcsHandlers {
  const { store } = deps;
  return {
    async RegisterContainerInstance(input, ctx) {
      const registered = registeredResources(input.totalResources);
      const facts = readIdentityDocument(input.instanceIdentityDocument);
      const given = input.attributes ?? [];
      for (const a of given) checkAttribute(a);
      // What ECS derives from the identity document fills in only what the agent did not say itself.
      const attributes = [...facts.attributes.filter((f) => !given.some((a) => a.name === f.name)), ...given];
      const tags = validateTags(input.tags);
      return store.tx(async (tx) => {
        const cluster = await activeCluster(tx, ctx, input.cluster);
        let instance: StoredInstance;
        if (input.containerInstanceArn !== undefined && input.containerInstanceArn !== "") {
          const arn = instanceArn(ctx, cluster, input.containerInstanceArn);
          const existing = await getInstance(tx, cluster, arn);
          if (!existing) {
            throw errors.client(
              `Container instance ${input.containerInstanceArn} is not registered in cluster ${cluster.name}; register without containerInstanceArn to join as a new instance.`,
            );
          }
          if (existing.status === "INACTIVE") throw errors.client(`Container instance ${instanceId(arn)} is inactive.`);
          // Re-registration (an agent restarting with its saved ARN) keeps identity, status and registeredAt.
          instance = {
            ...existing,
            ...(facts.ec2InstanceId ? { ec2InstanceId: facts.ec2InstanceId } : {}),
            versionInfo: input.versionInfo ?? existing.versionInfo ?? {},
            registeredResources: registered,
            ...(input.platformDevices ? { platformDevices: input.platformDevices } : {}),
            version: (existing.version ?? 0) + 1,
          };
          await tx.putContainerInstance(cluster.arn, storable(instance));
        } else {
          instance = {
            containerInstanceArn: arns.containerInstance(ctx, cluster.name, randomUUID().replaceAll("-", "")),
            ...(facts.ec2InstanceId ? { ec2InstanceId: facts.ec2InstanceId } : {}),
            version: 1,
            versionInfo: input.versionInfo ?? {},
            registeredResources: registered,
            status: "ACTIVE",
            // Flipped by the agent channel (a later issue) once the agent connects.
            agentConnected: false,
            registeredAt: ctx.now,
            ...(input.platformDevices ? { platformDevices: input.platformDevices } : {}),
          };
          await tx.insertContainerInstance(cluster.arn, storable(instance));
        }
        const arn = instance.containerInstanceArn;
        for (const a of attributes) {
          await tx.putAttribute({ clusterArn: cluster.arn, targetType: TARGET_TYPE, targetId: arn, name: a.name, ...(a.value === undefined ? {} : { value: a.value }) });
        }
        if (tags.length > 0) await tx.putTags(arn, tags);
        return { containerInstance: await present(tx, instance, { tags: true }) };
      });
    },

    async DescribeContainerInstances(input, ctx) {
      checkCount("containerInstances", input.containerInstances.length, 100);
      const include = new Set(input.include ?? []);
      return store.read(async (tx) => {
        const cluster = await activeCluster(tx, ctx, input.cluster);
        const containerInstances: ContainerInstance[] = [];
        const failures: Failure[] = [];
        for (const arn of new Set(input.containerInstances.map((ref) => instanceArn(ctx, cluster, ref)))) {
          const instance = await getInstance(tx, cluster, arn);
          if (!instance) failures.push(missing(arn));
          else containerInstances.push(await present(tx, instance, { tags: include.has("TAGS"), health: include.has("CONTAINER_INSTANCE_HEALTH") }));
        }
        return { containerInstances, failures };
      });
    },

    async ListContainerInstances(input, ctx) {
      const req = pageRequest(input);
      const filter = parseFilter(input.filter);
      return store.read(async (tx) => {
        const cluster = await activeCluster(tx, ctx, input.cluster);
        const page = await scanInstances(tx, cluster.arn, req, async (i) => {
          // Without a status filter ECS lists every status but INACTIVE.
          if (input.status === undefined ? i.status === "INACTIVE" : i.status !== input.status) return false;
          return filter === undefined || evaluateClusterQuery(filter, await queryTarget(tx, i));
        });
        return { containerInstanceArns: page.items.map((i) => i.containerInstanceArn), ...nextTokenOf(page) };
      });
    },

    async UpdateContainerInstancesState(input, ctx) {
      if (input.status !== "ACTIVE" && input.status !== "DRAINING") {
        throw errors.invalidParameter(`Container instances can only be set to ACTIVE or DRAINING, not ${input.status}.`);
      }
      const status = input.status;
      checkCount("containerInstances", input.containerInstances.length, 10);
      return store.tx(async (tx) => {
        const cluster = await activeCluster(tx, ctx, input.cluster);
        const containerInstances: ContainerInstance[] = [];
        const failures: Failure[] = [];
        for (const arn of new Set(input.containerInstances.map((ref) => instanceArn(ctx, cluster, ref)))) {
          const instance = await getInstance(tx, cluster, arn);
          if (!instance) {
            failures.push(missing(arn));
            continue;
          }
          if (instance.status !== "ACTIVE" && instance.status !== "DRAINING") {
            failures.push({ arn, reason: "INVALID_STATUS", detail: `The container instance is ${instance.status}; only ACTIVE and DRAINING instances change state.` });
            continue;
          }
          // Draining stops placement here; the service controller (a later issue) moves service tasks away.
          const updated: StoredInstance = instance.status === status ? instance : { ...instance, status, version: (instance.version ?? 0) + 1 };
          if (updated !== instance) await tx.putContainerInstance(cluster.arn, storable(updated));
          containerInstances.push(await present(tx, updated));
        }
        return { containerInstances, failures };
      });
    },

    async DeregisterContainerInstance(input, ctx) {
      return store.tx(async (tx) => {
        const cluster = await activeCluster(tx, ctx, input.cluster);
        const arn = instanceArn(ctx, cluster, input.containerInstance);
        const instance = await getInstance(tx, cluster, arn);
        if (!instance) {
          throw errors.invalidParameter(`Container instance ${input.containerInstance} is not registered in cluster ${cluster.name}.`);
        }
        if (instance.status === "INACTIVE") return { containerInstance: await present(tx, instance) };
        const usage = await taskUsage(tx, arn);
        if (usage.runningTasksCount > 0 && input.force !== true) {
          throw errors.client(
            `Container instance ${instanceId(arn)} has ${usage.runningTasksCount} running tasks. Stop them first, or deregister with force to orphan them.`,
          );
        }
        // The instance stays describable as INACTIVE (as in ECS, for an hour: housekeeping forgets it then)
        // but leaves every list, count and placement.
        const inactive: StoredInstance = { ...instance, status: "INACTIVE", version: (instance.version ?? 0) + 1, inactiveSince: ctx.now };
        const shown = await present(tx, inactive);
        await tx.putContainerInstance(cluster.arn, storable(inactive));
        for (const a of await tx.attributesOf(arn)) await tx.deleteAttribute(arn, a.name);
        return { containerInstance: shown };
      });
    },

    async PutAttributes(input, ctx) {
      checkCount("attributes", input.attributes.length, 10);
      for (const a of input.attributes) checkAttribute(a);
      return store.tx(async (tx) => {
        const cluster = await activeCluster(tx, ctx, input.cluster);
        const applied: Attribute[] = [];
        const targets = new Set<string>();
        for (const a of input.attributes) {
          const targetId = await attributeTarget(tx, ctx, cluster, a);
          const row: AttributeRow = { clusterArn: cluster.arn, targetType: TARGET_TYPE, targetId, name: a.name, ...(a.value === undefined ? {} : { value: a.value }) };
          await tx.putAttribute(row);
          applied.push(attributeOut(row));
          targets.add(targetId);
        }
        for (const target of targets) {
          const custom = (await tx.attributesOf(target)).filter((a) => isCustom(a.name)).length;
          if (custom > MAX_CUSTOM_ATTRIBUTES) {
            // Throwing inside the transaction discards this call's writes.
            throw errors.attributeLimitExceeded(
              `Container instance ${instanceId(target)} would have ${custom} custom attributes; the limit is ${MAX_CUSTOM_ATTRIBUTES}. Remove some with DeleteAttributes.`,
            );
          }
        }
        return { attributes: applied };
      });
    },

    async DeleteAttributes(input, ctx) {
      checkCount("attributes", input.attributes.length, 10);
      return store.tx(async (tx) => {
        const cluster = await activeCluster(tx, ctx, input.cluster);
        const deleted: Attribute[] = [];
        for (const a of input.attributes) {
          const targetId = await attributeTarget(tx, ctx, cluster, a);
          await tx.deleteAttribute(targetId, a.name);
          deleted.push({ name: a.name, ...(a.value === undefined ? {} : { value: a.value }), targetType: TARGET_TYPE, targetId });
        }
        return { attributes: deleted };
      });
    },

    async ListAttributes(input, ctx) {
      if (input.attributeValue !== undefined && input.attributeName === undefined) {
        throw errors.invalidParameter("attributeValue can only be used together with attributeName.");
      }
      const req = pageRequest(input);
      return store.read(async (tx) => {
        const cluster = await activeCluster(tx, ctx, input.cluster);
        const page = await tx.listAttributes({
          clusterArn: cluster.arn,
          targetType: input.targetType,
          ...(input.attributeName === undefined ? {} : { name: input.attributeName }),
          ...(input.attributeValue === undefined ? {} : { value: input.attributeValue }),
          ...req,
        });
        return { attributes: page.items.map(attributeOut), ...nextTokenOf(page) };
      });
    },
  };
}
