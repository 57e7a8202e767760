// Pins TagResource / UntagResource / ListTagsForResource to the ECS API reference
// on every taggable resource Berth holds (clusters, container instances, capacity
// providers, task definitions), with ECS's tag rules and its errors.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  ClientException,
  ClusterNotFoundException,
  CreateCapacityProviderCommand,
  CreateClusterCommand,
  DeleteCapacityProviderCommand,
  DeleteClusterCommand,
  DeregisterContainerInstanceCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  InvalidParameterException,
  ListTagsForResourceCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type ECSClient,
  type Tag,
} from "@aws-sdk/client-ecs";
import { rejectsWith } from "../../../test/kit/ecs-assertions.js";
import { startTestServer, type TestServer } from "../../../test/kit/harness.js";

const ecsArn = (resource: string): string => `arn:aws:ecs:us-east-1:000000000000:${resource}`;



const byKey = (tags: readonly Tag[] | undefined): Tag[] => [...(tags ?? [])].sort((a, b) => (a.key ?? "").localeCompare(b.key ?? ""));

describe("ECS tags", () => {
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

  const tag = (resourceArn: string, tags: Tag[]) => ecs.send(new TagResourceCommand({ resourceArn, tags }));
  const untag = (resourceArn: string, tagKeys: string[]) => ecs.send(new UntagResourceCommand({ resourceArn, tagKeys }));
  const list = async (resourceArn: string): Promise<Tag[]> => byKey((await ecs.send(new ListTagsForResourceCommand({ resourceArn }))).tags);

  it("tags a cluster: add, overwrite by key, remove, and DescribeClusters include TAGS agrees", async () => {
    const arn = ecsArn("cluster/tagged");
    await ecs.send(new CreateClusterCommand({ clusterName: "tagged", tags: [{ key: "team", value: "web" }] }));
    assert.deepEqual(await list(arn), [{ key: "team", value: "web" }]);

    const tagged = await tag(arn, [
      { key: "env", value: "prod" },
      { key: "team", value: "platform" },
      { key: "empty", value: "" },
    ]);
    assert.deepEqual(Object.keys(tagged).filter((k) => k !== "$metadata"), [], "TagResource returns an empty body");
    assert.deepEqual(await list(arn), [
      { key: "empty", value: "" },
      { key: "env", value: "prod" },
      { key: "team", value: "platform" },
    ]);

    // Removing a key the resource does not have is not an error.
    const untagged = await untag(arn, ["team", "not-there"]);
    assert.deepEqual(Object.keys(untagged).filter((k) => k !== "$metadata"), []);
    assert.deepEqual(await list(arn), [
      { key: "empty", value: "" },
      { key: "env", value: "prod" },
    ]);

    const described = await ecs.send(new DescribeClustersCommand({ clusters: ["tagged"], include: ["TAGS"] }));
    assert.deepEqual(byKey(described.clusters?.[0]?.tags), await list(arn));
    await ecs.send(new DeleteClusterCommand({ cluster: "tagged" }));
  });

  it("keys and values keep their case and characters exactly", async () => {
    const arn = ecsArn("cluster/exact");
    await ecs.send(new CreateClusterCommand({ clusterName: "exact" }));
    const tags = [
      { key: "Name", value: "Front End" },
      { key: "name", value: "lower" },
      { key: "cost-center:team/sub_1", value: "a+b=c@d.e" },
      { key: "k".repeat(128), value: "v".repeat(256) },
    ];
    await tag(arn, tags);
    assert.deepEqual(await list(arn), byKey(tags));
    await ecs.send(new DeleteClusterCommand({ cluster: "exact" }));
  });

  it("enforces ECS's tag rules: 50 per resource, unique keys, no aws: prefix, lengths", async () => {
    const arn = ecsArn("cluster/limits");
    await ecs.send(new CreateClusterCommand({ clusterName: "limits" }));
    const many = (n: number, prefix: string): Tag[] => Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, value: String(i) }));

    await tag(arn, many(49, "k"));
    await tag(arn, many(1, "last"));
    assert.equal((await list(arn)).length, 50);
    // Overwriting an existing key does not add one.
    await tag(arn, [{ key: "k0", value: "changed" }]);
    await rejectsWith(tag(arn, [{ key: "one-too-many", value: "x" }]), InvalidParameterException);
    assert.equal((await list(arn)).length, 50, "a refused request adds nothing");
    await untag(arn, [...many(49, "k"), ...many(1, "last")].map((t) => t.key!));
    assert.deepEqual(await list(arn), []);

    await rejectsWith(tag(arn, many(51, "m")), InvalidParameterException);
    await rejectsWith(tag(arn, [{ key: "aws:owner", value: "x" }]), InvalidParameterException);
    await rejectsWith(tag(arn, [{ key: "AWS:Owner", value: "x" }]), InvalidParameterException);
    await rejectsWith(
      tag(arn, [
        { key: "dup", value: "1" },
        { key: "dup", value: "2" },
      ]),
      InvalidParameterException,
    );
    await rejectsWith(tag(arn, [{ key: "k".repeat(129), value: "x" }]), InvalidParameterException);
    await rejectsWith(tag(arn, [{ key: "long-value", value: "v".repeat(257) }]), InvalidParameterException);
    await rejectsWith(tag(arn, [{ key: "", value: "x" }]), InvalidParameterException);
    assert.deepEqual(await list(arn), [], "no refused request left a tag behind");
    await ecs.send(new DeleteClusterCommand({ cluster: "limits" }));
  });

  it("a missing or deleted cluster is ClusterNotFoundException, and a re-created one starts untagged", async () => {
    const arn = ecsArn("cluster/short");
    await rejectsWith(list(arn), ClusterNotFoundException);
    await rejectsWith(tag(arn, [{ key: "a", value: "b" }]), ClusterNotFoundException);
    await rejectsWith(untag(arn, ["a"]), ClusterNotFoundException);

    await ecs.send(new CreateClusterCommand({ clusterName: "short", tags: [{ key: "life", value: "one" }] }));
    await ecs.send(new DeleteClusterCommand({ cluster: "short" }));
    await rejectsWith(list(arn), ClusterNotFoundException);
    await rejectsWith(tag(arn, [{ key: "a", value: "b" }]), ClusterNotFoundException);

    // "When a resource is deleted, the tags that are associated with that resource are deleted as well."
    await ecs.send(new CreateClusterCommand({ clusterName: "short" }));
    assert.deepEqual(await list(arn), []);
    await ecs.send(new DeleteClusterCommand({ cluster: "short" }));
  });

  it("tags a container instance, registered with tags or tagged later", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "hosts" }));
    const registered = await ecs.send(
      new RegisterContainerInstanceCommand({
        cluster: "hosts",
        totalResources: [
          { name: "CPU", type: "INTEGER", integerValue: 1024 },
          { name: "MEMORY", type: "INTEGER", integerValue: 2048 },
        ],
        tags: [{ key: "rack", value: "r1" }],
      }),
    );
    const arn = registered.containerInstance!.containerInstanceArn!;
    assert.match(arn, /^arn:aws:ecs:us-east-1:000000000000:container-instance\/hosts\/[0-9a-f]{32}$/);
    assert.deepEqual(byKey(registered.containerInstance!.tags), [{ key: "rack", value: "r1" }]);
    assert.deepEqual(await list(arn), [{ key: "rack", value: "r1" }]);

    await tag(arn, [{ key: "zone", value: "a" }]);
    await untag(arn, ["rack"]);
    assert.deepEqual(await list(arn), [{ key: "zone", value: "a" }]);
    const described = await ecs.send(new DescribeContainerInstancesCommand({ cluster: "hosts", containerInstances: [arn], include: ["TAGS"] }));
    assert.deepEqual(byKey(described.containerInstances?.[0]?.tags), [{ key: "zone", value: "a" }]);

    await rejectsWith(list(ecsArn("container-instance/hosts/0123456789abcdef0123456789abcdef")), InvalidParameterException);
    await rejectsWith(tag(ecsArn("container-instance/hosts/0123456789abcdef0123456789abcdef"), [{ key: "a", value: "b" }]), InvalidParameterException);

    await ecs.send(new DeregisterContainerInstanceCommand({ cluster: "hosts", containerInstance: arn }));
    await ecs.send(new DeleteClusterCommand({ cluster: "hosts" }));
  });

  it("tags a capacity provider, and DescribeCapacityProviders include TAGS agrees", async () => {
    const arn = ecsArn("capacity-provider/tagged-provider");
    await ecs.send(
      new CreateCapacityProviderCommand({
        name: "tagged-provider",
        autoScalingGroupProvider: { autoScalingGroupArn: "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:1:autoScalingGroupName/a" },
        tags: [{ key: "tier", value: "spot" }],
      }),
    );
    assert.deepEqual(await list(arn), [{ key: "tier", value: "spot" }]);
    await tag(arn, [{ key: "owner", value: "ops" }]);
    await untag(arn, ["tier"]);
    assert.deepEqual(await list(arn), [{ key: "owner", value: "ops" }]);
    const described = await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: ["tagged-provider"], include: ["TAGS"] }));
    assert.deepEqual(described.capacityProviders?.[0]?.tags, [{ key: "owner", value: "ops" }]);

    await ecs.send(new DeleteCapacityProviderCommand({ capacityProvider: "tagged-provider" }));
    await rejectsWith(list(arn), InvalidParameterException);
    await rejectsWith(tag(arn, [{ key: "a", value: "b" }]), InvalidParameterException);
    await rejectsWith(list(ecsArn("capacity-provider/never")), InvalidParameterException);
  });

  it("tags a task definition revision, registered with tags or tagged later", async () => {
    const registered = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "tagged-family",
        containerDefinitions: [{ name: "app", image: "busybox", memory: 64 }],
        tags: [{ key: "app", value: "web" }],
      }),
    );
    const arn = registered.taskDefinition!.taskDefinitionArn!;
    assert.equal(arn, ecsArn("task-definition/tagged-family:1"));
    assert.deepEqual(await list(arn), [{ key: "app", value: "web" }]);
    await tag(arn, [{ key: "stage", value: "beta" }]);
    await untag(arn, ["app"]);
    assert.deepEqual(await list(arn), [{ key: "stage", value: "beta" }]);
    // Tags belong to one revision, not to the family.
    await rejectsWith(list(ecsArn("task-definition/tagged-family:2")), ClientException);
  });

  it("a task definition that does not exist is ClientException", async () => {
    await rejectsWith(list(ecsArn("task-definition/nothing:1")), ClientException);
    await rejectsWith(tag(ecsArn("task-definition/nothing:1"), [{ key: "a", value: "b" }]), ClientException);
    await rejectsWith(untag(ecsArn("task-definition/nothing:3"), ["a"]), ClientException);
  });

  it("ARNs that name no taggable ECS resource here are InvalidParameterException", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "elsewhere" }));
    for (const arn of [
      "arn:aws:ecs:eu-west-1:000000000000:cluster/elsewhere",
      "arn:aws:ecs:us-east-1:111111111111:cluster/elsewhere",
      "arn:aws:s3:::bucket",
      "elsewhere",
      "arn:aws:ecs:us-east-1:000000000000:widget/elsewhere",
    ]) {
      await rejectsWith(list(arn), InvalidParameterException);
      await rejectsWith(tag(arn, [{ key: "a", value: "b" }]), InvalidParameterException);
      await rejectsWith(untag(arn, ["a"]), InvalidParameterException);
    }
    assert.deepEqual(await list(ecsArn("cluster/elsewhere")), []);
    await ecs.send(new DeleteClusterCommand({ cluster: "elsewhere" }));
  });
});
