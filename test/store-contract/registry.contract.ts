// The RegistryStore contract: repositories, manifests and their references,
// tags, garbage collection's candidates, uploads, scans and the vulnerability
// feed. Its tests build on each other, on one store.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RepositoryRecord } from "../../src/store/registry-store.js";
import { UniqueViolation, type Store } from "../../src/store/store.js";
import { openFresh, type OpenedStore, type StoreBackend } from "./backends.js";

const t0 = new Date("2024-01-01T00:00:00Z");
const at = (minutes: number): Date => new Date(t0.getTime() + minutes * 60_000);
const d = (n: number): string => `sha256:${n.toString(16).padStart(64, "0")}`;

function repo(name: string): RepositoryRecord {
  return {
    path: name,
    name,
    arn: `arn:aws:ecr:us-east-1:000000000000:repository/${name}`,
    createdAt: t0,
    imageTagMutability: "MUTABLE",
    scanOnPush: false,
    encryptionConfiguration: { encryptionType: "AES256" },
    tags: [{ Key: "team", Value: "a" }],
  };
}

export function registryContract(backend: StoreBackend): void {
  describe("RegistryStore", () => {
    let opened: OpenedStore;
    let store: Store;
    before(async () => {
      opened = await openFresh(backend);
      store = opened.store;
    });
    after(() => opened.cleanup());

    it("creates, reads, updates, lists and refuses duplicate repositories", async () => {
      await store.registry.tx((tx) => tx.insertRepository(repo("app/web")));
      await store.registry.tx((tx) => tx.insertRepository(repo("app/api")));
      await assert.rejects(
        store.registry.tx((tx) => tx.insertRepository(repo("app/web"))),
        (err) => err instanceof UniqueViolation,
      );
      const got = await store.registry.tx((tx) => tx.getRepository("app/web", "update"));
      assert.deepEqual(got, repo("app/web"));
      await store.registry.tx((tx) => tx.putRepository({ ...repo("app/web"), policy: "{}", lifecycleEvaluatedAt: at(1) }));
      const updated = await store.registry.tx((tx) => tx.getRepository("app/web"));
      assert.equal(updated?.policy, "{}");
      assert.deepEqual(updated?.lifecycleEvaluatedAt, at(1));
      const first = await store.registry.tx((tx) => tx.listRepositories({ limit: 1 }));
      assert.deepEqual(first.items.map((r) => r.name), ["app/api"]);
      const second = await store.registry.tx((tx) => tx.listRepositories({ limit: 1, after: first.next! }));
      assert.deepEqual(second.items.map((r) => r.name), ["app/web"]);
      assert.equal(second.next, undefined);
    });

    it("keeps manifests, references, tags and image listings", async () => {
      await store.registry.tx(async (tx) => {
        await tx.insertRepository(repo("imgs"));
        for (const n of [1, 2, 3]) {
          await tx.putBlob(d(n), n * 100, at(0));
          await tx.linkBlob("imgs", d(n), at(0));
        }
      });
      const manifest = {
        repository: "imgs",
        digest: d(10),
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        artifactType: "application/vnd.oci.image.config.v1+json",
        size: 500,
        content: '{"schemaVersion":2}',
        pushedAt: at(1),
      };
      const inserted = await store.registry.tx((tx) =>
        tx.insertManifest(manifest, [
          { digest: d(1), kind: "blob" },
          { digest: d(2), kind: "blob" },
        ]),
      );
      assert.equal(inserted, true);
      assert.equal(await store.registry.tx((tx) => tx.insertManifest(manifest, [])), false);
      await store.registry.tx((tx) => tx.insertManifest({ ...manifest, digest: d(11), pushedAt: at(2), subject: d(10) }, [{ digest: d(3), kind: "blob" }]));
      await store.registry.tx((tx) => tx.insertManifest({ ...manifest, digest: d(12), pushedAt: at(3), mediaType: "application/vnd.oci.image.index.v1+json" }, [{ digest: d(10), kind: "manifest" }]));
      assert.deepEqual(await store.registry.tx((tx) => tx.manifestParents("imgs", d(10))), [d(12)]);
      assert.deepEqual((await store.registry.tx((tx) => tx.referrers("imgs", d(10)))).map((m) => m.digest), [d(11)]);

      assert.deepEqual(await store.registry.tx((tx) => tx.setTag("imgs", "v1", d(10), at(1), true)), { written: true });
      assert.deepEqual(await store.registry.tx((tx) => tx.setTag("imgs", "v1", d(11), at(1), false)), { previous: d(10), written: false });
      assert.deepEqual(await store.registry.tx((tx) => tx.setTag("imgs", "v1", d(10), at(1), false)), { previous: d(10), written: true });
      assert.deepEqual(await store.registry.tx((tx) => tx.setTag("imgs", "latest", d(10), at(1), false)), { written: true });
      assert.deepEqual(await store.registry.tx((tx) => tx.setTag("imgs", "b", d(12), at(1), true)), { written: true });
      assert.deepEqual(await store.registry.tx((tx) => tx.setTag("imgs", "b", d(11), at(1), true)), { previous: d(12), written: true });

      const all = await store.registry.tx((tx) => tx.allImages("imgs"));
      assert.deepEqual(all.map((i) => [i.digest, i.tags]), [
        [d(10), ["latest", "v1"]],
        [d(11), ["b"]],
        [d(12), []],
      ]);
      const untagged = await store.registry.tx((tx) => tx.listImages("imgs", "UNTAGGED", { limit: 10 }));
      assert.deepEqual(untagged.items.map((i) => i.digest), [d(12)]);
      const tagged = await store.registry.tx((tx) => tx.listImages("imgs", "TAGGED", { limit: 1 }));
      assert.deepEqual(tagged.items.map((i) => i.digest), [d(10)]);
      assert.equal(tagged.next, d(10));

      const ids: { digest: string; tag?: string }[] = [];
      let after: string | undefined;
      do {
        const p = await store.registry.tx((tx) => tx.listImageIds("imgs", "ANY", { limit: 2, ...(after ? { after } : {}) }));
        ids.push(...p.items);
        after = p.next;
      } while (after);
      assert.deepEqual(ids, [
        { digest: d(10), tag: "latest" },
        { digest: d(10), tag: "v1" },
        { digest: d(11), tag: "b" },
        { digest: d(12) },
      ]);
      const tags = await store.registry.tx((tx) => tx.listTags("imgs", { limit: 2 }));
      assert.deepEqual(tags, { items: ["b", "latest"], next: "latest" });

      await store.registry.tx((tx) => tx.recordPull("imgs", d(10), at(5)));
      assert.deepEqual((await store.registry.tx((tx) => tx.getManifest("imgs", d(10))))?.lastPulledAt, at(5));

      await store.registry.tx((tx) => tx.deleteManifest("imgs", d(10)));
      assert.equal(await store.registry.tx((tx) => tx.getTag("imgs", "v1")), undefined);
      assert.equal(await store.registry.tx((tx) => tx.countManifests("imgs")), 2);
    });

    it("collects links and blobs nothing refers to, and only those", async () => {
      await store.registry.tx(async (tx) => {
        await tx.insertRepository(repo("gc"));
        for (const n of [20, 21, 22]) {
          await tx.putBlob(d(n), 10, at(0));
          await tx.linkBlob("gc", d(n), at(0));
        }
        await tx.insertManifest(
          { repository: "gc", digest: d(30), mediaType: "m", size: 10, content: "{}", pushedAt: at(0) },
          [{ digest: d(20), kind: "blob" }],
        );
      });
      // d(22) was touched recently (a push in progress): it survives this pass.
      const sizes = await store.registry.tx((tx) => tx.touchLinks("gc", [d(22), d(99)], at(100)));
      assert.deepEqual([...sizes], [[d(22), 10]]);
      await store.registry.tx((tx) => tx.putBlob(d(22), 10, at(100)));
      const dropped = await store.registry.tx((tx) => tx.dropUnreferencedLinks(at(50)));
      assert.ok(dropped >= 1);
      const deleted = await store.registry.tx((tx) => tx.deleteUnusedBlobs(at(50)));
      assert.ok(deleted.includes(d(21)));
      assert.ok(!deleted.includes(d(20)) && !deleted.includes(d(22)));
      assert.deepEqual(await store.registry.tx((tx) => tx.blobsExist([d(20), d(21), d(22)])), new Set([d(20), d(22)]));
      assert.equal(await store.registry.tx((tx) => tx.linkedBlob("gc", d(21))), undefined);
      assert.deepEqual(await store.registry.tx((tx) => tx.linkedBlob("gc", d(20))), { size: 10, linkedAt: at(0) });
    });

    it("tracks uploads, scans, previews and the vulnerability feed", async () => {
      await store.registry.tx(async (tx) => {
        await tx.insertUpload({ id: "u1", repository: "gc", startedAt: at(0), updatedAt: at(0) });
        await tx.insertUpload({ id: "u2", repository: "gc", startedAt: at(0), updatedAt: at(0) });
        await tx.touchUpload("u2", at(10));
      });
      assert.deepEqual(await store.registry.tx((tx) => tx.staleUploads(at(5))), ["u1"]);
      await store.registry.tx((tx) => tx.deleteUpload("u1"));
      assert.deepEqual(await store.registry.tx((tx) => tx.uploadsExist(["u1", "u2"])), new Set(["u2"]));

      await store.registry.tx((tx) =>
        tx.putScan({ repository: "gc", digest: d(30), status: "IN_PROGRESS", startedAt: at(1) }),
      );
      await store.registry.tx((tx) =>
        tx.putScan({
          repository: "gc",
          digest: d(30),
          status: "COMPLETE",
          startedAt: at(1),
          completedAt: at(2),
          findings: { findings: [], findingSeverityCounts: {}, imageScanCompletedAt: at(2) },
        }),
      );
      assert.deepEqual(await store.registry.tx((tx) => tx.scansWithStatus("COMPLETE")), [{ repository: "gc", digest: d(30) }]);
      const scan = await store.registry.tx((tx) => tx.getScan("gc", d(30)));
      assert.equal(scan?.status, "COMPLETE");
      assert.deepEqual(scan?.findings?.imageScanCompletedAt, at(2));

      await store.registry.tx((tx) => tx.putLifecyclePreview({ repository: "gc", status: "COMPLETE", policy: "{}", startedAt: at(3), result: "[]" }));
      assert.equal((await store.registry.tx((tx) => tx.getLifecyclePreview("gc")))?.result, "[]");

      await store.registry.tx((tx) =>
        tx.putVulnerabilities([
          { id: "CVE-1", ecosystem: "Debian:12", package: "openssl", modified: at(1), doc: "{}" },
          { id: "CVE-1", ecosystem: "Debian:12", package: "openssl", modified: at(2), doc: '{"v":2}' },
          { id: "CVE-2", ecosystem: "Alpine:v3.19", package: "musl", modified: at(3), doc: "{}" },
        ]),
      );
      const vulns = await store.registry.tx((tx) => tx.vulnerabilitiesFor(["openssl", "zlib"]));
      assert.deepEqual(vulns.map((v) => [v.id, v.doc]), [["CVE-1", '{"v":2}']]);
      assert.deepEqual(await store.registry.tx((tx) => tx.vulnerabilityFeedUpdatedAt()), at(3));
    });

    it("deletes a repository with everything it holds", async () => {
      await store.registry.tx((tx) => tx.deleteRepository("imgs"));
      assert.equal(await store.registry.tx((tx) => tx.getRepository("imgs")), undefined);
      assert.deepEqual(await store.registry.tx((tx) => tx.allImages("imgs")), []);
      assert.deepEqual((await store.registry.tx((tx) => tx.listTags("imgs", { limit: 10 }))).items, []);
    });
  });
}
