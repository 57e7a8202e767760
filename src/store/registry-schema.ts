// The registry tables and the migrations that build them.

import type { Migration } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RegistryTables {}

export const registryMigrations: ReadonlyArray<readonly [string, Migration]> = [];
