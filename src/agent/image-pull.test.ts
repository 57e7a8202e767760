import { test } from "node:test";
import assert from "node:assert/strict";
import { imageDigest, imageSource, pullPlan, registryHost, SharedImageCalls, splitImageRef, type PullOutcome } from "./image-pull.js";

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

test("image calls in flight are shared by reference and credentials; settled ones are not reused", async () => {
  const calls = new SharedImageCalls();
  let started = 0;
  const releases: (() => void)[] = [];
  const pull = (): Promise<PullOutcome> => {
    const id = `sha256:${++started}`;
    return new Promise<PullOutcome>((resolve) => releases.push(() => resolve({ image: { id, repoTags: [], repoDigests: [] } })));
  };
  const auth = { username: "AWS", password: "pw" };
  const first = [calls.pull("a:1", auth, pull), calls.pull("a:1", auth, pull), calls.pull("a:1", auth, pull)];
  const other = calls.pull("a:1", { username: "AWS", password: "other" }, pull);
  assert.equal(started, 2, "one pull per reference and credentials");
  for (const r of releases.splice(0)) r();
  const outcomes = await Promise.all([...first, other]);
  assert.deepEqual(
    outcomes.map((o) => o.image?.id),
    ["sha256:1", "sha256:1", "sha256:1", "sha256:2"],
  );
  const again = calls.pull("a:1", auth, pull);
  assert.equal(started, 3, "a settled pull is not reused");
  for (const r of releases.splice(0)) r();
  await again;
  const failing = (): Promise<undefined> => Promise.reject(new Error("boom"));
  await Promise.all([assert.rejects(calls.lookup("b:1", failing), /boom/), assert.rejects(calls.lookup("b:1", () => Promise.resolve(undefined)), /boom/)]);
  assert.equal(await calls.lookup("b:1", () => Promise.resolve(undefined)), undefined, "a failed call is not kept either");
});

test("an ECR image name of the account Berth serves is pulled from Berth's registry, at its AWS-shaped path; others as written", () => {
  const registry = { host: "localhost:4566", accountId: "123456789012" };
  assert.equal(imageSource("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1", registry), "localhost:4566/123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1");
  assert.equal(
    imageSource("123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "a".repeat(64), registry),
    "localhost:4566/123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "a".repeat(64),
  );
  assert.equal(imageSource("999999999999.dkr.ecr.eu-west-1.amazonaws.com/app:1", registry), "999999999999.dkr.ecr.eu-west-1.amazonaws.com/app:1");
  assert.equal(imageSource("localhost:4566/app:1", registry), "localhost:4566/app:1");
  assert.equal(imageSource("busybox", registry), "busybox");
});
