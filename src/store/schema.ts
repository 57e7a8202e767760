// Every table Berth keeps, as Kysely sees them, and the one ordered list of
// migrations. Each area owns its tables in its own *-schema.ts file; migration
// names are numbered globally (0001 control plane, 0002 logs, 0003 registry, 0004 tasks, 0005 services, …)
// so the order never depends on the area.

import type { Migration } from "kysely";
import { controlPlaneMigrations, type ControlPlaneTables } from "./control-plane-schema.js";
import { logsMigrations, type LogsTables } from "./logs-schema.js";
import { regionsMigration } from "./regions-schema.js";
import { registryMigrations, type RegistryTables } from "./registry-schema.js";
import { servicesMigrations, type ServicesTables } from "./services-schema.js";

export type Database = ControlPlaneTables & LogsTables & RegistryTables & ServicesTables;

/** Every migration in order; `homeRegion` (`--region`) is the region of what was stored before regions were partitioned (0010). */
export function migrations(homeRegion: string): ReadonlyArray<readonly [string, Migration]> {
  return [...controlPlaneMigrations, ...logsMigrations, ...registryMigrations, ...servicesMigrations, regionsMigration(homeRegion)].sort(([a], [b]) =>
    a.localeCompare(b),
  );
}
