// The store contract on SQLite (a fresh file per test), and what only a file
// can show: committed state survives closing and reopening it.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openSqliteStore } from "./sqlite-store.js";
import { assertSurvivesReopen, runStoreContract } from "./store-contract.js";

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
      await assertSurvivesReopen("sqlite", () => openSqliteStore(temp.file));
    } finally {
      temp.remove();
    }
  });
});
