// A full disk end to end: `berth server` (a real process) on a data filesystem
// of 48 MiB the test mounts (tmpfs), filled with RegisterTaskDefinition until
// writes are refused. Refusals are ServerException (HTTP 500, which every SDK
// retries) and nothing else; the process stays up and serves reads; everything
// it acknowledged is there; it restarts on the full disk and still serves
// reads; once the test frees space (a filler file it made on the same
// filesystem), writes work again without a restart, and the store is whole.
// The same on PostgreSQL, with PostgreSQL's data directory on the tmpfs.
//
// Mounting needs root (CI runs as root); a test run without it fails, never skips.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { BerthTestbed, freePort, type BerthProcess } from "../kit/berth-process.js";
import { RawClient, type RawResponse } from "../kit/raw-client.js";
import { requirePostgresUrl } from "../kit/postgres.js";

const repoRoot = resolve(import.meta.dirname, "..", "..", "..");
const family = "full-disk";
/** Space the test takes back to free the disk: enough for the store to checkpoint and go on. */
const fillerBytes = 6 * 1024 * 1024;
/** Refusals in a row that say the disk is full, not a moment's lack of space. */
const refusalsInARow = 20;

/** A task definition of about 4 KiB that does not compress, so the disk fills in a few thousand registrations. */
function registration(): Record<string, unknown> {
  return {
    family,
    containerDefinitions: [{ name: "main", image: "busybox", memory: 64, environment: [{ name: "PAYLOAD", value: randomBytes(3000).toString("base64") }] }],
  };
}

/** A tmpfs of `size` mounted on a new directory; `unmount` removes both. */
function mountTmpfs(size: string): { readonly dir: string; unmount(): void } {
  const dir = mkdtempSync(join(tmpdir(), "berth-full-disk-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  return {
    dir,
    unmount() {
      try {
        execFileSync("umount", ["--lazy", dir]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

class FullDiskClient {
  private readonly client: RawClient;
  constructor(bed: BerthTestbed, server: BerthProcess) {
    this.client = new RawClient({ url: server.url!, credentials: { accessKeyId: bed.accessKeyId, secretAccessKey: bed.secretAccessKey }, region: "us-east-1" });
  }
  call(operation: string, body: unknown): Promise<RawResponse> {
    return this.client.send({ operation, body });
  }
  async ok<T>(operation: string, body: unknown): Promise<T> {
    const r = await this.call(operation, body);
    assert.equal(r.status, 200, `${operation}: ${r.status} ${r.text}`);
    return r.body as T;
  }
  async arnsOfFamily(): Promise<Set<string>> {
    const arns = new Set<string>();
    let nextToken: string | undefined;
    do {
      const page = await this.ok<{ taskDefinitionArns: string[]; nextToken?: string }>("ListTaskDefinitions", {
        familyPrefix: family,
        maxResults: 100,
        ...(nextToken ? { nextToken } : {}),
      });
      for (const arn of page.taskDefinitionArns) arns.add(arn);
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  }
}

/** The only refusal a full disk may cause: ServerException, HTTP 500. */
function assertRefusedAsDocumented(r: RawResponse, what: string): void {
  assert.equal(r.status, 500, `${what}: ${r.status} ${r.text}`);
  assert.equal(r.errorType, "ServerException", `${what}: ${r.text}`);
}

/**
 * Registers task definitions, four at a time, until `refusalsInARow` in a row
 * were refused; returns the ARNs acknowledged. Every answer is a 200 or the documented refusal.
 */
async function fill(client: FullDiskClient): Promise<string[]> {
  const acknowledged: string[] = [];
  let refusedInARow = 0;
  let sent = 0;
  while (refusedInARow < refusalsInARow) {
    sent += 4;
    const answers = await Promise.all([0, 1, 2, 3].map(() => client.call("RegisterTaskDefinition", registration())));
    for (const r of answers) {
      if (r.status === 200) {
        acknowledged.push((r.body as { taskDefinition: { taskDefinitionArn: string } }).taskDefinition.taskDefinitionArn);
        refusedInARow = 0;
      } else {
        assertRefusedAsDocumented(r, "RegisterTaskDefinition on a full disk");
        refusedInARow++;
      }
    }
    assert.ok(sent < 200_000, "the disk never filled");
  }
  return acknowledged;
}

async function assertServesReads(client: FullDiskClient, acknowledged: readonly string[]): Promise<void> {
  await client.ok("ListClusters", {});
  const last = await client.ok<{ taskDefinition: { taskDefinitionArn: string } }>("DescribeTaskDefinition", { taskDefinition: acknowledged.at(-1) });
  assert.equal(last.taskDefinition.taskDefinitionArn, acknowledged.at(-1));
  const present = await client.arnsOfFamily();
  const lost = acknowledged.filter((arn) => !present.has(arn));
  assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged registrations are missing`);
}

/** Waits out the background work a restart or a fill sets off (checkpoints, controllers), then checks the process is up. */
async function assertStaysUp(server: BerthProcess, bed: BerthTestbed): Promise<void> {
  await new Promise((r) => setTimeout(r, 3_000));
  assert.ok(server.running, `berth server died on the full disk:\n${bed.outputs()}`);
}

/** Once space is freed, writes succeed again without a restart (within a few checkpoint intervals). */
async function assertWritesResume(client: FullDiskClient): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await client.call("RegisterTaskDefinition", registration());
    if (r.status === 200) return (r.body as { taskDefinition: { taskDefinitionArn: string } }).taskDefinition.taskDefinitionArn;
    assertRefusedAsDocumented(r, "RegisterTaskDefinition after space was freed");
    assert.ok(Date.now() < deadline, "writes were still refused 15 s after space was freed");
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Runs the whole scenario against a server on a filesystem whose filler file is `filler`; a failure shows the server's output. */
async function scenario(bed: BerthTestbed, server: BerthProcess, filler: string): Promise<void> {
  try {
    await fillThenRecover(bed, server, filler);
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${bed.outputs()}`, { cause: err });
  }
}

async function fillThenRecover(bed: BerthTestbed, server: BerthProcess, filler: string): Promise<void> {
  const client = new FullDiskClient(bed, server);
  await client.ok("CreateCluster", { clusterName: "full-disk" });
  const acknowledged = await fill(client);
  assert.ok(acknowledged.length > 100, `only ${acknowledged.length} registrations before the disk filled`);
  await assertStaysUp(server, bed);
  await assertServesReads(client, acknowledged);

  await server.restart();
  await assertStaysUp(server, bed);
  await assertServesReads(client, acknowledged);

  rmSync(filler);
  const after = await assertWritesResume(client);
  await assertServesReads(client, [...acknowledged, after]);
}

describe("a full data disk", () => {
  test("SQLite: writes refused with ServerException, reads served, nothing lost, recovery once space is freed", async () => {
    const fs = mountTmpfs("48m");
    const bed = new BerthTestbed();
    try {
      const filler = join(fs.dir, "filler");
      writeFileSync(filler, Buffer.alloc(fillerBytes));
      const dataDir = join(fs.dir, "data");
      const server = await bed.server({ dataDir });
      await scenario(bed, server, filler);
      await server.stop();
      const db = new Sqlite(join(dataDir, "berth.db"), { readonly: true });
      try {
        assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
      } finally {
        db.close();
      }
    } finally {
      await bed.cleanup();
      fs.unmount();
    }
  });

  describe("PostgreSQL with its data directory on the full disk", { skip: requirePostgresUrl() ? false : "PostgreSQL is not installed here (BERTH_TEST_POSTGRES_URL)" }, () => {
    let fs: { readonly dir: string; unmount(): void };
    let pgDir: string;
    let walDir: string;
    let url: string;
    const bed = new BerthTestbed();

    before(async () => {
      // PostgreSQL's own files take about 25 MiB of it before Berth writes anything.
      fs = mountTmpfs("64m");
      pgDir = join(fs.dir, "pg");
      // Its WAL lives elsewhere, as PostgreSQL's manual advises: a full WAL disk
      // makes PostgreSQL itself stop (PANIC) and refuse to start, where a full data
      // disk only refuses writes (disk_full), which is Berth's to handle.
      walDir = mkdtempSync(join(tmpdir(), "berth-full-disk-wal-"));
      chmodSync(walDir, 0o755);
      url = execFileSync(join(repoRoot, "scripts", "start-postgres.sh"), [pgDir, String(await freePort()), join(walDir, "pg_wal")], { encoding: "utf8" }).trim();
    });
    after(async () => {
      await bed.cleanup();
      try {
        const bin = execFileSync("sh", ["-c", "ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1"], { encoding: "utf8" }).trim();
        execFileSync("runuser", ["-u", "postgres", "--", join(bin, "pg_ctl"), "-D", join(pgDir, "data"), "-m", "immediate", "stop"], { stdio: "ignore" });
      } finally {
        fs.unmount();
        rmSync(walDir, { recursive: true, force: true });
      }
    });

    test("writes refused with ServerException, reads served, nothing lost, recovery once space is freed", async () => {
      const filler = join(fs.dir, "filler");
      writeFileSync(filler, Buffer.alloc(fillerBytes));
      const server = await bed.server({ store: url });
      await scenario(bed, server, filler);
      // Every row of every table read back: a page PostgreSQL cannot read fails the scan.
      const check = new pg.Client({ connectionString: url });
      await check.connect();
      try {
        const tables = await check.query<{ tablename: string }>("select tablename from pg_tables where schemaname = 'public'");
        for (const { tablename } of tables.rows) await check.query(`select count(*) from "${tablename}"`);
      } finally {
        await check.end();
      }
    });
  });
});
