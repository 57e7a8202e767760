// Manifest parsing: the four kinds, what each refers to, and what is refused.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { digestOf } from "./digest.js";
import { RegistryError } from "./errors.js";
import { mediaTypes, parseManifest } from "./manifest.js";

const d = (s: string): string => digestOf(s);
const layer = (s: string, size = 10): object => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: d(s), size });
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

describe("parseManifest", () => {
  it("reads an OCI image manifest", () => {
    const m = parseManifest(
      json({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { mediaType: mediaTypes.ociConfig, digest: d("c"), size: 5 }, layers: [layer("a", 7), layer("b", 8)] }),
    );
    assert.equal(m.mediaType, mediaTypes.ociManifest);
    assert.deepEqual(m.blobs, [d("c"), d("a"), d("b")]);
    assert.equal(m.size, 15);
    assert.equal(m.artifactType, mediaTypes.ociConfig);
  });

  it("takes the media type from Content-Type when the manifest names none", () => {
    const m = parseManifest(json({ schemaVersion: 2, config: { mediaType: mediaTypes.dockerConfig, digest: d("c"), size: 5 }, layers: [layer("a")] }), `${mediaTypes.dockerManifest}; charset=utf-8`);
    assert.equal(m.mediaType, mediaTypes.dockerManifest);
  });

  it("reads indexes and manifest lists, with their children", () => {
    const child = { mediaType: mediaTypes.ociManifest, digest: d("m1"), size: 100, platform: { os: "linux", architecture: "amd64" } };
    const idx = parseManifest(json({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [child] }));
    assert.deepEqual(idx.manifests, [d("m1")]);
    assert.deepEqual(idx.blobs, []);
    const list = parseManifest(json({ schemaVersion: 2, mediaType: mediaTypes.dockerList, manifests: [{ ...child, mediaType: mediaTypes.dockerManifest }] }));
    assert.equal(list.mediaType, mediaTypes.dockerList);
  });

  it("reads an artifact with a subject", () => {
    const m = parseManifest(
      json({
        schemaVersion: 2,
        mediaType: mediaTypes.ociManifest,
        artifactType: "application/vnd.example.sbom",
        config: { mediaType: mediaTypes.ociEmpty, digest: d("{}"), size: 2 },
        layers: [layer("sbom")],
        subject: { mediaType: mediaTypes.ociManifest, digest: d("img"), size: 500 },
      }),
    );
    assert.equal(m.subject?.digest, d("img"));
    assert.equal(m.artifactType, "application/vnd.example.sbom");
  });

  it("does not require foreign layers to be in the registry", () => {
    const foreign = { mediaType: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", digest: d("win"), size: 9, urls: ["https://example.com/layer"] };
    const m = parseManifest(json({ schemaVersion: 2, mediaType: mediaTypes.dockerManifest, config: { mediaType: mediaTypes.dockerConfig, digest: d("c"), size: 1 }, layers: [foreign, layer("a")] }));
    assert.deepEqual(m.blobs, [d("c"), d("a")]);
  });

  const bad: [string, Buffer, string | undefined, RegExp][] = [
    ["not JSON", Buffer.from("{"), undefined, /not valid JSON/],
    ["not UTF-8", Buffer.from([0x7b, 0xff, 0x7d]), undefined, /not UTF-8/],
    ["schema 1", json({ schemaVersion: 1, name: "x", tag: "y", fsLayers: [] }), undefined, /schema 1/],
    ["a wrong schemaVersion", json({ schemaVersion: 3, mediaType: mediaTypes.ociManifest }), undefined, /schemaVersion must be 2/],
    ["a bad digest", json({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { mediaType: mediaTypes.ociConfig, digest: "sha256:xyz", size: 1 }, layers: [] }), undefined, /config.digest/],
    ["a negative size", json({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { mediaType: mediaTypes.ociConfig, digest: d("c"), size: -1 }, layers: [] }), undefined, /size/],
    ["disagreeing types", json({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { mediaType: mediaTypes.ociConfig, digest: d("c"), size: 1 }, layers: [] }), mediaTypes.dockerManifest, /does not match/],
    ["an unknown type", json({ schemaVersion: 2, mediaType: "application/x-nope" }), undefined, /unsupported manifest media type/],
    ["an artifact without artifactType", json({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { mediaType: mediaTypes.ociEmpty, digest: d("{}"), size: 2 }, layers: [] }), undefined, /artifactType/],
    ["an index with layers", json({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [], layers: [] }), undefined, /not config or layers/],
  ];
  for (const [name, body, type, message] of bad) {
    it(`refuses ${name} with MANIFEST_INVALID`, () => {
      assert.throws(() => parseManifest(body, type), (err) => err instanceof RegistryError && err.code === "MANIFEST_INVALID" && message.test(err.message));
    });
  }
});
