// The RegistryStore over Kysely, shared by SQLite and PostgreSQL. Garbage
// collection's deletes carry their own conditions (link time, no references),
// so a concurrent push that refreshes a row makes PostgreSQL re-check and skip it.

import { sql, type Kysely, type Transaction } from "kysely";
import type { DialectCapabilities } from "./dialect-capabilities.js";
import { decodeDoc, encodeDoc } from "../protocol/doc-codec.js";
import { pageOf as page, type Page, type PageRequest } from "./page.js";
import type {
  ImageIdPage,
  ImageRecord,
  LifecyclePreviewRecord,
  ManifestRecord,
  ManifestRef,
  RegistryStore,
  RegistryTx,
  RepositoryRecord,
  ScanRecord,
  TagFilter,
  TagWrite,
  UploadRecord,
  VulnerabilityRow,
} from "./registry-store.js";
import type { Database } from "./schema.js";
import { UniqueViolation } from "./store-errors.js";

type RepositoryDoc = Omit<RepositoryRecord, "path" | "name" | "arn" | "createdAt" | "policy" | "lifecyclePolicy" | "lifecycleEvaluatedAt">;

interface RepositoryRow {
  name: string;
  region: string;
  arn: string;
  created_at: number;
  doc: string;
  policy: string | null;
  lifecycle_policy: string | null;
  lifecycle_evaluated_at: number | null;
}

function toRepository(row: RepositoryRow): RepositoryRecord {
  const doc = decodeDoc<RepositoryDoc>(row.doc);
  return {
    ...doc,
    path: row.name,
    name: row.arn.slice(row.arn.indexOf(":repository/") + ":repository/".length),
    arn: row.arn,
    createdAt: new Date(Number(row.created_at)),
    ...(row.policy !== null ? { policy: row.policy } : {}),
    ...(row.lifecycle_policy !== null ? { lifecyclePolicy: row.lifecycle_policy } : {}),
    ...(row.lifecycle_evaluated_at !== null ? { lifecycleEvaluatedAt: new Date(Number(row.lifecycle_evaluated_at)) } : {}),
  };
}

function repositoryRow(r: RepositoryRecord): RepositoryRow {
  const doc: RepositoryDoc = {
    imageTagMutability: r.imageTagMutability,
    ...(r.imageTagMutabilityExclusionFilters ? { imageTagMutabilityExclusionFilters: r.imageTagMutabilityExclusionFilters } : {}),
    scanOnPush: r.scanOnPush,
    encryptionConfiguration: r.encryptionConfiguration,
    tags: r.tags,
  };
  return {
    name: r.path,
    // The region its ARN names (arn:aws:ecr:REGION:…).
    region: r.arn.split(":")[3] ?? "",
    arn: r.arn,
    created_at: r.createdAt.getTime(),
    doc: encodeDoc(doc),
    policy: r.policy ?? null,
    lifecycle_policy: r.lifecyclePolicy ?? null,
    lifecycle_evaluated_at: r.lifecycleEvaluatedAt?.getTime() ?? null,
  };
}

interface ManifestRow {
  repository: string;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  subject: string | null;
  size: number;
  pushed_at: number;
  last_pulled_at: number | null;
}

function toManifestHead(row: ManifestRow): Omit<ManifestRecord, "content"> {
  return {
    repository: row.repository,
    digest: row.digest,
    mediaType: row.media_type,
    ...(row.artifact_type !== null ? { artifactType: row.artifact_type } : {}),
    ...(row.subject !== null ? { subject: row.subject } : {}),
    size: Number(row.size),
    pushedAt: new Date(Number(row.pushed_at)),
    ...(row.last_pulled_at !== null ? { lastPulledAt: new Date(Number(row.last_pulled_at)) } : {}),
  };
}

const manifestHeadColumns = [
  "repository",
  "digest",
  "media_type",
  "artifact_type",
  "subject",
  "size",
  "pushed_at",
  "last_pulled_at",
] as const;

/** Keeps IN lists well under every backend's bound-parameter limit. */
function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

class SqlRegistryTx implements RegistryTx {
  constructor(
    private readonly db: Transaction<Database>,
    private readonly dialect: DialectCapabilities,
  ) {}

  // Repositories.
  async insertRepository(repo: RepositoryRecord): Promise<void> {
    try {
      await this.db.insertInto("registry_repositories").values(repositoryRow(repo)).execute();
    } catch (err) {
      if (this.dialect.isUniqueViolation(err)) throw new UniqueViolation(String(err));
      throw err;
    }
  }
  async getRepository(name: string, lock?: "share" | "update"): Promise<RepositoryRecord | undefined> {
    let q = this.db.selectFrom("registry_repositories").selectAll().where("name", "=", name);
    if (lock && this.dialect.rowLocks) q = lock === "share" ? q.forShare() : q.forUpdate();
    const row = await q.executeTakeFirst();
    return row && toRepository(row);
  }
  async putRepository(repo: RepositoryRecord): Promise<void> {
    const { name, ...row } = repositoryRow(repo);
    await this.db.updateTable("registry_repositories").set(row).where("name", "=", name).execute();
  }
  async deleteRepository(name: string): Promise<void> {
    await this.db.deleteFrom("registry_tags").where("repository", "=", name).execute();
    await this.db.deleteFrom("registry_manifest_refs").where("repository", "=", name).execute();
    await this.db.deleteFrom("registry_manifests").where("repository", "=", name).execute();
    await this.db.deleteFrom("registry_repo_blobs").where("repository", "=", name).execute();
    await this.db.deleteFrom("registry_uploads").where("repository", "=", name).execute();
    await this.db.deleteFrom("registry_scans").where("repository", "=", name).execute();
    await this.db.deleteFrom("registry_lifecycle_previews").where("repository", "=", name).execute();
    await this.db.deleteFrom("registry_repositories").where("name", "=", name).execute();
  }
  async listRepositories(req: PageRequest & { readonly region?: string }): Promise<Page<RepositoryRecord>> {
    let q = this.db.selectFrom("registry_repositories").selectAll();
    if (req.region !== undefined) q = q.where("region", "=", req.region);
    if (req.after !== undefined) q = q.where("name", ">", req.after);
    const rows = await q.orderBy("name").limit(req.limit + 1).execute();
    return page(rows.map(toRepository), req.limit, (r) => r.path);
  }
  async countManifests(repository: string): Promise<number> {
    const row = await this.db
      .selectFrom("registry_manifests")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("repository", "=", repository)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  // Blobs.
  async putBlob(digest: string, size: number, now: Date): Promise<void> {
    await this.db
      .insertInto("registry_blobs")
      .values({ digest, size, last_linked_at: now.getTime() })
      .onConflict((oc) => oc.column("digest").doUpdateSet({ last_linked_at: now.getTime() }))
      .execute();
  }
  async getBlob(digest: string): Promise<{ readonly size: number } | undefined> {
    const row = await this.db.selectFrom("registry_blobs").select("size").where("digest", "=", digest).executeTakeFirst();
    return row && { size: Number(row.size) };
  }
  async linkBlob(repository: string, digest: string, now: Date): Promise<void> {
    await this.db
      .insertInto("registry_repo_blobs")
      .values({ repository, digest, linked_at: now.getTime() })
      .onConflict((oc) => oc.columns(["repository", "digest"]).doUpdateSet({ linked_at: now.getTime() }))
      .execute();
  }
  async linkedBlob(repository: string, digest: string): Promise<{ readonly size: number; readonly linkedAt: Date } | undefined> {
    const row = await this.db
      .selectFrom("registry_repo_blobs as l")
      .innerJoin("registry_blobs as b", "b.digest", "l.digest")
      .select(["b.size", "l.linked_at"])
      .where("l.repository", "=", repository)
      .where("l.digest", "=", digest)
      .executeTakeFirst();
    return row && { size: Number(row.size), linkedAt: new Date(Number(row.linked_at)) };
  }
  async touchLinks(repository: string, digests: readonly string[], now: Date): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (const part of chunks([...new Set(digests)])) {
      // The UPDATE takes the link rows' locks, so a concurrent collection waits and then sees them fresh.
      await this.db
        .updateTable("registry_repo_blobs")
        .set({ linked_at: now.getTime() })
        .where("repository", "=", repository)
        .where("digest", "in", part)
        .execute();
      const rows = await this.db
        .selectFrom("registry_repo_blobs as l")
        .innerJoin("registry_blobs as b", "b.digest", "l.digest")
        .select(["b.digest", "b.size"])
        .where("l.repository", "=", repository)
        .where("l.digest", "in", part)
        .execute();
      for (const r of rows) found.set(r.digest, Number(r.size));
    }
    return found;
  }

  // Uploads.
  async insertUpload(u: UploadRecord): Promise<void> {
    await this.db
      .insertInto("registry_uploads")
      .values({ id: u.id, repository: u.repository, started_at: u.startedAt.getTime(), updated_at: u.updatedAt.getTime() })
      .execute();
  }
  async getUpload(id: string): Promise<UploadRecord | undefined> {
    const row = await this.db.selectFrom("registry_uploads").selectAll().where("id", "=", id).executeTakeFirst();
    return (
      row && {
        id: row.id,
        repository: row.repository,
        startedAt: new Date(Number(row.started_at)),
        updatedAt: new Date(Number(row.updated_at)),
      }
    );
  }
  async touchUpload(id: string, now: Date): Promise<void> {
    await this.db.updateTable("registry_uploads").set({ updated_at: now.getTime() }).where("id", "=", id).execute();
  }
  async deleteUpload(id: string): Promise<void> {
    await this.db.deleteFrom("registry_uploads").where("id", "=", id).execute();
  }

  // Manifests.
  async insertManifest(m: ManifestRecord, refs: readonly ManifestRef[]): Promise<boolean> {
    const r = await this.db
      .insertInto("registry_manifests")
      .values({
        repository: m.repository,
        digest: m.digest,
        media_type: m.mediaType,
        artifact_type: m.artifactType ?? null,
        subject: m.subject ?? null,
        size: m.size,
        content: m.content,
        pushed_at: m.pushedAt.getTime(),
        last_pulled_at: m.lastPulledAt?.getTime() ?? null,
      })
      .onConflict((oc) => oc.columns(["repository", "digest"]).doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return false;
    const unique = new Map(refs.map((ref) => [ref.digest, ref]));
    for (const part of chunks([...unique.values()])) {
      await this.db
        .insertInto("registry_manifest_refs")
        .values(part.map((ref) => ({ repository: m.repository, digest: m.digest, ref_digest: ref.digest, kind: ref.kind })))
        .onConflict((oc) => oc.columns(["repository", "digest", "ref_digest"]).doNothing())
        .execute();
    }
    return true;
  }
  async getManifest(repository: string, digest: string): Promise<ManifestRecord | undefined> {
    const row = await this.db
      .selectFrom("registry_manifests")
      .select([...manifestHeadColumns, "content"])
      .where("repository", "=", repository)
      .where("digest", "=", digest)
      .executeTakeFirst();
    return row && { ...toManifestHead(row), content: row.content };
  }
  async deleteManifest(repository: string, digest: string): Promise<void> {
    await this.db.deleteFrom("registry_tags").where("repository", "=", repository).where("digest", "=", digest).execute();
    await this.db.deleteFrom("registry_manifest_refs").where("repository", "=", repository).where("digest", "=", digest).execute();
    await this.db.deleteFrom("registry_scans").where("repository", "=", repository).where("digest", "=", digest).execute();
    await this.db.deleteFrom("registry_manifests").where("repository", "=", repository).where("digest", "=", digest).execute();
  }
  async manifestParents(repository: string, digest: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom("registry_manifest_refs")
      .select("digest")
      .where("repository", "=", repository)
      .where("ref_digest", "=", digest)
      .where("kind", "=", "manifest")
      .orderBy("digest")
      .execute();
    return rows.map((r) => r.digest);
  }
  async referrers(repository: string, subject: string): Promise<ManifestRecord[]> {
    const rows = await this.db
      .selectFrom("registry_manifests")
      .select([...manifestHeadColumns, "content"])
      .where("repository", "=", repository)
      .where("subject", "=", subject)
      .orderBy("digest")
      .execute();
    return rows.map((row) => ({ ...toManifestHead(row), content: row.content }));
  }
  private async withTags(repository: string, rows: readonly ManifestRow[]): Promise<ImageRecord[]> {
    const tags = new Map<string, string[]>();
    for (const part of chunks(rows.map((r) => r.digest))) {
      const tagRows = await this.db
        .selectFrom("registry_tags")
        .select(["digest", "tag"])
        .where("repository", "=", repository)
        .where("digest", "in", part)
        .orderBy("tag")
        .execute();
      for (const t of tagRows) tags.set(t.digest, [...(tags.get(t.digest) ?? []), t.tag]);
    }
    return rows.map((r) => ({ ...toManifestHead(r), tags: tags.get(r.digest) ?? [] }));
  }
  async allImages(repository: string): Promise<ImageRecord[]> {
    const rows = await this.db
      .selectFrom("registry_manifests")
      .select(manifestHeadColumns)
      .where("repository", "=", repository)
      .orderBy("pushed_at")
      .orderBy("digest")
      .execute();
    return this.withTags(repository, rows);
  }
  async images(repository: string, digests: readonly string[]): Promise<ImageRecord[]> {
    const rows: ManifestRow[] = [];
    for (const part of chunks([...new Set(digests)])) {
      rows.push(
        ...(await this.db
          .selectFrom("registry_manifests")
          .select(manifestHeadColumns)
          .where("repository", "=", repository)
          .where("digest", "in", part)
          .execute()),
      );
    }
    return this.withTags(repository, rows);
  }
  async listImages(repository: string, filter: TagFilter, req: PageRequest): Promise<Page<ImageRecord>> {
    let q = this.db.selectFrom("registry_manifests as m").select(manifestHeadColumns.map((c) => `m.${c}` as const)).where("m.repository", "=", repository);
    if (filter !== "ANY") {
      q = q.where((eb) => {
        const tagged = eb.exists(
          eb.selectFrom("registry_tags as t").select("t.tag").whereRef("t.repository", "=", "m.repository").whereRef("t.digest", "=", "m.digest"),
        );
        return filter === "TAGGED" ? tagged : eb.not(tagged);
      });
    }
    if (req.after !== undefined) q = q.where("m.digest", ">", req.after);
    const rows = await q.orderBy("m.digest").limit(req.limit + 1).execute();
    const p = page(rows, req.limit, (r) => r.digest);
    return { ...p, items: await this.withTags(repository, p.items) };
  }
  async listImageIds(repository: string, filter: TagFilter, req: PageRequest): Promise<ImageIdPage> {
    const tagKey = sql<string>`coalesce(t.tag, '')`;
    let q = this.db
      .selectFrom("registry_manifests as m")
      .leftJoin("registry_tags as t", (j) => j.onRef("t.repository", "=", "m.repository").onRef("t.digest", "=", "m.digest"))
      .select(["m.digest", "t.tag"])
      .where("m.repository", "=", repository);
    if (filter === "TAGGED") q = q.where("t.tag", "is not", null);
    if (filter === "UNTAGGED") q = q.where("t.tag", "is", null);
    if (req.after !== undefined) {
      const [digest, tag] = JSON.parse(req.after) as [string, string];
      q = q.where((eb) => eb.or([eb("m.digest", ">", digest), eb.and([eb("m.digest", "=", digest), eb(tagKey, ">", tag)])]));
    }
    const rows = await q.orderBy("m.digest").orderBy(tagKey).limit(req.limit + 1).execute();
    const p = page(rows, req.limit, (r) => JSON.stringify([r.digest, r.tag ?? ""]));
    return { ...p, items: p.items.map((r) => (r.tag === null ? { digest: r.digest } : { digest: r.digest, tag: r.tag })) };
  }
  async recordPull(repository: string, digest: string, now: Date): Promise<void> {
    await this.db
      .updateTable("registry_manifests")
      .set({ last_pulled_at: now.getTime() })
      .where("repository", "=", repository)
      .where("digest", "=", digest)
      .execute();
  }

  // Tags.
  async getTag(repository: string, tag: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom("registry_tags")
      .select("digest")
      .where("repository", "=", repository)
      .where("tag", "=", tag)
      .executeTakeFirst();
    return row?.digest;
  }
  async setTag(repository: string, tag: string, digest: string, now: Date, overwrite: boolean): Promise<TagWrite> {
    const previous = await this.getTag(repository, tag);
    if (previous === digest) return { previous, written: true };
    if (previous !== undefined && !overwrite) return { previous, written: false };
    const values = { repository, tag, digest, updated_at: now.getTime() };
    if (overwrite) {
      await this.db
        .insertInto("registry_tags")
        .values(values)
        .onConflict((oc) => oc.columns(["repository", "tag"]).doUpdateSet({ digest, updated_at: now.getTime() }))
        .execute();
      return previous === undefined ? { written: true } : { previous, written: true };
    }
    // Immutable: a concurrent writer that got there first wins, and this one is refused.
    const r = await this.db
      .insertInto("registry_tags")
      .values(values)
      .onConflict((oc) => oc.columns(["repository", "tag"]).doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) > 0) return { written: true };
    const winner = await this.getTag(repository, tag);
    return winner === undefined ? { written: false } : { previous: winner, written: winner === digest };
  }
  async deleteTag(repository: string, tag: string): Promise<boolean> {
    const r = await this.db.deleteFrom("registry_tags").where("repository", "=", repository).where("tag", "=", tag).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
  async listTags(repository: string, req: PageRequest): Promise<Page<string>> {
    let q = this.db.selectFrom("registry_tags").select("tag").where("repository", "=", repository);
    if (req.after !== undefined) q = q.where("tag", ">", req.after);
    const rows = await q.orderBy("tag").limit(req.limit + 1).execute();
    return page(
      rows.map((r) => r.tag),
      req.limit,
      (t) => t,
    );
  }

  // Scans and lifecycle previews.
  async putScan(s: ScanRecord): Promise<void> {
    const values = {
      status: s.status,
      description: s.description ?? null,
      started_at: s.startedAt.getTime(),
      completed_at: s.completedAt?.getTime() ?? null,
      findings: s.findings ? encodeDoc(s.findings) : null,
    };
    await this.db
      .insertInto("registry_scans")
      .values({ repository: s.repository, digest: s.digest, ...values })
      .onConflict((oc) => oc.columns(["repository", "digest"]).doUpdateSet(values))
      .execute();
  }
  async getScan(repository: string, digest: string): Promise<ScanRecord | undefined> {
    const row = await this.db
      .selectFrom("registry_scans")
      .selectAll()
      .where("repository", "=", repository)
      .where("digest", "=", digest)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      repository: row.repository,
      digest: row.digest,
      status: row.status,
      ...(row.description !== null ? { description: row.description } : {}),
      startedAt: new Date(Number(row.started_at)),
      ...(row.completed_at !== null ? { completedAt: new Date(Number(row.completed_at)) } : {}),
      ...(row.findings !== null ? { findings: decodeDoc(row.findings) } : {}),
    };
  }
  async scansWithStatus(status: string): Promise<{ readonly repository: string; readonly digest: string }[]> {
    return this.db.selectFrom("registry_scans").select(["repository", "digest"]).where("status", "=", status).orderBy("started_at").execute();
  }
  async putLifecyclePreview(p: LifecyclePreviewRecord): Promise<void> {
    const values = { status: p.status, policy: p.policy, started_at: p.startedAt.getTime(), result: p.result ?? null };
    await this.db
      .insertInto("registry_lifecycle_previews")
      .values({ repository: p.repository, ...values })
      .onConflict((oc) => oc.column("repository").doUpdateSet(values))
      .execute();
  }
  async getLifecyclePreview(repository: string): Promise<LifecyclePreviewRecord | undefined> {
    const row = await this.db.selectFrom("registry_lifecycle_previews").selectAll().where("repository", "=", repository).executeTakeFirst();
    if (!row) return undefined;
    return {
      repository: row.repository,
      status: row.status,
      policy: row.policy,
      startedAt: new Date(Number(row.started_at)),
      ...(row.result !== null ? { result: row.result } : {}),
    };
  }

  // The vulnerability feed.
  async putVulnerabilities(rows: readonly VulnerabilityRow[]): Promise<void> {
    for (const part of chunks(rows, 200)) {
      const seen = new Map(part.map((r) => [`${r.id}\u0000${r.ecosystem}\u0000${r.package}`, r]));
      await this.db
        .insertInto("registry_vulnerabilities")
        .values([...seen.values()].map((r) => ({ id: r.id, ecosystem: r.ecosystem, package: r.package, modified: r.modified.getTime(), doc: r.doc })))
        .onConflict((oc) =>
          oc.columns(["id", "ecosystem", "package"]).doUpdateSet((eb) => ({ modified: eb.ref("excluded.modified"), doc: eb.ref("excluded.doc") })),
        )
        .execute();
    }
  }
  async vulnerabilitiesFor(packages: readonly string[]): Promise<VulnerabilityRow[]> {
    const out: VulnerabilityRow[] = [];
    for (const part of chunks([...new Set(packages)])) {
      const rows = await this.db.selectFrom("registry_vulnerabilities").selectAll().where("package", "in", part).execute();
      for (const r of rows) out.push({ id: r.id, ecosystem: r.ecosystem, package: r.package, modified: new Date(Number(r.modified)), doc: r.doc });
    }
    return out;
  }
  async vulnerabilityFeedUpdatedAt(): Promise<Date | undefined> {
    const row = await this.db
      .selectFrom("registry_vulnerabilities")
      .select((eb) => eb.fn.max("modified").as("m"))
      .executeTakeFirst();
    return row?.m === null || row?.m === undefined ? undefined : new Date(Number(row.m));
  }

  // Garbage collection.
  async staleUploads(cutoff: Date): Promise<string[]> {
    const rows = await this.db.selectFrom("registry_uploads").select("id").where("updated_at", "<", cutoff.getTime()).execute();
    return rows.map((r) => r.id);
  }
  async uploadsExist(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const part of chunks(ids)) {
      const rows = await this.db.selectFrom("registry_uploads").select("id").where("id", "in", part).execute();
      for (const r of rows) found.add(r.id);
    }
    return found;
  }
  async dropUnreferencedLinks(cutoff: Date): Promise<number> {
    const r = await this.db
      .deleteFrom("registry_repo_blobs as l")
      .where("l.linked_at", "<", cutoff.getTime())
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("registry_manifest_refs as r")
              .select("r.digest")
              .whereRef("r.repository", "=", "l.repository")
              .whereRef("r.ref_digest", "=", "l.digest")
              .where("r.kind", "=", "blob"),
          ),
        ),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
  async deleteUnusedBlobs(cutoff: Date): Promise<string[]> {
    const rows = await this.db
      .deleteFrom("registry_blobs as b")
      .where("b.last_linked_at", "<", cutoff.getTime())
      .where((eb) =>
        eb.not(eb.exists(eb.selectFrom("registry_repo_blobs as l").select("l.digest").whereRef("l.digest", "=", "b.digest"))),
      )
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("registry_manifest_refs as r")
              .select("r.digest")
              .whereRef("r.ref_digest", "=", "b.digest")
              .where("r.kind", "=", "blob"),
          ),
        ),
      )
      .returning("digest")
      .execute();
    return rows.map((r) => r.digest);
  }
  async blobsExist(digests: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const part of chunks(digests)) {
      const rows = await this.db.selectFrom("registry_blobs").select("digest").where("digest", "in", part).execute();
      for (const r of rows) found.add(r.digest);
    }
    return found;
  }
}

export class KyselyRegistryStore implements RegistryStore {
  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly dialect: DialectCapabilities,
  ) {}

  tx<T>(fn: (tx: RegistryTx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new SqlRegistryTx(trx, this.dialect)));
  }
}
