// Images: describe, list, get, delete, put. An image is a manifest in a
// repository; its tags are names for it. ECR's imageIds name an image by tag,
// by digest, or both (which must agree).

import type { ImageDetail, ImageFailure, ImageFailureCode, ImageIdentifier, ImageScanStatus, ImageScanFindingsSummary, ScanStatus } from "../../model/generated/ecr.js";
import { digestOf, parseDigest } from "../../registry/digest.js";
import { RegistryError } from "../../registry/errors.js";
import { parseManifest } from "../../registry/manifest.js";
import { isTag } from "../../registry/names.js";
import { tagIsMutable } from "../../registry/registry.js";
import type { ImageRecord, RegistryTx, RepositoryRecord, ScanRecord } from "../../store/registry-store.js";
import { repositoryFor, type EcrDeps, type EcrHandlers } from "./handler-dependencies.js";
import { ecrErrors } from "./errors.js";
import { nextToken, pageOf, pageRequest } from "./pagination.js";

export function describeId(id: ImageIdentifier): string {
  return `{imageDigest:'${id.imageDigest ?? "null"}', imageTag:'${id.imageTag ?? "null"}'}`;
}

export type Resolved = { readonly digest: string; readonly tag?: string } | { readonly failure: ImageFailure };

/** Resolves an ImageIdentifier in a repository, or says why it names no image there (BatchGetImage's failure codes). */
export async function resolveImageId(tx: RegistryTx, repository: string, id: ImageIdentifier): Promise<Resolved> {
  const fail = (failureCode: ImageFailureCode, failureReason: string): Resolved => ({ failure: { imageId: id, failureCode, failureReason } });
  if (id.imageDigest === undefined && id.imageTag === undefined) return fail("MissingDigestAndTag", "Invalid request parameters: both tag and digest cannot be null");
  if (id.imageDigest !== undefined && !parseDigest(id.imageDigest)) return fail("InvalidImageDigest", "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'");
  if (id.imageTag !== undefined && !isTag(id.imageTag)) return fail("InvalidImageTag", "Invalid request parameters: image tag should satisfy the regex '[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}'");
  let digest = id.imageDigest;
  if (id.imageTag !== undefined) {
    const tagged = await tx.getTag(repository, id.imageTag);
    if (tagged === undefined) return fail("ImageNotFound", "Requested image not found");
    if (digest !== undefined && digest !== tagged) return fail("ImageTagDoesNotMatchDigest", "Invalid request parameters: given tag does not map to the given digest");
    digest = tagged;
  }
  if (!(await tx.getManifest(repository, digest!))) return fail("ImageNotFound", "Requested image not found");
  return { digest: digest!, ...(id.imageTag !== undefined ? { tag: id.imageTag } : {}) };
}

export function scanSummary(scan: ScanRecord | undefined): { imageScanStatus?: ImageScanStatus; imageScanFindingsSummary?: ImageScanFindingsSummary } {
  if (!scan) return {};
  const status: ImageScanStatus = { status: scan.status as ScanStatus, ...(scan.description ? { description: scan.description } : {}) };
  if (!scan.findings) return { imageScanStatus: status };
  return {
    imageScanStatus: status,
    imageScanFindingsSummary: {
      ...(scan.findings.imageScanCompletedAt ? { imageScanCompletedAt: scan.findings.imageScanCompletedAt } : {}),
      ...(scan.findings.vulnerabilitySourceUpdatedAt ? { vulnerabilitySourceUpdatedAt: scan.findings.vulnerabilitySourceUpdatedAt } : {}),
      findingSeverityCounts: scan.findings.findingSeverityCounts ?? {},
    },
  };
}

async function detail(deps: EcrDeps, tx: RegistryTx, repo: RepositoryRecord, image: ImageRecord): Promise<ImageDetail> {
  return {
    registryId: deps.accountId,
    repositoryName: repo.name,
    imageDigest: image.digest,
    ...(image.tags.length > 0 ? { imageTags: [...image.tags] } : {}),
    imageSizeInBytes: image.size,
    imagePushedAt: image.pushedAt,
    imageManifestMediaType: image.mediaType,
    ...(image.artifactType ? { artifactMediaType: image.artifactType } : {}),
    ...(image.lastPulledAt ? { lastRecordedPullTime: image.lastPulledAt } : {}),
    ...(image.subject ? { subjectManifestDigest: image.subject } : {}),
    imageStatus: "ACTIVE",
    ...scanSummary(await tx.getScan(image.repository, image.digest)),
  };
}

export function imageHandlers(deps: EcrDeps): EcrHandlers {
  const { registry } = deps;
  const store = registry.store;
  return {
    DescribeImages: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, input, "ecr:DescribeImages");
        if (input.imageIds) {
          if (input.nextToken !== undefined || input.maxResults !== undefined) {
            throw ecrErrors.invalidParameter("nextToken and maxResults cannot be used together with imageIds.");
          }
          const digests: string[] = [];
          for (const id of input.imageIds) {
            const r = await resolveImageId(tx, repo.path, id);
            if ("failure" in r) {
              if (r.failure.failureCode === "ImageNotFound") {
                throw ecrErrors.imageNotFound(
                  `The image with imageId ${describeId(id)} does not exist within the repository with name '${repo.name}' in the registry with id '${deps.accountId}'`,
                );
              }
              throw ecrErrors.invalidParameter(r.failure.failureReason ?? "Invalid imageId.");
            }
            if (!digests.includes(r.digest)) digests.push(r.digest);
          }
          const images = await tx.images(repo.path, digests);
          const byDigest = new Map(images.map((i) => [i.digest, i]));
          const imageDetails = [];
          for (const d of digests) imageDetails.push(await detail(deps, tx, repo, byDigest.get(d)!));
          return { imageDetails };
        }
        const page = await tx.listImages(repo.path, input.filter?.tagStatus ?? "ANY", pageRequest(input, 100));
        const imageDetails = [];
        for (const image of page.items) imageDetails.push(await detail(deps, tx, repo, image));
        const token = nextToken(page);
        return { imageDetails, ...(token ? { nextToken: token } : {}) };
      }),

    ListImages: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, input, "ecr:ListImages");
        const page = await tx.listImageIds(repo.path, input.filter?.tagStatus ?? "ANY", pageRequest(input, 100));
        const token = nextToken(page);
        return {
          imageIds: page.items.map((i) => ({ imageDigest: i.digest, ...(i.tag !== undefined ? { imageTag: i.tag } : {}) })),
          ...(token ? { nextToken: token } : {}),
        };
      }),

    BatchGetImage: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, input, "ecr:BatchGetImage");
        const images = [];
        const failures: ImageFailure[] = [];
        for (const id of input.imageIds) {
          const r = await resolveImageId(tx, repo.path, id);
          if ("failure" in r) {
            failures.push(r.failure);
            continue;
          }
          const m = (await tx.getManifest(repo.path, r.digest))!;
          if (input.acceptedMediaTypes && input.acceptedMediaTypes.length > 0 && !input.acceptedMediaTypes.includes(m.mediaType)) {
            failures.push({ imageId: id, failureCode: "ImageNotFound", failureReason: `The image's manifest is ${m.mediaType}, which is not among acceptedMediaTypes; Berth does not convert manifests` });
            continue;
          }
          await tx.recordPull(repo.path, r.digest, ctx.now);
          images.push({
            registryId: deps.accountId,
            repositoryName: repo.name,
            imageId: { imageDigest: r.digest, ...(r.tag !== undefined ? { imageTag: r.tag } : {}) },
            imageManifest: m.content,
            imageManifestMediaType: m.mediaType,
          });
        }
        return { images, failures };
      }),

    BatchDeleteImage: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, input, "ecr:BatchDeleteImage", "share");
        const imageIds: ImageIdentifier[] = [];
        const failures: ImageFailure[] = [];
        for (const id of input.imageIds) {
          const r = await resolveImageId(tx, repo.path, id);
          if ("failure" in r) {
            failures.push(r.failure);
            continue;
          }
          // A tag alone removes the tag; the image goes with its last tag (as ECR does it).
          if (id.imageDigest === undefined && r.tag !== undefined) {
            await tx.deleteTag(repo.path, r.tag);
            const left = (await tx.images(repo.path, [r.digest]))[0];
            if (left && left.tags.length > 0) {
              imageIds.push({ imageDigest: r.digest, imageTag: r.tag });
              continue;
            }
          }
          const parents = await tx.manifestParents(repo.path, r.digest);
          if (parents.length > 0) {
            failures.push({
              imageId: id,
              failureCode: "ImageReferencedByManifestList",
              failureReason: `Requested image is referenced by the manifest list ${parents[0]}; delete the manifest list first`,
            });
            continue;
          }
          const tags = (await tx.images(repo.path, [r.digest]))[0]?.tags ?? [];
          await tx.deleteManifest(repo.path, r.digest);
          if (tags.length === 0 && r.tag !== undefined) imageIds.push({ imageDigest: r.digest, imageTag: r.tag });
          else if (tags.length === 0) imageIds.push({ imageDigest: r.digest });
          for (const tag of tags) imageIds.push({ imageDigest: r.digest, imageTag: tag });
        }
        return { imageIds, failures };
      }),

    ListImageReferrers: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, input, "ecr:ListImageReferrers");
        if (!parseDigest(input.subjectId.imageDigest)) {
          throw ecrErrors.invalidParameter(`Invalid parameter at 'subjectId.imageDigest': '${input.subjectId.imageDigest}' is not a sha256 or sha512 digest.`);
        }
        const types = input.filter?.artifactTypes;
        const referrers = (await tx.referrers(repo.path, input.subjectId.imageDigest))
          .map((m) => {
            const doc = JSON.parse(m.content) as { artifactType?: string; annotations?: Record<string, string>; config?: { mediaType?: string } };
            const artifactType = doc.artifactType ?? doc.config?.mediaType;
            return {
              digest: m.digest,
              mediaType: m.mediaType,
              ...(artifactType !== undefined ? { artifactType } : {}),
              size: Buffer.byteLength(m.content, "utf8"),
              ...(doc.annotations ? { annotations: doc.annotations } : {}),
              artifactStatus: "ACTIVE" as const,
            };
          })
          .filter((r) => !types || types.length === 0 || (r.artifactType !== undefined && types.includes(r.artifactType)));
        const page = pageOf(referrers, pageRequest(input, 50));
        return { referrers: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
      }),

    PutImage: async (input, ctx) => {
      const repo = await store.registry.tx((tx) => repositoryFor(deps, tx, ctx, input, "ecr:PutImage"));
      const body = Buffer.from(input.imageManifest, "utf8");
      const parsed = (() => {
        try {
          return parseManifest(body, input.imageManifestMediaType);
        } catch (err) {
          if (err instanceof RegistryError) throw ecrErrors.invalidParameter(`Invalid parameter at 'imageManifest' failed to satisfy constraint: '${err.message}'`);
          throw err;
        }
      })();
      if (input.imageTag !== undefined && !isTag(input.imageTag)) {
        throw ecrErrors.invalidParameter(`Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular expression '[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}''`);
      }
      const algorithm = input.imageDigest ? parseDigest(input.imageDigest)?.algorithm : "sha256";
      if (!algorithm) throw ecrErrors.invalidParameter(`Invalid parameter at 'imageDigest': '${input.imageDigest ?? ""}' is not a sha256 or sha512 digest.`);
      const digest = digestOf(body, algorithm);
      if (input.imageDigest !== undefined && input.imageDigest !== digest) {
        throw ecrErrors.imageDigestDoesNotMatch(`Provided digest ${input.imageDigest} does not match the digest of the manifest, ${digest}.`);
      }
      const existing = await store.registry.tx(async (tx) => ({
        manifest: await tx.getManifest(repo.path, digest),
        tagged: input.imageTag === undefined ? undefined : await tx.getTag(repo.path, input.imageTag),
      }));
      if (existing.manifest && (input.imageTag === undefined || existing.tagged === digest)) {
        throw ecrErrors.imageAlreadyExists(
          `Image with digest '${digest}'${input.imageTag !== undefined ? ` and tag '${input.imageTag}'` : ""} already exists in the repository with name '${repo.name}' in registry with id '${deps.accountId}'`,
        );
      }
      if (input.imageTag !== undefined && existing.tagged !== undefined && !tagIsMutable(repo, input.imageTag)) {
        throw ecrErrors.imageTagAlreadyExists(
          `The image tag '${input.imageTag}' already exists in the '${repo.name}' repository and cannot be overwritten because the repository is immutable.`,
        );
      }
      try {
        await registry.putManifest(repo.path, input.imageTag ?? digest, body, parsed.mediaType);
      } catch (err) {
        if (err instanceof RegistryError && err.code === "MANIFEST_BLOB_UNKNOWN") {
          const missing = (err.detail as { digest?: string } | undefined)?.digest ?? "";
          if (parsed.manifests.includes(missing)) {
            throw ecrErrors.referencedImagesNotFound(`The manifest list references image ${missing}, which is not in the repository '${repo.name}'. Push it first.`);
          }
          throw ecrErrors.layersNotFound(`The following layers were not found in the repository '${repo.name}': ${missing}. Upload them first.`);
        }
        throw err;
      }
      return {
        image: {
          registryId: deps.accountId,
          repositoryName: repo.name,
          imageId: { imageDigest: digest, ...(input.imageTag !== undefined ? { imageTag: input.imageTag } : {}) },
          imageManifest: input.imageManifest,
          imageManifestMediaType: parsed.mediaType,
        },
      };
    },
  };
}
