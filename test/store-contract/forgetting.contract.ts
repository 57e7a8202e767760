// The forgetting contract: deleted (INACTIVE) services, container instances and
// clusters are forgotten once they have been INACTIVE past a cutoff, with everything
// stored for them and never while something live still refers to them; a service's
// deployments and revisions are deleted by name.

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { Cluster, ContainerInstance, Task } from "../../src/model/generated/ecs.js";
import type { StoredDeployment, StoredService } from "../../src/store/service-store.js";
import type { InactiveSince, Store, Tx } from "../../src/store/store.js";
import { openFresh, type OpenedStore, type StoreBackend } from "./backends.js";

const prefix = "arn:aws:ecs:us-east-1:000000000000";
const minute = 60_000;
const epoch = Date.UTC(2024, 8, 1);
const at = (minutes: number): Date => new Date(epoch + minutes * minute);
/** Everything INACTIVE before minute 30 is due. */
const cutoff = at(30);

const clusterArn = (name: string): string => `${prefix}:cluster/${name}`;
const serviceArn = (name: string, cluster = "c"): string => `${prefix}:service/${cluster}/${name}`;
const instanceArn = (id: string, cluster = "c"): string => `${prefix}:container-instance/${cluster}/${id}`;

function cluster(name: string, inactiveSince?: Date): Cluster & InactiveSince {
  return {
    clusterArn: clusterArn(name),
    clusterName: name,
    status: inactiveSince ? "INACTIVE" : "ACTIVE",
    ...(inactiveSince ? { inactiveSince } : {}),
  };
}

function service(name: string, status: StoredService["service"]["status"], inactiveSince?: Date, clusterName = "c"): StoredService {
  return {
    service: { serviceArn: serviceArn(name, clusterName), serviceName: name, clusterArn: clusterArn(clusterName), status, schedulingStrategy: "REPLICA", desiredCount: 0 },
    ...(inactiveSince ? { inactiveSince } : {}),
  };
}

function instance(id: string, inactiveSince?: Date, clusterName = "c"): ContainerInstance & InactiveSince {
  return {
    containerInstanceArn: instanceArn(id, clusterName),
    status: inactiveSince ? "INACTIVE" : "ACTIVE",
    registeredAt: at(0),
    ...(inactiveSince ? { inactiveSince } : {}),
  };
}

function task(id: string, lastStatus: string, extra: Partial<Task> = {}, clusterName = "c"): Task {
  return {
    taskArn: `${prefix}:task/${clusterName}/${id}`,
    clusterArn: clusterArn(clusterName),
    taskDefinitionArn: `${prefix}:task-definition/app:1`,
    lastStatus,
    desiredStatus: lastStatus === "STOPPED" ? "STOPPED" : "RUNNING",
    launchType: "EC2",
    createdAt: at(0),
    ...(lastStatus === "STOPPED" ? { stoppedAt: at(50) } : {}),
    ...extra,
  };
}

function deployment(id: string, svc: string, revisionArn: string): StoredDeployment {
  return {
    id,
    serviceArn: serviceArn(svc),
    clusterArn: clusterArn("c"),
    serviceDeploymentArn: `${prefix}:service-deployment/c/${svc}/${id.slice(-4)}`,
    serviceRevisionArn: revisionArn,
    status: "INACTIVE",
    spec: { taskDefinition: `${prefix}:task-definition/app:1`, placementConstraints: [], placementStrategy: [] },
    rolloutState: "COMPLETED",
    rolloutStateReason: "done",
    failedTasks: 0,
    createdAt: at(0),
    updatedAt: at(0),
    serviceDeployment: {
      status: "SUCCESSFUL",
      updatedAt: at(0),
      sourceServiceRevisions: [],
      deploymentConfiguration: {},
      circuitBreaker: { status: "DISABLED", failureCount: 0, threshold: 3 },
    },
  };
}

const revisionArn = (svc: string, n: number): string => `${prefix}:service-revision/c/${svc}/${n}`;

/** A service with one of everything a service keeps: a deployment, its revision, an event, a ledger entry, a tag. */
async function withHistory(tx: Tx, svc: StoredService, n: number): Promise<void> {
  const arn = svc.service.serviceArn;
  const name = svc.service.serviceName;
  await tx.services.insertService(svc);
  await tx.services.putRevision(arn, { serviceRevisionArn: revisionArn(name, n), serviceArn: arn, createdAt: at(0) });
  await tx.services.putDeployment(deployment(`ecs-svc/100000000000000${1000 + n}`, name, revisionArn(name, n)));
  await tx.services.addServiceEvent(arn, { id: `e${n}`, createdAt: at(0), message: "has reached a steady state." }, 100);
  await tx.services.trackServiceTask({ taskArn: `${prefix}:task/c/t${n}`, serviceArn: arn, deploymentId: `ecs-svc/100000000000000${1000 + n}`, settled: true, ran: true, createdAt: at(0) });
  await tx.putTags(arn, [{ key: "team", value: "web" }]);
}

export function forgettingContract(backend: StoreBackend): void {
  describe("Forgetting what ended", () => {
    let opened: OpenedStore;
    let store: Store;
    beforeEach(async () => {
      opened = await openFresh(backend);
      store = opened.store;
    });
    afterEach(() => opened.cleanup());
    const tx = <T>(fn: (t: Tx) => Promise<T>): Promise<T> => store.tx(fn);

    it("forgetServices forgets INACTIVE services past the cutoff with everything stored for them", async () => {
      await tx(async (t) => {
        await withHistory(t, service("gone", "INACTIVE", at(1)), 1);
        await withHistory(t, service("recent", "INACTIVE", at(50)), 2);
        await withHistory(t, service("draining", "DRAINING"), 3);
        await withHistory(t, service("active", "ACTIVE"), 4);
        // An INACTIVE document without its time (none is written so) is never forgotten.
        await withHistory(t, service("untimed", "INACTIVE"), 5);
      });
      assert.equal(await tx((t) => t.services.forgetServices(cutoff, 10)), 1);
      await tx(async (t) => {
        assert.equal(await t.services.getService(serviceArn("gone")), undefined);
        assert.deepEqual(await t.services.deploymentsOf(serviceArn("gone"), { includeInactive: true }), []);
        assert.equal(await t.services.getRevision(revisionArn("gone", 1)), undefined);
        assert.deepEqual(await t.services.serviceEvents(serviceArn("gone"), 10), []);
        assert.deepEqual(await t.getTags(serviceArn("gone")), []);
        // The settled ledger entry went too: nothing is left to prune later.
        assert.equal(await t.services.pruneServiceTasks(at(1000)), 4);
        for (const [name, n] of [["recent", 2], ["draining", 3], ["active", 4], ["untimed", 5]] as const) {
          assert.ok(await t.services.getService(serviceArn(name)), `${name} is kept`);
          assert.ok(await t.services.getRevision(revisionArn(name, n)), `${name}'s revision is kept`);
          assert.equal((await t.services.deploymentsOf(serviceArn(name), { includeInactive: true })).length, 1);
          assert.equal((await t.services.serviceEvents(serviceArn(name), 10)).length, 1);
          assert.deepEqual(await t.getTags(serviceArn(name)), [{ key: "team", value: "web" }]);
        }
      });
      assert.equal(await tx((t) => t.services.forgetServices(cutoff, 10)), 0);
    });

    it("forgetServices keeps a service while a task of it is short of STOPPED, and reads its time from the document", async () => {
      await tx(async (t) => {
        await t.services.insertService(service("web", "INACTIVE", at(1)));
        await t.insertTask(task("late", "STOPPING", { group: "service:web", startedBy: "ecs-svc/1" }));
        // The same group in another cluster is another service's.
        await t.services.insertService(service("web", "INACTIVE", at(1), "other"));
        await t.services.insertService(service("reborn", "INACTIVE", at(1)));
        // A service created again under a deleted one's name is ACTIVE, with no time.
        await t.services.putService(service("reborn", "ACTIVE"));
      });
      assert.equal(await tx((t) => t.services.forgetServices(cutoff, 10)), 1);
      assert.equal(await tx((t) => t.services.getService(serviceArn("web", "other"))), undefined);
      assert.ok(await tx((t) => t.services.getService(serviceArn("web"))));
      await tx((t) => t.putTask(task("late", "STOPPED", { group: "service:web", startedBy: "ecs-svc/1" })));
      assert.equal(await tx((t) => t.services.forgetServices(cutoff, 10)), 1);
      assert.equal(await tx((t) => t.services.getService(serviceArn("web"))), undefined);
      assert.ok(await tx((t) => t.services.getService(serviceArn("reborn"))));
      // Made INACTIVE by a put, with its time: forgotten once that time is past the cutoff.
      await tx((t) => t.services.putService(service("reborn", "INACTIVE", at(40))));
      assert.equal(await tx((t) => t.services.forgetServices(cutoff, 10)), 0);
      assert.equal(await tx((t) => t.services.forgetServices(at(41), 10)), 1);
    });

    it("forgetServices forgets at most `limit` at a time", async () => {
      await tx(async (t) => {
        for (const name of ["a", "b", "c"]) await t.services.insertService(service(name, "INACTIVE", at(1)));
      });
      assert.equal(await tx((t) => t.services.forgetServices(cutoff, 2)), 2);
      assert.equal(await tx((t) => t.services.forgetServices(cutoff, 2)), 1);
      assert.equal(await tx((t) => t.services.forgetServices(cutoff, 2)), 0);
    });

    it("deleteDeployments and deleteRevisions delete exactly the ones named", async () => {
      await tx(async (t) => {
        await withHistory(t, service("web", "ACTIVE"), 1);
        await t.services.putRevision(serviceArn("web"), { serviceRevisionArn: revisionArn("web", 2), serviceArn: serviceArn("web"), createdAt: at(0) });
        await t.services.putDeployment(deployment("ecs-svc/1000000000000002002", "web", revisionArn("web", 2)));
      });
      await tx(async (t) => {
        await t.services.deleteDeployments(["ecs-svc/1000000000000001001", "ecs-svc/9999999999999999999"]);
        await t.services.deleteRevisions([revisionArn("web", 1)]);
        await t.services.deleteDeployments([]);
        await t.services.deleteRevisions([]);
      });
      await tx(async (t) => {
        assert.deepEqual((await t.services.deploymentsOf(serviceArn("web"), { includeInactive: true })).map((d) => d.id), ["ecs-svc/1000000000000002002"]);
        assert.equal(await t.services.getRevision(revisionArn("web", 1)), undefined);
        assert.ok(await t.services.getRevision(revisionArn("web", 2)));
      });
    });

    it("forgetContainerInstances forgets deregistered instances past the cutoff, not while a task on one is short of STOPPED", async () => {
      await tx(async (t) => {
        await t.insertCluster(cluster("c"));
        for (const id of ["gone", "orphaning", "recent", "active"]) await t.insertContainerInstance(clusterArn("c"), instance(id));
        for (const id of ["gone", "orphaning", "recent", "active"]) {
          await t.putAttribute({ clusterArn: clusterArn("c"), targetType: "container-instance", targetId: instanceArn(id), name: "stack", value: "prod" });
          await t.putTags(instanceArn(id), [{ key: "team", value: "web" }]);
          await t.services.setDisconnectedSince(instanceArn(id), at(0));
        }
        await t.putContainerInstance(clusterArn("c"), instance("gone", at(1)));
        await t.putContainerInstance(clusterArn("c"), instance("orphaning", at(1)));
        await t.putContainerInstance(clusterArn("c"), instance("recent", at(50)));
        // A forced deregistration leaves the instance's tasks running.
        await t.insertTask(task("orphan", "RUNNING", { containerInstanceArn: instanceArn("orphaning") }));
      });
      // Read once, so the cluster's decoded instances are cached: forgetting must replace them.
      assert.equal((await tx((t) => t.clusterInstances(clusterArn("c")))).length, 4);
      assert.equal(await tx((t) => t.forgetContainerInstances(cutoff, 10)), 1);
      await tx(async (t) => {
        assert.equal(await t.getContainerInstance(clusterArn("c"), instanceArn("gone")), undefined);
        assert.deepEqual(await t.attributesOf(instanceArn("gone")), []);
        assert.deepEqual(await t.getTags(instanceArn("gone")), []);
        assert.equal(await t.services.disconnectedSince(instanceArn("gone")), undefined);
        assert.deepEqual(
          (await t.clusterInstances(clusterArn("c"))).map((i) => i.instance.containerInstanceArn),
          [instanceArn("active"), instanceArn("orphaning"), instanceArn("recent")],
        );
        for (const id of ["orphaning", "recent", "active"]) {
          assert.ok(await t.getContainerInstance(clusterArn("c"), instanceArn(id)), `${id} is kept`);
          assert.equal((await t.attributesOf(instanceArn(id))).length, 1);
        }
      });
      await tx((t) => t.putTask(task("orphan", "STOPPED", { containerInstanceArn: instanceArn("orphaning") })));
      assert.equal(await tx((t) => t.forgetContainerInstances(cutoff, 10)), 1);
      assert.equal(await tx((t) => t.getContainerInstance(clusterArn("c"), instanceArn("orphaning"))), undefined);
      // The stopped task stays for its own hour; it only names the instance.
      assert.ok(await tx((t) => t.getTask(task("orphan", "STOPPED").taskArn!)));
    });

    it("forgetClusters forgets INACTIVE clusters past the cutoff once nothing stored names them", async () => {
      await tx(async (t) => {
        for (const name of ["gone", "with-service", "with-instance", "with-task", "recent", "active", "reborn"]) await t.insertCluster(cluster(name));
        await t.putTags(clusterArn("gone"), [{ key: "team", value: "web" }]);
        await t.services.insertService(service("old", "INACTIVE", at(20), "with-service"));
        await t.insertContainerInstance(clusterArn("with-instance"), instance("i1", at(20), "with-instance"));
        await t.insertTask(task("t1", "STOPPED", {}, "with-task"));
        for (const name of ["gone", "with-service", "with-instance", "with-task"]) await t.putCluster(cluster(name, at(1)));
        await t.putCluster(cluster("recent", at(50)));
        await t.putCluster(cluster("reborn", at(1)));
        // CreateCluster on a deleted cluster's name makes it ACTIVE again.
        await t.putCluster(cluster("reborn"));
      });
      assert.equal((await tx((t) => t.clusterInstances(clusterArn("with-instance")))).length, 1);
      assert.equal(await tx((t) => t.forgetClusters(cutoff, 10)), 1);
      await tx(async (t) => {
        assert.equal(await t.getCluster(clusterArn("gone")), undefined);
        assert.deepEqual(await t.getTags(clusterArn("gone")), []);
        for (const name of ["with-service", "with-instance", "with-task", "recent", "active", "reborn"]) assert.ok(await t.getCluster(clusterArn(name)), `${name} is kept`);
      });
      // What named them is forgotten on its own clock; then the clusters go.
      await tx(async (t) => {
        assert.equal(await t.services.forgetServices(cutoff, 10), 1);
        assert.equal(await t.forgetContainerInstances(cutoff, 10), 1);
        assert.equal(await t.purgeStoppedTasks(at(60)), 1);
      });
      assert.equal(await tx((t) => t.forgetClusters(cutoff, 10)), 3);
      assert.deepEqual((await tx((t) => t.clusterInstances(clusterArn("with-instance")))).length, 0);
      assert.equal(await tx((t) => t.forgetClusters(at(1000), 10)), 1);
      assert.equal(await tx((t) => t.getCluster(clusterArn("recent"))), undefined);
      assert.ok(await tx((t) => t.getCluster(clusterArn("reborn"))));
      assert.ok(await tx((t) => t.getCluster(clusterArn("active"))));
    });
  });
}
