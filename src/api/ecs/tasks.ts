// Tasks: RunTask (placement through the pure scheduler, committed in one
// transaction), StartTask on named instances, StopTask, DescribeTasks, ListTasks,
// and the agent's SubmitTaskStateChange / SubmitContainerStateChange.
//
//   RunTask ─ resolve definition + launch type ─ snapshot (instances, live tasks)
//           ─ place() ─ build Task docs ─ insert ─ commit ─ notify the agents

import { randomUUID } from "node:crypto";
import { awsvpcSubnetAttribute, launchTypeAttributePrefix } from "../../protocol/attributes.js";
import { errors } from "../../edge/errors.js";
import { EncodedOutput, type RequestContext, type ServiceHandlers } from "../../edge/json-protocol.js";
import type {
  Attachment,
  CapacityProviderStrategyItem,
  Cluster,
  Container,
  ContainerInstance,
  DescribeTasksResponse,
  Failure,
  NetworkBinding,
  NetworkConfiguration,
  Operations,
  PlacementConstraint,
  PlacementStrategy,
  PropagateTags,
  Tag,
  Task,
  TaskDefinition,
  TaskOverride,
} from "../../model/generated/ecs.js";
import type { ServiceModel } from "../../model/service-model.js";
import { decodeDoc } from "../../protocol/doc-codec.js";
import { allocateAddress } from "../../scheduler/awsvpc-addresses.js";
import { place, PlacementInputError, type Demand, type InstanceSnapshot, type LaunchType } from "../../scheduler/placement.js";
import type { HeldReservation, InstanceWithAttributes, Tx } from "../../store/store.js";
import { arnResource, arns, clusterName, taskDefinitionRef, type Scope } from "./arns.js";
import { builtinProviders, findCapacityProvider, validateStrategy } from "./capacity-providers.js";
import { requireCluster } from "./clusters.js";
import type { EcsDeps, EcsHandlers } from "./deps.js";
import { nextToken, pageRequest } from "./pagination.js";
import { Renderings } from "./renderings.js";
import { applyTaskEvent, type TaskEvent } from "./task-lifecycle.js";
import { prodServiceController } from "../../controllers/service-signal.js";
import { validateTags } from "./tags.js";


const taskId = (): string => randomUUID().replace(/-/g, "");

/** Task-level cpu and memory to reserve: the task's, else the sum of its containers'. */
function taskSize(def: TaskDefinition, overrides: TaskOverride | undefined): { cpu: number; memory: number } {
  const containers = def.containerDefinitions ?? [];
  const overrideOf = (name: string | undefined) => overrides?.containerOverrides?.find((o) => o.name === name);
  const cpu =
    overrides?.cpu ?? def.cpu ?? String(containers.reduce((n, c) => n + (overrideOf(c.name)?.cpu ?? c.cpu ?? 0), 0));
  const memory =
    overrides?.memory ??
    def.memory ??
    String(
      containers.reduce((n, c) => {
        const o = overrideOf(c.name);
        return n + (o?.memoryReservation ?? o?.memory ?? c.memoryReservation ?? c.memory ?? 0);
      }, 0),
    );
  return { cpu: Number(cpu), memory: Number(memory) };
}

/** Static host ports the task needs on its instance (bridge with a host port, or host mode). */
function staticPorts(def: TaskDefinition, protocol: "tcp" | "udp"): number[] {
  if (def.networkMode === "awsvpc" || def.networkMode === "none") return [];
  return (def.containerDefinitions ?? []).flatMap((c) =>
    (c.portMappings ?? [])
      .filter((p) => (p.protocol ?? "tcp") === protocol)
      .map((p) => (def.networkMode === "host" ? (p.hostPort ?? p.containerPort) : p.hostPort))
      .filter((p): p is number => p !== undefined && p !== 0),
  );
}

function staticBindings(def: TaskDefinition, containerName: string | undefined): NetworkBinding[] {
  if (def.networkMode === "awsvpc" || def.networkMode === "none") return [];
  const c = def.containerDefinitions?.find((x) => x.name === containerName);
  return (c?.portMappings ?? []).flatMap((p) => {
    const hostPort = def.networkMode === "host" ? (p.hostPort ?? p.containerPort) : p.hostPort;
    if (!hostPort || p.containerPort === undefined) return [];
    return [{ bindIP: "0.0.0.0", containerPort: p.containerPort, hostPort, protocol: p.protocol ?? "tcp" }];
  });
}

/** How the task gets capacity: a launch type, or a capacity provider (and the launch type it implies). */
interface Capacity {
  readonly launchType: LaunchType;
  readonly capacityProviderName?: string;
}

async function resolveCapacity(
  tx: Tx,
  scope: Scope,
  cluster: Cluster,
  launchType: string | undefined,
  strategy: readonly CapacityProviderStrategyItem[] | undefined,
): Promise<Capacity> {
  if (launchType && strategy && strategy.length > 0) {
    throw errors.invalidParameter("Specify either a launchType or a capacityProviderStrategy, not both.");
  }
  if (launchType) return { launchType: launchType as LaunchType };
  const items = strategy && strategy.length > 0 ? strategy : (cluster.defaultCapacityProviderStrategy ?? []);
  if (items.length === 0) return { launchType: "EC2" };
  validateStrategy(items);
  // Base first, then the heaviest weight: the provider the first task goes to.
  const first = [...items].sort((a, b) => (b.base ?? 0) - (a.base ?? 0) || (b.weight ?? 0) - (a.weight ?? 0))[0];
  const provider = await findCapacityProvider(tx, scope, first.capacityProvider);
  if (!provider) throw errors.invalidParameter(`The capacity provider '${first.capacityProvider}' does not exist.`);
  if (!(cluster.capacityProviders ?? []).includes(provider.name!) && !builtinProviders.some((b) => b === provider.name)) {
    throw errors.invalidParameter(`The capacity provider '${provider.name}' is not associated with cluster '${cluster.clusterName}'.`);
  }
  const fargate = provider.name === "FARGATE" || provider.name === "FARGATE_SPOT";
  return { launchType: fargate ? "FARGATE" : "EC2", capacityProviderName: provider.name! };
}

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

/** What placement sees of a cluster, read once per call. */
interface ClusterSnapshot {
  /** Every ACTIVE or DRAINING instance, net of what live tasks hold. */
  readonly instances: readonly InstanceSnapshot[];
  /** One of those instances' document and snapshot. */
  on(instanceArn: string): Placed | undefined;
  /** The awsvpc addresses live tasks hold on an instance; placement adds the ones it hands out. */
  addresses(instanceArn: string): Set<string>;
}

interface Placed {
  readonly instance: ContainerInstance;
  readonly snap: InstanceSnapshot;
}

/** A cluster's instances as placement sees them with no task on them, and their documents by ARN. */
interface IdleCluster {
  readonly instances: readonly InstanceSnapshot[];
  readonly byArn: ReadonlyMap<string, Placed>;
}

/**
 * The store hands out the same decoded instance list until an instance or an
 * attribute of the cluster changes, so its idle view is worked out once per change,
 * not once per RunTask.
 */
const idleClusters = new WeakMap<readonly InstanceWithAttributes[], IdleCluster>();

function idleCluster(list: readonly InstanceWithAttributes[]): IdleCluster {
  let idle = idleClusters.get(list);
  if (!idle) {
    const byArn = new Map<string, Placed>();
    for (const { instance: i, attributes } of list) {
      if (i.status !== "ACTIVE" && i.status !== "DRAINING") continue;
      const registered = (name: string) => i.registeredResources?.find((r) => r.name === name);
      const snap: InstanceSnapshot = {
        arn: i.containerInstanceArn!,
        status: i.status,
        agentConnected: i.agentConnected ?? false,
        launchTypes: launchTypesOf(attributes),
        registeredAt: i.registeredAt ?? new Date(0),
        ...(i.ec2InstanceId ? { ec2InstanceId: i.ec2InstanceId } : {}),
        ...(i.versionInfo?.agentVersion ? { agentVersion: i.versionInfo.agentVersion } : {}),
        attributes,
        remainingCpu: registered("CPU")?.integerValue ?? 0,
        remainingMemory: registered("MEMORY")?.integerValue ?? 0,
        usedTcpPorts: new Set((registered("PORTS")?.stringSetValue ?? []).map(Number)),
        usedUdpPorts: new Set((registered("PORTS_UDP")?.stringSetValue ?? []).map(Number)),
        tasks: [],
      };
      byArn.set(snap.arn, { instance: i, snap });
    }
    idle = { instances: [...byArn.values()].map((p) => p.snap), byArn };
    idleClusters.set(list, idle);
  }
  return idle;
}

/** The instance net of what its live tasks hold. */
function withTasks(idle: InstanceSnapshot, held: readonly HeldReservation[]): InstanceSnapshot {
  let cpu = idle.remainingCpu;
  let memory = idle.remainingMemory;
  let tcp = idle.usedTcpPorts;
  let udp = idle.usedUdpPorts;
  const tasks: { group?: string }[] = [];
  for (const r of held) {
    cpu -= r.cpu * r.tasks;
    memory -= r.memory * r.tasks;
    if (r.tcpPorts.length > 0) tcp = new Set([...tcp, ...r.tcpPorts]);
    if (r.udpPorts.length > 0) udp = new Set([...udp, ...r.udpPorts]);
    const task = r.group ? { group: r.group } : {};
    for (let i = 0; i < r.tasks; i++) tasks.push(task);
  }
  // Written out rather than spread from `idle`: this runs for every busy instance on every RunTask.
  return {
    arn: idle.arn,
    status: idle.status,
    agentConnected: idle.agentConnected,
    launchTypes: idle.launchTypes,
    registeredAt: idle.registeredAt,
    ec2InstanceId: idle.ec2InstanceId,
    agentVersion: idle.agentVersion,
    attributes: idle.attributes,
    remainingCpu: cpu,
    remainingMemory: memory,
    usedTcpPorts: tcp,
    usedUdpPorts: udp,
    tasks,
  };
}

/**
 * The placement snapshot of a cluster, from the store's decoded instances and what
 * its live tasks hold, counted per instance and distinct reservation (never the tasks).
 * Invariant: the caller holds the cluster's row (getCluster locks it), so no other
 * placement in the cluster commits between this read and the caller's commit.
 */
async function snapshot(tx: Tx, clusterArn: string): Promise<ClusterSnapshot> {
  const held = new Map<string, HeldReservation[]>();
  for (const r of await tx.liveReservations(clusterArn)) {
    const list = held.get(r.containerInstanceArn);
    if (list) list.push(r);
    else held.set(r.containerInstanceArn, [r]);
  }
  const idle = idleCluster(await tx.clusterInstances(clusterArn));
  const busy = new Map<string, InstanceSnapshot>();
  const instances = idle.instances.map((snap) => {
    const mine = held.get(snap.arn);
    if (!mine) return snap;
    const net = withTasks(snap, mine);
    busy.set(snap.arn, net);
    return net;
  });
  const taken = new Map<string, Set<string>>();
  return {
    instances,
    on: (instanceArn) => {
      const placed = idle.byArn.get(instanceArn);
      return placed && { instance: placed.instance, snap: busy.get(instanceArn) ?? placed.snap };
    },
    addresses: (instanceArn) => {
      let used = taken.get(instanceArn);
      if (!used) taken.set(instanceArn, (used = new Set((held.get(instanceArn) ?? []).flatMap((r) => r.address ?? []))));
      return used;
    },
  };
}

/** The launch types an instance serves; one its agent says nothing about serves EC2, as in ECS. */
export function launchTypesOf(attributes: Readonly<Record<string, string | null>>): LaunchType[] {
  const declared = (["EC2", "FARGATE", "EXTERNAL"] as const).filter((t) => `${launchTypeAttributePrefix}${t}` in attributes);
  return declared.length > 0 ? declared : ["EC2"];
}

export interface Launch {
  readonly cluster: Cluster;
  readonly definition: TaskDefinition;
  readonly capacity: Capacity;
  readonly overrides?: TaskOverride;
  readonly group: string;
  readonly startedBy?: string;
  readonly network?: NetworkConfiguration;
  readonly tags: readonly Tag[];
  readonly enableExecuteCommand?: boolean;
}

/** Where a task goes: the instance, and its availability zone. */
interface Placement {
  readonly instance: ContainerInstance;
  readonly zone?: string;
}

function placementOn({ instance, snap }: Placed): Placement {
  const zone = snap.attributes["ecs.availability-zone"];
  return { instance, ...(zone ? { zone } : {}) };
}

/** A new task document, not yet on any instance (PROVISIONING). */
function newTask(scope: Scope, launch: Launch, now: Date): Task {
  const { cluster, definition: def, capacity } = launch;
  const id = taskId();
  const name = cluster.clusterName!;
  const taskArn = `arn:aws:ecs:${scope.region}:${scope.accountId}:task/${name}/${id}`;
  const size = taskSize(def, launch.overrides);
  const attachments: Attachment[] =
    def.networkMode === "awsvpc"
      ? [
          {
            id: randomUUID(),
            type: "ElasticNetworkInterface",
            status: "PRECREATED",
            details: [
              { name: "subnetId", value: launch.network?.awsvpcConfiguration?.subnets?.[0] ?? "" },
              { name: "networkInterfaceId", value: `eni-${id.slice(0, 17)}` },
              { name: "macAddress", value: macFor(id) },
            ],
          },
        ]
      : [];
  const containers: Container[] = (def.containerDefinitions ?? []).map((c) => ({
    containerArn: `arn:aws:ecs:${scope.region}:${scope.accountId}:container/${name}/${id}/${randomUUID()}`,
    taskArn,
    name: c.name,
    image: c.image,
    lastStatus: "PENDING",
    networkInterfaces: [],
    networkBindings: [],
    healthStatus: c.healthCheck ? "UNKNOWN" : undefined,
    ...(c.cpu !== undefined ? { cpu: String(c.cpu) } : { cpu: "0" }),
    ...(c.memory !== undefined ? { memory: String(c.memory) } : {}),
    ...(c.memoryReservation !== undefined ? { memoryReservation: String(c.memoryReservation) } : {}),
  }));
  return {
    taskArn,
    clusterArn: cluster.clusterArn,
    taskDefinitionArn: def.taskDefinitionArn,
    overrides: { containerOverrides: [], inferenceAcceleratorOverrides: [], ...launch.overrides },
    lastStatus: "PROVISIONING",
    desiredStatus: "RUNNING",
    cpu: String(size.cpu),
    memory: String(size.memory),
    containers,
    ...(launch.startedBy ? { startedBy: launch.startedBy } : {}),
    version: 1,
    createdAt: now,
    group: launch.group,
    launchType: capacity.launchType,
    ...(capacity.capacityProviderName ? { capacityProviderName: capacity.capacityProviderName } : {}),
    ...(capacity.launchType === "FARGATE" ? { platformVersion: "1.4.0", platformFamily: "Linux" } : {}),
    attachments,
    healthStatus: "UNKNOWN",
    enableExecuteCommand: launch.enableExecuteCommand ?? false,
    tags: [...launch.tags],
    ...(capacity.launchType === "FARGATE" ? { ephemeralStorage: { sizeInGiB: 20 } } : {}),
  };
}

/**
 * The task on its instance: its static host ports bound, its ENI given the
 * address, its zone set. awsvpc tasks stay PROVISIONING until the agent reports.
 */
function assign(task: Task, def: TaskDefinition, on: Placement, address: string | undefined): Task {
  const eni = task.attachments?.find((a) => a.type === "ElasticNetworkInterface");
  return {
    ...task,
    containerInstanceArn: on.instance.containerInstanceArn,
    lastStatus: def.networkMode === "awsvpc" ? "PROVISIONING" : "PENDING",
    ...(on.zone ? { availabilityZone: on.zone } : {}),
    attachments: (task.attachments ?? []).map((a) =>
      a === eni && address ? { ...a, status: "ATTACHED", details: [...(a.details ?? []), { name: "privateIPv4Address", value: address }] } : a,
    ),
    containers: (task.containers ?? []).map((c) => ({
      ...c,
      networkBindings: staticBindings(def, c.name),
      networkInterfaces: eni && address ? [{ attachmentId: eni.id, privateIpv4Address: address }] : [],
    })),
  };
}

/** A locally administered MAC address derived from the task id. */
const macFor = (id: string): string => ["0a", ...(id.slice(0, 10).match(/../g) ?? [])].join(":");

/** Puts an awsvpc task on an instance: it takes the next free address of the instance's subnet. */
function addressFor(def: TaskDefinition, instance: InstanceSnapshot, taken: Set<string>): string | undefined | null {
  if (def.networkMode !== "awsvpc") return undefined;
  const subnet = instance.attributes[awsvpcSubnetAttribute];
  const address = subnet ? allocateAddress(subnet, taken) : undefined;
  if (!address) return null;
  taken.add(address);
  return address;
}

/** The task as the API shows it: FARGATE tasks hide the capacity they run on. */
export function presentTask(task: Task, tags: readonly Tag[] | undefined): Task {
  const { containerInstanceArn, ...rest } = task;
  return {
    ...(task.launchType === "FARGATE" ? rest : { ...rest, ...(containerInstanceArn ? { containerInstanceArn } : {}) }),
    tags: tags ? [...tags] : undefined,
  };
}

/**
 * DescribeTasks: one pass over the tasks; answered with their kept JSON unless TAGS
 * are asked for (tags live beside the document). A client waiting on tasks asks for
 * the same ones over and over, and decoding, presenting and encoding each one again
 * was most of the call's cost.
 */
export function describeTasksHandler({ store }: Pick<EcsDeps, "store">, model: ServiceModel): NonNullable<ServiceHandlers<Operations>["DescribeTasks"]> {
  const renderings = new Renderings<Task, { readonly clusterArn: string; readonly json: string }>((task) => ({
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

async function resolveDefinition(tx: Tx, scope: Scope, ref: string): Promise<TaskDefinition> {
  const r = taskDefinitionRef(scope, ref);
  const def = await tx.getTaskDefinition(r.family, r.revision);
  if (!def) throw errors.client(`Unable to find task definition '${ref}'. Register it first, or check the family and revision.`);
  if (def.status !== "ACTIVE") throw errors.client(`TaskDefinition is inactive: ${def.taskDefinitionArn}. Run an ACTIVE revision.`);
  return def;
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

async function commitTasks(tx: Tx, tasks: readonly Task[]): Promise<void> {
  for (const t of tasks) {
    await tx.insertTask(t);
    if (t.tags && t.tags.length > 0) await tx.putTags(t.taskArn!, t.tags);
  }
}

/** A task reference (ARN or id) in a cluster → its ARN. */
function taskArnOf(scope: Scope, cluster: Cluster, ref: string): string {
  if (ref.startsWith("arn:")) {
    const resource = arnResource(scope, ref);
    if (!resource?.startsWith("task/")) throw errors.invalidParameter(`Invalid task ARN '${ref}'.`);
    return ref;
  }
  if (!/^[A-Za-z0-9-]{1,64}$/.test(ref)) throw errors.invalidParameter(`Invalid task id '${ref}'.`);
  return `arn:aws:ecs:${scope.region}:${scope.accountId}:task/${cluster.clusterName}/${ref}`;
}

/** Applies an event to a task and writes it; returns the task after the event. */
export async function changeTask(tx: Tx, arn: string, event: TaskEvent, now: Date): Promise<Task | undefined> {
  const task = await tx.getTask(arn);
  if (!task) return undefined;
  const next = applyTaskEvent(task, event, now);
  if (next !== task) await tx.putTask(next);
  return next;
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
  };
}

export interface LaunchRequest {
  readonly count: number;
  readonly constraints: readonly PlacementConstraint[];
  readonly strategy: readonly PlacementStrategy[];
  readonly random?: (() => number) | undefined;
  readonly now: Date;
}

/**
 * Places and writes `count` tasks of a launch, in the caller's transaction.
 * FARGATE tasks that find no capacity are written PROVISIONING and wait for it,
 * as ECS's do; EC2 tasks that find none come back as failures.
 */
export async function launchTasks(tx: Tx, scope: Scope, l: Launch, req: LaunchRequest): Promise<{ tasks: Task[]; failures: Failure[] }> {
  const cluster = await snapshot(tx, l.cluster.clusterArn!);
  let plan;
  try {
    plan = place(demandOf(l, req.count, req.constraints, req.strategy), cluster.instances, req.random);
  } catch (err) {
    placementError(err);
  }
  const tasks: Task[] = [];
  const failures: Failure[] = plan.failures.map((f) => ({ ...(f.arn ? { arn: f.arn } : {}), reason: f.reason }));
  for (const arn of plan.placements) {
    const on = cluster.on(arn)!;
    const address = addressFor(l.definition, on.snap, cluster.addresses(arn));
    if (address === null) failures.push({ arn, reason: "RESOURCE:ENI" });
    else tasks.push(assign(newTask(scope, l, req.now), l.definition, placementOn(on), address));
  }
  if (l.capacity.launchType === "FARGATE") {
    for (let n = failures.length; n > 0; n--) tasks.push(newTask(scope, l, req.now));
    failures.length = 0;
  }
  await commitTasks(tx, tasks);
  return { tasks, failures };
}

/**
 * Tries again to place a task that waits in PROVISIONING without an instance;
 * returns it placed, or undefined while there is still no capacity.
 */
export async function placeWaitingTask(tx: Tx, scope: Scope, task: Task): Promise<Task | undefined> {
  if (task.containerInstanceArn || task.lastStatus !== "PROVISIONING" || task.desiredStatus !== "RUNNING") return undefined;
  const r = taskDefinitionRef(scope, task.taskDefinitionArn!);
  const definition = await tx.getTaskDefinition(r.family, r.revision);
  const cluster = await tx.getCluster(task.clusterArn!);
  if (!definition || !cluster) return undefined;
  const l: Launch = {
    cluster,
    definition,
    capacity: { launchType: (task.launchType ?? "EC2") as LaunchType, ...(task.capacityProviderName ? { capacityProviderName: task.capacityProviderName } : {}) },
    ...(task.overrides ? { overrides: task.overrides } : {}),
    group: task.group ?? `family:${definition.family}`,
    tags: [],
  };
  const snap = await snapshot(tx, cluster.clusterArn!);
  const plan = place(demandOf(l, 1, [], []), snap.instances);
  const arn = plan.placements[0];
  if (!arn) return undefined;
  const on = snap.on(arn)!;
  const address = addressFor(definition, on.snap, snap.addresses(arn));
  if (address === null) return undefined;
  const placed = { ...assign(task, definition, placementOn(on), address), version: (task.version ?? 0) + 1 };
  await tx.putTask(placed);
  return placed;
}

function placementError(err: unknown): never {
  if (err instanceof PlacementInputError) throw errors.invalidParameter(err.message);
  throw err;
}

export function taskHandlers({ store, notifier, random }: EcsDeps): EcsHandlers {
  const notify = (tasks: readonly Task[]): void => {
    const arns = [...new Set(tasks.flatMap((t) => (t.containerInstanceArn ? [t.containerInstanceArn] : [])))];
    if (arns.length > 0) notifier.tasksChanged(arns);
  };
  // A service task that stopped or started is the service scheduler's business at once.
  const nudgeServices = (task: Task | undefined): void => {
    if (task?.group?.startsWith("service:")) prodServiceController(store);
  };

  async function launch(ctx: RequestContext, input: {
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
  }, tx: Tx, capacityOf: (cluster: Cluster) => Promise<Capacity>): Promise<Launch> {
    const cluster = await requireCluster(tx, ctx, input.cluster);
    const definition = await resolveDefinition(tx, ctx, input.taskDefinition);
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
      const created = await store.tx(async (tx) => {
        const count = input.count ?? 1;
        if (count < 1 || count > 10) throw errors.invalidParameter(`count must be between 1 and 10, got ${count}.`);
        const l = await launch(ctx, input, tx, (cluster) =>
          resolveCapacity(tx, ctx, cluster, input.launchType, input.capacityProviderStrategy),
        );
        const constraints: PlacementConstraint[] = [
          ...(l.definition.placementConstraints ?? []).map((c) => ({ type: c.type, expression: c.expression })),
          ...(input.placementConstraints ?? []),
        ];
        if ((input.placementConstraints ?? []).length > 10) throw errors.invalidParameter("At most 10 placement constraints can be given.");
        if (l.capacity.launchType === "FARGATE" && ((input.placementConstraints ?? []).length > 0 || (input.placementStrategy ?? []).length > 0)) {
          throw errors.invalidParameter("Placement constraints and strategies are not supported with the FARGATE launch type.");
        }
        return launchTasks(tx, ctx, l, { count, constraints, strategy: input.placementStrategy ?? [], random, now: ctx.now });
      });
      notify(created.tasks);
      return { tasks: created.tasks.map((t) => presentTask(t, t.tags)), failures: created.failures };
    },

    StartTask: async (input, ctx) => {
      const created = await store.tx(async (tx) => {
        if (input.containerInstances.length < 1 || input.containerInstances.length > 10) {
          throw errors.invalidParameter("StartTask takes between 1 and 10 container instances.");
        }
        const l = await launch(ctx, input, tx, () => Promise.resolve({ launchType: "EC2" }));
        const cluster = await snapshot(tx, l.cluster.clusterArn!);
        const tasks: Task[] = [];
        const failures: Failure[] = [];
        for (const ref of input.containerInstances) {
          const arn = ref.startsWith("arn:") ? ref : arns.containerInstance(ctx, clusterName(ctx, input.cluster), ref);
          const on = cluster.on(arn);
          if (!on) {
            failures.push({ arn, reason: "MISSING" });
            continue;
          }
          const { snap } = on;
          // StartTask skips the strategy, not the checks: the named instance must fit the task.
          const plan = place({ ...demandOf(l, 1, [], []), launchType: snap.launchTypes[0] ?? "EC2" }, [snap]);
          if (plan.failures.length > 0) {
            failures.push({ arn, reason: plan.failures[0].reason });
            continue;
          }
          const address = addressFor(l.definition, snap, cluster.addresses(arn));
          if (address === null) {
            failures.push({ arn, reason: "RESOURCE:ENI" });
            continue;
          }
          const task = assign(newTask(ctx, l, ctx.now), l.definition, placementOn(on), address);
          tasks.push(task);
        }
        await commitTasks(tx, tasks);
        return { tasks, failures };
      });
      notify(created.tasks);
      return { tasks: created.tasks.map((t) => presentTask(t, t.tags)), failures: created.failures };
    },

    StopTask: async (input, ctx) => {
      const task = await store.tx(async (tx) => {
        const cluster = await requireCluster(tx, ctx, input.cluster);
        const arn = taskArnOf(ctx, cluster, input.task);
        const reason = input.reason ?? "Task stopped by user";
        if (reason.length > 1024) throw errors.invalidParameter("reason can be at most 1024 characters.");
        const changed = await changeTask(tx, arn, { kind: "stop", code: "UserInitiated", reason }, ctx.now);
        if (!changed || changed.clusterArn !== cluster.clusterArn) throw errors.invalidParameter("The referenced task was not found.");
        return changed;
      });
      notify([task]);
      nudgeServices(task);
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
        return { taskArns: [...page.items], nextToken: nextToken(page) };
      }),

    SubmitTaskStateChange: async (input, ctx) => {
      const task = await store.tx(async (tx) => {
        const cluster = await requireCluster(tx, ctx, input.cluster);
        if (!input.task) throw errors.invalidParameter("SubmitTaskStateChange needs the task.");
        const arn = taskArnOf(ctx, cluster, input.task);
        return changeTask(
          tx,
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
      nudgeServices(task);
      return { acknowledgment: "ACK" };
    },

    SubmitContainerStateChange: async (input, ctx) => {
      const task = await store.tx(async (tx) => {
        const cluster = await requireCluster(tx, ctx, input.cluster);
        if (!input.task || !input.containerName) throw errors.invalidParameter("SubmitContainerStateChange needs the task and containerName.");
        const arn = taskArnOf(ctx, cluster, input.task);
        return changeTask(
          tx,
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
