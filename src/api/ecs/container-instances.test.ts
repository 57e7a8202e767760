// Container instances and attributes end to end: a real server, driven through @aws-sdk/client-ecs, the aws
// CLI and boto3, checked against ECS's documented shapes and semantics.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateClusterCommand,
  DeleteAttributesCommand,
  DeleteClusterCommand,
  DeregisterContainerInstanceCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  ListAttributesCommand,
  ListContainerInstancesCommand,
  PutAttributesCommand,
  RegisterContainerInstanceCommand,
  UpdateContainerInstancesStateCommand,
  type Attribute,
  type ContainerInstance,
  type ContainerInstanceStatus,
  type ECSClient,
  type RegisterContainerInstanceCommandInput,
  type Resource,
} from "@aws-sdk/client-ecs";
import { startTestServer, testAccount, testRegion, type TestServer } from "../../../test/kit/harness.js";
import { aws, awsJson, boto3 } from "../../../test/kit/aws-cli.js";
import { remainingResources } from "./container-instances.js";

const reservedPorts = ["22", "2375", "2376", "51678", "51679"];

function totalResources(cpu = 2048, memory = 7680): Resource[] {
  return [
    { name: "CPU", type: "INTEGER", integerValue: cpu },
    { name: "MEMORY", type: "INTEGER", integerValue: memory },
    { name: "PORTS", type: "STRINGSET", stringSetValue: reservedPorts },
    { name: "PORTS_UDP", type: "STRINGSET", stringSetValue: [] },
  ];
}

function identityDocument(instanceId: string, instanceType: string, availabilityZone: string): string {
  return JSON.stringify({
    accountId: testAccount,
    architecture: "x86_64",
    availabilityZone,
    imageId: "ami-0abcdef1234567890",
    instanceId,
    instanceType,
    privateIp: "10.0.1.17",
    region: testRegion,
    version: "2017-09-30",
  });
}

interface Host {
  readonly instanceType: string;
  readonly zone: string;
  readonly custom?: string;
}

let ec2Counter = 0;

function registration(cluster: string, host: Host): RegisterContainerInstanceCommandInput {
  const ec2 = `i-0${(++ec2Counter).toString(16).padStart(16, "0")}`;
  return {
    cluster,
    instanceIdentityDocument: identityDocument(ec2, host.instanceType, host.zone),
    totalResources: totalResources(),
    versionInfo: { agentVersion: "1.82.1", agentHash: "4e0c4a7a", dockerVersion: "DockerVersion: 25.0.5" },
    attributes: [
      { name: "ecs.os-type", value: "linux" },
      { name: "ecs.cpu-architecture", value: "x86_64" },
      { name: "ecs.instance-type", value: host.instanceType },
      { name: "ecs.availability-zone", value: host.zone },
      { name: "ecs.capability.docker-remote-api.1.44" },
      ...(host.custom === undefined ? [] : [{ name: "custom", value: host.custom }]),
    ],
  };
}

async function expectError(promise: Promise<unknown>, name: string, message?: RegExp): Promise<Error> {
  let caught: unknown;
  try {
    await promise;
  } catch (err: unknown) {
    caught = err;
  }
  assert.ok(caught instanceof Error, `expected ${name}, but the call succeeded`);
  assert.equal(caught.name, name, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

const attributeMap = (attrs: readonly Attribute[] | undefined): Record<string, string | null> =>
  Object.fromEntries((attrs ?? []).map((a): [string, string | null] => [a.name ?? "", a.value ?? null]));

const arnPattern = (cluster: string) => new RegExp(`^arn:aws:ecs:${testRegion}:${testAccount}:container-instance/${cluster}/[0-9a-f]{32}$`);

const instanceIdIn = (input: RegisterContainerInstanceCommandInput): string =>
  (JSON.parse(input.instanceIdentityDocument ?? "{}") as { instanceId: string }).instanceId;

const idOf = (arn: string): string => arn.slice(arn.lastIndexOf("/") + 1);

describe("container instances", () => {
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

  async function cluster(name: string): Promise<string> {
    await ecs.send(new CreateClusterCommand({ clusterName: name }));
    return name;
  }

  async function register(clusterName: string, host: Host): Promise<ContainerInstance> {
    const out = await ecs.send(new RegisterContainerInstanceCommand(registration(clusterName, host)));
    return out.containerInstance!;
  }

  async function listAll(clusterName: string, extra: { status?: ContainerInstanceStatus; filter?: string } = {}): Promise<string[]> {
    const out = await ecs.send(new ListContainerInstancesCommand({ cluster: clusterName, ...extra }));
    assert.equal(out.nextToken, undefined);
    return [...(out.containerInstanceArns ?? [])].sort();
  }

  describe("RegisterContainerInstance", () => {
    it("registers an agent's host with its resources, attributes and version, and describes it back", async () => {
      const name = await cluster("ci-register");
      const before = Date.now();
      const input = registration(name, { instanceType: "t3.large", zone: "us-east-1a", custom: "blue" });
      const out = await ecs.send(new RegisterContainerInstanceCommand({ ...input, tags: [{ key: "team", value: "infra" }] }));
      const ci = out.containerInstance!;

      assert.match(ci.containerInstanceArn!, arnPattern(name));
      assert.equal(ci.ec2InstanceId, instanceIdIn(input));
      assert.equal(ci.status, "ACTIVE");
      assert.equal(ci.agentConnected, false);
      assert.equal(ci.runningTasksCount, 0);
      assert.equal(ci.pendingTasksCount, 0);
      assert.equal(ci.agentUpdateStatus, undefined);
      assert.deepEqual(ci.versionInfo, input.versionInfo);
      assert.ok(ci.registeredAt!.getTime() >= before - 1000 && ci.registeredAt!.getTime() <= Date.now() + 1000);
      assert.deepEqual(ci.registeredResources, [
        { name: "CPU", type: "INTEGER", doubleValue: 0, longValue: 0, integerValue: 2048 },
        { name: "MEMORY", type: "INTEGER", doubleValue: 0, longValue: 0, integerValue: 7680 },
        { name: "PORTS", type: "STRINGSET", doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: reservedPorts },
        { name: "PORTS_UDP", type: "STRINGSET", doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: [] },
      ]);
      assert.deepEqual(ci.remainingResources, ci.registeredResources);
      assert.deepEqual(attributeMap(ci.attributes), {
        "ecs.ami-id": "ami-0abcdef1234567890",
        "ecs.availability-zone": "us-east-1a",
        "ecs.capability.docker-remote-api.1.44": null,
        "ecs.cpu-architecture": "x86_64",
        "ecs.instance-type": "t3.large",
        "ecs.os-type": "linux",
        custom: "blue",
      });
      assert.deepEqual(ci.tags, [{ key: "team", value: "infra" }]);

      const described = await ecs.send(
        new DescribeContainerInstancesCommand({ cluster: name, containerInstances: [ci.containerInstanceArn!] }),
      );
      assert.deepEqual(described.failures, []);
      const back = described.containerInstances![0];
      assert.ok(back);
      assert.equal(back.tags, undefined, "tags only come with include TAGS");
      assert.equal(back.healthStatus, undefined);
      assert.deepEqual({ ...back, tags: ci.tags }, ci);
    });

    it("takes the instance type, zone and AMI from an EC2 identity document when the agent does not send them", async () => {
      const name = await cluster("ci-identity");
      const out = await ecs.send(
        new RegisterContainerInstanceCommand({
          cluster: name,
          instanceIdentityDocument: identityDocument("i-0feedfacecafe0001", "c6i.2xlarge", "us-east-1d"),
          totalResources: totalResources(8192, 15000),
          attributes: [{ name: "ecs.os-type", value: "linux" }],
        }),
      );
      const ci = out.containerInstance!;
      assert.equal(ci.ec2InstanceId, "i-0feedfacecafe0001");
      assert.deepEqual(attributeMap(ci.attributes), {
        "ecs.ami-id": "ami-0abcdef1234567890",
        "ecs.availability-zone": "us-east-1d",
        "ecs.instance-type": "c6i.2xlarge",
        "ecs.os-type": "linux",
      });
      const [arn] = await listAll(name, { filter: "attribute:ecs.instance-type == c6i.2xlarge" });
      assert.equal(arn, ci.containerInstanceArn);
    });

    it("registers into the default cluster when none is named, and without an identity document", async () => {
      await ecs.send(new CreateClusterCommand({}));
      const out = await ecs.send(new RegisterContainerInstanceCommand({ totalResources: totalResources(1024, 2048) }));
      const ci = out.containerInstance!;
      assert.match(ci.containerInstanceArn!, arnPattern("default"));
      assert.equal(ci.ec2InstanceId, undefined);
      assert.deepEqual(ci.attributes, []);
      const arns = await listAll("default");
      assert.ok(arns.includes(ci.containerInstanceArn!));
      await ecs.send(new DeregisterContainerInstanceCommand({ containerInstance: ci.containerInstanceArn! }));
    });

    it("keeps the ARN, registeredAt and status when an agent re-registers with its saved ARN", async () => {
      const name = await cluster("ci-reregister");
      const first = await register(name, { instanceType: "t3.large", zone: "us-east-1a" });
      await ecs.send(new UpdateContainerInstancesStateCommand({ cluster: name, containerInstances: [first.containerInstanceArn!], status: "DRAINING" }));

      const again = await ecs.send(
        new RegisterContainerInstanceCommand({
          ...registration(name, { instanceType: "t3.large", zone: "us-east-1a", custom: "green" }),
          containerInstanceArn: first.containerInstanceArn,
          totalResources: totalResources(2048, 7000),
          versionInfo: { agentVersion: "1.83.0" },
        }),
      );
      const ci = again.containerInstance!;
      assert.equal(ci.containerInstanceArn, first.containerInstanceArn);
      assert.equal(ci.registeredAt!.getTime(), first.registeredAt!.getTime());
      assert.equal(ci.status, "DRAINING");
      assert.equal(ci.versionInfo?.agentVersion, "1.83.0");
      assert.equal(ci.registeredResources!.find((r) => r.name === "MEMORY")?.integerValue, 7000);
      assert.equal(ci.remainingResources!.find((r) => r.name === "MEMORY")?.integerValue, 7000);
      assert.equal(attributeMap(ci.attributes)["custom"], "green");
      assert.ok(ci.version! > first.version!);
      assert.deepEqual(await listAll(name), [first.containerInstanceArn]);

      // A bare ID works as well as the ARN.
      const byId = await ecs.send(
        new RegisterContainerInstanceCommand({ cluster: name, containerInstanceArn: idOf(first.containerInstanceArn!), totalResources: totalResources() }),
      );
      assert.equal(byId.containerInstance!.containerInstanceArn, first.containerInstanceArn);
    });

    it("refuses unknown and deleted clusters, unknown ARNs and resources it cannot read", async () => {
      await expectError(ecs.send(new RegisterContainerInstanceCommand({ cluster: "ci-nowhere", totalResources: totalResources() })), "ClusterNotFoundException");
      const gone = await cluster("ci-deleted");
      await ecs.send(new DeleteClusterCommand({ cluster: gone }));
      await expectError(ecs.send(new RegisterContainerInstanceCommand({ cluster: gone, totalResources: totalResources() })), "ClusterNotFoundException");
      await expectError(ecs.send(new ListContainerInstancesCommand({ cluster: gone })), "ClusterNotFoundException");

      const name = await cluster("ci-bad-input");
      await expectError(
        ecs.send(new RegisterContainerInstanceCommand({ cluster: name, containerInstanceArn: "0123456789abcdef0123456789abcdef", totalResources: totalResources() })),
        "ClientException",
        /not registered/,
      );
      await expectError(
        ecs.send(new RegisterContainerInstanceCommand({ cluster: name, totalResources: [{ name: "MEMORY", type: "INTEGER", integerValue: 1 }] })),
        "InvalidParameterException",
        /CPU/,
      );
      await expectError(
        ecs.send(
          new RegisterContainerInstanceCommand({
            cluster: name,
            totalResources: [...totalResources().slice(0, 3), { name: "PORTS_UDP", type: "STRINGSET", stringSetValue: ["70000"] }],
          }),
        ),
        "InvalidParameterException",
        /70000/,
      );
      await expectError(
        ecs.send(new RegisterContainerInstanceCommand({ cluster: name, totalResources: totalResources(), attributes: [{ name: "bad name!" }] })),
        "InvalidParameterException",
        /bad name!/,
      );
      assert.deepEqual(await listAll(name), [], "nothing is registered by a refused call");
    });
  });

  describe("DescribeContainerInstances", () => {
    it("accepts ARNs and IDs, reports what it cannot find as MISSING with the full ARN, and includes tags and health on request", async () => {
      const name = await cluster("ci-describe");
      const a = await register(name, { instanceType: "t3.large", zone: "us-east-1a" });
      await ecs.send(new RegisterContainerInstanceCommand({ ...registration(name, { instanceType: "t3.small", zone: "us-east-1b" }), tags: [{ key: "k", value: "v" }] }));
      const [bArn] = (await listAll(name)).filter((arn) => arn !== a.containerInstanceArn);
      assert.ok(bArn);
      const missingId = "ffffffffffffffffffffffffffffffff";

      const out = await ecs.send(
        new DescribeContainerInstancesCommand({
          cluster: `arn:aws:ecs:${testRegion}:${testAccount}:cluster/${name}`,
          containerInstances: [a.containerInstanceArn!, idOf(bArn), missingId],
          include: ["TAGS", "CONTAINER_INSTANCE_HEALTH"],
        }),
      );
      assert.deepEqual(
        out.containerInstances!.map((c) => c.containerInstanceArn),
        [a.containerInstanceArn, bArn],
      );
      assert.deepEqual(out.failures, [{ arn: `arn:aws:ecs:${testRegion}:${testAccount}:container-instance/${name}/${missingId}`, reason: "MISSING" }]);
      assert.deepEqual(out.containerInstances?.[0]?.tags, []);
      assert.deepEqual(out.containerInstances?.[1]?.tags, [{ key: "k", value: "v" }]);
      assert.equal(out.containerInstances?.[0]?.healthStatus?.overallStatus, "INSUFFICIENT_DATA");

      await expectError(ecs.send(new DescribeContainerInstancesCommand({ cluster: name, containerInstances: [] })), "InvalidParameterException");
      await expectError(ecs.send(new DescribeContainerInstancesCommand({ cluster: "ci-nowhere", containerInstances: [missingId] })), "ClusterNotFoundException");
    });
  });

  describe("ListContainerInstances", () => {
    let name: string;
    let large: string;
    let small: string;
    let xlarge: string;

    before(async () => {
      name = await cluster("ci-list");
      large = (await register(name, { instanceType: "t3.large", zone: "us-east-1a", custom: "x" })).containerInstanceArn!;
      small = (await register(name, { instanceType: "t3.small", zone: "us-east-1b" })).containerInstanceArn!;
      xlarge = (await register(name, { instanceType: "m5.xlarge", zone: "us-east-1c" })).containerInstanceArn!;
      await ecs.send(new UpdateContainerInstancesStateCommand({ cluster: name, containerInstances: [small], status: "DRAINING" }));
    });

    it("filters by status; without one it lists every status but INACTIVE", async () => {
      assert.deepEqual(await listAll(name), [large, small, xlarge].sort());
      assert.deepEqual(await listAll(name, { status: "ACTIVE" }), [large, xlarge].sort());
      assert.deepEqual(await listAll(name, { status: "DRAINING" }), [small]);
      for (const status of ["REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED"] as const) {
        assert.deepEqual(await listAll(name, { status }), [], status);
      }
    });

    it("filters with the cluster query language", async () => {
      assert.deepEqual(await listAll(name, { filter: "attribute:ecs.instance-type == t3.large" }), [large]);
      assert.deepEqual(await listAll(name, { filter: "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]" }), [large, small].sort());
      assert.deepEqual(await listAll(name, { filter: "attribute:custom exists" }), [large]);
      assert.deepEqual(await listAll(name, { filter: "attribute:custom !exists" }), [small, xlarge].sort());
      assert.deepEqual(await listAll(name, { filter: "attribute:ecs.instance-type =~ t3.* and not(attribute:ecs.availability-zone == us-east-1a)" }), [small]);
      assert.deepEqual(await listAll(name, { filter: "agentConnected == false and runningTasksCount == 0" }), [large, small, xlarge].sort());
      assert.deepEqual(await listAll(name, { filter: "agentVersion >= 1.82.0" }), [large, small, xlarge].sort());
      assert.deepEqual(await listAll(name, { filter: "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", status: "ACTIVE" }), [large]);
    });

    it("answers a malformed filter with InvalidParameterException naming the problem", async () => {
      await expectError(ecs.send(new ListContainerInstancesCommand({ cluster: name, filter: "attribute:ecs.instance-type = t3.large" })), "InvalidParameterException", /"="/);
      await expectError(ecs.send(new ListContainerInstancesCommand({ cluster: name, filter: "(attribute:custom exists" })), "InvalidParameterException", /\)/);
      await expectError(ecs.send(new ListContainerInstancesCommand({ cluster: name, filter: "colour == red" })), "InvalidParameterException", /colour/);
    });
  });

  describe("pagination", () => {
    it("chains nextToken through every page, with and without a filter", async () => {
      const name = await cluster("ci-pages");
      const all: string[] = [];
      for (let i = 0; i < 7; i++) {
        all.push((await register(name, { instanceType: i % 2 === 0 ? "t3.large" : "t3.small", zone: "us-east-1a" })).containerInstanceArn!);
      }
      all.sort();

      const walk = async (filter?: string): Promise<string[][]> => {
        const pages: string[][] = [];
        let token: string | undefined;
        do {
          const out = await ecs.send(new ListContainerInstancesCommand({ cluster: name, maxResults: 3, nextToken: token, ...(filter ? { filter } : {}) }));
          pages.push([...(out.containerInstanceArns ?? [])]);
          token = out.nextToken;
        } while (token !== undefined);
        return pages;
      };
      const pages = await walk();
      assert.deepEqual(pages.map((p) => p.length), [3, 3, 1]);
      assert.deepEqual(pages.flat(), all);

      const large = await listAll(name, { filter: "attribute:ecs.instance-type == t3.large" });
      assert.equal(large.length, 4);
      const filtered = await walk("attribute:ecs.instance-type == t3.large");
      assert.deepEqual(filtered.map((p) => p.length), [3, 1]);
      assert.deepEqual(filtered.flat(), large);

      await expectError(ecs.send(new ListContainerInstancesCommand({ cluster: name, maxResults: 0 })), "InvalidParameterException");
      await expectError(ecs.send(new ListContainerInstancesCommand({ cluster: name, maxResults: 101 })), "InvalidParameterException");
      await expectError(ecs.send(new ListContainerInstancesCommand({ cluster: name, nextToken: "not-a-token" })), "InvalidParameterException");
    });
  });

  describe("UpdateContainerInstancesState", () => {
    it("drains and re-activates, reporting what it cannot change as failures", async () => {
      const name = await cluster("ci-drain");
      const ci = await register(name, { instanceType: "t3.large", zone: "us-east-1a" });
      const arn = ci.containerInstanceArn!;
      const missingId = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

      const drained = await ecs.send(
        new UpdateContainerInstancesStateCommand({ cluster: name, containerInstances: [idOf(arn), missingId], status: "DRAINING" }),
      );
      assert.equal(drained.containerInstances!.length, 1);
      assert.equal(drained.containerInstances?.[0]?.containerInstanceArn, arn);
      assert.equal(drained.containerInstances?.[0]?.status, "DRAINING");
      assert.ok((drained.containerInstances?.[0]?.version ?? 0) > (ci.version ?? 0));
      assert.deepEqual(drained.failures, [{ arn: `arn:aws:ecs:${testRegion}:${testAccount}:container-instance/${name}/${missingId}`, reason: "MISSING" }]);
      const described = await ecs.send(new DescribeContainerInstancesCommand({ cluster: name, containerInstances: [arn] }));
      assert.equal(described.containerInstances?.[0]?.status, "DRAINING");
      assert.deepEqual(await listAll(name, { status: "ACTIVE" }), []);

      const active = await ecs.send(new UpdateContainerInstancesStateCommand({ cluster: name, containerInstances: [arn], status: "ACTIVE" }));
      assert.equal(active.containerInstances?.[0]?.status, "ACTIVE");
      assert.deepEqual(active.failures, []);
      assert.deepEqual(await listAll(name, { status: "ACTIVE" }), [arn]);

      await expectError(
        ecs.send(new UpdateContainerInstancesStateCommand({ cluster: name, containerInstances: [arn], status: "REGISTERING" })),
        "InvalidParameterException",
        /ACTIVE or DRAINING/,
      );
      await expectError(
        ecs.send(new UpdateContainerInstancesStateCommand({ cluster: name, containerInstances: Array.from({ length: 11 }, (_, i) => `id${i}`), status: "DRAINING" })),
        "InvalidParameterException",
      );
    });
  });

  describe("DeregisterContainerInstance", () => {
    it("makes the instance INACTIVE: gone from lists and counts, describable, its attributes removed", async () => {
      const name = await cluster("ci-deregister");
      const ci = await register(name, { instanceType: "t3.large", zone: "us-east-1a", custom: "x" });
      const arn = ci.containerInstanceArn!;
      const count = async () =>
        (await ecs.send(new DescribeClustersCommand({ clusters: [name] }))).clusters?.[0]?.registeredContainerInstancesCount;
      assert.equal(await count(), 1);

      const out = await ecs.send(new DeregisterContainerInstanceCommand({ cluster: name, containerInstance: idOf(arn) }));
      assert.equal(out.containerInstance!.containerInstanceArn, arn);
      assert.equal(out.containerInstance!.status, "INACTIVE");

      assert.equal(await count(), 0);
      assert.deepEqual(await listAll(name), []);
      for (const status of ["ACTIVE", "DRAINING"] as const) assert.deepEqual(await listAll(name, { status }), []);
      const described = await ecs.send(new DescribeContainerInstancesCommand({ cluster: name, containerInstances: [arn] }));
      assert.equal(described.containerInstances?.[0]?.status, "INACTIVE");
      assert.deepEqual(described.containerInstances?.[0]?.attributes, []);
      const attrs = await ecs.send(new ListAttributesCommand({ cluster: name, targetType: "container-instance" }));
      assert.deepEqual(attrs.attributes, []);

      const update = await ecs.send(new UpdateContainerInstancesStateCommand({ cluster: name, containerInstances: [arn], status: "DRAINING" }));
      assert.deepEqual(update.containerInstances, []);
      assert.equal(update.failures?.[0]?.arn, arn);
      await expectError(
        ecs.send(new RegisterContainerInstanceCommand({ cluster: name, containerInstanceArn: arn, totalResources: totalResources() })),
        "ClientException",
        /inactive/,
      );
      await expectError(
        ecs.send(new PutAttributesCommand({ cluster: name, attributes: [{ name: "x", targetId: arn }] })),
        "TargetNotFoundException",
      );
      const again = await ecs.send(new DeregisterContainerInstanceCommand({ cluster: name, containerInstance: arn }));
      assert.equal(again.containerInstance!.status, "INACTIVE");

      await expectError(ecs.send(new DeregisterContainerInstanceCommand({ cluster: name, containerInstance: "dddddddddddddddddddddddddddddddd" })), "InvalidParameterException");
      // With no instance left the cluster can go.
      await ecs.send(new DeleteClusterCommand({ cluster: name }));
    });
  });

  describe("attributes", () => {
    let name: string;
    let arn: string;
    let other: string;

    before(async () => {
      name = await cluster("ci-attributes");
      arn = (await register(name, { instanceType: "t3.large", zone: "us-east-1a" })).containerInstanceArn!;
      other = (await register(name, { instanceType: "t3.small", zone: "us-east-1b" })).containerInstanceArn!;
    });

    it("puts, lists, replaces and deletes custom attributes by ARN or by ID", async () => {
      const put = await ecs.send(
        new PutAttributesCommand({
          cluster: name,
          attributes: [
            { name: "rack", value: "r1", targetId: arn },
            { name: "rack", value: "r2", targetId: idOf(other), targetType: "container-instance" },
            { name: "owner", value: "ops@example.com", targetId: arn },
            { name: "flag", targetId: arn },
          ],
        }),
      );
      assert.deepEqual(put.attributes, [
        { name: "rack", value: "r1", targetType: "container-instance", targetId: arn },
        { name: "rack", value: "r2", targetType: "container-instance", targetId: other },
        { name: "owner", value: "ops@example.com", targetType: "container-instance", targetId: arn },
        { name: "flag", targetType: "container-instance", targetId: arn },
      ]);

      const racks = await ecs.send(new ListAttributesCommand({ cluster: name, targetType: "container-instance", attributeName: "rack" }));
      assert.deepEqual(
        racks.attributes!.map((a) => [a.targetId, a.value]).sort(),
        [
          [arn, "r1"],
          [other, "r2"],
        ].sort(),
      );
      const r2 = await ecs.send(new ListAttributesCommand({ cluster: name, targetType: "container-instance", attributeName: "rack", attributeValue: "r2" }));
      assert.deepEqual(r2.attributes, [{ name: "rack", value: "r2", targetType: "container-instance", targetId: other }]);

      // The filter and DescribeContainerInstances see attributes put after registration.
      assert.deepEqual(await listAll(name, { filter: "attribute:rack == r1" }), [arn]);
      const described = await ecs.send(new DescribeContainerInstancesCommand({ cluster: name, containerInstances: [arn] }));
      assert.equal(attributeMap(described.containerInstances?.[0]?.attributes)["owner"], "ops@example.com");

      await ecs.send(new PutAttributesCommand({ cluster: name, attributes: [{ name: "rack", value: "r9", targetId: arn }] }));
      assert.deepEqual(await listAll(name, { filter: "attribute:rack == r9" }), [arn]);

      const deleted = await ecs.send(new DeleteAttributesCommand({ cluster: name, attributes: [{ name: "rack", targetId: idOf(arn), targetType: "container-instance" }] }));
      assert.deepEqual(deleted.attributes, [{ name: "rack", targetType: "container-instance", targetId: arn }]);
      assert.deepEqual(await listAll(name, { filter: "attribute:rack exists" }), [other]);
    });

    it("rejects bad names, values, targets and counts without applying any of the call", async () => {
      const attempt = (attributes: Attribute[]) => ecs.send(new PutAttributesCommand({ cluster: name, attributes }));
      await expectError(attempt([{ name: "has space", value: "v", targetId: arn }]), "InvalidParameterException", /has space/);
      await expectError(attempt([{ name: "x".repeat(129), targetId: arn }]), "InvalidParameterException");
      await expectError(attempt([{ name: "ok", value: " leading", targetId: arn }]), "InvalidParameterException", /leading/);
      await expectError(attempt([{ name: "ok", value: "semi;colon", targetId: arn }]), "InvalidParameterException");
      await expectError(attempt([{ name: "ok", value: "v" }]), "InvalidParameterException", /targetId/);
      await expectError(attempt([{ name: "ok", value: "v", targetId: idOf(arn) }]), "InvalidParameterException", /targetType/);
      await expectError(attempt([{ name: "ok", value: "v", targetId: "0000000000000000000000000000000a", targetType: "container-instance" }]), "TargetNotFoundException");
      await expectError(
        attempt(Array.from({ length: 11 }, (_, i) => ({ name: `a${i}`, targetId: arn }))),
        "InvalidParameterException",
        /at most 10/,
      );
      await expectError(
        ecs.send(new PutAttributesCommand({ cluster: "ci-nowhere", attributes: [{ name: "ok", targetId: arn }] })),
        "ClusterNotFoundException",
      );

      // A valid entry next to an unknown target is not applied either.
      await expectError(
        attempt([
          { name: "partial", value: "v", targetId: arn },
          { name: "partial", value: "v", targetId: "0000000000000000000000000000000b", targetType: "container-instance" },
        ]),
        "TargetNotFoundException",
      );
      const partial = await ecs.send(new ListAttributesCommand({ cluster: name, targetType: "container-instance", attributeName: "partial" }));
      assert.deepEqual(partial.attributes, []);

      // Ten custom attributes per instance; the agent's ecs.* ones do not count.
      const existing = (await ecs.send(new ListAttributesCommand({ cluster: name, targetType: "container-instance" }))).attributes!.filter(
        (a) => a.targetId === other && !a.name!.startsWith("ecs."),
      ).length;
      const fill = Array.from({ length: 10 - existing }, (_, i) => ({ name: `fill${i}`, value: "1", targetId: other }));
      await ecs.send(new PutAttributesCommand({ cluster: name, attributes: fill }));
      await expectError(attempt([{ name: "one-too-many", targetId: other }]), "AttributeLimitExceededException");
      // Replacing an existing one stays within the limit.
      await ecs.send(new PutAttributesCommand({ cluster: name, attributes: [{ name: "fill0", value: "2", targetId: other }] }));
      await ecs.send(new DeleteAttributesCommand({ cluster: name, attributes: fill }));

      await expectError(
        ecs.send(new ListAttributesCommand({ cluster: name, targetType: "container-instance", attributeValue: "r1" })),
        "InvalidParameterException",
        /attributeName/,
      );
      await expectError(
        ecs.send(new DeleteAttributesCommand({ cluster: name, attributes: [{ name: "x", targetId: "0000000000000000000000000000000c", targetType: "container-instance" }] })),
        "TargetNotFoundException",
      );
    });

    it("pages ListAttributes with chained tokens", async () => {
      const seen: string[] = [];
      const sizes: number[] = [];
      let token: string | undefined;
      do {
        const out = await ecs.send(new ListAttributesCommand({ cluster: name, targetType: "container-instance", maxResults: 4, nextToken: token }));
        sizes.push(out.attributes!.length);
        seen.push(...out.attributes!.map((a) => `${a.targetId} ${a.name}`));
        token = out.nextToken;
      } while (token !== undefined);
      const all = (await ecs.send(new ListAttributesCommand({ cluster: name, targetType: "container-instance" }))).attributes!.map((a) => `${a.targetId} ${a.name}`);
      assert.ok(all.length > 8, `expected several pages of attributes, got ${all.length}`);
      assert.deepEqual(seen, all);
      assert.equal(new Set(seen).size, seen.length);
      assert.ok(sizes.slice(0, -1).every((n) => n === 4));
    });
  });

  describe("through the aws CLI", () => {
    it("registers, filters, describes, attributes, drains and deregisters", async () => {
      const name = await cluster("ci-cli");
      const input = registration(name, { instanceType: "t3.large", zone: "us-east-1a", custom: "cli" });
      const registered = await awsJson<{ containerInstance: { containerInstanceArn: string; status: string; remainingResources: Resource[] } }>(
        server,
        "ecs",
        "register-container-instance",
        "--cli-input-json",
        JSON.stringify(input),
      );
      const arn = registered.containerInstance.containerInstanceArn;
      assert.match(arn, arnPattern(name));
      assert.equal(registered.containerInstance.status, "ACTIVE");
      assert.equal(registered.containerInstance.remainingResources.find((r) => r.name === "CPU")?.integerValue, 2048);

      const listed = await awsJson<{ containerInstanceArns: string[] }>(
        server, "ecs", "list-container-instances", "--cluster", name, "--filter", "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
      );
      assert.deepEqual(listed.containerInstanceArns, [arn]);

      const described = await awsJson<{ containerInstances: { ec2InstanceId: string; registeredAt: number }[]; failures: unknown[] }>(
        server, "ecs", "describe-container-instances", "--cluster", name, "--container-instances", idOf(arn),
      );
      assert.equal(described.containerInstances[0]?.ec2InstanceId, instanceIdIn(input));
      assert.deepEqual(described.failures, []);

      await awsJson(server, "ecs", "put-attributes", "--cluster", name, "--attributes", `name=stack,value=prod,targetId=${arn}`);
      const attrs = await awsJson<{ attributes: Attribute[] }>(
        server, "ecs", "list-attributes", "--cluster", name, "--target-type", "container-instance", "--attribute-name", "stack",
      );
      assert.deepEqual(attrs.attributes, [{ name: "stack", value: "prod", targetType: "container-instance", targetId: arn }]);

      const drained = await awsJson<{ containerInstances: { status: string }[] }>(
        server, "ecs", "update-container-instances-state", "--cluster", name, "--container-instances", arn, "--status", "DRAINING",
      );
      assert.equal(drained.containerInstances[0]?.status, "DRAINING");

      const bad = await aws(server, "ecs", "list-container-instances", "--cluster", name, "--filter", "attribute:stack = prod");
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /InvalidParameterException/);

      const gone = await awsJson<{ containerInstance: { status: string } }>(
        server, "ecs", "deregister-container-instance", "--cluster", name, "--container-instance", arn,
      );
      assert.equal(gone.containerInstance.status, "INACTIVE");
      const after = await awsJson<{ containerInstanceArns: string[] }>(server, "ecs", "list-container-instances", "--cluster", name);
      assert.deepEqual(after.containerInstanceArns, []);
    });
  });

  describe("through boto3", () => {
    it("registers, filters, pages, puts attributes, drains and deregisters", async () => {
      const name = await cluster("ci-boto3");
      const result = await boto3<{
        arns: string[];
        pages: number[];
        filtered: string[];
        status: string;
        attrs: Attribute[];
        error: string;
        message: string;
        final: string;
        remaining: string[];
      }>(
        server,
        `
import json
reg = json.loads(${JSON.stringify(JSON.stringify([registration(name, { instanceType: "t3.large", zone: "us-east-1a", custom: "py" }), registration(name, { instanceType: "t3.small", zone: "us-east-1b" }), registration(name, { instanceType: "t3.small", zone: "us-east-1c" })]))})
arns = [ecs.register_container_instance(**r)["containerInstance"]["containerInstanceArn"] for r in reg]
pages = [len(p["containerInstanceArns"]) for p in ecs.get_paginator("list_container_instances").paginate(cluster="${name}", PaginationConfig={"PageSize": 2})]
filtered = ecs.list_container_instances(cluster="${name}", filter="attribute:ecs.instance-type == t3.small")["containerInstanceArns"]
ecs.put_attributes(cluster="${name}", attributes=[{"name": "zone-group", "value": "west", "targetId": arns[0]}])
attrs = ecs.list_attributes(cluster="${name}", targetType="container-instance", attributeName="zone-group")["attributes"]
status = ecs.update_container_instances_state(cluster="${name}", containerInstances=[arns[1]], status="DRAINING")["containerInstances"][0]["status"]
try:
    ecs.list_container_instances(cluster="${name}", filter="attribute:ecs.instance-type ==")
    error, message = "none", ""
except ecs.exceptions.InvalidParameterException as e:
    error, message = e.response["Error"]["Code"], e.response["Error"]["Message"]
final = ecs.deregister_container_instance(cluster="${name}", containerInstance=arns[2])["containerInstance"]["status"]
remaining = ecs.list_container_instances(cluster="${name}")["containerInstanceArns"]
dump({"arns": arns, "pages": pages, "filtered": filtered, "status": status, "attrs": attrs, "error": error, "message": message, "final": final, "remaining": remaining})
`,
      );
      assert.equal(result.arns.length, 3);
      for (const arn of result.arns) assert.match(arn, arnPattern(name));
      assert.deepEqual(result.pages, [2, 1]);
      assert.deepEqual(result.filtered.sort(), [result.arns[1], result.arns[2]].sort());
      assert.deepEqual(result.attrs, [{ name: "zone-group", value: "west", targetType: "container-instance", targetId: result.arns[0] }]);
      assert.equal(result.status, "DRAINING");
      assert.equal(result.error, "InvalidParameterException");
      assert.match(result.message, /filter/);
      assert.equal(result.final, "INACTIVE");
      assert.deepEqual(result.remaining.sort(), [result.arns[0], result.arns[1]].sort());
    });
  });
});

describe("remainingResources", () => {
  const registered: Parameters<typeof remainingResources>[0] = [
    { name: "CPU", type: "INTEGER", doubleValue: 0, longValue: 0, integerValue: 2048 },
    { name: "MEMORY", type: "INTEGER", doubleValue: 0, longValue: 0, integerValue: 7680 },
    { name: "PORTS", type: "STRINGSET", doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: ["22", "2375"] },
    { name: "PORTS_UDP", type: "STRINGSET", doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: [] },
    { name: "GPU", type: "STRINGSET", doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: ["gpu-0", "gpu-1"] },
  ];

  it("equals registeredResources while no task holds anything", () => {
    assert.deepEqual(remainingResources(registered, []), registered);
  });

  it("subtracts what tasks reserve, and lists bound host ports as taken", () => {
    const remaining = remainingResources(registered, [
      [
        { name: "CPU", integerValue: 512 },
        { name: "MEMORY", integerValue: 1024 },
        { name: "PORTS", stringSetValue: ["32768"] },
        { name: "GPU", stringSetValue: ["gpu-1"] },
      ],
      [
        { name: "CPU", integerValue: 256 },
        { name: "MEMORY", integerValue: 512 },
        { name: "PORTS", stringSetValue: ["32769"] },
        { name: "PORTS_UDP", stringSetValue: ["53"] },
      ],
    ]);
    const byName = Object.fromEntries(remaining.map((r) => [r.name ?? "", r] as const));
    assert.equal(byName["CPU"]?.integerValue, 2048 - 768);
    assert.equal(byName["MEMORY"]?.integerValue, 7680 - 1536);
    assert.deepEqual(byName["PORTS"]?.stringSetValue, ["22", "2375", "32768", "32769"]);
    assert.deepEqual(byName["PORTS_UDP"]?.stringSetValue, ["53"]);
    assert.deepEqual(byName["GPU"]?.stringSetValue, ["gpu-0"]);
    assert.deepEqual(registered[0], { name: "CPU", type: "INTEGER", doubleValue: 0, longValue: 0, integerValue: 2048 }, "inputs are not modified");
  });
});
