// Services end to end on real processes and the real Docker Engine, driven by the
// aws CLI: the seeds' create → stable → force-new-deployment flow, desired count
// held against a killed container, rolling-update bounds, the circuit breaker's
// rollback, and DAEMON services following agents and draining.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type Docker from "dockerode";
import { DescribeTasksCommand, ListTasksCommand, type ECSClient } from "@aws-sdk/client-ecs";
import { busyboxImage, ensureBusyboxImage } from "../kit/agent/busybox-image.js";
import { dockerForTests } from "../kit/agent/docker-test-support.js";
import { BerthTestbed, containersOfTask, ecsCli, type BerthProcess, type CliTask, type EcsCli } from "../kit/berth-process.js";
import { first } from "../kit/ecs-assertions.js";

const docker = await dockerForTests();
if (docker) await ensureBusyboxImage(docker);

// The child processes inherit process.env (BerthTestbed.processEnv): short settle and throttle keep the file fast.
const settleMs = 1000;
process.env["BERTH_SERVICE_SETTLE_MS"] = String(settleMs);
process.env["BERTH_SERVICE_THROTTLE_MS"] = "500";
process.env["BERTH_SERVICE_RECONCILE_MS"] = "500";
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";

const cluster = "default";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const httpd = ["sh", "-c", "trap 'exit 0' TERM; httpd -p 8080 -h / && while true; do sleep 1; done"];
const awsvpc = { awsvpcConfiguration: { subnets: ["subnet-e2e"], assignPublicIp: "DISABLED" } };

interface CliDeployment {
  readonly id: string;
  readonly status: string;
  readonly taskDefinition: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly rolloutState?: string;
}
interface CliService {
  readonly serviceName: string;
  readonly status: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly taskDefinition: string;
  readonly deployments: readonly CliDeployment[];
}

function fargateDef(family: string, command: readonly string[] = httpd): Record<string, unknown> {
  return {
    family,
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    cpu: "256",
    memory: "512",
    containerDefinitions: [{ name: "web", image: busyboxImage, essential: true, command, portMappings: [{ containerPort: 8080, protocol: "tcp" }], stopTimeout: 2 }],
  };
}

function ec2Def(family: string, command: readonly string[] = httpd, env: string = "1"): Record<string, unknown> {
  return {
    family,
    networkMode: "bridge",
    containerDefinitions: [{ name: "web", image: busyboxImage, memory: 16, essential: true, command, environment: [{ name: "REV", value: env }], stopTimeout: 2 }],
  };
}

async function describeService(ecs: EcsCli, name: string): Promise<CliService> {
  const r = await ecs.call<{ services: CliService[] }>("describe-services", "--cluster", cluster, "--services", name);
  assert.equal(r.services.length, 1, `service ${name} is described`);
  return first(r.services, `service ${name}`);
}

/** Polls until the service has one deployment and runningCount = desiredCount, then `aws ecs wait services-stable` (which returns at once then, not after its 15 s delay). */
async function waitStable(ecs: EcsCli, name: string, timeoutMs = 60_000): Promise<CliService> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await describeService(ecs, name);
    if (s.deployments.length === 1 && s.runningCount === s.desiredCount && s.deployments[0]?.runningCount === s.desiredCount) break;
    if (Date.now() > deadline) throw new Error(`service ${name} not steady after ${timeoutMs} ms: ${JSON.stringify(s.deployments)}`);
    await sleep(300);
  }
  await ecs.call("wait", "services-stable", "--cluster", cluster, "--services", name);
  return describeService(ecs, name);
}

async function serviceTasks(ecs: EcsCli, name: string, desired = "RUNNING"): Promise<CliTask[]> {
  const r = await ecs.call<{ taskArns: string[] }>("list-tasks", "--cluster", cluster, "--service-name", name, "--desired-status", desired);
  return r.taskArns.length ? ecs.describe(cluster, r.taskArns) : [];
}

async function deleteService(ecs: EcsCli, name: string): Promise<void> {
  await ecs.call("delete-service", "--cluster", cluster, "--service", name, "--force");
}

interface Sample {
  readonly at: number;
  readonly running: number;
  readonly healthy: number;
}

/** Samples the service's tasks through the SDK every ~250 ms until `stop()`: RUNNING, and RUNNING-and-healthy (desired RUNNING, settled or HEALTHY). */
function sampler(client: ECSClient, name: string): { stop(): Promise<Sample[]> } {
  const samples: Sample[] = [];
  let done = false;
  const loop = (async () => {
    while (!done) {
      const started = Date.now();
      const arns = (await client.send(new ListTasksCommand({ cluster, serviceName: name }))).taskArns ?? [];
      const tasks = arns.length ? ((await client.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? []) : [];
      const now = Date.now();
      const running = tasks.filter((t) => t.lastStatus === "RUNNING");
      const healthy = running.filter(
        (t) => t.desiredStatus === "RUNNING" && t.healthStatus !== "UNHEALTHY" && (t.healthStatus === "HEALTHY" || (t.startedAt !== undefined && now - t.startedAt.getTime() >= settleMs)),
      );
      samples.push({ at: now, running: running.length, healthy: healthy.length });
      await sleep(Math.max(0, 250 - (Date.now() - started)));
    }
  })();
  return {
    async stop() {
      done = true;
      await loop;
      return samples;
    },
  };
}

describe("services on berth up", { skip: docker ? false : "Docker is not available here" }, () => {
  const bed = new BerthTestbed();
  let up: BerthProcess;
  let ecs: EcsCli;
  let client: ECSClient;
  const d = docker as Docker;

  before(async () => {
    up = await bed.up();
    ecs = ecsCli(bed, up);
    client = bed.ecs(up);
  });
  after(() => bed.cleanup());

  test("seeds' flow: FARGATE awsvpc service → PRIMARY → services-stable → force-new-deployment replaces the task → stable again", async (t) => {
    const def = await ecs.register(fargateDef("e2e-svc-rest"));
    const name = "student-rest";
    const created = await ecs.call<{ service: CliService }>(
      "create-service",
      "--cli-input-json",
      JSON.stringify({ cluster, serviceName: name, taskDefinition: def, desiredCount: 1, launchType: "FARGATE", networkConfiguration: awsvpc }),
    );
    t.after(() => deleteService(ecs, name));
    assert.equal(created.service.status, "ACTIVE");
    const described = await describeService(ecs, name);
    assert.equal(described.deployments.length, 1);
    assert.equal(described.deployments[0]?.status, "PRIMARY");
    assert.equal(described.deployments[0]?.taskDefinition, def);

    await waitStable(ecs, name);
    const [original] = await serviceTasks(ecs, name);
    assert.ok(original);
    assert.equal(original.lastStatus, "RUNNING");

    await ecs.call("update-service", "--cluster", cluster, "--service", name, "--force-new-deployment");
    const after = await waitStable(ecs, name);
    assert.equal(after.deployments[0]?.status, "PRIMARY");
    const tasks = await serviceTasks(ecs, name);
    assert.equal(tasks.length, 1);
    assert.notEqual(tasks[0]?.taskArn, original.taskArn, "a new task replaced the old one");
    assert.equal(tasks[0]?.lastStatus, "RUNNING");
    await ecs.waitFor(cluster, [original.taskArn], (x) => x.lastStatus === "STOPPED", "the old task STOPPED", 30_000);
  });

  test("desiredCount 3: a killed container is replaced without user action", async (t) => {
    const def = await ecs.register(ec2Def("e2e-svc-heal"));
    const name = "e2e-heal";
    await ecs.call("create-service", "--cluster", cluster, "--service-name", name, "--task-definition", def, "--desired-count", "3", "--launch-type", "EC2");
    t.after(() => deleteService(ecs, name));
    await waitStable(ecs, name);
    const before = await serviceTasks(ecs, name);
    assert.equal(before.length, 3);
    const [victim] = before;
    assert.ok(victim);
    const [container] = await containersOfTask(d, victim.taskArn);
    assert.ok(container, "the task has a container");
    await d.getContainer(container.Id).kill();

    await ecs.waitFor(cluster, [victim.taskArn], (x) => x.lastStatus === "STOPPED", "the killed task STOPPED", 30_000);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const s = await describeService(ecs, name);
      const tasks = await serviceTasks(ecs, name);
      const running = tasks.filter((x) => x.lastStatus === "RUNNING");
      if (s.runningCount === 3 && running.length === 3 && running.every((x) => x.taskArn !== victim.taskArn)) break;
      assert.ok(Date.now() < deadline, `no replacement after 30 s: runningCount ${s.runningCount}, tasks ${tasks.map((x) => x.lastStatus).join(",")}`);
      await sleep(300);
    }
  });

  for (const [minHealthy, maxPercent] of [
    [100, 200],
    [50, 100],
  ] as const) {
    test(`a rolling update of 3 tasks at ${minHealthy}/${maxPercent} stays within its bounds`, async (t) => {
      const name = `e2e-roll-${minHealthy}-${maxPercent}`;
      const v1 = await ecs.register(ec2Def(`e2e-svc-roll-${minHealthy}`, httpd, "1"));
      const v2 = await ecs.register(ec2Def(`e2e-svc-roll-${minHealthy}`, httpd, "2"));
      await ecs.call(
        "create-service",
        "--cli-input-json",
        JSON.stringify({
          cluster,
          serviceName: name,
          taskDefinition: v1,
          desiredCount: 3,
          launchType: "EC2",
          deploymentConfiguration: { minimumHealthyPercent: minHealthy, maximumPercent: maxPercent },
        }),
      );
      t.after(() => deleteService(ecs, name));
      await waitStable(ecs, name);
      await sleep(settleMs + 200);

      const s = sampler(client, name);
      let samples: Sample[];
      try {
        await ecs.call("update-service", "--cluster", cluster, "--service", name, "--task-definition", v2);
        const stable = await waitStable(ecs, name, 90_000);
        assert.equal(stable.taskDefinition, v2);
        await sleep(500);
      } finally {
        samples = await s.stop();
      }
      assert.ok(samples.length >= 4, `sampled ${samples.length} times`);
      const tasks = await serviceTasks(ecs, name);
      assert.equal(tasks.length, 3);
      if (minHealthy === 100) {
        const low = samples.filter((x) => x.healthy < 3);
        assert.deepEqual(low, [], `fewer than 3 RUNNING-and-healthy tasks in ${low.length} of ${samples.length} samples`);
      } else {
        const high = samples.filter((x) => x.running > 3);
        assert.deepEqual(high, [], `more than 3 RUNNING tasks in ${high.length} of ${samples.length} samples`);
      }
    });
  }

  test("a revision whose container exits at once trips the circuit breaker and rolls back", async (t) => {
    const name = "e2e-breaker";
    const good = await ecs.register(ec2Def("e2e-svc-breaker", httpd, "good"));
    const bad = await ecs.register(ec2Def("e2e-svc-breaker", ["sh", "-c", "exit 1"], "bad"));
    await ecs.call(
      "create-service",
      "--cli-input-json",
      JSON.stringify({
        cluster,
        serviceName: name,
        taskDefinition: good,
        desiredCount: 1,
        launchType: "EC2",
        deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
      }),
    );
    t.after(() => deleteService(ecs, name));
    await waitStable(ecs, name);
    const updated = await ecs.call<{ service: CliService }>("update-service", "--cluster", cluster, "--service", name, "--task-definition", bad);
    const badDeployment = updated.service.deployments.find((x) => x.status === "PRIMARY");
    assert.ok(badDeployment, "the update made a PRIMARY deployment");
    assert.equal(badDeployment.taskDefinition, bad);

    // The failed deployment shows rolloutState FAILED for as long as DescribeServices lists it; its tasks
    // never run, so the rollback usually drops it at once, and the service events and
    // ListServiceDeployments (ROLLBACK_SUCCESSFUL) below are where its failure stays visible.
    const deadline = Date.now() + 90_000;
    const seen = new Set<string>();
    for (;;) {
      const s = await describeService(ecs, name);
      const failed = s.deployments.find((x) => x.id === badDeployment.id);
      if (failed) seen.add(`${failed.status}/${failed.rolloutState ?? ""}`);
      if (s.deployments.length === 1 && s.taskDefinition === good && s.runningCount === 1 && (failed === undefined || failed.rolloutState === "FAILED")) break;
      assert.ok(Date.now() < deadline, `no rollback after 90 s: seen ${[...seen].join(", ")}; ${JSON.stringify(s.deployments)}`);
      await sleep(200);
    }
    const [withEvents] = (await ecs.call<{ services: { events: { message: string }[] }[] }>("describe-services", "--cluster", cluster, "--services", name)).services;
    assert.ok(withEvents, `service ${name} is described`);
    const events = withEvents.events.map((e) => e.message);
    assert.ok(
      events.some((m) => m.includes(badDeployment.id) && m.includes("deployment failed")),
      `an event says the deployment failed: ${JSON.stringify(events)}`,
    );
    const stable = await waitStable(ecs, name);
    assert.equal(stable.taskDefinition, good);
    assert.equal(stable.deployments[0]?.taskDefinition, good);
    const tasks = await serviceTasks(ecs, name);
    assert.ok(tasks.length === 1 && tasks[0]?.lastStatus === "RUNNING");

    // ListServiceDeployments names the failed-and-rolled-back deployment ROLLBACK_SUCCESSFUL, as ECS does.
    const listed = await ecs.call<{ serviceDeployments: { serviceDeploymentArn: string; status: string; targetServiceRevisionArn?: string }[] }>(
      "list-service-deployments",
      "--cluster",
      cluster,
      "--service",
      name,
    );
    const statuses = listed.serviceDeployments.map((x) => x.status);
    assert.ok(statuses.includes("ROLLBACK_SUCCESSFUL"), `the failed deployment is listed as ROLLBACK_SUCCESSFUL: ${JSON.stringify(listed.serviceDeployments)}`);
  });
});

describe("DAEMON services on berth server + agents", { skip: docker ? false : "Docker is not available here" }, () => {
  const bed = new BerthTestbed();
  let server: BerthProcess;
  let ecs: EcsCli;

  before(async () => {
    server = await bed.server();
    ecs = ecsCli(bed, server);
  });
  after(() => bed.cleanup());

  async function daemonTasksOn(name: string): Promise<Map<string, string>> {
    const tasks = (await serviceTasks(ecs, name)).filter((x) => x.lastStatus === "RUNNING");
    return new Map(tasks.map((x) => [x.containerInstanceArn ?? "", x.taskArn]));
  }

  async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await check();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${bed.outputs()}`);
      await sleep(300);
    }
  }

  test("a new agent gets the daemon's task; a DRAINING instance loses it", async (t) => {
    const a1 = await bed.agent(server);
    const def = await ecs.register(ec2Def("e2e-svc-daemon"));
    const name = "e2e-daemon";
    await ecs.call("create-service", "--cluster", cluster, "--service-name", name, "--task-definition", def, "--scheduling-strategy", "DAEMON", "--launch-type", "EC2");
    t.after(() => deleteService(ecs, name));
    await until("a daemon task on agent 1", async () => ((await daemonTasksOn(name)).has(a1.containerInstanceArn!) ? true : undefined));

    const a2 = await bed.agent(server);
    const both = await until("a daemon task on each agent", async () => {
      const m = await daemonTasksOn(name);
      return m.has(a1.containerInstanceArn!) && m.has(a2.containerInstanceArn!) && m.size === 2 ? m : undefined;
    });
    const drainedTask = both.get(a1.containerInstanceArn!)!;

    await ecs.call("update-container-instances-state", "--cluster", cluster, "--container-instances", a1.containerInstanceArn!, "--status", "DRAINING");
    await ecs.waitFor(cluster, [drainedTask], (x) => x.lastStatus === "STOPPED", "the DRAINING instance's daemon task STOPPED", 45_000);
    await sleep(1500);
    const m = await daemonTasksOn(name);
    assert.deepEqual([...m.keys()], [a2.containerInstanceArn], "only the ACTIVE instance runs the daemon");
  });
});
