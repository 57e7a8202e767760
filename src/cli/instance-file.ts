// The running instance leaves its endpoint and keys in the data directory, so
// `berth env` in another shell can print them.

import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface InstanceInfo {
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly pid: number;
}

const fileIn = (dataDir: string): string => join(dataDir, "instance.json");

export function writeInstanceInfo(dataDir: string, info: InstanceInfo): void {
  writeFileSync(fileIn(dataDir), JSON.stringify(info, null, 2) + "\n", { mode: 0o600 });
}

export function readInstanceInfo(dataDir: string): InstanceInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(fileIn(dataDir), "utf8")) as InstanceInfo;
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}

export function removeInstanceInfo(dataDir: string): void {
  rmSync(fileIn(dataDir), { force: true });
}

export function exportLines(info: InstanceInfo): string {
  return [
    `export AWS_ENDPOINT_URL=${info.endpoint}`,
    `export AWS_ACCESS_KEY_ID=${info.accessKeyId}`,
    `export AWS_SECRET_ACCESS_KEY=${info.secretAccessKey}`,
    `export AWS_REGION=${info.region}`,
    `export AWS_DEFAULT_REGION=${info.region}`,
  ].join("\n");
}
