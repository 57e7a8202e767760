// The store contract on SQLite (a fresh file per test), and what only a file
// can show: committed state survives closing and reopening it.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openSqliteStore } from "./sqlite-store.js";
import { clusterArn, runStoreContract } from "./store-contract.js";

function tempFile(): { file: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "berth-sqlite-store-"));
  return { file: join(dir, "berth.db"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

runStoreContract("sqlite", async () => {
  const temp = tempFile();
  const store = await openSqliteStore(temp.file);
  return {
    store,
    async cleanup() {
      await store.close();
      temp.remove();
    },
  };
});

describe("SQLite store file", () => {
  it("keeps committed writes across close and reopen, and migrates an existing file without loss", async () => {
    const temp = tempFile();
    try {
      const first = await openSqliteStore(temp.file);
      assert.equal(first.kind, "sqlite");
      await first.tx(async (t) => {
        await t.insertCluster({ clusterArn: clusterArn("web"), clusterName: "web", status: "ACTIVE" });
        assert.equal(await t.nextRevision("fam"), 1);
      });
      await first.close();
      const second = await openSqliteStore(temp.file);
      try {
        assert.deepEqual(await second.tx((t) => t.getCluster(clusterArn("web"))), { clusterArn: clusterArn("web"), clusterName: "web", status: "ACTIVE" });
        assert.equal(await second.tx((t) => t.nextRevision("fam")), 2);
      } finally {
        await second.close();
      }
    } finally {
      temp.remove();
    }
  });
});
