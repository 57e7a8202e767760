// The grammar of repository names, tags and references (ECR's rules, which sit
// inside the OCI Distribution spec's).

import { looksLikeDigest } from "./digest.js";

/** ECR's repository name pattern (the OCI spec's): lowercase path components joined by "/". */
const repositoryPattern = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

export function isRepositoryName(name: string): boolean {
  return name.length >= 2 && name.length <= 256 && repositoryPattern.test(name);
}

/** The host name of an account's registry in a region, as AWS names it. */
export function ecrHost(accountId: string, region: string): string {
  return `${accountId}.dkr.ecr.${region}.amazonaws.com`;
}

/** `<account>.dkr.ecr.<region>.amazonaws.com/<repository>…`: an image name of an ECR registry, split; undefined for any other. */
export function parseEcrImage(image: string): { readonly accountId: string; readonly region: string; readonly rest: string } | undefined {
  const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/(.+)$/.exec(image);
  return m?.[1] === undefined || m[2] === undefined || m[3] === undefined ? undefined : { accountId: m[1], region: m[2], rest: m[3] };
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
