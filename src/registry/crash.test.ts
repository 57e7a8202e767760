// kill -9 during a push: the server (`berth server`, its own process) dies
// while docker is uploading a layer; after a restart on the same data
// directory the registry is consistent, nothing half-written is visible, the
// push can be retried, the image pulls and runs, and GC clears the leftovers.
// On SQLite and PostgreSQL.

import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import pino from "pino";
import { systemClock } from "../clock.js";
import { openStore } from "../store/open-store.js";
import { createScratchDatabase, requirePostgresUrl, type ScratchDatabase } from "../../test/kit/postgres.js";
import { checkConsistency, collectGarbage } from "./gc.js";
import { Registry, registryDir } from "./registry.js";
import { dockerAvailable, http, run, tryRun } from "../../test/kit/registry.js";

const hasDocker = dockerAvailable();
if (!hasDocker) console.log("# crash tests skipped: no Docker Engine answers `docker info`");

const mainJs = resolve(dirname(fileURLToPath(import.meta.url)), "..", "cli", "main.js");

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => res(port));
    });
  });
}

interface ServerProcess {
  readonly child: ChildProcess;
  exited: Promise<void>;
}

async function startServer(port: number, dataDir: string, store: string | undefined, keys: { id: string; secret: string }): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [mainJs, "server", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir, ...(store ? ["--store", store] : [])],
    { env: { ...process.env, BERTH_ROOT_ACCESS_KEY_ID: keys.id, BERTH_ROOT_SECRET_ACCESS_KEY: keys.secret, BERTH_LOG_LEVEL: "warn" }, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-20_000)));
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`berth server exited early:\n${stderr}`);
    try {
      if ((await http(`http://127.0.0.1:${port}/health`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`berth server did not start:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, exited };
}

function uploadBytes(dataDir: string): number {
  const dir = join(registryDir(dataDir), "uploads");
  let max = 0;
  for (const name of readdirSync(dir)) {
    try {
      max = Math.max(max, statSync(join(dir, name)).size);
    } catch {
      // finished and renamed meanwhile
    }
  }
  return max;
}

function crashSuite(kind: "sqlite" | "postgres"): void {
  describe(`kill -9 during a push (${kind})`, { skip: !hasDocker }, () => {
    const work = mkdtempSync(join(tmpdir(), "berth-crash-"));
    const dataDir = join(work, "data");
    const keys = { id: "AKIACRASHTEST0000001", secret: randomBytes(20).toString("hex") };
    let scratch: ScratchDatabase | undefined;
    let server: ServerProcess | undefined;
    const tags: string[] = [];

    after(async () => {
      if (server && server.child.exitCode === null) {
        server.child.kill("SIGTERM");
        await server.exited;
      }
      for (const t of tags) await tryRun("docker", ["rmi", "-f", t]);
      await scratch?.drop();
      rmSync(work, { recursive: true, force: true });
    });

    it("recovers to a consistent registry and takes the retried push", async () => {
      const postgresUrl = kind === "postgres" ? requirePostgresUrl() : undefined;
      if (kind === "postgres") scratch = await createScratchDatabase(postgresUrl!);
      const store = scratch?.url;
      const port = await freePort();
      const host = `127.0.0.1:${port}`;
      const awsEnv = {
        ...process.env,
        AWS_ENDPOINT_URL: `http://${host}`,
        AWS_ACCESS_KEY_ID: keys.id,
        AWS_SECRET_ACCESS_KEY: keys.secret,
        AWS_DEFAULT_REGION: "us-east-1",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      };
      const dockerEnv = { ...process.env, DOCKER_CONFIG: join(work, "docker-config") };
      mkdirSync(join(work, "docker-config"));

      server = await startServer(port, dataDir, store, keys);
      await run("aws", ["ecr", "create-repository", "--repository-name", "crash/app"], awsEnv);
      const password = (await run("aws", ["ecr", "get-login-password"], awsEnv)).trim();
      await run("docker", ["login", "--username", "AWS", "--password-stdin", host], dockerEnv, password);

      const ctx = join(work, "ctx");
      mkdirSync(ctx);
      const marker = `survived ${randomBytes(6).toString("hex")}`;
      copyFileSync("/bin/busybox", join(ctx, "busybox"));
      writeFileSync(join(ctx, "marker"), `${marker}\n`);
      // Random bytes do not compress: the layer upload takes long enough to be cut.
      writeFileSync(join(ctx, "big"), randomBytes(96 * 1024 * 1024));
      writeFileSync(
        join(ctx, "Dockerfile"),
        ["FROM scratch", "COPY marker /marker", "COPY busybox /bin/busybox", "COPY big /big", 'CMD ["/bin/busybox", "cat", "/marker"]'].join("\n"),
      );
      const tag = `${host}/crash/app:1`;
      tags.push(tag);
      await run("docker", ["build", "-q", "-t", tag, ctx], dockerEnv);

      const push = spawn("docker", ["push", tag], { env: dockerEnv, stdio: "ignore" });
      const pushExited = new Promise<void>((res) => push.once("exit", () => res()));
      const deadline = Date.now() + 60_000;
      while (uploadBytes(dataDir) < 4 * 1024 * 1024) {
        if (Date.now() > deadline) throw new Error("the push never got going");
        if (push.exitCode !== null) throw new Error("the push finished before it could be interrupted");
        await new Promise((r) => setTimeout(r, 5));
      }
      server.child.kill("SIGKILL");
      await server.exited;
      push.kill("SIGKILL");
      await pushExited;

      server = await startServer(port, dataDir, store, keys);
      // Opening a store takes no lock (the control plane takes the data directory's),
      // so the test looks in while the server runs.
      const inspect = await openStore(store, dataDir, "us-east-1");
      try {
        const registry = new Registry({
          store: inspect,
          clock: systemClock,
          logger: pino({ level: "silent" }),
          dataDir,
          accountId: "000000000000",
          region: "us-east-1",
          publicHost: () => host,
        });
        assert.deepEqual(await checkConsistency(registry), []);
        const images = JSON.parse(await run("aws", ["ecr", "list-images", "--repository-name", "crash/app", "--output", "json"], awsEnv)) as { imageIds: unknown[] };
        assert.deepEqual(images.imageIds, [], "no image from the cut push is visible");

        // The token issued before the crash still works: tokens verify themselves against the key in the data directory.
        const ping = await http(`http://${host}/v2/`, { headers: { authorization: `Basic ${Buffer.from(`AWS:${password}`).toString("base64")}` } });
        assert.equal(ping.status, 200);
        const retried = await run("docker", ["push", tag], dockerEnv);
        assert.match(retried, /digest: sha256:/);
        await run("docker", ["rmi", tag], dockerEnv);
        const pull = await run("docker", ["pull", tag], dockerEnv);
        assert.match(pull, /Pull complete/);
        assert.equal((await run("docker", ["run", "--rm", tag], dockerEnv)).trim(), marker);

        // The cut upload is left over until the upload timeout; GC then removes it.
        const report = await collectGarbage(registry, { uploadTimeoutMs: 0 });
        assert.ok(report.uploadsRemoved >= 1, JSON.stringify(report));
        assert.deepEqual(readdirSync(join(registryDir(dataDir), "uploads")), []);
        assert.deepEqual(await checkConsistency(registry), []);
      } finally {
        await inspect.close();
      }
    });
  });
}

crashSuite("sqlite");
if (requirePostgresUrl()) crashSuite("postgres");
else console.log("# PostgreSQL crash test skipped: BERTH_TEST_POSTGRES_URL is not set");
