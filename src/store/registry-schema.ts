// The registry tables and the migrations that build them. Blob bytes live on
// disk (src/registry/blob-store.ts); these tables record which blobs exist,
// which repository may see which blob, and everything small enough to keep in
// a transaction: manifests (their exact bytes, as text), tags, uploads in
// progress, scans, lifecycle previews and the imported vulnerability feed.

import type { Kysely, Migration } from "kysely";

export interface RegistryTables {
  registry_repositories: {
    /** The repository's path in the OCI namespace (src/registry/README.md): its name, behind its region's prefix. */
    name: string;
    region: string;
    arn: string;
    created_at: number;
    /** The ECR Repository shape plus resource tags, as JSON. */
    doc: string;
    policy: string | null;
    lifecycle_policy: string | null;
    lifecycle_evaluated_at: number | null;
  };
  /** A blob whose bytes are complete and verified on disk. */
  registry_blobs: { digest: string; size: number; last_linked_at: number };
  /** A repository may read a blob it uploaded or mounted (OCI's per-repository visibility). */
  registry_repo_blobs: { repository: string; digest: string; linked_at: number };
  registry_manifests: {
    repository: string;
    digest: string;
    media_type: string;
    /** The config's media type (images) or artifactType: ECR's artifactMediaType. */
    artifact_type: string | null;
    subject: string | null;
    /** Sum of the layer sizes: ECR's imageSizeInBytes. */
    size: number;
    content: string;
    pushed_at: number;
    last_pulled_at: number | null;
  };
  /** What a manifest refers to: its blobs, or (indexes) its child manifests. */
  registry_manifest_refs: { repository: string; digest: string; ref_digest: string; kind: string };
  registry_tags: { repository: string; tag: string; digest: string; updated_at: number };
  registry_uploads: { id: string; repository: string; started_at: number; updated_at: number };
  registry_scans: {
    repository: string;
    digest: string;
    status: string;
    description: string | null;
    started_at: number;
    completed_at: number | null;
    /** ImageScanFindings as JSON, once complete. */
    findings: string | null;
  };
  registry_lifecycle_previews: { repository: string; status: string; policy: string; started_at: number; result: string | null };
  /** One row per (OSV id, affected package) so matching is an index lookup by package name. */
  registry_vulnerabilities: { id: string; ecosystem: string; package: string; modified: number; doc: string };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export const registryMigrations: ReadonlyArray<readonly [string, Migration]> = [
  [
    "0003_registry",
    {
      async up(db: AnyDb) {
        await db.schema
          .createTable("registry_repositories")
          .addColumn("name", "text", (c) => c.primaryKey())
          .addColumn("arn", "text", (c) => c.notNull().unique())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("doc", "text", (c) => c.notNull())
          .addColumn("policy", "text")
          .addColumn("lifecycle_policy", "text")
          .addColumn("lifecycle_evaluated_at", "bigint")
          .execute();
        await db.schema
          .createTable("registry_blobs")
          .addColumn("digest", "text", (c) => c.primaryKey())
          .addColumn("size", "bigint", (c) => c.notNull())
          .addColumn("last_linked_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("registry_repo_blobs")
          .addColumn("repository", "text", (c) => c.notNull())
          .addColumn("digest", "text", (c) => c.notNull())
          .addColumn("linked_at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("registry_repo_blobs_pk", ["repository", "digest"])
          .execute();
        await db.schema.createIndex("registry_repo_blobs_digest").on("registry_repo_blobs").column("digest").execute();
        await db.schema
          .createTable("registry_manifests")
          .addColumn("repository", "text", (c) => c.notNull())
          .addColumn("digest", "text", (c) => c.notNull())
          .addColumn("media_type", "text", (c) => c.notNull())
          .addColumn("artifact_type", "text")
          .addColumn("subject", "text")
          .addColumn("size", "bigint", (c) => c.notNull())
          .addColumn("content", "text", (c) => c.notNull())
          .addColumn("pushed_at", "bigint", (c) => c.notNull())
          .addColumn("last_pulled_at", "bigint")
          .addPrimaryKeyConstraint("registry_manifests_pk", ["repository", "digest"])
          .execute();
        await db.schema.createIndex("registry_manifests_subject").on("registry_manifests").columns(["repository", "subject"]).execute();
        await db.schema
          .createTable("registry_manifest_refs")
          .addColumn("repository", "text", (c) => c.notNull())
          .addColumn("digest", "text", (c) => c.notNull())
          .addColumn("ref_digest", "text", (c) => c.notNull())
          .addColumn("kind", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("registry_manifest_refs_pk", ["repository", "digest", "ref_digest"])
          .execute();
        await db.schema
          .createIndex("registry_manifest_refs_ref")
          .on("registry_manifest_refs")
          .columns(["ref_digest", "repository"])
          .execute();
        await db.schema
          .createTable("registry_tags")
          .addColumn("repository", "text", (c) => c.notNull())
          .addColumn("tag", "text", (c) => c.notNull())
          .addColumn("digest", "text", (c) => c.notNull())
          .addColumn("updated_at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("registry_tags_pk", ["repository", "tag"])
          .execute();
        await db.schema.createIndex("registry_tags_digest").on("registry_tags").columns(["repository", "digest"]).execute();
        await db.schema
          .createTable("registry_uploads")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("repository", "text", (c) => c.notNull())
          .addColumn("started_at", "bigint", (c) => c.notNull())
          .addColumn("updated_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("registry_scans")
          .addColumn("repository", "text", (c) => c.notNull())
          .addColumn("digest", "text", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("description", "text")
          .addColumn("started_at", "bigint", (c) => c.notNull())
          .addColumn("completed_at", "bigint")
          .addColumn("findings", "text")
          .addPrimaryKeyConstraint("registry_scans_pk", ["repository", "digest"])
          .execute();
        await db.schema
          .createTable("registry_lifecycle_previews")
          .addColumn("repository", "text", (c) => c.primaryKey())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("policy", "text", (c) => c.notNull())
          .addColumn("started_at", "bigint", (c) => c.notNull())
          .addColumn("result", "text")
          .execute();
        await db.schema
          .createTable("registry_vulnerabilities")
          .addColumn("id", "text", (c) => c.notNull())
          .addColumn("ecosystem", "text", (c) => c.notNull())
          .addColumn("package", "text", (c) => c.notNull())
          .addColumn("modified", "bigint", (c) => c.notNull())
          .addColumn("doc", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("registry_vulnerabilities_pk", ["id", "ecosystem", "package"])
          .execute();
        await db.schema
          .createIndex("registry_vulnerabilities_package")
          .on("registry_vulnerabilities")
          .columns(["package", "ecosystem"])
          .execute();
      },
    },
  ],
];
