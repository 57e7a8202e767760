// The registry's errors, named by the OCI Distribution spec's codes. The /v2/
// route writes them as {"errors":[{code,message,detail}]}; the ECR API maps the
// same codes to ECR's exception names (src/api/ecr/errors.ts).

export type OciErrorCode =
  | "BLOB_UNKNOWN"
  | "BLOB_UPLOAD_INVALID"
  | "BLOB_UPLOAD_UNKNOWN"
  | "DIGEST_INVALID"
  | "MANIFEST_BLOB_UNKNOWN"
  | "MANIFEST_INVALID"
  | "MANIFEST_UNKNOWN"
  | "MANIFEST_REFERENCED"
  | "NAME_INVALID"
  | "NAME_UNKNOWN"
  | "SIZE_INVALID"
  | "TAG_INVALID"
  | "RANGE_INVALID"
  | "UNAUTHORIZED"
  | "DENIED"
  | "UNSUPPORTED"
  | "NOT_FOUND";

/** Each code's HTTP status, as the spec (and Docker's distribution) gives it. */
const statusOf: Readonly<Record<OciErrorCode, number>> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  // Not a spec code: deleting a manifest an index in the same repository still lists.
  MANIFEST_REFERENCED: 409,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  TAG_INVALID: 400,
  RANGE_INVALID: 416,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  NOT_FOUND: 404,
};

export class RegistryError extends Error {
  readonly status: number;
  constructor(
    readonly code: OciErrorCode,
    message: string,
    readonly detail?: unknown,
    status?: number,
  ) {
    super(message);
    this.name = code;
    this.status = status ?? statusOf[code];
  }
}

export const registryErrors = {
  nameUnknown: (name: string, accountId: string) =>
    new RegistryError("NAME_UNKNOWN", `The repository with name '${name}' does not exist in the registry with id '${accountId}'`, { name }),
  nameInvalid: (name: string) =>
    new RegistryError(
      "NAME_INVALID",
      `Invalid repository name '${name}': use lowercase letters, digits and separators (. _ - /), 2 to 256 characters.`,
      { name },
    ),
  blobUnknown: (digest: string) => new RegistryError("BLOB_UNKNOWN", `blob unknown to registry: ${digest}`, { digest }),
  uploadUnknown: (id: string) => new RegistryError("BLOB_UPLOAD_UNKNOWN", `blob upload unknown to registry: ${id}`, { uuid: id }),
  digestInvalid: (message: string, detail?: unknown) => new RegistryError("DIGEST_INVALID", message, detail),
  manifestUnknown: (reference: string) =>
    new RegistryError("MANIFEST_UNKNOWN", `manifest unknown: no manifest for '${reference}' in this repository`, { reference }),
  manifestInvalid: (message: string) => new RegistryError("MANIFEST_INVALID", `manifest invalid: ${message}`),
  manifestBlobUnknown: (digest: string) =>
    new RegistryError("MANIFEST_BLOB_UNKNOWN", `manifest references a blob or manifest unknown to this repository: ${digest}`, { digest }),
  tagInvalid: (message: string) => new RegistryError("TAG_INVALID", message),
  denied: (message: string) => new RegistryError("DENIED", message),
  unsupported: (message: string, status?: number) => new RegistryError("UNSUPPORTED", message, undefined, status),
} as const;
