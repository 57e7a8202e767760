import type { EcsDeps, EcsHandlers } from "./deps.js";

export function serviceHandlers(_deps: EcsDeps): EcsHandlers {
  return {};
}
