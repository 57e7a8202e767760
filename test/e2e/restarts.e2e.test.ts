// Restarts end to end: kill -9 a real `berth agent` while its tasks run and start
// it again on the same data directory; kill -9 the `berth server` its agents are
// attached to and start it again on the same data directory and port.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type Docker from "dockerode";
import { busyboxImage, ensureBusyboxImage } from "../kit/agent/busybox-image.js";
import { dockerForTests, waitUntil } from "../kit/agent/docker-test-support.js";
import { BerthTestbed, containersOfTask, ecsCli, fetchUntilOk, type BerthProcess, type CliTask, type EcsCli } from "../kit/berth-process.js";
import { first } from "../kit/ecs-assertions.js";

const docker = await dockerForTests();
if (docker) await ensureBusyboxImage(docker);

const cluster = "default";
const running = (t: CliTask) => t.lastStatus === "RUNNING";
const stopped = (t: CliTask) => t.lastStatus === "STOPPED";
const httpd = ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www && echo hello-berth > /www/index.html && httpd -p 8080 -h /www && while true; do sleep 1; done"];
/** Runs until /tmp/exit exists, then exits 5: the test decides when it exits. */
const exitOnSignalFile = ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /tmp; while [ ! -f /tmp/exit ]; do sleep 0.2; done; exit 5"];

describe("restarts of berth agent and berth server", { skip: docker ? false : "Docker is not available here" }, () => {
  const bed = new BerthTestbed();
  const d = docker as Docker;
  let server: BerthProcess;
  let agent: BerthProcess;
  let ecs: EcsCli;
  let webDef: string;
  let exitDef: string;

  before(async () => {
    server = await bed.server();
    ecs = ecsCli(bed, server);
    agent = await bed.agent(server, { availabilityZone: "us-east-1a" });
    webDef = await ecs.register({
      family: "e2e-restart-web",
      containerDefinitions: [{ name: "web", image: busyboxImage, memory: 16, essential: true, command: httpd, portMappings: [{ containerPort: 8080, hostPort: 0 }], stopTimeout: 2 }],
    });
    exitDef = await ecs.register({
      family: "e2e-restart-exit",
      containerDefinitions: [{ name: "main", image: busyboxImage, memory: 16, essential: true, command: exitOnSignalFile, stopTimeout: 2 }],
    });
  });
  after(() => bed.cleanup());

  async function describeInstance(arn: string): Promise<{ agentConnected: boolean; runningTasksCount: number }> {
    const r = await ecs.call<{ containerInstances: { agentConnected: boolean; runningTasksCount: number }[] }>("describe-container-instances", "--cluster", cluster, "--container-instances", arn);
    return first(r.containerInstances, `container instance ${arn}`);
  }

  test("kill -9 of an agent: on restart no duplicates, running tasks stay RUNNING, an exit while it was down is reported", async () => {
    const web = await ecs.run({ cluster, taskDefinition: webDef, count: 2 });
    const ex = await ecs.run({ cluster, taskDefinition: exitDef });
    const webArns = web.tasks.map((t) => t.taskArn);
    const exitArn = first(ex.tasks, "the exiting task").taskArn;
    const before = await ecs.waitFor(cluster, [...webArns, exitArn], running, "three tasks RUNNING");
    const runtimeIds = new Map(before.map((t) => [t.taskArn, t.containers[0]?.runtimeId]));

    await agent.kill9();
    await waitUntil("agentConnected false after the agent died", async () => ((await describeInstance(agent.containerInstanceArn!)).agentConnected ? undefined : true), 20_000, 250);
    // While the agent is down, one task's container exits on its own.
    const exitContainer = d.getContainer(runtimeIds.get(exitArn)!);
    const exec = await exitContainer.exec({ Cmd: ["touch", "/tmp/exit"] });
    // The exec's stream holds a socket open (and the test process alive) until destroyed.
    const stream = (await exec.start({ Detach: true })) as { destroy?: () => void } | undefined;
    stream?.destroy?.();
    await waitUntil("the container to exit", async () => ((await exitContainer.inspect()).State.Running ? undefined : true), 10_000);
    await agent.restart();
    await waitUntil("agentConnected true again", async () => ((await describeInstance(agent.containerInstanceArn!)).agentConnected ? true : undefined), 20_000, 250);

    const [exited] = await ecs.waitFor(cluster, [exitArn], stopped, "the task whose container exited while the agent was down to be STOPPED", 30_000);
    assert.ok(exited);
    assert.equal(exited.containers[0]?.exitCode, 5);
    assert.equal(exited.stopCode, "EssentialContainerExited");

    const after = await ecs.describe(cluster, webArns);
    for (const t of after) {
      assert.equal(t.lastStatus, "RUNNING");
      assert.equal(t.containers[0]?.runtimeId, runtimeIds.get(t.taskArn), "the same container, adopted");
      const containers = await containersOfTask(d, t.taskArn);
      assert.equal(containers.length, 1, `one container for ${t.taskArn}, not ${containers.length}`);
      assert.equal(containers[0]?.State, "running");
      const port = t.containers[0]?.networkBindings?.[0]?.hostPort;
      assert.equal((await fetchUntilOk(`http://127.0.0.1:${port}/`)).trim(), "hello-berth");
    }
    // A few more seconds of the restarted agent must not add containers either.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const arn of webArns) assert.equal((await containersOfTask(d, arn)).length, 1);
  });

  test("kill -9 of the control plane: agents reconnect, running tasks are untouched, new RunTasks work", async () => {
    const live = (await ecs.call<{ taskArns: string[] }>("list-tasks", "--cluster", cluster, "--desired-status", "RUNNING")).taskArns;
    assert.ok(live.length >= 1, "tasks from the previous test still run");
    const beforeTasks = await ecs.waitFor(cluster, live, running, "the running tasks");
    const ids = new Map(beforeTasks.map((t) => [t.taskArn, t.containers[0]?.runtimeId]));
    const instanceArn = agent.containerInstanceArn!;

    await server.kill9();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // The containers do not notice a dead control plane.
    for (const t of beforeTasks) assert.equal((await d.getContainer(first(t.containers, "its container").runtimeId!).inspect()).State.Running, true);
    await server.restart();

    await waitUntil("the agent to reconnect", async () => ((await describeInstance(instanceArn)).agentConnected ? true : undefined), 45_000, 500);
    const afterTasks = await ecs.describe(cluster, live);
    for (const t of afterTasks) {
      assert.equal(t.lastStatus, "RUNNING");
      assert.equal(t.containers[0]?.runtimeId, ids.get(t.taskArn), "the same container");
      const port = t.containers[0]?.networkBindings?.[0]?.hostPort;
      assert.equal((await fetchUntilOk(`http://127.0.0.1:${port}/`)).trim(), "hello-berth");
    }
    const fresh = await ecs.run({ cluster, taskDefinition: webDef });
    assert.deepEqual(fresh.failures, []);
    const [t] = await ecs.waitFor(cluster, [first(fresh.tasks, "a started task").taskArn], running, "a task started after the restart", 30_000);
    assert.ok(t);
    assert.equal((await fetchUntilOk(`http://127.0.0.1:${t.containers[0]?.networkBindings?.[0]?.hostPort}/`)).trim(), "hello-berth");
    for (const arn of live) assert.equal((await containersOfTask(d, arn)).length, 1, "still one container per task");
  });
});
