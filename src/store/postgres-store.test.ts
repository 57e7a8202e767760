// What only the PostgreSQL backend shows: several stores (replicas) on one
// database. The contract every backend passes is test/store-contract/.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { postgresBackend } from "../../test/store-contract/backends.js";

const postgres = postgresBackend();

if (!postgres) {
  console.log("postgres-store.test: BERTH_TEST_POSTGRES_URL is not set; PostgreSQL cases not registered (scripts/start-postgres.sh prints one).");
} else {
  const backend = postgres;

  describe("PostgreSQL store database", () => {
    it("serves two stores on one database (replicas) without handing out a revision twice", async () => {
      const storage = await backend.storage();
      const a = await storage.open();
      const b = await storage.open();
      try {
        const got = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).tx((t) => t.nextRevision("us-east-1", "shared"))));
        assert.deepEqual([...got].sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i + 1));
      } finally {
        await a.close();
        await b.close();
        await storage.remove();
      }
    });
  });
}
