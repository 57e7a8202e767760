import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Sqlite from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect, type Migration } from "kysely";
import { encodeDoc } from "../protocol/doc-codec.js";
import type { StoredService } from "./service-store.js";
import { migrations, type Database } from "./schema.js";
import { openSqliteStore } from "./sqlite-store.js";

const prefix = "arn:aws:ecs:us-east-1:000000000000";

describe("0009_inactive_since", () => {
  it("gives clusters, services and container instances already INACTIVE the time of the upgrade, in document and column", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-inactive-since-"));
    const file = join(dir, "berth.db");
    try {
      const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new Sqlite(file) }) });
      const migrator = new Migrator({
        db,
        provider: { getMigrations: () => Promise.resolve(Object.fromEntries(migrations("us-east-1")) as Record<string, Migration>) },
      });
      assert.equal((await migrator.migrateTo("0008_logs_query_definitions")).error, undefined);
      // The rows as the tables held them before 0009: no inactive_since column yet.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const raw = db as unknown as Kysely<any>;
      for (const [name, status] of [["gone", "INACTIVE"], ["live", "ACTIVE"]] as const) {
        const arn = `${prefix}:cluster/${name}`;
        await raw
          .insertInto("clusters")
          .values({ arn, name, status, created_at: 0, doc: encodeDoc({ clusterArn: arn, clusterName: name, status }) })
          .execute();
      }
      const serviceArn = `${prefix}:service/gone/web`;
      const service: StoredService = {
        service: { serviceArn, serviceName: "web", clusterArn: `${prefix}:cluster/gone`, status: "INACTIVE", schedulingStrategy: "REPLICA" },
      };
      await db
        .insertInto("services")
        .values({ arn: serviceArn, cluster_arn: service.service.clusterArn, name: "web", status: "INACTIVE", launch_type: null, scheduling_strategy: "REPLICA", created_at: 0, doc: encodeDoc(service) })
        .execute();
      const instanceArn = `${prefix}:container-instance/gone/i1`;
      await db
        .insertInto("container_instances")
        .values({ arn: instanceArn, cluster_arn: `${prefix}:cluster/gone`, id: "i1", status: "INACTIVE", registered_at: 0, doc: encodeDoc({ containerInstanceArn: instanceArn, status: "INACTIVE" }) })
        .execute();
      await db.destroy();

      const before = Date.now();
      const store = await openSqliteStore(file, "us-east-1");
      const after = Date.now();
      try {
        const stamped = await store.read(async (tx) => [
          ((await tx.getCluster(`${prefix}:cluster/gone`)) as { inactiveSince?: Date }).inactiveSince,
          (await tx.services.getService(serviceArn))?.inactiveSince,
          ((await tx.getContainerInstance(`${prefix}:cluster/gone`, instanceArn)) as { inactiveSince?: Date }).inactiveSince,
        ]);
        for (const time of stamped) assert.ok(time && time.getTime() >= before && time.getTime() <= after, `stamped at the upgrade: ${String(time)}`);
        assert.equal(((await store.read((tx) => tx.getCluster(`${prefix}:cluster/live`))) as { inactiveSince?: Date }).inactiveSince, undefined);
        // The columns agree: nothing is due before the upgrade, everything INACTIVE is after it.
        await store.tx(async (tx) => {
          assert.equal(await tx.services.forgetServices(new Date(before), 10), 0);
          assert.equal(await tx.forgetContainerInstances(new Date(before), 10), 0);
          assert.equal(await tx.services.forgetServices(new Date(after + 1), 10), 1);
          assert.equal(await tx.forgetContainerInstances(new Date(after + 1), 10), 1);
          assert.equal(await tx.forgetClusters(new Date(after + 1), 10), 1);
          assert.ok(await tx.getCluster(`${prefix}:cluster/live`));
        });
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
