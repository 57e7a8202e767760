// Basic image scanning (scan on push, StartImageScan): read the image's
// package databases from its layers, match them against the imported OSV
// feed, and record the findings in ECR's shape.
//
//   IN_PROGRESS → manifest → layers → inventory → feed rows → findings → COMPLETE
//                                   ↘ no package database → UNSUPPORTED_IMAGE
//                                   ↘ anything fails     → FAILED (with why)

import type { ImageScanFindings } from "../model/generated/ecr.js";
import { isIndexType, parseManifest } from "./manifest.js";
import { readInventory } from "./package-db.js";
import type { Registry } from "./registry.js";
import { matchVulnerabilities } from "./vulndb.js";

export interface ScanOutcome {
  readonly status: "COMPLETE" | "FAILED" | "UNSUPPORTED_IMAGE";
  readonly description: string;
  readonly findings?: ImageScanFindings;
}

/** Scans one image now (no records written). */
export async function scanImage(registry: Registry, repository: string, digest: string): Promise<ScanOutcome> {
  const manifest = await registry.store.registry.tx((tx) => tx.getManifest(repository, digest));
  if (!manifest) return { status: "FAILED", description: "The image no longer exists." };
  if (isIndexType(manifest.mediaType)) {
    return { status: "UNSUPPORTED_IMAGE", description: "Manifest lists are not scanned; scan the images they list." };
  }
  const parsed = parseManifest(Buffer.from(manifest.content, "utf8"), manifest.mediaType);
  const layers = parsed.layers.filter((l) => parsed.blobs.includes(l.digest)).map((l) => () => registry.blobs.read(l.digest));
  const inventory = await readInventory(layers);
  if (inventory.packages.length === 0 || !inventory.ecosystem) {
    return {
      status: "UNSUPPORTED_IMAGE",
      description: "UnsupportedImageError: The operating system and/or package manager are not supported (no dpkg or apk package database was found).",
    };
  }
  const names = [...new Set(inventory.packages.flatMap((p) => [p.name, p.source]))];
  const { rows, feedUpdatedAt } = await registry.store.registry.tx(async (tx) => ({
    rows: await tx.vulnerabilitiesFor(names),
    feedUpdatedAt: await tx.vulnerabilityFeedUpdatedAt(),
  }));
  const findings = matchVulnerabilities(inventory.packages, inventory.ecosystem, rows);
  const counts: Record<string, number> = {};
  for (const f of findings) counts[f.severity!] = (counts[f.severity!] ?? 0) + 1;
  const completedAt = registry.now();
  return {
    status: "COMPLETE",
    description: "The scan was completed successfully.",
    findings: {
      imageScanCompletedAt: completedAt,
      ...(feedUpdatedAt ? { vulnerabilitySourceUpdatedAt: feedUpdatedAt } : {}),
      findingSeverityCounts: counts,
      findings,
    },
  };
}

/** Records IN_PROGRESS, scans, and records the outcome; never throws. */
export async function runScan(registry: Registry, repository: string, digest: string): Promise<void> {
  const startedAt = registry.now();
  try {
    await registry.store.registry.tx((tx) => tx.putScan({ repository, digest, status: "IN_PROGRESS", startedAt }));
    const outcome = await scanImage(registry, repository, digest);
    await registry.store.registry.tx(async (tx) => {
      // The image may have been deleted while it was being scanned: leave no scan behind.
      if (!(await tx.getManifest(repository, digest))) return;
      await tx.putScan({
        repository,
        digest,
        status: outcome.status,
        description: outcome.description,
        startedAt,
        completedAt: registry.now(),
        ...(outcome.findings ? { findings: outcome.findings } : {}),
      });
    });
  } catch (err) {
    registry.deps.logger.error({ err, repository, digest }, "image scan failed");
    try {
      await registry.store.registry.tx(async (tx) => {
        if (!(await tx.getManifest(repository, digest))) return;
        await tx.putScan({
          repository,
          digest,
          status: "FAILED",
          description: `The scan failed: ${err instanceof Error ? err.message : String(err)}`,
          startedAt,
          completedAt: registry.now(),
        });
      });
    } catch (writeErr) {
      registry.deps.logger.error({ err: writeErr, repository, digest }, "recording a failed scan failed");
    }
  }
}
