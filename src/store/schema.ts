// Every table Berth keeps, as Kysely sees them, and the one ordered list of
// migrations. Each area owns its tables in its own *-schema.ts file; migration
// names are numbered globally so the order never depends on the area.

import type { Migration } from "kysely";
import { controlPlaneMigrations, type ControlPlaneTables } from "./control-plane-schema.js";

export type Database = ControlPlaneTables;

export const migrations: ReadonlyArray<readonly [string, Migration]> = [...controlPlaneMigrations].sort(([a], [b]) =>
  a.localeCompare(b),
);
