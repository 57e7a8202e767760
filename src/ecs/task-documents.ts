// A task's documents as the domain builds them: a new task (PROVISIONING, on no
// instance yet) from a Launch, and that task assigned to the instance placement
// chose (its host ports bound, its ENI given an address, its zone set). Pure.

import { randomUUID } from "node:crypto";
import type {
  Attachment,
  Cluster,
  Container,
  NetworkBinding,
  NetworkConfiguration,
  NetworkInterface,
  Tag,
  Task,
  TaskDefinition,
  TaskOverride,
} from "../model/generated/ecs.js";
import type { Scope } from "./arns.js";
import type { TaskCapacity } from "./capacity.js";
import { definedMembers } from "./defined-members.js";
import type { Placed } from "./placement-snapshot.js";

const taskId = (): string => randomUUID().replace(/-/g, "");

/** Task-level cpu and memory to reserve: the task's, else the sum of its containers'. */
export function taskSize(def: TaskDefinition, overrides: TaskOverride | undefined): { cpu: number; memory: number } {
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
export function staticPorts(def: TaskDefinition, protocol: "tcp" | "udp"): number[] {
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

/** What a launch makes tasks of: the revision, where its capacity comes from, and what the tasks carry. */
export interface Launch {
  readonly cluster: Cluster;
  readonly definition: TaskDefinition;
  readonly capacity: TaskCapacity;
  readonly overrides?: TaskOverride;
  readonly group: string;
  readonly startedBy?: string;
  readonly network?: NetworkConfiguration;
  readonly tags: readonly Tag[];
  readonly enableExecuteCommand?: boolean;
}

/** Where a task goes: the instance's ARN, and its availability zone. */
export interface Placement {
  readonly instanceArn: string;
  readonly zone?: string;
}

export function placementOn({ snap }: Placed): Placement {
  const zone = snap.attributes["ecs.availability-zone"];
  return { instanceArn: snap.arn, ...(zone ? { zone } : {}) };
}

/** A new task document, not yet on any instance (PROVISIONING). */
export function newTask(scope: Scope, launch: Launch, now: Date): Task {
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
  const containers: Container[] = (def.containerDefinitions ?? []).map((c) =>
    definedMembers<Container>({
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
    }),
  );
  return definedMembers<Task>({
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
  });
}

/**
 * The task on its instance: its static host ports bound, its ENI given the
 * address, its zone set. awsvpc tasks stay PROVISIONING until the agent reports.
 */
export function assign(task: Task, def: TaskDefinition, on: Placement, address: string | undefined): Task {
  const eni = task.attachments?.find((a) => a.type === "ElasticNetworkInterface");
  return {
    ...task,
    containerInstanceArn: on.instanceArn,
    lastStatus: def.networkMode === "awsvpc" ? "PROVISIONING" : "PENDING",
    ...(on.zone ? { availabilityZone: on.zone } : {}),
    attachments: (task.attachments ?? []).map((a) =>
      a === eni && address ? { ...a, status: "ATTACHED", details: [...(a.details ?? []), { name: "privateIPv4Address", value: address }] } : a,
    ),
    containers: (task.containers ?? []).map((c) => ({
      ...c,
      networkBindings: staticBindings(def, c.name),
      networkInterfaces: eni && address ? [definedMembers<NetworkInterface>({ attachmentId: eni.id, privateIpv4Address: address })] : [],
    })),
  };
}

/** A locally administered MAC address derived from the task id. */
const macFor = (id: string): string => ["0a", ...(id.slice(0, 10).match(/../g) ?? [])].join(":");
