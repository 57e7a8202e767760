import type { EcsDeps, EcsHandlers } from "./deps.js";

export function clusterHandlers(_deps: EcsDeps): EcsHandlers {
  return {};
}
