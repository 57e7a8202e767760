// Task scale-in protection through the clients users run (the SDK and the aws
// CLI): ECS's bounds and failures, and the service scheduler honouring it when a
// service scales in and when a deployment retires its old tasks. A simulated
// agent plays the host.

// The controller reads its timings from the environment when the control plane builds it.
process.env["BERTH_SERVICE_RECONCILE_MS"] = "25";
process.env["BERTH_SERVICE_SETTLE_MS"] = "100";

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeTasksCommand,
  GetTaskProtectionCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  UpdateServiceCommand,
  UpdateTaskProtectionCommand,
  type ECSClient,
} from "@aws-sdk/client-ecs";
import { awsJson } from "../../../test/kit/aws-cli.js";
import { startTestServer, type TestServer } from "../../../test/kit/harness.js";
import { eventually, SimulatedAgent } from "../../../test/kit/simulated-agent.js";

const cluster = "guarded";
let server: TestServer;
let ecs: ECSClient;
let agent: SimulatedAgent;

before(async () => {
  server = await startTestServer();
  ecs = server.ecs();
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  await ecs.send(new RegisterTaskDefinitionCommand({ family: "worker", containerDefinitions: [{ name: "app", image: "busybox", memory: 64 }] }));
  agent = await SimulatedAgent.start({ ecs, store: server.cp.store, cluster });
});
after(async () => {
  await agent.stop();
  ecs.destroy();
  await server.stop();
});

/** The service's tasks that should run, once `count` of them are RUNNING. */
async function running(service: string, count: number): Promise<string[]> {
  return eventually(`${count} RUNNING tasks of ${service}`, async () => {
    const arns = (await ecs.send(new ListTasksCommand({ cluster, serviceName: service }))).taskArns ?? [];
    if (arns.length !== count) return undefined;
    const tasks = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? [];
    return tasks.every((t) => t.lastStatus === "RUNNING") ? arns.sort() : undefined;
  });
}

async function desiredStatus(arn: string): Promise<string | undefined> {
  return (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] }))).tasks?.[0]?.desiredStatus;
}

describe("Get/UpdateTaskProtection", () => {
  it("protects a service's task for 120 minutes by default, up to 2880; refuses other periods; reports standalone and unknown tasks as failures", async () => {
    await ecs.send(new CreateServiceCommand({ cluster, serviceName: "api", taskDefinition: "worker", desiredCount: 1 }));
    const [task] = await running("api", 1);
    assert.ok(task);
    const before = Date.now();
    const out = await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [task.split("/").pop()!], protectionEnabled: true }));
    assert.deepEqual(out.failures, []);
    assert.equal(out.protectedTasks?.[0]?.taskArn, task);
    assert.equal(out.protectedTasks?.[0]?.protectionEnabled, true);
    const expires = out.protectedTasks?.[0]?.expirationDate?.getTime() ?? 0;
    assert.ok(Math.abs(expires - (before + 120 * 60_000)) < 10_000, `expires two hours on: ${new Date(expires).toISOString()}`);
    assert.deepEqual((await ecs.send(new GetTaskProtectionCommand({ cluster, tasks: [task] }))).protectedTasks, out.protectedTasks);

    // Each call starts the period again.
    const longer = await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [task], protectionEnabled: true, expiresInMinutes: 2880 }));
    assert.ok((longer.protectedTasks?.[0]?.expirationDate?.getTime() ?? 0) - before >= 2880 * 60_000 - 10_000);
    for (const minutes of [0, 2881]) {
      await assert.rejects(ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [task], protectionEnabled: true, expiresInMinutes: minutes })), {
        name: "InvalidParameterException",
      });
    }
    await assert.rejects(ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: Array.from({ length: 11 }, () => task), protectionEnabled: true })), {
      name: "InvalidParameterException",
    });
    await assert.rejects(ecs.send(new GetTaskProtectionCommand({ cluster: "nowhere", tasks: [task] })), { name: "ClusterNotFoundException" });

    const standalone = (await ecs.send(new RunTaskCommand({ cluster, taskDefinition: "worker" }))).tasks?.[0]?.taskArn;
    assert.ok(standalone);
    const missing = task.replace(/[^/]+$/, "0123456789abcdef0123456789abcdef");
    const mixed = await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [standalone, missing], protectionEnabled: true }));
    assert.deepEqual(mixed.protectedTasks, []);
    assert.deepEqual(
      mixed.failures?.map((f) => [f.arn, f.reason]),
      [
        [standalone, "TASK_NOT_VALID"],
        [missing, "MISSING"],
      ],
    );

    // The aws CLI: --no-protection-enabled lifts it.
    const lifted = await awsJson<{ protectedTasks: { protectionEnabled: boolean; expirationDate?: string }[] }>(
      server, "ecs", "update-task-protection", "--cluster", cluster, "--tasks", task, "--no-protection-enabled",
    );
    assert.deepEqual(lifted.protectedTasks, [{ taskArn: task, protectionEnabled: false }]);
    const read = await awsJson<{ protectedTasks: unknown[]; failures: unknown[] }>(server, "ecs", "get-task-protection", "--cluster", cluster, "--tasks", task);
    assert.deepEqual(read, { protectedTasks: [{ taskArn: task, protectionEnabled: false }], failures: [] });
  });

  it("the service scheduler does not scale in a protected task, and stops it once protection is lifted", async () => {
    await ecs.send(new CreateServiceCommand({ cluster, serviceName: "pool", taskDefinition: "worker", desiredCount: 3 }));
    const tasks = await running("pool", 3);
    const [kept, ...others] = tasks;
    assert.ok(kept);
    await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [kept], protectionEnabled: true, expiresInMinutes: 5 }));
    await ecs.send(new UpdateServiceCommand({ cluster, service: "pool", desiredCount: 0 }));
    for (const arn of others) await eventually(`${arn} told to stop`, async () => (await desiredStatus(arn)) === "STOPPED");
    // Passes go by; the protected task keeps running.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await desiredStatus(kept), "RUNNING");
    await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [kept], protectionEnabled: false }));
    await eventually("the task stopped once unprotected", async () => (await desiredStatus(kept)) === "STOPPED");
  });

  it("a deployment leaves the protected task of the old deployment running until protection ends", async () => {
    await ecs.send(new CreateServiceCommand({ cluster, serviceName: "rolling", taskDefinition: "worker", desiredCount: 2 }));
    const old = await running("rolling", 2);
    const [kept, other] = old;
    assert.ok(kept && other);
    await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [kept], protectionEnabled: true }));
    await ecs.send(new UpdateServiceCommand({ cluster, service: "rolling", forceNewDeployment: true }));
    await eventually("the unprotected old task told to stop", async () => (await desiredStatus(other)) === "STOPPED");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await desiredStatus(kept), "RUNNING");
    await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [kept], protectionEnabled: false }));
    await eventually("the old task retired once unprotected", async () => (await desiredStatus(kept)) === "STOPPED");
    const now = await running("rolling", 2);
    assert.ok(!now.includes(kept) && !now.includes(other), "two tasks of the new deployment run");
  });
});
