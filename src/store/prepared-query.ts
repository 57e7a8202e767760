// The hottest queries, built and compiled once per database and run with fresh
// values. Kysely builds an operation tree and compiles it to SQL on every call,
// which costs more than running these queries; their SQL never changes, only the
// values they are given, so it is compiled on first use and kept.
//
//   prepareQuery(build) ─ first run on a database ─→ build(db, …placeholders) → compile → keep
//                       ─ every run ─→ kept SQL + the placeholders replaced by this run's values
//
// A read that names what it depends on (`dependsOn`) is answered from the
// ReadCache its target carries, if any (read-cache.ts: the SQLite store's reads
// outside a transaction).

import type { CompiledQuery, Compilable, Kysely } from "kysely";
import type { ReadCache } from "./read-cache.js";
import type { Database } from "./schema.js";

/** Where a prepared query runs: a database or a transaction, and the cache that may answer its reads. */
export interface QueryTarget {
  readonly db: Kysely<Database>;
  /** Only for reads outside a transaction: a transaction sees its own writes, which may yet roll back. */
  readonly readCache: ReadCache | undefined;
}

let preparedQueries = 0;

/** Stands for the `index`-th value while a query is built; replaced by that value when it runs. */
class Placeholder {
  constructor(readonly index: number) {}
}

export interface PreparedQuery<Values extends readonly unknown[], Row> {
  /** Every row, in the query's order. */
  all(target: QueryTarget, ...values: Values): Promise<readonly Row[]>;
  first(target: QueryTarget, ...values: Values): Promise<Row | undefined>;
  /** For a write: runs it and discards what it returns. */
  run(db: Kysely<Database>, ...values: Values): Promise<void>;
}

/**
 * `build` gets placeholders for its values and may only use them as query
 * values (a `where` operand, a tuple member, …), never in JavaScript logic: its
 * result is compiled once per dialect, whatever values later runs bring. A
 * placeholder the query does not use is ignored. Everything else in the query
 * is fixed; a query whose shape varies (an optional filter, a page size) is one
 * prepared query per shape (see `byShape`).
 */
export function prepareQuery<Values extends readonly unknown[], Row>(
  build: (db: Kysely<Database>, ...values: Values) => Compilable<Row>,
  opts: {
    /** How many values `build` takes; needed only when it takes them as a rest parameter. */
    readonly arity?: number;
    /** For a read: the rows its answer depends on (`rowsOf`), so that it may be answered from a ReadCache. */
    readonly dependsOn?: (values: NoInfer<Values>) => readonly string[];
  } = {},
): PreparedQuery<Values, Row> {
  const { arity = build.length - 1, dependsOn } = opts;
  const id = ++preparedQueries;
  // Keyed by the dialect adapter, which a transaction shares with its database.
  const compiled = new WeakMap<object, CompiledQuery<Row>>();
  const compile = (db: Kysely<Database>): CompiledQuery<Row> => {
    const adapter = db.getExecutor().adapter;
    let query = compiled.get(adapter);
    if (!query) {
      const placeholders = Array.from({ length: arity }, (_, i) => new Placeholder(i));
      query = build(db, ...(placeholders as unknown as Values)).compile();
      compiled.set(adapter, query);
    }
    return query;
  };
  const execute = async (db: Kysely<Database>, values: Values): Promise<Row[]> => {
    const query = compile(db);
    const parameters = query.parameters.map((p) => (p instanceof Placeholder ? values[p.index] : p));
    const result = await db.executeQuery<Row>({ ...query, parameters });
    return result.rows;
  };
  const all = async ({ db, readCache }: QueryTarget, ...values: Values): Promise<readonly Row[]> => {
    const cache = dependsOn && readCache;
    if (!cache) return execute(db, values);
    const key = `${id}:${JSON.stringify(values)}`;
    const kept = cache.get(key) as readonly Row[] | undefined;
    if (kept) return kept;
    const readAt = cache.now();
    const rows = await execute(db, values);
    cache.keep(key, dependsOn(values), rows, readAt);
    return rows;
  };
  return {
    all,
    first: async (target, ...values) => (await all(target, ...values))[0],
    run: async (db, ...values) => void (await execute(db, values)),
  };
}

/** One prepared query per shape of a query, made on first use; `key` names the shape. */
export function byShape<Shape, Query>(key: (shape: Shape) => string, make: (shape: Shape) => Query): (shape: Shape) => Query {
  const made = new Map<string, Query>();
  return (shape) => {
    const k = key(shape);
    let query = made.get(k);
    if (!query) {
      query = make(shape);
      made.set(k, query);
    }
    return query;
  };
}
