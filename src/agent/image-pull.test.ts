import { test } from "node:test";
import assert from "node:assert/strict";
import { imageDigest, pullPlan, registryHost, splitImageRef } from "./image-pull.js";

test("pull behaviours", () => {
  assert.equal(pullPlan("always", true, true), "pull");
  assert.equal(pullPlan("default", true, false), "pull-or-cached");
  assert.equal(pullPlan("default", false, false), "pull");
  assert.equal(pullPlan("once", true, true), "cached");
  assert.equal(pullPlan("once", true, false), "pull-or-cached");
  assert.equal(pullPlan("once", false, true), "pull");
  assert.equal(pullPlan("prefer-cached", true, false), "cached");
  assert.equal(pullPlan("prefer-cached", false, false), "pull");
});

test("the digest of the repository the reference names", () => {
  const image = { id: "sha256:id", repoTags: [], repoDigests: ["other/x@sha256:aaa", "localhost:8844/app@sha256:bbb"] };
  assert.equal(imageDigest(image, "localhost:8844/app:1"), "sha256:bbb");
  assert.equal(imageDigest(image, "nope:1"), "sha256:aaa");
  assert.equal(imageDigest({ id: "x", repoTags: [], repoDigests: [] }, "a:1"), undefined);
});

test("image references and registries", () => {
  assert.deepEqual(splitImageRef("localhost:8844/app:1"), { repository: "localhost:8844/app", tag: "1" });
  assert.deepEqual(splitImageRef("localhost:8844/app"), { repository: "localhost:8844/app", tag: "latest" });
  assert.deepEqual(splitImageRef("app@sha256:abc"), { repository: "app", tag: "", digest: "sha256:abc" });
  assert.equal(registryHost("localhost:8844/app:1"), "localhost:8844");
  assert.equal(registryHost("busybox"), "https://index.docker.io/v1/");
});
