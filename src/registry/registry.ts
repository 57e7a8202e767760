// The registry's domain operations, shared by the OCI Distribution route and
// the ECR API: uploads, blobs, manifests, tags. Access control is the callers'
// (they know the principal); this module keeps the content consistent:
//
//   Invariant: a blob row exists only once its verified bytes are at their final path.
//   Invariant: a manifest row exists only if every blob it names is linked to its
//              repository and every child manifest it lists is in its repository.
//   Invariant: an upload's bytes are never visible as a blob until its digest checked out.

import { randomUUID, type Hash } from "node:crypto";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import type { ImageTagMutability } from "../model/generated/ecr.js";
import type { ManifestRecord, RegistryTx, RepositoryRecord } from "../store/registry-store.js";
import type { Store } from "../store/store.js";
import { BlobStore } from "./blob-store.js";
import { digestOf, newHash, parseDigest } from "./digest.js";
import { RegistryError, registryErrors } from "./errors.js";
import { KeyedMutex } from "./keyed-mutex.js";
import { parseManifest, type ParsedManifest } from "./manifest.js";
import { ecrHost, isDigestReference, parseEcrImage, isTag, wildcardMatcher } from "./names.js";

/** The spec asks registries to accept manifests of at least 4 MiB. */
export const maxManifestBytes = 4 * 1024 * 1024;

/** A blob link older than this is refreshed when a client checks for the blob, so GC will not take it mid-push. */
const linkRefreshMs = 10 * 60 * 1000;
/** lastRecordedPullTime is written at most this often per image. */
const pullRecordMs = 60 * 1000;

export interface RegistryDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly dataDir: string;
  readonly accountId: string;
  /** The region Berth is configured with: its repositories' paths are their bare names. */
  readonly region: string;
  readonly publicHost: () => string;
}

export interface PushEvent {
  readonly repository: string;
  readonly digest: string;
  readonly tag?: string;
  readonly mediaType: string;
  /** False when the manifest was already in the repository (only a tag moved). */
  readonly created: boolean;
}

export interface PutManifestResult {
  readonly digest: string;
  readonly manifest: ParsedManifest;
  readonly created: boolean;
  /** What the tag named before, when it moved. */
  readonly previousDigest?: string;
}

export interface BlobRange {
  readonly start: number;
  readonly end: number;
}

interface HashState {
  hash: Hash;
  size: number;
}

/** Where the registry keeps its files under the data directory. */
export function registryDir(dataDir: string): string {
  return join(dataDir, "registry");
}

export function tagIsMutable(repo: Pick<RepositoryRecord, "imageTagMutability" | "imageTagMutabilityExclusionFilters">, tag: string): boolean {
  const mode: ImageTagMutability = repo.imageTagMutability;
  const excluded = (repo.imageTagMutabilityExclusionFilters ?? []).some((f) => wildcardMatcher(f.filter).test(tag));
  switch (mode) {
    case "MUTABLE":
      return true;
    case "IMMUTABLE":
      return false;
    case "IMMUTABLE_WITH_EXCLUSION":
      return excluded;
    case "MUTABLE_WITH_EXCLUSION":
      return !excluded;
  }
}

export class Registry {
  readonly blobs: BlobStore;
  /** Held around "file into place + row" and "row gone + file removed", so GC and a push of the same digest never interleave. */
  readonly blobLocks = new KeyedMutex();
  readonly uploadLocks = new KeyedMutex();
  /** Running hashes of uploads in progress, so chunked uploads are hashed once as they stream. */
  readonly hashes = new Map<string, HashState>();
  private readonly listeners: ((event: PushEvent) => void)[] = [];

  constructor(readonly deps: RegistryDeps) {
    this.blobs = new BlobStore(registryDir(deps.dataDir));
  }

  get store(): Store {
    return this.deps.store;
  }

  async init(): Promise<void> {
    await this.blobs.init();
  }

  now(): Date {
    return this.deps.clock.now();
  }

  repositoryArn(region: string, name: string): string {
    return `arn:aws:ecr:${region}:${this.deps.accountId}:repository/${name}`;
  }

  /** A repository's path under /v2/: its name in the configured region, else behind its registry's AWS host name. */
  pathOf(region: string, name: string): string {
    return region === this.deps.region ? name : `${ecrHost(this.deps.accountId, region)}/${name}`;
  }

  /**
   * Whether a name is kept from the configured region's repositories: one under this
   * account's AWS-shaped registry host would be another region's path (see `pathOf`).
   */
  isReservedName(region: string, name: string): boolean {
    return region === this.deps.region && parseEcrImage(name)?.accountId === this.deps.accountId;
  }

  /**
   * The path a client asked for, as the repository is keyed: the configured region's
   * repositories answer to their AWS-shaped path too (what an agent pulls an ECR image name by).
   */
  canonicalPath(path: string): string {
    const home = `${ecrHost(this.deps.accountId, this.deps.region)}/`;
    return path.startsWith(home) ? path.slice(home.length) : path;
  }

  repositoryUri(path: string): string {
    return `${this.deps.publicHost()}/${path}`;
  }

  onPush(listener: (event: PushEvent) => void): void {
    this.listeners.push(listener);
  }

  async requireRepository(tx: RegistryTx, name: string, lock?: "share" | "update"): Promise<RepositoryRecord> {
    const repo = await tx.getRepository(name, lock);
    if (!repo) throw registryErrors.nameUnknown(name, this.deps.accountId);
    return repo;
  }

  getRepository(name: string): Promise<RepositoryRecord | undefined> {
    return this.store.registry.tx((tx) => tx.getRepository(name));
  }

  // ---------------------------------------------------------------------------
  // Uploads.

  async startUpload(repository: string): Promise<string> {
    const id = randomUUID();
    const now = this.now();
    await this.store.registry.tx((tx) => this.requireRepository(tx, repository));
    // File before row: a crash in between leaves a file GC removes, never a row without a file.
    await this.blobs.createUpload(id);
    try {
      await this.store.registry.tx(async (tx) => {
        await this.requireRepository(tx, repository, "share");
        await tx.insertUpload({ id, repository, startedAt: now, updatedAt: now });
      });
    } catch (err) {
      await this.blobs.removeUpload(id);
      throw err;
    }
    this.hashes.set(id, { hash: newHash(), size: 0 });
    return id;
  }

  /** The upload's current size; BLOB_UPLOAD_UNKNOWN when it is not an upload to this repository. */
  async uploadSize(repository: string, id: string): Promise<number> {
    const upload = await this.store.registry.tx((tx) => tx.getUpload(id));
    if (!upload || upload.repository !== repository) throw registryErrors.uploadUnknown(id);
    const size = await this.blobs.uploadSize(id);
    if (size === undefined) throw registryErrors.uploadUnknown(id);
    return size;
  }

  /**
   * Appends a chunk. When `start` is given it must equal the upload's size
   * (else RANGE_INVALID, whose detail carries the size to resume from).
   */
  appendUpload(repository: string, id: string, source: Readable, start?: number): Promise<number> {
    return this.uploadLocks.run(id, async () => {
      const size = await this.uploadSize(repository, id);
      if (start !== undefined && start !== size) {
        source.resume();
        throw new RegistryError("RANGE_INVALID", `the chunk starts at ${start}, but the upload has ${size} bytes; resume from ${size}`, { size });
      }
      const state = await this.hashState(id, size);
      this.hashes.delete(id);
      const written = await this.blobs.append(id, source, state.hash);
      this.hashes.set(id, { hash: state.hash, size: size + written });
      await this.store.registry.tx((tx) => tx.touchUpload(id, this.now()));
      return size + written;
    });
  }

  /** The running hash for the upload's `size` bytes, recomputed from the file when this process has none. */
  private async hashState(id: string, size: number): Promise<HashState> {
    const state = this.hashes.get(id);
    if (state && state.size === size) return state;
    const hash = newHash();
    const rehashed = await this.blobs.rehash(id, hash);
    return { hash, size: rehashed };
  }

  /**
   * Finishes an upload: appends the last chunk, checks the digest, and makes the
   * blob visible. A wrong digest discards the upload (nothing is stored).
   */
  completeUpload(repository: string, id: string, digest: string, last?: Readable): Promise<{ digest: string; size: number }> {
    const parsed = parseDigest(digest);
    if (!parsed) {
      last?.resume();
      return Promise.reject(registryErrors.digestInvalid(`'${digest}' is not a sha256 or sha512 digest`, { digest }));
    }
    return this.uploadLocks.run(id, async () => {
      let size = await this.uploadSize(repository, id);
      let state = await this.hashState(id, size);
      if (last) {
        this.hashes.delete(id);
        size += await this.blobs.append(id, last, state.hash);
        state = { hash: state.hash, size };
      }
      let computed: string;
      if (parsed.algorithm === "sha256") {
        computed = `sha256:${state.hash.digest("hex")}`;
      } else {
        const h = newHash(parsed.algorithm);
        await this.blobs.rehash(id, h);
        computed = `${parsed.algorithm}:${h.digest("hex")}`;
      }
      this.hashes.delete(id);
      if (computed !== digest) {
        await this.discardUpload(id);
        throw registryErrors.digestInvalid(`the uploaded content's digest is ${computed}, not ${digest}; the upload was discarded`, {
          expected: digest,
          computed,
          size,
        });
      }
      await this.blobLocks.run(digest, async () => {
        await this.blobs.commit(id, digest);
        const now = this.now();
        await this.store.registry.tx(async (tx) => {
          await tx.putBlob(digest, size, now);
          await tx.linkBlob(repository, digest, now);
          await tx.deleteUpload(id);
        });
      });
      return { digest, size };
    });
  }

  /** Monolithic upload: one request carries the whole blob. */
  async uploadBlob(repository: string, digest: string, body: Readable): Promise<{ digest: string; size: number }> {
    if (!parseDigest(digest)) {
      body.resume();
      throw registryErrors.digestInvalid(`'${digest}' is not a sha256 or sha512 digest`, { digest });
    }
    const id = await this.startUpload(repository);
    try {
      return await this.completeUpload(repository, id, digest, body);
    } catch (err) {
      await this.discardUpload(id);
      throw err;
    }
  }

  async cancelUpload(repository: string, id: string): Promise<void> {
    await this.uploadLocks.run(id, async () => {
      await this.uploadSize(repository, id);
      await this.discardUpload(id);
    });
  }

  async discardUpload(id: string): Promise<void> {
    this.hashes.delete(id);
    await this.store.registry.tx((tx) => tx.deleteUpload(id));
    await this.blobs.removeUpload(id);
  }

  // ---------------------------------------------------------------------------
  // Blobs.

  /** The blob's size when `repository` may read it and its bytes are in place. */
  async statBlob(repository: string, digest: string): Promise<number | undefined> {
    if (!parseDigest(digest)) return undefined;
    const now = this.now();
    const linked = await this.store.registry.tx(async (tx) => {
      await this.requireRepository(tx, repository);
      return tx.linkedBlob(repository, digest);
    });
    if (!linked) return undefined;
    // A row without its file (removed by hand, or on another replica's disk): unknown, so the client uploads it again.
    if ((await this.blobs.blobSize(digest)) === undefined) return undefined;
    if (now.getTime() - linked.linkedAt.getTime() > linkRefreshMs) {
      // The client is about to refer to this blob from a manifest: keep GC off it.
      await this.store.registry.tx(async (tx) => {
        await tx.linkBlob(repository, digest, now);
        await tx.putBlob(digest, linked.size, now);
      });
    }
    return linked.size;
  }

  async requireBlob(repository: string, digest: string): Promise<number> {
    const size = await this.statBlob(repository, digest);
    if (size === undefined) throw registryErrors.blobUnknown(digest);
    return size;
  }

  /** Lets `repository` see a blob `from` holds; false when `from` does not hold it. */
  async mountBlob(repository: string, from: string, digest: string): Promise<boolean> {
    if (!parseDigest(digest)) return false;
    const now = this.now();
    const size = await this.store.registry.tx(async (tx) => {
      await this.requireRepository(tx, repository, "share");
      const source = await tx.linkedBlob(from, digest);
      return source?.size;
    });
    if (size === undefined || (await this.blobs.blobSize(digest)) === undefined) return false;
    await this.store.registry.tx(async (tx) => {
      await this.requireRepository(tx, repository, "share");
      await tx.putBlob(digest, size, now);
      await tx.linkBlob(repository, digest, now);
    });
    return true;
  }

  // ---------------------------------------------------------------------------
  // Manifests and tags.

  /** Resolves a tag or digest to a manifest of the repository. */
  async resolve(tx: RegistryTx, repository: string, reference: string): Promise<ManifestRecord> {
    const digest = isDigestReference(reference) ? reference : await tx.getTag(repository, reference);
    const manifest = digest === undefined ? undefined : await tx.getManifest(repository, digest);
    if (!manifest) throw registryErrors.manifestUnknown(reference);
    return manifest;
  }

  /** Stores a manifest (and moves a tag to it), after checking everything it refers to is here. */
  async putManifest(repository: string, reference: string, body: Buffer, contentType?: string): Promise<PutManifestResult> {
    if (body.length > maxManifestBytes) {
      throw new RegistryError("SIZE_INVALID", `the manifest is ${body.length} bytes; at most ${maxManifestBytes} are accepted`, undefined, 413);
    }
    const byDigest = isDigestReference(reference);
    if (!byDigest && !isTag(reference)) {
      throw registryErrors.tagInvalid(`invalid tag '${reference}': up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'`);
    }
    const manifest = parseManifest(body, contentType);
    let digest = digestOf(body);
    if (byDigest) {
      const parsed = parseDigest(reference);
      if (!parsed) throw registryErrors.digestInvalid(`'${reference}' is not a sha256 or sha512 digest`, { digest: reference });
      if (parsed.algorithm !== "sha256") digest = digestOf(body, parsed.algorithm);
      if (digest !== reference) {
        throw registryErrors.digestInvalid(`the manifest's digest is ${digest}, not ${reference}`, { expected: reference, computed: digest });
      }
    }
    const tag = byDigest ? undefined : reference;
    const now = this.now();
    const result = await this.store.registry.tx(async (tx): Promise<PutManifestResult> => {
      const repo = await this.requireRepository(tx, repository, "share");
      // Touching the links both proves they exist and keeps a concurrent GC pass off them.
      const linked = await tx.touchLinks(repository, manifest.blobs, now);
      const missingBlob = manifest.blobs.find((b) => !linked.has(b));
      if (missingBlob) throw registryErrors.manifestBlobUnknown(missingBlob);
      for (const child of manifest.manifests) {
        if (!(await tx.getManifest(repository, child))) throw registryErrors.manifestBlobUnknown(child);
      }
      const created = await tx.insertManifest(
        {
          repository,
          digest,
          mediaType: manifest.mediaType,
          ...(manifest.artifactType ? { artifactType: manifest.artifactType } : {}),
          ...(manifest.subject ? { subject: manifest.subject.digest } : {}),
          size: manifest.size,
          content: body.toString("utf8"),
          pushedAt: now,
        },
        [...manifest.blobs.map((d) => ({ digest: d, kind: "blob" as const })), ...manifest.manifests.map((d) => ({ digest: d, kind: "manifest" as const }))],
      );
      if (tag === undefined) return { digest, manifest, created };
      const write = await tx.setTag(repository, tag, digest, now, tagIsMutable(repo, tag));
      if (!write.written) {
        throw registryErrors.tagInvalid(
          `The image tag '${tag}' already exists in the '${repository}' repository and cannot be overwritten because the tag is immutable.`,
        );
      }
      return { digest, manifest, created, ...(write.previous !== undefined && write.previous !== digest ? { previousDigest: write.previous } : {}) };
    });
    const event: PushEvent = { repository, digest, mediaType: manifest.mediaType, created: result.created, ...(tag !== undefined ? { tag } : {}) };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.deps.logger.error({ err, repository, digest }, "push listener failed");
      }
    }
    return result;
  }

  /** A manifest by tag or digest; `pull` records ECR's lastRecordedPullTime. */
  async getManifest(repository: string, reference: string, pull: boolean): Promise<ManifestRecord> {
    const now = this.now();
    return this.store.registry.tx(async (tx) => {
      await this.requireRepository(tx, repository);
      const manifest = await this.resolve(tx, repository, reference);
      if (pull && (!manifest.lastPulledAt || now.getTime() - manifest.lastPulledAt.getTime() > pullRecordMs)) {
        await tx.recordPull(repository, manifest.digest, now);
      }
      return manifest;
    });
  }

  /**
   * DELETE by digest removes the manifest and every tag naming it; by tag,
   * only the tag. A manifest an index in the repository lists stays.
   */
  async deleteManifest(repository: string, reference: string): Promise<void> {
    await this.store.registry.tx(async (tx) => {
      await this.requireRepository(tx, repository, "share");
      if (!isDigestReference(reference)) {
        if (!(await tx.deleteTag(repository, reference))) throw registryErrors.manifestUnknown(reference);
        return;
      }
      await this.deleteImage(tx, repository, reference);
    });
  }

  /** Deletes one manifest (by digest) and its tags; refuses one an index still lists. */
  async deleteImage(tx: RegistryTx, repository: string, digest: string): Promise<void> {
    if (!(await tx.getManifest(repository, digest))) throw registryErrors.manifestUnknown(digest);
    const parents = await tx.manifestParents(repository, digest);
    if (parents.length > 0) {
      throw new RegistryError("MANIFEST_REFERENCED", `manifest ${digest} is listed by the index ${parents[0]}; delete the index first`, { parents });
    }
    await tx.deleteManifest(repository, digest);
  }

  /** A tag list page, sorted lexically as the spec asks. */
  async listTags(repository: string, n: number, last?: string): Promise<{ tags: string[]; more: boolean }> {
    return this.store.registry.tx(async (tx) => {
      await this.requireRepository(tx, repository);
      const page = await tx.listTags(repository, { limit: n, ...(last !== undefined ? { after: last } : {}) });
      return { tags: [...page.items], more: page.next !== undefined };
    });
  }
}
