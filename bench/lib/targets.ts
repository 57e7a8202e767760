// The servers the API benchmarks measure, each started as its own process:
// Berth (`berth server` on SQLite, or on a scratch PostgreSQL database) and
// moto's server; startPeer for any other peer program. A target that cannot run
// here throws Unavailable, which the benchmarks report as skipped.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createScratchDatabase, type ScratchDatabase } from "../../test/kit/postgres.js";
import { freePort, startServer, type RunningServer, type ServerSpec } from "./processes.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const berthMain = join(repoRoot, "dist", "src", "cli", "main.js");

/** Thrown when a target cannot run here (no PostgreSQL, no moto_server): reported as skipped. */
export class Unavailable extends Error {}

export interface Target {
  /** http://127.0.0.1:port */
  readonly endpoint: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface BerthTarget {
  readonly store: "sqlite" | "postgres";
  /** How progress and errors name it. */
  readonly label: string;
  /** The PostgreSQL server a scratch database is made on (store "postgres"). */
  readonly postgresUrl: string;
  readonly region: string;
  /** The root key the benchmark signs with. */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Runs Berth under `node --cpu-prof`, writing its profile into this directory. */
  readonly cpuProfDir?: string;
}

export interface BerthServer extends Target {
  /** Its --data-dir (the SQLite database, the registry's blobs). */
  readonly dataDir: string;
  /** The scratch database it runs on (store "postgres"). */
  readonly postgresUrl?: string;
}

export async function startBerth(t: BerthTarget): Promise<BerthServer> {
  let scratch: ScratchDatabase | undefined;
  if (t.store === "postgres") {
    try {
      scratch = await createScratchDatabase(t.postgresUrl);
    } catch (err) {
      throw new Unavailable(`no PostgreSQL at ${redact(t.postgresUrl)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const dataDir = mkdtempSync(join(tmpdir(), "berth-bench-"));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BERTH_ROOT_ACCESS_KEY_ID: t.accessKeyId,
    BERTH_ROOT_SECRET_ACCESS_KEY: t.secretAccessKey,
    BERTH_LOG_LEVEL: "warn",
  };
  delete env["BERTH_STORE"];
  const profile: string[] = [];
  if (t.cpuProfDir) {
    mkdirSync(t.cpuProfDir, { recursive: true });
    profile.push("--cpu-prof", "--cpu-prof-dir", t.cpuProfDir);
  }
  let server: RunningServer;
  try {
    server = await startServer({
      name: t.label,
      command: process.execPath,
      args: [
        ...profile,
        berthMain,
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--data-dir",
        dataDir,
        "--region",
        t.region,
        ...(scratch ? ["--store", scratch.url] : []),
      ],
      env,
      readyOutput: /is running/,
    });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    await scratch?.drop();
    throw err;
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pid: server.pid,
    dataDir,
    ...(scratch ? { postgresUrl: scratch.url } : {}),
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
      await scratch?.drop();
    },
  };
}

/** Starts a peer program that may not be installed here; if it is not, throws Unavailable saying how to install it. */
export async function startPeer(spec: ServerSpec, install: string): Promise<RunningServer> {
  try {
    return await startServer(spec);
  } catch (err) {
    if (err instanceof Error && "code" in err && err.code === "ENOENT") throw new Unavailable(`${spec.command} is not on PATH (${install})`);
    throw err;
  }
}

export async function startMoto(): Promise<Target> {
  const port = await freePort();
  const server = await startPeer(
    { name: "moto_server", command: "moto_server", args: ["-p", String(port)], readyUrl: `http://127.0.0.1:${port}/moto-api/`, startTimeoutMs: 60_000 },
    "pip install 'moto[server]'",
  );
  return { endpoint: `http://127.0.0.1:${port}`, pid: server.pid, stop: () => server.stop() };
}

/** A URL with its password hidden, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}
