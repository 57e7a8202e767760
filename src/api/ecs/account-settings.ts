import type { EcsDeps, EcsHandlers } from "./deps.js";

export function accountSettingHandlers(_deps: EcsDeps): EcsHandlers {
  return {};
}
