// The LogStore over Kysely, shared by SQLite and PostgreSQL. The two differ only
// in a few SQL functions (substring search, byte length) and in how many rows one
// statement's parameters can carry (dialect-capabilities.ts).
//
// Ingestion is one transaction per batch: one multi-row INSERT (chunked to
// SQLite's parameter limit; a 10,000-event batch is one statement on both), then
// one UPDATE of the stream and one of the group.

import {
  CompiledQuery,
  sql,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type RawBuilder,
  type Selectable,
  type SelectQueryBuilder,
  type SqlBool,
  type Transaction,
} from "kysely";
import type { DialectCapabilities } from "./dialect-capabilities.js";
import type {
  AppendOutcome,
  AppendPlan,
  EventPosition,
  GroupScan,
  GroupScanResult,
  GroupCount,
  GroupCountResult,
  GroupSweep,
  GroupSweepResult,
  LogGroupQuery,
  LogGroupRecord,
  LogStore,
  LogStreamQuery,
  LogStreamRecord,
  NewLogGroup,
  QueryDefinitionQuery,
  QueryDefinitionRecord,
  StoredLogEvent,
  StreamRead,
  SweptEvent,
} from "./log-store.js";
import type { Page } from "./page.js";
import type { Database } from "./schema.js";
import { UniqueViolation } from "./store-errors.js";

type GroupRow = Database["log_groups"];
type StreamRow = Database["log_streams"];
type Db = Kysely<Database> | Transaction<Database>;

/** Values bound per inserted event (timestamp, message); the rest are the batch's constants. */
const boundPerEvent = 2;

/**
 * The multi-row INSERTs for one batch: one statement for any number of events
 * where a parameter can carry an array (unnest of two arrays), otherwise one
 * statement per as many events as the parameter limit allows (16,383 on SQLite).
 * Written as SQL text rather than through the query builder because compiling a
 * 10,000-row insert costs Kysely more than the database takes to run it. The
 * batch's constants are integers this store produced (checked), inlined;
 * timestamps and messages are bound.
 */
function insertEvents(
  dialect: DialectCapabilities,
  groupId: number,
  streamId: number,
  ingestedAt: number,
  events: readonly { readonly timestamp: number; readonly message: string }[],
): CompiledQuery[] {
  for (const n of [groupId, streamId, ingestedAt]) if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  const constants = `${groupId}, ${streamId}, ${ingestedAt}`;
  if (dialect.arrayParameters) {
    // Two array parameters carry any number of rows, and the database parses one short statement.
    return [
      CompiledQuery.raw(
        `insert into log_events (group_id, stream_id, ingested_at, ts, message) select ${constants}, t, m from unnest($1::bigint[], $2::text[]) as u(t, m)`,
        [events.map((e) => e.timestamp), events.map((e) => e.message)],
      ),
    ];
  }
  const chunk = Math.floor(dialect.maxBoundParameters / boundPerEvent);
  const statements: CompiledQuery[] = [];
  for (let i = 0; i < events.length; i += chunk) {
    const slice = events.slice(i, i + chunk);
    const params: unknown[] = [];
    const rows: string[] = [];
    for (const e of slice) {
      params.push(e.timestamp, e.message);
      rows.push(`(${constants}, ?, ?)`);
    }
    statements.push(CompiledQuery.raw(`insert into log_events (group_id, stream_id, ingested_at, ts, message) values ${rows.join(", ")}`, params));
  }
  return statements;
}

function toGroup(r: Selectable<GroupRow>): LogGroupRecord {
  return {
    id: Number(r.id),
    name: r.name,
    createdAt: Number(r.created_at),
    ...(r.retention_days === null ? {} : { retentionInDays: Number(r.retention_days) }),
    storedBytes: Number(r.stored_bytes),
    ...(r.kms_key_id === null ? {} : { kmsKeyId: r.kms_key_id }),
    logGroupClass: r.log_group_class,
    deletionProtection: Number(r.deletion_protection) !== 0,
  };
}

function toStream(r: Selectable<StreamRow>): LogStreamRecord {
  return {
    id: Number(r.id),
    groupId: Number(r.group_id),
    name: r.name,
    createdAt: Number(r.created_at),
    ...(r.first_event_at === null ? {} : { firstEventAt: Number(r.first_event_at) }),
    ...(r.last_event_at === null ? {} : { lastEventAt: Number(r.last_event_at) }),
    ...(r.last_ingestion_at === null ? {} : { lastIngestionAt: Number(r.last_ingestion_at) }),
    uploads: Number(r.uploads),
  };
}

function toEvent(r: { id: number; stream_id: number; ts: number; ingested_at: number; message: string }): StoredLogEvent {
  return { id: Number(r.id), streamId: Number(r.stream_id), timestamp: Number(r.ts), ingestionTime: Number(r.ingested_at), message: r.message };
}

function toSwept(r: { id: number; stream_id: number; ts: number; ingested_at?: number; message?: string }): SweptEvent {
  const e = { id: Number(r.id), streamId: Number(r.stream_id), timestamp: Number(r.ts) };
  return r.message === undefined ? e : { ...e, ingestionTime: Number(r.ingested_at), message: r.message };
}

function toQueryDefinition(r: Selectable<Database["log_query_definitions"]>): QueryDefinitionRecord {
  return {
    id: r.id,
    name: r.name,
    queryString: r.query_string,
    queryLanguage: r.query_language,
    logGroupNames: JSON.parse(r.log_group_names) as string[],
    parameters: JSON.parse(r.parameters) as unknown[],
    lastModified: Number(r.last_modified),
  };
}

/** Length in code points, as SQL's substr counts. */
const codePoints = (s: string): number => [...s].length;

/** Where statistics lag behind bulk inserts (`analyze`): re-ANALYZE log_events after this many inserted events, doubling each time up to `maxAnalyzeEvery`. */
const firstAnalyzeAfter = 20_000;
const maxAnalyzeEvery = 2_000_000;

/** When log_events was last analyzed: one for the store, whatever region's view inserted. */
interface AnalyzeState {
  insertedSinceAnalyze: number;
  analyzeEvery: number;
  analyzing: Promise<void> | undefined;
}

export class KyselyLogStore implements LogStore {
  private readonly views = new Map<string, KyselyLogStore>();

  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly dialect: DialectCapabilities,
    readonly region: string,
    private readonly analysis: AnalyzeState = { insertedSinceAnalyze: 0, analyzeEvery: firstAnalyzeAfter, analyzing: undefined },
  ) {}

  inRegion(region: string): LogStore {
    if (region === this.region) return this;
    let view = this.views.get(region);
    if (!view) this.views.set(region, (view = new KyselyLogStore(this.db, this.dialect, region, this.analysis)));
    return view;
  }

  /**
   * Until autovacuum has analyzed a freshly filled log_events, PostgreSQL guesses
   * a group holds 0.5% of the rows and answers a group scan with a bitmap scan
   * and a sort of the whole group (0.4 s instead of 20 ms at a million events).
   * So after a large ingest the store refreshes the statistics itself, in the
   * background, one ANALYZE at a time, ever less often.
   */
  private noteInserted(count: number): void {
    const analyze = this.dialect.analyze;
    if (!analyze) return;
    const state = this.analysis;
    state.insertedSinceAnalyze += count;
    if (state.insertedSinceAnalyze < state.analyzeEvery || state.analyzing) return;
    state.insertedSinceAnalyze = 0;
    state.analyzeEvery = Math.min(state.analyzeEvery * 2, maxAnalyzeEvery);
    state.analyzing = analyze(this.db, "log_events")
      .then(
        () => undefined,
        () => undefined, // statistics are an optimisation; autovacuum will get there too
      )
      .finally(() => (state.analyzing = undefined));
  }

  private startsWith(column: string, prefix: string): RawBuilder<SqlBool> {
    return sql<SqlBool>`substr(${sql.ref(column)}, 1, ${codePoints(prefix)}) = ${prefix}`;
  }

  private async unique<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (err) {
      if (this.dialect.isUniqueViolation(err)) throw new UniqueViolation(String(err));
      throw err;
    }
  }

  // Groups.

  async createGroup(g: NewLogGroup): Promise<LogGroupRecord> {
    return this.unique(
      this.db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto("log_groups")
          .values({
            region: this.region,
            name: g.name,
            created_at: g.createdAt,
            retention_days: null,
            stored_bytes: 0,
            kms_key_id: g.kmsKeyId ?? null,
            log_group_class: g.logGroupClass,
            deletion_protection: g.deletionProtection ? 1 : 0,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const group = toGroup(row);
        const tags = Object.entries(g.tags ?? {});
        if (tags.length > 0) {
          await trx
            .insertInto("log_group_tags")
            .values(tags.map(([key, value]) => ({ group_id: group.id, key, value })))
            .execute();
        }
        return group;
      }),
    );
  }

  async getGroup(name: string): Promise<LogGroupRecord | undefined> {
    return this.groupNamed(this.db, name);
  }

  private async groupNamed(db: Db, name: string): Promise<LogGroupRecord | undefined> {
    const row = await db.selectFrom("log_groups").selectAll().where("region", "=", this.region).where("name", "=", name).executeTakeFirst();
    return row && toGroup(row);
  }

  async deleteGroup(name: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const group = await this.groupNamed(trx, name);
      if (!group) return false;
      if (this.dialect.rowLocks) {
        // Lock order everywhere is stream(s) before group (append, DeleteLogStream
        // do the same), so a delete racing an append waits instead of deadlocking.
        await trx.selectFrom("log_streams").select("id").where("group_id", "=", group.id).orderBy("id").forUpdate().execute();
        await trx.selectFrom("log_groups").select("id").where("id", "=", group.id).forUpdate().execute();
      }
      await trx.deleteFrom("log_events").where("group_id", "=", group.id).execute();
      await trx.deleteFrom("log_streams").where("group_id", "=", group.id).execute();
      await trx.deleteFrom("log_group_tags").where("group_id", "=", group.id).execute();
      await trx.deleteFrom("log_groups").where("id", "=", group.id).execute();
      return true;
    });
  }

  async listGroups(query: LogGroupQuery): Promise<Page<LogGroupRecord>> {
    let q = this.db.selectFrom("log_groups").selectAll().where("region", "=", this.region);
    if (query.prefix !== undefined) q = q.where(this.startsWith("name", query.prefix));
    if (query.contains !== undefined && query.contains !== "") q = q.where(this.dialect.contains("name", query.contains));
    if (query.logGroupClass !== undefined) q = q.where("log_group_class", "=", query.logGroupClass);
    if (query.names !== undefined) {
      if (query.names.length === 0) return { items: [] };
      q = q.where("name", "in", query.names);
    }
    if (query.after !== undefined) q = q.where("name", ">", query.after);
    const rows = await q.orderBy("name").limit(query.limit + 1).execute();
    const items = rows.slice(0, query.limit).map(toGroup);
    const last = items.at(-1);
    return rows.length > query.limit && last !== undefined ? { items, next: last.name } : { items };
  }

  async setRetention(name: string, days: number | undefined): Promise<boolean> {
    const r = await this.db
      .updateTable("log_groups")
      .set({ retention_days: days ?? null })
      .where("region", "=", this.region)
      .where("name", "=", name)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async groupsWithRetention(): Promise<readonly LogGroupRecord[]> {
    const rows = await this.db.selectFrom("log_groups").selectAll().where("retention_days", "is not", null).orderBy("id").execute();
    return rows.map(toGroup);
  }

  // Tags.

  async getTags(groupId: number): Promise<Readonly<Record<string, string>>> {
    const rows = await this.db.selectFrom("log_group_tags").select(["key", "value"]).where("group_id", "=", groupId).orderBy("key").execute();
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  async putTags(groupId: number, tags: Readonly<Record<string, string>>, max: number): Promise<"ok" | "tooMany"> {
    const entries = Object.entries(tags);
    if (entries.length === 0) return "ok";
    return this.db.transaction().execute(async (trx) => {
      // Lock the group so two concurrent taggers cannot both pass the limit.
      if (this.dialect.rowLocks) await trx.selectFrom("log_groups").select("id").where("id", "=", groupId).forUpdate().execute();
      const existing = await trx.selectFrom("log_group_tags").select("key").where("group_id", "=", groupId).execute();
      const keys = new Set(existing.map((r) => r.key));
      for (const [k] of entries) keys.add(k);
      if (keys.size > max) return "tooMany";
      await trx
        .insertInto("log_group_tags")
        .values(entries.map(([key, value]) => ({ group_id: groupId, key, value })))
        .onConflict((oc) => oc.columns(["group_id", "key"]).doUpdateSet((eb) => ({ value: eb.ref("excluded.value") })))
        .execute();
      return "ok";
    });
  }

  async deleteTags(groupId: number, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.deleteFrom("log_group_tags").where("group_id", "=", groupId).where("key", "in", keys).execute();
  }

  // Streams.

  async createStream(groupId: number, name: string, createdAt: number): Promise<LogStreamRecord> {
    const row = await this.unique(
      this.db
        .insertInto("log_streams")
        .values({ group_id: groupId, name, created_at: createdAt, first_event_at: null, last_event_at: null, last_ingestion_at: null, uploads: 0 })
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    return toStream(row);
  }

  async getStream(groupId: number, name: string): Promise<LogStreamRecord | undefined> {
    const row = await this.db.selectFrom("log_streams").selectAll().where("group_id", "=", groupId).where("name", "=", name).executeTakeFirst();
    return row && toStream(row);
  }

  async deleteStream(groupId: number, name: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      let q = trx.selectFrom("log_streams").select("id").where("group_id", "=", groupId).where("name", "=", name);
      if (this.dialect.rowLocks) q = q.forUpdate();
      const stream = await q.executeTakeFirst();
      if (!stream) return false;
      const streamId = Number(stream.id);
      const sum = await trx
        .selectFrom("log_events")
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>(this.dialect.byteLength("message")), sql<number>`0`).as("bytes"))
        .where("stream_id", "=", streamId)
        .executeTakeFirstOrThrow();
      await trx.deleteFrom("log_events").where("stream_id", "=", streamId).execute();
      await trx.deleteFrom("log_streams").where("id", "=", streamId).execute();
      await this.shrinkGroup(trx, groupId, Number(sum.bytes));
      return true;
    });
  }

  private async shrinkGroup(db: Db, groupId: number, bytes: number): Promise<void> {
    if (bytes <= 0) return;
    await db
      .updateTable("log_groups")
      .set((eb) => ({ stored_bytes: eb("stored_bytes", "-", bytes) }))
      .where("id", "=", groupId)
      .execute();
  }

  async listStreams(query: LogStreamQuery): Promise<{ readonly items: readonly LogStreamRecord[]; readonly more: boolean }> {
    const dir = query.descending ? "desc" : "asc";
    const cmp = query.descending ? "<" : ">";
    let q = this.db.selectFrom("log_streams").selectAll().where("group_id", "=", query.groupId);
    if (query.prefix !== undefined) q = q.where(this.startsWith("name", query.prefix));
    if (query.orderBy === "LastEventTime") {
      // Streams without events sort as time 0, ahead of every stream that has some.
      const key = sql<number>`coalesce(${sql.ref("last_event_at")}, 0)`;
      const after = query.after;
      if (after) {
        const t = after.lastEventAt ?? 0;
        q = q.where((eb) => eb.or([eb(key, cmp, t), eb.and([eb(key, "=", t), eb("name", cmp, after.name)])]));
      }
      q = q.orderBy(key, dir).orderBy("name", dir);
    } else {
      if (query.after) q = q.where("name", cmp, query.after.name);
      q = q.orderBy("name", dir);
    }
    const rows = await q.limit(query.limit + 1).execute();
    return { items: rows.slice(0, query.limit).map(toStream), more: rows.length > query.limit };
  }

  async streamsNamed(groupId: number, names: readonly string[]): Promise<readonly LogStreamRecord[]> {
    if (names.length === 0) return [];
    const rows = await this.db.selectFrom("log_streams").selectAll().where("group_id", "=", groupId).where("name", "in", names).execute();
    return rows.map(toStream);
  }

  async streamNames(ids: readonly number[]): Promise<ReadonlyMap<number, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.selectFrom("log_streams").select(["id", "name"]).where("id", "in", ids).execute();
    return new Map(rows.map((r) => [Number(r.id), r.name]));
  }

  // Events.

  async append(groupName: string, streamName: string, ingestedAt: number, plan: (group: LogGroupRecord) => AppendPlan): Promise<AppendOutcome> {
    const outcome = await this.appendInTransaction(groupName, streamName, ingestedAt, plan);
    if (outcome.kind === "stored") this.noteInserted(outcome.count);
    return outcome;
  }

  private appendInTransaction(groupName: string, streamName: string, ingestedAt: number, plan: (group: LogGroupRecord) => AppendPlan): Promise<AppendOutcome> {
    return this.db.transaction().execute(async (trx) => {
      const group = await this.groupNamed(trx, groupName);
      if (!group) return { kind: "noGroup" } as const;
      // The stream row is the lock: concurrent appends to one stream, and a
      // DeleteLogStream, take turns (SQLite serialises whole transactions anyway).
      let q = trx.selectFrom("log_streams").selectAll().where("group_id", "=", group.id).where("name", "=", streamName);
      if (this.dialect.rowLocks) q = q.forUpdate();
      const row = await q.executeTakeFirst();
      if (!row) return { kind: "noStream" } as const;
      const stream = toStream(row);
      const { events, bytes } = plan(group);
      const [head] = events;
      if (head === undefined) return { kind: "stored", stream, count: 0 } as const;

      for (const statement of insertEvents(this.dialect, group.id, stream.id, ingestedAt, events)) await trx.executeQuery(statement);
      let first = head.timestamp;
      let last = first;
      for (const e of events) {
        if (e.timestamp < first) first = e.timestamp;
        if (e.timestamp > last) last = e.timestamp;
      }
      const updated: LogStreamRecord = {
        ...stream,
        firstEventAt: stream.firstEventAt === undefined ? first : Math.min(stream.firstEventAt, first),
        lastEventAt: stream.lastEventAt === undefined ? last : Math.max(stream.lastEventAt, last),
        lastIngestionAt: ingestedAt,
        uploads: stream.uploads + 1,
      };
      await trx
        .updateTable("log_streams")
        .set({
          first_event_at: updated.firstEventAt!,
          last_event_at: updated.lastEventAt!,
          last_ingestion_at: ingestedAt,
          uploads: updated.uploads,
        })
        .where("id", "=", stream.id)
        .execute();
      await trx
        .updateTable("log_groups")
        .set((eb) => ({ stored_bytes: eb("stored_bytes", "+", bytes) }))
        .where("id", "=", group.id)
        .execute();
      return { kind: "stored", stream: updated, count: events.length } as const;
    });
  }

  async readStream(read: StreamRead): Promise<readonly StoredLogEvent[]> {
    const forward = read.direction === "forward";
    let q = this.db
      .selectFrom("log_events")
      .select(["id", "stream_id", "ts", "ingested_at", "message"])
      .where("stream_id", "=", read.streamId);
    if (read.startTime !== undefined) q = q.where("ts", ">=", read.startTime);
    if (read.endTime !== undefined) q = q.where("ts", "<", read.endTime);
    if (read.from) {
      const from = read.from;
      q = q.where((eb) => (forward ? after(eb, from) : before(eb, from)));
    }
    const dir = forward ? "asc" : "desc";
    const rows = await q.orderBy("ts", dir).orderBy("id", dir).limit(read.limit).execute();
    return rows.map(toEvent);
  }

  async scanGroup(scan: GroupScan): Promise<GroupScanResult> {
    if (scan.streamIds?.length === 0) return { events: [], done: true };
    // The range, as the (group_id, ts, id, stream_id) index can answer it alone.
    const range = <Q extends SelectQueryBuilder<Database, "log_events", object>>(q: Q): Q => {
      let r = q.where("group_id", "=", scan.groupId);
      if (scan.streamIds) r = r.where("stream_id", "in", scan.streamIds);
      if (scan.streamPrefix !== undefined) {
        const streams = this.db
          .selectFrom("log_streams")
          .select("id")
          .where("group_id", "=", scan.groupId)
          .where(this.startsWith("name", scan.streamPrefix));
        r = r.where("stream_id", "in", streams);
      }
      if (scan.startTime !== undefined) r = r.where("ts", ">=", scan.startTime);
      if (scan.endTime !== undefined) r = r.where("ts", "<", scan.endTime);
      if (scan.after) {
        const from = scan.after;
        r = r.where((eb) => after(eb, from));
      }
      return r as Q;
    };
    // The window's last event, found from the index alone; none means the range ends inside the window.
    const edgeRow = await range(this.db.selectFrom("log_events").select(["ts", "id"]))
      .orderBy("ts")
      .orderBy("id")
      .limit(1)
      .offset(scan.window - 1)
      .executeTakeFirst();
    const edge = edgeRow && { timestamp: Number(edgeRow.ts), id: Number(edgeRow.id) };
    let q = range(this.db.selectFrom("log_events").select(["id", "stream_id", "ts", "ingested_at", "message"]));
    if (edge) q = q.where((eb) => notAfter(eb, edge));
    for (const alternatives of scan.containsAnyOf ?? []) {
      q = q.where((eb) => eb.or(alternatives.map((s) => this.dialect.contains("message", s))));
    }
    for (const s of scan.containsNoneOf ?? []) q = q.where((eb) => eb.not(this.dialect.contains("message", s)));
    const events = (await q.orderBy("ts").orderBy("id").limit(scan.limit).execute()).map(toEvent);
    const last = events[events.length - 1];
    // Stopped by the limit: resume after the last event returned (more may follow).
    if (last && events.length === scan.limit) return { events, last: { timestamp: last.timestamp, id: last.id }, done: false };
    // Examined the whole window: resume after its end.
    if (edge) return { events, last: edge, done: false };
    // The range ended inside the window.
    return last ? { events, last: { timestamp: last.timestamp, id: last.id }, done: true } : { events, done: true };
  }

  /** The (group, time range, before) selection a sweep or count reads, as the index can answer it alone. */
  private sweepRange(w: Pick<GroupSweep, "groupId" | "startTime" | "endTime" | "before">) {
    return <Q extends SelectQueryBuilder<Database, "log_events", object>>(q: Q): Q => {
      let r = q.where("group_id", "=", w.groupId).where("ts", ">=", w.startTime).where("ts", "<", w.endTime);
      if (w.before) {
        const from = w.before;
        r = r.where((eb) => before(eb, from));
      }
      return r as Q;
    };
  }

  /**
   * The window's oldest event (from the index alone), or, when the range ends
   * inside the window, how many events the rest of the range holds.
   */
  private async sweepWindow(w: Pick<GroupSweep, "groupId" | "startTime" | "endTime" | "before" | "window">): Promise<{ edge: EventPosition } | { remaining: number }> {
    const range = this.sweepRange(w);
    const edgeRow = await range(this.db.selectFrom("log_events").select(["ts", "id"]))
      .orderBy("ts", "desc")
      .orderBy("id", "desc")
      .limit(1)
      .offset(w.window - 1)
      .executeTakeFirst();
    if (edgeRow) return { edge: { timestamp: Number(edgeRow.ts), id: Number(edgeRow.id) } };
    const counted = await range(this.db.selectFrom("log_events").select((eb) => eb.fn.countAll<number>().as("n"))).executeTakeFirstOrThrow();
    return { remaining: Number(counted.n) };
  }

  async sweepGroup(sweep: GroupSweep): Promise<GroupSweepResult> {
    const range = this.sweepRange(sweep);
    const columns = sweep.columns === "all" ? (["id", "stream_id", "ts", "ingested_at", "message"] as const) : (["id", "stream_id", "ts"] as const);
    const contains = sweep.messageContains ?? [];
    if (contains.length === 0) {
      // Every event of the window comes back: the limit is the window.
      const rows = await range(this.db.selectFrom("log_events").select(columns)).orderBy("ts", "desc").orderBy("id", "desc").limit(sweep.window).execute();
      const events = rows.map(toSwept);
      const last = events[events.length - 1];
      return { events, examined: events.length, ...(last ? { last: { timestamp: last.timestamp, id: last.id } } : {}), done: events.length < sweep.window };
    }
    const window = await this.sweepWindow(sweep);
    let q = range(this.db.selectFrom("log_events").select(columns));
    if ("edge" in window) q = q.where((eb) => notBefore(eb, window.edge));
    for (const s of contains) q = q.where(this.dialect.contains("message", s));
    const events = (await q.orderBy("ts", "desc").orderBy("id", "desc").execute()).map(toSwept);
    return "edge" in window ? { events, examined: sweep.window, last: window.edge, done: false } : { events, examined: window.remaining, done: true };
  }

  async countGroup(count: GroupCount): Promise<GroupCountResult> {
    const bin = count.binMs;
    if (bin !== undefined && !(Number.isSafeInteger(bin) && bin > 0)) throw new Error(`not a whole number of milliseconds: ${bin}`);
    // The bin is inlined (a checked integer) so that PostgreSQL sees the same expression in SELECT and GROUP BY.
    const binExpr = bin === undefined ? undefined : sql<number>`${sql.ref("ts")} - ${sql.ref("ts")} % ${sql.raw(String(bin))}`;
    const contains = count.messageContains ?? [];
    // Every event of the range is examined once: all of them counted as `n`, the matching ones as `m`.
    const matching =
      contains.length === 0
        ? sql<number>`count(*)`
        : sql<number>`sum(case when ${sql.join(contains.map((s) => this.dialect.contains("message", s)), sql` and `)} then 1 else 0 end)`;
    let q = this.db
      .selectFrom("log_events")
      .select((eb) => [eb.fn.countAll<number>().as("n"), matching.as("m")])
      .where("group_id", "=", count.groupId)
      .where("ts", ">=", count.startTime)
      .where("ts", "<", count.endTime)
      .$if(binExpr !== undefined, (b) => b.select(binExpr!.as("bin")).groupBy(binExpr!));
    if (count.byStream) q = q.select("stream_id").groupBy("stream_id");
    const rows = (await q.execute()) as { n: number; m: number | null; bin?: number; stream_id?: number }[];
    let examined = 0;
    const counts: { bin?: number; streamId?: number; count: number }[] = [];
    for (const r of rows) {
      examined += Number(r.n);
      if (!(Number(r.m) > 0)) continue;
      counts.push({
        count: Number(r.m),
        ...(r.bin === undefined ? {} : { bin: Number(r.bin) }),
        ...(r.stream_id === undefined ? {} : { streamId: Number(r.stream_id) }),
      });
    }
    return { counts, examined };
  }

  // Query definitions.

  async putQueryDefinition(d: QueryDefinitionRecord): Promise<void> {
    const row = {
      id: d.id,
      region: this.region,
      name: d.name,
      query_string: d.queryString,
      query_language: d.queryLanguage,
      log_group_names: JSON.stringify(d.logGroupNames),
      parameters: JSON.stringify(d.parameters),
      last_modified: d.lastModified,
    };
    await this.db
      .insertInto("log_query_definitions")
      .values(row)
      .onConflict((oc) => oc.column("id").doUpdateSet({ ...row, id: undefined }))
      .execute();
  }

  async getQueryDefinition(id: string): Promise<QueryDefinitionRecord | undefined> {
    const row = await this.db.selectFrom("log_query_definitions").selectAll().where("region", "=", this.region).where("id", "=", id).executeTakeFirst();
    return row && toQueryDefinition(row);
  }

  async listQueryDefinitions(query: QueryDefinitionQuery): Promise<{ readonly items: readonly QueryDefinitionRecord[]; readonly more: boolean }> {
    let q = this.db.selectFrom("log_query_definitions").selectAll().where("region", "=", this.region);
    if (query.namePrefix !== undefined) q = q.where(this.startsWith("name", query.namePrefix));
    if (query.after) {
      const a = query.after;
      q = q.where((eb) => eb.or([eb("name", ">", a.name), eb.and([eb("name", "=", a.name), eb("id", ">", a.id)])]));
    }
    const rows = await q.orderBy("name").orderBy("id").limit(query.limit + 1).execute();
    return { items: rows.slice(0, query.limit).map(toQueryDefinition), more: rows.length > query.limit };
  }

  async deleteQueryDefinition(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom("log_query_definitions").where("region", "=", this.region).where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async expireEvents(groupId: number, before: number): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const sum = await trx
        .selectFrom("log_events")
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>(this.dialect.byteLength("message")), sql<number>`0`).as("bytes"))
        .where("group_id", "=", groupId)
        .where("ts", "<", before)
        .executeTakeFirstOrThrow();
      if (Number(sum.bytes) === 0) {
        // Empty messages are not allowed, so no bytes means no rows to delete.
        return 0;
      }
      const r = await trx.deleteFrom("log_events").where("group_id", "=", groupId).where("ts", "<", before).executeTakeFirst();
      await this.shrinkGroup(trx, groupId, Number(sum.bytes));
      return Number(r.numDeletedRows);
    });
  }
}

type EventsEb = ExpressionBuilder<Database, "log_events">;

// Positions compare as (ts, id). Spelled out rather than as a row value so both
// planners see the leading `ts` bound and range-scan the (…, ts, id) index.
function after(eb: EventsEb, p: EventPosition): Expression<SqlBool> {
  return eb.and([eb("ts", ">=", p.timestamp), eb.or([eb("ts", ">", p.timestamp), eb("id", ">", p.id)])]);
}

function notAfter(eb: EventsEb, p: EventPosition): Expression<SqlBool> {
  return eb.and([eb("ts", "<=", p.timestamp), eb.or([eb("ts", "<", p.timestamp), eb("id", "<=", p.id)])]);
}

function notBefore(eb: EventsEb, p: EventPosition): Expression<SqlBool> {
  return eb.and([eb("ts", ">=", p.timestamp), eb.or([eb("ts", ">", p.timestamp), eb("id", ">=", p.id)])]);
}

function before(eb: EventsEb, p: EventPosition): Expression<SqlBool> {
  return eb.and([eb("ts", "<=", p.timestamp), eb.or([eb("ts", "<", p.timestamp), eb("id", "<", p.id)])]);
}
