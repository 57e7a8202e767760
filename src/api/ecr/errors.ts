// ECR's exception names, and the one mapping from the registry's OCI error
// codes to them, so a condition found by the shared registry code reaches an
// `aws ecr` user as the exception ECR would raise.

import { AwsError } from "../../errors.js";
import { RegistryError, type OciErrorCode } from "../../registry/errors.js";

const named =
  (code: string, status = 400) =>
  (message: string): AwsError =>
    new AwsError(code, message, status);

export const ecrErrors = {
  invalidParameter: named("InvalidParameterException"),
  accessDenied: named("AccessDeniedException"),
  repositoryNotFound: named("RepositoryNotFoundException"),
  repositoryAlreadyExists: named("RepositoryAlreadyExistsException"),
  repositoryNotEmpty: named("RepositoryNotEmptyException"),
  repositoryPolicyNotFound: named("RepositoryPolicyNotFoundException"),
  imageNotFound: named("ImageNotFoundException"),
  imageAlreadyExists: named("ImageAlreadyExistsException"),
  imageTagAlreadyExists: named("ImageTagAlreadyExistsException"),
  imageDigestDoesNotMatch: named("ImageDigestDoesNotMatchException"),
  referencedImagesNotFound: named("ReferencedImagesNotFoundException"),
  layersNotFound: named("LayersNotFoundException"),
  layerAlreadyExists: named("LayerAlreadyExistsException"),
  invalidLayer: named("InvalidLayerException"),
  invalidLayerPart: named("InvalidLayerPartException"),
  uploadNotFound: named("UploadNotFoundException"),
  emptyUpload: named("EmptyUploadException"),
  lifecyclePolicyNotFound: named("LifecyclePolicyNotFoundException"),
  lifecyclePolicyPreviewNotFound: named("LifecyclePolicyPreviewNotFoundException"),
  scanNotFound: named("ScanNotFoundException"),
  unsupportedImageType: named("UnsupportedImageTypeException"),
  invalidTagParameter: named("InvalidTagParameterException"),
  tooManyTags: named("TooManyTagsException"),
  limitExceeded: named("LimitExceededException"),
  validation: named("ValidationException"),
  server: named("ServerException", 500),
} as const;

/** Which ECR exception each registry condition becomes. */
const byCode: Readonly<Record<OciErrorCode, (message: string) => AwsError>> = {
  NAME_UNKNOWN: ecrErrors.repositoryNotFound,
  NAME_INVALID: ecrErrors.invalidParameter,
  BLOB_UNKNOWN: ecrErrors.layersNotFound,
  BLOB_UPLOAD_UNKNOWN: ecrErrors.uploadNotFound,
  BLOB_UPLOAD_INVALID: ecrErrors.invalidLayerPart,
  RANGE_INVALID: ecrErrors.invalidLayerPart,
  DIGEST_INVALID: ecrErrors.invalidLayer,
  SIZE_INVALID: ecrErrors.invalidParameter,
  MANIFEST_BLOB_UNKNOWN: ecrErrors.layersNotFound,
  MANIFEST_INVALID: ecrErrors.invalidParameter,
  MANIFEST_UNKNOWN: ecrErrors.imageNotFound,
  MANIFEST_REFERENCED: ecrErrors.invalidParameter,
  TAG_INVALID: ecrErrors.imageTagAlreadyExists,
  UNAUTHORIZED: ecrErrors.accessDenied,
  DENIED: ecrErrors.accessDenied,
  UNSUPPORTED: ecrErrors.invalidParameter,
  NOT_FOUND: ecrErrors.invalidParameter,
};

export function toEcrError(err: unknown): unknown {
  return err instanceof RegistryError ? byCode[err.code](err.message) : err;
}

/** Wraps every handler so registry errors leave as ECR exceptions. */
export function withEcrErrors<H extends Record<string, ((input: never, ctx: never) => Promise<unknown>) | undefined>>(handlers: H): H {
  const out: Record<string, unknown> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    if (!handler) continue;
    out[name] = async (input: never, ctx: never) => {
      try {
        return await handler(input, ctx);
      } catch (err) {
        throw toEcrError(err);
      }
    };
  }
  return out as H;
}
