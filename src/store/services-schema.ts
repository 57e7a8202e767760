// The services tables and the migrations that build them: services, their
// deployments and revisions, their events, the ledger of tasks each service
// launched, instance liveness, and the controller's leader lease.
//
// Documents (`doc`) hold the stored shapes of service-store.ts; the columns
// beside them are what queries filter and sort on.

import { PostgresAdapter, type ColumnDefinitionBuilder, type Generated, type Kysely, type Migration } from "kysely";
import { keyText } from "./control-plane-schema.js";

export interface ServicesTables {
  services: {
    arn: string;
    cluster_arn: string;
    name: string;
    status: string;
    launch_type: string | null;
    scheduling_strategy: string;
    created_at: number;
    /** When the service became INACTIVE (the document's inactiveSince); null before. Added by 0009 (control-plane-schema.ts). */
    inactive_since: number | null;
    doc: string;
  };
  service_deployments: {
    /** The deployment id, ecs-svc/<19 digits>. */
    id: string;
    service_arn: string;
    service_deployment_arn: string;
    status: string;
    created_at: number;
    doc: string;
  };
  service_revisions: { arn: string; service_arn: string; created_at: number; doc: string };
  service_events: { seq: Generated<number>; service_arn: string; created_at: number; doc: string };
  service_tasks: {
    task_arn: string;
    service_arn: string;
    deployment_id: string;
    /** 1 once the task has stopped and its outcome was counted. */
    settled: number;
    /** 1 once the task was seen RUNNING. */
    ran: number;
    /** Why the scheduler stopped it, when it did. */
    stop_kind: string | null;
    created_at: number;
    /** Until when (epoch ms) scale-in protection keeps the scheduler from stopping it; null: not protected. */
    protected_until: number | null;
  };
  instance_liveness: { instance_arn: string; disconnected_since: number };
  controller_leases: { name: string; holder: string; expires_at: number };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export const servicesMigrations: ReadonlyArray<readonly [string, Migration]> = [
  [
    "0005_services",
    {
      async up(db: AnyDb) {
        const key = keyText(db);
        const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
        // Events keep their insertion order in an id that only grows.
        const seq = (c: ColumnDefinitionBuilder): ColumnDefinitionBuilder =>
          postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement();
        await db.schema
          .createTable("services")
          .addColumn("arn", key, (c) => c.primaryKey())
          .addColumn("cluster_arn", key, (c) => c.notNull())
          .addColumn("name", key, (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("launch_type", "text")
          .addColumn("scheduling_strategy", "text", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("doc", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("services_cluster").on("services").columns(["cluster_arn", "status", "arn"]).execute();
        await db.schema
          .createTable("service_deployments")
          .addColumn("id", key, (c) => c.primaryKey())
          .addColumn("service_arn", key, (c) => c.notNull())
          .addColumn("service_deployment_arn", key, (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("doc", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex("service_deployments_service")
          .on("service_deployments")
          .columns(["service_arn", "status", "created_at"])
          .execute();
        await db.schema
          .createIndex("service_deployments_arn")
          .on("service_deployments")
          .columns(["service_deployment_arn"])
          .execute();
        await db.schema
          .createTable("service_revisions")
          .addColumn("arn", key, (c) => c.primaryKey())
          .addColumn("service_arn", key, (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("doc", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("service_events")
          .addColumn("seq", postgres ? "bigint" : "integer", seq)
          .addColumn("service_arn", key, (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("doc", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("service_events_service").on("service_events").columns(["service_arn", "seq"]).execute();
        await db.schema
          .createTable("service_tasks")
          .addColumn("task_arn", key, (c) => c.primaryKey())
          .addColumn("service_arn", key, (c) => c.notNull())
          .addColumn("deployment_id", "text", (c) => c.notNull())
          .addColumn("settled", "integer", (c) => c.notNull())
          .addColumn("ran", "integer", (c) => c.notNull())
          .addColumn("stop_kind", "text")
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("service_tasks_service").on("service_tasks").columns(["service_arn", "settled"]).execute();
        await db.schema
          .createTable("instance_liveness")
          .addColumn("instance_arn", key, (c) => c.primaryKey())
          .addColumn("disconnected_since", "bigint", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("controller_leases")
          .addColumn("name", key, (c) => c.primaryKey())
          .addColumn("holder", "text", (c) => c.notNull())
          .addColumn("expires_at", "bigint", (c) => c.notNull())
          .execute();
      },
    },
  ],
  [
    "0011_task_protection",
    {
      async up(db: AnyDb) {
        await db.schema.alterTable("service_tasks").addColumn("protected_until", "bigint").execute();
      },
    },
  ],
];
