import type { EcsDeps, EcsHandlers } from "./deps.js";

export function taskDefinitionsHandlers(_deps: EcsDeps): EcsHandlers {
  return {};
}
