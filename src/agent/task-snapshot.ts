// A read-only picture of one task as its owner last left it: what the metadata
// endpoint serves and what tests and the CLI inspect.

import type { HealthStatus, NetworkBinding } from "../model/generated/ecs.js";
import { awsvpcAttachment, logSettings, networkBindings, parseTaskMemoryMiB, type NetworkMode } from "./container-config.js";
import type { EngineContext } from "./engine-context.js";
import { containerView, networkModeOf, type TaskReading } from "./owned-task.js";
import { taskHealth, type DesiredStatus, type Status } from "./task-state-machine.js";

export interface ContainerSnapshot {
  readonly name: string;
  readonly role: "app" | "pause";
  readonly essential: boolean;
  readonly containerArn?: string;
  readonly dockerId?: string;
  readonly dockerName: string;
  readonly image: string;
  readonly imageId?: string;
  readonly imageDigest?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly desired: DesiredStatus;
  readonly known: Status;
  readonly exitCode?: number;
  readonly reason?: string;
  readonly health?: HealthStatus;
  readonly healthSince?: Date;
  /** CPU units and MiB, as the definition asked. */
  readonly cpu: number;
  readonly memory?: number;
  readonly createdAt?: Date;
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
  readonly networkBindings: readonly NetworkBinding[];
  readonly logDriver?: string;
  readonly logOptions?: Readonly<Record<string, string>>;
  /** Address and gateway in its network, when Docker gave it one. */
  readonly ipv4Addresses: readonly string[];
  readonly metadataToken: string;
}

export interface TaskSnapshot {
  readonly taskArn: string;
  readonly clusterArn: string;
  readonly family: string;
  readonly revision: string;
  readonly networkMode?: NetworkMode;
  readonly desired: DesiredStatus;
  readonly known: Status;
  readonly stopReason?: string;
  readonly health: HealthStatus;
  /** vCPU and MiB, when the task sets them. */
  readonly limits: { readonly cpu?: number; readonly memory?: number };
  readonly pullStartedAt?: Date;
  readonly pullStoppedAt?: Date;
  readonly executionStoppedAt?: Date;
  readonly availabilityZone?: string;
  readonly launchType?: string;
  readonly serviceName?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly awsvpc?: { readonly ipv4Address: string; readonly macAddress?: string; readonly subnetCidr?: string; readonly gateway?: string };
  readonly containers: readonly ContainerSnapshot[];
}

export function snapshotOf(owned: TaskReading, ctx: EngineContext): TaskSnapshot {
  const task = owned.assigned?.task;
  const td = owned.assigned?.taskDefinition;
  const attachment = task ? awsvpcAttachment(task) : undefined;
  const mode = networkModeOf(owned);
  const cpu = Number(task?.overrides?.cpu ?? td?.cpu ?? task?.cpu);
  const memory = parseTaskMemoryMiB(task?.overrides?.memory ?? td?.memory ?? task?.memory);
  const serviceName = task?.group?.startsWith("service:") ? task.group.slice("service:".length) : undefined;
  const containers: ContainerSnapshot[] = owned.containers.map((c) => {
    const log = c.def && task ? logSettings(c.def, task, ctx.region) : undefined;
    return {
      name: c.name,
      role: c.role,
      essential: c.essential,
      ...(c.containerArn ? { containerArn: c.containerArn } : {}),
      ...(c.runtimeId ? { dockerId: c.runtimeId } : {}),
      dockerName: c.dockerName,
      image: c.image,
      ...(c.imageId ? { imageId: c.imageId } : {}),
      ...(c.imageDigest ? { imageDigest: c.imageDigest } : {}),
      labels: c.labels,
      desired: owned.desired,
      known: c.known,
      ...(c.exitCode !== undefined && c.known === "STOPPED" ? { exitCode: c.exitCode } : {}),
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.health ? { health: c.health } : {}),
      ...(c.healthSince ? { healthSince: c.healthSince } : {}),
      cpu: c.def?.cpu ?? 0,
      ...(c.def?.memory !== undefined ? { memory: c.def.memory } : {}),
      ...(c.createdAt ? { createdAt: c.createdAt } : {}),
      ...(c.startedAt ? { startedAt: c.startedAt } : {}),
      ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
      networkBindings: c.known === "RUNNING" ? networkBindings(mode, c.def ?? {}, c.bound) : [],
      ...(log?.logConfig ? { logDriver: c.def?.logConfiguration?.logDriver ?? log.logConfig.Type, logOptions: c.def?.logConfiguration?.options ?? log.logConfig.Config } : {}),
      ipv4Addresses: mode === "awsvpc" && attachment ? [attachment.ipv4Address] : c.ipv4,
      metadataToken: c.token,
    };
  });
  return {
    taskArn: owned.taskArn,
    clusterArn: owned.clusterArn,
    family: td?.family ?? "",
    revision: String(td?.revision ?? ""),
    networkMode: mode,
    desired: owned.desired,
    known: owned.known,
    ...(owned.stopReason ? { stopReason: owned.stopReason } : {}),
    health: taskHealth(owned.containers.map((c) => containerView(owned, c, ctx.startTimeoutSeconds))),
    limits: { ...(Number.isFinite(cpu) && cpu > 0 ? { cpu: cpu / 1024 } : {}), ...(memory ? { memory } : {}) },
    ...(owned.pullStartedAt ? { pullStartedAt: owned.pullStartedAt } : {}),
    ...(owned.pullStoppedAt ? { pullStoppedAt: owned.pullStoppedAt } : {}),
    ...(owned.executionStoppedAt ? { executionStoppedAt: owned.executionStoppedAt } : {}),
    ...(task?.availabilityZone ? { availabilityZone: task.availabilityZone } : {}),
    ...(task?.launchType ? { launchType: task.launchType } : {}),
    ...(serviceName ? { serviceName } : {}),
    tags: Object.fromEntries((task?.tags ?? []).map((t) => [t.key ?? "", t.value ?? ""])),
    ...(attachment
      ? {
          awsvpc: {
            ipv4Address: attachment.ipv4Address,
            ...(attachment.macAddress ? { macAddress: attachment.macAddress } : {}),
            ...(ctx.awsvpcNetwork?.subnet ? { subnetCidr: ctx.awsvpcNetwork.subnet } : {}),
            ...(ctx.awsvpcNetwork?.gateway ? { gateway: ctx.awsvpcNetwork.gateway } : {}),
          },
        }
      : {}),
    containers,
  };
}
