// Pins the capacity provider actions to the ECS API reference: FARGATE and
// FARGATE_SPOT built in and reserved; Create/Describe/Update/DeleteCapacityProvider
// for Auto Scaling group providers; and how clusters name them.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  ClientException,
  CreateCapacityProviderCommand,
  CreateClusterCommand,
  DeleteCapacityProviderCommand,
  DeleteClusterCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  InvalidParameterException,
  PutClusterCapacityProvidersCommand,
  UpdateCapacityProviderCommand,
  type CapacityProvider,
  type CreateCapacityProviderCommandInput,
  type DescribeCapacityProvidersCommandOutput,
  type ECSClient,
} from "@aws-sdk/client-ecs";
import { rejectsWith } from "../../../test/kit/ecs-assertions.js";
import { startTestServer, type TestServer } from "../../../test/kit/harness.js";

const providerArn = (name: string): string => `arn:aws:ecs:us-east-1:000000000000:capacity-provider/${name}`;
const asgArn = (name: string): string =>
  `arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:6d5af669-eb3b-4b6c-bc1f-3a2f1c6e0a51:autoScalingGroupName/${name}`;

const fargate: CapacityProvider = { capacityProviderArn: providerArn("FARGATE"), name: "FARGATE", status: "ACTIVE", type: "FARGATE" };
const fargateSpot: CapacityProvider = {
  capacityProviderArn: providerArn("FARGATE_SPOT"),
  name: "FARGATE_SPOT",
  status: "ACTIVE",
  type: "FARGATE_SPOT",
};

/** An Auto Scaling group provider as ECS returns it when created with only the group's ARN. */
function asgProvider(name: string, extra: Partial<CapacityProvider> = {}): CapacityProvider {
  return {
    capacityProviderArn: providerArn(name),
    name,
    status: "ACTIVE",
    type: "EC2_AUTOSCALING",
    updateStatus: "CREATE_COMPLETE",
    autoScalingGroupProvider: {
      autoScalingGroupArn: asgArn(name),
      managedScaling: {
        status: "DISABLED",
        targetCapacity: 100,
        minimumScalingStepSize: 1,
        maximumScalingStepSize: 10000,
        instanceWarmupPeriod: 300,
      },
      managedTerminationProtection: "DISABLED",
      managedDraining: "ENABLED",
    },
    ...extra,
  };
}



describe("ECS capacity providers", () => {
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

  const create = async (name: string, extra: Partial<CreateCapacityProviderCommandInput> = {}): Promise<CapacityProvider> =>
    (await ecs.send(new CreateCapacityProviderCommand({ name, autoScalingGroupProvider: { autoScalingGroupArn: asgArn(name) }, ...extra })))
      .capacityProvider!;
  const remove = async (name: string): Promise<CapacityProvider> =>
    (await ecs.send(new DeleteCapacityProviderCommand({ capacityProvider: name }))).capacityProvider!;
  const describeAll = async (): Promise<CapacityProvider[]> => {
    const all: CapacityProvider[] = [];
    let token: string | undefined;
    do {
      const page = await ecs.send(new DescribeCapacityProvidersCommand(token ? { nextToken: token } : {}));
      assert.deepEqual(page.failures, []);
      all.push(...(page.capacityProviders ?? []));
      token = page.nextToken;
    } while (token);
    return all;
  };

  it("FARGATE and FARGATE_SPOT are there from the start", async () => {
    const out = await ecs.send(new DescribeCapacityProvidersCommand({}));
    assert.deepEqual(out.capacityProviders, [fargate, fargateSpot]);
    assert.deepEqual(out.failures, []);
    assert.equal(out.nextToken, undefined);

    const tagged = await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: ["FARGATE_SPOT", providerArn("FARGATE")], include: ["TAGS"] }));
    assert.deepEqual(tagged.capacityProviders, [
      { ...fargateSpot, tags: [] },
      { ...fargate, tags: [] },
    ]);
  });

  it("CreateCapacityProvider returns an Auto Scaling group provider with ECS's defaults filled in", async () => {
    const created = await create("asg-one", { tags: [{ key: "team", value: "infra" }] });
    assert.deepEqual(created, asgProvider("asg-one", { tags: [{ key: "team", value: "infra" }] }));

    const out = await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: ["asg-one"] }));
    assert.deepEqual(out.capacityProviders, [asgProvider("asg-one")], "tags only when include TAGS");
    const withTags = await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: [providerArn("asg-one")], include: ["TAGS"] }));
    assert.deepEqual(withTags.capacityProviders, [asgProvider("asg-one", { tags: [{ key: "team", value: "infra" }] })]);
    await remove("asg-one");
  });

  it("CreateCapacityProvider keeps the managed scaling and protection it is given", async () => {
    const created = await create("asg-tuned", {
      autoScalingGroupProvider: {
        autoScalingGroupArn: asgArn("asg-tuned"),
        managedScaling: { status: "ENABLED", targetCapacity: 80, minimumScalingStepSize: 2, maximumScalingStepSize: 50, instanceWarmupPeriod: 60 },
        managedTerminationProtection: "ENABLED",
        managedDraining: "DISABLED",
      },
    });
    assert.deepEqual(created.autoScalingGroupProvider, {
      autoScalingGroupArn: asgArn("asg-tuned"),
      managedScaling: { status: "ENABLED", targetCapacity: 80, minimumScalingStepSize: 2, maximumScalingStepSize: 50, instanceWarmupPeriod: 60 },
      managedTerminationProtection: "ENABLED",
      managedDraining: "DISABLED",
    });
    await remove("asg-tuned");
  });

  it("CreateCapacityProvider refuses reserved, malformed and duplicate names", async () => {
    // "The name can't be prefixed with aws, ecs, or fargate."
    for (const name of ["awsProvider", "ECS-provider", "fargate_x", "FARGATE", "Fargate2"]) {
      await rejectsWith(create(name), InvalidParameterException);
    }
    await rejectsWith(create("has space"), InvalidParameterException);
    await rejectsWith(create("x".repeat(256)), InvalidParameterException);
    await rejectsWith(ecs.send(new CreateCapacityProviderCommand({ name: "no-kind" })), InvalidParameterException);
    await rejectsWith(create("bad-tag", { tags: [{ key: "aws:owner", value: "me" }] }), InvalidParameterException);

    await create("taken");
    await rejectsWith(create("taken"), ClientException);
    assert.deepEqual(
      (await describeAll()).map((p) => p.name),
      ["FARGATE", "FARGATE_SPOT", "taken"],
      "refused requests created nothing",
    );
    await remove("taken");
  });

  it("DescribeCapacityProviders reports unknown names as MISSING with the full ARN, in request order", async () => {
    await create("known");
    const out = await ecs.send(
      new DescribeCapacityProvidersCommand({ capacityProviders: ["unknown", "known", providerArn("also-unknown"), "FARGATE"] }),
    );
    assert.deepEqual(out.capacityProviders, [asgProvider("known"), fargate]);
    assert.deepEqual(out.failures, [
      { arn: providerArn("unknown"), reason: "MISSING" },
      { arn: providerArn("also-unknown"), reason: "MISSING" },
    ]);
    await remove("known");
  });

  it("DescribeCapacityProviders pages 10 at a time, maxResults 1 to 10", async () => {
    const names = Array.from({ length: 9 }, (_, i) => `pool-${i}`);
    for (const name of names) await create(name);

    const first = await ecs.send(new DescribeCapacityProvidersCommand({}));
    assert.equal(first.capacityProviders?.length, 10);
    assert.equal(typeof first.nextToken, "string");
    const second = await ecs.send(new DescribeCapacityProvidersCommand({ nextToken: first.nextToken }));
    assert.equal(second.capacityProviders?.length, 1);
    assert.equal(second.nextToken, undefined);
    const seen = [...first.capacityProviders, ...second.capacityProviders].map((p) => p.name!);
    assert.deepEqual([...seen].sort(), ["FARGATE", "FARGATE_SPOT", ...names].sort());

    const small: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await ecs.send(new DescribeCapacityProvidersCommand({ maxResults: 4, ...(token ? { nextToken: token } : {}) }));
      assert.ok(page.capacityProviders!.length <= 4);
      small.push(...page.capacityProviders!.map((p) => p.name!));
      token = page.nextToken;
      pages++;
    } while (token);
    assert.equal(pages, 3);
    assert.deepEqual(small, seen, "the same order whatever the page size");
    // A last page that is exactly full ends the listing: no token to an empty page.
    const ones: number[] = [];
    token = undefined;
    do {
      const page: DescribeCapacityProvidersCommandOutput = await ecs.send(new DescribeCapacityProvidersCommand({ maxResults: 1, ...(token ? { nextToken: token } : {}) }));
      ones.push(page.capacityProviders!.length);
      token = page.nextToken;
    } while (token);
    assert.deepEqual(ones, Array.from({ length: 11 }, () => 1));

    await rejectsWith(ecs.send(new DescribeCapacityProvidersCommand({ maxResults: 11 })), InvalidParameterException);
    await rejectsWith(ecs.send(new DescribeCapacityProvidersCommand({ maxResults: 0 })), InvalidParameterException);
    for (const name of names) await remove(name);
  });

  it("UpdateCapacityProvider changes managed scaling, protection and draining", async () => {
    await create("tunable");
    const updated = (
      await ecs.send(
        new UpdateCapacityProviderCommand({
          name: "tunable",
          autoScalingGroupProvider: {
            managedScaling: { status: "ENABLED", targetCapacity: 75 },
            managedTerminationProtection: "ENABLED",
            managedDraining: "DISABLED",
          },
        }),
      )
    ).capacityProvider!;
    const expected = asgProvider("tunable", {
      updateStatus: "UPDATE_COMPLETE",
      autoScalingGroupProvider: {
        autoScalingGroupArn: asgArn("tunable"),
        managedScaling: { status: "ENABLED", targetCapacity: 75, minimumScalingStepSize: 1, maximumScalingStepSize: 10000, instanceWarmupPeriod: 300 },
        managedTerminationProtection: "ENABLED",
        managedDraining: "DISABLED",
      },
    });
    assert.deepEqual(updated, expected);
    assert.deepEqual((await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: ["tunable"] }))).capacityProviders, [expected]);

    await rejectsWith(
      ecs.send(new UpdateCapacityProviderCommand({ name: "no-such", autoScalingGroupProvider: { managedDraining: "ENABLED" } })),
      InvalidParameterException,
    );
    await rejectsWith(
      ecs.send(new UpdateCapacityProviderCommand({ name: "FARGATE", autoScalingGroupProvider: { managedDraining: "ENABLED" } })),
      InvalidParameterException,
    );
    await remove("tunable");
  });

  it("clusters name user providers by name or ARN, and only ACTIVE ones", async () => {
    await create("for-cluster");
    await ecs.send(new CreateClusterCommand({ clusterName: "uses-provider" }));
    const put = await ecs.send(
      new PutClusterCapacityProvidersCommand({
        cluster: "uses-provider",
        capacityProviders: ["for-cluster", "FARGATE"],
        defaultCapacityProviderStrategy: [{ capacityProvider: "for-cluster", weight: 1, base: 1 }],
      }),
    );
    assert.deepEqual(put.cluster?.capacityProviders, ["for-cluster", "FARGATE"]);
    assert.deepEqual(put.cluster?.defaultCapacityProviderStrategy, [{ capacityProvider: "for-cluster", weight: 1, base: 1 }]);

    await ecs.send(new PutClusterCapacityProvidersCommand({ cluster: "uses-provider", capacityProviders: [], defaultCapacityProviderStrategy: [] }));
    await remove("for-cluster");
    await rejectsWith(
      ecs.send(
        new PutClusterCapacityProvidersCommand({ cluster: "uses-provider", capacityProviders: ["for-cluster"], defaultCapacityProviderStrategy: [] }),
      ),
      InvalidParameterException,
    );
    await ecs.send(new DeleteClusterCommand({ cluster: "uses-provider" }));
  });

  it("DeleteCapacityProvider leaves an INACTIVE provider that is describable by name but no longer listed", async () => {
    await create("short-lived", { tags: [{ key: "a", value: "b" }] });
    const deleted = await remove(providerArn("short-lived"));
    assert.equal(deleted.capacityProviderArn, providerArn("short-lived"));
    assert.equal(deleted.name, "short-lived");

    const out = await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: ["short-lived"] }));
    assert.deepEqual(out.capacityProviders, [asgProvider("short-lived", { status: "INACTIVE", updateStatus: "DELETE_COMPLETE" })]);
    assert.deepEqual(out.failures, []);
    assert.deepEqual((await describeAll()).map((p) => p.name), ["FARGATE", "FARGATE_SPOT"]);

    await rejectsWith(remove("short-lived"), ClientException);
    await rejectsWith(
      ecs.send(new UpdateCapacityProviderCommand({ name: "short-lived", autoScalingGroupProvider: { managedDraining: "ENABLED" } })),
      InvalidParameterException,
    );

    // The name is free again.
    assert.deepEqual(await create("short-lived"), asgProvider("short-lived", { tags: [] }));
    await remove("short-lived");
  });

  it("FARGATE and FARGATE_SPOT cannot be deleted, and unknown providers are ClientException", async () => {
    await rejectsWith(remove("FARGATE"), ClientException);
    await rejectsWith(remove(providerArn("FARGATE_SPOT")), ClientException);
    await rejectsWith(remove("never-existed"), ClientException);
    assert.deepEqual(await describeAll(), [fargate, fargateSpot]);
  });

  it("DeleteCapacityProvider on a provider a cluster uses reports DELETE_FAILED and keeps it ACTIVE", async () => {
    // ECS: "Only capacity providers that aren't associated with a cluster can be deleted." The call
    // itself succeeds; the provider stays ACTIVE with updateStatus DELETE_FAILED and a reason
    // naming the cluster.
    await create("held");
    await ecs.send(new CreateClusterCommand({ clusterName: "holder", capacityProviders: ["held"] }));
    try {
      const out = (await ecs.send(new DeleteCapacityProviderCommand({ capacityProvider: "held" }))).capacityProvider!;
      assert.equal(out.name, "held");
      assert.equal(out.status, "ACTIVE");
      assert.equal(out.updateStatus, "DELETE_FAILED");
      assert.match(out.updateStatusReason ?? "", /holder/);
      const still = await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: ["held"] }));
      assert.equal(still.capacityProviders?.[0]?.status, "ACTIVE");
      const cluster = await ecs.send(new DescribeClustersCommand({ clusters: ["holder"] }));
      assert.deepEqual(cluster.clusters?.[0]?.capacityProviders, ["held"]);
    } finally {
      await ecs.send(new DeleteClusterCommand({ cluster: "holder" }));
      await ecs.send(new DeleteCapacityProviderCommand({ capacityProvider: "held" })).catch(() => undefined);
    }
  });
});
