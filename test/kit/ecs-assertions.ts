// Assertions the ECS tests share: a call fails with exactly one modeled exception; a list
// holds the item a test goes on to read.

import assert from "node:assert/strict";
import type { ECSServiceException } from "@aws-sdk/client-ecs";

export type ExceptionClass = abstract new (...args: never[]) => ECSServiceException;

/** The call fails with exactly this modeled ECS exception, as HTTP 400, with a message. */
export async function rejectsWith(call: Promise<unknown>, type: ExceptionClass): Promise<ECSServiceException> {
  let caught: unknown;
  try {
    await call;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof type, `expected ${type.name}, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  assert.equal(caught.name, type.name);
  assert.equal(caught.$metadata.httpStatusCode, 400);
  assert.ok(caught.message.length > 0, "the error says what to fix");
  return caught;
}

/** The first of `items`, failing the test with `what` when there is none. */
export function first<T>(items: readonly T[] | undefined, what: string): T {
  const [item] = items ?? [];
  assert.ok(item !== undefined, `expected ${what}`);
  return item;
}
