// What every task owner shares: the engine's parts and settings, made once when
// the engine starts and handed to each owner, its actions and its resources.

import type { Task } from "../model/generated/ecs.js";
import type { TaskHealth } from "../protocol/channel.js";
import type { AgentClock } from "./agent-clock.js";
import type { DockerRuntime, RegistryCredentials } from "./docker-runtime.js";
import type { PullBehavior, SharedImageCalls } from "./image-pull.js";
import type { HostPortAllocator } from "./ports.js";
import type { TaskStateReports } from "./state-reports.js";

export interface AgentLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface EngineContext {
  readonly agentId: string;
  readonly runtime: DockerRuntime;
  readonly clock: AgentClock;
  readonly reports: TaskStateReports;
  readonly ports: HostPortAllocator;
  readonly pulledImages: Set<string>;
  /** Image pulls and lookups in flight, shared by every task that needs the same image at the same time. */
  readonly images: SharedImageCalls;
  readonly pullBehavior: PullBehavior;
  readonly registryAuth?: (imageRef: string) => Promise<RegistryCredentials | undefined>;
  /** The reference a container's image is pulled and created by (`image-pull.ts` imageSource); the task definition keeps its own. */
  readonly imageSource: (image: string) => string;
  readonly resolveSecret?: (valueFrom: string, task: Task) => Promise<string>;
  readonly readEnvFile: (path: string) => Promise<string>;
  readonly stopTimeoutSeconds: number;
  readonly startTimeoutSeconds: number;
  readonly cleanupWaitMs: number;
  readonly region: string;
  readonly dockerArch: string;
  readonly bridgeGateway?: string;
  readonly awsvpcNetwork?: { readonly name: string; readonly gateway?: string; readonly subnet?: string };
  readonly metadataPort?: number;
  readonly log: AgentLogger;
  hostPortsInUse(signal: AbortSignal): Promise<Set<string>>;
  /** The owner finished (cleaned up, or stopped being assigned and removed its containers). */
  onDone(taskArn: string): void;
  /** A task's health changed. */
  readonly onHealth?: (report: TaskHealth) => void;
}
