// Engine decisions on the fake Docker, with a manual clock: ordering, essential
// exits, stop escalation, pull behaviours, reporting, adoption and cleanup.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { ContainerDefinition, SubmitTaskStateChangeRequest, TaskDefinition } from "../model/generated/ecs.js";
import type { AssignedTask } from "../protocol/channel.js";
import { labels } from "./container-config.js";
import { DockerTaskEngine, type TaskEngineConfig } from "./task-engine.js";
import { FakeDockerRuntime } from "../../test/kit/agent/fake-docker-runtime.js";
import { ManualClock, settle } from "../../test/kit/agent/manual-clock.js";
import { pauseImageTag } from "./pause-image.js";

const cluster = "arn:aws:ecs:us-east-1:000000000000:cluster/default";

function assigned(id: string, containers: ContainerDefinition[], over: Partial<TaskDefinition> = {}, taskOver: Partial<AssignedTask["task"]> = {}): AssignedTask {
  const taskArn = `arn:aws:ecs:us-east-1:000000000000:task/default/${id}`;
  return {
    task: {
      taskArn,
      clusterArn: cluster,
      desiredStatus: "RUNNING",
      lastStatus: "PENDING",
      containers: containers.map(({ name }) => ({ ...(name === undefined ? {} : { name }), containerArn: `arn:aws:ecs:us-east-1:000000000000:container/default/${id}/${name}` })),
      ...taskOver,
    },
    taskDefinition: { family: "fam", revision: 3, containerDefinitions: containers, ...over },
  };
}

function setup(over: Partial<TaskEngineConfig> = {}, clock = new ManualClock(), fake = new FakeDockerRuntime(clock)) {
  fake.addImage("app:1");
  const reports: SubmitTaskStateChangeRequest[] = [];
  let failReports = 0;
  const reporter = {
    submitTaskStateChange: async (c: SubmitTaskStateChangeRequest) => {
      await Promise.resolve();
      if (failReports > 0) {
        failReports--;
        throw new Error("control plane unreachable");
      }
      reports.push(c);
    },
  };
  const engine = new DockerTaskEngine({
    agentId: "agent-1",
    runtime: fake,
    reporter,
    clock,
    metadata: false,
    imagePullBehavior: "prefer-cached",
    hostPortsInUse: () => Promise.resolve(new Set<string>()),
    hostPortRange: { first: 50000, last: 50100 },
    taskCleanupWaitMs: 60_000,
    ...over,
  });
  return { clock, fake, reports, engine, failNextReports: (n: number) => (failReports = n) };
}

async function eventually(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await settle(3);
  }
  assert.fail(`never happened: ${what}`);
}

function last(reports: readonly SubmitTaskStateChangeRequest[], taskArn: string | undefined): SubmitTaskStateChangeRequest | undefined {
  return reports.filter((r) => r.task === taskArn).at(-1);
}

const app: ContainerDefinition = { name: "app", image: "app:1", memory: 64, essential: true, portMappings: [{ containerPort: 80 }] };

test("a bridge task runs: pulled, created with ECS's labels and environment, started, reported RUNNING with its host port", async () => {
  const { fake, reports, engine } = setup({ metadata: { bindAddress: "127.0.0.1", port: 0 } });
  await engine.start();
  const a = assigned("t1", [app]);
  engine.reconcile([a]);
  await eventually("RUNNING reported", () => last(reports, a.task.taskArn)?.status === "RUNNING");
  const c = fake.forContainer(a.task.taskArn ?? "", "app");
  assert.ok(c);
  const l = c.spec.Labels;
  assert.equal(l[labels.cluster], cluster);
  assert.equal(l[labels.taskArn], a.task.taskArn);
  assert.equal(l[labels.containerName], "app");
  assert.equal(l[labels.family], "fam");
  assert.equal(l[labels.version], "3");
  assert.equal(l[labels.agent], "agent-1");
  assert.ok(c.spec.Env?.some((e) => /^ECS_CONTAINER_METADATA_URI_V4=http:\/\/172\.17\.0\.1:\d+\/v4\/[0-9a-f]{32}$/.test(e)));
  const r = last(reports, a.task.taskArn);
  const hostPort = r?.containers?.[0]?.networkBindings?.[0]?.hostPort ?? 0;
  assert.ok(hostPort >= 50000 && hostPort <= 50100, `host port ${hostPort} is from the configured range`);
  assert.deepEqual(r?.containers?.[0]?.networkBindings, [{ bindIP: "0.0.0.0", containerPort: 80, hostPort, protocol: "tcp" }]);
  assert.equal(r?.containers?.[0]?.runtimeId, c.id);
  assert.equal(r?.cluster, cluster);
  assert.ok(r?.pullStartedAt && r.pullStoppedAt);
  await engine.stop();
});

test("an essential container exiting stops the task: the others are stopped, exit codes and the reason reported", async () => {
  const { fake, reports, engine } = setup();
  await engine.start();
  const a = assigned("t2", [
    { name: "main", image: "app:1", memory: 64, essential: true },
    { name: "side", image: "app:1", memory: 64, essential: false },
  ]);
  engine.reconcile([a]);
  await eventually("RUNNING", () => last(reports, a.task.taskArn)?.status === "RUNNING");
  fake.exit(fake.forContainer(a.task.taskArn ?? "", "main")?.id ?? "", 3);
  await eventually("STOPPED", () => last(reports, a.task.taskArn)?.status === "STOPPED");
  const r = last(reports, a.task.taskArn);
  assert.equal(r?.reason, "Essential container in task exited");
  assert.equal(r?.containers?.find((c) => c.containerName === "main")?.exitCode, 3);
  assert.equal(r?.containers?.find((c) => c.containerName === "side")?.exitCode, 143, "the other container got SIGTERM");
  assert.ok(r?.executionStoppedAt);
  await engine.stop();
});

test("a non-essential container exiting leaves the task running", async () => {
  const { fake, reports, engine } = setup();
  await engine.start();
  const a = assigned("t3", [
    { name: "main", image: "app:1", memory: 64 },
    { name: "side", image: "app:1", memory: 64, essential: false },
  ]);
  engine.reconcile([a]);
  await eventually("RUNNING", () => last(reports, a.task.taskArn)?.status === "RUNNING");
  fake.exit(fake.forContainer(a.task.taskArn ?? "", "side")?.id ?? "", 0);
  await eventually("side STOPPED", () => last(reports, a.task.taskArn)?.containers?.find((c) => c.containerName === "side")?.status === "STOPPED");
  assert.equal(last(reports, a.task.taskArn)?.status, "RUNNING");
  await engine.stop();
});

test("dependsOn HEALTHY: the dependent starts only once the dependency's health check passes", async () => {
  const { fake, reports, engine } = setup();
  await engine.start();
  const a = assigned("t4", [
    { name: "db", image: "app:1", memory: 64, healthCheck: { command: ["CMD-SHELL", "true"] } },
    { name: "web", image: "app:1", memory: 64, dependsOn: [{ containerName: "db", condition: "HEALTHY" }] },
  ]);
  engine.reconcile([a]);
  const arn = a.task.taskArn ?? "";
  await eventually("db running", () => fake.forContainer(arn, "db")?.status === "running");
  await settle(20);
  assert.equal(fake.forContainer(arn, "web")?.status, "created", "web is created but waits");
  assert.equal(last(reports, arn)?.status, "PENDING");
  fake.setHealth(fake.forContainer(arn, "db")?.id ?? "", "healthy");
  await eventually("web running", () => fake.forContainer(arn, "web")?.status === "running");
  const starts = fake.calls.filter((c) => c.op === "startContainer").map((c) => c.target);
  assert.deepEqual(
    starts.map((s) => s.split("-")[3]),
    ["db", "web"],
  );
  await eventually("RUNNING", () => last(reports, arn)?.status === "RUNNING");
  await engine.stop();
});

test("dependsOn SUCCESS that fails can never be met: the task stops with a clear reason", async () => {
  const { fake, reports, engine } = setup();
  await engine.start();
  const a = assigned("t5", [
    { name: "init", image: "app:1", memory: 64, essential: false },
    { name: "app", image: "app:1", memory: 64, dependsOn: [{ containerName: "init", condition: "SUCCESS" }] },
  ]);
  engine.reconcile([a]);
  const arn = a.task.taskArn ?? "";
  await eventually("init running", () => fake.forContainer(arn, "init")?.status === "running");
  fake.exit(fake.forContainer(arn, "init")?.id ?? "", 1);
  await eventually("STOPPED", () => last(reports, arn)?.status === "STOPPED");
  const r = last(reports, arn);
  assert.match(r?.reason ?? "", /container app cannot start: init SUCCESS can never be met: init exited with code 1/);
  assert.equal(fake.forContainer(arn, "app")?.status, "created", "app never started");
  await engine.stop();
});

test("startTimeout: a dependency that never becomes healthy times the dependent out", async () => {
  const { clock, fake, reports, engine } = setup({ startTimeoutSeconds: 120 });
  await engine.start();
  const a = assigned("t6", [
    { name: "db", image: "app:1", memory: 64, essential: false, healthCheck: { command: ["CMD", "false"] } },
    { name: "web", image: "app:1", memory: 64, dependsOn: [{ containerName: "db", condition: "HEALTHY" }] },
  ]);
  engine.reconcile([a]);
  const arn = a.task.taskArn ?? "";
  await eventually("db running", () => fake.forContainer(arn, "db")?.status === "running");
  await settle(20);
  await clock.advance(119_000);
  assert.notEqual(last(reports, arn)?.status, "STOPPED");
  await clock.advance(2_000);
  await eventually("STOPPED", () => last(reports, arn)?.status === "STOPPED");
  assert.match(last(reports, arn)?.reason ?? "", /DependencyTimeout: container web waited 120s/);
  await engine.stop();
});

test("stop: SIGTERM, then SIGKILL once the container's stopTimeout passes", async () => {
  const { clock, fake, reports, engine } = setup();
  await engine.start();
  const a = assigned("t7", [{ name: "stubborn", image: "app:1", memory: 64, stopTimeout: 10, command: ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"] }]);
  engine.reconcile([a]);
  const arn = a.task.taskArn ?? "";
  await eventually("RUNNING", () => last(reports, arn)?.status === "RUNNING");
  const stopAt = clock.now().getTime();
  engine.reconcile([{ ...a, task: { ...a.task, desiredStatus: "STOPPED" } }]);
  await eventually("SIGTERM sent", () => fake.calls.some((c) => c.op === "killContainer" && c.detail === "SIGTERM"));
  await clock.advance(9_999);
  assert.ok(!fake.calls.some((c) => c.detail === "SIGKILL"), "no SIGKILL before the timeout");
  await clock.advance(1);
  await eventually("STOPPED", () => last(reports, arn)?.status === "STOPPED");
  const kill = fake.calls.find((c) => c.detail === "SIGKILL");
  assert.equal((kill?.at.getTime() ?? 0) - stopAt, 10_000);
  assert.equal(last(reports, arn)?.containers?.[0]?.exitCode, 137);
  await engine.stop();
});

test("the default stop timeout is the engine's (ECS_CONTAINER_STOP_TIMEOUT)", async () => {
  const { clock, fake, reports, engine } = setup({ stopTimeoutSeconds: 30 });
  await engine.start();
  const a = assigned("t8", [{ name: "stubborn", image: "app:1", memory: 64, command: ["sh", "-c", "trap '' TERM; sleep 1000"] }]);
  engine.reconcile([a]);
  const arn = a.task.taskArn ?? "";
  await eventually("RUNNING", () => last(reports, arn)?.status === "RUNNING");
  engine.reconcile([{ ...a, task: { ...a.task, desiredStatus: "STOPPED" } }]);
  await eventually("SIGTERM sent", () => fake.calls.some((c) => c.detail === "SIGTERM"));
  await clock.advance(29_000);
  assert.ok(!fake.calls.some((c) => c.detail === "SIGKILL"));
  await clock.advance(1_000);
  await eventually("STOPPED", () => last(reports, arn)?.status === "STOPPED");
  await engine.stop();
});

test("pull behaviours: default falls back to the cache, always fails without a pull; credentials come from registryAuth", async () => {
  {
    const { fake, reports, engine } = setup({ imagePullBehavior: "default", registryAuth: (ref) => Promise.resolve(ref.startsWith("localhost:8844/") ? { username: "AWS", password: "pw" } : undefined) });
    fake.addImage("localhost:8844/app:1");
    await engine.start();
    const a = assigned("p1", [{ name: "app", image: "localhost:8844/app:1", memory: 64 }]);
    engine.reconcile([a]);
    await eventually("RUNNING", () => last(reports, a.task.taskArn)?.status === "RUNNING");
    assert.deepEqual(fake.pullAuth, [{ ref: "localhost:8844/app:1", auth: { username: "AWS", password: "pw" } }]);
    await engine.stop();
  }
  {
    const { fake, reports, engine } = setup({ imagePullBehavior: "always" });
    await engine.start();
    const a = assigned("p2", [{ name: "app", image: "app:1", memory: 64 }]);
    engine.reconcile([a]);
    await eventually("STOPPED", () => last(reports, a.task.taskArn)?.status === "STOPPED");
    assert.match(last(reports, a.task.taskArn)?.reason ?? "", /^CannotPullContainerError: pull app:1/);
    assert.equal(fake.containers.size, 0);
    await engine.stop();
  }
  {
    const { fake, reports, engine } = setup({ imagePullBehavior: "prefer-cached" });
    await engine.start();
    const a = assigned("p3", [{ name: "app", image: "app:1", memory: 64 }]);
    engine.reconcile([a]);
    await eventually("RUNNING", () => last(reports, a.task.taskArn)?.status === "RUNNING");
    assert.equal(fake.pullAuth.length, 0, "prefer-cached does not pull a present image");
    await engine.stop();
  }
});

test("a burst of tasks on one image shares one pull; a pull that has settled is not reused", async () => {
  const { fake, reports, engine } = setup({ imagePullBehavior: "default" });
  fake.pullable.add("app:1");
  let release: () => void = () => {};
  fake.pullGate = new Promise<void>((r) => (release = r));
  await engine.start();
  const burst = [1, 2, 3, 4, 5].map((i) => assigned(`sp${i}`, [{ name: "app", image: "app:1", memory: 64 }]));
  engine.reconcile(burst);
  await eventually("a pull in flight", () => fake.pullAuth.length > 0);
  await settle(20);
  assert.equal(fake.pullAuth.length, 1, "five tasks, one pull");
  assert.equal(fake.containers.size, 0, "every task waits for the pull");
  release();
  await eventually("all RUNNING", () => burst.every((a) => last(reports, a.task.taskArn)?.status === "RUNNING"));
  fake.pullGate = undefined;
  const later = assigned("sp6", [{ name: "app", image: "app:1", memory: 64 }]);
  engine.reconcile([...burst, later]);
  await eventually("RUNNING", () => last(reports, later.task.taskArn)?.status === "RUNNING");
  assert.equal(fake.pullAuth.length, 2, "a later task pulls again");
  await engine.stop();
});

test("a shared pull that fails fails each task by its own behaviour", async () => {
  const { fake, reports, engine } = setup({ imagePullBehavior: "default" });
  let release: () => void = () => {};
  fake.pullGate = new Promise<void>((r) => (release = r));
  await engine.start();
  // app:1 is cached (default falls back to it); new:1 is not (the pull must succeed).
  fake.addImage("new:1");
  const cached = assigned("sf1", [{ name: "app", image: "app:1", memory: 64 }]);
  const twin = assigned("sf2", [{ name: "app", image: "app:1", memory: 64 }]);
  engine.reconcile([cached, twin]);
  await eventually("a pull in flight", () => fake.pullAuth.length > 0);
  release();
  await eventually("both RUNNING from the cache", () => [cached, twin].every((a) => last(reports, a.task.taskArn)?.status === "RUNNING"));
  assert.equal(fake.pullAuth.length, 1);
  await engine.stop();
});

test("reports go out when a status moves: what the control plane already shows is not sent, details ride with the next move", async () => {
  const { reports, engine } = setup();
  await engine.start();
  const a = assigned("rp1", [{ name: "app", image: "app:1", memory: 64 }]);
  const shown = { ...a, task: { ...a.task, version: 1, containers: (a.task.containers ?? []).map((c) => ({ ...c, lastStatus: "PENDING" })) } };
  engine.reconcile([shown]);
  await eventually("RUNNING", () => last(reports, a.task.taskArn)?.status === "RUNNING");
  const mine = reports.filter((r) => r.task === a.task.taskArn);
  assert.deepEqual(
    mine.map((r) => r.status),
    ["RUNNING"],
    "PENDING is what the control plane shows already",
  );
  assert.ok(mine[0]?.containers?.[0]?.runtimeId, "the runtime id learnt at create rides with RUNNING");
  assert.ok(mine[0]?.pullStartedAt && mine[0].pullStoppedAt, "so do the pull times");
  await engine.stop();
});

test("a task document re-sent with the same version is not applied again; a new version is", async () => {
  const { fake, reports, engine } = setup();
  await engine.start();
  const a = assigned("v1", [{ name: "app", image: "app:1", memory: 64 }]);
  const v1 = { ...a, task: { ...a.task, version: 1 } };
  engine.reconcile([v1]);
  await eventually("RUNNING", () => last(reports, a.task.taskArn)?.status === "RUNNING");
  // The control plane bumps a task's version on every change, so the same version is the same document.
  engine.reconcile([{ ...v1, task: { ...v1.task, desiredStatus: "STOPPED" } }]);
  await settle(20);
  assert.equal(fake.calls.filter((c) => c.op === "killContainer").length, 0, "same version: nothing new");
  engine.reconcile([{ ...v1, task: { ...v1.task, version: 2, desiredStatus: "STOPPED" } }]);
  await eventually("STOPPED", () => last(reports, a.task.taskArn)?.status === "STOPPED");
  await engine.stop();
});

test("reports are retried with backoff until accepted, and the latest state wins", async () => {
  const { clock, reports, engine, failNextReports } = setup({ reportBackoff: { initialMs: 1000, maxMs: 4000 } });
  failNextReports(3);
  await engine.start();
  const a = assigned("r1", [{ name: "app", image: "app:1", memory: 64 }]);
  engine.reconcile([a]);
  await settle(50);
  assert.equal(reports.length, 0);
  await clock.advance(1000 + 2000 + 4000);
  await eventually("RUNNING accepted", () => last(reports, a.task.taskArn)?.status === "RUNNING");
  const statuses = reports.map((r) => r.status);
  assert.deepEqual(statuses, [...statuses].sort((x, y) => ["PENDING", "RUNNING", "STOPPED"].indexOf(x ?? "") - ["PENDING", "RUNNING", "STOPPED"].indexOf(y ?? "")), "never backwards");
  await engine.stop();
});

test("agent restart: a new engine adopts running containers, reports an exit that happened while it was down, and duplicates nothing", async () => {
  const clock = new ManualClock();
  const fake = new FakeDockerRuntime(clock);
  const first = setup({}, clock, fake);
  await first.engine.start();
  const keep = assigned("k1", [
    { name: "main", image: "app:1", memory: 64 },
    { name: "side", image: "app:1", memory: 64, essential: false },
  ]);
  const gone = assigned("g1", [{ name: "app", image: "app:1", memory: 64 }]);
  first.engine.reconcile([keep, gone]);
  await eventually("both RUNNING", () => last(first.reports, keep.task.taskArn)?.status === "RUNNING" && last(first.reports, gone.task.taskArn)?.status === "RUNNING");
  await first.engine.stop();
  const created = fake.calls.filter((c) => c.op === "createContainer").length;

  // While no agent runs, a non-essential container exits.
  fake.exit(fake.forContainer(keep.task.taskArn ?? "", "side")?.id ?? "", 7);

  const second = setup({}, clock, fake);
  await second.engine.start();
  await eventually("the exit is reported", () => last(second.reports, keep.task.taskArn)?.containers?.find((c) => c.containerName === "side")?.exitCode === 7);
  assert.equal(last(second.reports, keep.task.taskArn)?.status, "RUNNING");

  // The control plane still wants `keep`, not `gone`.
  second.engine.reconcile([keep]);
  await eventually("gone's container removed", () => fake.forContainer(gone.task.taskArn ?? "", "app") === undefined);
  await settle(20);
  assert.equal(fake.calls.filter((c) => c.op === "createContainer").length, created, "no duplicate containers");
  assert.equal(fake.forContainer(keep.task.taskArn ?? "", "main")?.status, "running");
  assert.ok(!second.reports.some((r) => r.task === gone.task.taskArn && r.status === "STOPPED"), "an unassigned task's stop is not reported");
  await second.engine.stop();
});

test("adoption before the definition is re-sent: an essential exit while down stops the rest", async () => {
  const clock = new ManualClock();
  const fake = new FakeDockerRuntime(clock);
  const first = setup({}, clock, fake);
  await first.engine.start();
  const a = assigned("ad1", [
    { name: "main", image: "app:1", memory: 64 },
    { name: "side", image: "app:1", memory: 64, essential: false },
  ]);
  first.engine.reconcile([a]);
  await eventually("RUNNING", () => last(first.reports, a.task.taskArn)?.status === "RUNNING");
  await first.engine.stop();
  fake.exit(fake.forContainer(a.task.taskArn ?? "", "main")?.id ?? "", 2);

  const second = setup({}, clock, fake);
  await second.engine.start();
  await eventually("STOPPED", () => last(second.reports, a.task.taskArn)?.status === "STOPPED");
  const r = last(second.reports, a.task.taskArn);
  assert.equal(r?.reason, "Essential container in task exited");
  assert.equal(r?.containers?.find((c) => c.containerName === "main")?.exitCode, 2);
  await second.engine.stop();
});

test("a container the control plane saw created but Docker no longer has is reported stopped, not recreated", async () => {
  const { fake, reports, engine } = setup();
  await engine.start();
  const a = assigned("x1", [{ name: "app", image: "app:1", memory: 64 }]);
  const seen = { ...a, task: { ...a.task, lastStatus: "RUNNING", containers: [{ name: "app", runtimeId: "feedface" }] } };
  engine.reconcile([seen]);
  await eventually("STOPPED", () => last(reports, a.task.taskArn)?.status === "STOPPED");
  assert.equal(fake.containers.size, 0);
  assert.equal(last(reports, a.task.taskArn)?.reason, "Container no longer exists on the host");
  await engine.stop();
});

test("stopped tasks are cleaned up after the grace period, once the control plane has the STOPPED report", async () => {
  const { clock, fake, reports, engine } = setup({ taskCleanupWaitMs: 60_000 });
  await engine.start();
  const a = assigned("c1", [{ name: "app", image: "app:1", memory: 64, mountPoints: [{ sourceVolume: "scratch", containerPath: "/s" }] }], {
    volumes: [{ name: "scratch", dockerVolumeConfiguration: { scope: "task" } }],
  });
  engine.reconcile([a]);
  const arn = a.task.taskArn ?? "";
  await eventually("RUNNING", () => last(reports, arn)?.status === "RUNNING");
  assert.equal(fake.volumes.size, 1);
  fake.exit(fake.forContainer(arn, "app")?.id ?? "", 0);
  await eventually("STOPPED", () => last(reports, arn)?.status === "STOPPED");
  await clock.advance(59_000);
  assert.ok(fake.forContainer(arn, "app"), "kept during the grace period");
  await clock.advance(1_000);
  await eventually("removed", () => fake.forContainer(arn, "app") === undefined && fake.volumes.size === 0);
  // A late re-send of the same task does not run it again.
  engine.reconcile([a]);
  await settle(20);
  assert.equal(fake.calls.filter((c) => c.op === "createContainer").length, 1);
  await engine.stop();
});

test("awsvpc: the namespace holder is built, created on the managed network with the task's IP, and the containers join it", async () => {
  const { fake, reports, engine } = setup({ awsvpc: { subnet: "10.99.0.0/24" } });
  await engine.start();
  assert.equal(fake.networks.get("berth-awsvpc-agent-1")?.subnet, "10.99.0.0/24");
  const a = assigned(
    "v1",
    [{ name: "app", image: "app:1", memory: 64, portMappings: [{ containerPort: 80 }] }],
    { networkMode: "awsvpc" },
    { attachments: [{ id: "eni-att-1", type: "ElasticNetworkInterface", status: "PRECREATED", details: [{ name: "privateIPv4Address", value: "10.99.0.7" }] }] },
  );
  engine.reconcile([a]);
  const arn = a.task.taskArn ?? "";
  await eventually("RUNNING", () => last(reports, arn)?.status === "RUNNING");
  const pause = fake.forContainer(arn, "~internal~ecs~pause");
  assert.equal(pause?.spec.Image, pauseImageTag);
  assert.deepEqual(pause?.spec.NetworkingConfig?.EndpointsConfig["berth-awsvpc-agent-1"]?.IPAMConfig, { IPv4Address: "10.99.0.7" });
  assert.equal(fake.forContainer(arn, "app")?.spec.HostConfig.NetworkMode, `container:${pause?.id}`);
  const r = last(reports, arn);
  assert.deepEqual(r?.attachments, [{ attachmentArn: "eni-att-1", status: "ATTACHED" }]);
  assert.equal(r?.containers?.length, 1, "the holder is not reported");
  assert.equal(r?.containers?.[0]?.networkBindings, undefined);
  engine.reconcile([{ ...a, task: { ...a.task, desiredStatus: "STOPPED" } }]);
  await eventually("STOPPED", () => last(reports, arn)?.status === "STOPPED");
  const kills = fake.calls.filter((c) => c.op === "killContainer").map((c) => c.target.split("-")[3]);
  assert.deepEqual(kills, ["app", "internalecspause"], "the holder stops last");
  await engine.stop();
});

test("health is published on change, task health from essential containers", async () => {
  const healths: { taskArn: string; healthStatus: string }[] = [];
  const { fake, engine } = setup({ onHealth: (h) => healths.push(h) });
  await engine.start();
  const a = assigned("h1", [{ name: "app", image: "app:1", memory: 64, healthCheck: { command: ["CMD-SHELL", "true"] } }]);
  engine.reconcile([a]);
  const arn = a.task.taskArn ?? "";
  await eventually("running", () => fake.forContainer(arn, "app")?.status === "running");
  await eventually("UNKNOWN while starting", () => healths.at(-1)?.healthStatus === "UNKNOWN");
  fake.setHealth(fake.forContainer(arn, "app")?.id ?? "", "healthy");
  await eventually("HEALTHY", () => healths.at(-1)?.healthStatus === "HEALTHY");
  fake.setHealth(fake.forContainer(arn, "app")?.id ?? "", "unhealthy");
  await eventually("UNHEALTHY", () => healths.at(-1)?.healthStatus === "UNHEALTHY");
  assert.deepEqual(engine.healthReports()[0]?.containers, [{ name: "app", healthStatus: "UNHEALTHY" }]);
  await engine.stop();
});

test("environment files, overrides and secrets reach the container; an unreadable S3 file fails it clearly", async () => {
  const { fake, reports, engine } = setup({
    readEnvFile: (path) => (path === "/etc/app.env" ? Promise.resolve("# comment\nFROM_FILE=1\nSHARED=file\n") : Promise.reject(new Error("ENOENT"))),
    resolveSecret: (valueFrom) => Promise.resolve(`secret-of-${valueFrom}`),
  });
  await engine.start();
  const a = assigned(
    "e1",
    [
      {
        name: "app",
        image: "app:1",
        memory: 64,
        environment: [{ name: "SHARED", value: "def" }],
        environmentFiles: [{ type: "s3", value: "file:///etc/app.env" }],
        secrets: [{ name: "TOKEN", valueFrom: "arn:aws:ssm:us-east-1:000000000000:parameter/t" }],
      },
    ],
    {},
    { overrides: { containerOverrides: [{ name: "app", environment: [{ name: "FROM_OVERRIDE", value: "2" }] }] } },
  );
  engine.reconcile([a]);
  await eventually("RUNNING", () => last(reports, a.task.taskArn)?.status === "RUNNING");
  const env = fake.forContainer(a.task.taskArn ?? "", "app")?.spec.Env ?? [];
  for (const e of ["FROM_FILE=1", "SHARED=def", "FROM_OVERRIDE=2", "TOKEN=secret-of-arn:aws:ssm:us-east-1:000000000000:parameter/t"]) assert.ok(env.includes(e), e);

  const b = assigned("e2", [{ name: "app", image: "app:1", memory: 64, environmentFiles: [{ type: "s3", value: "arn:aws:s3:::bucket/app.env" }] }]);
  engine.reconcile([a, b]);
  await eventually("STOPPED", () => last(reports, b.task.taskArn)?.status === "STOPPED");
  assert.match(last(reports, b.task.taskArn)?.reason ?? "", /^ResourceInitializationError: environmentFiles from S3/);
  await engine.stop();
});

test("a crash between create and record is adopted by name, not duplicated", async () => {
  const { fake, reports, engine } = setup();
  await engine.start();
  const a = assigned("n1", [{ name: "app", image: "app:1", memory: 64 }]);
  // Pretend the create happened (same deterministic name and labels) but its answer was lost.
  const other = setup();
  await other.engine.start();
  other.engine.reconcile([a]);
  await eventually("created elsewhere", () => other.fake.forContainer(a.task.taskArn ?? "", "app") !== undefined);
  const leftover = other.fake.forContainer(a.task.taskArn ?? "", "app");
  await other.engine.stop();
  assert.ok(leftover);
  fake.containers.set(leftover.id, { ...leftover, status: "created", ports: [] });
  engine.reconcile([a]);
  await eventually("RUNNING", () => last(reports, a.task.taskArn)?.status === "RUNNING");
  assert.equal(fake.containers.size, 1);
  await engine.stop();
});

test("a broken Docker event stream is resubscribed, and what happened meanwhile is found by a resync", async () => {
  const { clock, fake, reports, engine } = setup({ resyncIntervalMs: 3_600_000 });
  await engine.start();
  const a = assigned("ev1", [{ name: "app", image: "app:1", memory: 64 }]);
  engine.reconcile([a]);
  await eventually("RUNNING", () => last(reports, a.task.taskArn)?.status === "RUNNING");
  fake.breakEventStreams();
  await settle(10);
  // The exit happens while nobody listens.
  fake.exit(fake.forContainer(a.task.taskArn ?? "", "app")?.id ?? "", 9);
  await settle(20);
  assert.equal(last(reports, a.task.taskArn)?.status, "RUNNING", "not seen yet");
  await clock.advance(1_000);
  await eventually("STOPPED after resubscribing", () => last(reports, a.task.taskArn)?.status === "STOPPED");
  assert.equal(last(reports, a.task.taskArn)?.containers?.[0]?.exitCode, 9);
  await engine.stop();
});

test("the periodic resync finds a change no event announced", async () => {
  const { clock, fake, reports, engine } = setup({ resyncIntervalMs: 10_000 });
  await engine.start();
  const a = assigned("rs1", [{ name: "app", image: "app:1", memory: 64 }]);
  engine.reconcile([a]);
  await eventually("RUNNING", () => last(reports, a.task.taskArn)?.status === "RUNNING");
  const c = fake.forContainer(a.task.taskArn ?? "", "app");
  assert.ok(c);
  // Change Docker's state behind the engine's back (no event).
  c.status = "exited";
  c.exitCode = 5;
  await clock.advance(10_000);
  await eventually("STOPPED", () => last(reports, a.task.taskArn)?.status === "STOPPED");
  assert.equal(last(reports, a.task.taskArn)?.containers?.[0]?.exitCode, 5);
  await engine.stop();
});
