// Pins the cluster actions to the ECS API reference: CreateCluster (idempotent by
// name, "default" when unnamed), DescribeClusters (include, failures MISSING),
// ListClusters (pagination), UpdateCluster, UpdateClusterSettings,
// PutClusterCapacityProviders and DeleteCluster (refused while anything remains),
// all through the real @aws-sdk/client-ecs against a real server.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  ClusterContainsContainerInstancesException,
  ClusterNotFoundException,
  CreateClusterCommand,
  DeleteClusterCommand,
  DeregisterContainerInstanceCommand,
  DescribeClustersCommand,
  InvalidParameterException,
  ListClustersCommand,
  ListTagsForResourceCommand,
  PutAccountSettingDefaultCommand,
  PutClusterCapacityProvidersCommand,
  RegisterContainerInstanceCommand,
  TagResourceCommand,
  UpdateClusterCommand,
  UpdateClusterSettingsCommand,
  UpdateContainerInstancesStateCommand,
  paginateListClusters,
  type Cluster,
  type ECSClient,
} from "@aws-sdk/client-ecs";
import { rejectsWith } from "../../../test/kit/ecs-assertions.js";
import { startTestServer, type TestServer } from "../../../test/kit/harness.js";

const clusterArn = (name: string): string => `arn:aws:ecs:us-east-1:000000000000:cluster/${name}`;

/** A cluster as ECS returns it with nothing running and no optional fields. */
function bare(name: string, status = "ACTIVE"): Cluster {
  return {
    clusterArn: clusterArn(name),
    clusterName: name,
    status,
    registeredContainerInstancesCount: 0,
    runningTasksCount: 0,
    pendingTasksCount: 0,
    activeServicesCount: 0,
    capacityProviders: [],
    defaultCapacityProviderStrategy: [],
    statistics: [],
    tags: [],
  };
}

/** Tags come back as a set: compare them in key order. */
function sortTags<T extends { tags?: { key?: string | undefined }[] | undefined }>(value: T): T {
  return value.tags ? { ...value, tags: [...value.tags].sort((a, b) => (a.key ?? "").localeCompare(b.key ?? "")) } : value;
}



describe("ECS clusters", () => {
  let server: TestServer;
  let ecs: ECSClient;

  before(async () => {
    server = await startTestServer();
    ecs = server.ecs();
  });
  after(async () => {
    ecs.destroy();
    await server.stop();
  });

  const create = async (name: string, extra: Partial<ConstructorParameters<typeof CreateClusterCommand>[0]> = {}): Promise<Cluster> =>
    (await ecs.send(new CreateClusterCommand({ clusterName: name, ...extra }))).cluster!;
  const remove = async (name: string): Promise<Cluster> => (await ecs.send(new DeleteClusterCommand({ cluster: name }))).cluster!;
  const describeOne = async (ref: string, include?: ("SETTINGS" | "STATISTICS" | "TAGS" | "CONFIGURATIONS" | "ATTACHMENTS")[]) => {
    const out = await ecs.send(new DescribeClustersCommand({ clusters: [ref], ...(include ? { include } : {}) }));
    assert.deepEqual(out.failures, []);
    assert.equal(out.clusters?.length, 1);
    const cluster = out.clusters[0];
    assert.ok(cluster);
    return cluster;
  };
  const allClusterArns = async (): Promise<string[]> => {
    const arns: string[] = [];
    for await (const page of paginateListClusters({ client: ecs }, {})) arns.push(...(page.clusterArns ?? []));
    return arns;
  };

  // First, while the server holds no other cluster, so the listing is exact.
  it("ListClusters pages through ACTIVE clusters with maxResults and nextToken", async () => {
    const names = ["page-e", "page-a", "page-c", "page-b", "page-d"];
    for (const name of names) await create(name);
    await create("page-gone");
    await remove("page-gone");

    const whole = await ecs.send(new ListClustersCommand({}));
    assert.deepEqual([...(whole.clusterArns ?? [])].sort(), names.map(clusterArn).sort());
    assert.equal(whole.nextToken, undefined);

    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await ecs.send(new ListClustersCommand({ maxResults: 2, ...(token ? { nextToken: token } : {}) }));
      pages.push(page.clusterArns ?? []);
      token = page.nextToken;
    } while (token);
    assert.deepEqual(pages.map((p) => p.length), [2, 2, 1]);
    assert.deepEqual(pages.flat().sort(), names.map(clusterArn).sort(), "every cluster exactly once across pages");

    const collected: string[] = [];
    for await (const page of paginateListClusters({ client: ecs, pageSize: 1 }, {})) {
      assert.ok((page.clusterArns ?? []).length <= 1);
      collected.push(...(page.clusterArns ?? []));
    }
    assert.deepEqual(collected.sort(), names.map(clusterArn).sort());
    // A last page that is exactly full ends the listing: no token to an empty page.
    const lastFull = await ecs.send(new ListClustersCommand({ maxResults: 5 }));
    assert.equal(lastFull.clusterArns?.length, 5);
    assert.equal(lastFull.nextToken, undefined);

    await rejectsWith(ecs.send(new ListClustersCommand({ maxResults: 0 })), InvalidParameterException);
    await rejectsWith(ecs.send(new ListClustersCommand({ maxResults: 101 })), InvalidParameterException);
    await rejectsWith(ecs.send(new ListClustersCommand({ nextToken: "not-a-token" })), InvalidParameterException);
    const hundred = await ecs.send(new ListClustersCommand({ maxResults: 100 }));
    assert.equal(hundred.clusterArns?.length, 5);

    for (const name of names) await remove(name);
    assert.deepEqual(await allClusterArns(), []);
  });

  it("CreateCluster returns the cluster with ARN, zero counts, tags, settings and capacity providers", async () => {
    const cluster = await create("orders", {
      tags: [
        { key: "team", value: "payments" },
        { key: "env", value: "dev" },
      ],
      settings: [{ name: "containerInsights", value: "enabled" }],
      capacityProviders: ["FARGATE", "FARGATE_SPOT"],
      defaultCapacityProviderStrategy: [
        { capacityProvider: "FARGATE", weight: 1, base: 2 },
        { capacityProvider: "FARGATE_SPOT", weight: 3 },
      ],
    });
    assert.deepEqual(sortTags(cluster), {
      ...bare("orders"),
      tags: [
        { key: "env", value: "dev" },
        { key: "team", value: "payments" },
      ],
      settings: [{ name: "containerInsights", value: "enabled" }],
      capacityProviders: ["FARGATE", "FARGATE_SPOT"],
      defaultCapacityProviderStrategy: [
        { capacityProvider: "FARGATE", weight: 1, base: 2 },
        { capacityProvider: "FARGATE_SPOT", weight: 3 },
      ],
    });

    // The name and the full ARN name the same cluster.
    const byName = await describeOne("orders", ["SETTINGS", "TAGS"]);
    const byArn = await describeOne(clusterArn("orders"), ["SETTINGS", "TAGS"]);
    assert.deepEqual(byArn, byName);
    assert.deepEqual(sortTags(byName), sortTags(cluster));
    await remove("orders");
  });

  it("CreateCluster without settings turns containerInsights off", async () => {
    const cluster = await create("plain");
    assert.deepEqual(sortTags(cluster), { ...bare("plain"), tags: [], settings: [{ name: "containerInsights", value: "disabled" }] });
    await remove("plain");
  });

  it("an omitted cluster name means the cluster named default", async () => {
    const created = (await ecs.send(new CreateClusterCommand({}))).cluster!;
    assert.equal(created.clusterArn, clusterArn("default"));
    assert.equal(created.clusterName, "default");
    assert.equal(created.status, "ACTIVE");

    const described = await ecs.send(new DescribeClustersCommand({}));
    assert.deepEqual(described, { $metadata: described.$metadata, clusters: [bare("default")], failures: [] });

    const deleted = await remove("default");
    assert.equal(deleted.status, "INACTIVE");
    const again = await ecs.send(new DescribeClustersCommand({ clusters: [] }));
    assert.deepEqual(again.clusters, [bare("default", "INACTIVE")]);
  });

  it("CreateCluster is idempotent: an ACTIVE cluster of that name comes back unchanged", async () => {
    const first = await create("twice", { tags: [{ key: "v", value: "1" }], settings: [{ name: "containerInsights", value: "enabled" }] });
    const second = await create("twice", { tags: [{ key: "v", value: "2" }], settings: [{ name: "containerInsights", value: "disabled" }] });
    assert.deepEqual(second, first);
    const tags = await ecs.send(new ListTagsForResourceCommand({ resourceArn: clusterArn("twice") }));
    assert.deepEqual(tags.tags, [{ key: "v", value: "1" }]);
    assert.deepEqual(await allClusterArns(), [clusterArn("twice")]);
    await remove("twice");
  });

  it("CreateCluster rejects what ECS rejects with InvalidParameterException", async () => {
    await rejectsWith(create("has space"), InvalidParameterException);
    await rejectsWith(create("dots.not.allowed"), InvalidParameterException);
    await rejectsWith(create("x".repeat(256)), InvalidParameterException);
    await rejectsWith(create("bad-insights", { settings: [{ name: "containerInsights", value: "sometimes" }] }), InvalidParameterException);
    await rejectsWith(create("bad-provider", { capacityProviders: ["no-such-provider"] }), InvalidParameterException);
    await rejectsWith(
      create("bad-strategy", {
        capacityProviders: ["FARGATE"],
        defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }],
      }),
      InvalidParameterException,
    );
    await rejectsWith(
      create("two-bases", {
        capacityProviders: ["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy: [
          { capacityProvider: "FARGATE", weight: 1, base: 1 },
          { capacityProvider: "FARGATE_SPOT", weight: 1, base: 1 },
        ],
      }),
      InvalidParameterException,
    );
    await rejectsWith(create("aws-tag", { tags: [{ key: "aws:reserved", value: "x" }] }), InvalidParameterException);
    // 255 characters is the longest name ECS allows.
    const longest = "y".repeat(255);
    assert.equal((await create(longest)).clusterArn, clusterArn(longest));
    await remove(longest);
    assert.deepEqual(await allClusterArns(), [], "no rejected request left a cluster behind");
  });

  it("DescribeClusters returns only the fields asked for with include", async () => {
    await create("fields", {
      tags: [{ key: "k", value: "v" }],
      settings: [{ name: "containerInsights", value: "enhanced" }],
      configuration: { executeCommandConfiguration: { logging: "DEFAULT" } },
    });
    assert.deepEqual(await describeOne("fields"), bare("fields"));
    assert.deepEqual(await describeOne("fields", ["SETTINGS"]), {
      ...bare("fields"),
      settings: [{ name: "containerInsights", value: "enhanced" }],
    });
    assert.deepEqual(await describeOne("fields", ["TAGS"]), { ...bare("fields"), tags: [{ key: "k", value: "v" }] });
    assert.deepEqual(await describeOne("fields", ["CONFIGURATIONS"]), {
      ...bare("fields"),
      configuration: { executeCommandConfiguration: { logging: "DEFAULT" } },
    });
    const withStats = await describeOne("fields", ["STATISTICS"]);
    assert.deepEqual({ ...withStats, statistics: undefined }, { ...bare("fields"), statistics: undefined });
    assert.ok(withStats.statistics?.every((s) => s.value === "0"), "an empty cluster counts nothing");
    await remove("fields");
  });

  it("DescribeClusters STATISTICS carries every per-launch-type count ECS returns", async () => {
    await create("stats");
    const stats = (await describeOne("stats", ["STATISTICS"])).statistics ?? [];
    const names = stats.map((s) => s.name);
    // The keys live ECS returns, in its order (newer regions may add more after them).
    const expected = [
      "runningEC2TasksCount",
      "runningFargateTasksCount",
      "pendingEC2TasksCount",
      "pendingFargateTasksCount",
      "runningExternalTasksCount",
      "pendingExternalTasksCount",
      "activeEC2ServiceCount",
      "activeFargateServiceCount",
      "drainingEC2ServiceCount",
      "drainingFargateServiceCount",
      "activeExternalServiceCount",
      "drainingExternalServiceCount",
    ];
    assert.deepEqual(names.filter((n) => expected.includes(n!)), expected);
    assert.ok(stats.every((s) => s.value === "0"));
    await remove("stats");
  });

  it("DescribeClusters reports unknown clusters as failures with reason MISSING and the full ARN", async () => {
    await create("here");
    const out = await ecs.send(
      new DescribeClustersCommand({ clusters: ["nowhere", "here", clusterArn("also-nowhere")] }),
    );
    assert.deepEqual(out.clusters, [bare("here")]);
    assert.deepEqual(out.failures, [
      { arn: clusterArn("nowhere"), reason: "MISSING" },
      { arn: clusterArn("also-nowhere"), reason: "MISSING" },
    ]);
    await rejectsWith(
      ecs.send(new DescribeClustersCommand({ clusters: Array.from({ length: 101 }, (_, i) => `c${i}`) })),
      InvalidParameterException,
    );
    await remove("here");
  });

  it("UpdateCluster merges settings and replaces the configuration", async () => {
    await create("upd", { tags: [{ key: "a", value: "1" }] });
    const updated = (
      await ecs.send(
        new UpdateClusterCommand({
          cluster: clusterArn("upd"),
          settings: [{ name: "containerInsights", value: "enabled" }],
          configuration: { executeCommandConfiguration: { logging: "NONE" } },
        }),
      )
    ).cluster!;
    assert.equal(updated.clusterArn, clusterArn("upd"));
    assert.equal(updated.status, "ACTIVE");
    assert.deepEqual(updated.settings, [{ name: "containerInsights", value: "enabled" }]);
    assert.deepEqual(updated.configuration, { executeCommandConfiguration: { logging: "NONE" } });
    assert.deepEqual(await describeOne("upd", ["SETTINGS", "CONFIGURATIONS", "TAGS"]), {
      ...bare("upd"),
      tags: [{ key: "a", value: "1" }],
      settings: [{ name: "containerInsights", value: "enabled" }],
      configuration: { executeCommandConfiguration: { logging: "NONE" } },
    });
    await rejectsWith(ecs.send(new UpdateClusterCommand({ cluster: "no-such-cluster", settings: [] })), ClusterNotFoundException);
    await remove("upd");
  });

  it("UpdateClusterSettings changes containerInsights and returns the settings", async () => {
    await create("insights");
    for (const value of ["enabled", "enhanced", "disabled"]) {
      const out = await ecs.send(new UpdateClusterSettingsCommand({ cluster: "insights", settings: [{ name: "containerInsights", value }] }));
      assert.equal(out.cluster?.clusterArn, clusterArn("insights"));
      assert.equal(out.cluster?.status, "ACTIVE");
      assert.deepEqual(out.cluster?.settings, [{ name: "containerInsights", value }]);
      assert.deepEqual((await describeOne("insights", ["SETTINGS"])).settings, [{ name: "containerInsights", value }]);
    }
    await rejectsWith(
      ecs.send(new UpdateClusterSettingsCommand({ cluster: "insights", settings: [{ name: "containerInsights", value: "on" }] })),
      InvalidParameterException,
    );
    assert.deepEqual((await describeOne("insights", ["SETTINGS"])).settings, [{ name: "containerInsights", value: "disabled" }]);
    await rejectsWith(
      ecs.send(new UpdateClusterSettingsCommand({ cluster: "missing", settings: [{ name: "containerInsights", value: "enabled" }] })),
      ClusterNotFoundException,
    );
    await remove("insights");
  });

  it("PutClusterCapacityProviders replaces the providers and the default strategy", async () => {
    await create("cap");
    const put = await ecs.send(
      new PutClusterCapacityProvidersCommand({
        cluster: "cap",
        capacityProviders: ["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy: [
          { capacityProvider: "FARGATE_SPOT", weight: 4 },
          { capacityProvider: "FARGATE", weight: 1, base: 1 },
        ],
      }),
    );
    assert.deepEqual(put.cluster?.capacityProviders, ["FARGATE", "FARGATE_SPOT"]);
    assert.deepEqual(put.cluster?.defaultCapacityProviderStrategy, [
      { capacityProvider: "FARGATE_SPOT", weight: 4 },
      { capacityProvider: "FARGATE", weight: 1, base: 1 },
    ]);
    assert.deepEqual(await describeOne("cap"), {
      ...bare("cap"),
      capacityProviders: ["FARGATE", "FARGATE_SPOT"],
      defaultCapacityProviderStrategy: [
        { capacityProvider: "FARGATE_SPOT", weight: 4 },
        { capacityProvider: "FARGATE", weight: 1, base: 1 },
      ],
    });

    const bad = async (capacityProviders: string[], defaultCapacityProviderStrategy: { capacityProvider: string; weight?: number; base?: number }[]) =>
      rejectsWith(
        ecs.send(new PutClusterCapacityProvidersCommand({ cluster: "cap", capacityProviders, defaultCapacityProviderStrategy })),
        InvalidParameterException,
      );
    await bad(["nope"], []);
    await bad(["FARGATE"], [{ capacityProvider: "FARGATE_SPOT", weight: 1 }]);
    await bad(["FARGATE", "FARGATE"], [
      { capacityProvider: "FARGATE", weight: 1 },
      { capacityProvider: "FARGATE", weight: 1 },
    ]);
    // A refused call changes nothing.
    assert.deepEqual((await describeOne("cap")).capacityProviders, ["FARGATE", "FARGATE_SPOT"]);

    const cleared = await ecs.send(new PutClusterCapacityProvidersCommand({ cluster: "cap", capacityProviders: [], defaultCapacityProviderStrategy: [] }));
    assert.deepEqual(cleared.cluster?.capacityProviders, []);
    assert.deepEqual(cleared.cluster?.defaultCapacityProviderStrategy, []);
    await rejectsWith(
      ecs.send(new PutClusterCapacityProvidersCommand({ cluster: "gone", capacityProviders: [], defaultCapacityProviderStrategy: [] })),
      ClusterNotFoundException,
    );
    await remove("cap");
  });

  it("DeleteCluster is refused while container instances are registered, ACTIVE or DRAINING", async () => {
    await create("busy");
    const registered = await ecs.send(
      new RegisterContainerInstanceCommand({
        cluster: "busy",
        totalResources: [
          { name: "CPU", type: "INTEGER", integerValue: 2048 },
          { name: "MEMORY", type: "INTEGER", integerValue: 4096 },
        ],
      }),
    );
    const instanceArn = registered.containerInstance!.containerInstanceArn!;
    assert.match(instanceArn, /^arn:aws:ecs:us-east-1:000000000000:container-instance\/busy\/[0-9a-f]{32}$/);
    assert.equal((await describeOne("busy")).registeredContainerInstancesCount, 1);
    await rejectsWith(remove("busy"), ClusterContainsContainerInstancesException);

    await ecs.send(new UpdateContainerInstancesStateCommand({ cluster: "busy", containerInstances: [instanceArn], status: "DRAINING" }));
    assert.equal((await describeOne("busy")).registeredContainerInstancesCount, 1, "DRAINING instances still count");
    await rejectsWith(remove("busy"), ClusterContainsContainerInstancesException);
    assert.equal((await describeOne("busy")).status, "ACTIVE", "a refused delete changes nothing");

    await ecs.send(new DeregisterContainerInstanceCommand({ cluster: "busy", containerInstance: instanceArn }));
    assert.equal((await describeOne("busy")).registeredContainerInstancesCount, 0);
    assert.deepEqual(await remove("busy"), { ...bare("busy", "INACTIVE"), tags: [], settings: [{ name: "containerInsights", value: "disabled" }] });
  });

  it("a deleted cluster is INACTIVE: describable, unlisted, and every other action says ClusterNotFoundException", async () => {
    await create("ended", { tags: [{ key: "life", value: "first" }] });
    const deleted = await remove("ended");
    assert.equal(deleted.clusterArn, clusterArn("ended"));
    assert.equal(deleted.status, "INACTIVE");

    const out = await ecs.send(new DescribeClustersCommand({ clusters: ["ended"] }));
    assert.deepEqual(out.clusters, [bare("ended", "INACTIVE")]);
    assert.deepEqual(out.failures, []);
    assert.ok(!(await allClusterArns()).includes(clusterArn("ended")));

    await rejectsWith(remove("ended"), ClusterNotFoundException);
    await rejectsWith(ecs.send(new UpdateClusterCommand({ cluster: "ended", settings: [] })), ClusterNotFoundException);
    await rejectsWith(
      ecs.send(new UpdateClusterSettingsCommand({ cluster: "ended", settings: [{ name: "containerInsights", value: "enabled" }] })),
      ClusterNotFoundException,
    );
    await rejectsWith(
      ecs.send(new PutClusterCapacityProvidersCommand({ cluster: "ended", capacityProviders: [], defaultCapacityProviderStrategy: [] })),
      ClusterNotFoundException,
    );
    await rejectsWith(
      ecs.send(new TagResourceCommand({ resourceArn: clusterArn("ended"), tags: [{ key: "a", value: "b" }] })),
      ClusterNotFoundException,
    );
    await rejectsWith(
      ecs.send(
        new RegisterContainerInstanceCommand({
          cluster: "ended",
          totalResources: [
            { name: "CPU", type: "INTEGER", integerValue: 1024 },
            { name: "MEMORY", type: "INTEGER", integerValue: 1024 },
          ],
        }),
      ),
      ClusterNotFoundException,
    );
    await rejectsWith(remove("never-was"), ClusterNotFoundException);

    // The name can be used again; the new cluster starts without the old one's tags.
    const reborn = await create("ended");
    assert.deepEqual(sortTags(reborn), { ...bare("ended"), tags: [], settings: [{ name: "containerInsights", value: "disabled" }] });
    assert.deepEqual((await ecs.send(new ListTagsForResourceCommand({ resourceArn: clusterArn("ended") }))).tags, []);
    await remove("ended");
  });

  it("CreateCluster without settings takes containerInsights from the account setting", async () => {
    // ClusterSetting: "otherwise it will be off unless the containerInsights account setting is turned on";
    // a value given on the cluster overrides PutAccountSetting / PutAccountSettingDefault.
    await ecs.send(new PutAccountSettingDefaultCommand({ name: "containerInsights", value: "enabled" }));
    try {
      const inherited = await create("inherits");
      assert.deepEqual(inherited.settings, [{ name: "containerInsights", value: "enabled" }]);
      const overridden = await create("overrides", { settings: [{ name: "containerInsights", value: "disabled" }] });
      assert.deepEqual(overridden.settings, [{ name: "containerInsights", value: "disabled" }]);
    } finally {
      await ecs.send(new PutAccountSettingDefaultCommand({ name: "containerInsights", value: "disabled" }));
      for (const name of ["inherits", "overrides"]) await remove(name).catch(() => undefined);
    }
  });
});
