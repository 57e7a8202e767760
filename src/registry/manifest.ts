// Reads a pushed manifest: which of the four kinds it is (Docker schema 2
// image or list, OCI image or index), what it refers to, and whether it is
// well-formed. Pure: existence of what it refers to is checked by the caller.

import { parseDigest } from "./digest.js";
import { registryErrors } from "./errors.js";

export const mediaTypes = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociEmpty: "application/vnd.oci.empty.v1+json",
} as const;

const schema1 = new Set([
  "application/vnd.docker.distribution.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v1+prettyjws",
]);

export const manifestMediaTypes: readonly string[] = [
  mediaTypes.dockerManifest,
  mediaTypes.dockerList,
  mediaTypes.ociManifest,
  mediaTypes.ociIndex,
];

export function isIndexType(mediaType: string): boolean {
  return mediaType === mediaTypes.dockerList || mediaType === mediaTypes.ociIndex;
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly urls?: readonly string[];
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: Readonly<Record<string, unknown>>;
}

export interface ParsedManifest {
  readonly mediaType: string;
  /** Blobs the registry must hold: the config and every layer not marked as foreign. */
  readonly blobs: readonly string[];
  /** Child manifests (indexes only). */
  readonly manifests: readonly string[];
  readonly config?: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor;
  /** OCI's artifactType, or for images the config's media type (ECR's artifactMediaType). */
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  /** ECR's imageSizeInBytes: the layers' sizes added up. */
  readonly size: number;
}

/** The four kinds by the keys only they carry, for a manifest that names no media type. */
function guessMediaType(doc: Record<string, unknown>): string | undefined {
  if ("config" in doc && "layers" in doc) return mediaTypes.ociManifest;
  if ("manifests" in doc) return mediaTypes.ociIndex;
  return undefined;
}

function bareType(contentType: string | undefined): string | undefined {
  const t = contentType?.split(";")[0]?.trim().toLowerCase();
  return t === "" ? undefined : t;
}

function descriptor(value: unknown, where: string): Descriptor {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw registryErrors.manifestInvalid(`${where} must be a descriptor object`);
  const d = value as Record<string, unknown>;
  if (typeof d["mediaType"] !== "string" || d["mediaType"] === "") throw registryErrors.manifestInvalid(`${where}.mediaType must be a string`);
  if (typeof d["digest"] !== "string" || !parseDigest(d["digest"])) {
    throw registryErrors.manifestInvalid(`${where}.digest must be a sha256 or sha512 digest, got ${JSON.stringify(d["digest"])}`);
  }
  if (typeof d["size"] !== "number" || !Number.isSafeInteger(d["size"]) || d["size"] < 0) {
    throw registryErrors.manifestInvalid(`${where}.size must be a non-negative integer`);
  }
  if (d["urls"] !== undefined && (!Array.isArray(d["urls"]) || d["urls"].some((u) => typeof u !== "string"))) {
    throw registryErrors.manifestInvalid(`${where}.urls must be a list of strings`);
  }
  return d as unknown as Descriptor;
}

function descriptors(value: unknown, where: string): Descriptor[] {
  if (!Array.isArray(value)) throw registryErrors.manifestInvalid(`${where} must be a list`);
  return value.map((v, i) => descriptor(v, `${where}[${i}]`));
}

function annotations(value: unknown): Readonly<Record<string, string>> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value) || Object.values(value).some((v) => typeof v !== "string")) {
    throw registryErrors.manifestInvalid("annotations must map strings to strings");
  }
  return value as Record<string, string>;
}

/** Layers that live elsewhere (Windows base layers): the registry need not hold them. */
function isForeign(layer: Descriptor): boolean {
  return (layer.urls?.length ?? 0) > 0 && /foreign|nondistributable/.test(layer.mediaType);
}

/**
 * Parses and validates a manifest's bytes. `contentType` is the request's
 * Content-Type; when the manifest names its own mediaType the two must agree.
 */
export function parseManifest(body: Buffer, contentType?: string): ParsedManifest {
  const text = body.toString("utf8");
  if (!Buffer.from(text, "utf8").equals(body)) throw registryErrors.manifestInvalid("the manifest is not UTF-8 text");
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw registryErrors.manifestInvalid("the manifest is not valid JSON");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw registryErrors.manifestInvalid("the manifest must be a JSON object");
  const m = doc as Record<string, unknown>;
  const declared = typeof m["mediaType"] === "string" ? m["mediaType"] : undefined;
  const header = bareType(contentType);
  if (schema1.has(declared ?? "") || schema1.has(header ?? "") || m["schemaVersion"] === 1) {
    throw registryErrors.manifestInvalid("Docker schema 1 manifests are not supported; push with a current Docker, skopeo or buildx");
  }
  if (m["schemaVersion"] !== 2) throw registryErrors.manifestInvalid("schemaVersion must be 2");
  const headerType = header && manifestMediaTypes.includes(header) ? header : undefined;
  if (declared && headerType && declared !== headerType) {
    throw registryErrors.manifestInvalid(`the manifest's mediaType '${declared}' does not match the Content-Type '${headerType}'`);
  }
  const mediaType = declared ?? headerType ?? guessMediaType(m);
  if (!mediaType || !manifestMediaTypes.includes(mediaType)) {
    throw registryErrors.manifestInvalid(`unsupported manifest media type '${mediaType ?? header ?? ""}'`);
  }
  const subject = m["subject"] === undefined ? undefined : descriptor(m["subject"], "subject");
  const artifactType = typeof m["artifactType"] === "string" ? m["artifactType"] : undefined;
  if (m["artifactType"] !== undefined && artifactType === undefined) throw registryErrors.manifestInvalid("artifactType must be a string");
  const notes = annotations(m["annotations"]);

  if (isIndexType(mediaType)) {
    if (m["config"] !== undefined || m["layers"] !== undefined) throw registryErrors.manifestInvalid("an index has manifests, not config or layers");
    const children = descriptors(m["manifests"], "manifests");
    const blobs = mediaType === mediaTypes.ociIndex && m["blobs"] !== undefined ? descriptors(m["blobs"], "blobs") : [];
    return {
      mediaType,
      blobs: blobs.map((b) => b.digest),
      manifests: children.map((c) => c.digest),
      layers: [],
      ...(subject ? { subject } : {}),
      ...(artifactType ? { artifactType } : {}),
      ...(notes ? { annotations: notes } : {}),
      size: 0,
    };
  }

  if (m["manifests"] !== undefined) throw registryErrors.manifestInvalid("an image manifest has config and layers, not manifests");
  const config = descriptor(m["config"], "config");
  const layers = m["layers"] === undefined && mediaType === mediaTypes.ociManifest ? [] : descriptors(m["layers"], "layers");
  if (mediaType === mediaTypes.dockerManifest && layers.length === 0) {
    throw registryErrors.manifestInvalid("a Docker image manifest needs at least one layer");
  }
  if (mediaType === mediaTypes.dockerManifest && (subject || artifactType)) {
    throw registryErrors.manifestInvalid("subject and artifactType belong to OCI manifests, not Docker ones");
  }
  if (mediaType === mediaTypes.ociManifest && config.mediaType === mediaTypes.ociEmpty && !artifactType) {
    throw registryErrors.manifestInvalid("an artifact whose config is the empty descriptor must set artifactType");
  }
  return {
    mediaType,
    blobs: [config.digest, ...layers.filter((l) => !isForeign(l)).map((l) => l.digest)],
    manifests: [],
    config,
    layers,
    ...(subject ? { subject } : {}),
    artifactType: artifactType ?? config.mediaType,
    ...(notes ? { annotations: notes } : {}),
    size: layers.reduce((sum, l) => sum + l.size, 0),
  };
}
