// The logs tables and the migrations that build them.
//
// Events live in their own narrow table keyed by a numeric id that only grows, so
// an event's id is stable (it is the eventId and the paging position) and never
// reused. Two indexes serve every read without a scan or a sort:
//   (stream_id, ts, id)  GetLogEvents: one stream, a time range, either direction
//   (group_id, ts, id, stream_id)  FilterLogEvents and retention: a whole group by time
// Names sort byte-wise on both backends (COLLATE "C" on PostgreSQL), as AWS lists them.
// Saved Logs Insights queries (query definitions) have a table of their own.

import { sql, type ColumnDefinitionBuilder, type Generated, type Kysely, type Migration } from "kysely";
import { onPostgres } from "./control-plane-schema.js";

export interface LogsTables {
  log_groups: {
    id: Generated<number>;
    region: string;
    name: string;
    created_at: number;
    retention_days: number | null;
    stored_bytes: number;
    kms_key_id: string | null;
    log_group_class: string;
    deletion_protection: number;
  };
  log_group_tags: { group_id: number; key: string; value: string };
  log_streams: {
    id: Generated<number>;
    group_id: number;
    name: string;
    created_at: number;
    first_event_at: number | null;
    last_event_at: number | null;
    last_ingestion_at: number | null;
    /** PutLogEvents batches stored so far: the (ignored) sequence token is derived from it. */
    uploads: number;
  };
  log_events: {
    id: Generated<number>;
    group_id: number;
    stream_id: number;
    ts: number;
    ingested_at: number;
    message: string;
  };
  log_query_definitions: {
    id: string;
    region: string;
    name: string;
    query_string: string;
    query_language: string;
    /** JSON arrays. */
    log_group_names: string;
    parameters: string;
    last_modified: number;
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export const logsMigrations: ReadonlyArray<readonly [string, Migration]> = [
  [
    "0002_logs",
    {
      async up(db: AnyDb) {
        const postgres = onPostgres(db);
        // An id that only grows: AUTOINCREMENT on SQLite (never reuses a deleted
        // row's id), an identity column on PostgreSQL.
        const id = (c: ColumnDefinitionBuilder): ColumnDefinitionBuilder =>
          postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement();
        const idType = postgres ? "bigint" : "integer";
        const nameType = postgres ? sql`text collate "C"` : sql`text`;

        await db.schema
          .createTable("log_groups")
          .addColumn("id", idType, id)
          .addColumn("name", nameType, (c) => c.notNull().unique())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("retention_days", "integer")
          .addColumn("stored_bytes", "bigint", (c) => c.notNull().defaultTo(0))
          .addColumn("kms_key_id", "text")
          .addColumn("log_group_class", "text", (c) => c.notNull())
          .addColumn("deletion_protection", "integer", (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema
          .createTable("log_group_tags")
          .addColumn("group_id", "bigint", (c) => c.notNull())
          .addColumn("key", "text", (c) => c.notNull())
          .addColumn("value", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("log_group_tags_pk", ["group_id", "key"])
          .execute();
        await db.schema
          .createTable("log_streams")
          .addColumn("id", idType, id)
          .addColumn("group_id", "bigint", (c) => c.notNull())
          .addColumn("name", nameType, (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("first_event_at", "bigint")
          .addColumn("last_event_at", "bigint")
          .addColumn("last_ingestion_at", "bigint")
          .addColumn("uploads", "bigint", (c) => c.notNull().defaultTo(0))
          .addUniqueConstraint("log_streams_group_name", ["group_id", "name"])
          .execute();
        await db.schema
          .createTable("log_events")
          .addColumn("id", idType, id)
          .addColumn("group_id", "bigint", (c) => c.notNull())
          .addColumn("stream_id", "bigint", (c) => c.notNull())
          .addColumn("ts", "bigint", (c) => c.notNull())
          .addColumn("ingested_at", "bigint", (c) => c.notNull())
          .addColumn("message", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("log_events_stream_time").on("log_events").columns(["stream_id", "ts", "id"]).execute();
        // stream_id rides along so a windowed scan of a group finds its window's end
        // (and filters by stream) from the index alone.
        await db.schema.createIndex("log_events_group_time").on("log_events").columns(["group_id", "ts", "id", "stream_id"]).execute();
      },
    },
  ],
  [
    "0008_logs_query_definitions",
    {
      async up(db: AnyDb) {
        const nameType = onPostgres(db) ? sql`text collate "C"` : sql`text`;
        await db.schema
          .createTable("log_query_definitions")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("name", nameType, (c) => c.notNull())
          .addColumn("query_string", "text", (c) => c.notNull())
          .addColumn("query_language", "text", (c) => c.notNull())
          .addColumn("log_group_names", "text", (c) => c.notNull())
          .addColumn("parameters", "text", (c) => c.notNull())
          .addColumn("last_modified", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("log_query_definitions_name").on("log_query_definitions").columns(["name", "id"]).execute();
      },
    },
  ],
];
