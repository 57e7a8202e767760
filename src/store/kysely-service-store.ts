// ServiceTx over Kysely, shared by SQLite and PostgreSQL.

import type { Transaction } from "kysely";
import type { DialectQuirks } from "./kysely-store.js";
import type { Database } from "./schema.js";
import type { ServiceTx } from "./service-store.js";

export class KyselyServiceTx implements ServiceTx {
  constructor(
    protected readonly db: Transaction<Database>,
    protected readonly quirks: DialectQuirks,
  ) {}

  countActiveServices(_clusterArn: string): Promise<number> {
    return Promise.resolve(0);
  }
}
