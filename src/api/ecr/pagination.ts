// ECR's nextToken/maxResults: the token is opaque to clients and carries the
// sort key to resume after.

import { decodePageToken, encodePageToken } from "../../edge/page-token.js";
import type { Page, PageRequest } from "../../store/store.js";
import { ecrErrors } from "./errors.js";

export function pageRequest(input: { readonly nextToken?: string; readonly maxResults?: number }, defaultLimit = 100): PageRequest {
  const limit = input.maxResults ?? defaultLimit;
  if (input.nextToken === undefined || input.nextToken === "") return { limit };
  const after = decodePageToken(input.nextToken);
  if (after === undefined) throw ecrErrors.invalidParameter("Invalid parameter at 'nextToken': pass the nextToken of a previous response unchanged.");
  return { limit, after };
}

export function nextToken(page: Pick<Page<unknown>, "next">): string | undefined {
  return page.next === undefined ? undefined : encodePageToken(page.next);
}

/** Pages over a list held in memory by position. */
export function pageOf<T>(items: readonly T[], req: PageRequest): { items: T[]; nextToken?: string } {
  const start = req.after === undefined ? 0 : Number(req.after);
  if (!Number.isInteger(start) || start < 0) throw ecrErrors.invalidParameter("Invalid parameter at 'nextToken': pass the nextToken of a previous response unchanged.");
  const slice = items.slice(start, start + req.limit);
  const end = start + slice.length;
  return end < items.length ? { items: slice, nextToken: nextToken({ next: String(end) })! } : { items: slice };
}
