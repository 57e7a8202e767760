// A read-only picture of one task as its owner last left it: what the metadata
// endpoint serves and what tests and the CLI inspect.

import type { HealthStatus, NetworkBinding } from "../model/generated/ecs.js";
import type { NetworkMode } from "./container-config.js";
import type { DesiredStatus, Status } from "./task-state-machine.js";

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
