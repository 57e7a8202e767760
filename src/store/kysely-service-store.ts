// ServiceTx over Kysely, shared by SQLite and PostgreSQL.

import { sql, type Kysely } from "kysely";
import type { ServiceEvent, ServiceRevision } from "../model/generated/ecs.js";
import type { DialectCapabilities } from "./dialect-capabilities.js";
import { inactiveSinceColumn } from "./control-plane-schema.js";
import { decodeDoc, encodeDoc } from "../protocol/doc-codec.js";
import { pageOf as page, type Page } from "./page.js";
import type { Database } from "./schema.js";
import type {
  ServiceDeploymentQuery,
  ServiceQuery,
  ServiceRef,
  ServiceTaskRecord,
  ServiceTx,
  StopKind,
  StoredDeployment,
  StoredService,
} from "./service-store.js";
import { BadPageKey } from "./store-errors.js";

/** ListServiceDeployments pages newest first by (created_at, id). */
const deploymentKey = (d: StoredDeployment): string => JSON.stringify([d.createdAt.getTime(), d.id]);

function parseDeploymentKey(key: string): [number, string] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(key);
  } catch {
    throw new BadPageKey();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== "number" || typeof parsed[1] !== "string") throw new BadPageKey();
  return parsed as [number, string];
}

const toRecord = (r: Database["service_tasks"]): ServiceTaskRecord => ({
  taskArn: r.task_arn,
  serviceArn: r.service_arn,
  deploymentId: r.deployment_id,
  settled: r.settled === 1,
  ran: r.ran === 1,
  ...(r.stop_kind ? { stopKind: r.stop_kind as StopKind } : {}),
  createdAt: new Date(Number(r.created_at)),
  ...(r.protected_until !== null ? { protectedUntil: new Date(Number(r.protected_until)) } : {}),
});

export class KyselyServiceTx implements ServiceTx {
  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly dialect: DialectCapabilities,
  ) {}

  // Services.
  async insertService(s: StoredService): Promise<void> {
    const svc = s.service;
    await this.db
      .insertInto("services")
      .values({
        arn: svc.serviceArn,
        cluster_arn: svc.clusterArn,
        name: svc.serviceName,
        status: svc.status,
        launch_type: svc.launchType ?? null,
        scheduling_strategy: svc.schedulingStrategy,
        created_at: svc.createdAt?.getTime() ?? 0,
        inactive_since: inactiveSinceColumn(svc.status, s),
        doc: encodeDoc(s),
      })
      .execute();
  }
  async getService(arn: string, opts: { readonly lock?: boolean } = {}): Promise<StoredService | undefined> {
    let q = this.db.selectFrom("services").select("doc").where("arn", "=", arn);
    if (opts.lock && this.dialect.rowLocks) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    return row && decodeDoc<StoredService>(row.doc);
  }
  async putService(s: StoredService): Promise<void> {
    const svc = s.service;
    await this.db
      .updateTable("services")
      .set({
        status: svc.status,
        launch_type: svc.launchType ?? null,
        scheduling_strategy: svc.schedulingStrategy,
        created_at: svc.createdAt?.getTime() ?? 0,
        inactive_since: inactiveSinceColumn(svc.status, s),
        doc: encodeDoc(s),
      })
      .where("arn", "=", svc.serviceArn)
      .execute();
  }
  async clearServiceHistory(serviceArn: string): Promise<void> {
    await this.deleteHistory([serviceArn]);
  }
  private async deleteHistory(serviceArns: readonly string[]): Promise<void> {
    await this.db.deleteFrom("service_deployments").where("service_arn", "in", serviceArns).execute();
    await this.db.deleteFrom("service_revisions").where("service_arn", "in", serviceArns).execute();
    await this.db.deleteFrom("service_events").where("service_arn", "in", serviceArns).execute();
    await this.db.deleteFrom("service_tasks").where("service_arn", "in", serviceArns).execute();
  }
  async forgetServices(before: Date, limit: number): Promise<number> {
    let q = this.db
      .selectFrom("services")
      .select("arn")
      .where("status", "=", "INACTIVE")
      .where("inactive_since", "<", before.getTime())
      // A service's tasks carry its name as their group (service:<name>) in its cluster.
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("tasks")
              .select("arn")
              .whereRef("tasks.cluster_arn", "=", "services.cluster_arn")
              .where("tasks.group_name", "=", sql<string>`${"service:"} || ${eb.ref("services.name")}`)
              .where("tasks.last_status", "!=", "STOPPED"),
          ),
        ),
      )
      .orderBy("arn")
      .limit(limit);
    if (this.dialect.rowLocks) q = q.forUpdate();
    const arns = (await q.execute()).map((r) => r.arn);
    if (arns.length === 0) return 0;
    await this.deleteHistory(arns);
    await this.db.deleteFrom("tags").where("resource_arn", "in", arns).execute();
    await this.db.deleteFrom("services").where("arn", "in", arns).execute();
    return arns.length;
  }
  async listServices(query: ServiceQuery): Promise<Page<StoredService>> {
    let q = this.db
      .selectFrom("services")
      .select(["arn", "doc"])
      .where("cluster_arn", "=", query.clusterArn)
      .where("status", "in", ["ACTIVE", "DRAINING"]);
    if (query.launchType !== undefined) q = q.where("launch_type", "=", query.launchType);
    if (query.schedulingStrategy !== undefined) q = q.where("scheduling_strategy", "=", query.schedulingStrategy);
    if (query.after) q = q.where("arn", ">", query.after);
    const rows = await q.orderBy("arn").limit(query.limit + 1).execute();
    return page(rows.map((r) => decodeDoc<StoredService>(r.doc)), query.limit, (s) => s.service.serviceArn);
  }
  async servicesToReconcile(): Promise<readonly ServiceRef[]> {
    const rows = await this.db
      .selectFrom("services")
      .select(["arn", "cluster_arn"])
      .where("status", "in", ["ACTIVE", "DRAINING"])
      .orderBy("arn")
      .execute();
    return rows.map((r) => ({ arn: r.arn, clusterArn: r.cluster_arn }));
  }

  // Deployments.
  async putDeployment(d: StoredDeployment): Promise<void> {
    const row = {
      service_arn: d.serviceArn,
      service_deployment_arn: d.serviceDeploymentArn,
      status: d.status,
      created_at: d.createdAt.getTime(),
      doc: encodeDoc(d),
    };
    await this.db
      .insertInto("service_deployments")
      .values({ id: d.id, ...row })
      .onConflict((oc) => oc.column("id").doUpdateSet(row))
      .execute();
  }
  async deploymentsOf(serviceArn: string, opts: { readonly includeInactive?: boolean } = {}): Promise<readonly StoredDeployment[]> {
    let q = this.db.selectFrom("service_deployments").select("doc").where("service_arn", "=", serviceArn);
    if (!opts.includeInactive) q = q.where("status", "!=", "INACTIVE");
    const rows = await q.orderBy("created_at", "desc").orderBy("id", "desc").execute();
    return rows.map((r) => decodeDoc<StoredDeployment>(r.doc));
  }
  async getDeployment(id: string): Promise<StoredDeployment | undefined> {
    const row = await this.db.selectFrom("service_deployments").select("doc").where("id", "=", id).executeTakeFirst();
    return row && decodeDoc<StoredDeployment>(row.doc);
  }
  async findServiceDeployment(serviceDeploymentArn: string): Promise<StoredDeployment | undefined> {
    const row = await this.db
      .selectFrom("service_deployments")
      .select("doc")
      .where("service_deployment_arn", "=", serviceDeploymentArn)
      .executeTakeFirst();
    return row && decodeDoc<StoredDeployment>(row.doc);
  }
  async listServiceDeployments(query: ServiceDeploymentQuery): Promise<Page<StoredDeployment>> {
    let q = this.db
      .selectFrom("service_deployments")
      .select(["doc", "created_at", "id"])
      .where("service_arn", "=", query.serviceArn);
    if (query.createdAfter) q = q.where("created_at", ">=", query.createdAfter.getTime());
    if (query.createdBefore) q = q.where("created_at", "<=", query.createdBefore.getTime());
    if (query.after) {
      const [at, id] = parseDeploymentKey(query.after);
      q = q.where((eb) => eb.or([eb("created_at", "<", at), eb.and([eb("created_at", "=", at), eb("id", "<", id)])]));
    }
    // The ServiceDeployment status lives in the document, so that filter runs here; pages stay full by reading on.
    const wanted = query.statuses && query.statuses.length > 0 ? new Set(query.statuses) : undefined;
    const items: StoredDeployment[] = [];
    const rows = await q.orderBy("created_at", "desc").orderBy("id", "desc").execute();
    for (const r of rows) {
      const d = decodeDoc<StoredDeployment>(r.doc);
      if (wanted && !wanted.has(d.serviceDeployment.status)) continue;
      items.push(d);
    }
    return page(items, query.limit, deploymentKey);
  }

  async deleteDeployments(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.db.deleteFrom("service_deployments").where("id", "in", ids).execute();
  }

  // Revisions.
  async putRevision(serviceArn: string, revision: ServiceRevision): Promise<void> {
    const row = { service_arn: serviceArn, created_at: revision.createdAt?.getTime() ?? 0, doc: encodeDoc(revision) };
    await this.db
      .insertInto("service_revisions")
      .values({ arn: revision.serviceRevisionArn!, ...row })
      .onConflict((oc) => oc.column("arn").doUpdateSet(row))
      .execute();
  }
  async getRevision(arn: string): Promise<ServiceRevision | undefined> {
    const row = await this.db.selectFrom("service_revisions").select("doc").where("arn", "=", arn).executeTakeFirst();
    return row && decodeDoc<ServiceRevision>(row.doc);
  }
  async deleteRevisions(arns: readonly string[]): Promise<void> {
    if (arns.length > 0) await this.db.deleteFrom("service_revisions").where("arn", "in", arns).execute();
  }

  // Events.
  async addServiceEvent(serviceArn: string, event: ServiceEvent, keep: number): Promise<void> {
    await this.db
      .insertInto("service_events")
      .values({ service_arn: serviceArn, created_at: event.createdAt?.getTime() ?? 0, doc: encodeDoc(event) })
      .execute();
    // Everything older than the newest `keep` goes.
    const cutoff = await this.db
      .selectFrom("service_events")
      .select("seq")
      .where("service_arn", "=", serviceArn)
      .orderBy("seq", "desc")
      .offset(keep)
      .limit(1)
      .executeTakeFirst();
    if (cutoff) await this.db.deleteFrom("service_events").where("service_arn", "=", serviceArn).where("seq", "<=", cutoff.seq).execute();
  }
  async serviceEvents(serviceArn: string, limit: number): Promise<readonly ServiceEvent[]> {
    const rows = await this.db
      .selectFrom("service_events")
      .select("doc")
      .where("service_arn", "=", serviceArn)
      .orderBy("seq", "desc")
      .limit(limit)
      .execute();
    return rows.map((r) => decodeDoc<ServiceEvent>(r.doc));
  }

  // The ledger.
  async trackServiceTask(r: ServiceTaskRecord): Promise<void> {
    await this.db
      .insertInto("service_tasks")
      .values({
        task_arn: r.taskArn,
        service_arn: r.serviceArn,
        deployment_id: r.deploymentId,
        settled: r.settled ? 1 : 0,
        ran: r.ran ? 1 : 0,
        stop_kind: r.stopKind ?? null,
        created_at: r.createdAt.getTime(),
      })
      .execute();
  }
  async putServiceTask(r: ServiceTaskRecord): Promise<void> {
    await this.db
      .updateTable("service_tasks")
      .set({ settled: r.settled ? 1 : 0, ran: r.ran ? 1 : 0, stop_kind: r.stopKind ?? null })
      .where("task_arn", "=", r.taskArn)
      .execute();
  }
  async getServiceTask(taskArn: string): Promise<ServiceTaskRecord | undefined> {
    let q = this.db.selectFrom("service_tasks").selectAll().where("task_arn", "=", taskArn);
    if (this.dialect.rowLocks) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    return row && toRecord(row);
  }
  async protectServiceTask(taskArn: string, until: Date | undefined): Promise<boolean> {
    const r = await this.db
      .updateTable("service_tasks")
      .set({ protected_until: until?.getTime() ?? null })
      .where("task_arn", "=", taskArn)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
  async unsettledServiceTasks(serviceArn: string): Promise<readonly ServiceTaskRecord[]> {
    const rows = await this.db
      .selectFrom("service_tasks")
      .selectAll()
      .where("service_arn", "=", serviceArn)
      .where("settled", "=", 0)
      .orderBy("task_arn")
      .execute();
    return rows.map(toRecord);
  }
  async pruneServiceTasks(before: Date): Promise<number> {
    const r = await this.db.deleteFrom("service_tasks").where("settled", "=", 1).where("created_at", "<", before.getTime()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  // Instance liveness.
  async disconnectedSince(instanceArn: string): Promise<Date | undefined> {
    const row = await this.db.selectFrom("instance_liveness").select("disconnected_since").where("instance_arn", "=", instanceArn).executeTakeFirst();
    return row ? new Date(Number(row.disconnected_since)) : undefined;
  }
  async setDisconnectedSince(instanceArn: string, since: Date | undefined): Promise<void> {
    if (since === undefined) {
      await this.db.deleteFrom("instance_liveness").where("instance_arn", "=", instanceArn).execute();
      return;
    }
    await this.db
      .insertInto("instance_liveness")
      .values({ instance_arn: instanceArn, disconnected_since: since.getTime() })
      .onConflict((oc) => oc.column("instance_arn").doUpdateSet({ disconnected_since: since.getTime() }))
      .execute();
  }

  // The lease.
  async acquireLease(name: string, holder: string, now: Date, ttlMs: number): Promise<boolean> {
    const expires = now.getTime() + ttlMs;
    // One statement decides: insert, or take over only a lease that is ours or has run out.
    await this.db
      .insertInto("controller_leases")
      .values({ name, holder, expires_at: expires })
      .onConflict((oc) =>
        oc
          .column("name")
          .doUpdateSet({ holder, expires_at: expires })
          .where((eb) => eb.or([eb("controller_leases.holder", "=", holder), eb("controller_leases.expires_at", "<", now.getTime())])),
      )
      .execute();
    const row = await this.db.selectFrom("controller_leases").select("holder").where("name", "=", name).executeTakeFirst();
    return row?.holder === holder;
  }
  async releaseLease(name: string, holder: string): Promise<void> {
    await this.db.deleteFrom("controller_leases").where("name", "=", name).where("holder", "=", holder).execute();
  }
}
