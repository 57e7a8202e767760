// The nextToken every Berth listing hands out: opaque to clients, it carries the
// sort key to resume after. Services decide their own limits and error names.

/** The token for a page that ends at `after`. */
export function encodePageToken(after: string): string {
  return Buffer.from(JSON.stringify({ after })).toString("base64url");
}

/** The sort key a token carries, or undefined when it is not a token Berth made. */
export function decodePageToken(token: string): string | undefined {
  try {
    const after = (JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { after?: unknown }).after;
    return typeof after === "string" ? after : undefined;
  } catch {
    return undefined;
  }
}
