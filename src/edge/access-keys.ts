// Who may call Berth: access key pairs and the principal each one stands for.
// The root pair is created on first start and kept in the data directory.

import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

export interface Principal {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The IAM-style ARN written into registeredBy, principalArn, and the like. */
  readonly arn: string;
  readonly kind: "root" | "agent";
  /** Which actions the principal may call; every action when absent. */
  readonly allows?: (service: string, operation: string) => boolean;
}

export interface KeyRing {
  lookup(accessKeyId: string): Principal | undefined;
}

export class StaticKeyRing implements KeyRing {
  private readonly byId = new Map<string, Principal>();
  constructor(principals: readonly Principal[]) {
    for (const p of principals) this.byId.set(p.accessKeyId, p);
  }
  lookup(accessKeyId: string): Principal | undefined {
    return this.byId.get(accessKeyId);
  }
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function newAccessKeyId(prefix = "AKIA"): string {
  return prefix + Array.from(randomBytes(16), (b) => alphabet[b % 32]).join("");
}

export function newSecretAccessKey(): string {
  return randomBytes(30).toString("base64").replace(/[+/]/g, (c) => (c === "+" ? "A" : "B"));
}

export interface RootKeyOptions {
  readonly dataDir: string;
  readonly accountId: string;
  readonly presetAccessKeyId?: string;
  readonly presetSecretAccessKey?: string;
}

/** The root pair: preset from the environment, else the one kept in the data directory, else a new one. */
export function loadRootKey(opts: RootKeyOptions): Principal {
  const arn = `arn:aws:iam::${opts.accountId}:root`;
  if (opts.presetAccessKeyId && opts.presetSecretAccessKey) {
    return { accessKeyId: opts.presetAccessKeyId, secretAccessKey: opts.presetSecretAccessKey, arn, kind: "root" };
  }
  const file = join(opts.dataDir, "root-credentials.json");
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, "utf8")) as { accessKeyId: string; secretAccessKey: string };
    return { ...saved, arn, kind: "root" };
  }
  mkdirSync(opts.dataDir, { recursive: true });
  const fresh = { accessKeyId: newAccessKeyId(), secretAccessKey: newSecretAccessKey() };
  writeFileSync(file, JSON.stringify(fresh, null, 2) + "\n", { mode: 0o600 });
  return { ...fresh, arn, kind: "root" };
}
