// The one place the store's tests open a backend: SQLite on a fresh file, and
// PostgreSQL on a scratch database of the server BERTH_TEST_POSTGRES_URL names.
// Without that variable the PostgreSQL backend is left out (outside CI; in CI
// requirePostgresUrl() makes its absence an error).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { openPostgresStore } from "../../src/store/postgres-store.js";
import { openSqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { testRegion } from "../kit/harness.js";
import { createScratchDatabase, requirePostgresUrl, type ScratchDatabase } from "../kit/postgres.js";

/** Empty storage of one backend that stores open on, one after another or side by side. */
export interface Storage {
  open(): Promise<Store>;
  /** The SQLite file, for tests that look into it directly. */
  readonly file?: string;
  /** Removes the storage; every store opened on it must be closed first. */
  remove(): Promise<void>;
}

export interface StoreBackend {
  readonly name: Store["kind"];
  /** What its storage is called: a "file" or a "database". */
  readonly storageNoun: string;
  storage(): Promise<Storage>;
}

/** A store on fresh storage, for one test. */
export interface OpenedStore {
  readonly store: Store;
  readonly file?: string;
  /** Closes the store and removes its storage. */
  cleanup(): Promise<void>;
}

export async function openFresh(backend: StoreBackend): Promise<OpenedStore> {
  const storage = await backend.storage();
  const store = await storage.open();
  return {
    store,
    ...(storage.file === undefined ? {} : { file: storage.file }),
    async cleanup() {
      await store.close();
      await storage.remove();
    },
  };
}

export const sqliteBackend: StoreBackend = {
  name: "sqlite",
  storageNoun: "file",
  storage() {
    const dir = mkdtempSync(join(tmpdir(), "berth-store-"));
    const file = join(dir, "berth.db");
    return Promise.resolve({
      file,
      open: () => openSqliteStore(file, testRegion),
      remove: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    });
  },
};

/** The PostgreSQL backend on the test server, or undefined when none is named. */
export function postgresBackend(): StoreBackend | undefined {
  const server = requirePostgresUrl();
  if (!server) return undefined;
  return {
    name: "postgres",
    storageNoun: "database",
    async storage() {
      const scratch = await createScratchDatabase(server);
      return { open: () => openPostgresStore(scratch.url, testRegion), remove: () => dropWhenDisconnected(server, scratch) };
    },
  };
}

/** Every backend these tests can reach: SQLite always, PostgreSQL when its server is named. */
export function storeBackends(): readonly StoreBackend[] {
  const postgres = postgresBackend();
  if (!postgres) console.log("# BERTH_TEST_POSTGRES_URL is not set: the store's PostgreSQL cases are not registered (scripts/start-postgres.sh prints one).");
  return postgres ? [sqliteBackend, postgres] : [sqliteBackend];
}

/** Drops the scratch database once a closed pool's sockets are really gone (pg's end() resolves first). */
async function dropWhenDisconnected(server: string, scratch: ScratchDatabase): Promise<void> {
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    const name = new URL(scratch.url).pathname.slice(1);
    for (let i = 0; i < 100; i++) {
      const r = await admin.query<{ n: string }>("select count(*) as n from pg_stat_activity where datname = $1", [name]);
      if (Number(r.rows[0]?.n) === 0) break;
      await sleep(50);
    }
  } finally {
    await admin.end();
  }
  await scratch.drop();
}
