// A container's environmentFiles, read on the agent host when the container is
// created. Nothing is kept, so nothing is cleaned up.

import type { ContainerDefinition, KeyValuePair } from "../../model/generated/ecs.js";
import { envFilePath, parseEnvFile } from "../container-config.js";
import type { EngineContext } from "../engine-context.js";
import { ResourceInitError } from "./resource-init-error.js";

/** The files' variables in order (a later file overrides an earlier one when they are merged). */
export async function readEnvironmentFiles(ctx: EngineContext, def: ContainerDefinition): Promise<KeyValuePair[]> {
  const fileEnvironment: KeyValuePair[] = [];
  for (const f of def.environmentFiles ?? []) {
    let path: string;
    try {
      path = envFilePath(f.value);
    } catch (err) {
      throw new ResourceInitError((err as Error).message);
    }
    const content = await ctx.readEnvFile(path).catch((err: unknown) => {
      throw new ResourceInitError(`cannot read environment file ${path}: ${(err as Error).message}`);
    });
    fileEnvironment.push(...parseEnvFile(content));
  }
  return fileEnvironment;
}
