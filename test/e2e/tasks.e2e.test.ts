// Tasks end to end on one real `berth up` (control plane + local agent) and the
// real Docker Engine, driven by the aws CLI: ports in bridge and awsvpc mode,
// essential exits, stop escalation, dependsOn order, and capacity.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type Docker from "dockerode";
import { busyboxImage, ensureBusyboxImage } from "../kit/agent/busybox-image.js";
import { dockerForTests } from "../kit/agent/docker-test-support.js";
import { BerthTestbed, ecsCli, fetchUntilOk, type BerthProcess, type CliTask, type EcsCli } from "../kit/berth-process.js";
import { first } from "../kit/ecs-assertions.js";

const docker = await dockerForTests();
if (docker) await ensureBusyboxImage(docker);

const cluster = "default";
const idle = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"];
const httpd = (port: number) => ["sh", "-c", `trap 'exit 0' TERM; mkdir -p /www && echo hello-berth > /www/index.html && httpd -p ${port} -h /www && while true; do sleep 1; done`];

const running = (t: CliTask) => t.lastStatus === "RUNNING";
const stopped = (t: CliTask) => t.lastStatus === "STOPPED";

describe("tasks on berth up", { skip: docker ? false : "Docker is not available here" }, () => {
  const bed = new BerthTestbed();
  let up: BerthProcess;
  let ecs: EcsCli;
  const d = docker as Docker;

  before(async () => {
    up = await bed.up();
    ecs = ecsCli(bed, up);
  });
  after(() => bed.cleanup());

  async function stopAll(arns: readonly string[]): Promise<void> {
    for (const arn of arns) await ecs.call("stop-task", "--cluster", cluster, "--task", arn);
    await ecs.waitFor(cluster, arns, stopped, "the tasks to stop");
  }

  test("bridge hostPort 0 answers on the reported host port; awsvpc answers on the task's IP", async (t) => {
    const bridgeDef = await ecs.register({
      family: "e2e-bridge",
      networkMode: "bridge",
      containerDefinitions: [{ name: "web", image: busyboxImage, memory: 32, essential: true, command: httpd(8080), portMappings: [{ containerPort: 8080, hostPort: 0 }], stopTimeout: 2 }],
    });
    const awsvpcDef = await ecs.register({
      family: "e2e-awsvpc",
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      cpu: "256",
      memory: "512",
      containerDefinitions: [{ name: "web", image: busyboxImage, essential: true, command: httpd(8080), portMappings: [{ containerPort: 8080 }], stopTimeout: 2 }],
    });
    const b = await ecs.run({ cluster, taskDefinition: bridgeDef, launchType: "EC2" });
    const v = await ecs.run({
      cluster,
      taskDefinition: awsvpcDef,
      launchType: "FARGATE",
      networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-e2e"], assignPublicIp: "DISABLED" } },
    });
    assert.deepEqual([b.failures, v.failures], [[], []]);
    const arns = [first(b.tasks, "the bridge task").taskArn, first(v.tasks, "the awsvpc task").taskArn];
    t.after(() => stopAll(arns));
    const [bridgeTask, awsvpcTask] = await ecs.waitFor(cluster, arns, running, "both tasks RUNNING");
    assert.ok(bridgeTask && awsvpcTask);

    const hostPort = bridgeTask.containers[0]?.networkBindings?.[0]?.hostPort;
    assert.ok(hostPort && hostPort > 0, `a host port is reported: ${JSON.stringify(bridgeTask.containers[0]?.networkBindings)}`);
    assert.equal((await fetchUntilOk(`http://127.0.0.1:${hostPort}/`)).trim(), "hello-berth");

    const ip = awsvpcTask.containers[0]?.networkInterfaces?.[0]?.privateIpv4Address;
    assert.match(ip ?? "", /^10\.213\.\d+\.\d+$/, "the task has a private IP on the awsvpc network");
    assert.equal(
      awsvpcTask.attachments?.[0]?.details?.find((x) => x.name === "privateIPv4Address")?.value,
      ip,
      "the ENI attachment carries the same address",
    );
    assert.equal((await fetchUntilOk(`http://${ip}:8080/`)).trim(), "hello-berth");
  });

  test("an essential container exiting 3 stops its task with EssentialContainerExited and exit code 3", async () => {
    const def = await ecs.register({
      family: "e2e-exit3",
      containerDefinitions: [{ name: "main", image: busyboxImage, memory: 16, essential: true, command: ["sh", "-c", "sleep 0.5; exit 3"] }],
    });
    const r = await ecs.run({ cluster, taskDefinition: def });
    assert.deepEqual(r.failures, []);
    const [task] = await ecs.waitFor(cluster, [first(r.tasks, "a started task").taskArn], stopped, "the task to stop on its own");
    assert.ok(task);
    assert.equal(task.stopCode, "EssentialContainerExited");
    assert.equal(task.containers[0]?.exitCode, 3);
    assert.equal(task.desiredStatus, "STOPPED");
  });

  test("a container ignoring SIGTERM is killed after its stopTimeout (2 s) with exit code 137", async () => {
    const def = await ecs.register({
      family: "e2e-stubborn",
      containerDefinitions: [{ name: "main", image: busyboxImage, memory: 16, essential: true, stopTimeout: 2, command: ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"] }],
    });
    const r = await ecs.run({ cluster, taskDefinition: def });
    const arn = first(r.tasks, "a started task").taskArn;
    await ecs.waitFor(cluster, [arn], running, "the task RUNNING");
    const t0 = Date.now();
    await ecs.call("stop-task", "--cluster", cluster, "--task", arn, "--reason", "e2e stop");
    const [task] = await ecs.waitFor(cluster, [arn], stopped, "the task STOPPED");
    assert.ok(task);
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 2_000, `stopped after ${elapsed} ms, before the 2 s stopTimeout`);
    assert.equal(task.containers[0]?.exitCode, 137);
    assert.equal(task.stopCode, "UserInitiated");
    assert.equal(task.stoppedReason, "e2e stop");
  });

  test("dependsOn orders the starts: SUCCESS waits for the exit, HEALTHY for a passing health check", async (t) => {
    const def = await ecs.register({
      family: "e2e-depends",
      containerDefinitions: [
        { name: "init", image: busyboxImage, memory: 16, essential: false, command: ["sh", "-c", "sleep 1; exit 0"] },
        {
          name: "db",
          image: busyboxImage,
          memory: 16,
          essential: true,
          command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /tmp; sleep 1; touch /tmp/ready; while true; do sleep 1; done"],
          healthCheck: { command: ["CMD-SHELL", "test -f /tmp/ready"], interval: 5, timeout: 2, retries: 1, startPeriod: 0 },
          stopTimeout: 2,
        },
        {
          name: "app",
          image: busyboxImage,
          memory: 16,
          essential: true,
          command: idle,
          stopTimeout: 2,
          dependsOn: [
            { containerName: "init", condition: "SUCCESS" },
            { containerName: "db", condition: "HEALTHY" },
          ],
        },
      ],
    });
    const r = await ecs.run({ cluster, taskDefinition: def });
    const arn = first(r.tasks, "a started task").taskArn;
    t.after(() => stopAll([arn]));
    const [task] = await ecs.waitFor(cluster, [arn], running, "the task RUNNING", 60_000);
    assert.ok(task);
    const inspect = async (name: string) => {
      const id = task.containers.find((c) => c.name === name)?.runtimeId;
      assert.ok(id, `${name} has a runtimeId`);
      return d.getContainer(id).inspect();
    };
    const [init, db, app] = [await inspect("init"), await inspect("db"), await inspect("app")];
    const at = (s: string) => Date.parse(s);
    const firstHealthy = db.State.Health?.Log?.find((l) => l.ExitCode === 0);
    assert.ok(firstHealthy, "db passed a health check");
    assert.ok(at(app.State.StartedAt) >= at(init.State.FinishedAt), `app started (${app.State.StartedAt}) after init exited (${init.State.FinishedAt})`);
    assert.ok(at(app.State.StartedAt) >= at(firstHealthy.End), `app started (${app.State.StartedAt}) after db's first passing check (${firstHealthy.End})`);
    assert.ok(at(db.State.StartedAt) < at(app.State.StartedAt));
    assert.equal(init.State.ExitCode, 0);
    // What the agent's checks found reaches describe-tasks: the task's health and the checked container's.
    await ecs.waitFor(
      cluster,
      [arn],
      (t) => t.healthStatus === "HEALTHY" && t.containers.find((c) => c.name === "db")?.healthStatus === "HEALTHY",
      "the task and db HEALTHY in describe-tasks",
      30_000,
    );
  });

  test("RunTask count 10 where 4 fit starts 4, fails 6 with RESOURCE:MEMORY, and the counts are true", async () => {
    const instanceArn = up.containerInstanceArn!;
    type Instance = { registeredResources: { name: string; integerValue?: number }[]; remainingResources: { name: string; integerValue?: number }[]; runningTasksCount: number; pendingTasksCount: number };
    const describeInstance = async () =>
      first((await ecs.call<{ containerInstances: Instance[] }>("describe-container-instances", "--cluster", cluster, "--container-instances", instanceArn)).containerInstances, "the instance");
    const before = await describeInstance();
    const registered = before.registeredResources.find((r) => r.name === "MEMORY")?.integerValue ?? 0;
    const remaining = before.remainingResources.find((r) => r.name === "MEMORY")?.integerValue ?? 0;
    // Earlier tests stop their tasks; should one have failed, size against what is left.
    const quarter = Math.floor(remaining / 4);
    const def = await ecs.register({
      family: "e2e-quarter",
      containerDefinitions: [{ name: "main", image: busyboxImage, memoryReservation: quarter, essential: true, command: idle, stopTimeout: 2 }],
    });
    const r = await ecs.run({ cluster, taskDefinition: def, count: 10 });
    assert.equal(r.tasks.length, 4);
    assert.equal(r.failures.length, 6);
    for (const f of r.failures) assert.equal(f.reason, "RESOURCE:MEMORY");
    const arns = r.tasks.map((t) => t.taskArn);
    await ecs.waitFor(cluster, arns, running, "the 4 tasks RUNNING");

    const afterRun = await describeInstance();
    const others = before.runningTasksCount + before.pendingTasksCount;
    assert.equal(afterRun.remainingResources.find((x) => x.name === "MEMORY")?.integerValue, remaining - 4 * quarter);
    assert.equal(afterRun.runningTasksCount, before.runningTasksCount + 4);
    assert.equal(afterRun.pendingTasksCount, before.pendingTasksCount);
    const c = first((await ecs.call<{ clusters: { runningTasksCount: number; pendingTasksCount: number }[] }>("describe-clusters", "--clusters", cluster)).clusters, "the cluster");
    assert.equal(c.runningTasksCount + c.pendingTasksCount, others + 4);
    assert.equal(c.runningTasksCount, afterRun.runningTasksCount);

    await stopAll(arns);
    const afterStop = await describeInstance();
    assert.equal(afterStop.remainingResources.find((x) => x.name === "MEMORY")?.integerValue, remaining);
    assert.equal(afterStop.runningTasksCount, before.runningTasksCount);
    assert.ok(registered >= remaining);
  });
});
