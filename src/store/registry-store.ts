// What the registry area keeps, behind one interface for both backends:
// repositories, which blobs exist and who may see them, manifests, tags,
// uploads in progress, scans, lifecycle previews and the vulnerability feed.
// Blob bytes are not here: they live on disk, and a row in `registry_blobs`
// is the promise that the verified file is in place.

import type {
  EncryptionConfiguration,
  ImageScanFindings,
  ImageTagMutability,
  ImageTagMutabilityExclusionFilter,
  Tag,
} from "../model/generated/ecr.js";
import type { Page, PageRequest } from "./page.js";

export interface RepositoryRecord {
  /** Its key, every other table's `repository`: its path under /v2/ (src/registry/README.md, "Regions"). */
  readonly path: string;
  /** Its ECR name, as the API shows it. */
  readonly name: string;
  readonly arn: string;
  readonly createdAt: Date;
  readonly imageTagMutability: ImageTagMutability;
  readonly imageTagMutabilityExclusionFilters?: readonly ImageTagMutabilityExclusionFilter[];
  readonly scanOnPush: boolean;
  readonly encryptionConfiguration: EncryptionConfiguration;
  readonly tags: readonly Tag[];
  readonly policy?: string;
  readonly lifecyclePolicy?: string;
  readonly lifecycleEvaluatedAt?: Date;
}

export interface ManifestRecord {
  readonly repository: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly subject?: string;
  /** ECR's imageSizeInBytes: the sum of the manifest's layers. */
  readonly size: number;
  /** The manifest's exact bytes (manifests are UTF-8 JSON). */
  readonly content: string;
  readonly pushedAt: Date;
  readonly lastPulledAt?: Date;
}

/** A manifest as image listings show it: without its bytes, with its tags. */
export interface ImageRecord extends Omit<ManifestRecord, "content"> {
  readonly tags: readonly string[];
}

export interface ManifestRef {
  readonly digest: string;
  readonly kind: "blob" | "manifest";
}

export interface UploadRecord {
  readonly id: string;
  readonly repository: string;
  readonly startedAt: Date;
  readonly updatedAt: Date;
}

export interface ScanRecord {
  readonly repository: string;
  readonly digest: string;
  readonly status: string;
  readonly description?: string;
  readonly startedAt: Date;
  readonly completedAt?: Date;
  readonly findings?: ImageScanFindings;
}

export interface LifecyclePreviewRecord {
  readonly repository: string;
  readonly status: string;
  readonly policy: string;
  readonly startedAt: Date;
  /** The evaluated preview (see src/registry/lifecycle.ts), as JSON. */
  readonly result?: string;
}

export interface VulnerabilityRow {
  readonly id: string;
  /** OSV ecosystem as written in the feed ("Debian:12", "Alpine:v3.19"). */
  readonly ecosystem: string;
  readonly package: string;
  readonly modified: Date;
  /** The OSV record, as JSON. */
  readonly doc: string;
}

export type TagFilter = "TAGGED" | "UNTAGGED" | "ANY";

export interface ImageIdPage {
  readonly items: readonly { readonly digest: string; readonly tag?: string }[];
  readonly next?: string;
}

export interface TagWrite {
  /** The digest the tag named before, if any. */
  readonly previous?: string;
  /** False when the tag exists, names another digest and `overwrite` was false. */
  readonly written: boolean;
}

/** What one registry transaction can read and write. */
export interface RegistryTx {
  // Repositories.
  /** Throws UniqueViolation when the name is taken. */
  insertRepository(repo: RepositoryRecord): Promise<void>;
  /** `share` keeps the repository from being deleted until commit; `update` excludes other writers (PostgreSQL). */
  getRepository(name: string, lock?: "share" | "update"): Promise<RepositoryRecord | undefined>;
  putRepository(repo: RepositoryRecord): Promise<void>;
  /** Deletes the repository and everything it holds (tags, manifests, blob links, scans, previews). */
  deleteRepository(name: string): Promise<void>;
  /** One region's repositories, or every region's (by path). */
  listRepositories(page: PageRequest & { readonly region?: string }): Promise<Page<RepositoryRecord>>;
  countManifests(repository: string): Promise<number>;

  // Blobs.
  /** Records a verified blob (or refreshes its last link time). */
  putBlob(digest: string, size: number, now: Date): Promise<void>;
  getBlob(digest: string): Promise<{ readonly size: number } | undefined>;
  /** Lets `repository` read the blob; refreshes the link time when it exists. */
  linkBlob(repository: string, digest: string, now: Date): Promise<void>;
  /** The blob's size when `repository` may read it. */
  linkedBlob(repository: string, digest: string): Promise<{ readonly size: number; readonly linkedAt: Date } | undefined>;
  /** Refreshes the links of `digests` in `repository` and returns the sizes of those that exist. */
  touchLinks(repository: string, digests: readonly string[], now: Date): Promise<Map<string, number>>;

  // Uploads in progress.
  insertUpload(upload: UploadRecord): Promise<void>;
  getUpload(id: string): Promise<UploadRecord | undefined>;
  touchUpload(id: string, now: Date): Promise<void>;
  deleteUpload(id: string): Promise<void>;

  // Manifests.
  /** Inserts the manifest and its references; false when it was already there. */
  insertManifest(manifest: ManifestRecord, refs: readonly ManifestRef[]): Promise<boolean>;
  getManifest(repository: string, digest: string): Promise<ManifestRecord | undefined>;
  /** Deletes the manifest, its references, the tags that name it and its scan. */
  deleteManifest(repository: string, digest: string): Promise<void>;
  /** Digests of the manifests in `repository` that list `digest` as a child manifest. */
  manifestParents(repository: string, digest: string): Promise<string[]>;
  /** Manifests in `repository` whose subject is `digest`. */
  referrers(repository: string, subject: string): Promise<ManifestRecord[]>;
  /** Every manifest in the repository, with tags, oldest push first. */
  allImages(repository: string): Promise<ImageRecord[]>;
  images(repository: string, digests: readonly string[]): Promise<ImageRecord[]>;
  /** Pages over manifests (by digest), with their tags. */
  listImages(repository: string, filter: TagFilter, page: PageRequest): Promise<Page<ImageRecord>>;
  /** Pages over (digest, tag) pairs, one per tag and one per untagged manifest: ECR's ListImages. */
  listImageIds(repository: string, filter: TagFilter, page: PageRequest): Promise<ImageIdPage>;
  recordPull(repository: string, digest: string, now: Date): Promise<void>;

  // Tags.
  getTag(repository: string, tag: string): Promise<string | undefined>;
  setTag(repository: string, tag: string, digest: string, now: Date, overwrite: boolean): Promise<TagWrite>;
  deleteTag(repository: string, tag: string): Promise<boolean>;
  listTags(repository: string, page: PageRequest): Promise<Page<string>>;

  // Scans and lifecycle previews.
  putScan(scan: ScanRecord): Promise<void>;
  getScan(repository: string, digest: string): Promise<ScanRecord | undefined>;
  /** Scans in a state, e.g. IN_PROGRESS ones a restart must run again. */
  scansWithStatus(status: string): Promise<{ readonly repository: string; readonly digest: string }[]>;
  putLifecyclePreview(preview: LifecyclePreviewRecord): Promise<void>;
  getLifecyclePreview(repository: string): Promise<LifecyclePreviewRecord | undefined>;

  // The vulnerability feed.
  putVulnerabilities(rows: readonly VulnerabilityRow[]): Promise<void>;
  vulnerabilitiesFor(packages: readonly string[]): Promise<VulnerabilityRow[]>;
  vulnerabilityFeedUpdatedAt(): Promise<Date | undefined>;

  // Garbage collection.
  /** Uploads last touched before `cutoff`. */
  staleUploads(cutoff: Date): Promise<string[]>;
  uploadsExist(ids: readonly string[]): Promise<Set<string>>;
  /** Drops links no manifest in their repository refers to, linked before `cutoff`; returns how many. */
  dropUnreferencedLinks(cutoff: Date): Promise<number>;
  /** Deletes blob rows no repository links to and no manifest refers to, last linked before `cutoff`. */
  deleteUnusedBlobs(cutoff: Date): Promise<string[]>;
  blobsExist(digests: readonly string[]): Promise<Set<string>>;
}

export interface RegistryStore {
  /** Runs `fn` in one transaction: all of its writes land, or none. */
  tx<T>(fn: (tx: RegistryTx) => Promise<T>): Promise<T>;
}
