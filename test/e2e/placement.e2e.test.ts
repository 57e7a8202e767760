// Placement across several real `berth agent` processes on one machine: one
// `berth server` and three EC2 agents in zones a, b, c (a custom attribute marks
// two of them), driven by the aws CLI. Also a FARGATE task with no FARGATE
// capacity, which waits in PROVISIONING, and an agent whose pull behaviour is
// `always`.

import { after, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { busyboxImage, ensureBusyboxImage } from "../kit/agent/busybox-image.js";
import { dockerForTests } from "../kit/agent/docker-test-support.js";
import { BerthTestbed, containersOfTask, ecsCli, type BerthProcess, type CliTask, type EcsCli } from "../kit/berth-process.js";
import { first } from "../kit/ecs-assertions.js";

const docker = await dockerForTests();
if (docker) await ensureBusyboxImage(docker);

const cluster = "default";
const idle = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"];
const running = (t: CliTask) => t.lastStatus === "RUNNING";
const stopped = (t: CliTask) => t.lastStatus === "STOPPED";

describe("placement across three berth agents", { skip: docker ? false : "Docker is not available here" }, () => {
  const bed = new BerthTestbed();
  let server: BerthProcess;
  let ecs: EcsCli;
  /** Zone of each agent's container instance. */
  const zoneOf = new Map<string, string>();
  const tierOf = new Map<string, string>();
  let def: string;

  before(async () => {
    server = await bed.server();
    ecs = ecsCli(bed, server);
    const specs = [
      { zone: "a", tier: "gold" },
      { zone: "b", tier: "gold" },
      { zone: "c", tier: "bronze" },
    ];
    // One at a time: the first creates the default cluster.
    for (const s of specs) {
      const agent = await bed.agent(server, { availabilityZone: `us-east-1${s.zone}`, attributes: { "e2e.tier": s.tier }, name: `agent ${s.zone}` });
      zoneOf.set(agent.containerInstanceArn!, `us-east-1${s.zone}`);
      tierOf.set(agent.containerInstanceArn!, s.tier);
    }
    def = await ecs.register({
      family: "e2e-place",
      containerDefinitions: [{ name: "main", image: busyboxImage, memory: 16, essential: true, command: idle, stopTimeout: 2 }],
    });
  });
  after(() => bed.cleanup());

  /** Runs, waits for RUNNING, and stops the tasks when the test ends. */
  async function runAndWait(t: TestContext, args: Record<string, unknown>): Promise<{ tasks: CliTask[]; failures: { arn?: string; reason: string }[] }> {
    const r = await ecs.run({ cluster, taskDefinition: def, ...args });
    const arns = r.tasks.map((x) => x.taskArn);
    t.after(async () => {
      for (const arn of arns) await ecs.call("stop-task", "--cluster", cluster, "--task", arn);
      await ecs.waitFor(cluster, arns, stopped, "the tasks to stop");
    });
    const tasks = arns.length > 0 ? await ecs.waitFor(cluster, arns, running, "the tasks RUNNING") : [];
    return { tasks, failures: r.failures };
  }

  test("the three agents registered with their zones and attributes", async () => {
    const list = await ecs.call<{ containerInstanceArns: string[] }>("list-container-instances", "--cluster", cluster);
    assert.equal(list.containerInstanceArns.length, 3);
    const filtered = await ecs.call<{ containerInstanceArns: string[] }>("list-container-instances", "--cluster", cluster, "--filter", "attribute:e2e.tier == gold");
    assert.deepEqual(new Set(filtered.containerInstanceArns), new Set([...tierOf].filter(([, t]) => t === "gold").map(([a]) => a)));
  });

  test("binpack on memory fills one instance first", async (t) => {
    const { tasks, failures } = await runAndWait(t, { count: 3, placementStrategy: [{ type: "binpack", field: "memory" }] });
    assert.deepEqual(failures, []);
    assert.equal(new Set(tasks.map((x) => x.containerInstanceArn)).size, 1, "all three on one instance");
  });

  test("spread on attribute:ecs.availability-zone alternates zones", async (t) => {
    const { tasks, failures } = await runAndWait(t, { count: 6, group: "e2e-spread", placementStrategy: [{ type: "spread", field: "attribute:ecs.availability-zone" }] });
    assert.deepEqual(failures, []);
    const perZone = new Map<string, number>();
    for (const x of tasks) {
      const zone = zoneOf.get(x.containerInstanceArn!)!;
      assert.equal(x.availabilityZone, zone, "the task reports its instance's zone");
      perZone.set(zone, (perZone.get(zone) ?? 0) + 1);
    }
    assert.deepEqual([...perZone.values()], [2, 2, 2], `two per zone: ${JSON.stringify([...perZone])}`);
  });

  test("distinctInstance puts each task of a group on its own instance and fails the extra one", async (t) => {
    const { tasks, failures } = await runAndWait(t, { count: 4, group: "e2e-distinct", placementConstraints: [{ type: "distinctInstance" }] });
    assert.equal(tasks.length, 3);
    assert.equal(new Set(tasks.map((x) => x.containerInstanceArn)).size, 3);
    assert.equal(failures.length, 1);
    assert.match(failures[0]?.reason ?? "", /DistinctInstance/);
  });

  test("memberOf with a custom attribute expression keeps tasks on the matching instances", async (t) => {
    const { tasks, failures } = await runAndWait(t, {
      count: 4,
      placementConstraints: [{ type: "memberOf", expression: "attribute:e2e.tier == gold and attribute:ecs.availability-zone != us-east-1c" }],
      placementStrategy: [{ type: "spread", field: "instanceId" }],
    });
    assert.deepEqual(failures, []);
    for (const x of tasks) assert.equal(tierOf.get(x.containerInstanceArn!), "gold");
    assert.equal(new Set(tasks.map((x) => x.containerInstanceArn)).size, 2, "spread over both gold instances");

    const none = await ecs.run({ cluster, taskDefinition: def, placementConstraints: [{ type: "memberOf", expression: "attribute:e2e.tier == platinum" }] });
    assert.deepEqual(none.tasks, []);
    assert.equal(none.failures.length, 1);
    assert.match(none.failures[0]?.reason ?? "", /MemberOf/);
  });

  test("a FARGATE task with no FARGATE-capable agent waits in PROVISIONING", async (t) => {
    const fargate = await ecs.register({
      family: "e2e-fargate-wait",
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      cpu: "256",
      memory: "512",
      containerDefinitions: [{ name: "main", image: busyboxImage, essential: true, command: idle }],
    });
    const r = await ecs.run({
      cluster,
      taskDefinition: fargate,
      launchType: "FARGATE",
      networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-e2e"] } },
    });
    assert.deepEqual(r.failures, []);
    assert.equal(r.tasks.length, 1);
    const [waiting] = r.tasks;
    assert.ok(waiting);
    const arn = waiting.taskArn;
    assert.equal(waiting.lastStatus, "PROVISIONING");
    assert.equal(waiting.containerInstanceArn, undefined);
    // Nothing places it later yet (the capacity controller is a later issue): it stays put.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const [task] = await ecs.describe(cluster, [arn]);
    assert.ok(task);
    assert.equal(task.lastStatus, "PROVISIONING");
    assert.equal(task.desiredStatus, "RUNNING");
    // What happens when FARGATE capacity appears is a later issue's; say what is seen.
    const fargateAgent = await bed.agent(server, { launchTypes: ["FARGATE"], availabilityZone: "us-east-1d", name: "agent fargate" });
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const [later] = await ecs.describe(cluster, [arn]);
    assert.ok(later);
    const containers = docker ? await containersOfTask(docker, arn) : [];
    t.diagnostic(
      `8 s after a FARGATE agent joined (${fargateAgent.containerInstanceArn}), the waiting task is ${later.lastStatus}, ` +
        `containerInstanceArn ${later.containerInstanceArn ?? "not shown"}, ${containers.length} Docker container(s) with its ARN`,
    );
    await ecs.call("stop-task", "--cluster", cluster, "--task", arn);
    await ecs.waitFor(cluster, [arn], stopped, "the waiting task to stop", 15_000);
  });

  test("an agent started with --image-pull-behavior always pulls: an image only in Docker's cache fails the task", async () => {
    // Its own cluster, so the placement tests above keep their three instances.
    await ecs.call("create-cluster", "--cluster-name", "e2e-pull-always");
    await bed.agent(server, { cluster: "e2e-pull-always", imagePullBehavior: "always", name: "agent pull always" });
    const r = await ecs.run({ cluster: "e2e-pull-always", taskDefinition: def });
    assert.deepEqual(r.failures, []);
    const [task] = await ecs.waitFor("e2e-pull-always", [first(r.tasks, "a started task").taskArn], stopped, "the task to fail its pull");
    assert.ok(task);
    assert.equal(task.stopCode, "TaskFailedToStart");
    assert.match(task.containers[0]?.reason ?? "", /^CannotPullContainerError/);
  });
});
