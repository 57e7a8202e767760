// The grammar of repository names, tags and references (ECR's rules, which sit
// inside the OCI Distribution spec's).

import { looksLikeDigest } from "./digest.js";

/** ECR's repository name pattern (the OCI spec's): lowercase path components joined by "/". */
const repositoryPattern = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

export function isRepositoryName(name: string): boolean {
  return name.length >= 2 && name.length <= 256 && repositoryPattern.test(name);
}

const tagPattern = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export function isTag(value: string): boolean {
  return tagPattern.test(value);
}

/** A manifest reference is a digest when it has one's shape, else a tag. */
export function isDigestReference(reference: string): boolean {
  return reference.includes(":") && looksLikeDigest(reference);
}

/** ECR's wildcard filters (tag immutability exclusions, lifecycle tagPatternList): `*` matches any run. */
export function wildcardMatcher(pattern: string): RegExp {
  const escaped = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`);
}
