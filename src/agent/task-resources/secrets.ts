// A container's secrets, resolved when the container is created by the engine's
// `resolveSecret`. Their values go into the container's environment only, so
// nothing is cleaned up.

import type { ContainerDefinition, KeyValuePair, Task } from "../../model/generated/ecs.js";
import type { EngineContext } from "../engine-context.js";
import { ResourceInitError } from "./resource-init-error.js";

export async function resolveSecrets(ctx: EngineContext, def: ContainerDefinition, task: Task): Promise<KeyValuePair[]> {
  const secretEnvironment: KeyValuePair[] = [];
  for (const s of def.secrets ?? []) {
    if (!ctx.resolveSecret) throw new ResourceInitError(`secret ${s.name}: this agent cannot resolve secrets`);
    const value = await ctx.resolveSecret(s.valueFrom, task).catch((err: unknown) => {
      throw new ResourceInitError(`secret ${s.name} (${s.valueFrom}): ${(err as Error).message}`);
    });
    secretEnvironment.push({ name: s.name, value });
  }
  return secretEnvironment;
}
