import type { EcsDeps, EcsHandlers } from "./deps.js";

export function tagHandlers(_deps: EcsDeps): EcsHandlers {
  return {};
}
