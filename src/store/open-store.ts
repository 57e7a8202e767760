// Picks the backend from the --store setting: a postgres:// URL, else a SQLite file.

import { join } from "node:path";
import { mkdirSync } from "node:fs";
import type { Store } from "./store.js";
import { openPostgresStore } from "./postgres-store.js";
import { openSqliteStore } from "./sqlite-store.js";

/** `homeRegion`: the region Berth is configured with (`--region`). */
export function openStore(setting: string | undefined, dataDir: string, homeRegion: string): Promise<Store> {
  if (setting && /^postgres(ql)?:\/\//.test(setting)) return openPostgresStore(setting, homeRegion);
  mkdirSync(dataDir, { recursive: true });
  return openSqliteStore(setting ?? join(dataDir, "berth.db"), homeRegion);
}
