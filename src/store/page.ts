// Keyset pagination, as every listing of the store pages: a page of items and,
// when more may follow, the sort key to resume after.

export interface Page<T> {
  readonly items: readonly T[];
  /** The sort key of the last item, when more may follow. */
  readonly next?: string;
}

export interface PageRequest {
  /** Resume strictly after this sort key. */
  readonly after?: string;
  readonly limit: number;
}

/** The first `limit` of `rows` (a listing reads one more, to know whether more follow). */
export function pageOf<T>(rows: readonly T[], limit: number, key: (row: T) => string): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  if (last === undefined) throw new Error(`a page needs a limit of at least 1, not ${limit}`);
  return { items, next: key(last) };
}
