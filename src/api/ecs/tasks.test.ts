// The task API without Docker: placement outcomes, the lifecycle driven by
// SubmitTaskStateChange as an agent sends it, waiting FARGATE tasks, filters and errors.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateClusterCommand,
  DeleteAttributesCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  PutAttributesCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  SubmitTaskStateChangeCommand,
  UpdateContainerInstancesStateCommand,
  type ECSClient,
} from "@aws-sdk/client-ecs";
import { startTestServer, type TestServer } from "../../../test/kit/harness.js";
import { rawClient } from "../../../test/kit/raw-client.js";
import { requirePostgresUrl } from "../../../test/kit/postgres.js";

let server: TestServer;
let ecs: ECSClient;

/** Registers an instance as an agent would, and marks its agent connected. */
async function instance(
  cluster: string,
  memory: number,
  attributes: { name: string; value?: string }[] = [],
  on: { server: TestServer; ecs: ECSClient } = { server, ecs },
): Promise<string> {
  const { server: s, ecs: client } = on;
  const out = await client.send(
    new RegisterContainerInstanceCommand({
      cluster,
      totalResources: [
        { name: "CPU", type: "INTEGER", integerValue: 2048 },
        { name: "MEMORY", type: "INTEGER", integerValue: memory },
        { name: "PORTS", type: "STRINGSET", stringSetValue: ["22"] },
        { name: "PORTS_UDP", type: "STRINGSET", stringSetValue: [] },
      ],
      attributes: [{ name: "berth.launch-type.EC2" }, { name: "berth.awsvpc-subnet", value: "10.213.9.0/24" }, ...attributes],
    }),
  );
  const arn = out.containerInstance!.containerInstanceArn!;
  await s.cp.store.tx(async (tx) => {
    const clusterArn = `arn:aws:ecs:us-east-1:000000000000:cluster/${cluster}`;
    const i = await tx.getContainerInstance(clusterArn, arn);
    await tx.putContainerInstance(clusterArn, { ...i!, agentConnected: true });
  });
  return arn;
}

async function family(name: string, extra: Record<string, unknown> = {}): Promise<void> {
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: name,
      containerDefinitions: [{ name: "app", image: "busybox", memory: 256, portMappings: [{ containerPort: 80, hostPort: 0 }] }],
      ...extra,
    }),
  );
}

async function describe1(cluster: string, arn: string) {
  const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] }));
  const task = out.tasks?.[0];
  assert.ok(task, `DescribeTasks found no ${arn}`);
  return task;
}

before(async () => {
  server = await startTestServer();
  ecs = server.ecs();
  await family("app");
});
after(async () => {
  ecs.destroy();
  await server.stop();
});

describe("RunTask placement", () => {
  it("says so when the cluster has no instances", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "empty" }));
    const out = await ecs.send(new RunTaskCommand({ cluster: "empty", taskDefinition: "app" }));
    assert.deepEqual(out.tasks, []);
    assert.deepEqual(out.failures, [{ reason: "No Container Instances were found in your cluster." }]);
  });

  it("count 10 where 4 fit starts 4 and fails 6 with RESOURCE:MEMORY; the counts stay true", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "small" }));
    const arn = await instance("small", 1024);
    const out = await ecs.send(new RunTaskCommand({ cluster: "small", taskDefinition: "app", count: 10 }));
    assert.equal(out.tasks!.length, 4);
    assert.equal(out.failures!.length, 6);
    for (const f of out.failures!) assert.deepEqual(f, { arn, reason: "RESOURCE:MEMORY" });
    for (const t of out.tasks!) {
      assert.equal(t.lastStatus, "PENDING");
      assert.equal(t.desiredStatus, "RUNNING");
      assert.equal(t.containerInstanceArn, arn);
      assert.equal(t.group, "family:app");
    }
    const ci = (await ecs.send(new DescribeContainerInstancesCommand({ cluster: "small", containerInstances: [arn] }))).containerInstances![0];
    assert.ok(ci);
    assert.equal(ci.remainingResources!.find((r) => r.name === "MEMORY")!.integerValue, 0);
    assert.equal(ci.pendingTasksCount, 4);
  });

  it("refuses what ECS refuses", async () => {
    await assert.rejects(ecs.send(new RunTaskCommand({ cluster: "small", taskDefinition: "app", count: 11 })), { name: "InvalidParameterException" });
    await assert.rejects(ecs.send(new RunTaskCommand({ cluster: "small", taskDefinition: "nope" })), { name: "ClientException" });
    await assert.rejects(ecs.send(new RunTaskCommand({ cluster: "missing", taskDefinition: "app" })), { name: "ClusterNotFoundException" });
    await assert.rejects(ecs.send(new RunTaskCommand({ cluster: "small", taskDefinition: "app", launchType: "FARGATE" })), {
      name: "ClientException",
      message: /does not support launch_type FARGATE/,
    });
    await assert.rejects(
      ecs.send(new RunTaskCommand({ cluster: "small", taskDefinition: "app", placementConstraints: [{ type: "memberOf", expression: "attribute:x ==" }] })),
      { name: "InvalidParameterException", message: /memberOf/ },
    );
    await assert.rejects(
      ecs.send(new RunTaskCommand({ cluster: "small", taskDefinition: "app", overrides: { containerOverrides: [{ name: "other" }] } })),
      { name: "InvalidParameterException", message: /other/ },
    );
  });
});

describe("each RunTask places against what is committed", () => {
  const run = async (cluster: string, taskDefinition: string, count: number, extra: Record<string, unknown> = {}) =>
    ecs.send(new RunTaskCommand({ cluster, taskDefinition, count, ...extra }));

  it("static host ports held by earlier tasks stay taken until the task reaches STOPPED", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "ports" }));
    const [a, b] = [await instance("ports", 4096), await instance("ports", 4096)];
    await family("web8080", { containerDefinitions: [{ name: "app", image: "busybox", memory: 128, portMappings: [{ containerPort: 80, hostPort: 8080 }] }] });
    const first = await run("ports", "web8080", 3);
    assert.deepEqual(first.tasks!.map((t) => t.containerInstanceArn).sort(), [a, b].sort());
    assert.deepEqual(first.failures!.map((f) => f.reason), ["RESOURCE:PORTS"]);
    assert.deepEqual((await run("ports", "web8080", 1)).failures!.map((f) => f.reason), ["RESOURCE:PORTS"]);
    const onA = first.tasks!.find((t) => t.containerInstanceArn === a)!;
    await ecs.send(new SubmitTaskStateChangeCommand({ cluster: "ports", task: onA.taskArn!, status: "STOPPED", reason: "done" }));
    const again = await run("ports", "web8080", 1);
    assert.deepEqual(again.tasks!.map((t) => t.containerInstanceArn), [a]);
  });

  it("awsvpc addresses handed out by earlier calls are not handed out again", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "vpc" }));
    await instance("vpc", 8192, [{ name: "ecs.capability.task-eni" }]);
    await family("vpc", { networkMode: "awsvpc", containerDefinitions: [{ name: "app", image: "busybox", memory: 64 }] });
    const network = { awsvpcConfiguration: { subnets: ["subnet-1"] } };
    const addresses: string[] = [];
    for (let call = 0; call < 3; call++) {
      const out = await run("vpc", "vpc", 2, { networkConfiguration: network });
      assert.equal(out.tasks!.length, 2, JSON.stringify(out.failures));
      addresses.push(...out.tasks!.map((t) => t.attachments?.[0]?.details?.find((d) => d.name === "privateIPv4Address")?.value ?? assert.fail("a task without an address")));
    }
    assert.equal(new Set(addresses).size, 6);
  });

  it("sees PutAttributes, DeleteAttributes and draining from the next call on", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "attrs" }));
    const [a, b] = [await instance("attrs", 4096), await instance("attrs", 4096)];
    const blue = { placementConstraints: [{ type: "memberOf" as const, expression: "attribute:color == blue" }] };
    assert.equal((await run("attrs", "app", 1, blue)).failures?.[0]?.reason, "MemberOf placement constraint unsatisfied.");
    await ecs.send(new PutAttributesCommand({ cluster: "attrs", attributes: [{ name: "color", value: "blue", targetId: b }] }));
    assert.deepEqual((await run("attrs", "app", 2, blue)).tasks!.map((t) => t.containerInstanceArn), [b, b]);
    await ecs.send(new DeleteAttributesCommand({ cluster: "attrs", attributes: [{ name: "color", targetId: b }] }));
    assert.equal((await run("attrs", "app", 1, blue)).failures?.[0]?.reason, "MemberOf placement constraint unsatisfied.");
    await ecs.send(new UpdateContainerInstancesStateCommand({ cluster: "attrs", containerInstances: [b], status: "DRAINING" }));
    assert.deepEqual((await run("attrs", "app", 3)).tasks!.map((t) => t.containerInstanceArn), [a, a, a]);
  });
});

function concurrentRunTasks(store: "sqlite" | "postgres"): void {
  it(`concurrent RunTasks never take more than an instance has (${store})`, { timeout: 120_000 }, async () => {
    const own = await startTestServer({ store });
    const client = own.ecs();
    try {
      await client.send(new CreateClusterCommand({ clusterName: "race" }));
      await client.send(new RegisterTaskDefinitionCommand({ family: "app", containerDefinitions: [{ name: "app", image: "busybox", memory: 256 }] }));
      const arn = await instance("race", 2048, [], { server: own, ecs: client });
      const outs = await Promise.all(
        Array.from({ length: 12 }, () => client.send(new RunTaskCommand({ cluster: "race", taskDefinition: "app", count: 2 }))),
      );
      assert.equal(outs.reduce((n, o) => n + o.tasks!.length, 0), 8, "2048 MiB holds eight tasks of 256");
      assert.equal(outs.reduce((n, o) => n + o.failures!.length, 0), 16);
      const ci = (await client.send(new DescribeContainerInstancesCommand({ cluster: "race", containerInstances: [arn] }))).containerInstances![0];
      assert.ok(ci);
      assert.equal(ci.remainingResources!.find((r) => r.name === "MEMORY")!.integerValue, 0);
      assert.equal(ci.pendingTasksCount, 8);
    } finally {
      client.destroy();
      await own.stop();
    }
  });
}

describe("concurrent placement", () => {
  concurrentRunTasks("sqlite");
  if (requirePostgresUrl()) concurrentRunTasks("postgres");
  else console.log("tasks.test: BERTH_TEST_POSTGRES_URL is not set; the PostgreSQL case is not registered.");
});

describe("the lifecycle an agent drives", () => {
  it("PENDING → RUNNING → STOPPED with EssentialContainerExited and the exit code", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "life" }));
    await instance("life", 4096);
    const task = (await ecs.send(new RunTaskCommand({ cluster: "life", taskDefinition: "app", startedBy: "me" }))).tasks![0];
    assert.ok(task);
    const arn = task.taskArn!;
    await ecs.send(
      new SubmitTaskStateChangeCommand({
        cluster: "life",
        task: arn,
        status: "RUNNING",
        containers: [{ containerName: "app", status: "RUNNING", runtimeId: "abc", networkBindings: [{ containerPort: 80, hostPort: 49200, protocol: "tcp", bindIP: "0.0.0.0" }] }],
      }),
    );
    const running = await describe1("life", arn);
    assert.equal(running.lastStatus, "RUNNING");
    assert.ok(running.startedAt instanceof Date);
    assert.equal(running.containers?.[0]?.networkBindings?.[0]?.hostPort, 49200);
    assert.deepEqual((await ecs.send(new ListTasksCommand({ cluster: "life", startedBy: "me" }))).taskArns, [arn]);

    await ecs.send(
      new SubmitTaskStateChangeCommand({
        cluster: "life",
        task: arn,
        status: "STOPPED",
        reason: "Essential container in task exited",
        containers: [{ containerName: "app", status: "STOPPED", exitCode: 3 }],
      }),
    );
    const stopped = await describe1("life", arn);
    assert.equal(stopped.lastStatus, "STOPPED");
    assert.equal(stopped.desiredStatus, "STOPPED");
    assert.equal(stopped.stopCode, "EssentialContainerExited");
    assert.equal(stopped.containers?.[0]?.exitCode, 3);
    assert.deepEqual((await ecs.send(new ListTasksCommand({ cluster: "life" }))).taskArns, []);
    assert.deepEqual((await ecs.send(new ListTasksCommand({ cluster: "life", desiredStatus: "STOPPED" }))).taskArns, [arn]);

    // A late RUNNING report never moves a stopped task backwards.
    await ecs.send(new SubmitTaskStateChangeCommand({ cluster: "life", task: arn, status: "RUNNING" }));
    assert.equal((await describe1("life", arn)).lastStatus, "STOPPED");
  });

  it("StopTask asks the agent to stop (STOPPING, UserInitiated) and reports MISSING tasks", async () => {
    const task = (await ecs.send(new RunTaskCommand({ cluster: "life", taskDefinition: "app" }))).tasks![0];
    assert.ok(task);
    const out = await ecs.send(new StopTaskCommand({ cluster: "life", task: task.taskArn!, reason: "enough" }));
    assert.equal(out.task!.desiredStatus, "STOPPED");
    assert.equal(out.task!.lastStatus, "STOPPING");
    assert.equal(out.task!.stopCode, "UserInitiated");
    assert.equal(out.task!.stoppedReason, "enough");
    const missing = await ecs.send(new DescribeTasksCommand({ cluster: "life", tasks: ["0123456789abcdef0123456789abcdef"] }));
    assert.equal(missing.failures?.[0]?.reason, "MISSING");
    await assert.rejects(ecs.send(new StopTaskCommand({ cluster: "life", task: "0123456789abcdef0123456789abcdef" })), {
      name: "InvalidParameterException",
    });
  });
});

describe("DescribeTasks answers", () => {
  it("the same, member for member, from kept JSON as freshly shaped (with TAGS), and shows a change at once", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "kept" }));
    await instance("kept", 4096);
    const run = await ecs.send(new RunTaskCommand({ cluster: "kept", taskDefinition: "app", count: 2, tags: [{ key: "k", value: "v" }] }));
    const arns = run.tasks!.map((t) => t.taskArn!);
    const raw = rawClient(server);
    const describeRaw = async (include?: string[]) => {
      const out = await raw.send({ operation: "DescribeTasks", body: { cluster: "kept", tasks: [...arns, "0123456789abcdef0123456789abcdef"], ...(include ? { include } : {}) } });
      assert.equal(out.status, 200, out.text);
      return out.body as { tasks: Record<string, unknown>[]; failures: unknown[] };
    };
    const fresh = await describeRaw(["TAGS"]);
    assert.deepEqual(fresh.tasks.map((t) => t["tags"]), [[{ key: "k", value: "v" }], [{ key: "k", value: "v" }]]);
    const untagged = fresh.tasks.map(({ tags: _, ...t }) => t);
    // The first answer renders and keeps each task; the second is made of what was kept.
    for (const kept of [await describeRaw(), await describeRaw()]) {
      assert.deepEqual(kept.tasks, untagged);
      assert.deepEqual(kept.failures, fresh.failures);
      assert.equal(kept.failures.length, 1);
    }
    await ecs.send(new SubmitTaskStateChangeCommand({ cluster: "kept", task: arns[0], status: "RUNNING", containers: [{ containerName: "app", status: "RUNNING" }] }));
    const after = await describeRaw();
    assert.deepEqual(after.tasks.map((t) => t["lastStatus"]), ["RUNNING", "PENDING"]);
    // A task of another cluster is MISSING here, kept or not.
    await ecs.send(new CreateClusterCommand({ clusterName: "kept-other" }));
    const elsewhere = await ecs.send(new DescribeTasksCommand({ cluster: "kept-other", tasks: arns.slice(0, 1) }));
    assert.deepEqual(elsewhere.failures?.map((f) => f.reason), ["MISSING"]);
    assert.deepEqual(elsewhere.tasks, []);
  });
});

describe("FARGATE capacity", () => {
  it("a task waits in PROVISIONING without capacity, and is placed when capacity appears", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "fg" }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "fg",
        networkMode: "awsvpc",
        requiresCompatibilities: ["FARGATE"],
        cpu: "256",
        memory: "512",
        containerDefinitions: [{ name: "app", image: "busybox" }],
      }),
    );
    const run = () =>
      ecs.send(
        new RunTaskCommand({
          cluster: "fg",
          taskDefinition: "fg",
          launchType: "FARGATE",
          networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-1"] } },
        }),
      );
    await assert.rejects(ecs.send(new RunTaskCommand({ cluster: "fg", taskDefinition: "fg", launchType: "FARGATE" })), {
      name: "InvalidParameterException",
      message: /Network Configuration must be provided/,
    });
    const waiting = (await run()).tasks![0];
    assert.ok(waiting);
    assert.equal(waiting.lastStatus, "PROVISIONING");
    assert.equal(waiting.containerInstanceArn, undefined);
    await instance("fg", 4096, [{ name: "berth.launch-type.FARGATE" }, { name: "ecs.capability.task-eni" }, { name: "ecs.availability-zone", value: "us-east-1a" }]);
    let placed = waiting;
    for (let i = 0; i < 50 && !placed.attachments?.[0]?.details?.some((d) => d.name === "privateIPv4Address"); i++) {
      await new Promise((r) => setTimeout(r, 100));
      placed = await describe1("fg", waiting.taskArn!);
    }
    const ip = placed.containers?.[0]?.networkInterfaces?.[0]?.privateIpv4Address;
    assert.equal(ip, "10.213.9.2");
    assert.equal(placed.attachments?.[0]?.status, "ATTACHED");
    assert.equal(placed.availabilityZone, "us-east-1a");
    assert.equal(placed.containerInstanceArn, undefined, "FARGATE tasks do not show the capacity they run on");
    // The next task on that instance takes the next address.
    const second = (await run()).tasks![0];
    assert.ok(second);
    assert.equal(second.containers?.[0]?.networkInterfaces?.[0]?.privateIpv4Address, "10.213.9.3");
  });

  it("a FARGATE task of any cluster runs on Fargate capacity of another, and is reported in its own", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "student-cluster" }));
    const network = { awsvpcConfiguration: { subnets: ["subnet-1"] } };
    const out = await ecs.send(new RunTaskCommand({ cluster: "student-cluster", taskDefinition: "fg", launchType: "FARGATE", networkConfiguration: network }));
    const task = out.tasks![0];
    assert.ok(task);
    assert.match(task.taskArn!, /:task\/student-cluster\//);
    assert.equal(task.clusterArn, "arn:aws:ecs:us-east-1:000000000000:cluster/student-cluster");
    // Placed at once on the instance of cluster fg, past the addresses fg's tasks hold.
    assert.equal(task.containers?.[0]?.networkInterfaces?.[0]?.privateIpv4Address, "10.213.9.4");
    assert.deepEqual((await ecs.send(new ListTasksCommand({ cluster: "student-cluster" }))).taskArns, [task.taskArn]);
    assert.ok(!(await ecs.send(new ListTasksCommand({ cluster: "fg" }))).taskArns!.includes(task.taskArn!));
    assert.equal((await describe1("student-cluster", task.taskArn!)).attachments?.[0]?.status, "ATTACHED");
    const counts = (await ecs.send(new DescribeClustersCommand({ clusters: ["student-cluster", "fg"] }))).clusters!.map((c) => c.pendingTasksCount);
    assert.deepEqual(counts, [1, 2]);
    // A task fg places next sees what the other cluster's task holds.
    const next = await ecs.send(new RunTaskCommand({ cluster: "fg", taskDefinition: "fg", launchType: "FARGATE", networkConfiguration: network }));
    assert.equal(next.tasks![0]?.containers?.[0]?.networkInterfaces?.[0]?.privateIpv4Address, "10.213.9.5");
    // A capacity provider strategy of FARGATE_SPOT goes the same way.
    const spot = await ecs.send(
      new RunTaskCommand({ cluster: "student-cluster", taskDefinition: "fg", capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT" }], networkConfiguration: network }),
    );
    assert.equal(spot.tasks![0]?.capacityProviderName, "FARGATE_SPOT");
    assert.equal(spot.tasks![0]?.containers?.[0]?.networkInterfaces?.[0]?.privateIpv4Address, "10.213.9.6");
    // EC2 keeps ECS's rule: only the cluster's own instances.
    const ec2 = await ecs.send(new RunTaskCommand({ cluster: "student-cluster", taskDefinition: "app" }));
    assert.deepEqual(ec2.failures, [{ reason: "No Container Instances were found in your cluster." }]);
  });
});
