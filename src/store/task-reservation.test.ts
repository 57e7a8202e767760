// What a task holds on its instance, read from its document; and the migrations that
// give tasks written before the reservation column theirs, and count them per instance.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Sqlite from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect, type Migration } from "kysely";
import type { Task } from "../model/generated/ecs.js";
import { encodeDoc } from "../protocol/doc-codec.js";
import { migrations, type Database } from "./schema.js";
import { openSqliteStore } from "./sqlite-store.js";
import { reservationOf } from "./task-reservation.js";

const cluster = "arn:aws:ecs:us-east-1:000000000000:cluster/web";
const instance = "arn:aws:ecs:us-east-1:000000000000:container-instance/web/i1";

const task: Task = {
  taskArn: "arn:aws:ecs:us-east-1:000000000000:task/web/t1",
  clusterArn: cluster,
  containerInstanceArn: instance,
  taskDefinitionArn: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
  lastStatus: "RUNNING",
  desiredStatus: "RUNNING",
  cpu: "256",
  memory: "512",
  group: "service:web",
  containers: [
    { name: "app", networkBindings: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, hostPort: 5353, protocol: "udp" }] },
    { name: "side", networkBindings: [{ containerPort: 9000, hostPort: 9000, protocol: "tcp" }] },
  ],
  attachments: [{ type: "ElasticNetworkInterface", details: [{ name: "privateIPv4Address", value: "10.0.0.7" }] }],
};

describe("reservationOf", () => {
  it("reads cpu, memory, host ports by protocol, the ENI's address and the group", () => {
    assert.deepEqual(reservationOf(task), { cpu: 256, memory: 512, tcpPorts: [8080, 9000], udpPorts: [5353], address: "10.0.0.7", group: "service:web" });
    assert.deepEqual(reservationOf({ cpu: "128" }), { cpu: 128, memory: 0, tcpPorts: [], udpPorts: [] });
  });
});

describe("0006_task_reservations and 0007_live_reservations", () => {
  it("give tasks written before them their reservation, from their documents, counted per instance", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-reservations-"));
    const file = join(dir, "berth.db");
    try {
      const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new Sqlite(file) }) });
      const migrator = new Migrator({
        db,
        provider: { getMigrations: () => Promise.resolve(Object.fromEntries(migrations("us-east-1")) as Record<string, Migration>) },
      });
      assert.equal((await migrator.migrateTo("0005_services")).error, undefined);
      // The rows as 0004's table holds them: no reservation column yet.
      for (const arn of [task.taskArn!, `${task.taskArn!}-twin`]) {
        await db
          .insertInto("tasks")
          .values({
            arn,
            cluster_arn: cluster,
            container_instance_arn: instance,
            family: "web",
            started_by: null,
            group_name: "service:web",
            launch_type: "EC2",
            last_status: "RUNNING",
            desired_status: "RUNNING",
            created_at: 0,
            stopped_at: null,
            doc: encodeDoc({ ...task, taskArn: arn }),
          } as Database["tasks"])
          .execute();
      }
      await db.destroy();

      const store = await openSqliteStore(file, "us-east-1");
      try {
        const held = await store.read((tx) => tx.liveReservations(cluster));
        assert.deepEqual(JSON.parse(JSON.stringify(held)) as unknown, [{ containerInstanceArn: instance, ...reservationOf(task), tasks: 2 }]);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
