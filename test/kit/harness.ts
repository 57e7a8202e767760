// Starts a real control plane on a free port for a test, with a fresh data
// directory, and hands out clients configured for it.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { ECSClient } from "@aws-sdk/client-ecs";
import type { Clock } from "../../src/clock.js";
import { startControlPlane, type ControlPlane } from "../../src/control-plane.js";
import { createScratchDatabase, requirePostgresUrl, type ScratchDatabase } from "./postgres.js";

export interface TestServer {
  readonly cp: ControlPlane;
  readonly url: string;
  readonly dataDir: string;
  /** Environment for the aws CLI and boto3 (endpoint, keys, region, no config files). */
  readonly env: NodeJS.ProcessEnv;
  /** An SDK client for the server; with a `clock`, signing by that clock as it reads when the client is made. */
  ecs(): ECSClient;
  stop(): Promise<void>;
}

export const testRegion = "us-east-1";
export const testAccount = "000000000000";

/**
 * `store: "postgres"` (or BERTH_TEST_STORE=postgres) runs the server on a scratch
 * PostgreSQL database; otherwise on SQLite in the test's data directory. With a
 * `clock`, the server runs on it and `ecs()` clients sign by it (the SDK's clock
 * offset), so their requests stay within SigV4's allowed skew.
 */
export async function startTestServer(opts: { store?: "sqlite" | "postgres"; clock?: Clock } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "berth-test-"));
  const kind = opts.store ?? (process.env["BERTH_TEST_STORE"] === "postgres" ? "postgres" : "sqlite");
  let scratch: ScratchDatabase | undefined;
  if (kind === "postgres") {
    const serverUrl = requirePostgresUrl();
    if (!serverUrl) throw new Error("BERTH_TEST_POSTGRES_URL must name a PostgreSQL server for store: postgres.");
    scratch = await createScratchDatabase(serverUrl);
  }
  const store = scratch?.url;
  const cp = await startControlPlane({
    host: "127.0.0.1",
    port: 0,
    dataDir,
    ...(store ? { store } : {}),
    accountId: testAccount,
    region: testRegion,
    ...(opts.clock ? { clock: opts.clock } : {}),
    logger: pino({ level: "silent" }),
  });
  const clock = opts.clock;
  const url = cp.edge.url;
  const credentials = { accessKeyId: cp.root.accessKeyId, secretAccessKey: cp.root.secretAccessKey };
  return {
    cp,
    url,
    dataDir,
    env: {
      PATH: process.env["PATH"],
      HOME: dataDir,
      AWS_ENDPOINT_URL: url,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_DEFAULT_REGION: testRegion,
      AWS_REGION: testRegion,
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_PAGER: "",
    },
    ecs: () =>
      new ECSClient({
        endpoint: url,
        region: testRegion,
        credentials,
        maxAttempts: 1,
        ...(clock ? { systemClockOffset: clock.now().getTime() - Date.now() } : {}),
      }),
    async stop() {
      await cp.stop();
      await scratch?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
