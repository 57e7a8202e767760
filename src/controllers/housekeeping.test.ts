// Housekeeping on a fake clock: what ended is kept an hour, then forgotten, clusters
// after what they held; and the same seen by a client, deleted resources describable
// as INACTIVE at first, then gone as ECS answers for what it no longer knows.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import pino from "pino";
import {
  ClusterNotFoundException,
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteClusterCommand,
  DeleteServiceCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  RegisterTaskDefinitionCommand,
} from "@aws-sdk/client-ecs";
import { TaskHooks } from "../ecs/task-hooks.js";
import type { Cluster, ContainerInstance, Task } from "../model/generated/ecs.js";
import type { StoredService } from "../store/service-store.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import type { InactiveSince, Store } from "../store/store.js";
import { startTestServer, type TestServer } from "../../test/kit/harness.js";
import { requirePostgresUrl } from "../../test/kit/postgres.js";
import { ManualClock } from "../../test/kit/agent/manual-clock.js";
import { eventually } from "../../test/kit/simulated-agent.js";
import { forgetEnded, housekeepingSubsystem, keptAfterEndMs } from "./housekeeping.js";

const prefix = "arn:aws:ecs:us-east-1:000000000000";
const minute = 60_000;
const start = Date.UTC(2025, 0, 1);
const at = (minutes: number): Date => new Date(start + minutes * minute);
const clusterArn = (name: string): string => `${prefix}:cluster/${name}`;
const serviceArn = (cluster: string, name: string): string => `${prefix}:service/${cluster}/${name}`;
const instanceArn = (cluster: string, id: string): string => `${prefix}:container-instance/${cluster}/${id}`;
const taskArn = `${prefix}:task/keep/t1`;

const deletedCluster = (name: string, since: Date): Cluster & InactiveSince => ({ clusterArn: clusterArn(name), clusterName: name, status: "INACTIVE", inactiveSince: since });
const deletedService = (cluster: string, name: string, since: Date): StoredService => ({
  service: { serviceArn: serviceArn(cluster, name), serviceName: name, clusterArn: clusterArn(cluster), status: "INACTIVE", schedulingStrategy: "REPLICA" },
  inactiveSince: since,
});
const deregistered = (cluster: string, id: string, since: Date): ContainerInstance & InactiveSince => ({
  containerInstanceArn: instanceArn(cluster, id),
  status: "INACTIVE",
  inactiveSince: since,
});
const stoppedTask: Task = {
  taskArn,
  clusterArn: clusterArn("keep"),
  taskDefinitionArn: `${prefix}:task-definition/app:1`,
  lastStatus: "STOPPED",
  desiredStatus: "STOPPED",
  launchType: "EC2",
  createdAt: at(0),
  stoppedAt: at(0),
};

describe("Housekeeping, on a fake clock", () => {
  let dir: string;
  let store: Store;
  const clock = new ManualClock(start);
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "berth-housekeeping-"));
    store = await openSqliteStore(join(dir, "berth.db"), "us-east-1");
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What is still stored, by name. */
  const remaining = (): Promise<string[]> =>
    store.read(async (tx) => {
      const found: string[] = [];
      if (await tx.getCluster(clusterArn("gone"))) found.push("cluster gone");
      if (await tx.getCluster(clusterArn("keep"))) found.push("cluster keep");
      if (await tx.services.getService(serviceArn("gone", "old"))) found.push("service old");
      if (await tx.services.getService(serviceArn("keep", "svc"))) found.push("service svc");
      if (await tx.getContainerInstance(clusterArn("gone"), instanceArn("gone", "i1"))) found.push("instance i1");
      if (await tx.getTask(taskArn)) found.push("task t1");
      return found;
    });

  it("forgets each thing an hour after it ended, and a cluster once what it held is gone too", async () => {
    await store.tx(async (tx) => {
      await tx.insertCluster({ clusterArn: clusterArn("gone"), clusterName: "gone", status: "ACTIVE" });
      await tx.insertCluster({ clusterArn: clusterArn("keep"), clusterName: "keep", status: "ACTIVE" });
      await tx.services.insertService(deletedService("gone", "old", at(0)));
      await tx.services.insertService(deletedService("keep", "svc", at(30)));
      await tx.insertContainerInstance(clusterArn("gone"), deregistered("gone", "i1", at(10)));
      await tx.putCluster(deletedCluster("gone", at(0)));
      await tx.insertTask(stoppedTask);
    });
    const housekeeping = housekeepingSubsystem({
      store,
      hooks: new TaskHooks(store, (err) => assert.fail(String(err))),
      clock,
      logger: pino({ level: "silent" }),
      placeEveryMs: 60_000,
      forgetEveryMs: 5,
    });
    const everything = ["cluster gone", "cluster keep", "service old", "service svc", "instance i1", "task t1"];
    housekeeping.start?.();
    try {
      await clock.advance(59 * minute);
      // Several passes at minute 59: nothing has been over for an hour yet.
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(await remaining(), everything);
      await clock.advance(2 * minute);
      // The cluster's deregistered instance has 10 minutes to go, so the cluster waits for it.
      await eventually("the service and task ended at minute 0 to go", async () => (await remaining()).length === 4);
      assert.deepEqual(await remaining(), ["cluster gone", "cluster keep", "service svc", "instance i1"]);
      await clock.advance(10 * minute);
      await eventually("the instance, and the cluster with it, to go", async () => (await remaining()).length === 2);
      assert.deepEqual(await remaining(), ["cluster keep", "service svc"]);
      await clock.advance(20 * minute);
      await eventually("the service deleted at minute 30 to go", async () => (await remaining()).length === 1);
      assert.deepEqual(await remaining(), ["cluster keep"]);
    } finally {
      await housekeeping.stop?.();
    }
  });

  it("forgetEnded forgets in batches until nothing is due", async () => {
    await store.tx(async (tx) => {
      for (let i = 0; i < 250; i++) await tx.services.insertService(deletedService("keep", `s${i}`, at(0)));
    });
    assert.deepEqual(await forgetEnded(store, at(1)), { tasks: 0, services: 250, containerInstances: 0, clusters: 0 });
    assert.deepEqual(await forgetEnded(store, at(1)), { tasks: 0, services: 0, containerInstances: 0, clusters: 0 });
  });
});

const kinds: ("sqlite" | "postgres")[] = requirePostgresUrl() ? ["sqlite", "postgres"] : ["sqlite"];

for (const kind of kinds) {
  describe(`Deleted services and clusters, through the SDK, on a fake clock (${kind})`, () => {
    const clock = new ManualClock(Date.now());
    let server: TestServer;
    beforeEach(async () => {
      server = await startTestServer({ clock, store: kind });
    });
    afterEach(() => server.stop());

    /** One pass of what the control plane's housekeeping runs every 5 minutes, at the clock's time. */
    const housekeepingPass = () => forgetEnded(server.cp.store, new Date(clock.now().getTime() - keptAfterEndMs));

    it("are describable as INACTIVE right after deletion, and gone an hour later", async () => {
      // A client per request: the SDK resets its clock offset from each answer's Date header, which is the machine's time.
      const ecs = () => server.ecs();
      await ecs().send(new CreateClusterCommand({ clusterName: "apps" }));
      await ecs().send(new CreateClusterCommand({ clusterName: "scratch" }));
      await ecs().send(new RegisterTaskDefinitionCommand({ family: "web", containerDefinitions: [{ name: "web", image: "busybox", memory: 64 }] }));
      await ecs().send(new CreateServiceCommand({ cluster: "apps", serviceName: "web", taskDefinition: "web", desiredCount: 0 }));
      await ecs().send(new DeleteServiceCommand({ cluster: "apps", service: "web" }));
      const deletedCluster = await ecs().send(new DeleteClusterCommand({ cluster: "scratch" }));
      assert.equal(deletedCluster.cluster?.status, "INACTIVE");
      // DRAINING until the service scheduler has seen it has no tasks left.
      await eventually("the service to be INACTIVE", async () => {
        const { services } = await ecs().send(new DescribeServicesCommand({ cluster: "apps", services: ["web"] }));
        return services?.[0]?.status === "INACTIVE";
      });

      await clock.advance(59 * minute);
      await housekeepingPass();
      const { services } = await ecs().send(new DescribeServicesCommand({ cluster: "apps", services: ["web"] }));
      assert.equal(services?.[0]?.status, "INACTIVE");
      const { clusters } = await ecs().send(new DescribeClustersCommand({ clusters: ["scratch"] }));
      assert.equal(clusters?.[0]?.status, "INACTIVE");

      await clock.advance(2 * minute);
      await housekeepingPass();
      const service = await ecs().send(new DescribeServicesCommand({ cluster: "apps", services: ["web"] }));
      assert.deepEqual(service.services, []);
      assert.deepEqual(service.failures, [{ arn: serviceArn("apps", "web"), reason: "MISSING" }]);
      const cluster = await ecs().send(new DescribeClustersCommand({ clusters: ["scratch"] }));
      assert.deepEqual(cluster.clusters, []);
      assert.deepEqual(cluster.failures, [{ arn: clusterArn("scratch"), reason: "MISSING" }]);
      await assert.rejects(ecs().send(new DescribeServicesCommand({ cluster: "scratch", services: ["web"] })), ClusterNotFoundException);
      // The cluster the service was in lives on.
      assert.equal((await ecs().send(new DescribeClustersCommand({ clusters: ["apps"] }))).clusters?.[0]?.status, "ACTIVE");
    });
  });
}
