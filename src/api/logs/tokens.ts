// The opaque strings clients hand back: eventIds, GetLogEvents' forward and
// backward tokens, and the nextTokens of the listing and filter calls.
//
// An event position (timestamp, id) is written as 56 digits, the length of AWS's
// eventIds: 20 for the timestamp, 36 for the id. GetLogEvents tokens wrap those
// digits as AWS does ("f/…/s", "b/…/s"); other nextTokens are base64url JSON.

import type { EventPosition } from "../../store/log-store.js";

/** Before every event (forward reads from the start). */
export const startPosition: EventPosition = { timestamp: 0, id: 0 };
/** After every event (backward reads from the end). */
export const endPosition: EventPosition = { timestamp: Number.MAX_SAFE_INTEGER, id: Number.MAX_SAFE_INTEGER };

export function eventId(p: EventPosition): string {
  return `${String(p.timestamp).padStart(20, "0")}${String(p.id).padStart(36, "0")}`;
}

export function parseEventId(digits: string): EventPosition | undefined {
  if (!/^\d{56}$/.test(digits)) return undefined;
  const timestamp = Number(digits.slice(0, 20));
  const id = Number(digits.slice(20));
  return Number.isSafeInteger(timestamp) && Number.isSafeInteger(id) ? { timestamp, id } : undefined;
}

export type Direction = "forward" | "backward";

export function streamToken(direction: Direction, p: EventPosition): string {
  return `${direction === "forward" ? "f" : "b"}/${eventId(p)}/s`;
}

export function parseStreamToken(token: string): { direction: Direction; position: EventPosition } | undefined {
  const [, letter, digits] = /^([fb])\/(\d{56})\/s$/.exec(token) ?? [];
  const position = digits === undefined ? undefined : parseEventId(digits);
  return position ? { direction: letter === "f" ? "forward" : "backward", position } : undefined;
}

export function pageToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

/** Decodes a pageToken; undefined when it is not one or `valid` rejects its content. */
export function parsePageToken<T>(token: string, valid: (v: unknown) => v is T): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  return valid(value) ? value : undefined;
}
