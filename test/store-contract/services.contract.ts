// The ServiceTx contract: services, deployments as ServiceDeployments, revisions,
// bounded events, the task ledger, instance liveness and the controller lease.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StoredDeployment, StoredService } from "../../src/store/service-store.js";
import { BadPageKey, type Store } from "../../src/store/store.js";
import { openFresh, type StoreBackend } from "./backends.js";

const prefix = "arn:aws:ecs:us-east-1:000000000000";
const clusterArn = `${prefix}:cluster/c`;
const serviceArn = (name: string, cluster = "c"): string => `${prefix}:service/${cluster}/${name}`;

function service(name: string, extra: Partial<StoredService["service"]> = {}, cluster = "c"): StoredService {
  return {
    service: {
      serviceArn: serviceArn(name, cluster),
      serviceName: name,
      clusterArn: `${prefix}:cluster/${cluster}`,
      status: "ACTIVE",
      schedulingStrategy: "REPLICA",
      launchType: "EC2",
      desiredCount: 1,
      createdAt: new Date(1000),
      ...extra,
    },
  };
}

function deployment(id: string, svc: string, createdAt: number, status: StoredDeployment["serviceDeployment"]["status"] = "SUCCESSFUL"): StoredDeployment {
  return {
    id,
    serviceArn: serviceArn(svc),
    clusterArn,
    serviceDeploymentArn: `${prefix}:service-deployment/c/${svc}/${id.slice(-6)}`,
    serviceRevisionArn: `${prefix}:service-revision/c/${svc}/${id.slice(8)}`,
    status: "ACTIVE",
    spec: { taskDefinition: `${prefix}:task-definition/f:1`, placementConstraints: [], placementStrategy: [] },
    rolloutState: "COMPLETED",
    rolloutStateReason: "done",
    failedTasks: 0,
    createdAt: new Date(createdAt),
    updatedAt: new Date(createdAt),
    serviceDeployment: {
      status,
      updatedAt: new Date(createdAt),
      sourceServiceRevisions: [],
      deploymentConfiguration: {},
      circuitBreaker: { status: "DISABLED", failureCount: 0, threshold: 3 },
    },
  };
}

export function serviceContract(backend: StoreBackend): void {
  describe("ServiceTx", () => {
    const withStore = async (fn: (store: Store) => Promise<void>): Promise<void> => {
      const o = await openFresh(backend);
      try {
        await fn(o.store);
      } finally {
        await o.cleanup();
      }
    };

    it("stores services, counts the ACTIVE ones, lists ACTIVE and DRAINING with filters and pages", () =>
      withStore(async (store) => {
        await store.tx(async (tx) => {
          await tx.services.insertService(service("a"));
          await tx.services.insertService(service("b", { launchType: "FARGATE" }));
          await tx.services.insertService(service("c", { schedulingStrategy: "DAEMON" }));
          await tx.services.insertService(service("d", { status: "DRAINING" }));
          await tx.services.insertService(service("e", { status: "INACTIVE" }));
          await tx.services.insertService(service("x", {}, "other"));
        });
        await store.tx(async (tx) => {
          assert.equal((await tx.clusterUsage(clusterArn)).activeServicesCount, 3);
          assert.equal((await tx.clusterUsage(clusterArn)).activeServicesCount, 3);
          assert.deepEqual(await tx.services.getService(serviceArn("b")), service("b", { launchType: "FARGATE" }));
          const all = await tx.services.listServices({ clusterArn, limit: 10 });
          assert.deepEqual(all.items.map((s) => s.service.serviceName), ["a", "b", "c", "d"]);
          const fargate = await tx.services.listServices({ clusterArn, limit: 10, launchType: "FARGATE" });
          assert.deepEqual(fargate.items.map((s) => s.service.serviceName), ["b"]);
          const daemon = await tx.services.listServices({ clusterArn, limit: 10, schedulingStrategy: "DAEMON" });
          assert.deepEqual(daemon.items.map((s) => s.service.serviceName), ["c"]);
          const first = await tx.services.listServices({ clusterArn, limit: 3 });
          assert.equal(first.items.length, 3);
          const rest = await tx.services.listServices({ clusterArn, limit: 3, after: first.next! });
          assert.deepEqual(rest.items.map((s) => s.service.serviceName), ["d"]);
          assert.equal(rest.next, undefined);
          assert.deepEqual(
            (await tx.services.servicesToReconcile()).map((r) => r.arn),
            [serviceArn("a"), serviceArn("b"), serviceArn("c"), serviceArn("d"), serviceArn("x", "other")],
          );
          await tx.services.putService(service("a", { status: "DRAINING", desiredCount: 0 }));
          assert.equal((await tx.clusterUsage(clusterArn)).activeServicesCount, 2);
        });
      }));

    it("lists deployments newest first, finds them by ServiceDeployment ARN, filters and pages them", () =>
      withStore(async (store) => {
        await store.tx(async (tx) => {
          await tx.services.insertService(service("web"));
          await tx.services.putDeployment(deployment("ecs-svc/1000000000000000001", "web", 100));
          await tx.services.putDeployment({ ...deployment("ecs-svc/1000000000000000002", "web", 200, "STOPPED"), status: "INACTIVE" });
          await tx.services.putDeployment({ ...deployment("ecs-svc/1000000000000000003", "web", 300, "IN_PROGRESS"), status: "PRIMARY" });
          // An upsert replaces.
          await tx.services.putDeployment({ ...deployment("ecs-svc/1000000000000000003", "web", 300, "IN_PROGRESS"), status: "PRIMARY", failedTasks: 2 });
        });
        await store.tx(async (tx) => {
          assert.deepEqual((await tx.services.deploymentsOf(serviceArn("web"))).map((d) => d.id), ["ecs-svc/1000000000000000003", "ecs-svc/1000000000000000001"]);
          const all = await tx.services.deploymentsOf(serviceArn("web"), { includeInactive: true });
          assert.equal(all.length, 3);
          assert.equal(all[0]?.failedTasks, 2);
          assert.deepEqual(all[0]?.createdAt, new Date(300));
          const d2 = deployment("ecs-svc/1000000000000000002", "web", 200, "STOPPED");
          assert.equal((await tx.services.findServiceDeployment(d2.serviceDeploymentArn))?.id, d2.id);
          assert.equal(await tx.services.findServiceDeployment(`${d2.serviceDeploymentArn}x`), undefined);
          assert.equal((await tx.services.getDeployment(d2.id))?.status, "INACTIVE");
          const page1 = await tx.services.listServiceDeployments({ serviceArn: serviceArn("web"), limit: 2 });
          assert.deepEqual(page1.items.map((d) => d.id.slice(-1)), ["3", "2"]);
          const page2 = await tx.services.listServiceDeployments({ serviceArn: serviceArn("web"), limit: 2, after: page1.next! });
          assert.deepEqual(page2.items.map((d) => d.id.slice(-1)), ["1"]);
          const stopped = await tx.services.listServiceDeployments({ serviceArn: serviceArn("web"), limit: 10, statuses: ["STOPPED", "SUCCESSFUL"] });
          assert.deepEqual(stopped.items.map((d) => d.id.slice(-1)), ["2", "1"]);
          const window = await tx.services.listServiceDeployments({ serviceArn: serviceArn("web"), limit: 10, createdAfter: new Date(150), createdBefore: new Date(250) });
          assert.deepEqual(window.items.map((d) => d.id.slice(-1)), ["2"]);
          await assert.rejects(tx.services.listServiceDeployments({ serviceArn: serviceArn("web"), limit: 2, after: "nope" }), BadPageKey);
        });
      }));

    it("keeps revisions, and at most `keep` events per service, newest first", () =>
      withStore(async (store) => {
        await store.tx(async (tx) => {
          const arn = `${prefix}:service-revision/c/web/1`;
          await tx.services.putRevision(serviceArn("web"), { serviceRevisionArn: arn, serviceArn: serviceArn("web"), taskDefinition: "td", createdAt: new Date(5) });
          assert.deepEqual(await tx.services.getRevision(arn), { serviceRevisionArn: arn, serviceArn: serviceArn("web"), taskDefinition: "td", createdAt: new Date(5) });
          for (let i = 0; i < 7; i++) {
            await tx.services.addServiceEvent(serviceArn("web"), { id: `e${i}`, createdAt: new Date(i), message: `m${i}` }, 5);
            await tx.services.addServiceEvent(serviceArn("api"), { id: `a${i}`, createdAt: new Date(i), message: `a${i}` }, 5);
          }
          const events = await tx.services.serviceEvents(serviceArn("web"), 100);
          assert.deepEqual(events.map((e) => e.message), ["m6", "m5", "m4", "m3", "m2"]);
          assert.deepEqual(events[0]?.createdAt, new Date(6));
          assert.deepEqual((await tx.services.serviceEvents(serviceArn("web"), 2)).map((e) => e.id), ["e6", "e5"]);
          assert.equal((await tx.services.serviceEvents(serviceArn("api"), 100)).length, 5);
          await tx.services.clearServiceHistory(serviceArn("web"));
          assert.deepEqual(await tx.services.serviceEvents(serviceArn("web"), 100), []);
          assert.equal(await tx.services.getRevision(arn), undefined);
          assert.equal((await tx.services.serviceEvents(serviceArn("api"), 100)).length, 5);
        });
      }));

    it("keeps the ledger of launched tasks until they are settled and old", () =>
      withStore(async (store) => {
        await store.tx(async (tx) => {
          const rec = { taskArn: `${prefix}:task/c/1`, serviceArn: serviceArn("web"), deploymentId: "ecs-svc/1", settled: false, ran: false, createdAt: new Date(100) };
          await tx.services.trackServiceTask(rec);
          await tx.services.trackServiceTask({ ...rec, taskArn: `${prefix}:task/c/2` });
          await tx.services.putServiceTask({ ...rec, ran: true, stopKind: "health" });
          assert.deepEqual(await tx.services.unsettledServiceTasks(serviceArn("web")), [
            { ...rec, ran: true, stopKind: "health" },
            { ...rec, taskArn: `${prefix}:task/c/2` },
          ]);
          await tx.services.putServiceTask({ ...rec, settled: true });
          assert.equal((await tx.services.unsettledServiceTasks(serviceArn("web"))).length, 1);
          assert.equal(await tx.services.pruneServiceTasks(new Date(50)), 0);
          assert.equal(await tx.services.pruneServiceTasks(new Date(200)), 1, "only settled records go");
        });
      }));

    it("keeps a launched task's scale-in protection apart from what the scheduler writes", () =>
      withStore(async (store) => {
        await store.tx(async (tx) => {
          const rec = { taskArn: `${prefix}:task/c/1`, serviceArn: serviceArn("web"), deploymentId: "ecs-svc/1", settled: false, ran: false, createdAt: new Date(100) };
          await tx.services.trackServiceTask(rec);
          assert.deepEqual(await tx.services.getServiceTask(rec.taskArn), rec);
          assert.equal(await tx.services.getServiceTask(`${prefix}:task/c/none`), undefined);
          assert.equal(await tx.services.protectServiceTask(rec.taskArn, new Date(5000)), true);
          assert.equal(await tx.services.protectServiceTask(`${prefix}:task/c/none`, new Date(5000)), false);
          // The scheduler's writes leave the protection as it is.
          await tx.services.putServiceTask({ ...rec, ran: true });
          assert.deepEqual(await tx.services.getServiceTask(rec.taskArn), { ...rec, ran: true, protectedUntil: new Date(5000) });
          assert.deepEqual(await tx.services.unsettledServiceTasks(serviceArn("web")), [{ ...rec, ran: true, protectedUntil: new Date(5000) }]);
          await tx.services.protectServiceTask(rec.taskArn, undefined);
          assert.deepEqual(await tx.services.getServiceTask(rec.taskArn), { ...rec, ran: true });
        });
      }));

    it("remembers when an instance's agent went away", () =>
      withStore(async (store) => {
        await store.tx(async (tx) => {
          const arn = `${prefix}:container-instance/c/1`;
          assert.equal(await tx.services.disconnectedSince(arn), undefined);
          await tx.services.setDisconnectedSince(arn, new Date(10));
          await tx.services.setDisconnectedSince(arn, new Date(20));
          assert.deepEqual(await tx.services.disconnectedSince(arn), new Date(20));
          await tx.services.setDisconnectedSince(arn, undefined);
          assert.equal(await tx.services.disconnectedSince(arn), undefined);
        });
      }));

    it("hands the controller lease to one holder at a time, renews it, and lets another take it once it runs out or is released", () =>
      withStore(async (store) => {
        const now = (ms: number) => new Date(1_000_000 + ms);
        assert.equal(await store.tx((tx) => tx.services.acquireLease("ctl", "a", now(0), 1000)), true);
        assert.equal(await store.tx((tx) => tx.services.acquireLease("ctl", "b", now(500), 1000)), false);
        assert.equal(await store.tx((tx) => tx.services.acquireLease("ctl", "a", now(900), 1000)), true, "the holder renews");
        assert.equal(await store.tx((tx) => tx.services.acquireLease("ctl", "b", now(1500), 1000)), false, "renewed until 1900");
        assert.equal(await store.tx((tx) => tx.services.acquireLease("ctl", "b", now(2000), 1000)), true, "expired: b takes it");
        assert.equal(await store.tx((tx) => tx.services.acquireLease("ctl", "a", now(2100), 1000)), false);
        await store.tx((tx) => tx.services.releaseLease("ctl", "a"));
        assert.equal(await store.tx((tx) => tx.services.acquireLease("ctl", "a", now(2200), 1000)), false, "only the holder releases");
        await store.tx((tx) => tx.services.releaseLease("ctl", "b"));
        assert.equal(await store.tx((tx) => tx.services.acquireLease("ctl", "a", now(2300), 1000)), true);
        // Contenders at once: exactly one wins.
        const wins = await Promise.all(["p", "q", "r", "s"].map((h) => store.tx((tx) => tx.services.acquireLease("race", h, now(0), 1000))));
        assert.equal(wins.filter(Boolean).length, 1);
      }));
  });
}
