// The OCI Distribution API over raw HTTP, against SQLite and PostgreSQL: the
// spec's endpoints, status codes, headers and error bodies, authentication,
// and that bad input stores nothing.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateRepositoryCommand, PutImageTagMutabilityCommand, type ECRClient } from "@aws-sdk/client-ecr";
import { startTestServer, type TestServer } from "../../test/kit/harness.js";
import { requirePostgresUrl } from "../../test/kit/postgres.js";
import { digestOf } from "./digest.js";
import { checkConsistency, collectGarbage } from "./gc.js";
import { mediaTypes } from "./manifest.js";
import { registryDir } from "./registry.js";
import { basicAuth, ecrClient, http, registryOf, tokenFor, V2Client, type HttpResult } from "../../test/kit/registry.js";

function errorCode(r: HttpResult): string | undefined {
  return r.json<{ errors: { code: string }[] }>().errors[0]?.code;
}

function uploadFiles(server: TestServer): string[] {
  return readdirSync(join(registryDir(server.dataDir), "uploads"));
}

function runOciSuite(kind: "sqlite" | "postgres"): void {
  describe(`OCI Distribution API (${kind})`, () => {
    let server: TestServer;
    let ecr: ECRClient;
    let v2: V2Client;
    before(async () => {
      server = await startTestServer({ store: kind });
      ecr = ecrClient(server);
      v2 = new V2Client(server);
      for (const name of ["oci/app", "oci/other", "oci/immutable", "oci/gc"]) await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
      await ecr.send(new PutImageTagMutabilityCommand({ repositoryName: "oci/immutable", imageTagMutability: "IMMUTABLE" }));
    });
    after(async () => {
      ecr.destroy();
      await server.stop();
    });

    describe("authentication", () => {
      it("answers the version check only with a valid token, Basic or Bearer", async () => {
        const anonymous = await http(`${server.url}/v2/`);
        assert.equal(anonymous.status, 401);
        assert.match(String(anonymous.headers["www-authenticate"]), /^Basic realm="/);
        assert.equal(anonymous.headers["docker-distribution-api-version"], "registry/2.0");
        assert.equal(errorCode(anonymous), "UNAUTHORIZED");
        const basic = await http(`${server.url}/v2/`, { headers: { authorization: basicAuth(tokenFor(server)) } });
        assert.equal(basic.status, 200);
        const bearer = await http(`${server.url}/v2/`, { headers: { authorization: `Bearer ${tokenFor(server)}` } });
        assert.equal(bearer.status, 200);
      });

      it("refuses a wrong user, a forged, an expired or an orphaned token", async () => {
        const cases: [string, string][] = [
          ["wrong user", basicAuth(tokenFor(server), "admin")],
          ["garbage", basicAuth("not-a-token")],
          ["forged", basicAuth(tokenFor(server).replace(/.$/, (c) => (c === "A" ? "B" : "A")))],
          ["expired", basicAuth(tokenFor(server, new Date(Date.now() - 1000)))],
          ["unknown key", basicAuth(tokenFor(server, undefined, "AKIANOSUCHKEY0000000"))],
        ];
        for (const [name, auth] of cases) {
          const r = await http(`${server.url}/v2/oci/app/tags/list`, { headers: { authorization: auth } });
          assert.equal(r.status, 401, name);
          assert.equal(errorCode(r), "UNAUTHORIZED", name);
          assert.ok(r.headers["www-authenticate"], name);
        }
        const expired = await http(`${server.url}/v2/`, { headers: { authorization: basicAuth(tokenFor(server, new Date(Date.now() - 1000))) } });
        const [error] = expired.json<{ errors: { message: string }[] }>().errors;
        assert.ok(error);
        assert.match(error.message, /expired/);
      });
    });

    describe("blobs", () => {
      it("takes a monolithic upload, then serves HEAD, GET and ranges", async () => {
        const data = randomBytes(5000);
        const digest = digestOf(data);
        const put = await v2.req("POST", `/v2/oci/app/blobs/uploads/?digest=${digest}`, { body: data });
        assert.equal(put.status, 201);
        assert.equal(put.headers["location"], `/v2/oci/app/blobs/${digest}`);
        assert.equal(put.headers["docker-content-digest"], digest);
        const head = await v2.req("HEAD", `/v2/oci/app/blobs/${digest}`);
        assert.equal(head.status, 200);
        assert.equal(head.headers["content-length"], "5000");
        assert.equal(head.headers["docker-content-digest"], digest);
        const get = await v2.req("GET", `/v2/oci/app/blobs/${digest}`);
        assert.ok(get.body.equals(data));
        const range = await v2.req("GET", `/v2/oci/app/blobs/${digest}`, { headers: { range: "bytes=100-199" } });
        assert.equal(range.status, 206);
        assert.equal(range.headers["content-range"], "bytes 100-199/5000");
        assert.ok(range.body.equals(data.subarray(100, 200)));
        const suffix = await v2.req("GET", `/v2/oci/app/blobs/${digest}`, { headers: { range: "bytes=-10" } });
        assert.ok(suffix.body.equals(data.subarray(4990)));
        const outside = await v2.req("GET", `/v2/oci/app/blobs/${digest}`, { headers: { range: "bytes=9000-" } });
        assert.equal(outside.status, 416);
        assert.equal(outside.headers["content-range"], "bytes */5000");
      });

      it("keeps blobs per repository: another repository does not see them", async () => {
        const digest = await v2.pushBlob("oci/app", randomBytes(100));
        const other = await v2.req("HEAD", `/v2/oci/other/blobs/${digest}`);
        assert.equal(other.status, 404);
        const get = await v2.req("GET", `/v2/oci/other/blobs/${digest}`);
        assert.equal(errorCode(get), "BLOB_UNKNOWN");
      });

      it("refuses content whose digest is wrong and stores nothing", async () => {
        const data = randomBytes(3000);
        const claimed = digestOf(randomBytes(10));
        const before = uploadFiles(server).length;
        const r = await v2.req("POST", `/v2/oci/app/blobs/uploads/?digest=${claimed}`, { body: data });
        assert.equal(r.status, 400);
        assert.equal(errorCode(r), "DIGEST_INVALID");
        assert.equal((await v2.req("HEAD", `/v2/oci/app/blobs/${claimed}`)).status, 404);
        assert.equal((await v2.req("HEAD", `/v2/oci/app/blobs/${digestOf(data)}`)).status, 404);
        assert.equal(uploadFiles(server).length, before);
        const malformed = await v2.req("POST", `/v2/oci/app/blobs/uploads/?digest=sha256:nothex`, { body: data });
        assert.equal(errorCode(malformed), "DIGEST_INVALID");
      });

      it("takes chunked uploads with Content-Range, reports status, and refuses a chunk out of order", async () => {
        const data = randomBytes(300_000);
        const digest = digestOf(data);
        const start = await v2.req("POST", "/v2/oci/app/blobs/uploads/");
        assert.equal(start.status, 202);
        const location = String(start.headers["location"]);
        assert.match(location, /^\/v2\/oci\/app\/blobs\/uploads\/[0-9a-f-]{36}$/);
        assert.equal(start.headers["range"], "0-0");
        assert.ok(start.headers["docker-upload-uuid"]);
        const first = await v2.req("PATCH", location, {
          body: data.subarray(0, 100_000),
          headers: { "content-range": "0-99999", "content-type": "application/octet-stream" },
        });
        assert.equal(first.status, 202);
        assert.equal(first.headers["range"], "0-99999");
        const status = await v2.req("GET", location);
        assert.equal(status.status, 204);
        assert.equal(status.headers["range"], "0-99999");
        // Not yet visible as a blob.
        assert.equal((await v2.req("HEAD", `/v2/oci/app/blobs/${digest}`)).status, 404);
        const gap = await v2.req("PATCH", location, { body: data.subarray(150_000, 200_000), headers: { "content-range": "150000-199999" } });
        assert.equal(gap.status, 416);
        assert.equal(gap.headers["range"], "0-99999");
        const second = await v2.req("PATCH", location, { body: data.subarray(100_000, 200_000), headers: { "content-range": "100000-199999" } });
        assert.equal(second.headers["range"], "0-199999");
        const done = await v2.req("PUT", `${location}?digest=${digest}`, { body: data.subarray(200_000) });
        assert.equal(done.status, 201);
        assert.equal(done.headers["docker-content-digest"], digest);
        assert.ok((await v2.req("GET", `/v2/oci/app/blobs/${digest}`)).body.equals(data));
        assert.equal((await v2.req("GET", location)).status, 404, "a finished upload is gone");
      });

      it("resumes an upload whose connection was cut, and can cancel one", async () => {
        const data = randomBytes(200_000);
        const digest = digestOf(data);
        const start = await v2.req("POST", "/v2/oci/app/blobs/uploads/");
        const location = String(start.headers["location"]);
        // Promise 200000 bytes, send 64 KiB, hang up.
        await new Promise<void>((resolve) => {
          const req = request(`${server.url}${location}`, {
            method: "PATCH",
            headers: { authorization: v2.auth, "content-length": data.length, "content-type": "application/octet-stream" },
          });
          req.on("error", () => resolve());
          req.write(data.subarray(0, 65_536), () => setTimeout(() => {
            req.destroy();
            resolve();
          }, 200));
        });
        await new Promise((r) => setTimeout(r, 200));
        const status = await v2.req("GET", location);
        assert.equal(status.status, 204);
        const have = Number(String(status.headers["range"]).split("-")[1]) + 1;
        assert.ok(have <= 65_536, `kept ${have} bytes`);
        assert.equal((await v2.req("HEAD", `/v2/oci/app/blobs/${digest}`)).status, 404, "nothing half-written is visible");
        const rest = await v2.req("PATCH", location, { body: data.subarray(have), headers: { "content-range": `${have}-${data.length - 1}` } });
        assert.equal(rest.status, 202);
        assert.equal((await v2.req("PUT", `${location}?digest=${digest}`)).status, 201);
        assert.ok((await v2.req("GET", `/v2/oci/app/blobs/${digest}`)).body.equals(data));

        const cancelled = String((await v2.req("POST", "/v2/oci/app/blobs/uploads/")).headers["location"]);
        assert.equal((await v2.req("DELETE", cancelled)).status, 204);
        assert.equal(errorCode(await v2.req("GET", cancelled)), "BLOB_UPLOAD_UNKNOWN");
        const other = await v2.req("GET", cancelled.replace("oci/app", "oci/other"));
        assert.equal(other.status, 404);
      });

      it("mounts a blob from another repository, and starts an upload when it cannot", async () => {
        const digest = await v2.pushBlob("oci/app", randomBytes(1000));
        const mounted = await v2.req("POST", `/v2/oci/other/blobs/uploads/?mount=${digest}&from=oci/app`);
        assert.equal(mounted.status, 201);
        assert.equal(mounted.headers["location"], `/v2/oci/other/blobs/${digest}`);
        assert.equal((await v2.req("HEAD", `/v2/oci/other/blobs/${digest}`)).status, 200);
        const missing = await v2.req("POST", `/v2/oci/other/blobs/uploads/?mount=${digestOf("nope")}&from=oci/app`);
        assert.equal(missing.status, 202);
        assert.match(String(missing.headers["location"]), /\/blobs\/uploads\//);
      });

      it("answers NAME_UNKNOWN for a repository that does not exist and NAME_INVALID for a bad name", async () => {
        const unknown = await v2.req("POST", `/v2/oci/nope/blobs/uploads/?digest=${digestOf("x")}`, { body: "x" });
        assert.equal(unknown.status, 404);
        assert.equal(errorCode(unknown), "NAME_UNKNOWN");
        assert.match(unknown.body.toString(), /does not exist in the registry with id '000000000000'/);
        const bad = await v2.req("GET", "/v2/Bad_Name/tags/list");
        assert.equal(bad.status, 400);
        assert.equal(errorCode(bad), "NAME_INVALID");
      });
    });

    describe("manifests", () => {
      it("refuses a manifest naming a blob the repository lacks, and stores nothing", async () => {
        const config = await v2.pushBlob("oci/app", Buffer.from("{}"));
        const manifest = {
          schemaVersion: 2,
          mediaType: mediaTypes.ociManifest,
          config: { mediaType: mediaTypes.ociConfig, digest: config, size: 2 },
          layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: digestOf("missing layer"), size: 13 }],
        };
        const r = await v2.pushManifest("oci/app", "broken", manifest, mediaTypes.ociManifest);
        assert.equal(r.status, 400);
        assert.equal(errorCode(r), "MANIFEST_BLOB_UNKNOWN");
        assert.equal((await v2.req("GET", "/v2/oci/app/manifests/broken")).status, 404);
        const invalid = await v2.req("PUT", "/v2/oci/app/manifests/bad", { body: "{not json", headers: { "content-type": mediaTypes.ociManifest } });
        assert.equal(errorCode(invalid), "MANIFEST_INVALID");
      });

      it("stores and serves Docker and OCI manifests by tag and digest", async () => {
        const img = await v2.pushImage("oci/app", "v1", [randomBytes(100), randomBytes(200)]);
        const byTag = await v2.req("GET", "/v2/oci/app/manifests/v1");
        assert.equal(byTag.status, 200);
        assert.equal(byTag.headers["content-type"], mediaTypes.ociManifest);
        assert.equal(byTag.headers["docker-content-digest"], img.digest);
        assert.ok(byTag.body.equals(img.manifest));
        const head = await v2.req("HEAD", `/v2/oci/app/manifests/${img.digest}`);
        assert.equal(head.status, 200);
        assert.equal(head.headers["content-length"], String(img.manifest.length));

        const layer = await v2.pushBlob("oci/app", randomBytes(50));
        const docker = {
          schemaVersion: 2,
          mediaType: mediaTypes.dockerManifest,
          config: { mediaType: mediaTypes.dockerConfig, digest: img.config, size: 0 },
          layers: [{ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", digest: layer, size: 50 }],
        };
        const put = await v2.pushManifest("oci/app", "docker", docker, mediaTypes.dockerManifest);
        assert.equal(put.status, 201);
        const digest = String(put.headers["docker-content-digest"]);
        assert.equal(put.headers["location"], `/v2/oci/app/manifests/${digest}`);
        assert.equal((await v2.req("GET", `/v2/oci/app/manifests/${digest}`)).headers["content-type"], mediaTypes.dockerManifest);
      });

      it("refuses a PUT by digest whose bytes have another digest", async () => {
        const img = await v2.pushImage("oci/app", "v2", [randomBytes(10)]);
        const r = await v2.req("PUT", `/v2/oci/app/manifests/${digestOf("something else")}`, { body: img.manifest, headers: { "content-type": mediaTypes.ociManifest } });
        assert.equal(r.status, 400);
        assert.equal(errorCode(r), "DIGEST_INVALID");
      });

      it("stores indexes whose children are present, and keeps children an index lists", async () => {
        const a = await v2.pushImage("oci/app", "amd64", [randomBytes(10)]);
        const child = { mediaType: mediaTypes.ociManifest, digest: a.digest, size: a.manifest.length, platform: { os: "linux", architecture: "amd64" } };
        const missing = { ...child, digest: digestOf("no such manifest") };
        const bad = await v2.pushManifest("oci/app", "multi", { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [child, missing] }, mediaTypes.ociIndex);
        assert.equal(errorCode(bad), "MANIFEST_BLOB_UNKNOWN");
        const good = await v2.pushManifest("oci/app", "multi", { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [child] }, mediaTypes.ociIndex);
        assert.equal(good.status, 201);
        const del = await v2.req("DELETE", `/v2/oci/app/manifests/${a.digest}`);
        assert.equal(del.status, 409);
        assert.equal(errorCode(del), "MANIFEST_REFERENCED");
        assert.equal((await v2.req("DELETE", `/v2/oci/app/manifests/${String(good.headers["docker-content-digest"])}`)).status, 202);
        assert.equal((await v2.req("DELETE", `/v2/oci/app/manifests/${a.digest}`)).status, 202);
        assert.equal(errorCode(await v2.req("GET", `/v2/oci/app/manifests/${a.digest}`)), "MANIFEST_UNKNOWN");
        assert.equal(errorCode(await v2.req("GET", "/v2/oci/app/manifests/amd64")), "MANIFEST_UNKNOWN");
      });

      it("deletes a tag alone with DELETE by tag", async () => {
        const img = await v2.pushImage("oci/app", "temp", [randomBytes(10)]);
        assert.equal((await v2.req("DELETE", "/v2/oci/app/manifests/temp")).status, 202);
        assert.equal((await v2.req("GET", "/v2/oci/app/manifests/temp")).status, 404);
        assert.equal((await v2.req("GET", `/v2/oci/app/manifests/${img.digest}`)).status, 200);
      });

      it("refuses to move an immutable tag, but accepts the same image again", async () => {
        const first = await v2.pushImage("oci/immutable", "release", [randomBytes(10)]);
        const again = await v2.req("PUT", "/v2/oci/immutable/manifests/release", { body: first.manifest, headers: { "content-type": mediaTypes.ociManifest } });
        assert.equal(again.status, 201);
        await assert.rejects(v2.pushImage("oci/immutable", "release", [randomBytes(10)]), /TAG_INVALID/);
        assert.equal((await v2.req("GET", "/v2/oci/immutable/manifests/release")).headers["docker-content-digest"], first.digest);
      });

      it("lists referrers, filtered by artifactType", async () => {
        const subject = await v2.pushImage("oci/app", "signed", [randomBytes(10)]);
        const empty = await v2.pushBlob("oci/app", Buffer.from("{}"));
        const artifact = async (type: string, payload: Buffer): Promise<HttpResult> => {
          const blob = await v2.pushBlob("oci/app", payload);
          const manifest = {
            schemaVersion: 2,
            mediaType: mediaTypes.ociManifest,
            artifactType: type,
            config: { mediaType: mediaTypes.ociEmpty, digest: empty, size: 2 },
            layers: [{ mediaType: "application/octet-stream", digest: blob, size: payload.length }],
            subject: { mediaType: mediaTypes.ociManifest, digest: subject.digest, size: subject.manifest.length },
            annotations: { "org.example.kind": type },
          };
          // Referrers are pushed by digest, untagged, as oras and cosign do.
          return v2.pushManifest("oci/app", digestOf(JSON.stringify(manifest)), manifest, mediaTypes.ociManifest);
        };
        const sig = await artifact("application/vnd.example.signature", randomBytes(20));
        assert.equal(sig.status, 201);
        assert.equal(sig.headers["oci-subject"], subject.digest);
        await artifact("application/vnd.example.sbom", randomBytes(30));
        const all = await v2.req("GET", `/v2/oci/app/referrers/${subject.digest}`);
        assert.equal(all.status, 200);
        assert.equal(all.headers["content-type"], mediaTypes.ociIndex);
        const index = all.json<{ mediaType: string; manifests: { artifactType: string; annotations: Record<string, string> }[] }>();
        assert.equal(index.mediaType, mediaTypes.ociIndex);
        assert.deepEqual(index.manifests.map((m) => m.artifactType).sort(), ["application/vnd.example.sbom", "application/vnd.example.signature"]);
        const filtered = await v2.req("GET", `/v2/oci/app/referrers/${subject.digest}?artifactType=application/vnd.example.sbom`);
        assert.equal(filtered.headers["oci-filters-applied"], "artifactType");
        assert.deepEqual(filtered.json<{ manifests: { annotations: Record<string, string> }[] }>().manifests.map((m) => m.annotations["org.example.kind"]), [
          "application/vnd.example.sbom",
        ]);
        const none = await v2.req("GET", `/v2/oci/app/referrers/${digestOf("unknown subject")}`);
        assert.deepEqual(none.json<{ manifests: unknown[] }>().manifests, []);
      });
    });

    describe("listings", () => {
      it("pages tags with n and last, with a Link header", async () => {
        for (const tag of ["c", "a", "b", "d"]) await v2.pushImage("oci/other", tag, [randomBytes(5)]);
        const all = await v2.req("GET", "/v2/oci/other/tags/list");
        assert.deepEqual(all.json(), { name: "oci/other", tags: ["a", "b", "c", "d"] });
        const first = await v2.req("GET", "/v2/oci/other/tags/list?n=2");
        assert.deepEqual(first.json<{ tags: string[] }>().tags, ["a", "b"]);
        assert.equal(first.headers["link"], '</v2/oci/other/tags/list?n=2&last=b>; rel="next"');
        const second = await v2.req("GET", "/v2/oci/other/tags/list?n=2&last=b");
        assert.deepEqual(second.json<{ tags: string[] }>().tags, ["c", "d"]);
        assert.equal(second.headers["link"], undefined);
      });

      it("pages the catalog", async () => {
        const all = await v2.req("GET", "/v2/_catalog");
        assert.deepEqual(all.json<{ repositories: string[] }>().repositories, ["oci/app", "oci/gc", "oci/immutable", "oci/other"]);
        const first = await v2.req("GET", "/v2/_catalog?n=3");
        assert.deepEqual(first.json<{ repositories: string[] }>().repositories, ["oci/app", "oci/gc", "oci/immutable"]);
        assert.equal(first.headers["link"], '</v2/_catalog?n=3&last=oci%2Fimmutable>; rel="next"');
        const rest = await v2.req("GET", "/v2/_catalog?n=3&last=oci/immutable");
        assert.deepEqual(rest.json<{ repositories: string[] }>().repositories, ["oci/other"]);
      });
    });

    describe("garbage collection", () => {
      it("frees unreferenced blobs and abandoned uploads, and keeps what images use", async () => {
        const registry = registryOf(server);
        const kept = await v2.pushImage("oci/gc", "kept", [randomBytes(1000)]);
        const dropped = await v2.pushImage("oci/gc", "dropped", [randomBytes(2000)]);
        const loose = await v2.pushBlob("oci/gc", randomBytes(3000));
        const abandoned = String((await v2.req("POST", "/v2/oci/gc/blobs/uploads/")).headers["location"]);
        await v2.req("PATCH", abandoned, { body: randomBytes(100) });
        assert.equal((await v2.req("DELETE", `/v2/oci/gc/manifests/${dropped.digest}`)).status, 202);

        // Within the grace period nothing is taken (a push may be about to refer to it).
        const early = await collectGarbage(registry);
        assert.equal(early.blobsRemoved, 0);
        const report = await collectGarbage(registry, { graceMs: 0, uploadTimeoutMs: 0 });
        assert.ok(report.blobsRemoved >= 2, JSON.stringify(report));
        assert.ok(report.uploadsRemoved >= 1, JSON.stringify(report));
        assert.ok(report.bytesFreed >= 5000, JSON.stringify(report));
        assert.equal((await v2.req("HEAD", `/v2/oci/gc/blobs/${loose}`)).status, 404);
        assert.equal((await v2.req("HEAD", `/v2/oci/gc/blobs/${dropped.layers[0]}`)).status, 404);
        assert.equal((await v2.req("GET", abandoned)).status, 404);
        assert.equal((await v2.req("GET", `/v2/oci/gc/blobs/${kept.layers[0]}`)).status, 200);
        assert.equal((await v2.req("GET", "/v2/oci/gc/manifests/kept")).status, 200);
        assert.deepEqual(await checkConsistency(registry), []);
      });
    });
  });
}

runOciSuite("sqlite");
if (requirePostgresUrl()) runOciSuite("postgres");
else console.log("# PostgreSQL suite skipped: BERTH_TEST_POSTGRES_URL is not set");
