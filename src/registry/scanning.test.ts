// Basic scanning end to end: a tiny OSV feed of the test's making is
// imported, images carrying dpkg and apk databases are pushed, scan on push
// and StartImageScan run, and the aws CLI reads the findings in ECR's shape.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { aws, awsJson } from "../../test/kit/aws-cli.js";
import { startTestServer, type TestServer } from "../../test/kit/harness.js";
import { digestOf } from "./digest.js";
import { mediaTypes } from "./manifest.js";
import { V2Client } from "../../test/kit/registry.js";
import { importVulnDb } from "./vulndb.js";

const feed = [
  {
    id: "DSA-9999-1",
    aliases: ["CVE-2099-0001"],
    modified: "2024-05-01T00:00:00Z",
    summary: "openssl: a test flaw fixed in 3.0.11-1~deb12u2",
    severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }],
    affected: [
      {
        package: { ecosystem: "Debian:12", name: "openssl" },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "3.0.11-1~deb12u2" }] }],
      },
    ],
    references: [{ type: "ADVISORY", url: "https://example.org/DSA-9999-1" }],
  },
  {
    id: "CVE-2099-0002",
    modified: "2024-05-02T00:00:00Z",
    details: "zlib: fixed long ago, so the image is not affected",
    affected: [{ package: { ecosystem: "Debian:12", name: "zlib" }, ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "1:1.2.11.dfsg-1" }] }] }],
  },
  {
    id: "CVE-2099-0003",
    modified: "2024-05-03T00:00:00Z",
    summary: "bash: listed version",
    affected: [{ package: { ecosystem: "Debian", name: "bash" }, versions: ["5.2.15-2+b2"], database_specific: { severity: "low" } }],
  },
  {
    id: "CVE-2099-0004",
    modified: "2024-05-04T00:00:00Z",
    summary: "openssl on Alpine: another ecosystem, must not match the Debian image",
    affected: [{ package: { ecosystem: "Alpine:v3.19", name: "openssl" }, ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "9.9.9-r0" }] }] }],
  },
  {
    id: "CVE-2099-0005",
    modified: "2024-05-05T00:00:00Z",
    summary: "musl: fixed in r5",
    affected: [
      {
        package: { ecosystem: "Alpine:v3.19", name: "musl" },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "1.2.4_git20230717-r5" }] }],
        database_specific: { severity: "Medium" },
      },
    ],
  },
];

function dpkgEntry(name: string, version: string, source?: string): string {
  return [`Package: ${name}`, "Status: install ok installed", ...(source ? [`Source: ${source}`] : []), `Version: ${version}`, "Architecture: amd64", "Description: test", " package"].join("\n");
}

describe("basic image scanning", () => {
  let server: TestServer;
  let v2: V2Client;
  let work: string;

  /** A gzip layer holding the given files. */
  function layer(files: Record<string, string>): Buffer {
    const dir = mkdtempSync(join(work, "layer-"));
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    return gzipSync(execFileSync("tar", ["--owner=0", "--group=0", "-C", dir, "-cf", "-", "."]));
  }

  async function pushDockerImage(repository: string, tag: string, layers: Buffer[]): Promise<string> {
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
    const configDigest = await v2.pushBlob(repository, config);
    const descriptors = [];
    for (const l of layers) descriptors.push({ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", digest: await v2.pushBlob(repository, l), size: l.length });
    const manifest = { schemaVersion: 2, mediaType: mediaTypes.dockerManifest, config: { mediaType: mediaTypes.dockerConfig, digest: configDigest, size: config.length }, layers: descriptors };
    const r = await v2.pushManifest(repository, tag, manifest, mediaTypes.dockerManifest);
    assert.equal(r.status, 201, r.body.toString());
    return digestOf(JSON.stringify(manifest));
  }

  before(async () => {
    server = await startTestServer();
    v2 = new V2Client(server);
    work = mkdtempSync(join(tmpdir(), "berth-scan-"));
    writeFileSync(join(work, "feed.json"), JSON.stringify(feed.slice(0, 3)));
    writeFileSync(join(work, "alpine.jsonl"), feed.slice(3).map((r) => JSON.stringify(r)).join("\n"));
  });

  after(async () => {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("imports OSV files and refuses malformed ones", async () => {
    const report = await importVulnDb(server.cp.store, [join(work, "feed.json"), join(work, "alpine.jsonl")]);
    assert.deepEqual(report, { files: 2, records: 5, rows: 5 });
    writeFileSync(join(work, "bad.json"), JSON.stringify([{ summary: "no id" }]));
    await assert.rejects(importVulnDb(server.cp.store, [join(work, "bad.json")]), /has no "id"/);
  });

  it("scans on push and reports findings in ECR's shape", async () => {
    await awsJson(server, "ecr", "create-repository", "--repository-name", "scan/debian", "--image-scanning-configuration", "scanOnPush=true");
    const base = layer({
      "etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
      "var/lib/dpkg/status": [dpkgEntry("libssl3", "3.0.11-1~deb12u1", "openssl"), dpkgEntry("zlib1g", "1:1.2.13.dfsg-1", "zlib"), dpkgEntry("bash", "5.2.15-2+b2")].join("\n\n") + "\n",
    });
    const app = layer({ "app/hello.txt": "hello\n" });
    await pushDockerImage("scan/debian", "v1", [base, app]);
    const wait = await aws(server, "ecr", "wait", "image-scan-complete", "--repository-name", "scan/debian", "--image-id", "imageTag=v1");
    assert.equal(wait.code, 0, wait.stderr);
    const out = await awsJson<{
      imageScanStatus: { status: string };
      imageScanFindings: {
        findingSeverityCounts: Record<string, number>;
        findings: { name: string; severity: string; uri: string; attributes: { key: string; value: string }[] }[];
        imageScanCompletedAt: number;
        vulnerabilitySourceUpdatedAt: number;
      };
    }>(server, "ecr", "describe-image-scan-findings", "--repository-name", "scan/debian", "--image-id", "imageTag=v1");
    assert.equal(out.imageScanStatus.status, "COMPLETE");
    const f = out.imageScanFindings;
    assert.deepEqual(f.findings.map((x) => [x.name, x.severity]), [
      ["CVE-2099-0001", "CRITICAL"],
      ["CVE-2099-0003", "LOW"],
    ]);
    assert.deepEqual(f.findingSeverityCounts, { CRITICAL: 1, LOW: 1 });
    const [openssl] = f.findings;
    assert.ok(openssl);
    assert.equal(openssl.uri, "https://example.org/DSA-9999-1");
    assert.deepEqual(
      Object.fromEntries(openssl.attributes.map((a) => [a.key, a.value])),
      { package_version: "3.0.11-1~deb12u1", package_name: "libssl3", CVSS3_VECTOR: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", CVSS3_SCORE: "9.8" },
    );
    assert.equal(typeof f.imageScanCompletedAt, "number");
    assert.equal(f.vulnerabilitySourceUpdatedAt, Date.parse("2024-05-05T00:00:00Z") / 1000);
    const described = await awsJson<{ imageDetails: { imageScanStatus: { status: string }; imageScanFindingsSummary: { findingSeverityCounts: Record<string, number> } }[] }>(
      server,
      "ecr",
      "describe-images",
      "--repository-name",
      "scan/debian",
    );
    const [image] = described.imageDetails;
    assert.ok(image);
    assert.equal(image.imageScanStatus.status, "COMPLETE");
    assert.deepEqual(image.imageScanFindingsSummary.findingSeverityCounts, { CRITICAL: 1, LOW: 1 });
  });

  it("sees an upgrade in a later layer, and scans on request", async () => {
    await awsJson(server, "ecr", "create-repository", "--repository-name", "scan/manual");
    const base = layer({ "etc/os-release": "ID=debian\nVERSION_ID=12\n", "var/lib/dpkg/status": dpkgEntry("libssl3", "3.0.11-1~deb12u1", "openssl") + "\n" });
    const upgrade = layer({ "var/lib/dpkg/status": dpkgEntry("libssl3", "3.0.11-1~deb12u2", "openssl") + "\n" });
    await pushDockerImage("scan/manual", "patched", [base, upgrade]);
    const notYet = await aws(server, "ecr", "describe-image-scan-findings", "--repository-name", "scan/manual", "--image-id", "imageTag=patched");
    assert.match(notYet.stderr, /ScanNotFoundException/);
    const started = await awsJson<{ imageScanStatus: { status: string } }>(server, "ecr", "start-image-scan", "--repository-name", "scan/manual", "--image-id", "imageTag=patched");
    assert.equal(started.imageScanStatus.status, "IN_PROGRESS");
    assert.equal((await aws(server, "ecr", "wait", "image-scan-complete", "--repository-name", "scan/manual", "--image-id", "imageTag=patched")).code, 0);
    const out = await awsJson<{ imageScanFindings: { findings: unknown[]; findingSeverityCounts: Record<string, number> } }>(
      server,
      "ecr",
      "describe-image-scan-findings",
      "--repository-name",
      "scan/manual",
      "--image-id",
      "imageTag=patched",
    );
    assert.deepEqual(out.imageScanFindings.findings, []);
  });

  it("matches apk packages against Alpine records", async () => {
    await awsJson(server, "ecr", "create-repository", "--repository-name", "scan/alpine", "--image-scanning-configuration", "scanOnPush=true");
    const base = layer({
      "etc/os-release": "ID=alpine\nVERSION_ID=3.19.1\n",
      "lib/apk/db/installed": "C:Q1abc=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\no:musl\n\nC:Q1def=\nP:libssl3\nV:3.1.4-r5\no:openssl\n\n",
    });
    await pushDockerImage("scan/alpine", "3.19", [base]);
    assert.equal((await aws(server, "ecr", "wait", "image-scan-complete", "--repository-name", "scan/alpine", "--image-id", "imageTag=3.19")).code, 0);
    const out = await awsJson<{ imageScanFindings: { findings: { name: string; severity: string }[] } }>(
      server,
      "ecr",
      "describe-image-scan-findings",
      "--repository-name",
      "scan/alpine",
      "--image-id",
      "imageTag=3.19",
    );
    assert.deepEqual(out.imageScanFindings.findings.map((x) => [x.name, x.severity]), [
      ["CVE-2099-0005", "MEDIUM"],
      ["CVE-2099-0004", "UNDEFINED"],
    ]);
  });

  it("reports images without a package database as unsupported", async () => {
    await awsJson(server, "ecr", "create-repository", "--repository-name", "scan/scratch");
    await pushDockerImage("scan/scratch", "bare", [layer({ "bin/tool": "binary" })]);
    await awsJson(server, "ecr", "start-image-scan", "--repository-name", "scan/scratch", "--image-id", "imageTag=bare");
    const status = await (async () => {
      for (let i = 0; i < 50; i++) {
        const r = await awsJson<{ imageScanStatus: { status: string; description: string } }>(
          server,
          "ecr",
          "describe-image-scan-findings",
          "--repository-name",
          "scan/scratch",
          "--image-id",
          "imageTag=bare",
        );
        if (r.imageScanStatus.status !== "IN_PROGRESS") return r.imageScanStatus;
        await new Promise((res) => setTimeout(res, 100));
      }
      return undefined;
    })();
    assert.equal(status?.status, "UNSUPPORTED_IMAGE");
    assert.match(status?.description ?? "", /not supported/);
  });
});
