import type { EcsDeps, EcsHandlers } from "./deps.js";

export function containerInstancesHandlers(_deps: EcsDeps): EcsHandlers {
  return {};
}
