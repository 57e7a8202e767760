// The control plane's tables (ECS resources) and the migrations that build them.
// Both backends run the same migrations; column types are the portable subset.
//
// Resources are kept as a JSON document (`doc`, the AWS model's shape) beside the
// columns queries filter and sort on.

import { PostgresAdapter, sql, type Kysely, type Migration, type RawBuilder } from "kysely";
import { decodeDoc, encodeDoc } from "../protocol/doc-codec.js";
import { reservationOf } from "./task-reservation.js";
import type { Task } from "../model/generated/ecs.js";

export interface ControlPlaneTables {
  clusters: {
    arn: string;
    region: string;
    name: string;
    status: string;
    created_at: number;
    /** When the cluster was deleted (the document's inactiveSince); null while ACTIVE. */
    inactive_since: number | null;
    doc: string;
  };
  capacity_providers: { arn: string; region: string; name: string; status: string; doc: string };
  tags: { resource_arn: string; key: string; value: string };
  task_definition_families: { region: string; family: string; last_revision: number };
  task_definitions: {
    arn: string;
    region: string;
    family: string;
    revision: number;
    status: string;
    registered_at: number;
    doc: string;
  };
  container_instances: {
    arn: string;
    cluster_arn: string;
    id: string;
    status: string;
    registered_at: number;
    /** When the instance was deregistered (the document's inactiveSince); null before. */
    inactive_since: number | null;
    doc: string;
  };
  attributes: {
    cluster_arn: string;
    target_type: string;
    target_id: string;
    name: string;
    value: string | null;
  };
  account_settings: { region: string; principal_arn: string; name: string; value: string };
  tasks: {
    arn: string;
    cluster_arn: string;
    container_instance_arn: string | null;
    family: string;
    started_by: string | null;
    group_name: string | null;
    launch_type: string;
    last_status: string;
    desired_status: string;
    created_at: number;
    /** When the task reached STOPPED; stopped tasks are kept an hour, then purged. */
    stopped_at: number | null;
    /** JSON of what the task holds on its instance (task-reservation.ts), derived from `doc` on every write. */
    reservation: string;
    doc: string;
  };
  /**
   * A token per cluster, replaced by every write to the cluster's container instances
   * or their attributes, so a reader can tell whether what it decoded before is current.
   */
  cluster_instance_versions: { cluster_arn: string; version: string };
  /**
   * How many live tasks (placed, not STOPPED) hold each distinct reservation on each
   * instance, kept by every task write: what a RunTask reads to know what its
   * cluster's instances have left, whatever the number of tasks.
   */
  live_reservations: { cluster_arn: string; container_instance_arn: string; reservation: string; tasks: number };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * The type of text columns that lists sort on: byte order on both backends, so
 * pages come out the same whatever the PostgreSQL database's default collation.
 */
export function keyText(db: AnyDb): "text" | RawBuilder<unknown> {
  return onPostgres(db) ? sql`text collate "C"` : "text";
}

/** The inactive_since column of a cluster, service or container instance: its document's time while it is INACTIVE. */
export function inactiveSinceColumn(status: string | undefined, doc: { readonly inactiveSince?: Date }): number | null {
  return status === "INACTIVE" ? (doc.inactiveSince?.getTime() ?? null) : null;
}

/** Whether a migration runs on PostgreSQL (else SQLite). */
export function onPostgres(db: AnyDb): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export const controlPlaneMigrations: ReadonlyArray<readonly [string, Migration]> = [
  [
    "0001_control_plane",
    {
      async up(db: AnyDb) {
        const key = keyText(db);
        await db.schema
          .createTable("clusters")
          .addColumn("arn", key, (c) => c.primaryKey())
          .addColumn("name", key, (c) => c.notNull().unique())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("doc", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("capacity_providers")
          .addColumn("arn", key, (c) => c.primaryKey())
          .addColumn("name", key, (c) => c.notNull().unique())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("doc", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("tags")
          .addColumn("resource_arn", key, (c) => c.notNull())
          .addColumn("key", key, (c) => c.notNull())
          .addColumn("value", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("tags_pk", ["resource_arn", "key"])
          .execute();
        await db.schema
          .createTable("task_definition_families")
          .addColumn("family", key, (c) => c.primaryKey())
          .addColumn("last_revision", "integer", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("task_definitions")
          .addColumn("arn", key, (c) => c.primaryKey())
          .addColumn("family", key, (c) => c.notNull())
          .addColumn("revision", "integer", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("registered_at", "bigint", (c) => c.notNull())
          .addColumn("doc", "text", (c) => c.notNull())
          .addUniqueConstraint("task_definitions_family_revision", ["family", "revision"])
          .execute();
        await db.schema
          .createIndex("task_definitions_status")
          .on("task_definitions")
          .columns(["status", "family", "revision"])
          .execute();
        await db.schema
          .createTable("container_instances")
          .addColumn("arn", key, (c) => c.primaryKey())
          .addColumn("cluster_arn", key, (c) => c.notNull())
          .addColumn("id", "text", (c) => c.notNull().unique())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("registered_at", "bigint", (c) => c.notNull())
          .addColumn("doc", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex("container_instances_cluster")
          .on("container_instances")
          .columns(["cluster_arn", "arn"])
          .execute();
        await db.schema
          .createTable("attributes")
          .addColumn("cluster_arn", key, (c) => c.notNull())
          .addColumn("target_type", "text", (c) => c.notNull())
          .addColumn("target_id", key, (c) => c.notNull())
          .addColumn("name", key, (c) => c.notNull())
          .addColumn("value", "text")
          .addPrimaryKeyConstraint("attributes_pk", ["target_id", "name"])
          .execute();
        await db.schema
          .createIndex("attributes_cluster")
          .on("attributes")
          .columns(["cluster_arn", "target_type", "name"])
          .execute();
        await db.schema
          .createTable("account_settings")
          .addColumn("principal_arn", "text", (c) => c.notNull())
          .addColumn("name", key, (c) => c.notNull())
          .addColumn("value", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("account_settings_pk", ["principal_arn", "name"])
          .execute();
      },
    },
  ],
  [
    "0004_tasks",
    {
      async up(db: AnyDb) {
        const key = keyText(db);
        await db.schema
          .createTable("tasks")
          .addColumn("arn", key, (c) => c.primaryKey())
          .addColumn("cluster_arn", key, (c) => c.notNull())
          .addColumn("container_instance_arn", "text")
          .addColumn("family", key, (c) => c.notNull())
          .addColumn("started_by", "text")
          .addColumn("group_name", "text")
          .addColumn("launch_type", "text", (c) => c.notNull())
          .addColumn("last_status", "text", (c) => c.notNull())
          .addColumn("desired_status", "text", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("stopped_at", "bigint")
          .addColumn("doc", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("tasks_cluster").on("tasks").columns(["cluster_arn", "desired_status", "arn"]).execute();
        await db.schema.createIndex("tasks_instance").on("tasks").columns(["container_instance_arn", "last_status"]).execute();
        await db.schema.createIndex("tasks_stopped").on("tasks").columns(["stopped_at"]).execute();
      },
    },
  ],
  [
    "0006_task_reservations",
    {
      async up(db: AnyDb) {
        const key = keyText(db);
        await db.schema.alterTable("tasks").addColumn("reservation", "text", (c) => c.notNull().defaultTo("{}")).execute();
        // Tasks written before the column existed: derive theirs from the document, a page at a time.
        for (let after = ""; ; ) {
          const rows = (await db.selectFrom("tasks").select(["arn", "doc"]).where("arn", ">", after).orderBy("arn").limit(500).execute()) as {
            arn: string;
            doc: string;
          }[];
          const last = rows.at(-1);
          if (last === undefined) break;
          for (const r of rows) {
            const reservation = JSON.stringify(reservationOf(decodeDoc<Task>(r.doc)));
            await db.updateTable("tasks").set({ reservation }).where("arn", "=", r.arn).execute();
          }
          after = last.arn;
        }
        await db.schema
          .createTable("cluster_instance_versions")
          .addColumn("cluster_arn", key, (c) => c.primaryKey())
          .addColumn("version", "text", (c) => c.notNull())
          .execute();
      },
    },
  ],
  [
    "0007_live_reservations",
    {
      async up(db: AnyDb) {
        const key = keyText(db);
        await db.schema
          .createTable("live_reservations")
          .addColumn("cluster_arn", key, (c) => c.notNull())
          .addColumn("container_instance_arn", key, (c) => c.notNull())
          .addColumn("reservation", key, (c) => c.notNull())
          .addColumn("tasks", "integer", (c) => c.notNull())
          .addPrimaryKeyConstraint("live_reservations_pk", ["cluster_arn", "container_instance_arn", "reservation"])
          // SQLite keeps the rows in the key's own b-tree: a cluster's rows are one range read.
          .$call((t) => (onPostgres(db) ? t : t.modifyEnd(sql`without rowid`)))
          .execute();
        await db
          .insertInto("live_reservations")
          .columns(["cluster_arn", "container_instance_arn", "reservation", "tasks"])
          .expression(
            db
              .selectFrom("tasks")
              .select(["cluster_arn", "container_instance_arn", "reservation", db.fn.countAll().as("tasks")])
              .where("last_status", "!=", "STOPPED")
              .where("container_instance_arn", "is not", null)
              .groupBy(["cluster_arn", "container_instance_arn", "reservation"]),
          )
          .execute();
      },
    },
  ],
  [
    "0009_inactive_since",
    {
      // When a deleted cluster or service, or a deregistered container instance, became
      // INACTIVE: housekeeping forgets it an hour later. The document holds the time and the
      // column is what housekeeping queries.
      async up(db: AnyDb) {
        // Rows made INACTIVE before the column existed: when is not known, so their hour starts now.
        const now = Date.now();
        for (const table of ["clusters", "services", "container_instances"]) {
          await db.schema.alterTable(table).addColumn("inactive_since", "bigint").execute();
          await db.schema.createIndex(`${table}_inactive`).on(table).column("inactive_since").execute();
          const rows = (await db.selectFrom(table).select(["arn", "doc"]).where("status", "=", "INACTIVE").execute()) as { arn: string; doc: string }[];
          for (const r of rows) {
            const doc = encodeDoc({ ...decodeDoc<object>(r.doc), inactiveSince: new Date(now) });
            await db.updateTable(table).set({ inactive_since: now, doc }).where("arn", "=", r.arn).execute();
          }
        }
      },
    },
  ],
];
