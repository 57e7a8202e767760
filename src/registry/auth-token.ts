// Registry tokens (ECR's GetAuthorizationToken password): self-verifying, so
// any replica sharing the data directory accepts them and they survive
// restarts. A token is `berth1.<payload>.<mac>` where the payload names the
// access key, the expiry and an optional scope, and the mac is HMAC-SHA-256
// over the payload with a key kept in <data-dir>/registry/token.key.

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, linkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const tokenLifetimeMs = 12 * 60 * 60 * 1000;

export interface TokenClaims {
  /** The access key the token was issued to. */
  readonly accessKeyId: string;
  readonly expiresAt: Date;
  /** Limits the token (download URLs): "pull:<repository>". Absent: whatever the principal may do. */
  readonly scope?: string;
}

interface Payload {
  readonly k: string;
  readonly e: number;
  readonly s?: string;
}

const prefix = "berth1";

export class TokenKey {
  constructor(private readonly key: Buffer) {}

  /**
   * The key in `<dir>/token.key`, created on first use. Creation links a fully
   * written temp file into place, so two processes starting together agree on one key.
   */
  static load(dir: string): TokenKey {
    const file = join(dir, "token.key");
    mkdirSync(dir, { recursive: true });
    try {
      return new TokenKey(Buffer.from(readFileSync(file, "utf8").trim(), "base64"));
    } catch (err) {
      if (!(err instanceof Error && "code" in err && err.code === "ENOENT")) throw err;
    }
    const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
    writeFileSync(temp, randomBytes(32).toString("base64") + "\n", { mode: 0o600 });
    try {
      linkSync(temp, file);
    } catch (err) {
      if (!(err instanceof Error && "code" in err && err.code === "EEXIST")) {
        // Filesystems without hard links: rename (the last writer wins before anyone issued a token).
        renameSync(temp, file);
      }
    } finally {
      rmSync(temp, { force: true });
    }
    return new TokenKey(Buffer.from(readFileSync(file, "utf8").trim(), "base64"));
  }

  issue(claims: TokenClaims): string {
    const payload: Payload = {
      k: claims.accessKeyId,
      e: Math.floor(claims.expiresAt.getTime() / 1000),
      ...(claims.scope !== undefined ? { s: claims.scope } : {}),
    };
    const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
    return `${prefix}.${body}.${this.mac(body)}`;
  }

  /** The token's claims when its mac is right and it has not expired at `now`; else why not. */
  verify(token: string, now: Date): { readonly claims: TokenClaims } | { readonly problem: "malformed" | "signature" | "expired" } {
    const parts = token.split(".");
    if (parts.length !== 3 || parts[0] !== prefix) return { problem: "malformed" };
    const [, body, mac] = parts as [string, string, string];
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { problem: "signature" };
    let payload: Payload;
    try {
      payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Payload;
    } catch {
      return { problem: "malformed" };
    }
    if (typeof payload.k !== "string" || typeof payload.e !== "number") return { problem: "malformed" };
    const expiresAt = new Date(payload.e * 1000);
    if (expiresAt.getTime() <= now.getTime()) return { problem: "expired" };
    return { claims: { accessKeyId: payload.k, expiresAt, ...(payload.s !== undefined ? { scope: payload.s } : {}) } };
  }

  private mac(body: string): string {
    return createHmac("sha256", this.key).update(`${prefix}.${body}`).digest("base64url");
  }
}
