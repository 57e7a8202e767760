// The store contract on PostgreSQL: a scratch database per test on the server
// BERTH_TEST_POSTGRES_URL names. Without it (outside CI) the cases are not
// registered; in CI requirePostgresUrl() makes its absence an error.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createScratchDatabase, requirePostgresUrl } from "../testing/postgres.js";
import { openPostgresStore } from "./postgres-store.js";
import { assertSurvivesReopen, runStoreContract } from "./store-contract.js";

const serverUrl = requirePostgresUrl();

if (!serverUrl) {
  console.log("postgres-store.test: BERTH_TEST_POSTGRES_URL is not set; PostgreSQL cases not registered (scripts/start-postgres.sh prints one).");
} else {
  const server = serverUrl;

  runStoreContract("postgres", async () => {
    const scratch = await createScratchDatabase(server);
    const store = await openPostgresStore(scratch.url);
    return {
      store,
      async cleanup() {
        await store.close();
        await scratch.drop();
      },
    };
  });

  describe("PostgreSQL store database", () => {
    it("keeps committed writes across close and reopen, and migrates an existing database without loss", async () => {
      const scratch = await createScratchDatabase(server);
      try {
        await assertSurvivesReopen("postgres", () => openPostgresStore(scratch.url));
      } finally {
        await scratch.drop();
      }
    });

    it("serves two stores on one database (replicas) without handing out a revision twice", async () => {
      const scratch = await createScratchDatabase(server);
      const a = await openPostgresStore(scratch.url);
      const b = await openPostgresStore(scratch.url);
      try {
        const got = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).tx((t) => t.nextRevision("shared"))));
        assert.deepEqual([...got].sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i + 1));
      } finally {
        await a.close();
        await b.close();
        await scratch.drop();
      }
    });
  });
}
