// Every table Berth keeps, as Kysely sees them, and the one ordered list of
// migrations. Each area owns its tables in its own *-schema.ts file; migration
// names are numbered globally (0001 control plane, 0002 logs, 0003 registry, …)
// so the order never depends on the area.

import type { Migration } from "kysely";
import { controlPlaneMigrations, type ControlPlaneTables } from "./control-plane-schema.js";
import { logsMigrations, type LogsTables } from "./logs-schema.js";
import { registryMigrations, type RegistryTables } from "./registry-schema.js";

export type Database = ControlPlaneTables & LogsTables & RegistryTables;

export const migrations: ReadonlyArray<readonly [string, Migration]> = [
  ...controlPlaneMigrations,
  ...logsMigrations,
  ...registryMigrations,
].sort(([a], [b]) => a.localeCompare(b));
