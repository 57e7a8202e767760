// The Tx contract (clusters, capacity providers, tags, task definitions,
// container instances, attributes, tasks, account settings): each method's
// semantics, uniqueness, atomicity, isolation of read-modify-write, pagination
// and revision numbering; reads outside a transaction and snapshots; and that
// committed state survives reopening the storage. Each test gets a fresh,
// empty store and cleans it up.

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { CapacityProvider, Cluster, ContainerInstance, Task, TaskDefinition, TaskDefinitionStatus } from "../../src/model/generated/ecs.js";
import { decodeDoc } from "../../src/protocol/doc-codec.js";
import { UniqueViolation, type AttributeRow, type Page, type Store, type Tx } from "../../src/store/store.js";
import { openFresh, type OpenedStore, type StoreBackend } from "./backends.js";

const region = "us-east-1";
const account = "000000000000";
const prefix = `arn:aws:ecs:${region}:${account}`;

const clusterArn = (name: string): string => `${prefix}:cluster/${name}`;
const taskDefinitionArn = (family: string, revision: number): string => `${prefix}:task-definition/${family}:${revision}`;
const containerInstanceArn = (cluster: string, id: string): string => `${prefix}:container-instance/${cluster}/${id}`;
const taskArn = (cluster: string, id: string): string => `${prefix}:task/${cluster}/${id}`;

function cluster(name: string, extra: Partial<Cluster> = {}): Cluster {
  return {
    clusterArn: clusterArn(name),
    clusterName: name,
    status: "ACTIVE",
    settings: [{ name: "containerInsights", value: "disabled" }],
    capacityProviders: [],
    defaultCapacityProviderStrategy: [],
    ...extra,
  };
}

function taskDefinition(family: string, revision: number, status: TaskDefinitionStatus = "ACTIVE", extra: Partial<TaskDefinition> = {}): TaskDefinition {
  return {
    taskDefinitionArn: taskDefinitionArn(family, revision),
    family,
    revision,
    status,
    containerDefinitions: [
      {
        name: "app",
        image: `registry.example/${family}:${revision}`,
        cpu: 128,
        memory: 256,
        essential: true,
        environment: [{ name: "REVISION", value: String(revision) }],
        portMappings: [{ containerPort: 8080, hostPort: 0, protocol: "tcp" }],
      },
    ],
    networkMode: "bridge",
    compatibilities: ["EC2"],
    requiresAttributes: [{ name: "com.amazonaws.ecs.capability.docker-remote-api.1.18" }],
    registeredAt: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678) + revision),
    registeredBy: `arn:aws:iam::${account}:root`,
    ...extra,
  };
}

function containerInstance(clusterName: string, id: string, status = "ACTIVE", extra: Partial<ContainerInstance> = {}): ContainerInstance {
  return {
    containerInstanceArn: containerInstanceArn(clusterName, id),
    ec2InstanceId: `i-${id}`,
    version: 1,
    status,
    agentConnected: true,
    runningTasksCount: 0,
    pendingTasksCount: 0,
    registeredResources: [
      { name: "CPU", type: "INTEGER", integerValue: 2048 },
      { name: "MEMORY", type: "INTEGER", integerValue: 3900 },
      { name: "PORTS", type: "STRINGSET", stringSetValue: ["22", "2375"] },
    ],
    remainingResources: [{ name: "CPU", type: "INTEGER", integerValue: 2048 }],
    attributes: [{ name: "ecs.os-type", value: "linux" }],
    registeredAt: new Date(Date.UTC(2024, 5, 6, 7, 8, 9, 123)),
    ...extra,
  };
}

const minute = 60_000;
const epoch = Date.UTC(2024, 8, 1);

/** A task in cluster "web"; `lastStatus` STOPPED also sets desiredStatus and stoppedAt. */
function task(id: string, lastStatus: string, extra: Partial<Task> = {}): Task {
  const stopped = lastStatus === "STOPPED";
  return {
    taskArn: taskArn("web", id),
    clusterArn: clusterArn("web"),
    taskDefinitionArn: taskDefinitionArn("app", 3),
    containerInstanceArn: containerInstanceArn("web", "i1"),
    lastStatus,
    desiredStatus: stopped ? "STOPPED" : "RUNNING",
    launchType: "EC2",
    cpu: "256",
    memory: "512",
    version: 1,
    createdAt: new Date(epoch),
    containers: [
      {
        containerArn: `${prefix}:container/web/${id}/app`,
        taskArn: taskArn("web", id),
        name: "app",
        lastStatus,
        networkBindings: [{ bindIP: "0.0.0.0", containerPort: 8080, hostPort: 32768, protocol: "tcp" }],
      },
    ],
    ...(stopped ? { stoppedAt: new Date(epoch + 10 * minute), stopCode: "UserInitiated", stoppedReason: "Task stopped by user" } : {}),
    ...extra,
  };
}

/** `t` before placement: no container instance yet. */
function unplaced(t: Task): Task {
  const copy: { -readonly [K in keyof Task]: Task[K] } = { ...t };
  delete copy.containerInstanceArn;
  return copy;
}

function capacityProvider(name: string, extra: Partial<CapacityProvider> = {}): CapacityProvider {
  return {
    capacityProviderArn: `${prefix}:capacity-provider/${name}`,
    name,
    status: "ACTIVE",
    autoScalingGroupProvider: {
      autoScalingGroupArn: `arn:aws:autoscaling:${region}:${account}:autoScalingGroup:1:autoScalingGroupName/${name}`,
      managedScaling: { status: "ENABLED", targetCapacity: 90 },
      managedTerminationProtection: "DISABLED",
    },
    updateStatus: "CREATE_COMPLETE",
    ...extra,
  };
}

/** Follows `next` from the first page to the last, collecting every item and each page's size. */
async function allPages<T>(fetch: (after: string | undefined) => Promise<Page<T>>): Promise<{ items: T[]; sizes: number[] }> {
  const items: T[] = [];
  const sizes: number[] = [];
  let after: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const page = await fetch(after);
    items.push(...page.items);
    sizes.push(page.items.length);
    if (page.next === undefined) return { items, sizes };
    after = page.next;
  }
  throw new Error("pagination never ended");
}

/** Code-point order, the order every backend must list in. */
const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Lets other transactions run between a read and the write that depends on it. */
const yieldToOthers = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 2));

class Deliberate extends Error {}

export function txContract(backend: StoreBackend): void {
  describe("Tx", () => {
    let opened: OpenedStore | undefined;
    let store: Store;
    const tx = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => store.tx(fn);

    beforeEach(async () => {
      opened = await openFresh(backend);
      store = opened.store;
    });
    afterEach(async () => {
      await opened?.cleanup();
      opened = undefined;
    });

    describe("snapshot", () => {
      it("its reads agree with each other even when a write commits between them", async () => {
        await tx((t) => t.insertCluster(cluster("a")));
        let write: Promise<unknown> | undefined;
        const [first, second] = await store.snapshot(async (t) => {
          const before = (await t.listClusterArns(region, { limit: 10 })).items;
          write = tx((w) => w.insertCluster(cluster("b")));
          // PostgreSQL commits the write now; SQLite's one connection holds it until the snapshot ends.
          await Promise.race([write, new Promise((resolve) => setTimeout(resolve, 300))]);
          return [before, (await t.listClusterArns(region, { limit: 10 })).items];
        });
        await write;
        assert.deepEqual(first, [clusterArn("a")]);
        assert.deepEqual(second, first);
        assert.deepEqual((await tx((t) => t.listClusterArns(region, { limit: 10 }))).items, ["a", "b"].map(clusterArn));
      });
    });

    describe("regions", () => {
      const other = "eu-west-1";
      const elsewhere = (arn: string): string => arn.replace(`:${region}:`, `:${other}:`);
      it("keep name-keyed state apart: clusters, capacity providers, task definition revisions, account settings, log groups, query definitions", async () => {
        await tx(async (t) => {
          assert.equal(await t.insertCluster(cluster("default")), true);
          assert.equal(await t.insertCluster(cluster("default", { clusterArn: elsewhere(clusterArn("default")) })), true);
          await t.insertCapacityProvider(capacityProvider("spot"));
          await t.insertCapacityProvider(capacityProvider("spot", { capacityProviderArn: elsewhere(capacityProvider("spot").capacityProviderArn!) }));
          assert.equal(await t.nextRevision(region, "web"), 1);
          assert.equal(await t.nextRevision(region, "web"), 2);
          assert.equal(await t.nextRevision(other, "web"), 1);
          await t.insertTaskDefinition(taskDefinition("web", 1));
          await t.insertTaskDefinition(taskDefinition("web", 1, "ACTIVE", { taskDefinitionArn: elsewhere(taskDefinitionArn("web", 1)) }));
          await t.putAccountSetting(other, "", "awsvpcTrunking", "enabled");
        });
        await tx(async (t) => {
          assert.deepEqual((await t.listClusterArns(region, { limit: 10 })).items, [clusterArn("default")]);
          assert.deepEqual((await t.listClusterArns(other, { limit: 10 })).items, [elsewhere(clusterArn("default"))]);
          assert.deepEqual((await t.listEveryClusterArn({ limit: 10 })).items, [elsewhere(clusterArn("default")), clusterArn("default")].sort(byCodePoint));
          assert.equal((await t.getCapacityProvider(other, "spot"))?.capacityProviderArn, elsewhere(capacityProvider("spot").capacityProviderArn!));
          assert.equal((await t.listCapacityProviders(region, { limit: 10 })).items.length, 1);
          assert.equal((await t.getTaskDefinition(other, "web"))?.taskDefinitionArn, elsewhere(taskDefinitionArn("web", 1)));
          assert.deepEqual((await t.listTaskDefinitionArns({ region: other, limit: 10, descending: false })).items, [elsewhere(taskDefinitionArn("web", 1))]);
          assert.deepEqual(await t.getAccountSettings(region, ""), []);
          assert.equal((await t.getAccountSettings(other, "")).length, 1);
        });
        const here = store.logs;
        const there = store.logs.inRegion(other);
        await here.createGroup({ name: "/app", createdAt: epoch, logGroupClass: "STANDARD", deletionProtection: false });
        await there.createGroup({ name: "/app", createdAt: epoch + 1, logGroupClass: "STANDARD", deletionProtection: false });
        assert.equal((await there.getGroup("/app"))?.createdAt, epoch + 1);
        assert.equal((await here.getGroup("/app"))?.createdAt, epoch);
        await there.putQueryDefinition({ id: "q1", name: "errors", queryString: "fields @message", queryLanguage: "CWLI", logGroupNames: [], parameters: [], lastModified: epoch });
        assert.equal((await here.listQueryDefinitions({ limit: 10 })).items.length, 0);
        assert.equal(await here.deleteQueryDefinition("q1"), false);
        assert.equal((await there.listQueryDefinitions({ limit: 10 })).items.length, 1);
      });
    });

    describe("clusters", () => {
      it("round-trips a cluster document exactly; an unknown ARN reads as undefined", async () => {
        const c = cluster("web", {
          configuration: { executeCommandConfiguration: { logging: "OVERRIDE", logConfiguration: { cloudWatchLogGroupName: "/ecs/exec" } } },
          capacityProviders: ["FARGATE"],
          defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
          serviceConnectDefaults: { namespace: "arn:aws:servicediscovery:us-east-1:000000000000:namespace/ns-1" },
        });
        await tx((t) => t.insertCluster(c));
        assert.deepEqual(await tx((t) => t.getCluster(c.clusterArn!)), c);
        assert.equal(await tx((t) => t.getCluster(clusterArn("nope"))), undefined);
      });

      it("putCluster replaces the document and its status", async () => {
        const c = cluster("web");
        await tx((t) => t.insertCluster(c));
        const updated = cluster("web", { settings: [{ name: "containerInsights", value: "enabled" }], status: "INACTIVE" });
        await tx((t) => t.putCluster(updated));
        assert.deepEqual(await tx((t) => t.getCluster(c.clusterArn!)), updated);
        assert.deepEqual((await tx((t) => t.listClusterArns(region, { limit: 10 }))).items, []);
      });

      it("inserts only if absent: a taken name keeps the first document", async () => {
        const c = cluster("web");
        assert.equal(await tx((t) => t.insertCluster(c)), true);
        assert.equal(await tx((t) => t.insertCluster({ ...c, settings: [{ name: "containerInsights", value: "enabled" }] })), false);
        assert.deepEqual(await tx((t) => t.getCluster(c.clusterArn!)), c);
      });

      it("lists ARNs in order, skipping INACTIVE clusters, page by page", async () => {
        const names = ["b", "a", "e", "c", "d", "gone", "f", "g"];
        await tx(async (t) => {
          for (const n of names) await t.insertCluster(cluster(n, n === "gone" ? { status: "INACTIVE" } : {}));
        });
        const expected = names.filter((n) => n !== "gone").map(clusterArn).sort(byCodePoint);
        const { items, sizes } = await allPages((after) => tx((t) => t.listClusterArns(region, { limit: 3, ...(after ? { after } : {}) })));
        assert.deepEqual(items, expected);
        assert.deepEqual(sizes, [3, 3, 1]);
        const exact = await tx((t) => t.listClusterArns(region, { limit: expected.length }));
        assert.deepEqual(exact.items, expected);
        assert.equal(exact.next, undefined, "no next when the page holds the last item");
      });

      it("clusterUsage counts the cluster's ACTIVE and DRAINING instances only", async () => {
        await tx(async (t) => {
          await t.insertCluster(cluster("web"));
          await t.insertCluster(cluster("other"));
          await t.insertContainerInstance(clusterArn("web"), containerInstance("web", "a1", "ACTIVE"));
          await t.insertContainerInstance(clusterArn("web"), containerInstance("web", "a2", "ACTIVE"));
          await t.insertContainerInstance(clusterArn("web"), containerInstance("web", "d1", "DRAINING"));
          await t.insertContainerInstance(clusterArn("web"), containerInstance("web", "i1", "INACTIVE"));
          await t.insertContainerInstance(clusterArn("other"), containerInstance("other", "o1", "ACTIVE"));
        });
        assert.deepEqual(await tx((t) => t.clusterUsage(clusterArn("web"))), {
          registeredContainerInstancesCount: 3,
          runningTasksCount: 0,
          pendingTasksCount: 0,
          activeServicesCount: 0,
        });
        assert.equal((await tx((t) => t.clusterUsage(clusterArn("other")))).registeredContainerInstancesCount, 1);
        assert.equal((await tx((t) => t.clusterUsage(clusterArn("empty")))).registeredContainerInstancesCount, 0);

        // Deregistering (status INACTIVE) and deleting both stop an instance counting.
        await tx(async (t) => {
          await t.putContainerInstance(clusterArn("web"), containerInstance("web", "a1", "INACTIVE"));
          await t.deleteContainerInstance(containerInstanceArn("web", "d1"));
        });
        assert.equal((await tx((t) => t.clusterUsage(clusterArn("web")))).registeredContainerInstancesCount, 1);
      });
    });

    describe("capacity providers", () => {
      it("round-trips, replaces and deletes a provider by name", async () => {
        const p = capacityProvider("asg-1", { tags: [{ key: "team", value: "a" }] });
        await tx((t) => t.insertCapacityProvider(p));
        assert.deepEqual(await tx((t) => t.getCapacityProvider(region, "asg-1")), p);
        assert.equal(await tx((t) => t.getCapacityProvider(region, "asg-2")), undefined);
        const updated = capacityProvider("asg-1", { status: "INACTIVE", updateStatus: "DELETE_COMPLETE" });
        await tx((t) => t.putCapacityProvider(updated));
        assert.deepEqual(await tx((t) => t.getCapacityProvider(region, "asg-1")), updated);
        await tx((t) => t.deleteCapacityProvider(region, "asg-1"));
        assert.equal(await tx((t) => t.getCapacityProvider(region, "asg-1")), undefined);
        await tx((t) => t.deleteCapacityProvider(region, "asg-1")); // deleting what is gone is a no-op
      });

      it("raises UniqueViolation for a taken name or ARN", async () => {
        const p = capacityProvider("asg-1");
        await tx((t) => t.insertCapacityProvider(p));
        await assert.rejects(tx((t) => t.insertCapacityProvider(p)), UniqueViolation);
        await assert.rejects(
          tx((t) => t.insertCapacityProvider({ ...p, capacityProviderArn: `${prefix}:capacity-provider/other` })),
          UniqueViolation,
          "the name is the provider's key",
        );
        assert.deepEqual(await tx((t) => t.getCapacityProvider(region, "asg-1")), p);
      });

      it("lists providers by name, page by page", async () => {
        const names = ["p3", "p1", "p5", "p2", "p4"];
        await tx(async (t) => {
          for (const n of names) await t.insertCapacityProvider(capacityProvider(n));
        });
        const { items, sizes } = await allPages((after) => tx((t) => t.listCapacityProviders(region, { limit: 2, ...(after ? { after } : {}) })));
        assert.deepEqual(items, [...names].sort(byCodePoint).map((n) => capacityProvider(n)));
        assert.deepEqual(sizes, [2, 2, 1]);
      });
    });

    describe("tags", () => {
      it("upserts by key, lists sorted by key, and keeps each ARN's tags apart", async () => {
        const a = clusterArn("a");
        const b = clusterArn("b");
        await tx(async (t) => {
          await t.putTags(a, [
            { key: "team", value: "x" },
            { key: "env", value: "dev" },
          ]);
          await t.putTags(b, [{ key: "team", value: "y" }]);
        });
        await tx((t) =>
          t.putTags(a, [
            { key: "env", value: "prod" },
            { key: "cost", value: "" },
          ]),
        );
        assert.deepEqual(await tx((t) => t.getTags(a)), [
          { key: "cost", value: "" },
          { key: "env", value: "prod" },
          { key: "team", value: "x" },
        ]);
        assert.deepEqual(await tx((t) => t.getTags(b)), [{ key: "team", value: "y" }]);
        assert.deepEqual(await tx((t) => t.getTags(clusterArn("none"))), []);
      });

      it("deletes the named keys, none for an empty list, all when no keys are given", async () => {
        const a = clusterArn("a");
        const b = clusterArn("b");
        await tx(async (t) => {
          await t.putTags(a, [
            { key: "k1", value: "1" },
            { key: "k2", value: "2" },
            { key: "k3", value: "3" },
          ]);
          await t.putTags(b, [{ key: "k1", value: "b" }]);
        });
        await tx((t) => t.deleteTags(a, ["k2", "missing"]));
        assert.deepEqual(await tx((t) => t.getTags(a)), [
          { key: "k1", value: "1" },
          { key: "k3", value: "3" },
        ]);
        await tx((t) => t.deleteTags(a, []));
        assert.equal((await tx((t) => t.getTags(a))).length, 2);
        await tx((t) => t.deleteTags(a));
        assert.deepEqual(await tx((t) => t.getTags(a)), []);
        assert.deepEqual(await tx((t) => t.getTags(b)), [{ key: "k1", value: "b" }]);
      });
    });

    describe("task definitions", () => {
      it("round-trips a revision with its Dates, nested containers and every field", async () => {
        const d = taskDefinition("web", 1, "ACTIVE", {
          taskRoleArn: `arn:aws:iam::${account}:role/app`,
          volumes: [{ name: "data", host: { sourcePath: "/srv/data" } }],
          placementConstraints: [{ type: "memberOf", expression: "attribute:ecs.instance-type =~ t2.*" }],
          cpu: "256",
          memory: "512",
          deregisteredAt: new Date(Date.UTC(2025, 1, 1)),
        });
        await tx((t) => t.insertTaskDefinition(d));
        const got = await tx((t) => t.getTaskDefinition(region, "web", 1));
        assert.deepEqual(got, d);
        assert.ok(got?.registeredAt instanceof Date, "registeredAt comes back as a Date");
        assert.equal(got.registeredAt.getTime(), d.registeredAt!.getTime());
        assert.equal(await tx((t) => t.getTaskDefinition(region, "web", 2)), undefined);
        assert.equal(await tx((t) => t.getTaskDefinition(region, "nope")), undefined);
        // The stored text decodes to the same revision; the latest is read the same way.
        assert.deepEqual(decodeDoc((await tx((t) => t.getTaskDefinitionDoc(region, "web", 1)))!), d);
        assert.deepEqual(decodeDoc((await tx((t) => t.getTaskDefinitionDoc(region, "web")))!), d);
        assert.equal(await tx((t) => t.getTaskDefinitionDoc(region, "web", 2)), undefined);
      });

      it("reads the latest ACTIVE revision when no revision is given", async () => {
        await tx(async (t) => {
          for (const r of range(1, 9)) await t.insertTaskDefinition(taskDefinition("web", r));
          await t.insertTaskDefinition(taskDefinition("web", 10));
          await t.insertTaskDefinition(taskDefinition("web", 11, "INACTIVE"));
          await t.insertTaskDefinition(taskDefinition("web-2", 12));
        });
        assert.equal((await tx((t) => t.getTaskDefinition(region, "web")))?.revision, 10, "revisions sort as numbers, INACTIVE skipped");
        await tx((t) => t.putTaskDefinition(taskDefinition("web", 10, "INACTIVE")));
        assert.equal((await tx((t) => t.getTaskDefinition(region, "web")))?.revision, 9);
        assert.equal((await tx((t) => t.getTaskDefinition(region, "web", 11)))?.status, "INACTIVE", "an INACTIVE revision is still readable by number");
        await tx(async (t) => {
          for (const r of range(1, 9)) await t.putTaskDefinition(taskDefinition("web", r, "INACTIVE"));
        });
        assert.equal(await tx((t) => t.getTaskDefinition(region, "web")), undefined);
      });

      it("putTaskDefinition replaces the document and its status", async () => {
        await tx((t) => t.insertTaskDefinition(taskDefinition("web", 1)));
        const deregistered = taskDefinition("web", 1, "INACTIVE", { deregisteredAt: new Date(Date.UTC(2025, 3, 4, 5, 6, 7, 8)) });
        await tx((t) => t.putTaskDefinition(deregistered));
        assert.deepEqual(await tx((t) => t.getTaskDefinition(region, "web", 1)), deregistered);
        assert.deepEqual((await tx((t) => t.listTaskDefinitionArns({ region, limit: 10, descending: false, status: "ACTIVE" }))).items, []);
        assert.deepEqual((await tx((t) => t.listTaskDefinitionArns({ region, limit: 10, descending: false, status: "INACTIVE" }))).items, [
          taskDefinitionArn("web", 1),
        ]);
      });

      it("raises UniqueViolation for a taken ARN or a taken family:revision", async () => {
        const d = taskDefinition("web", 1);
        await tx((t) => t.insertTaskDefinition(d));
        await assert.rejects(tx((t) => t.insertTaskDefinition({ ...d, cpu: "1024" })), UniqueViolation);
        await assert.rejects(
          tx((t) => t.insertTaskDefinition({ ...d, taskDefinitionArn: `${prefix}:task-definition/web:01` })),
          UniqueViolation,
          "family and revision together are unique",
        );
        assert.deepEqual(await tx((t) => t.getTaskDefinition(region, "web", 1)), d);
      });

      describe("listTaskDefinitionArns", () => {
        const families: Record<string, number> = { api: 3, web: 11, "web-worker": 2, web_2: 1, webx: 2, Web: 1 };
        const seed = (): Promise<void> =>
          tx(async (t) => {
            for (const [family, count] of Object.entries(families)) {
              for (const r of range(1, count)) await t.insertTaskDefinition(taskDefinition(family, r, r === 2 ? "INACTIVE" : "ACTIVE"));
            }
          });
        const ascending = (): string[] =>
          Object.entries(families)
            .sort(([a], [b]) => byCodePoint(a, b))
            .flatMap(([f, count]) => range(1, count).map((r) => taskDefinitionArn(f, r)));

        it("sorts by family then numeric revision, ascending and descending, across pages", async () => {
          await seed();
          const expected = ascending();
          for (const limit of [1, 4, 7, 100]) {
            const up = await allPages((after) => tx((t) => t.listTaskDefinitionArns({ region, limit, descending: false, ...(after ? { after } : {}) })));
            assert.deepEqual(up.items, expected, `ascending, limit ${limit}`);
            assert.ok(up.sizes.slice(0, -1).every((s) => s === limit), `full pages before the last (limit ${limit})`);
            const down = await allPages((after) => tx((t) => t.listTaskDefinitionArns({ region, limit, descending: true, ...(after ? { after } : {}) })));
            assert.deepEqual(down.items, [...expected].reverse(), `descending, limit ${limit}`);
          }
        });

        it("filters by status, and pages within the filter", async () => {
          await seed();
          const isInactive = (arn: string): boolean => arn.endsWith(":2");
          for (const descending of [false, true]) {
            const order = descending ? ascending().reverse() : ascending();
            const active = await allPages((after) =>
              tx((t) => t.listTaskDefinitionArns({ region, limit: 3, descending, status: "ACTIVE", ...(after ? { after } : {}) })),
            );
            assert.deepEqual(active.items, order.filter((a) => !isInactive(a)));
            const inactive = await allPages((after) =>
              tx((t) => t.listTaskDefinitionArns({ region, limit: 2, descending, status: "INACTIVE", ...(after ? { after } : {}) })),
            );
            assert.deepEqual(inactive.items, order.filter(isInactive));
          }
        });

        it("matches familyPrefix literally and case-sensitively: % and _ are not wildcards", async () => {
          await seed();
          const list = async (familyPrefix: string, descending = false): Promise<string[]> =>
            (await allPages((after) => tx((t) => t.listTaskDefinitionArns({ region, limit: 2, descending, familyPrefix, ...(after ? { after } : {}) })))).items;
          const familiesOf = (arns: string[]): string[] => [...new Set(arns.map((a) => a.slice(a.lastIndexOf("/") + 1, a.lastIndexOf(":"))))];
          // Every case is checked before asserting, so one run shows all that differ.
          const cases: Record<string, [string, boolean]> = {
            "plain prefix": ["web", false],
            "plain prefix, descending": ["web", true],
            "_ matches only an underscore": ["web_", false],
            "% matches only a percent sign": ["we%", false],
            "a lone %": ["%", false],
            "a leading _": ["_eb", false],
            "case-sensitive": ["Web", false],
            "whole family": ["api", false],
            "no match": ["zzz", false],
          };
          const actual: Record<string, string[]> = {};
          for (const [label, [familyPrefix, descending]] of Object.entries(cases)) actual[label] = familiesOf(await list(familyPrefix, descending));
          assert.deepEqual(actual, {
            "plain prefix": ["web", "web-worker", "web_2", "webx"],
            "plain prefix, descending": ["webx", "web_2", "web-worker", "web"],
            "_ matches only an underscore": ["web_2"],
            "% matches only a percent sign": [],
            "a lone %": [],
            "a leading _": [],
            "case-sensitive": ["Web"],
            "whole family": ["api"],
            "no match": [],
          });
          assert.equal((await list("api")).length, 3);
        });
      });

      describe("listTaskDefinitionFamilies", () => {
        const seed = (): Promise<void> =>
          tx(async (t) => {
            // all-active: every revision ACTIVE; mixed: one of each; retired: none ACTIVE.
            await t.insertTaskDefinition(taskDefinition("all-active", 1));
            await t.insertTaskDefinition(taskDefinition("all-active", 2));
            await t.insertTaskDefinition(taskDefinition("mixed", 1, "INACTIVE"));
            await t.insertTaskDefinition(taskDefinition("mixed", 2));
            await t.insertTaskDefinition(taskDefinition("retired", 1, "INACTIVE"));
            await t.insertTaskDefinition(taskDefinition("retired", 2, "INACTIVE"));
            await t.insertTaskDefinition(taskDefinition("ret_x", 1));
            await t.insertTaskDefinition(taskDefinition("retxx", 1, "INACTIVE"));
            await t.insertTaskDefinition(taskDefinition("Retired", 1));
          });
        const list = async (status: "ACTIVE" | "INACTIVE" | "ALL", familyPrefix?: string, limit = 2): Promise<string[]> =>
          (
            await allPages((after) =>
              tx((t) => t.listTaskDefinitionFamilies({ region, limit, status, ...(familyPrefix !== undefined ? { familyPrefix } : {}), ...(after ? { after } : {}) })),
            )
          ).items;

        it("lists ACTIVE (some revision ACTIVE), INACTIVE (none ACTIVE) and ALL families in order", async () => {
          await seed();
          assert.deepEqual(await list("ALL"), ["Retired", "all-active", "mixed", "ret_x", "retired", "retxx"]);
          assert.deepEqual(await list("ACTIVE"), ["Retired", "all-active", "mixed", "ret_x"]);
          assert.deepEqual(await list("INACTIVE"), ["retired", "retxx"]);
          for (const limit of [1, 3, 6, 10]) assert.deepEqual(await list("ALL", undefined, limit), await list("ALL", undefined, 100), `limit ${limit}`);
        });

        it("follows status changes: deregistering the last ACTIVE revision makes a family INACTIVE", async () => {
          await seed();
          await tx((t) => t.putTaskDefinition(taskDefinition("mixed", 2, "INACTIVE")));
          assert.deepEqual(await list("INACTIVE"), ["mixed", "retired", "retxx"]);
          await tx((t) => t.putTaskDefinition(taskDefinition("retired", 1, "ACTIVE")));
          assert.deepEqual(await list("ACTIVE"), ["Retired", "all-active", "ret_x", "retired"]);
        });

        it("matches familyPrefix literally and case-sensitively", async () => {
          await seed();
          const cases: Record<string, ["ACTIVE" | "INACTIVE" | "ALL", string, number]> = {
            "plain prefix": ["ALL", "ret", 2],
            "_ matches only an underscore": ["ALL", "ret_", 2],
            "% matches only a percent sign": ["ALL", "ret%", 2],
            "a lone %": ["ALL", "%", 2],
            "prefix and ACTIVE": ["ACTIVE", "ret", 2],
            "prefix and INACTIVE, one per page": ["INACTIVE", "ret", 1],
            "case-sensitive": ["ALL", "Ret", 2],
          };
          const actual: Record<string, string[]> = {};
          for (const [label, [status, familyPrefix, limit]] of Object.entries(cases)) actual[label] = await list(status, familyPrefix, limit);
          assert.deepEqual(actual, {
            "plain prefix": ["ret_x", "retired", "retxx"],
            "_ matches only an underscore": ["ret_x"],
            "% matches only a percent sign": [],
            "a lone %": [],
            "prefix and ACTIVE": ["ret_x"],
            "prefix and INACTIVE, one per page": ["retired", "retxx"],
            "case-sensitive": ["Retired"],
          });
        });
      });

      describe("nextRevision", () => {
        it("counts 1, 2, 3 … per family, independently", async () => {
          const got: number[] = [];
          for (let i = 0; i < 3; i++) got.push(await tx((t) => t.nextRevision(region, "web")));
          got.push(await tx((t) => t.nextRevision(region, "api")));
          got.push(await tx(async (t) => (await t.nextRevision(region, "web")) * 100 + (await t.nextRevision(region, "web"))));
          assert.deepEqual(got, [1, 2, 3, 1, 405]);
        });

        it("hands 50 concurrent transactions exactly 1..50, then 10 more exactly 51..60", async () => {
          const register = (family: string): Promise<number> =>
            tx(async (t) => {
              const revision = await t.nextRevision(region, family);
              await yieldToOthers();
              await t.insertTaskDefinition(taskDefinition(family, revision));
              return revision;
            });
          const first = await Promise.all(Array.from({ length: 50 }, () => register("busy")));
          assert.deepEqual([...first].sort((a, b) => a - b), range(1, 50), "no gap, no duplicate on a new family");
          const more = await Promise.all(Array.from({ length: 10 }, () => register("busy")));
          assert.deepEqual([...more].sort((a, b) => a - b), range(51, 60), "no gap, no duplicate on an existing family");
          const listed = await allPages((after) => tx((t) => t.listTaskDefinitionArns({ region, limit: 25, descending: false, ...(after ? { after } : {}) })));
          assert.deepEqual(listed.items, range(1, 60).map((r) => taskDefinitionArn("busy", r)));
        });

        it("gives a rolled-back revision out again", async () => {
          assert.equal(await tx((t) => t.nextRevision(region, "web")), 1);
          await assert.rejects(
            tx(async (t) => {
              assert.equal(await t.nextRevision(region, "web"), 2);
              throw new Deliberate();
            }),
            Deliberate,
          );
          assert.equal(await tx((t) => t.nextRevision(region, "web")), 2);
          await assert.rejects(
            tx(async (t) => {
              assert.equal(await t.nextRevision(region, "fresh"), 1);
              throw new Deliberate();
            }),
            Deliberate,
          );
          assert.equal(await tx((t) => t.nextRevision(region, "fresh")), 1);
        });
      });
    });

    describe("container instances", () => {
      const web = clusterArn("web");

      it("round-trips an instance with its Dates, within its cluster only", async () => {
        const i = containerInstance("web", "a1", "ACTIVE", {
          healthStatus: {
            overallStatus: "OK",
            details: [
              {
                type: "CONTAINER_RUNTIME",
                status: "OK",
                lastUpdated: new Date(Date.UTC(2024, 6, 1, 0, 0, 0, 1)),
                lastStatusChange: new Date(Date.UTC(2024, 6, 1, 0, 0, 0, 2)),
              },
            ],
          },
          tags: [{ key: "rack", value: "r1" }],
        });
        await tx((t) => t.insertContainerInstance(web, i));
        const got = await tx((t) => t.getContainerInstance(web, i.containerInstanceArn!));
        assert.deepEqual(got, i);
        assert.ok(got?.healthStatus?.details?.[0]?.lastUpdated instanceof Date, "nested Dates come back as Dates");
        assert.equal(await tx((t) => t.getContainerInstance(clusterArn("other"), i.containerInstanceArn!)), undefined);
        assert.equal(await tx((t) => t.getContainerInstance(web, containerInstanceArn("web", "zz"))), undefined);
      });

      it("putContainerInstance replaces the document; deleteContainerInstance removes it", async () => {
        await tx((t) => t.insertContainerInstance(web, containerInstance("web", "a1")));
        const drained = containerInstance("web", "a1", "DRAINING", { agentConnected: false, version: 7 });
        await tx((t) => t.putContainerInstance(web, drained));
        assert.deepEqual(await tx((t) => t.getContainerInstance(web, drained.containerInstanceArn!)), drained);
        await tx((t) => t.deleteContainerInstance(drained.containerInstanceArn!));
        assert.equal(await tx((t) => t.getContainerInstance(web, drained.containerInstanceArn!)), undefined);
        assert.deepEqual((await tx((t) => t.listContainerInstances(web, { limit: 10 }))).items, []);
      });

      it("raises UniqueViolation for a taken ARN", async () => {
        const i = containerInstance("web", "a1");
        await tx((t) => t.insertContainerInstance(web, i));
        await assert.rejects(tx((t) => t.insertContainerInstance(web, { ...i, version: 2 })), UniqueViolation);
        assert.deepEqual(await tx((t) => t.getContainerInstance(web, i.containerInstanceArn!)), i);
      });

      it("lists a cluster's instances by ARN, page by page", async () => {
        const ids = ["c3", "a1", "b2", "e5", "d4"];
        await tx(async (t) => {
          for (const id of ids) await t.insertContainerInstance(web, containerInstance("web", id));
          await t.insertContainerInstance(clusterArn("other"), containerInstance("other", "x9"));
        });
        const { items, sizes } = await allPages((after) => tx((t) => t.listContainerInstances(web, { limit: 2, ...(after ? { after } : {}) })));
        assert.deepEqual(
          items.map((i) => i.containerInstanceArn),
          ids.map((id) => containerInstanceArn("web", id)).sort(byCodePoint),
        );
        assert.deepEqual(sizes, [2, 2, 1]);
        assert.deepEqual(items[0], containerInstance("web", "a1"));
      });
    });

    describe("attributes", () => {
      const web = clusterArn("web");
      const row = (targetId: string, name: string, value?: string, clusterArn = web, targetType = "container-instance"): AttributeRow => ({
        clusterArn,
        targetType,
        targetId,
        name,
        ...(value === undefined ? {} : { value }),
      });

      it("upserts per target and name; attributesOf lists a target's attributes by name", async () => {
        await tx(async (t) => {
          await t.putAttribute(row("i-1", "stack", "dev"));
          await t.putAttribute(row("i-1", "ecs.os-type", "linux"));
          await t.putAttribute(row("i-1", "gpu"));
          await t.putAttribute(row("i-2", "stack", "prod"));
        });
        await tx((t) => t.putAttribute(row("i-1", "stack", "prod")));
        await tx((t) => t.putAttribute(row("i-2", "stack")));
        assert.deepEqual(await tx((t) => t.attributesOf("i-1")), [row("i-1", "ecs.os-type", "linux"), row("i-1", "gpu"), row("i-1", "stack", "prod")]);
        assert.deepEqual(await tx((t) => t.attributesOf("i-2")), [row("i-2", "stack")], "a value can be cleared");
        assert.deepEqual(await tx((t) => t.attributesOf("i-3")), []);
      });

      it("deleteAttribute reports whether it removed something", async () => {
        await tx((t) => t.putAttribute(row("i-1", "stack", "dev")));
        assert.equal(await tx((t) => t.deleteAttribute("i-1", "stack")), true);
        assert.equal(await tx((t) => t.deleteAttribute("i-1", "stack")), false);
        assert.equal(await tx((t) => t.deleteAttribute("i-9", "stack")), false);
        assert.deepEqual(await tx((t) => t.attributesOf("i-1")), []);
      });

      it("listAttributes filters by cluster, target type, name and value, and pages by target then name", async () => {
        const rows = [
          row("i-1", "stack", "prod"),
          row("i-1", "zone", "a"),
          row("i-2", "stack", "dev"),
          row("i-3", "stack", "prod"),
          row("i-3", "gpu"),
          row("i-4", "stack", "prod"),
          row("i-5", "stack", "prod", clusterArn("other")),
          row("td-1", "stack", "prod", web, "task-definition"),
        ];
        await tx(async (t) => {
          for (const r of [...rows].reverse()) await t.putAttribute(r);
        });
        const list = async (q: { name?: string; value?: string; targetType?: string; clusterArn?: string }, limit = 2): Promise<AttributeRow[]> =>
          (
            await allPages((after) =>
              tx((t) =>
                t.listAttributes({
                  clusterArn: q.clusterArn ?? web,
                  targetType: q.targetType ?? "container-instance",
                  limit,
                  ...(q.name !== undefined ? { name: q.name } : {}),
                  ...(q.value !== undefined ? { value: q.value } : {}),
                  ...(after ? { after } : {}),
                }),
              ),
            )
          ).items;
        assert.deepEqual(await list({}), [rows[0], rows[1], rows[2], rows[4], rows[3], rows[5]]);
        assert.deepEqual(await list({}, 1), await list({}, 100));
        assert.deepEqual(await list({ name: "stack" }), [rows[0], rows[2], rows[3], rows[5]]);
        assert.deepEqual(await list({ name: "stack", value: "prod" }, 1), [rows[0], rows[3], rows[5]]);
        assert.deepEqual(await list({ name: "stack", value: "nope" }), []);
        assert.deepEqual(await list({ targetType: "task-definition" }), [rows[7]]);
        assert.deepEqual(await list({ clusterArn: clusterArn("other") }), [rows[6]]);
      });
    });

    describe("tasks", () => {
      const web = clusterArn("web");
      const i1 = containerInstanceArn("web", "i1");
      const i2 = containerInstanceArn("web", "i2");

      it("round-trips a task with its Dates and containers; putTask replaces it", async () => {
        const t1 = task("t1", "RUNNING", {
          startedAt: new Date(epoch + 1),
          pullStartedAt: new Date(epoch + 2),
          overrides: { containerOverrides: [{ name: "app", environment: [{ name: "X", value: "1" }] }] },
          tags: [{ key: "team", value: "a" }],
          startedBy: "ecs-svc/123",
          group: "service:api",
        });
        await tx((t) => t.insertTask(t1));
        const got = await tx((t) => t.getTask(t1.taskArn!));
        assert.deepEqual(got, t1);
        assert.ok(got?.startedAt instanceof Date, "startedAt comes back as a Date");
        assert.equal(await tx((t) => t.getTask(taskArn("web", "nope"))), undefined);
        const stopped = task("t1", "STOPPED", { startedBy: "ecs-svc/123", group: "service:api" });
        await tx((t) => t.putTask(stopped));
        assert.deepEqual(await tx((t) => t.getTask(t1.taskArn!)), stopped);
      });

      it("getTaskDocs reads many tasks at once; unknown and repeated ARNs are fine", async () => {
        const t1 = task("t1", "RUNNING");
        const t2 = task("t2", "PENDING");
        await tx(async (t) => {
          await t.insertTask(t1);
          await t.insertTask(t2);
        });
        const got = await tx((t) => t.getTaskDocs([t2.taskArn!, taskArn("web", "nope"), t1.taskArn!, t2.taskArn!]));
        assert.deepEqual([...got.keys()].sort(), [t1.taskArn, t2.taskArn].sort());
        assert.deepEqual(decodeDoc(got.get(t1.taskArn!)!), t1);
        assert.deepEqual(decodeDoc(got.get(t2.taskArn!)!), t2);
        // The same content reads back as the same text, however often it is read.
        assert.equal((await tx((t) => t.getTaskDocs([t1.taskArn!]))).get(t1.taskArn!), got.get(t1.taskArn!));
        assert.equal((await tx((t) => t.getTaskDocs([]))).size, 0);
      });

      it("raises UniqueViolation for a taken ARN", async () => {
        await tx((t) => t.insertTask(task("t1", "PENDING")));
        await assert.rejects(tx((t) => t.insertTask(task("t1", "RUNNING"))), UniqueViolation);
        assert.equal((await tx((t) => t.getTask(taskArn("web", "t1"))))?.lastStatus, "PENDING");
      });

      const seed = (): Promise<void> =>
        tx(async (t) => {
          await t.insertTask(task("a-run", "RUNNING", { startedBy: "alice", group: "service:api" }));
          await t.insertTask(unplaced(task("b-prov", "PROVISIONING", { launchType: "FARGATE" })));
          await t.insertTask(task("c-pend", "PENDING", { containerInstanceArn: i2, taskDefinitionArn: taskDefinitionArn("batch", 1), startedBy: "bob" }));
          await t.insertTask(task("d-act", "ACTIVATING", { group: "service:api" }));
          await t.insertTask(task("e-stopping", "STOPPING", { desiredStatus: "STOPPED" }));
          await t.insertTask(task("f-deact", "DEACTIVATING", { desiredStatus: "STOPPED", containerInstanceArn: i2 }));
          await t.insertTask(task("g-stopped", "STOPPED", { startedBy: "alice" }));
          await t.insertTask(task("h-run", "RUNNING", { containerInstanceArn: i2, taskDefinitionArn: taskDefinitionArn("app-2", 1) }));
          await t.insertTask({ ...task("x-other", "RUNNING"), taskArn: taskArn("other", "x"), clusterArn: clusterArn("other"), containerInstanceArn: containerInstanceArn("other", "o1") });
        });
      const ids = (arns: readonly string[]): string[] => arns.map((a) => a.slice(a.lastIndexOf("/") + 1));

      it("listTaskArns filters as ECS's ListTasks does, in ARN order, page by page", async () => {
        await seed();
        const list = async (q: Partial<Parameters<Tx["listTaskArns"]>[0]>, limit = 2): Promise<string[]> =>
          ids(
            (
              await allPages((after) =>
                tx((t) => t.listTaskArns({ clusterArn: web, desiredStatus: "RUNNING", limit, ...q, ...(after ? { after } : {}) })),
              )
            ).items,
          );
        const cases: Record<string, Partial<Parameters<Tx["listTaskArns"]>[0]>> = {
          "desired RUNNING": {},
          "desired RUNNING, one per page": { limit: 1 },
          "PENDING: desired RUNNING and on the way up": { desiredStatus: "PENDING" },
          "desired STOPPED": { desiredStatus: "STOPPED" },
          "on an instance": { containerInstanceArn: i2 },
          "on an instance, desired STOPPED": { containerInstanceArn: i2, desiredStatus: "STOPPED" },
          "family is exact": { family: "app" },
          "startedBy": { startedBy: "alice" },
          "startedBy, desired STOPPED": { startedBy: "alice", desiredStatus: "STOPPED" },
          "group": { group: "service:api" },
          "launch type": { launchType: "FARGATE" },
          "launch type defaults to EC2": { launchType: "EC2" },
          "another cluster": { clusterArn: clusterArn("other") },
          "an unknown cluster": { clusterArn: clusterArn("none") },
        };
        const actual: Record<string, string[]> = {};
        for (const [label, q] of Object.entries(cases)) actual[label] = await list(q, q.limit ?? 2);
        assert.deepEqual(actual, {
          "desired RUNNING": ["a-run", "b-prov", "c-pend", "d-act", "h-run"],
          "desired RUNNING, one per page": ["a-run", "b-prov", "c-pend", "d-act", "h-run"],
          "PENDING: desired RUNNING and on the way up": ["b-prov", "c-pend", "d-act"],
          "desired STOPPED": ["e-stopping", "f-deact", "g-stopped"],
          "on an instance": ["c-pend", "h-run"],
          "on an instance, desired STOPPED": ["f-deact"],
          "family is exact": ["a-run", "b-prov", "d-act"],
          startedBy: ["a-run"],
          "startedBy, desired STOPPED": ["g-stopped"],
          group: ["a-run", "d-act"],
          "launch type": ["b-prov"],
          "launch type defaults to EC2": ["a-run", "c-pend", "d-act", "h-run"],
          "another cluster": ["x"],
          "an unknown cluster": [],
        });
      });

      it("liveTasksOnInstance and liveTasksInCluster return what has not reached STOPPED, in ARN order", async () => {
        await seed();
        assert.deepEqual(ids((await tx((t) => t.liveTasksOnInstance(i1))).map((t) => t.taskArn!)), ["a-run", "d-act", "e-stopping"]);
        assert.deepEqual(ids((await tx((t) => t.liveTasksOnInstance(i2))).map((t) => t.taskArn!)), ["c-pend", "f-deact", "h-run"]);
        assert.deepEqual(await tx((t) => t.liveTasksOnInstance(containerInstanceArn("web", "none"))), []);
        const live = await tx((t) => t.liveTasksInCluster(web));
        assert.deepEqual(ids(live.map((t) => t.taskArn!)), ["a-run", "b-prov", "c-pend", "d-act", "e-stopping", "f-deact", "h-run"]);
        assert.deepEqual(live[0], task("a-run", "RUNNING", { startedBy: "alice", group: "service:api" }), "whole documents");
        // Reaching STOPPED releases the instance.
        await tx((t) => t.putTask(task("c-pend", "STOPPED", { containerInstanceArn: i2, taskDefinitionArn: taskDefinitionArn("batch", 1) })));
        assert.deepEqual(ids((await tx((t) => t.liveTasksOnInstance(i2))).map((t) => t.taskArn!)), ["f-deact", "h-run"]);
      });

      it("clusterUsage counts RUNNING tasks and tasks on their way up (PROVISIONING, PENDING, ACTIVATING)", async () => {
        await seed();
        const usage = await tx((t) => t.clusterUsage(web));
        assert.equal(usage.runningTasksCount, 2);
        assert.equal(usage.pendingTasksCount, 3);
        await tx((t) => t.putTask(task("d-act", "RUNNING", { group: "service:api" })));
        await tx((t) => t.putTask(task("a-run", "DEACTIVATING", { desiredStatus: "STOPPED", startedBy: "alice", group: "service:api" })));
        const after = await tx((t) => t.clusterUsage(web));
        assert.equal(after.runningTasksCount, 2);
        assert.equal(after.pendingTasksCount, 2);
        assert.equal((await tx((t) => t.clusterUsage(clusterArn("other")))).runningTasksCount, 1);
      });

      it("purgeStoppedTasks deletes tasks that stopped before the cutoff, and counts them", async () => {
        await tx(async (t) => {
          await t.insertTask(task("old", "STOPPED", { stoppedAt: new Date(epoch + 5 * minute) }));
          await t.insertTask(task("older", "STOPPED", { stoppedAt: new Date(epoch + 1 * minute) }));
          await t.insertTask(task("recent", "STOPPED", { stoppedAt: new Date(epoch + 60 * minute) }));
          await t.insertTask(task("running", "RUNNING"));
          await t.insertTask(task("stopping", "STOPPING", { desiredStatus: "STOPPED", stoppedAt: new Date(epoch) }));
        });
        assert.equal(await tx((t) => t.purgeStoppedTasks(new Date(epoch + 30 * minute))), 2);
        assert.equal(await tx((t) => t.getTask(taskArn("web", "old"))), undefined);
        assert.equal(await tx((t) => t.getTask(taskArn("web", "older"))), undefined);
        for (const id of ["recent", "running", "stopping"]) assert.ok(await tx((t) => t.getTask(taskArn("web", id))), `${id} is kept`);
        assert.equal(await tx((t) => t.purgeStoppedTasks(new Date(epoch + 30 * minute))), 0);
        // A task put to STOPPED later becomes purgeable too.
        await tx((t) => t.putTask(task("running", "STOPPED", { stoppedAt: new Date(epoch + 2 * minute) })));
        assert.equal(await tx((t) => t.purgeStoppedTasks(new Date(epoch + 30 * minute))), 1);
      });
    });

    describe("account settings", () => {
      it("keeps settings per principal, upserts by name, and deletes reporting what it removed", async () => {
        const user = `arn:aws:iam::${account}:user/alice`;
        await tx(async (t) => {
          await t.putAccountSetting(region, "", "containerInsights", "disabled");
          await t.putAccountSetting(region, "", "serviceLongArnFormat", "enabled");
          await t.putAccountSetting(region, user, "containerInsights", "enabled");
        });
        await tx((t) => t.putAccountSetting(region, "", "containerInsights", "enhanced"));
        const sorted = <T extends { name?: string }>(xs: readonly T[]): T[] => [...xs].sort((a, b) => byCodePoint(a.name ?? "", b.name ?? ""));
        assert.deepEqual(sorted(await tx((t) => t.getAccountSettings(region, ""))), [
          { name: "containerInsights", value: "enhanced", principalArn: "" },
          { name: "serviceLongArnFormat", value: "enabled", principalArn: "" },
        ]);
        assert.deepEqual(await tx((t) => t.getAccountSettings(region, user)), [{ name: "containerInsights", value: "enabled", principalArn: user }]);
        assert.equal(await tx((t) => t.deleteAccountSetting(region, user, "containerInsights")), true);
        assert.equal(await tx((t) => t.deleteAccountSetting(region, user, "containerInsights")), false);
        assert.deepEqual(await tx((t) => t.getAccountSettings(region, user)), []);
        assert.equal((await tx((t) => t.getAccountSettings(region, ""))).length, 2, "another principal's settings are untouched");
      });
    });

    describe("reads outside a transaction (store.read)", () => {
      const read = <T>(fn: (t: Tx) => Promise<T>): Promise<T> => store.read(fn);
      const web = clusterArn("web");
      const latestRevision = async (family: string): Promise<number | undefined> =>
        (await read((t) => t.getTaskDefinition(region, family)))?.revision;
      const clusterArns = async (): Promise<readonly string[]> => (await read((t) => t.listClusterArns(region, { limit: 10 }))).items;
      const familyRevisions = async (family: string, status?: TaskDefinitionStatus): Promise<readonly string[]> =>
        (await read((t) => t.listTaskDefinitionArns({ region, family, ...(status ? { status } : {}), descending: false, limit: 10 }))).items;

      it("each of the hottest reads, asked twice, follows every kind of write to what it returns", async () => {
        assert.deepEqual(await clusterArns(), []);
        await tx((t) => t.insertCluster(cluster("web")));
        assert.deepEqual(await clusterArns(), [web]);
        await tx((t) => t.insertCluster(cluster("api")));
        assert.deepEqual(await clusterArns(), [clusterArn("api"), web]);
        assert.equal((await read((t) => t.getCluster(web)))?.status, "ACTIVE");
        await tx((t) => t.putCluster(cluster("api", { status: "INACTIVE" })));
        assert.deepEqual(await clusterArns(), [web]);
        assert.equal((await read((t) => t.getCluster(clusterArn("api"))))?.status, "INACTIVE");

        const usage = () => read((t) => t.clusterUsage(web));
        assert.deepEqual(await usage(), { registeredContainerInstancesCount: 0, runningTasksCount: 0, pendingTasksCount: 0, activeServicesCount: 0 });
        await tx((t) => t.insertContainerInstance(web, containerInstance("web", "i1")));
        assert.equal((await usage()).registeredContainerInstancesCount, 1);
        await tx((t) => t.insertTask(task("t1", "PENDING")));
        assert.deepEqual(await usage(), { registeredContainerInstancesCount: 1, runningTasksCount: 0, pendingTasksCount: 1, activeServicesCount: 0 });
        await tx((t) => t.putTask(task("t1", "RUNNING")));
        assert.equal((await usage()).runningTasksCount, 1);
        await tx((t) => t.putContainerInstance(web, containerInstance("web", "i1", "INACTIVE")));
        assert.equal((await usage()).registeredContainerInstancesCount, 0);

        assert.equal(await latestRevision("app"), undefined);
        await tx((t) => t.insertTaskDefinition(taskDefinition("app", 1)));
        assert.equal(await latestRevision("app"), 1);
        await tx((t) => t.insertTaskDefinition(taskDefinition("app", 2)));
        assert.equal(await latestRevision("app"), 2);
        assert.deepEqual(await familyRevisions("app"), [taskDefinitionArn("app", 1), taskDefinitionArn("app", 2)]);
        await tx((t) => t.putTaskDefinition(taskDefinition("app", 2, "INACTIVE")));
        assert.equal(await latestRevision("app"), 1);
        assert.equal((await read((t) => t.getTaskDefinition(region, "app", 2)))?.status, "INACTIVE");
        assert.deepEqual(await familyRevisions("app", "ACTIVE"), [taskDefinitionArn("app", 1)]);

        const tags = () => read((t) => t.getTags(web));
        assert.deepEqual(await tags(), []);
        await tx((t) => t.putTags(web, [{ key: "team", value: "a" }]));
        assert.deepEqual(await tags(), [{ key: "team", value: "a" }]);
        await tx((t) => t.deleteTags(web));
        assert.deepEqual(await tags(), []);
      });

      it("never answers with a rolled-back write, and keeps answering with what was there", async () => {
        await tx((t) => t.insertTaskDefinition(taskDefinition("app", 1)));
        assert.equal(await latestRevision("app"), 1);
        await assert.rejects(
          tx(async (t) => {
            await t.insertTaskDefinition(taskDefinition("app", 2));
            assert.equal(await t.getTaskDefinition(region, "app").then((d) => d?.revision), 2, "the transaction reads its own write");
            throw new Deliberate();
          }),
          Deliberate,
        );
        assert.equal(await latestRevision("app"), 1);
        assert.equal(await latestRevision("app"), 1);
      });

      it("a read racing a write to the same rows is followed by reads of what the write committed", async () => {
        await tx((t) => t.insertTaskDefinition(taskDefinition("app", 1)));
        assert.equal(await latestRevision("app"), 1);
        for (const revision of range(2, 6)) {
          const [, racing] = await Promise.all([
            tx(async (t) => {
              await yieldToOthers();
              await t.insertTaskDefinition(taskDefinition("app", revision));
            }),
            latestRevision("app"),
          ]);
          assert.ok(racing === revision - 1 || racing === revision, `read ${racing} while ${revision} was written`);
          assert.equal(await latestRevision("app"), revision);
        }
      });

      it("a write to one family, cluster or ARN changes nothing read of the others", async () => {
        await tx(async (t) => {
          await t.insertCluster(cluster("web"));
          await t.insertTaskDefinition(taskDefinition("app", 1));
          await t.insertTaskDefinition(taskDefinition("other", 1));
        });
        assert.equal(await latestRevision("app"), 1);
        assert.equal((await read((t) => t.clusterUsage(web))).runningTasksCount, 0);
        await tx(async (t) => {
          await t.insertTaskDefinition(taskDefinition("other", 2));
          await t.insertCluster(cluster("api"));
          await t.putTags(clusterArn("api"), [{ key: "k", value: "v" }]);
        });
        assert.equal(await latestRevision("app"), 1);
        assert.equal(await latestRevision("other"), 2);
        assert.deepEqual(await read((t) => t.getTags(web)), []);
        assert.equal((await read((t) => t.clusterUsage(web))).runningTasksCount, 0);
      });
    });

    describe("transactions", () => {
      it("returns the callback's value and lets it read its own writes", async () => {
        const got = await tx(async (t) => {
          await t.insertCluster(cluster("web"));
          await t.putTags(clusterArn("web"), [{ key: "k", value: "v" }]);
          return { cluster: await t.getCluster(clusterArn("web")), tags: await t.getTags(clusterArn("web")) };
        });
        assert.deepEqual(got, { cluster: cluster("web"), tags: [{ key: "k", value: "v" }] });
      });

      it("leaves no write behind when the callback throws, and rethrows the same error", async () => {
        await tx(async (t) => {
          await t.insertCluster(cluster("keep"));
          await t.putTags(clusterArn("keep"), [{ key: "k", value: "before" }]);
          await t.insertContainerInstance(clusterArn("keep"), containerInstance("keep", "k1"));
          await t.putAttribute({ clusterArn: clusterArn("keep"), targetType: "container-instance", targetId: "k1", name: "a", value: "before" });
          await t.putAccountSetting(region, "", "containerInsights", "disabled");
          await t.insertTaskDefinition(taskDefinition("keep", await t.nextRevision(region, "keep")));
          await t.insertCapacityProvider(capacityProvider("keep"));
          await t.insertTask(task("keep", "RUNNING"));
        });
        const snapshot = (): Promise<unknown> =>
          tx(async (t) => ({
            clusters: await t.listClusterArns(region, { limit: 100 }),
            keep: await t.getCluster(clusterArn("keep")),
            tags: await t.getTags(clusterArn("keep")),
            newTags: await t.getTags(clusterArn("new")),
            instances: await t.listContainerInstances(clusterArn("keep"), { limit: 100 }),
            newInstances: await t.listContainerInstances(clusterArn("new"), { limit: 100 }),
            attributes: await t.attributesOf("k1"),
            newAttributes: await t.attributesOf("n1"),
            settings: await t.getAccountSettings(region, ""),
            definitions: await t.listTaskDefinitionArns({ region, limit: 100, descending: false }),
            providers: await t.listCapacityProviders(region, { limit: 100 }),
            tasks: await t.liveTasksInCluster(clusterArn("web")),
            stoppedTasks: await t.listTaskArns({ clusterArn: clusterArn("web"), desiredStatus: "STOPPED", limit: 100 }),
          }));
        const before = await snapshot();
        const thrown = new Deliberate("stop");
        await assert.rejects(
          tx(async (t) => {
            await t.insertCluster(cluster("new"));
            await t.putCluster(cluster("keep", { status: "INACTIVE" }));
            await t.putTags(clusterArn("keep"), [{ key: "k", value: "after" }]);
            await t.deleteTags(clusterArn("keep"), ["k"]);
            await t.putTags(clusterArn("new"), [{ key: "n", value: "v" }]);
            await t.insertContainerInstance(clusterArn("new"), containerInstance("new", "n1"));
            await t.putContainerInstance(clusterArn("keep"), containerInstance("keep", "k1", "DRAINING"));
            await t.deleteContainerInstance(containerInstanceArn("keep", "k1"));
            await t.putAttribute({ clusterArn: clusterArn("new"), targetType: "container-instance", targetId: "n1", name: "a" });
            await t.deleteAttribute("k1", "a");
            await t.putAccountSetting(region, "", "containerInsights", "enabled");
            await t.deleteAccountSetting(region, "", "containerInsights");
            await t.putTaskDefinition(taskDefinition("keep", 1, "INACTIVE"));
            await t.insertTaskDefinition(taskDefinition("keep", await t.nextRevision(region, "keep")));
            await t.insertTaskDefinition(taskDefinition("new", await t.nextRevision(region, "new")));
            await t.putCapacityProvider(capacityProvider("keep", { status: "INACTIVE" }));
            await t.deleteCapacityProvider(region, "keep");
            await t.insertCapacityProvider(capacityProvider("new"));
            await t.insertTask(task("new", "PENDING"));
            await t.putTask(task("keep", "STOPPED", { stoppedAt: new Date(epoch) }));
            assert.equal(await t.purgeStoppedTasks(new Date(epoch + minute)), 1);
            throw thrown;
          }),
          (err) => err === thrown,
        );
        assert.deepEqual(await snapshot(), before);
        assert.equal(await tx((t) => t.nextRevision(region, "keep")), 2, "the family counter rolled back too");
      });

      it("rolls back everything when a UniqueViolation escapes the callback", async () => {
        await tx((t) => t.insertTaskDefinition(taskDefinition("taken", 1)));
        await assert.rejects(
          tx(async (t) => {
            await t.insertCluster(cluster("first"));
            await t.putTags(clusterArn("first"), [{ key: "k", value: "v" }]);
            await t.insertTaskDefinition(taskDefinition("fam", await t.nextRevision(region, "fam")));
            await t.insertTaskDefinition(taskDefinition("taken", 1));
          }),
          UniqueViolation,
        );
        assert.equal(await tx((t) => t.getCluster(clusterArn("first"))), undefined);
        assert.deepEqual(await tx((t) => t.getTags(clusterArn("first"))), []);
        assert.equal(await tx((t) => t.getTaskDefinition(region, "fam", 1)), undefined);
        assert.deepEqual(await tx((t) => t.getTaskDefinition(region, "taken", 1)), taskDefinition("taken", 1));
        assert.equal(await tx((t) => t.nextRevision(region, "fam")), 1);
      });

      it("stays usable after the callback catches a UniqueViolation; only the failed insert is undone", async () => {
        // Callers turn UniqueViolation into their own answer (e.g. "already exists")
        // and may carry on in the same transaction; that must work on every backend.
        await tx((t) => t.insertTaskDefinition(taskDefinition("taken", 1)));
        await tx(async (t) => {
          await t.insertCluster(cluster("before"));
          await assert.rejects(t.insertTaskDefinition({ ...taskDefinition("taken", 1), cpu: "2048" }), UniqueViolation);
          assert.deepEqual(await t.getTaskDefinition(region, "taken", 1), taskDefinition("taken", 1));
          await t.insertCluster(cluster("after"));
        });
        assert.deepEqual((await tx((t) => t.listClusterArns(region, { limit: 10 }))).items, ["after", "before"].map(clusterArn));
      });

      describe("a get then a put in one transaction is never lost to a concurrent one", () => {
        const concurrency = 20;
        const bumpAll = async (bump: (t: Tx) => Promise<void>): Promise<void> => {
          await Promise.all(Array.from({ length: concurrency }, () => tx(bump)));
        };

        it("clusters", async () => {
          await tx((t) => t.insertCluster(cluster("web", { attachmentsStatus: "0" })));
          await bumpAll(async (t) => {
            const c = (await t.getCluster(clusterArn("web")))!;
            await yieldToOthers();
            await t.putCluster({ ...c, attachmentsStatus: String(Number(c.attachmentsStatus) + 1) });
          });
          assert.equal((await tx((t) => t.getCluster(clusterArn("web"))))?.attachmentsStatus, String(concurrency));
        });

        it("container instances", async () => {
          const web = clusterArn("web");
          const arn = containerInstanceArn("web", "a1");
          await tx((t) => t.insertContainerInstance(web, containerInstance("web", "a1", "ACTIVE", { version: 0 })));
          await bumpAll(async (t) => {
            const i = (await t.getContainerInstance(web, arn))!;
            await yieldToOthers();
            await t.putContainerInstance(web, { ...i, version: i.version! + 1 });
          });
          assert.equal((await tx((t) => t.getContainerInstance(web, arn)))?.version, concurrency);
        });

        it("capacity providers", async () => {
          await tx((t) => t.insertCapacityProvider(capacityProvider("asg", { updateStatusReason: "0" })));
          await bumpAll(async (t) => {
            const p = (await t.getCapacityProvider(region, "asg"))!;
            await yieldToOthers();
            await t.putCapacityProvider({ ...p, updateStatusReason: String(Number(p.updateStatusReason) + 1) });
          });
          assert.equal((await tx((t) => t.getCapacityProvider(region, "asg")))?.updateStatusReason, String(concurrency));
        });

        it("tasks", async () => {
          await tx((t) => t.insertTask(task("t1", "RUNNING", { version: 0 })));
          await bumpAll(async (t) => {
            const k = (await t.getTask(taskArn("web", "t1")))!;
            await yieldToOthers();
            await t.putTask({ ...k, version: k.version! + 1 });
          });
          assert.equal((await tx((t) => t.getTask(taskArn("web", "t1"))))?.version, concurrency);
        });

        it("live task counts: tasks placed and stopped side by side on one instance", async () => {
          const ids = Array.from({ length: concurrency }, (_, i) => `t${i}`);
          await Promise.all(ids.map((id) => tx((t) => t.insertTask(task(id, "PENDING", { containers: [] })))));
          const held = async (): Promise<number[]> => (await tx((t) => t.liveReservations(clusterArn("web")))).map((h) => h.tasks);
          assert.deepEqual(await held(), [concurrency]);
          await Promise.all(
            ids.slice(1).map((id) =>
              tx(async (t) => {
                const k = (await t.getTask(taskArn("web", id)))!;
                await yieldToOthers();
                await t.putTask({ ...k, lastStatus: "STOPPED" });
              }),
            ),
          );
          assert.deepEqual(await held(), [1]);
        });

        it("live task counts: transactions stopping tasks on two instances in opposite orders both commit", async () => {
          const on = (id: string, instance: string): Task => task(id, "RUNNING", { containers: [], containerInstanceArn: instance });
          const [i1, i2] = [containerInstanceArn("web", "i1"), containerInstanceArn("web", "i2")];
          await tx(async (t) => {
            for (const [id, instance] of [["a1", i1], ["a2", i1], ["b1", i2], ["b2", i2]] as const) await t.insertTask(on(id, instance));
          });
          const stop = (first: Task, second: Task) =>
            tx(async (t) => {
              await t.putTask({ ...first, lastStatus: "STOPPED" });
              await yieldToOthers();
              await t.putTask({ ...second, lastStatus: "STOPPED" });
            });
          await Promise.all([stop(on("a1", i1), on("b1", i2)), stop(on("b2", i2), on("a2", i1))]);
          assert.deepEqual(await tx((t) => t.liveReservations(clusterArn("web"))), []);
        });

        it("task definitions", async () => {
          await tx((t) => t.insertTaskDefinition(taskDefinition("web", 1, "ACTIVE", { registeredBy: "0" })));
          await bumpAll(async (t) => {
            const d = (await t.getTaskDefinition(region, "web", 1))!;
            await yieldToOthers();
            await t.putTaskDefinition({ ...d, registeredBy: String(Number(d.registeredBy) + 1) });
          });
          assert.equal((await tx((t) => t.getTaskDefinition(region, "web", 1)))?.registeredBy, String(concurrency));
        });
      });
    });

    describe("placement reads", () => {
      const web = clusterArn("web");
      const i1 = containerInstanceArn("web", "i1");
      const i2 = containerInstanceArn("web", "i2");
      const eni = (address: string): NonNullable<Task["attachments"]> => [
        { id: "eni-1", type: "ElasticNetworkInterface", status: "ATTACHED", details: [{ name: "privateIPv4Address", value: address }] },
      ];
      const byInstanceThenCpu = (a: { containerInstanceArn: string; cpu: number }, b: { containerInstanceArn: string; cpu: number }): number =>
        byCodePoint(a.containerInstanceArn, b.containerInstanceArn) || a.cpu - b.cpu;

      it("liveReservations: what each placed, live task holds, from the task as written", async () => {
        await tx(async (t) => {
          await t.insertTask(task("a", "RUNNING", { group: "service:api", cpu: "100" }));
          await t.insertTask(task("b", "PENDING", { containerInstanceArn: i2, cpu: "200", memory: "64", attachments: eni("10.0.0.5"), containers: [] }));
          await t.insertTask(task("c", "STOPPED", { cpu: "300" }));
          await t.insertTask(unplaced(task("d", "PROVISIONING", { cpu: "400" })));
          await t.insertTask({
            ...task("x", "RUNNING"),
            taskArn: taskArn("other", "x"),
            clusterArn: clusterArn("other"),
            containerInstanceArn: containerInstanceArn("other", "i9"),
          });
          // A task of another cluster on this cluster's instance (Fargate's way) holds it too.
          await t.insertTask({ ...task("f", "RUNNING", { cpu: "600", containers: [] }), taskArn: taskArn("other", "f"), clusterArn: clusterArn("other") });
          await t.insertTask(
            task("u", "RUNNING", {
              cpu: "500",
              containers: [{ name: "dns", networkBindings: [{ containerPort: 53, hostPort: 53, protocol: "udp" }, { containerPort: 80, hostPort: 8080 }] }],
            }),
          );
        });
        const held = [...(await tx((t) => t.liveReservations(web)))].sort(byInstanceThenCpu);
        assert.deepEqual(
          held.map((h) => JSON.parse(JSON.stringify(h)) as unknown),
          [
            { containerInstanceArn: i1, group: "service:api", cpu: 100, memory: 512, tcpPorts: [32768], udpPorts: [], tasks: 1 },
            { containerInstanceArn: i1, cpu: 500, memory: 512, tcpPorts: [8080], udpPorts: [53], tasks: 1 },
            { containerInstanceArn: i1, cpu: 600, memory: 512, tcpPorts: [], udpPorts: [], tasks: 1 },
            { containerInstanceArn: i2, cpu: 200, memory: 64, tcpPorts: [], udpPorts: [], address: "10.0.0.5", tasks: 1 },
          ],
        );
        // A waiting task placed later holds its instance; one that reaches STOPPED lets go.
        await tx(async (t) => {
          await t.putTask(task("d", "PENDING", { containerInstanceArn: i2, cpu: "400" }));
          await t.putTask(task("a", "STOPPED", { group: "service:api", cpu: "100" }));
        });
        const after = [...(await tx((t) => t.liveReservations(web)))].sort(byInstanceThenCpu);
        assert.deepEqual(after.map((h) => [h.containerInstanceArn, h.cpu, h.tasks]), [[i1, 500, 1], [i1, 600, 1], [i2, 200, 1], [i2, 400, 1]]);
        assert.deepEqual(await tx((t) => t.liveReservations(clusterArn("none"))), []);
        assert.deepEqual((await tx((t) => t.liveReservations(clusterArn("other")))).map((h) => h.containerInstanceArn), [containerInstanceArn("other", "i9")]);
      });

      it("liveReservations counts the tasks holding the same on an instance, through every kind of write", async () => {
        const counts = async (): Promise<unknown[]> =>
          (await tx((t) => t.liveReservations(web))).map((h) => [h.containerInstanceArn, h.cpu, h.tcpPorts, h.tasks]).sort((a, b) => byCodePoint(JSON.stringify(a), JSON.stringify(b)));
        const unbound = { cpu: "10", containers: [] };
        await tx(async (t) => {
          for (const id of ["a", "b", "c"]) await t.insertTask(task(id, "PENDING", unbound));
          await t.insertTask(task("d", "PENDING", { ...unbound, containerInstanceArn: i2 }));
        });
        assert.deepEqual(await counts(), [[i1, 10, [], 3], [i2, 10, [], 1]]);
        // A transaction reads its own moves.
        await tx(async (t) => {
          await t.insertTask(task("e", "PENDING", { ...unbound, containerInstanceArn: i2 }));
          assert.deepEqual((await t.liveReservations(web)).find((h) => h.containerInstanceArn === i2)?.tasks, 2);
          await t.putTask(task("e", "STOPPED", { ...unbound, containerInstanceArn: i2 }));
        });
        // Bound to a host port, a task holds something else; rewritten unchanged, it holds the same.
        const bound = { cpu: "10", containers: [{ name: "web", networkBindings: [{ containerPort: 80, hostPort: 8080 }] }] };
        await tx(async (t) => {
          await t.putTask(task("a", "RUNNING", bound));
          await t.putTask(task("b", "PENDING", unbound));
        });
        assert.deepEqual(await counts(), [[i1, 10, [8080], 1], [i1, 10, [], 2], [i2, 10, [], 1]]);
        // A write rolled back leaves the counts as they were.
        await assert.rejects(
          tx(async (t) => {
            await t.putTask(task("b", "STOPPED", unbound));
            throw new Error("abandoned");
          }),
        );
        assert.deepEqual(await counts(), [[i1, 10, [8080], 1], [i1, 10, [], 2], [i2, 10, [], 1]]);
        await tx(async (t) => {
          for (const id of ["b", "c"]) await t.putTask(task(id, "STOPPED", unbound));
          await t.putTask(task("d", "STOPPED", { ...unbound, containerInstanceArn: i2 }));
          await t.putTask(task("ghost", "RUNNING", unbound));
        });
        assert.deepEqual(await counts(), [[i1, 10, [8080], 1]]);
      });

      it("clustersWithInstanceAttribute: the clusters with an instance carrying the attribute, in ARN order", async () => {
        const fargate = "berth.launch-type.FARGATE";
        const put = (cluster: string, id: string, name: string, targetType = "container-instance"): AttributeRow => ({
          clusterArn: clusterArn(cluster),
          targetType,
          targetId: containerInstanceArn(cluster, id),
          name,
        });
        assert.deepEqual(await tx((t) => t.clustersWithInstanceAttribute(fargate)), []);
        await tx(async (t) => {
          await t.putAttribute(put("zeta", "z1", fargate));
          await t.putAttribute(put("web", "i1", fargate));
          await t.putAttribute(put("web", "i2", fargate));
          await t.putAttribute(put("ec2only", "e1", "berth.launch-type.EC2"));
          await t.putAttribute(put("tasks", "t1", fargate, "task"));
        });
        assert.deepEqual(await tx((t) => t.clustersWithInstanceAttribute(fargate)), [clusterArn("web"), clusterArn("zeta")]);
        await tx((t) => t.deleteAttribute(containerInstanceArn("zeta", "z1"), fargate));
        assert.deepEqual(await tx((t) => t.clustersWithInstanceAttribute(fargate)), [clusterArn("web")]);
      });

      it("clusterInstances: every instance with its attributes, in ARN order, current after every kind of write", async () => {
        const attr = (targetId: string, name: string, value?: string): AttributeRow => ({
          clusterArn: web,
          targetType: "container-instance",
          targetId,
          name,
          ...(value === undefined ? {} : { value }),
        });
        const view = async (): Promise<[string, string, Record<string, string | null>][]> =>
          (await tx((t) => t.clusterInstances(web))).map(({ instance, attributes }) => [instance.containerInstanceArn!, instance.status!, { ...attributes }]);
        assert.deepEqual(await tx((t) => t.clusterInstances(web)), []);
        await tx(async (t) => {
          await t.insertContainerInstance(web, containerInstance("web", "i2"));
          await t.insertContainerInstance(web, containerInstance("web", "i1"));
          await t.insertContainerInstance(clusterArn("other"), containerInstance("other", "o1"));
          await t.putAttribute(attr(i1, "zone", "a"));
          await t.putAttribute(attr(i1, "gpu"));
        });
        assert.deepEqual(await view(), [[i1, "ACTIVE", { zone: "a", gpu: null }], [i2, "ACTIVE", {}]]);
        const first = await tx((t) => t.clusterInstances(web));
        assert.equal(await tx((t) => t.clusterInstances(web)), first, "unchanged instances are not decoded again");
        assert.deepEqual(first[0]?.instance, containerInstance("web", "i1"));

        await tx((t) => t.putContainerInstance(web, containerInstance("web", "i2", "DRAINING")));
        assert.deepEqual(await view(), [[i1, "ACTIVE", { zone: "a", gpu: null }], [i2, "DRAINING", {}]]);
        await tx((t) => t.putAttribute(attr(i2, "zone", "b")));
        assert.deepEqual(await view(), [[i1, "ACTIVE", { zone: "a", gpu: null }], [i2, "DRAINING", { zone: "b" }]]);
        await tx((t) => t.deleteAttribute(i1, "gpu"));
        assert.deepEqual(await view(), [[i1, "ACTIVE", { zone: "a" }], [i2, "DRAINING", { zone: "b" }]]);
        await tx((t) => t.deleteContainerInstance(i2));
        assert.deepEqual(await view(), [[i1, "ACTIVE", { zone: "a" }]]);
        assert.equal((await tx((t) => t.clusterInstances(clusterArn("other")))).length, 1);

        // A transaction sees its own writes; once it rolls back, nobody does.
        await assert.rejects(
          tx(async (t) => {
            await t.putContainerInstance(web, containerInstance("web", "i1", "DRAINING"));
            await t.putAttribute(attr(i1, "zone", "c"));
            assert.deepEqual(
              (await t.clusterInstances(web)).map(({ instance, attributes }) => [instance.status, { ...attributes }]),
              [["DRAINING", { zone: "c" }]],
            );
            throw new Error("roll back");
          }),
          /roll back/,
        );
        assert.deepEqual(await view(), [[i1, "ACTIVE", { zone: "a" }]]);
      });
    });
  });

  describe("storage", () => {
    // Reopening also runs the migrations over existing data.
    it(`keeps committed writes across close and reopen, and migrates an existing ${backend.storageNoun} without loss`, async () => {
      const storage = await backend.storage();
      try {
        const web: Cluster = { clusterArn: clusterArn("web"), clusterName: "web", status: "ACTIVE" };
        const first = await storage.open();
        assert.equal(first.kind, backend.name);
        await first.tx(async (t) => {
          await t.insertCluster(web);
          assert.equal(await t.nextRevision(region, "fam"), 1);
        });
        await first.close();
        const second = await storage.open();
        try {
          assert.deepEqual(await second.tx((t) => t.getCluster(clusterArn("web"))), web);
          assert.equal(await second.tx((t) => t.nextRevision(region, "fam")), 2);
        } finally {
          await second.close();
        }
      } finally {
        await storage.remove();
      }
    });
  });
}
