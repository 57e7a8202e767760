// The services tables and the migrations that build them.

import type { Migration } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ServicesTables {}

export const servicesMigrations: ReadonlyArray<readonly [string, Migration]> = [];
