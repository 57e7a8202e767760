// Settings every berth command shares: flags, with environment fallbacks.

import { homedir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";

export interface CommonSettings {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly store?: string;
  readonly accountId: string;
  readonly region: string;
}

const env = process.env;

export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option("--port <port>", "the edge port every API is served on (BERTH_PORT)", env["BERTH_PORT"] ?? "8844")
    .option("--host <address>", "the address to listen on (BERTH_HOST)", env["BERTH_HOST"] ?? "0.0.0.0")
    .option("--data-dir <dir>", "where state and keys are kept (BERTH_DATA_DIR)", env["BERTH_DATA_DIR"] ?? join(homedir(), ".berth"))
    .option("--store <url>", "postgres://… to keep state in PostgreSQL; default: SQLite in the data directory (BERTH_STORE)", env["BERTH_STORE"])
    .option("--account-id <id>", "the account id every ARN carries (BERTH_ACCOUNT_ID)", env["BERTH_ACCOUNT_ID"] ?? "000000000000")
    .option("--region <region>", "the region every ARN carries and requests are signed for (BERTH_REGION)", env["BERTH_REGION"] ?? "us-east-1");
}

export function readCommonSettings(opts: Record<string, unknown>): CommonSettings {
  const port = Number(opts["port"]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, not '${String(opts["port"])}'.`);
  const accountId = String(opts["accountId"]);
  if (!/^\d{12}$/.test(accountId)) throw new Error(`--account-id must be 12 digits, not '${accountId}'.`);
  const store = typeof opts["store"] === "string" ? opts["store"] : undefined;
  return {
    port,
    host: String(opts["host"]),
    dataDir: String(opts["dataDir"]),
    ...(store ? { store } : {}),
    accountId,
    region: String(opts["region"]),
  };
}
