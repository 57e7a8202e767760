// The LogStore over Kysely, shared by SQLite and PostgreSQL.

import type { Kysely } from "kysely";
import type { DialectQuirks } from "./kysely-store.js";
import type { LogStore } from "./log-store.js";
import type { Database } from "./schema.js";

export class KyselyLogStore implements LogStore {
  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly quirks: DialectQuirks,
  ) {}
}
