// The RegistryStore over Kysely, shared by SQLite and PostgreSQL.

import type { Kysely } from "kysely";
import type { DialectQuirks } from "./kysely-store.js";
import type { RegistryStore } from "./registry-store.js";
import type { Database } from "./schema.js";

export class KyselyRegistryStore implements RegistryStore {
  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly quirks: DialectQuirks,
  ) {}
}
