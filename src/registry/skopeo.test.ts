// skopeo against Berth's registry: images copied in and out as OCI layouts
// and Docker archives, in OCI and Docker manifest formats, inspected, listed
// and deleted; the archive it pulls out runs under Docker.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { aws, awsJson } from "../../test/kit/aws-cli.js";
import { startTestServer, type TestServer } from "../../test/kit/harness.js";
import { mediaTypes } from "./manifest.js";
import { registryDir } from "./registry.js";
import { dockerAvailable, run, skopeoAvailable, tryRun } from "../../test/kit/registry.js";

const hasSkopeo = skopeoAvailable();
if (!hasSkopeo) console.log("# skopeo tests skipped: skopeo is not installed");

function blobInodes(server: TestServer): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else out.set(p, s.ino);
    }
  };
  walk(join(registryDir(server.dataDir), "blobs"));
  return out;
}

const sha = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** Writes an OCI image layout holding one runnable busybox image whose /marker says `marker`. */
async function ociLayout(dir: string, tag: string, marker: string): Promise<void> {
  const tarFile = join(dir, "..", `layer-${randomBytes(4).toString("hex")}.tar`);
  const root = mkdtempSync(join(dir, "..", "rootfs-"));
  mkdirSync(join(root, "bin"));
  copyFileSync("/bin/busybox", join(root, "bin", "busybox"));
  writeFileSync(join(root, "marker"), `${marker}\n`);
  await run("tar", ["--owner=0", "--group=0", "-C", root, "-cf", tarFile, "."]);
  rmSync(root, { recursive: true, force: true });
  const layer = readFileSync(tarFile);
  rmSync(tarFile);
  const gz = gzipSync(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Cmd: ["/bin/busybox", "cat", "/marker"] },
      rootfs: { type: "layers", diff_ids: [sha(layer)] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: mediaTypes.ociConfig, digest: sha(config), size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha(gz), size: gz.length }],
    }),
  );
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  for (const blob of [gz, config, manifest]) writeFileSync(join(dir, "blobs", "sha256", sha(blob).slice(7)), blob);
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: mediaTypes.ociManifest, digest: sha(manifest), size: manifest.length, annotations: { "org.opencontainers.image.ref.name": tag } }],
    }),
  );
}

describe("skopeo", { skip: !hasSkopeo }, () => {
  let server: TestServer;
  let host: string;
  let work: string;
  let creds: string;
  const markerId = randomBytes(6).toString("hex");
  const marker = `skopeo ${markerId}`;

  const skopeo = (...args: string[]): Promise<string> => run("skopeo", ["--insecure-policy", ...args]);

  before(async () => {
    server = await startTestServer();
    host = new URL(server.url).host;
    work = mkdtempSync(join(tmpdir(), "berth-skopeo-"));
    creds = `AWS:${(await aws(server, "ecr", "get-login-password")).stdout.trim()}`;
    await awsJson(server, "ecr", "create-repository", "--repository-name", "skopeo/app");
    mkdirSync(join(work, "in"));
    await ociLayout(join(work, "in"), "v1", marker);
  });

  after(async () => {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("copies an OCI layout in, as an OCI image, and a second copy uploads nothing", async () => {
    const out = await skopeo("copy", "--dest-creds", creds, "--dest-tls-verify=false", `oci:${join(work, "in")}:v1`, `docker://${host}/skopeo/app:oci`);
    assert.match(out, /Writing manifest/);
    // A blob uploaded again would be renamed into place as a new file: the inodes tell.
    const before = blobInodes(server);
    await skopeo("copy", "--dest-creds", creds, "--dest-tls-verify=false", `oci:${join(work, "in")}:v1`, `docker://${host}/skopeo/app:oci`);
    assert.deepEqual(blobInodes(server), before);
    const d = await awsJson<{ imageDetails: { imageManifestMediaType: string }[] }>(server, "ecr", "describe-images", "--repository-name", "skopeo/app", "--image-ids", "imageTag=oci");
    const [image] = d.imageDetails;
    assert.ok(image);
    assert.equal(image.imageManifestMediaType, mediaTypes.ociManifest);
  });

  it("copies a Docker archive in, in Docker's format", async () => {
    const archive = join(work, "in.tar");
    await skopeo("copy", `oci:${join(work, "in")}:v1`, `docker-archive:${archive}:skopeo/app:v1`);
    await skopeo("copy", "--format", "v2s2", "--dest-creds", creds, "--dest-tls-verify=false", `docker-archive:${archive}`, `docker://${host}/skopeo/app:docker`);
    const d = await awsJson<{ imageDetails: { imageManifestMediaType: string; artifactMediaType: string }[] }>(
      server,
      "ecr",
      "describe-images",
      "--repository-name",
      "skopeo/app",
      "--image-ids",
      "imageTag=docker",
    );
    const [image] = d.imageDetails;
    assert.ok(image);
    assert.equal(image.imageManifestMediaType, mediaTypes.dockerManifest);
    assert.equal(image.artifactMediaType, mediaTypes.dockerConfig);
  });

  it("inspects and lists tags", async () => {
    const inspect = JSON.parse(await skopeo("inspect", "--creds", creds, "--tls-verify=false", `docker://${host}/skopeo/app:oci`)) as { Digest: string; Layers: string[] };
    const described = await awsJson<{ imageDetails: { imageDigest: string }[] }>(server, "ecr", "describe-images", "--repository-name", "skopeo/app", "--image-ids", "imageTag=oci");
    const [image] = described.imageDetails;
    assert.ok(image);
    assert.equal(inspect.Digest, image.imageDigest);
    const tags = JSON.parse(await skopeo("list-tags", "--creds", creds, "--tls-verify=false", `docker://${host}/skopeo/app`)) as { Tags: string[] };
    assert.deepEqual(tags.Tags.sort(), ["docker", "oci"]);
  });

  it("copies images out to an OCI layout byte for byte, and to a Docker archive that runs", async () => {
    const out = join(work, "out");
    await skopeo("copy", "--src-creds", creds, "--src-tls-verify=false", `docker://${host}/skopeo/app:oci`, `oci:${out}:copied`);
    const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    const original = JSON.parse(readFileSync(join(work, "in", "index.json"), "utf8")) as { manifests: { digest: string }[] };
    const [copied] = index.manifests;
    const [source] = original.manifests;
    assert.ok(copied && source);
    assert.equal(copied.digest, source.digest, "the manifest came back unchanged");

    const archive = join(work, "out.tar");
    await skopeo("copy", "--src-creds", creds, "--src-tls-verify=false", `docker://${host}/skopeo/app:docker`, `docker-archive:${archive}:berth-skopeo-test:${markerId}`);
    if (dockerAvailable()) {
      const tag = `berth-skopeo-test:${markerId}`;
      await run("docker", ["load", "-i", archive]);
      try {
        assert.equal((await run("docker", ["run", "--rm", tag])).trim(), marker);
      } finally {
        await tryRun("docker", ["rmi", "-f", tag]);
      }
    }
  });

  it("refuses wrong credentials", async () => {
    const r = await tryRun("skopeo", ["--insecure-policy", "inspect", "--creds", "AWS:nope", "--tls-verify=false", `docker://${host}/skopeo/app:oci`]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /unauthorized|authentication required|invalid/i);
  });

  it("deletes an image", async () => {
    await skopeo("delete", "--creds", creds, "--tls-verify=false", `docker://${host}/skopeo/app:docker`);
    const r = await aws(server, "ecr", "describe-images", "--repository-name", "skopeo/app", "--image-ids", "imageTag=docker");
    assert.match(r.stderr, /ImageNotFoundException/);
  });
});
