import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tar } from "./tar.js";

test("the system tar reads what tar() writes, with modes and contents intact", async () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-tar-"));
  const archive = join(dir, "a.tar");
  const big = Buffer.alloc(1500, 7);
  writeFileSync(archive, await tar([{ name: "Dockerfile", content: "FROM scratch\n" }, { name: "bin/tool", content: big, mode: 0o755 }]));
  execFileSync("tar", ["-xf", archive, "-C", dir]);
  assert.equal(readFileSync(join(dir, "Dockerfile"), "utf8"), "FROM scratch\n");
  assert.deepEqual(readFileSync(join(dir, "bin/tool")), big);
  assert.equal(statSync(join(dir, "bin/tool")).mode & 0o777, 0o755);
});
