// Image decisions: ECS's pull behaviours (ECS_IMAGE_PULL_BEHAVIOR), the digest
// the agent reports for an image, how Docker reads a reference (all pure), and
// the one pull per reference that tasks asking at the same time share.

import type { ImageInfo, RegistryCredentials } from "./docker-runtime.js";

/**
 * default: always try to pull; if the pull fails, a cached copy serves.
 * always: pull, or the container fails.
 * once: pull only if this agent has not pulled the image before (a cached copy serves if that pull fails).
 * prefer-cached: use a cached copy when there is one; pull otherwise.
 */
export const pullBehaviors = ["default", "always", "once", "prefer-cached"] as const;
export type PullBehavior = (typeof pullBehaviors)[number];

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

/** What one pull step found: the pull's error, if it failed, and the image as Docker has it afterwards. */
export interface PullOutcome {
  readonly error?: Error;
  readonly image: ImageInfo | undefined;
}

/**
 * Image calls in flight, shared: a task that needs a pull (or an image lookup)
 * while one of the same image is running joins it instead of starting another,
 * as Docker shares layer downloads. A burst of tasks on one image then costs one
 * registry round trip, not one per task. A call that has settled is never
 * reused: the next request calls again, as the pull behaviour asks.
 */
export class SharedImageCalls {
  private readonly inflight = new Map<string, Promise<unknown>>();

  /** Whether (and as what) Docker has the image now; `inspect` runs unless a lookup of the same reference is in flight. */
  lookup(ref: string, inspect: () => Promise<ImageInfo | undefined>): Promise<ImageInfo | undefined> {
    return this.join(`lookup ${ref}`, inspect);
  }

  /** `pull` (a pull, then a lookup) runs unless one of the same reference with the same credentials is in flight. */
  pull(ref: string, auth: RegistryCredentials | undefined, pull: () => Promise<PullOutcome>): Promise<PullOutcome> {
    return this.join(`pull ${JSON.stringify([ref, auth?.username ?? null, auth?.password ?? null])}`, pull);
  }

  private join<T>(key: string, start: () => Promise<T>): Promise<T> {
    let flight = this.inflight.get(key) as Promise<T> | undefined;
    if (!flight) {
      flight = start().finally(() => this.inflight.delete(key));
      this.inflight.set(key, flight);
    }
    return flight;
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
/**
 * Where an image is pulled from: an ECR image name (`<account>.dkr.ecr.<region>.amazonaws.com/<repo>…`)
 * of the account `registry` serves is that registry's, at the path it answers to for that
 * account and region (src/registry/README.md, "Regions"); any other name is pulled as written.
 */
export function imageSource(image: string, registry: { readonly host: string; readonly accountId: string }): string {
  const m = /^(\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\//.exec(image);
  return m?.[1] === registry.accountId ? `${registry.host}/${image}` : image;
}

export function registryHost(ref: string): string {
  const first = ref.split("/")[0] ?? "";
  if (ref.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")) return first;
  return "https://index.docker.io/v1/";
}
