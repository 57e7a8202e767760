// Brings a database up to the latest migration in schema.ts.

import { Migrator, type Kysely, type Migration } from "kysely";
import { migrations } from "./schema.js";
import type { Database } from "./schema.js";

/** `homeRegion`: the region Berth is configured with (schema.ts). */
export async function migrate(db: Kysely<Database>, homeRegion: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(Object.fromEntries(migrations(homeRegion)) as Record<string, Migration>) },
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(`migration failed: ${JSON.stringify(error)}`);
}
