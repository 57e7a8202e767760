// The ECR API end to end, through the aws CLI, boto3 and @aws-sdk/client-ecr,
// on SQLite and PostgreSQL: repositories, images, layers, policies, lifecycle
// policies, tags, and ECR's exceptions for bad input.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  BatchCheckLayerAvailabilityCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
  ListImageReferrersCommand,
  ListImagesCommand,
  PutImageCommand,
  UploadLayerPartCommand,
  type ECRClient,
  type ImageIdentifier,
} from "@aws-sdk/client-ecr";
import { aws, awsJson, boto3 } from "../../../test/kit/aws-cli.js";
import { first } from "../../../test/kit/ecs-assertions.js";
import { startTestServer, testAccount, testRegion, type TestServer } from "../../../test/kit/harness.js";
import { requirePostgresUrl } from "../../../test/kit/postgres.js";
import { digestOf } from "../../registry/digest.js";
import { mediaTypes } from "../../registry/manifest.js";
import { basicAuth, ecrClient, http, V2Client } from "../../../test/kit/registry.js";

async function awsFails(server: TestServer, exception: string, ...args: string[]): Promise<string> {
  const r = await aws(server, ...args);
  assert.notEqual(r.code, 0, `aws ${args.join(" ")} should fail`);
  assert.match(r.stderr, new RegExp(`\\(${exception}\\)`), r.stderr);
  return r.stderr;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function runEcrSuite(kind: "sqlite" | "postgres"): void {
  describe(`ECR API (${kind})`, () => {
    let server: TestServer;
    let ecr: ECRClient;
    let v2: V2Client;
    before(async () => {
      server = await startTestServer({ store: kind });
      ecr = ecrClient(server);
      v2 = new V2Client(server);
    });
    after(async () => {
      ecr.destroy();
      await server.stop();
    });

    describe("authorization tokens", () => {
      it("returns base64(AWS:token) for 12 hours, which /v2/ accepts", async () => {
        const out = await awsJson<{ authorizationData: { authorizationToken: string; expiresAt: number; proxyEndpoint: string }[] }>(server, "ecr", "get-authorization-token");
        const data = first(out.authorizationData, "an authorization token");
        const decoded = Buffer.from(data.authorizationToken, "base64").toString("utf8");
        assert.match(decoded, /^AWS:/);
        const hours = (data.expiresAt * 1000 - Date.now()) / 3_600_000;
        assert.ok(hours > 11.9 && hours <= 12, `expires in ${hours} h`);
        assert.equal(data.proxyEndpoint, server.url);
        const password = (await aws(server, "ecr", "get-login-password")).stdout.trim();
        const r = await http(`${server.url}/v2/`, { headers: { authorization: basicAuth(password) } });
        assert.equal(r.status, 200);
      });
    });

    describe("repositories", () => {
      it("creates, describes and refuses duplicates and bad names", async () => {
        const created = await awsJson<{ repository: Record<string, unknown> }>(
          server,
          "ecr",
          "create-repository",
          "--repository-name",
          "team/web",
          "--image-scanning-configuration",
          "scanOnPush=true",
          "--tags",
          "Key=team,Value=web",
        );
        const host = new URL(server.url).host;
        assert.deepEqual(
          { ...created.repository, createdAt: typeof created.repository["createdAt"] },
          {
            repositoryArn: `arn:aws:ecr:${testRegion}:${testAccount}:repository/team/web`,
            registryId: testAccount,
            repositoryName: "team/web",
            repositoryUri: `${host}/team/web`,
            createdAt: "number",
            imageTagMutability: "MUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfiguration: { encryptionType: "AES256" },
          },
        );
        await awsFails(server, "RepositoryAlreadyExistsException", "ecr", "create-repository", "--repository-name", "team/web");
        for (const bad of ["Team/Web", "trailing/", "lead-", "double//slash", "a___b"]) {
          await awsFails(server, "InvalidParameterException", "ecr", "create-repository", "--repository-name", bad);
        }
        // The CLI checks the length itself; the server checks it for every other client.
        await assert.rejects(ecr.send(new CreateRepositoryCommand({ repositoryName: "a" })), { name: "InvalidParameterException" });
        await awsFails(server, "RepositoryNotFoundException", "ecr", "describe-repositories", "--repository-names", "no/such");
        const described = await awsJson<{ repositories: { repositoryName: string }[] }>(server, "ecr", "describe-repositories", "--repository-names", "team/web");
        assert.deepEqual(described.repositories.map((r) => r.repositoryName), ["team/web"]);
      });

      it("pages repositories", async () => {
        for (const n of [1, 2, 3]) await ecr.send(new CreateRepositoryCommand({ repositoryName: `page/r${n}` }));
        const names: string[] = [];
        let nextToken: string | undefined;
        do {
          const page = await ecr.send(new DescribeRepositoriesCommand({ maxResults: 2, ...(nextToken ? { nextToken } : {}) }));
          names.push(...(page.repositories ?? []).map((r) => r.repositoryName!));
          nextToken = page.nextToken;
        } while (nextToken);
        assert.deepEqual(names.filter((n) => n.startsWith("page/")), ["page/r1", "page/r2", "page/r3"]);
      });

      it("tags repositories by ARN", async () => {
        const arn = `arn:aws:ecr:${testRegion}:${testAccount}:repository/team/web`;
        await awsJson(server, "ecr", "tag-resource", "--resource-arn", arn, "--tags", "Key=env,Value=prod");
        await awsJson(server, "ecr", "untag-resource", "--resource-arn", arn, "--tag-keys", "team");
        const tags = await awsJson<{ tags: { Key: string; Value: string }[] }>(server, "ecr", "list-tags-for-resource", "--resource-arn", arn);
        assert.deepEqual(tags.tags, [{ Key: "env", Value: "prod" }]);
        await awsFails(server, "InvalidParameterException", "ecr", "list-tags-for-resource", "--resource-arn", "arn:aws:ecs:us-east-1:000000000000:cluster/x");
        await awsFails(server, "InvalidTagParameterException", "ecr", "tag-resource", "--resource-arn", arn, "--tags", "Key=aws:x,Value=y");
      });

      it("describes the registry", async () => {
        const r = await awsJson<{ registryId: string; replicationConfiguration: unknown }>(server, "ecr", "describe-registry");
        assert.deepEqual(r, { registryId: testAccount, replicationConfiguration: { rules: [] } });
      });

      it("refuses to delete a repository with images unless forced", async () => {
        await awsJson(server, "ecr", "create-repository", "--repository-name", "doomed");
        await v2.pushImage("doomed", "v1", [randomBytes(10)]);
        await awsFails(server, "RepositoryNotEmptyException", "ecr", "delete-repository", "--repository-name", "doomed");
        const deleted = await awsJson<{ repository: { repositoryName: string } }>(server, "ecr", "delete-repository", "--repository-name", "doomed", "--force");
        assert.equal(deleted.repository.repositoryName, "doomed");
        await awsFails(server, "RepositoryNotFoundException", "ecr", "describe-images", "--repository-name", "doomed");
        const r = await v2.req("GET", "/v2/doomed/manifests/v1");
        assert.equal(r.status, 404);
      });
    });

    describe("images", () => {
      let v1: Awaited<ReturnType<V2Client["pushImage"]>>;
      let v2img: Awaited<ReturnType<V2Client["pushImage"]>>;
      before(async () => {
        await awsJson(server, "ecr", "create-repository", "--repository-name", "imgs");
        v1 = await v2.pushImage("imgs", "v1", [randomBytes(100), randomBytes(200)]);
        v2img = await v2.pushImage("imgs", "v2", [randomBytes(300)]);
        await v2.req("PUT", "/v2/imgs/manifests/latest", { body: v2img.manifest, headers: { "content-type": mediaTypes.ociManifest } });
        // Moving v1 away leaves its first image untagged.
        await v2.pushImage("imgs", "old", [randomBytes(5)]);
        await v2.req("DELETE", "/v2/imgs/manifests/old");
      });

      it("describes images with ECR's fields and filters", async () => {
        const out = await awsJson<{ imageDetails: Record<string, unknown>[] }>(server, "ecr", "describe-images", "--repository-name", "imgs", "--image-ids", "imageTag=v1");
        const d = first(out.imageDetails, "the image tagged v1");
        assert.equal(d["imageDigest"], v1.digest);
        assert.deepEqual(d["imageTags"], ["v1"]);
        assert.equal(d["imageSizeInBytes"], 300);
        assert.equal(d["imageManifestMediaType"], mediaTypes.ociManifest);
        assert.equal(d["artifactMediaType"], mediaTypes.ociConfig);
        assert.equal(typeof d["imagePushedAt"], "number");
        assert.equal(d["registryId"], testAccount);
        assert.equal(d["lastRecordedPullTime"], undefined);
        await v2.req("GET", "/v2/imgs/manifests/v1");
        const pulled = await awsJson<{ imageDetails: Record<string, unknown>[] }>(server, "ecr", "describe-images", "--repository-name", "imgs", "--image-ids", "imageTag=v1");
        assert.equal(typeof first(pulled.imageDetails, "the image tagged v1")["lastRecordedPullTime"], "number");

        const tagged = await boto3<string[][]>(
          server,
          `ecr = boto3.client("ecr")
d = ecr.describe_images(repositoryName="imgs", filter={"tagStatus": "TAGGED"})["imageDetails"]
dump(sorted([sorted(i.get("imageTags", [])) for i in d]))`,
        );
        assert.deepEqual(tagged, [["latest", "v2"], ["v1"]]);
        const untagged = await awsJson<{ imageDetails: { imageTags?: string[] }[] }>(server, "ecr", "describe-images", "--repository-name", "imgs", "--filter", "tagStatus=UNTAGGED");
        assert.equal(untagged.imageDetails.length, 1);
        assert.equal(first(untagged.imageDetails, "the untagged image").imageTags, undefined);
        await awsFails(server, "ImageNotFoundException", "ecr", "describe-images", "--repository-name", "imgs", "--image-ids", "imageTag=nope");
      });

      it("lists image ids, one per tag, with pagination and filters", async () => {
        const ids: ImageIdentifier[] = [];
        let nextToken: string | undefined;
        do {
          const page = await ecr.send(new ListImagesCommand({ repositoryName: "imgs", maxResults: 1, ...(nextToken ? { nextToken } : {}) }));
          ids.push(...(page.imageIds ?? []));
          nextToken = page.nextToken;
        } while (nextToken);
        assert.equal(ids.length, 4);
        assert.deepEqual(ids.filter((i) => i.imageTag).map((i) => i.imageTag).sort(), ["latest", "v1", "v2"]);
        const untagged = await awsJson<{ imageIds: ImageIdentifier[] }>(server, "ecr", "list-images", "--repository-name", "imgs", "--filter", "tagStatus=UNTAGGED");
        assert.equal(untagged.imageIds.length, 1);
        assert.equal(first(untagged.imageIds, "the untagged image").imageTag, undefined);
      });

      it("gets images by tag and digest, and reports failures per id", async () => {
        const out = await awsJson<{ images: { imageId: ImageIdentifier; imageManifest: string; imageManifestMediaType: string }[]; failures: { failureCode: string; imageId: ImageIdentifier }[] }>(
          server,
          "ecr",
          "batch-get-image",
          "--repository-name",
          "imgs",
          "--image-ids",
          "imageTag=v1",
          `imageDigest=${v2img.digest}`,
          "imageTag=missing",
          `imageDigest=${v1.digest},imageTag=v2`,
        );
        assert.equal(out.images.length, 2);
        const tagged = first(out.images, "the image tagged v1");
        assert.equal(tagged.imageManifest, v1.manifest.toString());
        assert.equal(tagged.imageManifestMediaType, mediaTypes.ociManifest);
        assert.deepEqual(out.failures.map((f) => f.failureCode).sort(), ["ImageNotFound", "ImageTagDoesNotMatchDigest"]);
      });

      it("puts images by manifest, refusing duplicates, missing layers and immutable tags", async () => {
        const put = await ecr.send(new PutImageCommand({ repositoryName: "imgs", imageManifest: v1.manifest.toString(), imageTag: "again" }));
        assert.equal(put.image?.imageId?.imageDigest, v1.digest);
        await assert.rejects(ecr.send(new PutImageCommand({ repositoryName: "imgs", imageManifest: v1.manifest.toString(), imageTag: "again" })), { name: "ImageAlreadyExistsException" });
        await assert.rejects(
          ecr.send(new PutImageCommand({ repositoryName: "imgs", imageManifest: v1.manifest.toString(), imageTag: "x", imageDigest: digestOf("other") })),
          { name: "ImageDigestDoesNotMatchException" },
        );
        const missing = JSON.stringify({
          schemaVersion: 2,
          mediaType: mediaTypes.ociManifest,
          config: { mediaType: mediaTypes.ociConfig, digest: v1.config, size: 10 },
          layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: digestOf("not uploaded"), size: 12 }],
        });
        await assert.rejects(ecr.send(new PutImageCommand({ repositoryName: "imgs", imageManifest: missing, imageTag: "broken" })), { name: "LayersNotFoundException" });
        await assert.rejects(ecr.send(new PutImageCommand({ repositoryName: "imgs", imageManifest: "{not json", imageTag: "broken" })), { name: "InvalidParameterException" });

        await awsJson(server, "ecr", "create-repository", "--repository-name", "frozen", "--image-tag-mutability", "IMMUTABLE");
        const release = await v2.pushImage("frozen", "1.0", [randomBytes(10)]);
        const second = await v2.pushImage("frozen", "scratch", [randomBytes(10)]);
        await assert.rejects(ecr.send(new PutImageCommand({ repositoryName: "frozen", imageManifest: second.manifest.toString(), imageTag: "1.0" })), {
          name: "ImageTagAlreadyExistsException",
        });
        const still = await awsJson<{ imageDetails: { imageDigest: string }[] }>(server, "ecr", "describe-images", "--repository-name", "frozen", "--image-ids", "imageTag=1.0");
        assert.equal(first(still.imageDetails, "the image tagged 1.0").imageDigest, release.digest);
        // Exclusions: tags matching the filter stay mutable.
        await awsJson(
          server,
          "ecr",
          "put-image-tag-mutability",
          "--repository-name",
          "frozen",
          "--image-tag-mutability",
          "IMMUTABLE_WITH_EXCLUSION",
          "--image-tag-mutability-exclusion-filters",
          "filterType=WILDCARD,filter=dev-*",
        );
        await v2.pushImage("frozen", "dev-1", [randomBytes(10)]);
        await v2.pushImage("frozen", "dev-1", [randomBytes(10)]);
        await assert.rejects(v2.pushImage("frozen", "1.0", [randomBytes(10)]), /TAG_INVALID/);
      });

      it("lists an image's referrers, filtered by artifact type", async () => {
        const empty = await v2.pushBlob("imgs", Buffer.from("{}"));
        const sbom = await v2.pushBlob("imgs", randomBytes(40));
        const artifact = {
          schemaVersion: 2,
          mediaType: mediaTypes.ociManifest,
          artifactType: "application/spdx+json",
          config: { mediaType: mediaTypes.ociEmpty, digest: empty, size: 2 },
          layers: [{ mediaType: "application/spdx+json", digest: sbom, size: 40 }],
          subject: { mediaType: mediaTypes.ociManifest, digest: v1.digest, size: v1.manifest.length },
        };
        const digest = digestOf(JSON.stringify(artifact));
        assert.equal((await v2.pushManifest("imgs", digest, artifact, mediaTypes.ociManifest)).status, 201);
        const all = await ecr.send(new ListImageReferrersCommand({ repositoryName: "imgs", subjectId: { imageDigest: v1.digest } }));
        assert.deepEqual(all.referrers?.map((r) => [r.digest, r.artifactType, r.artifactStatus]), [[digest, "application/spdx+json", "ACTIVE"]]);
        const none = await ecr.send(new ListImageReferrersCommand({ repositoryName: "imgs", subjectId: { imageDigest: v1.digest }, filter: { artifactTypes: ["application/vnd.other"] } }));
        assert.deepEqual(none.referrers, []);
        const described = await awsJson<{ imageDetails: { subjectManifestDigest?: string; artifactMediaType?: string }[] }>(
          server,
          "ecr",
          "describe-images",
          "--repository-name",
          "imgs",
          "--image-ids",
          `imageDigest=${digest}`,
        );
        const referrer = first(described.imageDetails, "the SBOM artifact");
        assert.equal(referrer.subjectManifestDigest, v1.digest);
        assert.equal(referrer.artifactMediaType, "application/spdx+json");
        await v2.req("DELETE", `/v2/imgs/manifests/${digest}`);
      });

      it("deletes images by tag and digest with a failure per bad id", async () => {
        const a = await v2.pushImage("imgs", "del-a", [randomBytes(10)]);
        await v2.req("PUT", "/v2/imgs/manifests/del-a2", { body: a.manifest, headers: { "content-type": mediaTypes.ociManifest } });
        const b = await v2.pushImage("imgs", "del-b", [randomBytes(10)]);
        const out = await awsJson<{ imageIds: ImageIdentifier[]; failures: { failureCode: string }[] }>(
          server,
          "ecr",
          "batch-delete-image",
          "--repository-name",
          "imgs",
          "--image-ids",
          "imageTag=del-a",
          `imageDigest=${b.digest}`,
          "imageTag=nope",
          "imageDigest=sha256:bad",
        );
        assert.deepEqual(out.imageIds, [
          { imageDigest: a.digest, imageTag: "del-a" },
          { imageDigest: b.digest, imageTag: "del-b" },
        ]);
        assert.deepEqual(out.failures.map((f) => f.failureCode), ["ImageNotFound", "InvalidImageDigest"]);
        // The image keeps its other tag; deleting that last tag deletes the image.
        assert.equal((await v2.req("GET", `/v2/imgs/manifests/${a.digest}`)).status, 200);
        await awsJson(server, "ecr", "batch-delete-image", "--repository-name", "imgs", "--image-ids", "imageTag=del-a2");
        assert.equal((await v2.req("GET", `/v2/imgs/manifests/${a.digest}`)).status, 404);
      });
    });

    describe("layers through the API", () => {
      it("uploads in parts, checks availability and hands out download URLs", async () => {
        await awsJson(server, "ecr", "create-repository", "--repository-name", "layers");
        const data = randomBytes(50_000);
        const digest = digestOf(data);
        const { uploadId, partSize } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: "layers" }));
        assert.ok(uploadId && partSize);
        const part1 = await ecr.send(new UploadLayerPartCommand({ repositoryName: "layers", uploadId, partFirstByte: 0, partLastByte: 29_999, layerPartBlob: data.subarray(0, 30_000) }));
        assert.equal(part1.lastByteReceived, 29_999);
        await assert.rejects(
          ecr.send(new UploadLayerPartCommand({ repositoryName: "layers", uploadId, partFirstByte: 40_000, partLastByte: 49_999, layerPartBlob: data.subarray(40_000) })),
          { name: "InvalidLayerPartException" },
        );
        await ecr.send(new UploadLayerPartCommand({ repositoryName: "layers", uploadId, partFirstByte: 30_000, partLastByte: 49_999, layerPartBlob: data.subarray(30_000) }));
        const done = await ecr.send(new CompleteLayerUploadCommand({ repositoryName: "layers", uploadId, layerDigests: [digest] }));
        assert.equal(done.layerDigest, digest);

        const check = await ecr.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: "layers", layerDigests: [digest, digestOf("absent"), "sha256:zz"] }));
        assert.deepEqual(check.layers?.map((l) => [l.layerDigest, l.layerAvailability, l.layerSize]), [[digest, "AVAILABLE", 50_000]]);
        assert.deepEqual(check.failures?.map((f) => f.failureCode), ["MissingLayerDigest", "InvalidLayerDigest"]);

        const url = await ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: "layers", layerDigest: digest }));
        const fetched = await http(url.downloadUrl!);
        assert.equal(fetched.status, 200);
        assert.ok(fetched.body.equals(data));
        // The URL's token opens that layer only.
        const other = await v2.pushBlob("layers", randomBytes(10));
        const sneaky = await http(url.downloadUrl!.replace(digest, other));
        assert.equal(sneaky.status, 403);
        await assert.rejects(ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: "layers", layerDigest: digestOf("absent") })), { name: "LayersNotFoundException" });

        const bad = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: "layers" }));
        await ecr.send(new UploadLayerPartCommand({ repositoryName: "layers", uploadId: bad.uploadId, partFirstByte: 0, partLastByte: 9, layerPartBlob: randomBytes(10) }));
        await assert.rejects(ecr.send(new CompleteLayerUploadCommand({ repositoryName: "layers", uploadId: bad.uploadId, layerDigests: [digestOf("wrong")] })), { name: "InvalidLayerException" });
        await assert.rejects(ecr.send(new CompleteLayerUploadCommand({ repositoryName: "layers", uploadId: bad.uploadId, layerDigests: [digest] })), { name: "UploadNotFoundException" });
        const empty = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: "layers" }));
        await assert.rejects(ecr.send(new CompleteLayerUploadCommand({ repositoryName: "layers", uploadId: empty.uploadId, layerDigests: [digest] })), { name: "EmptyUploadException" });
      });
    });

    describe("repository policies", () => {
      it("sets, gets and deletes policies, and validates them", async () => {
        await awsJson(server, "ecr", "create-repository", "--repository-name", "guarded");
        await awsFails(server, "RepositoryPolicyNotFoundException", "ecr", "get-repository-policy", "--repository-name", "guarded");
        const policy = JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Sid: "pull", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"] }],
        });
        const set = await awsJson<{ policyText: string }>(server, "ecr", "set-repository-policy", "--repository-name", "guarded", "--policy-text", policy);
        assert.equal(set.policyText, policy);
        const got = await awsJson<{ policyText: string }>(server, "ecr", "get-repository-policy", "--repository-name", "guarded");
        assert.equal(got.policyText, policy);
        const stderr = await awsFails(server, "InvalidParameterException", "ecr", "set-repository-policy", "--repository-name", "guarded", "--policy-text", '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*"}]}');
        assert.match(stderr, /Invalid repository policy provided/);
        await awsJson(server, "ecr", "delete-repository-policy", "--repository-name", "guarded");
        await awsFails(server, "RepositoryPolicyNotFoundException", "ecr", "delete-repository-policy", "--repository-name", "guarded");
      });

      it("enforces an explicit Deny on /v2/ and the API, even for the account root", async () => {
        await v2.pushImage("guarded", "v1", [randomBytes(10)]);
        const deny = JSON.stringify({ Statement: [{ Effect: "Deny", Principal: "*", Action: ["ecr:BatchGetImage", "ecr:PutImage"] }] });
        await awsJson(server, "ecr", "set-repository-policy", "--repository-name", "guarded", "--policy-text", deny);
        const pull = await v2.req("GET", "/v2/guarded/manifests/v1");
        assert.equal(pull.status, 403);
        assert.equal(first(pull.json<{ errors: { code: string }[] }>().errors, "an error").code, "DENIED");
        await assert.rejects(v2.pushImage("guarded", "v2", [randomBytes(10)]), /DENIED/);
        await awsFails(server, "AccessDeniedException", "ecr", "batch-get-image", "--repository-name", "guarded", "--image-ids", "imageTag=v1");
        // What the policy does not deny still works.
        assert.equal((await v2.req("GET", "/v2/guarded/tags/list")).status, 200);
        await awsJson(server, "ecr", "delete-repository-policy", "--repository-name", "guarded");
        assert.equal((await v2.req("GET", "/v2/guarded/manifests/v1")).status, 200);
      });
    });

    describe("lifecycle policies", () => {
      const keepTwoProd = JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: "keep the 2 newest prod images",
            selection: { tagStatus: "tagged", tagPatternList: ["prod*"], countType: "imageCountMoreThan", countNumber: 2 },
            action: { type: "expire" },
          },
        ],
      });

      it("validates policies as ECR does", async () => {
        await awsJson(server, "ecr", "create-repository", "--repository-name", "life");
        await awsFails(server, "LifecyclePolicyNotFoundException", "ecr", "get-lifecycle-policy", "--repository-name", "life");
        const bad = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: "tagged", countType: "imageCountMoreThan", countNumber: 2 }, action: { type: "expire" } }] }).padEnd(120, " ");
        const stderr = await awsFails(server, "InvalidParameterException", "ecr", "put-lifecycle-policy", "--repository-name", "life", "--lifecycle-policy-text", bad);
        assert.match(stderr, /tagPrefixList or a tagPatternList/);
      });

      it("keeps the 2 newest images tagged prod*, applied on push, and previews first", async () => {
        const pushed: string[] = [];
        for (const tag of ["prod-1", "prod-2", "prod-3"]) {
          pushed.push((await v2.pushImage("life", tag, [randomBytes(10)])).digest);
          await new Promise((r) => setTimeout(r, 20));
        }
        await v2.pushImage("life", "dev", [randomBytes(10)]);
        const start = await awsJson<{ status: string }>(server, "ecr", "start-lifecycle-policy-preview", "--repository-name", "life", "--lifecycle-policy-text", keepTwoProd);
        assert.equal(start.status, "COMPLETE");
        const preview = await boto3<{ status: string; results: [string, number][]; total: number }>(
          server,
          `ecr = boto3.client("ecr")
p = ecr.get_lifecycle_policy_preview(repositoryName="life")
dump({"status": p["status"], "results": [[r["imageTags"][0], r["appliedRulePriority"]] for r in p["previewResults"]], "total": p["summary"]["expiringImageTotalCount"]})`,
        );
        assert.deepEqual(preview, { status: "COMPLETE", results: [["prod-1", 1]], total: 1 });
        assert.equal((await v2.req("GET", "/v2/life/manifests/prod-1")).status, 200, "a preview expires nothing");

        await awsJson(server, "ecr", "put-lifecycle-policy", "--repository-name", "life", "--lifecycle-policy-text", keepTwoProd);
        await v2.pushImage("life", "prod-4", [randomBytes(10)]);
        const tags = await until("the policy to leave two prod images", async () => {
          const out = await awsJson<{ imageIds: ImageIdentifier[] }>(server, "ecr", "list-images", "--repository-name", "life");
          const t = out.imageIds.map((i) => i.imageTag ?? "").sort();
          return t.length === 3 ? t : undefined;
        });
        assert.deepEqual(tags, ["dev", "prod-3", "prod-4"]);
        const policy = await awsJson<{ lifecyclePolicyText: string; lastEvaluatedAt?: number }>(server, "ecr", "get-lifecycle-policy", "--repository-name", "life");
        assert.equal(policy.lifecyclePolicyText, keepTwoProd);
        assert.equal(typeof policy.lastEvaluatedAt, "number");
        await awsJson(server, "ecr", "delete-lifecycle-policy", "--repository-name", "life");
        await awsFails(server, "LifecyclePolicyNotFoundException", "ecr", "delete-lifecycle-policy", "--repository-name", "life");
      });
    });

    describe("images in bulk", () => {
      it("pages DescribeImages over many images", async () => {
        await awsJson(server, "ecr", "create-repository", "--repository-name", "bulk");
        for (let i = 0; i < 12; i++) await v2.pushImage("bulk", `t${i}`, [randomBytes(5)]);
        const seen = new Set<string>();
        let nextToken: string | undefined;
        let pages = 0;
        do {
          const page = await ecr.send(new DescribeImagesCommand({ repositoryName: "bulk", maxResults: 5, ...(nextToken ? { nextToken } : {}) }));
          for (const d of page.imageDetails ?? []) seen.add(d.imageDigest!);
          nextToken = page.nextToken;
          pages++;
        } while (nextToken);
        assert.equal(seen.size, 12);
        assert.equal(pages, 3);
      });
    });
  });
}

runEcrSuite("sqlite");
if (requirePostgresUrl()) runEcrSuite("postgres");
else console.log("# PostgreSQL suite skipped: BERTH_TEST_POSTGRES_URL is not set");
