// Applies lifecycle policies to what a repository holds: gathers the images a
// policy may expire (not the children of a manifest list, not referrers),
// evaluates (lifecycle.ts), and deletes what expires, with its referrers, in
// one transaction. Runs after pushes, after PutLifecyclePolicy and on a timer.

import type { ImageRecord, RegistryTx } from "../store/registry-store.js";
import { evaluateLifecycle, parseLifecyclePolicy, type Expiration, type LifecycleImage, type LifecyclePolicy } from "./lifecycle.js";
import { isIndexType } from "./manifest.js";
import type { Registry } from "./registry.js";

/**
 * The images a policy considers: manifests a manifest list in the repository
 * lists go with their list, and referrers (signatures, SBOMs) go with their subject.
 */
export async function lifecycleCandidates(tx: RegistryTx, repository: string): Promise<{ candidates: LifecycleImage[]; all: ImageRecord[] }> {
  const all = await tx.allImages(repository);
  const children = new Set<string>();
  for (const image of all) {
    if (!isIndexType(image.mediaType)) continue;
    const m = await tx.getManifest(repository, image.digest);
    const doc = JSON.parse(m!.content) as { manifests?: { digest?: string }[] };
    for (const c of doc.manifests ?? []) if (typeof c.digest === "string") children.add(c.digest);
  }
  const candidates = all.filter((i) => !children.has(i.digest) && i.subject === undefined);
  return { candidates, all };
}

/** What the policy would expire now (GetLifecyclePolicyPreview's answer). */
export async function previewLifecycle(tx: RegistryTx, repository: string, policy: LifecyclePolicy, now: Date): Promise<Expiration[]> {
  const { candidates } = await lifecycleCandidates(tx, repository);
  return evaluateLifecycle(policy, candidates, now);
}

/** Applies the repository's policy now; returns what it expired. */
export async function applyLifecycle(registry: Registry, repository: string): Promise<Expiration[]> {
  const now = registry.now();
  return registry.store.registry.tx(async (tx) => {
    const repo = await tx.getRepository(repository, "update");
    if (!repo?.lifecyclePolicy) return [];
    let policy: LifecyclePolicy;
    try {
      policy = parseLifecyclePolicy(repo.lifecyclePolicy);
    } catch {
      // Validated when stored; a policy that no longer parses expires nothing.
      return [];
    }
    const { candidates, all } = await lifecycleCandidates(tx, repository);
    const expired = evaluateLifecycle(policy, candidates, now);
    const referrersOf = new Map<string, string[]>();
    for (const image of all) {
      if (image.subject !== undefined) referrersOf.set(image.subject, [...(referrersOf.get(image.subject) ?? []), image.digest]);
    }
    const deleteWithReferrers = async (digest: string, seen: Set<string>): Promise<void> => {
      if (seen.has(digest)) return;
      seen.add(digest);
      for (const r of referrersOf.get(digest) ?? []) await deleteWithReferrers(r, seen);
      await tx.deleteManifest(repository, digest);
    };
    const seen = new Set<string>();
    for (const e of expired) await deleteWithReferrers(e.digest, seen);
    await tx.putRepository({ ...repo, lifecycleEvaluatedAt: now });
    if (expired.length > 0) {
      registry.deps.logger.info({ repository, expired: expired.map((e) => e.digest) }, "lifecycle policy expired images");
    }
    return expired;
  });
}
