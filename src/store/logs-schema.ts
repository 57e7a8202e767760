// The logs tables and the migrations that build them.

import type { Migration } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LogsTables {}

export const logsMigrations: ReadonlyArray<readonly [string, Migration]> = [];
