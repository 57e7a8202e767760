import type { EcsDeps, EcsHandlers } from "./deps.js";

export function capacityProviderHandlers(_deps: EcsDeps): EcsHandlers {
  return {};
}
