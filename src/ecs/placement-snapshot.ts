// What placement sees of a launch's capacity: the ACTIVE and DRAINING instances of
// its pool, net of what their live tasks hold (cpu, memory, ports, awsvpc
// addresses, groups), read once per launch in the launch's transaction. The pool
// is the launch's cluster; for FARGATE, which has no cluster of its own, every
// cluster of the region with an instance that offers Fargate capacity.
//
//   poolOf(launch type, cluster, Fargate clusters) ─ per cluster of the pool:
//     store: clusterInstances (decoded once per change) ─ idleCluster ─┐
//     store: liveReservations (per instance, per distinct reservation) ┴─ withTasks ─ ClusterSnapshot

import { awsvpcSubnetAttribute, launchTypeAttributePrefix } from "../protocol/attributes.js";
import type { ContainerInstance } from "../model/generated/ecs.js";
import type { InstanceSnapshot, LaunchType } from "../scheduler/placement.js";
import type { HeldReservation, InstanceWithAttributes, Tx } from "../store/store.js";

/** One instance's document and what placement sees of it. */
export interface Placed {
  readonly instance: ContainerInstance;
  readonly snap: InstanceSnapshot;
}

/** What placement sees of a launch's pool of clusters, read once per call. */
export interface ClusterSnapshot {
  /** Every ACTIVE or DRAINING instance of the pool, net of what live tasks hold. */
  readonly instances: readonly InstanceSnapshot[];
  /** One of those instances' document and snapshot. */
  on(instanceArn: string): Placed | undefined;
}

/** A cluster's instances as placement sees them with no task on them, and their documents by ARN. */
interface IdleCluster {
  readonly instances: readonly InstanceSnapshot[];
  readonly byArn: ReadonlyMap<string, Placed>;
}

/** The launch types an instance serves; one its agent says nothing about serves EC2, as in ECS. */
export function launchTypesOf(attributes: Readonly<Record<string, string | null>>): LaunchType[] {
  const declared = (["EC2", "FARGATE", "EXTERNAL"] as const).filter((t) => `${launchTypeAttributePrefix}${t}` in attributes);
  return declared.length > 0 ? declared : ["EC2"];
}

/**
 * The store hands out the same decoded instance list until an instance or an
 * attribute of the cluster changes, so its idle view is worked out once per change,
 * not once per launch.
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
        subnet: attributes[awsvpcSubnetAttribute] ?? undefined,
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
  let addresses: Set<string> | undefined;
  const tasks: { group?: string }[] = [];
  for (const r of held) {
    cpu -= r.cpu * r.tasks;
    memory -= r.memory * r.tasks;
    if (r.tcpPorts.length > 0) tcp = new Set([...tcp, ...r.tcpPorts]);
    if (r.udpPorts.length > 0) udp = new Set([...udp, ...r.udpPorts]);
    if (r.address) (addresses ??= new Set()).add(r.address);
    const task = r.group ? { group: r.group } : {};
    for (let i = 0; i < r.tasks; i++) tasks.push(task);
  }
  // Written out rather than spread from `idle`: this runs for every busy instance on every launch.
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
    subnet: idle.subnet,
    usedAddresses: addresses,
  };
}

/**
 * The clusters whose instances a launch in `clusterArn` may use, in ARN order: its own; for
 * FARGATE also every cluster of the same region and account among `fargateClusters` (those
 * with an instance that offers Fargate capacity). EC2 and EXTERNAL tasks keep ECS's rule:
 * only instances registered in their cluster.
 */
export function poolOf(launchType: LaunchType, clusterArn: string, fargateClusters: readonly string[]): readonly string[] {
  if (launchType !== "FARGATE") return [clusterArn];
  const region = clusterArn.slice(0, clusterArn.indexOf(":cluster/") + 1);
  return [...new Set([clusterArn, ...fargateClusters.filter((arn) => arn.startsWith(region))])].sort();
}

/**
 * The placement snapshot of a launch's pool (`poolOf`), from the store's decoded instances
 * and what their live tasks hold, counted per instance and distinct reservation (never the tasks).
 * Invariant: the caller holds its own cluster's row (getCluster locks it), and this locks the
 * pool's other clusters, so no other placement on these instances commits between this read
 * and the caller's commit.
 */
export async function snapshot(tx: Tx, clusterArn: string, launchType: LaunchType): Promise<ClusterSnapshot> {
  const fargateClusters = launchType === "FARGATE" ? await tx.clustersWithInstanceAttribute(`${launchTypeAttributePrefix}FARGATE`) : [];
  const instances: InstanceSnapshot[] = [];
  const parts: { idle: IdleCluster; busy: Map<string, InstanceSnapshot> }[] = [];
  for (const arn of poolOf(launchType, clusterArn, fargateClusters)) {
    if (arn !== clusterArn) await tx.getCluster(arn);
    const held = new Map<string, HeldReservation[]>();
    for (const r of await tx.liveReservations(arn)) {
      const list = held.get(r.containerInstanceArn);
      if (list) list.push(r);
      else held.set(r.containerInstanceArn, [r]);
    }
    const idle = idleCluster(await tx.clusterInstances(arn));
    const busy = new Map<string, InstanceSnapshot>();
    for (const snap of idle.instances) {
      const mine = held.get(snap.arn);
      if (!mine) {
        instances.push(snap);
        continue;
      }
      const net = withTasks(snap, mine);
      busy.set(snap.arn, net);
      instances.push(net);
    }
    parts.push({ idle, busy });
  }
  return {
    instances,
    on: (instanceArn) => {
      for (const { idle, busy } of parts) {
        const placed = idle.byArn.get(instanceArn);
        if (placed) return { instance: placed.instance, snap: busy.get(instanceArn) ?? placed.snap };
      }
      return undefined;
    },
  };
}
