// Garbage collection and a consistency check. One pass:
//
//   uploads idle past the timeout → removed (row and file)
//   upload files with no row (a crash mid-start) → removed
//   blob links no manifest of their repository refers to, older than the grace → dropped
//   blobs no repository links to, older than the grace → row deleted, then file
//   blob files with no row (a crash between rename and commit) → removed
//
// The grace keeps blobs a client has uploaded but not yet named in a manifest.

import { parseManifest } from "./manifest.js";
import type { Registry } from "./registry.js";

export interface GcOptions {
  /** How long an unreferenced blob or link is kept (default one hour). */
  readonly graceMs?: number;
  /** How long an upload may sit idle (default one hour). */
  readonly uploadTimeoutMs?: number;
}

export interface GcReport {
  readonly uploadsRemoved: number;
  readonly linksDropped: number;
  readonly blobsRemoved: number;
  readonly bytesFreed: number;
}

export const defaultGraceMs = 60 * 60 * 1000;
export const defaultUploadTimeoutMs = 60 * 60 * 1000;

export async function collectGarbage(registry: Registry, opts: GcOptions = {}): Promise<GcReport> {
  const now = registry.now().getTime();
  const graceCutoff = new Date(now - (opts.graceMs ?? defaultGraceMs));
  const uploadCutoff = new Date(now - (opts.uploadTimeoutMs ?? defaultUploadTimeoutMs));
  const { store, blobs } = registry;
  let uploadsRemoved = 0;
  let blobsRemoved = 0;
  let bytesFreed = 0;

  for (const id of await store.registry.tx((tx) => tx.staleUploads(uploadCutoff))) {
    await registry.uploadLocks.run(id, async () => {
      // Re-read under the lock: a chunk may have arrived since the list was taken.
      const upload = await store.registry.tx((tx) => tx.getUpload(id));
      if (!upload || upload.updatedAt.getTime() >= uploadCutoff.getTime()) return;
      await registry.discardUpload(id);
      uploadsRemoved++;
    });
  }
  const files = await blobs.uploadFiles();
  const live = await store.registry.tx((tx) => tx.uploadsExist(files.map((f) => f.name)));
  for (const f of files) {
    if (live.has(f.name) || f.mtime.getTime() >= uploadCutoff.getTime()) continue;
    await registry.uploadLocks.run(f.name, async () => {
      if ((await store.registry.tx((tx) => tx.uploadsExist([f.name]))).size > 0) return;
      await blobs.removeUpload(f.name);
      uploadsRemoved++;
    });
  }

  const linksDropped = await store.registry.tx((tx) => tx.dropUnreferencedLinks(graceCutoff));
  const unused = await store.registry.tx((tx) => tx.deleteUnusedBlobs(graceCutoff));
  for (const digest of unused) {
    await registry.blobLocks.run(digest, async () => {
      // A push of the same bytes may have recorded the blob again since the delete.
      if (await store.registry.tx((tx) => tx.getBlob(digest))) return;
      bytesFreed += (await blobs.blobSize(digest)) ?? 0;
      await blobs.removeBlob(digest);
      blobsRemoved++;
    });
  }

  let batch: { digest: string; mtime: Date }[] = [];
  const sweep = async (): Promise<void> => {
    const known = await store.registry.tx((tx) => tx.blobsExist(batch.map((b) => b.digest)));
    for (const b of batch) {
      if (known.has(b.digest) || b.mtime.getTime() >= graceCutoff.getTime()) continue;
      await registry.blobLocks.run(b.digest, async () => {
        if (await store.registry.tx((tx) => tx.getBlob(b.digest))) return;
        bytesFreed += (await blobs.blobSize(b.digest)) ?? 0;
        await blobs.removeBlob(b.digest);
        blobsRemoved++;
      });
    }
    batch = [];
  };
  for await (const file of blobs.blobFiles()) {
    batch.push(file);
    if (batch.length >= 500) await sweep();
  }
  await sweep();

  return { uploadsRemoved, linksDropped, blobsRemoved, bytesFreed };
}

/**
 * What is wrong with the registry's state, if anything: blob rows whose file
 * is missing or the wrong size, manifests naming blobs their repository cannot
 * see, tags naming missing manifests. Empty when consistent.
 */
export async function checkConsistency(registry: Registry): Promise<string[]> {
  const problems: string[] = [];
  const { store, blobs } = registry;
  const repositories: string[] = [];
  let after: string | undefined;
  do {
    const page = await store.registry.tx((tx) => tx.listRepositories({ limit: 100, ...(after !== undefined ? { after } : {}) }));
    repositories.push(...page.items.map((r) => r.path));
    after = page.next;
  } while (after !== undefined);
  for (const name of repositories) {
    const images = await store.registry.tx((tx) => tx.allImages(name));
    for (const image of images) {
      const manifest = await store.registry.tx((tx) => tx.getManifest(name, image.digest));
      const parsed = parseManifest(Buffer.from(manifest!.content, "utf8"), image.mediaType);
      for (const digest of parsed.blobs) {
        const linked = await store.registry.tx((tx) => tx.linkedBlob(name, digest));
        if (!linked) problems.push(`${name}@${image.digest} names blob ${digest}, which ${name} cannot see`);
        else if ((await blobs.blobSize(digest)) !== linked.size) problems.push(`blob ${digest} is recorded with ${linked.size} bytes but its file has ${(await blobs.blobSize(digest)) ?? "none"}`);
      }
      for (const child of parsed.manifests) {
        if (!(await store.registry.tx((tx) => tx.getManifest(name, child)))) problems.push(`${name}@${image.digest} lists manifest ${child}, which is not in ${name}`);
      }
    }
    let tagAfter: string | undefined;
    do {
      const page = await store.registry.tx((tx) => tx.listTags(name, { limit: 500, ...(tagAfter !== undefined ? { after: tagAfter } : {}) }));
      for (const tag of page.items) {
        const digest = await store.registry.tx((tx) => tx.getTag(name, tag));
        if (digest === undefined || !(await store.registry.tx((tx) => tx.getManifest(name, digest)))) problems.push(`${name}:${tag} names a missing manifest`);
      }
      tagAfter = page.next;
    } while (tagAfter !== undefined);
  }
  return problems;
}
