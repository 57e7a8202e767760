// Picks the backend from the --store setting: a postgres:// URL, else a SQLite file.

import { join } from "node:path";
import { mkdirSync } from "node:fs";
import type { Store } from "./store.js";
import { openPostgresStore } from "./postgres-store.js";
import { openSqliteStore } from "./sqlite-store.js";

export function openStore(setting: string | undefined, dataDir: string): Promise<Store> {
  if (setting && /^postgres(ql)?:\/\//.test(setting)) return openPostgresStore(setting);
  mkdirSync(dataDir, { recursive: true });
  return openSqliteStore(setting ?? join(dataDir, "berth.db"));
}
