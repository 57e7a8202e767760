// The Store, written once against Kysely. Backends pass a Kysely instance and
// the capabilities where their SQL differs (dialect-capabilities.ts); the log and
// registry stores are built on the same instance.

import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type {
  CapacityProvider,
  Cluster,
  ContainerInstance,
  Setting,
  SettingName,
  Tag,
  Task,
  TaskDefinition,
} from "../model/generated/ecs.js";
import type { DialectCapabilities } from "./dialect-capabilities.js";
import { revisionOfArn } from "../model/task-definition-arn.js";
import { decodeDoc, encodeDoc, type EncodedDoc } from "../protocol/doc-codec.js";
import { clusterArnOfInstance } from "../protocol/instance-arn.js";
import { KyselyLogStore } from "./kysely-log-store.js";
import { KyselyRegistryStore } from "./kysely-registry-store.js";
import { KyselyServiceTx } from "./kysely-service-store.js";
import { pageOf as page, type Page, type PageRequest } from "./page.js";
import { byShape, prepareQuery, type QueryTarget } from "./prepared-query.js";
import { rowsOf, type ReadCache } from "./read-cache.js";
import { inactiveSinceColumn } from "./control-plane-schema.js";
import type { Database } from "./schema.js";
import { BadPageKey, UniqueViolation } from "./store-errors.js";
import { reservationOf, type Reservation } from "./task-reservation.js";
import type {
  AttributeQuery,
  AttributeRow,
  ClusterUsage,
  FamilyQuery,
  HeldReservation,
  InactiveSince,
  InstanceWithAttributes,
  Store,
  TaskDefinitionQuery,
  TaskQuery,
  Tx,
} from "./store.js";

const revisionKey = (family: string, revision: number): string => `${family}:${revision}`;

function parseRevisionKey(key: string): [string, number] {
  const [, family, revision] = /^(.+):(\d+)$/.exec(key) ?? [];
  if (family === undefined || revision === undefined) throw new BadPageKey();
  return [family, Number(revision)];
}

function parseAttributeKey(key: string): [string, string] {
  const parsed: unknown = (() => {
    try {
      return JSON.parse(key) as unknown;
    } catch {
      return undefined;
    }
  })();
  if (!Array.isArray(parsed) || parsed.length !== 2 || !parsed.every((p) => typeof p === "string")) throw new BadPageKey();
  return parsed as [string, string];
}

/** A literal, case-sensitive prefix test (LIKE is neither on SQLite); `length` is the prefix's. */
const hasPrefix = (column: "family", prefix: string, length: number) => sql<boolean>`substr(${sql.ref(column)}, 1, ${length}) = ${prefix}`;

const lockedIf = <Q extends { forUpdate(): Q }>(query: Q, locked: boolean): Q => (locked ? query.forUpdate() : query);

// The reads behind DescribeClusters, ListClusters, DescribeTaskDefinition and
// ListTaskDefinitions, the most frequent calls, compiled once per shape (see
// prepared-query.ts); each names the rows it depends on, so that on SQLite it is
// answered from memory until one of them changes (read-cache.ts).

const clusterDoc = byShape(String, (locked: boolean) =>
  prepareQuery((db, arn: string) => lockedIf(db.selectFrom("clusters").select("doc").where("arn", "=", arn), locked), {
    dependsOn: ([arn]) => [rowsOf("clusters", arn)],
  }),
);

/** Every ARN sorts after "", so a first page is the page after "". */
const clusterArnsPage = byShape(
  (s: { readonly limit: number; readonly everyRegion: boolean }) => `${s.limit}:${s.everyRegion}`,
  (s) =>
    prepareQuery(
      (db, region: string, after: string) => {
        const q = db.selectFrom("clusters").select("arn").where("status", "!=", "INACTIVE").where("arn", ">", after);
        return (s.everyRegion ? q : q.where("region", "=", region)).orderBy("arn").limit(s.limit + 1);
      },
      { dependsOn: () => [rowsOf("clusters")] },
    ),
);

// What every RunTask reads before placing, compiled once.

const instanceVersion = prepareQuery((db, clusterArn: string) =>
  db.selectFrom("cluster_instance_versions").select("version").where("cluster_arn", "=", clusterArn),
);

const liveReservationRows = prepareQuery((db, clusterArn: string) =>
  db.selectFrom("live_reservations").select(["container_instance_arn", "reservation", "tasks"]).where("cluster_arn", "=", clusterArn),
);

// Task writes move counts in live_reservations: up under what a task holds now, down under what it held.

const addLiveTasks = prepareQuery((db, clusterArn: string, instanceArn: string, reservation: string, tasks: number) =>
  db
    .insertInto("live_reservations")
    .values({ cluster_arn: clusterArn, container_instance_arn: instanceArn, reservation, tasks })
    .onConflict((oc) =>
      oc.columns(["cluster_arn", "container_instance_arn", "reservation"]).doUpdateSet((eb) => ({ tasks: eb("live_reservations.tasks", "+", tasks) })),
    ),
);

const removeLiveTasks = prepareQuery((db, clusterArn: string, instanceArn: string, reservation: string, tasks: number) =>
  db
    .updateTable("live_reservations")
    .set((eb) => ({ tasks: eb("tasks", "-", tasks) }))
    .where("cluster_arn", "=", clusterArn)
    .where("container_instance_arn", "=", instanceArn)
    .where("reservation", "=", reservation),
);

const dropSpentReservation = prepareQuery((db, clusterArn: string, instanceArn: string, reservation: string) =>
  db
    .deleteFrom("live_reservations")
    .where("cluster_arn", "=", clusterArn)
    .where("container_instance_arn", "=", instanceArn)
    .where("reservation", "=", reservation)
    .where("tasks", "<=", 0),
);

/**
 * The live_reservations row a task row counts toward, as one string (its fields joined by NUL); none
 * unless placed and not STOPPED. The row is kept under the cluster of the task's instance, not of the
 * task: a Fargate task of any cluster may run on an instance of another, and placement in the
 * instance's cluster must see what it holds.
 */
function liveKey(row: Pick<Database["tasks"], "container_instance_arn" | "last_status" | "reservation">): string | undefined {
  return row.container_instance_arn !== null && row.last_status !== "STOPPED"
    ? `${clusterArnOfInstance(row.container_instance_arn)}\0${row.container_instance_arn}\0${row.reservation}`
    : undefined;
}

/** The task columns liveKey reads. */
const heldColumns = ["container_instance_arn", "last_status", "reservation"] as const;

const heldBefore = prepareQuery((db, arn: string) => db.selectFrom("tasks").select(heldColumns).where("arn", "=", arn));

/** DescribeTasks reads up to 100 tasks a call: one query per count of ARNs. */
const taskDocs = byShape(String, (count: number) =>
  prepareQuery((db, ...arns: string[]) => db.selectFrom("tasks").select(["arn", "doc"]).where("arn", "in", arns), { arity: count }),
);

/** A task row's columns in one order, so that the prepared task writes can take a row as values. */
const taskColumns = [
  "arn",
  "cluster_arn",
  "container_instance_arn",
  "family",
  "started_by",
  "group_name",
  "launch_type",
  "last_status",
  "desired_status",
  "created_at",
  "stopped_at",
  "reservation",
  "doc",
] as const satisfies readonly (keyof Database["tasks"])[];
// Every column is listed: a new one fails to compile here until it is.
const everyTaskColumn: Exclude<keyof Database["tasks"], (typeof taskColumns)[number]> extends never ? true : never = true;
void everyTaskColumn;

/** The values of `Columns` of a task row, in their order. */
type TaskColumnValues<Columns extends readonly (keyof Database["tasks"])[]> = { -readonly [I in keyof Columns]: Database["tasks"][Columns[I]] };
type TaskRowValues = TaskColumnValues<typeof taskColumns>;

const taskRowValues = (r: Database["tasks"]): TaskRowValues => taskColumns.map((c) => r[c]) as unknown as TaskRowValues;

const taskRowOf = (values: TaskRowValues): Database["tasks"] =>
  Object.fromEntries(taskColumns.map((c, i) => [c, values[i]])) as unknown as Database["tasks"];

// What RunTask writes (up to ten tasks a call) and every task state change reads
// and writes, compiled once.

const insertTaskRow = prepareQuery((db, ...values: TaskRowValues) => db.insertInto("tasks").values(taskRowOf(values)), { arity: taskColumns.length });

const updateTaskRow = prepareQuery((db, ...values: TaskRowValues) => {
  const { arn, ...columns } = taskRowOf(values);
  return db.updateTable("tasks").set(columns).where("arn", "=", arn);
}, { arity: taskColumns.length });

const taskForChange = byShape(String, (locked: boolean) =>
  prepareQuery((db, arn: string) => lockedIf(db.selectFrom("tasks").select(["doc", ...heldColumns]).where("arn", "=", arn), locked)),
);

/** Statuses of a task that is on its way up, counted as pending. */
const pendingStatuses = ["PROVISIONING", "PENDING", "ACTIVATING"];

const clusterCounts = prepareQuery(
  (db, arn: string) =>
    db.selectNoFrom((eb) => [
      eb
        .selectFrom("container_instances")
        .select(eb.fn.countAll<number>().as("n"))
        .where("cluster_arn", "=", arn)
        .where("status", "in", ["ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING"])
        .as("instances"),
      eb.selectFrom("tasks").select(eb.fn.countAll<number>().as("n")).where("cluster_arn", "=", arn).where("last_status", "=", "RUNNING").as("running"),
      eb
        .selectFrom("tasks")
        .select(eb.fn.countAll<number>().as("n"))
        .where("cluster_arn", "=", arn)
        .where("last_status", "in", pendingStatuses)
        .as("pending"),
      eb.selectFrom("services").select(eb.fn.countAll<number>().as("n")).where("cluster_arn", "=", arn).where("status", "=", "ACTIVE").as("services"),
    ]),
  { dependsOn: ([arn]) => [rowsOf("container_instances", arn), rowsOf("tasks", arn), rowsOf("services", arn)] },
);

const resourceTags = prepareQuery(
  (db, arn: string) => db.selectFrom("tags").select(["key", "value"]).where("resource_arn", "=", arn).orderBy("key"),
  { dependsOn: ([arn]) => [rowsOf("tags", arn)] },
);

// The writes behind RegisterTaskDefinition, the most frequent write.

const upsertTag = prepareQuery((db, arn: string, key: string, value: string) =>
  db
    .insertInto("tags")
    .values({ resource_arn: arn, key, value })
    .onConflict((oc) => oc.columns(["resource_arn", "key"]).doUpdateSet({ value })),
);

const bumpRevision = prepareQuery((db, region: string, family: string) =>
  db
    .updateTable("task_definition_families")
    .set((eb) => ({ last_revision: eb("last_revision", "+", 1) }))
    .where("region", "=", region)
    .where("family", "=", family)
    .returning("last_revision"),
);

const insertTaskDefinitionRow = prepareQuery(
  (db, arn: string, region: string, family: string, revision: number, status: string, registeredAt: number, doc: string) =>
    db.insertInto("task_definitions").values({ arn, region, family, revision, status, registered_at: registeredAt, doc }),
);

/** A revision (`latest` false) or the latest ACTIVE one; the revision is ignored for the latest. */
const taskDefinitionDoc = byShape(
  (s: { readonly latest: boolean; readonly locked: boolean }) => `${s.latest}:${s.locked}`,
  ({ latest, locked }) =>
    prepareQuery(
      (db, region: string, family: string, revision: number) => {
        const q = db.selectFrom("task_definitions").select("doc").where("region", "=", region).where("family", "=", family);
        return lockedIf(latest ? q.where("status", "=", "ACTIVE").orderBy("revision", "desc").limit(1) : q.where("revision", "=", revision), locked);
      },
      { dependsOn: ([, family]) => [rowsOf("task_definitions", family)] },
    ),
);

interface TaskDefinitionArnsShape {
  readonly prefix: boolean;
  readonly family: boolean;
  readonly status: boolean;
  readonly after: boolean;
  readonly descending: boolean;
  readonly limit: number;
}

const taskDefinitionArnsPage = byShape(
  (s: TaskDefinitionArnsShape) => `${s.prefix}:${s.family}:${s.status}:${s.after}:${s.descending}:${s.limit}`,
  (s) =>
    prepareQuery(
      (db, region: string, prefix: string, prefixLength: number, family: string, status: string, afterFamily: string, afterRevision: number) => {
        const dir = s.descending ? "desc" : "asc";
        let q = db.selectFrom("task_definitions").select(["arn", "family", "revision"]).where("region", "=", region);
        if (s.prefix) q = q.where(hasPrefix("family", prefix, prefixLength));
        if (s.family) q = q.where("family", "=", family);
        if (s.status) q = q.where("status", "=", status);
        if (s.after) {
          q = q.where((eb) => eb(eb.refTuple("family", "revision"), s.descending ? "<" : ">", eb.tuple(afterFamily, afterRevision)));
        }
        return q.orderBy("family", dir).orderBy("revision", dir).limit(s.limit + 1);
      },
      // Filtered to one family, the page depends on that family's rows only.
      { dependsOn: ([, , , family]) => [s.family ? rowsOf("task_definitions", family) : rowsOf("task_definitions")] },
    ),
);

/** Each cluster's decoded instances, with the version token they were read at. */
type InstanceCache = Map<string, { readonly version: string; readonly instances: readonly InstanceWithAttributes[] }>;

class SqlTx implements Tx {
  readonly services: KyselyServiceTx;
  /** Net change to each live_reservations count (by key) that this transaction has not written yet. */
  private readonly liveMoves = new Map<string, number>();
  /** The live_reservations key (none: not live) of each task this transaction has read with getTask or written. */
  private readonly heldKeys = new Map<string, string | undefined>();
  /** Where the prepared queries run. */
  private readonly on: QueryTarget;
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectCapabilities,
    readCache: ReadCache | undefined,
    private readonly instanceCache: InstanceCache,
  ) {
    this.on = { db, readCache };
    this.services = new KyselyServiceTx(db, dialect);
  }

  /**
   * Runs an insert whose unique-key violation the caller may catch. On PostgreSQL a
   * failed statement aborts the whole transaction, so the insert runs under a
   * savepoint that is rolled back on conflict, leaving the transaction usable.
   */
  private async insert<T>(write: () => Promise<T>): Promise<T> {
    const savepoint = this.dialect.failedStatementAbortsTransaction;
    if (savepoint) await sql`savepoint berth_insert`.execute(this.db);
    try {
      const result = await write();
      if (savepoint) await sql`release savepoint berth_insert`.execute(this.db);
      return result;
    } catch (err) {
      if (savepoint) await sql`rollback to savepoint berth_insert`.execute(this.db);
      if (this.dialect.isUniqueViolation(err)) throw new UniqueViolation(String(err));
      throw err;
    }
  }

  // Clusters.
  async insertCluster(c: Cluster): Promise<boolean> {
    const r = await this.db
      .insertInto("clusters")
      .values({ arn: c.clusterArn!, region: regionOf(c.clusterArn!), name: c.clusterName!, status: c.status!, created_at: Date.now(), doc: encodeDoc(c) })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }
  async getCluster(arn: string): Promise<Cluster | undefined> {
    const row = await clusterDoc(this.dialect.rowLocks).first(this.on, arn);
    return row && decodeDoc<Cluster>(row.doc);
  }
  async putCluster(c: Cluster & InactiveSince): Promise<void> {
    await this.db
      .updateTable("clusters")
      .set({ status: c.status!, inactive_since: inactiveSinceColumn(c.status, c), doc: encodeDoc(c) })
      .where("arn", "=", c.clusterArn!)
      .execute();
  }
  async listClusterArns(region: string, req: PageRequest): Promise<Page<string>> {
    const rows = await clusterArnsPage({ limit: req.limit, everyRegion: false }).all(this.on, region, req.after ?? "");
    return page(rows.map((r) => r.arn), req.limit, (arn) => arn);
  }
  async listEveryClusterArn(req: PageRequest): Promise<Page<string>> {
    const rows = await clusterArnsPage({ limit: req.limit, everyRegion: true }).all(this.on, "", req.after ?? "");
    return page(rows.map((r) => r.arn), req.limit, (arn) => arn);
  }
  async forgetClusters(before: Date, limit: number): Promise<number> {
    let q = this.db
      .selectFrom("clusters")
      .select("arn")
      .where("status", "=", "INACTIVE")
      .where("inactive_since", "<", before.getTime())
      .where((eb) =>
        eb.and([
          eb.not(eb.exists(eb.selectFrom("services").select("arn").whereRef("services.cluster_arn", "=", "clusters.arn"))),
          eb.not(eb.exists(eb.selectFrom("container_instances").select("arn").whereRef("container_instances.cluster_arn", "=", "clusters.arn"))),
          eb.not(eb.exists(eb.selectFrom("tasks").select("arn").whereRef("tasks.cluster_arn", "=", "clusters.arn"))),
        ]),
      )
      .orderBy("arn")
      .limit(limit);
    if (this.dialect.rowLocks) q = q.forUpdate();
    const arns = (await q.execute()).map((r) => r.arn);
    if (arns.length === 0) return 0;
    await this.db.deleteFrom("tags").where("resource_arn", "in", arns).execute();
    await this.db.deleteFrom("attributes").where("cluster_arn", "in", arns).execute();
    await this.db.deleteFrom("live_reservations").where("cluster_arn", "in", arns).execute();
    await this.db.deleteFrom("cluster_instance_versions").where("cluster_arn", "in", arns).execute();
    await this.db.deleteFrom("clusters").where("arn", "in", arns).execute();
    for (const arn of arns) this.instanceCache.delete(arn);
    return arns.length;
  }
  async clusterUsage(arn: string): Promise<ClusterUsage> {
    // One statement: DescribeClusters is among the most frequent calls.
    const row = (await clusterCounts.first(this.on, arn))!;
    return {
      registeredContainerInstancesCount: Number(row.instances ?? 0),
      runningTasksCount: Number(row.running ?? 0),
      pendingTasksCount: Number(row.pending ?? 0),
      activeServicesCount: Number(row.services ?? 0),
    };
  }

  // Capacity providers.
  async insertCapacityProvider(p: CapacityProvider): Promise<void> {
    await this.insert(() =>
      this.db
        .insertInto("capacity_providers")
        .values({ arn: p.capacityProviderArn!, region: regionOf(p.capacityProviderArn!), name: p.name!, status: p.status!, doc: encodeDoc(p) })
        .execute(),
    );
  }
  async getCapacityProvider(region: string, name: string): Promise<CapacityProvider | undefined> {
    let q = this.db.selectFrom("capacity_providers").select("doc").where("region", "=", region).where("name", "=", name);
    if (this.dialect.rowLocks) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    return row && decodeDoc<CapacityProvider>(row.doc);
  }
  async putCapacityProvider(p: CapacityProvider): Promise<void> {
    await this.db
      .updateTable("capacity_providers")
      .set({ status: p.status!, doc: encodeDoc(p) })
      .where("arn", "=", p.capacityProviderArn!)
      .execute();
  }
  async deleteCapacityProvider(region: string, name: string): Promise<void> {
    await this.db.deleteFrom("capacity_providers").where("region", "=", region).where("name", "=", name).execute();
  }
  async listCapacityProviders(region: string, req: PageRequest): Promise<Page<CapacityProvider>> {
    let q = this.db.selectFrom("capacity_providers").select(["name", "doc"]).where("region", "=", region);
    if (req.after) q = q.where("name", ">", req.after);
    const rows = await q.orderBy("name").limit(req.limit + 1).execute();
    return page(rows.map((r) => decodeDoc<CapacityProvider>(r.doc)), req.limit, (p) => p.name!);
  }

  // Tags.
  async getTags(arn: string): Promise<readonly Tag[]> {
    const rows = await resourceTags.all(this.on, arn);
    return rows.map((r) => ({ key: r.key, value: r.value }));
  }
  async putTags(arn: string, tags: readonly Tag[]): Promise<void> {
    for (const t of tags) await upsertTag.run(this.db, arn, t.key!, t.value ?? "");
  }
  async deleteTags(arn: string, keys?: readonly string[]): Promise<void> {
    let q = this.db.deleteFrom("tags").where("resource_arn", "=", arn);
    if (keys) {
      if (keys.length === 0) return;
      q = q.where("key", "in", keys);
    }
    await q.execute();
  }

  // Task definitions.
  async nextRevision(region: string, family: string): Promise<number> {
    // The family row is the lock: the UPDATE serialises concurrent registrations.
    const bumped = await bumpRevision.first(this.on, region, family);
    if (bumped) return Number(bumped.last_revision);
    await this.db
      .insertInto("task_definition_families")
      .values({ region, family, last_revision: 1 })
      .onConflict((oc) =>
        oc.columns(["region", "family"]).doUpdateSet((eb) => ({ last_revision: eb("task_definition_families.last_revision", "+", 1) })),
      )
      .execute();
    const row = await this.db
      .selectFrom("task_definition_families")
      .select("last_revision")
      .where("region", "=", region)
      .where("family", "=", family)
      .executeTakeFirstOrThrow();
    return Number(row.last_revision);
  }
  async insertTaskDefinition(d: TaskDefinition): Promise<void> {
    await this.insert(() =>
      insertTaskDefinitionRow.run(
        this.db,
        d.taskDefinitionArn!,
        regionOf(d.taskDefinitionArn!),
        d.family!,
        d.revision!,
        d.status!,
        d.registeredAt?.getTime() ?? 0,
        encodeDoc(d),
      ),
    );
  }
  async getTaskDefinition(region: string, family: string, revision?: number): Promise<TaskDefinition | undefined> {
    const doc = await this.getTaskDefinitionDoc(region, family, revision);
    return doc && decodeDoc(doc);
  }
  async getTaskDefinitionDoc(region: string, family: string, revision?: number): Promise<EncodedDoc<TaskDefinition> | undefined> {
    const row = await taskDefinitionDoc({ latest: revision === undefined, locked: this.dialect.rowLocks }).first(
      this.on,
      region,
      family,
      revision ?? 0,
    );
    return row?.doc;
  }
  async putTaskDefinition(d: TaskDefinition): Promise<void> {
    await this.db
      .updateTable("task_definitions")
      .set({ status: d.status!, doc: encodeDoc(d) })
      .where("arn", "=", d.taskDefinitionArn!)
      .execute();
  }
  async listTaskDefinitionArns(query: TaskDefinitionQuery): Promise<Page<string>> {
    const [afterFamily, afterRevision] = query.after ? parseRevisionKey(query.after) : ["", 0];
    const shape = {
      prefix: query.familyPrefix !== undefined,
      family: query.family !== undefined,
      status: query.status !== undefined,
      after: query.after !== undefined && query.after !== "",
      descending: query.descending,
      limit: query.limit,
    };
    const rows = await taskDefinitionArnsPage(shape).all(
      this.on,
      query.region,
      query.familyPrefix ?? "",
      query.familyPrefix?.length ?? 0,
      query.family ?? "",
      query.status ?? "",
      afterFamily,
      afterRevision,
    );
    const p = page(rows, query.limit, (r) => revisionKey(r.family, Number(r.revision)));
    return { items: p.items.map((r) => r.arn), ...(p.next ? { next: p.next } : {}) };
  }
  async listTaskDefinitionFamilies(query: FamilyQuery): Promise<Page<string>> {
    let q = this.db
      .selectFrom("task_definitions")
      .select("family")
      .select((eb) => eb.fn.sum<number>(eb.case().when("status", "=", "ACTIVE").then(1).else(0).end()).as("active"))
      .where("region", "=", query.region)
      .groupBy("family");
    if (query.familyPrefix !== undefined) q = q.where(hasPrefix("family", query.familyPrefix, query.familyPrefix.length));
    if (query.after) q = q.where("family", ">", query.after);
    if (query.status === "ACTIVE") q = q.having((eb) => eb.fn.sum(eb.case().when("status", "=", "ACTIVE").then(1).else(0).end()), ">", 0);
    if (query.status === "INACTIVE") q = q.having((eb) => eb.fn.sum(eb.case().when("status", "=", "ACTIVE").then(1).else(0).end()), "=", 0);
    const rows = await q.orderBy("family").limit(query.limit + 1).execute();
    return page(rows.map((r) => r.family), query.limit, (f) => f);
  }

  // Container instances.
  /**
   * Gives the cluster's instances a new version token, in the caller's transaction. Tokens are
   * never reused, so one written by a transaction that rolled back is never read as current.
   */
  private async instancesChanged(clusterArn: string): Promise<void> {
    const version = randomUUID();
    await this.db
      .insertInto("cluster_instance_versions")
      .values({ cluster_arn: clusterArn, version })
      .onConflict((oc) => oc.column("cluster_arn").doUpdateSet({ version }))
      .execute();
  }
  async insertContainerInstance(clusterArn: string, i: ContainerInstance & InactiveSince): Promise<void> {
    await this.insert(() =>
      this.db
        .insertInto("container_instances")
        .values({
          arn: i.containerInstanceArn!,
          cluster_arn: clusterArn,
          id: i.containerInstanceArn!.split("/").pop()!,
          status: i.status!,
          registered_at: i.registeredAt?.getTime() ?? 0,
          inactive_since: inactiveSinceColumn(i.status, i),
          doc: encodeDoc(i),
        })
        .execute(),
    );
    await this.instancesChanged(clusterArn);
  }
  async getContainerInstance(clusterArn: string, arn: string): Promise<ContainerInstance | undefined> {
    let q = this.db.selectFrom("container_instances").select("doc").where("cluster_arn", "=", clusterArn).where("arn", "=", arn);
    if (this.dialect.rowLocks) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    return row && decodeDoc<ContainerInstance>(row.doc);
  }
  async putContainerInstance(clusterArn: string, i: ContainerInstance & InactiveSince): Promise<void> {
    await this.instancesChanged(clusterArn);
    await this.db
      .updateTable("container_instances")
      .set({ status: i.status!, inactive_since: inactiveSinceColumn(i.status, i), doc: encodeDoc(i) })
      .where("cluster_arn", "=", clusterArn)
      .where("arn", "=", i.containerInstanceArn!)
      .execute();
  }
  async deleteContainerInstance(arn: string): Promise<void> {
    const deleted = await this.db.deleteFrom("container_instances").where("arn", "=", arn).returning("cluster_arn").executeTakeFirst();
    if (deleted) await this.instancesChanged(deleted.cluster_arn);
  }
  async forgetContainerInstances(before: Date, limit: number): Promise<number> {
    const q = this.db
      .selectFrom("container_instances")
      .select(["arn", "cluster_arn"])
      .where("status", "=", "INACTIVE")
      .where("inactive_since", "<", before.getTime())
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("tasks")
              .select("arn")
              .whereRef("tasks.container_instance_arn", "=", "container_instances.arn")
              .where("tasks.last_status", "!=", "STOPPED"),
          ),
        ),
      )
      .orderBy("arn")
      .limit(limit);
    const gone = await q.execute();
    if (gone.length === 0) return 0;
    // The version tokens first, as every write to instances takes them: two writers never wait on each other in turn.
    for (const cluster of [...new Set(gone.map((r) => r.cluster_arn))].sort()) await this.instancesChanged(cluster);
    const arns = gone.map((r) => r.arn);
    await this.db.deleteFrom("attributes").where("target_id", "in", arns).execute();
    await this.db.deleteFrom("tags").where("resource_arn", "in", arns).execute();
    await this.db.deleteFrom("instance_liveness").where("instance_arn", "in", arns).execute();
    await this.db.deleteFrom("container_instances").where("arn", "in", arns).execute();
    return gone.length;
  }
  async listContainerInstances(clusterArn: string, req: PageRequest): Promise<Page<ContainerInstance>> {
    let q = this.db.selectFrom("container_instances").select(["arn", "doc"]).where("cluster_arn", "=", clusterArn);
    if (req.after) q = q.where("arn", ">", req.after);
    const rows = await q.orderBy("arn").limit(req.limit + 1).execute();
    return page(rows.map((r) => decodeDoc<ContainerInstance>(r.doc)), req.limit, (i) => i.containerInstanceArn!);
  }
  async clusterInstances(clusterArn: string): Promise<readonly InstanceWithAttributes[]> {
    const row = await instanceVersion.first(this.on, clusterArn);
    // A cluster whose instances were never written has none; "" stands for that state.
    const version = row?.version ?? "";
    const cached = this.instanceCache.get(clusterArn);
    if (cached?.version === version) return cached.instances;
    // Read after the token: what is decoded is at least as new as the version it is kept under.
    const attributes = new Map<string, Record<string, string | null>>();
    for (const a of await this.clusterInstanceAttributes(clusterArn)) {
      let of = attributes.get(a.targetId);
      if (!of) attributes.set(a.targetId, (of = {}));
      of[a.name] = a.value ?? null;
    }
    const rows = await this.db.selectFrom("container_instances").select(["arn", "doc"]).where("cluster_arn", "=", clusterArn).orderBy("arn").execute();
    const instances = rows.map((r) => ({ instance: decodeDoc<ContainerInstance>(r.doc), attributes: attributes.get(r.arn) ?? {} }));
    this.instanceCache.set(clusterArn, { version, instances });
    return instances;
  }

  // Attributes.
  async putAttribute(a: AttributeRow): Promise<void> {
    await this.instancesChanged(a.clusterArn);
    await this.db
      .insertInto("attributes")
      .values({ cluster_arn: a.clusterArn, target_type: a.targetType, target_id: a.targetId, name: a.name, value: a.value ?? null })
      .onConflict((oc) => oc.columns(["target_id", "name"]).doUpdateSet({ value: a.value ?? null }))
      .execute();
  }
  async deleteAttribute(targetId: string, name: string): Promise<boolean> {
    const deleted = await this.db
      .deleteFrom("attributes")
      .where("target_id", "=", targetId)
      .where("name", "=", name)
      .returning("cluster_arn")
      .executeTakeFirst();
    if (deleted) await this.instancesChanged(deleted.cluster_arn);
    return deleted !== undefined;
  }
  async clustersWithInstanceAttribute(name: string): Promise<readonly string[]> {
    const rows = await this.db
      .selectFrom("attributes")
      .select("cluster_arn")
      .distinct()
      .where("target_type", "=", "container-instance")
      .where("name", "=", name)
      .orderBy("cluster_arn")
      .execute();
    return rows.map((r) => r.cluster_arn);
  }
  async attributesOf(targetId: string): Promise<readonly AttributeRow[]> {
    const rows = await this.db.selectFrom("attributes").selectAll().where("target_id", "=", targetId).orderBy("name").execute();
    return rows.map(toAttributeRow);
  }
  /** Every container instance attribute in a cluster, in one query (clusterInstances reads them all). */
  private async clusterInstanceAttributes(clusterArn: string): Promise<readonly AttributeRow[]> {
    const rows = await this.db
      .selectFrom("attributes")
      .selectAll()
      .where("cluster_arn", "=", clusterArn)
      .where("target_type", "=", "container-instance")
      .execute();
    return rows.map(toAttributeRow);
  }
  async listAttributes(query: AttributeQuery): Promise<Page<AttributeRow>> {
    let q = this.db
      .selectFrom("attributes")
      .selectAll()
      .where("cluster_arn", "=", query.clusterArn)
      .where("target_type", "=", query.targetType);
    if (query.name !== undefined) q = q.where("name", "=", query.name);
    if (query.value !== undefined) q = q.where("value", "=", query.value);
    if (query.after) {
      const [targetId, name] = parseAttributeKey(query.after);
      q = q.where((eb) => eb(eb.refTuple("target_id", "name"), ">", eb.tuple(targetId, name)));
    }
    const rows = await q.orderBy("target_id").orderBy("name").limit(query.limit + 1).execute();
    return page(rows.map(toAttributeRow), query.limit, (a) => JSON.stringify([a.targetId, a.name]));
  }

  // Tasks.
  async insertTask(t: Task): Promise<void> {
    const r = taskRow(t);
    await this.insert(() => insertTaskRow.run(this.db, ...taskRowValues(r)));
    this.moveLiveTasks(liveKey(r), 1);
    this.heldKeys.set(r.arn, liveKey(r));
  }
  async getTask(arn: string): Promise<Task | undefined> {
    const row = await taskForChange(this.dialect.rowLocks).first(this.on, arn);
    if (!row) return undefined;
    this.heldKeys.set(arn, liveKey(row));
    return decodeDoc<Task>(row.doc);
  }
  async getTaskDocs(arns: readonly string[]): Promise<ReadonlyMap<string, EncodedDoc<Task>>> {
    const unique = [...new Set(arns)];
    const rows = unique.length === 0 ? [] : await taskDocs(unique.length).all(this.on, ...unique);
    return new Map(rows.map((row) => [row.arn, row.doc]));
  }
  async putTask(t: Task): Promise<void> {
    const row = taskRow(t);
    const arn = row.arn;
    const was = await this.heldKeyOf(arn);
    await updateTaskRow.run(this.db, ...taskRowValues(row));
    if (was === null) return;
    const now = liveKey(row);
    this.moveLiveTasks(was, -1);
    this.moveLiveTasks(now, 1);
    this.heldKeys.set(arn, now);
  }
  /**
   * The key a task's row counts toward (undefined: not live; null: no such task). Read
   * only when this transaction has not already read or written the row (the usual
   * getTask → putTask has).
   */
  private async heldKeyOf(arn: string): Promise<string | undefined | null> {
    if (this.heldKeys.has(arn)) return this.heldKeys.get(arn);
    const row = await heldBefore.first(this.on, arn);
    return row ? liveKey(row) : null;
  }
  private moveLiveTasks(key: string | undefined, by: number): void {
    if (key) this.liveMoves.set(key, (this.liveMoves.get(key) ?? 0) + by);
  }
  /**
   * Writes the transaction's net moves of live_reservations counts, in key order: every
   * transaction takes those rows' locks in one order, and takes them last (before
   * commit) or just before reading them, so the counts never deadlock two writers.
   */
  async flushLiveMoves(): Promise<void> {
    if (this.liveMoves.size === 0) return;
    const moves = [...this.liveMoves].filter(([, by]) => by !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.liveMoves.clear();
    for (const [key, by] of moves) {
      const [cluster, instance, reservation] = key.split("\0") as [string, string, string];
      if (by > 0) await addLiveTasks.run(this.db, cluster, instance, reservation, by);
      else {
        await removeLiveTasks.run(this.db, cluster, instance, reservation, -by);
        await dropSpentReservation.run(this.db, cluster, instance, reservation);
      }
    }
  }
  async listTaskArns(query: TaskQuery): Promise<Page<string>> {
    let q = this.db.selectFrom("tasks").select("arn").where("cluster_arn", "=", query.clusterArn);
    // ECS's desiredStatus filter: RUNNING lists what should run, STOPPED what was told to stop.
    q = query.desiredStatus === "STOPPED" ? q.where("desired_status", "=", "STOPPED") : q.where("desired_status", "=", "RUNNING");
    if (query.desiredStatus === "PENDING") q = q.where("last_status", "in", pendingStatuses);
    if (query.containerInstanceArn !== undefined) q = q.where("container_instance_arn", "=", query.containerInstanceArn);
    if (query.family !== undefined) q = q.where("family", "=", query.family);
    if (query.startedBy !== undefined) q = q.where("started_by", "=", query.startedBy);
    if (query.group !== undefined) q = q.where("group_name", "=", query.group);
    if (query.launchType !== undefined) q = q.where("launch_type", "=", query.launchType);
    if (query.after) q = q.where("arn", ">", query.after);
    const rows = await q.orderBy("arn").limit(query.limit + 1).execute();
    return page(rows.map((r) => r.arn), query.limit, (arn) => arn);
  }
  async liveTasksOnInstance(containerInstanceArn: string): Promise<readonly Task[]> {
    const rows = await this.db
      .selectFrom("tasks")
      .select("doc")
      .where("container_instance_arn", "=", containerInstanceArn)
      .where("last_status", "!=", "STOPPED")
      .orderBy("arn")
      .execute();
    return rows.map((r) => decodeDoc<Task>(r.doc));
  }
  async liveTasksInCluster(clusterArn: string): Promise<readonly Task[]> {
    const rows = await this.db
      .selectFrom("tasks")
      .select("doc")
      .where("cluster_arn", "=", clusterArn)
      .where("last_status", "!=", "STOPPED")
      .orderBy("arn")
      .execute();
    return rows.map((r) => decodeDoc<Task>(r.doc));
  }
  async liveReservations(clusterArn: string): Promise<readonly HeldReservation[]> {
    // A RunTask reads a row per instance and distinct reservation, and parses each
    // distinct reservation (most tasks of a service hold the same) once.
    await this.flushLiveMoves();
    const parsed = new Map<string, Reservation>();
    return (await liveReservationRows.all(this.on, clusterArn)).map((r) => {
      let held = parsed.get(r.reservation);
      if (!held) parsed.set(r.reservation, (held = JSON.parse(r.reservation) as Reservation));
      // Written out rather than spread: a spread copy costs more than the rest of the read.
      return {
        containerInstanceArn: r.container_instance_arn,
        cpu: held.cpu,
        memory: held.memory,
        tcpPorts: held.tcpPorts,
        udpPorts: held.udpPorts,
        address: held.address,
        group: held.group,
        tasks: r.tasks,
      };
    });
  }
  async waitingTasks(limit: number): Promise<readonly Task[]> {
    const rows = await this.db
      .selectFrom("tasks")
      .select("doc")
      .where("container_instance_arn", "is", null)
      .where("last_status", "=", "PROVISIONING")
      .orderBy("created_at")
      .limit(limit)
      .execute();
    return rows.map((r) => decodeDoc<Task>(r.doc));
  }
  async purgeStoppedTasks(before: Date): Promise<number> {
    const r = await this.db.deleteFrom("tasks").where("stopped_at", "<", before.getTime()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  // Account settings.
  async getAccountSettings(region: string, principalArn: string): Promise<readonly Setting[]> {
    const rows = await this.db
      .selectFrom("account_settings")
      .select(["name", "value"])
      .where("region", "=", region)
      .where("principal_arn", "=", principalArn)
      .execute();
    return rows.map((r) => ({ name: r.name as SettingName, value: r.value, principalArn }));
  }
  async putAccountSetting(region: string, principalArn: string, name: string, value: string): Promise<void> {
    await this.db
      .insertInto("account_settings")
      .values({ region, principal_arn: principalArn, name, value })
      .onConflict((oc) => oc.columns(["region", "principal_arn", "name"]).doUpdateSet({ value }))
      .execute();
  }
  async deleteAccountSetting(region: string, principalArn: string, name: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom("account_settings")
      .where("region", "=", region)
      .where("principal_arn", "=", principalArn)
      .where("name", "=", name)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

/** The region an ARN names (arn:aws:SERVICE:REGION:…). */
function regionOf(arn: string): string {
  return arn.split(":")[3] ?? "";
}

function taskRow(t: Task): Database["tasks"] {
  const family = revisionOfArn(t.taskDefinitionArn ?? "")?.family ?? "";
  return {
    arn: t.taskArn!,
    cluster_arn: t.clusterArn!,
    container_instance_arn: t.containerInstanceArn ?? null,
    family,
    started_by: t.startedBy ?? null,
    group_name: t.group ?? null,
    launch_type: t.launchType ?? "EC2",
    last_status: t.lastStatus!,
    desired_status: t.desiredStatus!,
    created_at: t.createdAt?.getTime() ?? 0,
    stopped_at: t.lastStatus === "STOPPED" ? (t.stoppedAt ?? t.createdAt)?.getTime() ?? 0 : null,
    reservation: JSON.stringify(reservationOf(t)),
    doc: encodeDoc(t),
  };
}

function toAttributeRow(r: Database["attributes"]): AttributeRow {
  return {
    clusterArn: r.cluster_arn,
    targetType: r.target_type,
    targetId: r.target_id,
    name: r.name,
    ...(r.value === null ? {} : { value: r.value }),
  };
}

export class KyselyStore implements Store {
  readonly kind: Store["kind"];
  readonly logs: KyselyLogStore;
  readonly registry: KyselyRegistryStore;
  private readonly instanceCache: InstanceCache = new Map();
  /** What reads outside a transaction and snapshots run with: no row locks. */
  private readonly unlocked: DialectCapabilities;
  /** `homeRegion`: the region Berth is configured with, the one `logs` names groups in. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectCapabilities,
    homeRegion: string,
  ) {
    this.kind = dialect.name;
    this.unlocked = { ...dialect, rowLocks: false };
    this.logs = new KyselyLogStore(db, dialect, homeRegion);
    this.registry = new KyselyRegistryStore(db, dialect);
  }

  tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      const tx = new SqlTx(trx, this.dialect, undefined, this.instanceCache);
      const result = await fn(tx);
      await tx.flushLiveMoves();
      return result;
    });
  }

  snapshot<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    // SQLite's BEGIN takes one snapshot at the first read (WAL); PostgreSQL needs REPEATABLE READ for that.
    return this.db
      .transaction()
      .setIsolationLevel("repeatable read")
      .setAccessMode("read only")
      .execute((trx) => fn(new SqlTx(trx, this.unlocked, undefined, this.instanceCache)));
  }

  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return fn(new SqlTx(this.db, this.unlocked, this.dialect.readCache, this.instanceCache));
  }

  close(): Promise<void> {
    return this.db.destroy();
  }
}
