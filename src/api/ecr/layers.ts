// Layers through the ECR API (what `aws ecr` and SDK-based pushers use):
// availability checks, the three-step upload, and download URLs. They share
// uploads and blobs with /v2/.

import { Readable } from "node:stream";
import type { Layer, LayerFailure } from "../../model/generated/ecr.js";
import { parseDigest } from "../../registry/digest.js";
import { RegistryError } from "../../registry/errors.js";
import { downloadTokenParam } from "../../registry/oci-route.js";
import { repositoryFor, type EcrDeps, type EcrHandlers } from "./handler-dependencies.js";
import { ecrErrors } from "./errors.js";

/**
 * The part size suggested to uploaders (they may send any size). Parts travel
 * base64 in a JSON body, and the edge takes JSON bodies up to 10 MB: 5 MiB of
 * layer is about 7 MB on the wire.
 */
const partSize = 5 * 1024 * 1024;
const downloadUrlLifetimeMs = 60 * 60 * 1000;
const layerMediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip";

export function layerHandlers(deps: EcrDeps): EcrHandlers {
  const { registry } = deps;
  const store = registry.store;
  return {
    BatchCheckLayerAvailability: async (input, ctx) => {
      const repo = await store.registry.tx((tx) => repositoryFor(deps, tx, ctx, input, "ecr:BatchCheckLayerAvailability"));
      const layers: Layer[] = [];
      const failures: LayerFailure[] = [];
      for (const digest of input.layerDigests) {
        if (!parseDigest(digest)) {
          failures.push({ layerDigest: digest, failureCode: "InvalidLayerDigest", failureReason: "Invalid layer digest" });
          continue;
        }
        const size = await registry.statBlob(repo.path, digest);
        if (size === undefined) failures.push({ layerDigest: digest, failureCode: "MissingLayerDigest", failureReason: "Could not find layer" });
        else layers.push({ layerDigest: digest, layerAvailability: "AVAILABLE", layerSize: size, mediaType: layerMediaType });
      }
      return { layers, failures };
    },

    InitiateLayerUpload: async (input, ctx) => {
      const repo = await store.registry.tx((tx) => repositoryFor(deps, tx, ctx, input, "ecr:InitiateLayerUpload"));
      return { uploadId: await registry.startUpload(repo.path), partSize };
    },

    UploadLayerPart: async (input, ctx) => {
      const repo = await store.registry.tx((tx) => repositoryFor(deps, tx, ctx, input, "ecr:UploadLayerPart"));
      const part = input.layerPartBlob as unknown as Buffer;
      if (input.partLastByte < input.partFirstByte || input.partLastByte - input.partFirstByte + 1 !== part.length) {
        throw ecrErrors.invalidLayerPart(
          `The part is ${part.length} bytes, but partFirstByte ${input.partFirstByte} and partLastByte ${input.partLastByte} describe ${input.partLastByte - input.partFirstByte + 1}.`,
        );
      }
      try {
        const size = await registry.appendUpload(repo.path, input.uploadId, Readable.from([part]), input.partFirstByte);
        return { registryId: deps.accountId, repositoryName: repo.name, uploadId: input.uploadId, lastByteReceived: size - 1 };
      } catch (err) {
        if (err instanceof RegistryError && err.code === "RANGE_INVALID") {
          const size = (err.detail as { size: number }).size;
          throw ecrErrors.invalidLayerPart(`The part starts at byte ${input.partFirstByte}, but the last valid byte received is ${size - 1}; send the part starting at ${size}.`);
        }
        if (err instanceof RegistryError && err.code === "BLOB_UPLOAD_UNKNOWN") {
          throw ecrErrors.uploadNotFound(`The upload ${input.uploadId} does not exist in the repository '${repo.name}'; start one with InitiateLayerUpload.`);
        }
        throw err;
      }
    },

    CompleteLayerUpload: async (input, ctx) => {
      const repo = await store.registry.tx((tx) => repositoryFor(deps, tx, ctx, input, "ecr:CompleteLayerUpload"));
      const [digest, ...others] = input.layerDigests;
      if (digest === undefined || others.length > 0) throw ecrErrors.invalidParameter("Give exactly one layer digest: the digest of the uploaded layer.");
      if (!parseDigest(digest)) throw ecrErrors.invalidLayer(`'${digest}' is not a sha256 or sha512 layer digest.`);
      let size: number;
      try {
        size = await registry.uploadSize(repo.path, input.uploadId);
      } catch (err) {
        if (err instanceof RegistryError && err.code === "BLOB_UPLOAD_UNKNOWN") {
          throw ecrErrors.uploadNotFound(`The upload ${input.uploadId} does not exist in the repository '${repo.name}'.`);
        }
        throw err;
      }
      if (size === 0) {
        await registry.discardUpload(input.uploadId);
        throw ecrErrors.emptyUpload(`The upload ${input.uploadId} has no bytes; upload the layer with UploadLayerPart first.`);
      }
      if ((await registry.statBlob(repo.path, digest)) !== undefined) {
        await registry.discardUpload(input.uploadId);
        throw ecrErrors.layerAlreadyExists(`Layer ${digest} already exists in the repository with name '${repo.name}' in registry with id '${deps.accountId}'`);
      }
      try {
        await registry.completeUpload(repo.path, input.uploadId, digest);
      } catch (err) {
        if (err instanceof RegistryError && err.code === "DIGEST_INVALID") {
          throw ecrErrors.invalidLayer(`The layer digest calculation performed by Amazon ECR does not match the digest specified: ${err.message}`);
        }
        throw err;
      }
      return { registryId: deps.accountId, repositoryName: repo.name, uploadId: input.uploadId, layerDigest: digest };
    },

    GetDownloadUrlForLayer: async (input, ctx) => {
      const repo = await store.registry.tx((tx) => repositoryFor(deps, tx, ctx, input, "ecr:GetDownloadUrlForLayer"));
      if (!parseDigest(input.layerDigest)) throw ecrErrors.invalidParameter(`'${input.layerDigest}' is not a sha256 or sha512 layer digest.`);
      if ((await registry.statBlob(repo.path, input.layerDigest)) === undefined) {
        throw ecrErrors.layersNotFound(`The layer ${input.layerDigest} does not exist in the repository with name '${repo.name}' in the registry with id '${deps.accountId}'`);
      }
      const token = deps.tokenKey.issue({
        accessKeyId: ctx.principal.accessKeyId,
        expiresAt: new Date(ctx.now.getTime() + downloadUrlLifetimeMs),
        scope: `blob:${repo.path}@${input.layerDigest}`,
      });
      const url = `http://${registry.deps.publicHost()}/v2/${repo.path}/blobs/${input.layerDigest}?${downloadTokenParam}=${encodeURIComponent(token)}`;
      return { downloadUrl: url, layerDigest: input.layerDigest };
    },
  };
}
