// Gives each test its own PostgreSQL database, so test files can run in parallel
// against one server. BERTH_TEST_POSTGRES_URL names that server.

import { randomBytes } from "node:crypto";
import pg from "pg";

export const postgresTestUrl = process.env["BERTH_TEST_POSTGRES_URL"];

/** In CI, tests that need PostgreSQL must run, never silently skip. */
export function requirePostgresUrl(): string | undefined {
  if (!postgresTestUrl && process.env["CI"]) {
    throw new Error("BERTH_TEST_POSTGRES_URL is not set; .ci/run starts PostgreSQL and sets it.");
  }
  return postgresTestUrl;
}

export interface ScratchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

export async function createScratchDatabase(serverUrl: string): Promise<ScratchDatabase> {
  const name = `berth_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
