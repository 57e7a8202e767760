// Migration 0010: state is partitioned by region as AWS partitions it. Tables
// keyed by ARN already are (an ARN carries its region); the name-keyed ones get
// a `region` column that leads their keys, so "default" in eu-west-1 and
// "default" in us-east-1 are two clusters. Rows written before it belong to the
// region Berth is configured with (`--region`), the only one served until then.
//
// Registry repositories keep their key (their path in the OCI namespace, which
// names the region for every region but the configured one: src/registry/README.md)
// and get a region to list by.
//
// PostgreSQL drops and adds constraints in place; SQLite cannot drop a
// constraint, so there a table whose key changes is rebuilt and its rows copied.

import { sql, type CreateTableBuilder, type Kysely, type Migration } from "kysely";
import { keyText, onPostgres } from "./control-plane-schema.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

interface Rekeyed {
  readonly table: string;
  /** Every column, region excepted, in order. */
  readonly columns: readonly string[];
  /** PostgreSQL's names of the constraints the new keys replace. */
  readonly dropped: readonly string[];
  /** The table as it is from now on, region first. */
  readonly create: (t: CreateTableBuilder<string, never>, key: ReturnType<typeof keyText>) => CreateTableBuilder<string, never>;
  /** PostgreSQL: the new keys, added once the column is there. */
  readonly keys: readonly string[];
  /**
   * Indexes made here: new ones (`replaces` one dropped first on PostgreSQL), and ones the table
   * had already (`rebuilt`), which SQLite's rebuild drops with the old table and only it makes again.
   */
  readonly indexes: readonly { readonly name: string; readonly columns: readonly string[]; readonly replaces?: string; readonly rebuilt?: boolean }[];
}

const rekeyed: readonly Rekeyed[] = [
  {
    table: "clusters",
    columns: ["arn", "name", "status", "created_at", "inactive_since", "doc"],
    dropped: ["clusters_name_key"],
    create: (t, key) =>
      t
        .addColumn("arn", key, (c) => c.primaryKey())
        .addColumn("region", key, (c) => c.notNull())
        .addColumn("name", key, (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("inactive_since", "bigint")
        .addColumn("doc", "text", (c) => c.notNull())
        .addUniqueConstraint("clusters_region_name", ["region", "name"]),
    keys: ["constraint clusters_region_name unique (region, name)"],
    indexes: [{ name: "clusters_inactive", columns: ["inactive_since"], rebuilt: true }],
  },
  {
    table: "capacity_providers",
    columns: ["arn", "name", "status", "doc"],
    dropped: ["capacity_providers_name_key"],
    create: (t, key) =>
      t
        .addColumn("arn", key, (c) => c.primaryKey())
        .addColumn("region", key, (c) => c.notNull())
        .addColumn("name", key, (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("doc", "text", (c) => c.notNull())
        .addUniqueConstraint("capacity_providers_region_name", ["region", "name"]),
    keys: ["constraint capacity_providers_region_name unique (region, name)"],
    indexes: [],
  },
  {
    table: "task_definition_families",
    columns: ["family", "last_revision"],
    dropped: ["task_definition_families_pkey"],
    create: (t, key) =>
      t
        .addColumn("region", key, (c) => c.notNull())
        .addColumn("family", key, (c) => c.notNull())
        .addColumn("last_revision", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("task_definition_families_pk", ["region", "family"]),
    keys: ["constraint task_definition_families_pk primary key (region, family)"],
    indexes: [],
  },
  {
    table: "task_definitions",
    columns: ["arn", "family", "revision", "status", "registered_at", "doc"],
    dropped: ["task_definitions_family_revision"],
    create: (t, key) =>
      t
        .addColumn("arn", key, (c) => c.primaryKey())
        .addColumn("region", key, (c) => c.notNull())
        .addColumn("family", key, (c) => c.notNull())
        .addColumn("revision", "integer", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("registered_at", "bigint", (c) => c.notNull())
        .addColumn("doc", "text", (c) => c.notNull())
        .addUniqueConstraint("task_definitions_region_family_revision", ["region", "family", "revision"]),
    keys: ["constraint task_definitions_region_family_revision unique (region, family, revision)"],
    indexes: [{ name: "task_definitions_region_status", columns: ["region", "status", "family", "revision"], replaces: "task_definitions_status" }],
  },
  {
    table: "account_settings",
    columns: ["principal_arn", "name", "value"],
    dropped: ["account_settings_pk"],
    create: (t, key) =>
      t
        .addColumn("region", key, (c) => c.notNull())
        .addColumn("principal_arn", "text", (c) => c.notNull())
        .addColumn("name", key, (c) => c.notNull())
        .addColumn("value", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("account_settings_pk", ["region", "principal_arn", "name"]),
    keys: ["constraint account_settings_pk primary key (region, principal_arn, name)"],
    indexes: [],
  },
  {
    table: "log_groups",
    columns: ["id", "name", "created_at", "retention_days", "stored_bytes", "kms_key_id", "log_group_class", "deletion_protection"],
    dropped: ["log_groups_name_key"],
    create: (t, key) =>
      t
        .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("region", key, (c) => c.notNull())
        .addColumn("name", key, (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("retention_days", "integer")
        .addColumn("stored_bytes", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("kms_key_id", "text")
        .addColumn("log_group_class", "text", (c) => c.notNull())
        .addColumn("deletion_protection", "integer", (c) => c.notNull().defaultTo(0))
        .addUniqueConstraint("log_groups_region_name", ["region", "name"]),
    keys: ["constraint log_groups_region_name unique (region, name)"],
    indexes: [],
  },
];

/** Tables that only gain a region to list by. */
const listed = [
  { table: "registry_repositories", index: "registry_repositories_region", columns: ["region", "name"] },
  { table: "log_query_definitions", index: "log_query_definitions_region", columns: ["region", "name", "id"] },
] as const;

async function rekeyOnPostgres(db: AnyDb, t: Rekeyed, homeRegion: string): Promise<void> {
  for (const name of t.dropped) await sql`alter table ${sql.table(t.table)} drop constraint ${sql.ref(name)}`.execute(db);
  await sql`alter table ${sql.table(t.table)} add column region text collate "C" not null default ${sql.lit(homeRegion)}`.execute(db);
  await sql`alter table ${sql.table(t.table)} alter column region drop default`.execute(db);
  for (const key of t.keys) await sql`alter table ${sql.table(t.table)} add ${sql.raw(key)}`.execute(db);
}

async function rekeyOnSqlite(db: AnyDb, t: Rekeyed, homeRegion: string): Promise<void> {
  const old = `${t.table}_before_regions`;
  await sql`alter table ${sql.table(t.table)} rename to ${sql.table(old)}`.execute(db);
  await t.create(db.schema.createTable(t.table), "text").execute();
  const columns = sql.join(t.columns.map((c) => sql.ref(c)));
  await sql`insert into ${sql.table(t.table)} (region, ${columns}) select ${homeRegion}, ${columns} from ${sql.table(old)}`.execute(db);
  // Its indexes go with it.
  await db.schema.dropTable(old).execute();
}

/** 0010: `homeRegion` is the region Berth is configured with; what exists already is its. */
export function regionsMigration(homeRegion: string): readonly [string, Migration] {
  return [
    "0010_regions",
    {
      async up(db: AnyDb) {
        const postgres = onPostgres(db);
        for (const t of rekeyed) {
          for (const index of t.indexes) if (postgres && index.replaces) await db.schema.dropIndex(index.replaces).execute();
          await (postgres ? rekeyOnPostgres(db, t, homeRegion) : rekeyOnSqlite(db, t, homeRegion));
          for (const index of t.indexes) {
            if (postgres && index.rebuilt) continue;
            await db.schema.createIndex(index.name).on(t.table).columns([...index.columns]).execute();
          }
        }
        for (const t of listed) {
          await db.schema
            .alterTable(t.table)
            .addColumn("region", keyText(db), (c) => c.notNull().defaultTo(homeRegion))
            .execute();
          await db.schema.createIndex(t.index).on(t.table).columns([...t.columns]).execute();
        }
      },
    },
  ];
}
