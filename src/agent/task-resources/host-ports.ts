// A bridge container's host ports, reserved for its task when the container is
// created; the task's owner releases them all (`ports.release`) once the task
// has stopped.

import type { ContainerDefinition } from "../../model/generated/ecs.js";
import { portRequests, type NetworkMode } from "../container-config.js";
import type { EngineContext } from "../engine-context.js";
import type { PortChoice } from "../ports.js";

export async function reserveHostPorts(ctx: EngineContext, taskArn: string, def: ContainerDefinition, mode: NetworkMode, signal: AbortSignal): Promise<PortChoice[]> {
  const requests = portRequests(def, mode);
  if (!requests.length) return [];
  // Only a dynamic port needs to know what the host already has bound.
  const inUse = requests.some((r) => !r.hostPort) ? await ctx.hostPortsInUse(signal) : new Set<string>();
  return ctx.ports.reserve(taskArn, requests, inUse);
}
