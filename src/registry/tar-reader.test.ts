// The tar reader against archives GNU tar writes in its three formats.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { readInventory } from "./package-db.js";
import { readTar, type TarEntry } from "./tar-reader.js";

const work = mkdtempSync(join(tmpdir(), "berth-tar-"));
after(() => rmSync(work, { recursive: true, force: true }));

const longDir = "a".repeat(60) + "/" + "b".repeat(60);
const root = join(work, "root");
mkdirSync(join(root, longDir), { recursive: true });
mkdirSync(join(root, "etc"), { recursive: true });
writeFileSync(join(root, longDir, "deep.txt"), "deep contents\n");
writeFileSync(join(root, "etc", "hello.txt"), "hello\n");
writeFileSync(join(root, "big.bin"), Buffer.alloc(100_000, 7));

function archive(format: string): Buffer {
  return execFileSync("tar", ["--format", format, "-C", root, "-cf", "-", "."], { maxBuffer: 1 << 26 });
}

/** Feeds the archive in awkward chunk sizes, as a network stream would. */
function chunked(data: Buffer, size = 333): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size));
  return Readable.from(parts);
}

for (const format of ["gnu", "ustar", "pax"]) {
  describe(`readTar (${format})`, () => {
    it("lists every entry, long names included, and reads only what is wanted", async () => {
      const entries: TarEntry[] = [];
      const files = new Map<string, string>();
      await readTar(chunked(archive(format)), {
        want: (e) => e.path.endsWith(".txt"),
        onEntry: (e) => entries.push(e),
        onFile: (e, data) => files.set(e.path, data.toString("utf8")),
      });
      const paths = entries.map((e) => e.path);
      assert.ok(paths.includes(`${longDir}/deep.txt`), `long name missing from ${paths.join(", ")}`);
      assert.ok(paths.includes("big.bin"));
      assert.equal(entries.find((e) => e.path === "big.bin")?.size, 100_000);
      assert.equal(entries.find((e) => e.path === "etc")?.type, "directory");
      assert.deepEqual(Object.fromEntries(files), { [`${longDir}/deep.txt`]: "deep contents\n", "etc/hello.txt": "hello\n" });
    });
  });
}

describe("readInventory", () => {
  function layer(files: Record<string, string>): () => Readable {
    const dir = mkdtempSync(join(work, "layer-"));
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    const tar = execFileSync("tar", ["-C", dir, "-cf", "-", "."]);
    const gz = gzipSync(tar);
    return () => Readable.from([gz]);
  }
  const status = (pkgs: [string, string, string?][]): string =>
    pkgs.map(([p, v, src]) => `Package: ${p}\nStatus: install ok installed\n${src ? `Source: ${src}\n` : ""}Version: ${v}\nDescription: x\n more\n`).join("\n");

  it("reads dpkg packages and os-release, the top layer winning, whiteouts applied", async () => {
    const inv = await readInventory([
      layer({ "etc/os-release": 'ID=debian\nVERSION_ID="12"\n', "var/lib/dpkg/status": status([["libssl3", "3.0.0-1", "openssl"], ["zlib1g", "1:1.2.13.dfsg-1"]]) }),
      layer({ "var/lib/dpkg/status": status([["libssl3", "3.0.11-1", "openssl (3.0.11-1)"]]), "lib/apk/db/.wh.installed": "" }),
    ]);
    assert.equal(inv.ecosystem, "Debian:12");
    assert.deepEqual(inv.packages, [{ name: "libssl3", source: "openssl", version: "3.0.11-1", manager: "dpkg" }]);
  });

  it("reads apk's database and drops files a whiteout removed", async () => {
    const inv = await readInventory([
      layer({ "etc/os-release": "ID=alpine\nVERSION_ID=3.19.1\n", "lib/apk/db/installed": "P:musl\nV:1.2.4_git20230717-r4\no:musl\n\nP:busybox\nV:1.36.1-r15\n" }),
      layer({ "etc/.wh.motd": "" }),
    ]);
    assert.equal(inv.ecosystem, "Alpine:v3.19");
    assert.deepEqual(inv.packages.map((p) => `${p.name}@${p.version}`), ["musl@1.2.4_git20230717-r4", "busybox@1.36.1-r15"]);
    const gone = await readInventory([layer({ "lib/apk/db/installed": "P:musl\nV:1\n" }), layer({ "lib/apk/db/.wh.installed": "" })]);
    assert.deepEqual(gone.packages, []);
  });
});
