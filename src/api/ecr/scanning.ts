// Basic scanning through the API: StartImageScan and DescribeImageScanFindings.
// The scan itself is src/registry/scanner.ts.

import { isIndexType } from "../../registry/manifest.js";
import { repositoryFor, type EcrDeps, type EcrHandlers } from "./handler-dependencies.js";
import { ecrErrors } from "./errors.js";
import { describeId, resolveImageId } from "./images.js";
import { pageOf, pageRequest } from "./pagination.js";

export function scanningHandlers(deps: EcrDeps): EcrHandlers {
  const store = deps.registry.store;
  return {
    StartImageScan: async (input, ctx) => {
      const { repo, digest, tag } = await store.registry.tx(async (tx) => {
        const r = await repositoryFor(deps, tx, ctx, input, "ecr:StartImageScan");
        const resolved = await resolveImageId(tx, r.path, input.imageId);
        if ("failure" in resolved) {
          if (resolved.failure.failureCode === "ImageNotFound") {
            throw ecrErrors.imageNotFound(
              `The image with imageId ${describeId(input.imageId)} does not exist within the repository with name '${r.name}' in the registry with id '${deps.accountId}'`,
            );
          }
          throw ecrErrors.invalidParameter(resolved.failure.failureReason ?? "Invalid imageId.");
        }
        const m = await tx.getManifest(r.path, resolved.digest);
        if (isIndexType(m!.mediaType)) throw ecrErrors.unsupportedImageType(`The image ${resolved.digest} is a manifest list; scan the images it lists.`);
        return { repo: r, digest: resolved.digest, tag: resolved.tag };
      });
      await deps.jobs.scan(repo.path, digest);
      return {
        registryId: deps.accountId,
        repositoryName: repo.name,
        imageId: { imageDigest: digest, ...(tag !== undefined ? { imageTag: tag } : {}) },
        imageScanStatus: { status: "IN_PROGRESS" },
      };
    },

    DescribeImageScanFindings: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, input, "ecr:DescribeImageScanFindings");
        const resolved = await resolveImageId(tx, repo.path, input.imageId);
        if ("failure" in resolved) {
          if (resolved.failure.failureCode === "ImageNotFound") {
            throw ecrErrors.imageNotFound(
              `The image with imageId ${describeId(input.imageId)} does not exist within the repository with name '${repo.name}' in the registry with id '${deps.accountId}'`,
            );
          }
          throw ecrErrors.invalidParameter(resolved.failure.failureReason ?? "Invalid imageId.");
        }
        const scan = await tx.getScan(repo.path, resolved.digest);
        if (!scan) {
          throw ecrErrors.scanNotFound(
            `Image scan does not exist for the image with '${describeId(input.imageId)}' in the repository with name '${repo.name}' in the registry with id '${deps.accountId}'`,
          );
        }
        const imageId = { imageDigest: resolved.digest, ...(resolved.tag !== undefined ? { imageTag: resolved.tag } : {}) };
        const base = {
          registryId: deps.accountId,
          repositoryName: repo.name,
          imageId,
          imageScanStatus: { status: scan.status as "COMPLETE", ...(scan.description ? { description: scan.description } : {}) },
        };
        if (!scan.findings) return base;
        const page = pageOf(scan.findings.findings ?? [], pageRequest(input, 100));
        return {
          ...base,
          imageScanFindings: {
            ...(scan.findings.imageScanCompletedAt ? { imageScanCompletedAt: scan.findings.imageScanCompletedAt } : {}),
            ...(scan.findings.vulnerabilitySourceUpdatedAt ? { vulnerabilitySourceUpdatedAt: scan.findings.vulnerabilitySourceUpdatedAt } : {}),
            findingSeverityCounts: scan.findings.findingSeverityCounts ?? {},
            findings: page.items,
          },
          ...(page.nextToken ? { nextToken: page.nextToken } : {}),
        };
      }),
  };
}
