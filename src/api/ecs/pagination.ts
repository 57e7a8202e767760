// ECS's nextToken/maxResults: the token is opaque to clients and carries the
// sort key to resume after.

import { errors } from "../../errors.js";
import { decodePageToken, encodePageToken } from "../../edge/page-token.js";
import type { Page, PageRequest } from "../../store/store.js";

export function pageRequest(
  input: { readonly nextToken?: string; readonly maxResults?: number },
  max = 100,
): PageRequest {
  const limit = input.maxResults ?? max;
  if (limit < 1 || limit > max) {
    throw errors.invalidParameter(`maxResults must be between 1 and ${max}, got ${limit}.`);
  }
  if (input.nextToken === undefined || input.nextToken === "") return { limit };
  const after = decodePageToken(input.nextToken);
  if (after === undefined) throw errors.invalidParameter("Invalid nextToken: pass the nextToken of a previous response unchanged.");
  return { limit, after };
}

/** A response's nextToken member: absent on the last page, as ECS omits it rather than sending it empty. */
export function nextTokenOf(page: Pick<Page<unknown>, "next">): { nextToken?: string } {
  return page.next === undefined ? {} : { nextToken: encodePageToken(page.next) };
}

/** Pages over a small list held in memory, resuming after the item whose key is `req.after`. */
export function pageOf<T>(items: readonly T[], req: PageRequest, key: (item: T) => string): Page<T> {
  const start = req.after === undefined ? 0 : items.findIndex((item) => key(item) === req.after) + 1;
  const slice = items.slice(start, start + req.limit);
  const last = slice.at(-1);
  return last !== undefined && start + req.limit < items.length ? { items: slice, next: key(last) } : { items: slice };
}
