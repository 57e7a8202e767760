// Pure image decisions: ECS's pull behaviours (ECS_IMAGE_PULL_BEHAVIOR), the
// digest the agent reports for an image, and how Docker reads a reference.

import type { ImageInfo } from "./docker-runtime.js";

/**
 * default: always try to pull; if the pull fails, a cached copy serves.
 * always: pull, or the container fails.
 * once: pull only if this agent has not pulled the image before (a cached copy serves if that pull fails).
 * prefer-cached: use a cached copy when there is one; pull otherwise.
 */
export type PullBehavior = "default" | "always" | "once" | "prefer-cached";

export type PullPlan = "pull" | "pull-or-cached" | "cached";

export function pullPlan(behavior: PullBehavior, present: boolean, pulledBefore: boolean): PullPlan {
  switch (behavior) {
    case "always":
      return "pull";
    case "default":
      return present ? "pull-or-cached" : "pull";
    case "once":
      if (present && pulledBefore) return "cached";
      return present ? "pull-or-cached" : "pull";
    case "prefer-cached":
      return present ? "cached" : "pull";
  }
}

/** The manifest digest for `ref` (sha256:…) from the image's RepoDigests, if the image came from a registry. */
export function imageDigest(image: ImageInfo | undefined, ref: string): string | undefined {
  if (!image) return undefined;
  const { repository } = splitImageRef(ref);
  const digests = image.repoDigests.map((d) => ({ repo: d.slice(0, d.indexOf("@")), digest: d.slice(d.indexOf("@") + 1) }));
  return (digests.find((d) => d.repo === repository) ?? digests[0])?.digest;
}

/** `repo[:tag][@digest]`, with a registry host that may carry a port. */
export function splitImageRef(ref: string): { repository: string; tag: string; digest?: string } {
  const at = ref.indexOf("@");
  if (at >= 0) return { repository: ref.slice(0, at), tag: "", digest: ref.slice(at + 1) };
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  if (colon > slash) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref, tag: "latest" };
}

/** The registry a reference names, as Docker decides it (a first part with a dot, a colon or "localhost"). */
export function registryHost(ref: string): string {
  const first = ref.split("/")[0] ?? "";
  if (ref.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")) return first;
  return "https://index.docker.io/v1/";
}
