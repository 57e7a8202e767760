// The task API without Docker: placement outcomes, the lifecycle driven by
// SubmitTaskStateChange as an agent sends it, waiting FARGATE tasks, filters and errors.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateClusterCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  SubmitTaskStateChangeCommand,
  type ECSClient,
} from "@aws-sdk/client-ecs";
import { startTestServer, type TestServer } from "../../testing/harness.js";

let server: TestServer;
let ecs: ECSClient;

/** Registers an instance as an agent would, and marks its agent connected. */
async function instance(cluster: string, memory: number, attributes: { name: string; value?: string }[] = []): Promise<string> {
  const out = await ecs.send(
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
  await server.cp.store.tx(async (tx) => {
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
  return out.tasks![0];
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

describe("the lifecycle an agent drives", () => {
  it("PENDING → RUNNING → STOPPED with EssentialContainerExited and the exit code", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "life" }));
    await instance("life", 4096);
    const task = (await ecs.send(new RunTaskCommand({ cluster: "life", taskDefinition: "app", startedBy: "me" }))).tasks![0];
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
    assert.equal(running.containers![0].networkBindings![0].hostPort, 49200);
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
    assert.equal(stopped.containers![0].exitCode, 3);
    assert.deepEqual((await ecs.send(new ListTasksCommand({ cluster: "life" }))).taskArns, []);
    assert.deepEqual((await ecs.send(new ListTasksCommand({ cluster: "life", desiredStatus: "STOPPED" }))).taskArns, [arn]);

    // A late RUNNING report never moves a stopped task backwards.
    await ecs.send(new SubmitTaskStateChangeCommand({ cluster: "life", task: arn, status: "RUNNING" }));
    assert.equal((await describe1("life", arn)).lastStatus, "STOPPED");
  });

  it("StopTask asks the agent to stop (STOPPING, UserInitiated) and reports MISSING tasks", async () => {
    const task = (await ecs.send(new RunTaskCommand({ cluster: "life", taskDefinition: "app" }))).tasks![0];
    const out = await ecs.send(new StopTaskCommand({ cluster: "life", task: task.taskArn!, reason: "enough" }));
    assert.equal(out.task!.desiredStatus, "STOPPED");
    assert.equal(out.task!.lastStatus, "STOPPING");
    assert.equal(out.task!.stopCode, "UserInitiated");
    assert.equal(out.task!.stoppedReason, "enough");
    const missing = await ecs.send(new DescribeTasksCommand({ cluster: "life", tasks: ["0123456789abcdef0123456789abcdef"] }));
    assert.equal(missing.failures![0].reason, "MISSING");
    await assert.rejects(ecs.send(new StopTaskCommand({ cluster: "life", task: "0123456789abcdef0123456789abcdef" })), {
      name: "InvalidParameterException",
    });
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
    assert.equal(waiting.lastStatus, "PROVISIONING");
    assert.equal(waiting.containerInstanceArn, undefined);
    await instance("fg", 4096, [{ name: "berth.launch-type.FARGATE" }, { name: "ecs.capability.task-eni" }, { name: "ecs.availability-zone", value: "us-east-1a" }]);
    let placed = waiting;
    for (let i = 0; i < 50 && !placed.attachments?.[0]?.details?.some((d) => d.name === "privateIPv4Address"); i++) {
      await new Promise((r) => setTimeout(r, 100));
      placed = await describe1("fg", waiting.taskArn!);
    }
    const ip = placed.containers![0].networkInterfaces![0].privateIpv4Address;
    assert.equal(ip, "10.213.9.2");
    assert.equal(placed.attachments![0].status, "ATTACHED");
    assert.equal(placed.availabilityZone, "us-east-1a");
    assert.equal(placed.containerInstanceArn, undefined, "FARGATE tasks do not show the capacity they run on");
    // The next task on that instance takes the next address.
    const second = (await run()).tasks![0];
    assert.equal(second.containers![0].networkInterfaces![0].privateIpv4Address, "10.213.9.3");
  });
});
