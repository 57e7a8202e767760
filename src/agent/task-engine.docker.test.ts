// The task engine on the real Docker Engine with busybox containers: ports,
// essential exits, stop escalation, dependency order, restart adoption, the
// metadata endpoint and awsvpc. Each test uses its own agent id and removes
// everything labelled with it.

import { after, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type Docker from "dockerode";
import type { ContainerDefinition, TaskDefinition } from "../model/generated/ecs.js";
import type { AssignedTask } from "../protocol/channel.js";
import { labels } from "./container-config.js";
import { DockerEngineRuntime } from "./docker-engine-runtime.js";
import { awsvpcNetworkName, DockerTaskEngine, type TaskEngineConfig } from "./task-engine.js";
import { busyboxImage, ensureBusyboxImage } from "../../test/kit/agent/busybox-image.js";
import { dockerForTests, removeAgentObjects, waitUntil } from "../../test/kit/agent/docker-test-support.js";
import { RecordingReporter } from "../../test/kit/agent/recording-reporter.js";

const docker = await dockerForTests();
if (docker) await ensureBusyboxImage(docker);

const agents: string[] = [];
after(async () => {
  if (docker) for (const id of agents) await removeAgentObjects(docker, id);
});

function newAgentId(): string {
  const id = `itest-${randomBytes(4).toString("hex")}`;
  agents.push(id);
  return id;
}

function engineFor(agentId: string, reporter: RecordingReporter, over: Partial<TaskEngineConfig> = {}): DockerTaskEngine {
  return new DockerTaskEngine({
    agentId,
    runtime: new DockerEngineRuntime(),
    reporter,
    imagePullBehavior: "prefer-cached",
    stopTimeoutSeconds: 2,
    metadata: { bindAddress: "0.0.0.0", port: 0 },
    resyncIntervalMs: 5_000,
    reportBackoff: { initialMs: 100, maxMs: 1_000 },
    ...over,
  });
}

let seq = 0;
function assigned(containers: ContainerDefinition[], td: Partial<TaskDefinition> = {}, task: Partial<AssignedTask["task"]> = {}): AssignedTask {
  const id = `${randomBytes(8).toString("hex")}${seq++}`;
  return {
    task: {
      taskArn: `arn:aws:ecs:us-east-1:000000000000:task/itest/${id}`,
      clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/itest",
      desiredStatus: "RUNNING",
      lastStatus: "PENDING",
      containers: containers.map(({ name }) => ({ ...(name === undefined ? {} : { name }), containerArn: `arn:aws:ecs:us-east-1:000000000000:container/itest/${id}/${name}` })),
      ...task,
    },
    taskDefinition: { family: "itest", revision: 1, containerDefinitions: containers, ...td },
  };
}

/** A shell loop that exits promptly on SIGTERM (busybox sleep as PID 1 would ignore it). */
const idle = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"];
const httpd = (port: number) => ["sh", "-c", `trap 'exit 0' TERM; mkdir -p /www && echo hello-berth > /www/index.html && httpd -p ${port} -h /www && while true; do sleep 1; done`];

function needDocker(t: TestContext): Docker | undefined {
  if (!docker) t.skip("Docker is not available here");
  return docker;
}

async function containerOf(d: Docker, agentId: string, taskArn: string | undefined, name: string): Promise<Docker.ContainerInspectInfo> {
  const list = await d.listContainers({ all: true, filters: { label: [`${labels.agent}=${agentId}`, `${labels.taskArn}=${taskArn ?? ""}`, `${labels.containerName}=${name}`] } });
  assert.equal(list.length, 1, `exactly one ${name} container`);
  return d.getContainer(list[0]?.Id ?? "").inspect();
}

async function fetchText(url: string): Promise<string> {
  return waitUntil(`GET ${url}`, async () => (await fetch(url, { signal: AbortSignal.timeout(2_000) })).text(), 20_000);
}

async function logsOf(d: Docker, id: string): Promise<string> {
  const raw = await d.getContainer(id).logs({ stdout: true, stderr: true });
  // Docker multiplexes stdout and stderr in 8-byte-headed frames.
  const out: Buffer[] = [];
  for (let i = 0; i + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(i + 4);
    out.push(raw.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(out).toString("utf8");
}

test("bridge: busybox httpd with hostPort 0 answers on the reported host port", async (t) => {
  const d = needDocker(t);
  if (!d) return;
  const agentId = newAgentId();
  const reporter = new RecordingReporter();
  const engine = engineFor(agentId, reporter);
  await engine.start();
  try {
    const a = assigned([{ name: "web", image: busyboxImage, memory: 32, command: httpd(8080), portMappings: [{ containerPort: 8080, hostPort: 0 }] }]);
    engine.reconcile([a]);
    const running = await reporter.waitFor((r) => r.task === a.task.taskArn && r.status === "RUNNING", 30_000, "RUNNING");
    const binding = running.containers?.[0]?.networkBindings?.[0];
    assert.ok(binding?.hostPort && binding.hostPort >= 49153, `a dynamic host port: ${JSON.stringify(binding)}`);
    assert.equal(binding.containerPort, 8080);
    assert.equal((await fetchText(`http://127.0.0.1:${binding.hostPort}/`)).trim(), "hello-berth");
    const info = await containerOf(d, agentId, a.task.taskArn, "web");
    assert.equal(info.Config.Labels[labels.family], "itest");
    assert.equal(info.HostConfig.Memory, 32 * 1024 * 1024);
    engine.reconcile([{ ...a, task: { ...a.task, desiredStatus: "STOPPED" } }]);
    await reporter.waitFor((r) => r.task === a.task.taskArn && r.status === "STOPPED", 30_000, "STOPPED");
  } finally {
    await engine.stop();
  }
});

test("an essential container exiting 3 stops the task with its exit code and ECS's reason", async (t) => {
  const d = needDocker(t);
  if (!d) return;
  const agentId = newAgentId();
  const reporter = new RecordingReporter();
  const engine = engineFor(agentId, reporter);
  await engine.start();
  try {
    const a = assigned([
      { name: "main", image: busyboxImage, memory: 16, command: ["sh", "-c", "sleep 1; exit 3"] },
      { name: "side", image: busyboxImage, memory: 16, essential: false, command: idle },
    ]);
    engine.reconcile([a]);
    const stopped = await reporter.waitFor((r) => r.task === a.task.taskArn && r.status === "STOPPED", 30_000, "STOPPED");
    assert.equal(stopped.reason, "Essential container in task exited");
    assert.equal(stopped.containers?.find((c) => c.containerName === "main")?.exitCode, 3);
    assert.equal(stopped.containers?.find((c) => c.containerName === "side")?.status, "STOPPED");
    assert.ok(stopped.executionStoppedAt);
    assert.equal((await containerOf(d, agentId, a.task.taskArn, "side")).State.Running, false);
  } finally {
    await engine.stop();
  }
});

test("a container ignoring SIGTERM is killed once its stopTimeout passes", async (t) => {
  const d = needDocker(t);
  if (!d) return;
  const agentId = newAgentId();
  const reporter = new RecordingReporter();
  const engine = engineFor(agentId, reporter);
  await engine.start();
  try {
    const a = assigned([{ name: "stubborn", image: busyboxImage, memory: 16, stopTimeout: 3, command: ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"] }]);
    engine.reconcile([a]);
    await reporter.waitFor((r) => r.task === a.task.taskArn && r.status === "RUNNING", 30_000, "RUNNING");
    const began = Date.now();
    engine.reconcile([{ ...a, task: { ...a.task, desiredStatus: "STOPPED" } }]);
    const stopped = await reporter.waitFor((r) => r.task === a.task.taskArn && r.status === "STOPPED", 30_000, "STOPPED");
    const took = Date.now() - began;
    assert.ok(took >= 3_000, `waited the stop timeout (${took} ms)`);
    assert.ok(took < 3_000 + 5_000, `then killed promptly (${took} ms)`);
    assert.equal(stopped.containers?.[0]?.exitCode, 137, "SIGKILL");
  } finally {
    await engine.stop();
  }
});

test("dependsOn orders starts: SUCCESS after the init exits, HEALTHY after the health check passes", async (t) => {
  const d = needDocker(t);
  if (!d) return;
  const agentId = newAgentId();
  const reporter = new RecordingReporter();
  const engine = engineFor(agentId, reporter);
  await engine.start();
  try {
    const a = assigned([
      { name: "init", image: busyboxImage, memory: 16, essential: false, command: ["sh", "-c", "sleep 1; exit 0"] },
      {
        name: "db",
        image: busyboxImage,
        memory: 16,
        command: ["sh", "-c", "trap 'exit 0' TERM; sleep 2; touch /ready; while true; do sleep 1; done"],
        healthCheck: { command: ["CMD-SHELL", "test -f /ready"], interval: 1, timeout: 2, retries: 1 },
        dependsOn: [{ containerName: "init", condition: "SUCCESS" }],
      },
      { name: "web", image: busyboxImage, memory: 16, command: idle, dependsOn: [{ containerName: "db", condition: "HEALTHY" }] },
    ]);
    engine.reconcile([a]);
    await reporter.waitFor((r) => r.task === a.task.taskArn && r.status === "RUNNING", 60_000, "RUNNING");
    const [init, db, web] = await Promise.all(["init", "db", "web"].map((n) => containerOf(d, agentId, a.task.taskArn, n)));
    const at = (s: string | undefined) => Date.parse(s ?? "");
    assert.ok(at(db?.State.StartedAt) >= at(init?.State.FinishedAt), "db starts after init completed");
    assert.ok(at(web?.State.StartedAt) >= at(db?.State.StartedAt) + 2_000, "web starts only once db's check passes (after its 2 s warm-up)");
    assert.equal(db?.State.Health?.Status, "healthy");
    assert.deepEqual(engine.healthReports().find((h) => h.taskArn === a.task.taskArn)?.containers, [{ name: "db", healthStatus: "HEALTHY" }]);
    engine.reconcile([{ ...a, task: { ...a.task, desiredStatus: "STOPPED" } }]);
    await reporter.waitFor((r) => r.task === a.task.taskArn && r.status === "STOPPED", 30_000, "STOPPED");
  } finally {
    await engine.stop();
  }
});

test("agent restart: a new engine adopts running containers, reports an exit from while it was down, and stops what is no longer assigned", async (t) => {
  const d = needDocker(t);
  if (!d) return;
  const agentId = newAgentId();
  const first = new RecordingReporter();
  const engine1 = engineFor(agentId, first);
  await engine1.start();
  const keep = assigned([
    { name: "main", image: busyboxImage, memory: 16, command: idle },
    { name: "side", image: busyboxImage, memory: 16, essential: false, command: idle },
  ]);
  const drop = assigned([{ name: "app", image: busyboxImage, memory: 16, command: idle }]);
  engine1.reconcile([keep, drop]);
  await first.waitFor((r) => r.task === keep.task.taskArn && r.status === "RUNNING", 30_000, "keep RUNNING");
  await first.waitFor((r) => r.task === drop.task.taskArn && r.status === "RUNNING", 30_000, "drop RUNNING");
  await engine1.stop();

  // While no agent runs, a container dies.
  const side = await containerOf(d, agentId, keep.task.taskArn, "side");
  await d.getContainer(side.Id).kill({ signal: "SIGKILL" });

  const second = new RecordingReporter();
  const engine2 = engineFor(agentId, second);
  await engine2.start();
  try {
    const report = await second.waitFor((r) => r.task === keep.task.taskArn, 10_000, "a report of the adopted task");
    assert.equal(report.status, "RUNNING");
    assert.equal(report.containers?.find((c) => c.containerName === "side")?.status, "STOPPED");
    assert.equal(report.containers?.find((c) => c.containerName === "side")?.exitCode, 137);
    assert.equal(report.containers?.find((c) => c.containerName === "main")?.runtimeId, (await containerOf(d, agentId, keep.task.taskArn, "main")).Id);

    engine2.reconcile([keep]);
    await waitUntil("the unassigned task's container is removed", async () => {
      const left = await d.listContainers({ all: true, filters: { label: [`${labels.taskArn}=${drop.task.taskArn ?? ""}`] } });
      return left.length === 0 ? true : undefined;
    });
    const mine = await d.listContainers({ all: true, filters: { label: [`${labels.agent}=${agentId}`] } });
    assert.equal(mine.length, 2, "no duplicates: keep's two containers, nothing else");
    assert.equal((await containerOf(d, agentId, keep.task.taskArn, "main")).State.Running, true);
  } finally {
    await engine2.stop();
  }
});

test("the metadata endpoint answers from inside a bridge container", async (t) => {
  const d = needDocker(t);
  if (!d) return;
  const agentId = newAgentId();
  const reporter = new RecordingReporter();
  const engine = engineFor(agentId, reporter);
  await engine.start();
  try {
    const a = assigned([
      {
        name: "probe",
        image: busyboxImage,
        memory: 16,
        command: ["sh", "-c", 'sleep 1; wget -qO- "$ECS_CONTAINER_METADATA_URI_V4/task"; echo; echo ===; wget -qO- "$ECS_CONTAINER_METADATA_URI_V4"; echo; echo ===; wget -qO- "$ECS_CONTAINER_METADATA_URI_V4/stats"'],
      },
    ]);
    engine.reconcile([a]);
    await reporter.waitFor((r) => r.task === a.task.taskArn && r.status === "STOPPED", 30_000, "STOPPED");
    const probe = await containerOf(d, agentId, a.task.taskArn, "probe");
    const [taskJson = "", containerJson = "", statsJson = ""] = (await logsOf(d, probe.Id)).split("===");
    const task = JSON.parse(taskJson) as { TaskARN: string; Family: string; Containers: { Name: string; DockerId: string }[] };
    assert.equal(task.TaskARN, a.task.taskArn);
    assert.equal(task.Family, "itest");
    assert.deepEqual(
      task.Containers.map((c) => [c.Name, c.DockerId]),
      [["probe", probe.Id]],
    );
    const container = JSON.parse(containerJson) as { Name: string; Labels: Record<string, string> };
    assert.equal(container.Name, "probe");
    assert.equal(container.Labels[labels.agent], agentId);
    const stats = JSON.parse(statsJson) as Record<string, unknown>;
    assert.ok("memory_stats" in stats && "cpu_stats" in stats, "Docker's live stats");
    assert.equal(probe.State.ExitCode, 0);
  } finally {
    await engine.stop();
  }
});

test("awsvpc: the task answers on its own IP, its containers share the namespace, and metadata is reachable", async (t) => {
  const d = needDocker(t);
  if (!d) return;
  const agentId = newAgentId();
  const reporter = new RecordingReporter();
  // A /24 unlikely to be in use on a test machine.
  const octet = 100 + (randomBytes(1)[0] ?? 0) % 100;
  const subnet = `10.${octet}.213.0/24`;
  const ip = `10.${octet}.213.10`;
  const engine = engineFor(agentId, reporter, { awsvpc: { subnet } });
  await engine.start();
  try {
    const network = await d.getNetwork(awsvpcNetworkName(agentId)).inspect();
    assert.equal((network as { IPAM: { Config: { Subnet: string }[] } }).IPAM.Config[0]?.Subnet, subnet);
    const a = assigned(
      [
        { name: "web", image: busyboxImage, memory: 16, command: httpd(8080), portMappings: [{ containerPort: 8080 }] },
        {
          name: "probe",
          image: busyboxImage,
          memory: 16,
          essential: false,
          command: ["sh", "-c", 'sleep 1; wget -qO- http://127.0.0.1:8080/; echo ===; wget -qO- "$ECS_CONTAINER_METADATA_URI_V4/task"'],
          dependsOn: [{ containerName: "web", condition: "START" }],
        },
      ],
      { networkMode: "awsvpc" },
      { attachments: [{ id: "eni-1", type: "ElasticNetworkInterface", status: "PRECREATED", details: [{ name: "privateIPv4Address", value: ip }, { name: "subnetId", value: "subnet-itest" }, { name: "macAddress", value: "0a:12:34:56:78:9a" }] }] },
    );
    engine.reconcile([a]);
    const running = await reporter.waitFor((r) => r.task === a.task.taskArn && r.status === "RUNNING", 30_000, "RUNNING");
    assert.deepEqual(running.attachments, [{ attachmentArn: "eni-1", status: "ATTACHED" }]);
    assert.equal((await fetchText(`http://${ip}:8080/`)).trim(), "hello-berth");
    const holder = await containerOf(d, agentId, a.task.taskArn, "~internal~ecs~pause");
    const endpoint = holder.NetworkSettings.Networks[awsvpcNetworkName(agentId)];
    assert.equal(endpoint?.IPAddress, ip);
    assert.equal(endpoint?.MacAddress, "0a:12:34:56:78:9a", "the ENI's MAC");

    await reporter.waitFor((r) => r.task === a.task.taskArn && r.containers?.find((c) => c.containerName === "probe")?.status === "STOPPED", 30_000, "probe done");
    const probe = await containerOf(d, agentId, a.task.taskArn, "probe");
    const [page = "", taskJson = ""] = (await logsOf(d, probe.Id)).split("===");
    assert.equal(page.trim(), "hello-berth", "localhost is the task's shared namespace");
    const task = JSON.parse(taskJson) as { TaskARN: string; Containers: { Name: string; Networks: { NetworkMode: string; IPv4Addresses: string[] }[] }[] };
    assert.equal(task.TaskARN, a.task.taskArn);
    assert.deepEqual(task.Containers.find((c) => c.Name === "web")?.Networks[0], {
      NetworkMode: "awsvpc",
      IPv4Addresses: [ip],
      AttachmentIndex: 0,
      MACAddress: "0a:12:34:56:78:9a",
      IPv4SubnetCIDRBlock: subnet,
      SubnetGatewayIpv4Address: `10.${octet}.213.1/24`,
    });

    engine.reconcile([{ ...a, task: { ...a.task, desiredStatus: "STOPPED" } }]);
    const stopped = await reporter.waitFor((r) => r.task === a.task.taskArn && r.status === "STOPPED", 30_000, "STOPPED");
    assert.deepEqual(stopped.attachments, [{ attachmentArn: "eni-1", status: "DETACHED" }]);
  } finally {
    await engine.stop();
  }
});
