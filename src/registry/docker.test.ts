// The docker CLI against Berth's registry, as a user drives it: get-login-password
// into docker login, build FROM scratch, push, push again, rmi, pull, run;
// immutable tags; a repository that does not exist; deletion then GC freeing disk.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { aws, awsJson } from "../../test/kit/aws-cli.js";
import { startTestServer, type TestServer } from "../../test/kit/harness.js";
import { collectGarbage, checkConsistency } from "./gc.js";
import { registryDir } from "./registry.js";
import { dockerAvailable, registryOf, run, tryRun } from "../../test/kit/registry.js";

const hasDocker = dockerAvailable();
if (!hasDocker) console.log("# docker tests skipped: no Docker Engine answers `docker info`");

/** Bytes of blob files under the registry's data directory. */
function blobBytes(server: TestServer): number {
  let total = 0;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else total += s.size;
    }
  };
  walk(join(registryDir(server.dataDir), "blobs"));
  return total;
}

describe("docker CLI", { skip: !hasDocker }, () => {
  let server: TestServer;
  let host: string;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const images: string[] = [];

  /** Builds a busybox image FROM scratch whose first layer is unique, so no other image shares its layers. */
  async function build(tag: string, marker: string, extraBytes = 0): Promise<void> {
    const dir = mkdtempSync(join(work, "ctx-"));
    copyFileSync("/bin/busybox", join(dir, "busybox"));
    writeFileSync(join(dir, "marker"), `${marker}\n`);
    writeFileSync(join(dir, "payload"), randomBytes(extraBytes));
    writeFileSync(
      join(dir, "Dockerfile"),
      [
        "FROM scratch",
        "COPY marker /marker",
        "COPY busybox /bin/busybox",
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
        "COPY payload /payload",
        'CMD ["/bin/sh", "-c", "cat /marker"]',
      ].join("\n"),
    );
    const id = (await run("docker", ["build", "-q", "-t", tag, dir], env)).trim();
    // By id as well: an image whose tag moved to a newer build keeps no tag to remove it by.
    images.push(tag, id);
  }

  before(async () => {
    server = await startTestServer();
    host = new URL(server.url).host;
    work = mkdtempSync(join(tmpdir(), "berth-docker-"));
    mkdirSync(join(work, "docker-config"));
    // Its own docker config, so the login never touches the user's.
    env = { ...process.env, DOCKER_CONFIG: join(work, "docker-config") };
    const password = (await aws(server, "ecr", "get-login-password")).stdout.trim();
    const login = await run("docker", ["login", "--username", "AWS", "--password-stdin", host], env, password);
    assert.match(login, /Login Succeeded/);
  });

  after(async () => {
    for (const tag of images) await tryRun("docker", ["rmi", "-f", tag], env);
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("pushes, pushes again without uploading, and pulls and runs after rmi", async () => {
    await awsJson(server, "ecr", "create-repository", "--repository-name", "docker/app");
    const marker = `hello ${randomBytes(6).toString("hex")}`;
    const tag = `${host}/docker/app:1`;
    await build(tag, marker, 1_000_000);
    const push = await run("docker", ["push", tag], env);
    assert.match(push, /Pushed/);
    assert.match(push, /1: digest: sha256:[0-9a-f]{64}/);

    const again = await run("docker", ["push", tag], env);
    assert.doesNotMatch(again, /Pushed/);
    assert.match(again, /Layer already exists/);
    const retag = `${host}/docker/app:2`;
    await run("docker", ["tag", tag, retag], env);
    images.push(retag);
    const second = await run("docker", ["push", retag], env);
    assert.doesNotMatch(second, /Pushed/, "a new tag of the same image uploads no layer");

    await run("docker", ["rmi", tag, retag], env);
    const pull = await run("docker", ["pull", tag], env);
    assert.match(pull, /Pull complete/, "the layers were downloaded, not found locally");
    assert.equal((await run("docker", ["run", "--rm", tag], env)).trim(), marker);

    const described = await awsJson<{ imageDetails: { imageTags: string[]; imageManifestMediaType: string; imageSizeInBytes: number; lastRecordedPullTime?: number }[] }>(
      server,
      "ecr",
      "describe-images",
      "--repository-name",
      "docker/app",
    );
    assert.equal(described.imageDetails.length, 1);
    const [d] = described.imageDetails;
    assert.ok(d);
    assert.deepEqual([...d.imageTags].sort(), ["1", "2"]);
    assert.equal(d.imageManifestMediaType, "application/vnd.docker.distribution.manifest.v2+json");
    assert.ok(d.imageSizeInBytes > 1_000_000);
    assert.equal(typeof d.lastRecordedPullTime, "number");
  });

  it("refuses a push to a repository that does not exist", async () => {
    const tag = `${host}/docker/missing:1`;
    await build(tag, "nobody");
    const r = await tryRun("docker", ["push", tag], env);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /name unknown|does not exist/);
  });

  it("refuses to overwrite an immutable tag", async () => {
    await awsJson(server, "ecr", "create-repository", "--repository-name", "docker/frozen", "--image-tag-mutability", "IMMUTABLE");
    const tag = `${host}/docker/frozen:1.0`;
    await build(tag, "first");
    await run("docker", ["push", tag], env);
    await build(tag, "second");
    const r = await tryRun("docker", ["push", tag], env);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /tag invalid|immutable/);
  });

  it("refuses a push without a valid login", async () => {
    const tag = `${host}/docker/app:anon`;
    await build(tag, "anonymous");
    const anonymous = { ...env, DOCKER_CONFIG: mkdtempSync(join(work, "empty-config-")) };
    const r = await tryRun("docker", ["push", tag], anonymous);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /no basic auth credentials|unauthorized|authentication required/);
    const bad = await tryRun("docker", ["login", "--username", "AWS", "--password-stdin", host], anonymous, "not-a-token");
    assert.notEqual(bad.status, 0);
  });

  it("frees disk when images are deleted and garbage is collected", async () => {
    await awsJson(server, "ecr", "create-repository", "--repository-name", "docker/gc");
    const tag = `${host}/docker/gc:1`;
    await build(tag, `gc ${randomBytes(4).toString("hex")}`, 3_000_000);
    await run("docker", ["push", tag], env);
    const registry = registryOf(server);
    const before = blobBytes(server);
    const deleted = await awsJson<{ imageIds: unknown[]; failures: unknown[] }>(server, "ecr", "batch-delete-image", "--repository-name", "docker/gc", "--image-ids", "imageTag=1");
    assert.equal(deleted.imageIds.length, 1);
    assert.deepEqual(deleted.failures, []);
    const report = await collectGarbage(registry, { graceMs: 0 });
    const afterBytes = blobBytes(server);
    assert.ok(report.bytesFreed >= 3_000_000, JSON.stringify(report));
    assert.ok(before - afterBytes >= 3_000_000, `blob bytes went from ${before} to ${afterBytes}`);
    assert.deepEqual(await checkConsistency(registry), []);
    // What other repositories use survives: docker/app still pulls.
    await run("docker", ["rmi", `${host}/docker/app:1`], env);
    assert.match(await run("docker", ["pull", `${host}/docker/app:1`], env), /Pull complete|Downloaded newer image/);
  });
});
