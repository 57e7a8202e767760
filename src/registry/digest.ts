// Content digests ("sha256:<hex>"): parsing, checking, computing.

import { createHash, type Hash } from "node:crypto";

export type DigestAlgorithm = "sha256" | "sha512";

const hexLength: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha512: 128 };

export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
}

/** The digest's parts, or undefined when it is not a digest this registry can verify. */
export function parseDigest(value: string): ParsedDigest | undefined {
  const colon = value.indexOf(":");
  if (colon < 0) return undefined;
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  if (algorithm !== "sha256" && algorithm !== "sha512") return undefined;
  if (hex.length !== hexLength[algorithm] || !/^[a-f0-9]+$/.test(hex)) return undefined;
  return { algorithm, hex };
}

/** Whether the string has a digest's shape (`algorithm:encoded`), known algorithm or not. */
export function looksLikeDigest(value: string): boolean {
  return /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(value);
}

export function newHash(algorithm: DigestAlgorithm = "sha256"): Hash {
  return createHash(algorithm);
}

export function digestOf(data: Buffer | string, algorithm: DigestAlgorithm = "sha256"): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest("hex")}`;
}
