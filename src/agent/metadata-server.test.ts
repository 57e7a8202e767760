import { test } from "node:test";
import assert from "node:assert/strict";
import { startMetadataServer, type MetadataSource } from "./metadata-server.js";
import type { TaskSnapshot } from "./task-snapshot.js";

const task: TaskSnapshot = {
  taskArn: "arn:aws:ecs:us-east-1:000000000000:task/default/abc",
  clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/default",
  family: "web",
  revision: "4",
  networkMode: "bridge",
  desired: "RUNNING",
  known: "RUNNING",
  health: "UNKNOWN",
  limits: { cpu: 0.25, memory: 512 },
  pullStartedAt: new Date("2025-01-01T00:00:00Z"),
  pullStoppedAt: new Date("2025-01-01T00:00:01Z"),
  launchType: "EC2",
  serviceName: "svc",
  tags: { team: "a" },
  containers: [
    {
      name: "app",
      role: "app",
      essential: true,
      containerArn: "arn:aws:ecs:us-east-1:000000000000:container/default/abc/app",
      dockerId: "d1",
      dockerName: "ecs-web-4-app-x",
      image: "app:1",
      imageId: "sha256:i",
      labels: { "com.amazonaws.ecs.container-name": "app" },
      desired: "RUNNING",
      known: "RUNNING",
      health: "HEALTHY",
      healthSince: new Date("2025-01-01T00:00:05Z"),
      cpu: 256,
      memory: 128,
      startedAt: new Date("2025-01-01T00:00:02Z"),
      networkBindings: [{ bindIP: "0.0.0.0", containerPort: 80, hostPort: 49153, protocol: "tcp" }],
      ipv4Addresses: ["172.17.0.5"],
      metadataToken: "tok-app",
    },
    { name: "~internal~ecs~pause", role: "pause", essential: false, dockerName: "p", image: "berth/pause:1", labels: {}, desired: "RUNNING", known: "RUNNING", cpu: 0, networkBindings: [], ipv4Addresses: [], metadataToken: "tok-pause" },
  ],
};

const source: MetadataSource = {
  findByToken: (token) => {
    const container = task.containers.find((c) => c.metadataToken === token);
    return container ? { task, container } : undefined;
  },
  stats: (id) => Promise.resolve({ id, cpu_stats: {} }),
};

test("v4 container, task, stats and task stats answer in ECS's shapes; unknown tokens get 404", async () => {
  const server = await startMetadataServer({ host: "127.0.0.1", port: 0, source });
  const base = `http://127.0.0.1:${server.port}/v4/tok-app`;
  try {
    const container = (await (await fetch(base)).json()) as Record<string, unknown>;
    assert.equal(container["DockerId"], "d1");
    assert.equal(container["Name"], "app");
    assert.equal(container["DockerName"], "ecs-web-4-app-x");
    assert.equal(container["KnownStatus"], "RUNNING");
    assert.equal(container["Type"], "NORMAL");
    assert.deepEqual(container["Limits"], { CPU: 256, Memory: 128 });
    assert.deepEqual(container["Ports"], [{ ContainerPort: 80, Protocol: "tcp", HostPort: 49153, HostIp: "0.0.0.0" }]);
    assert.deepEqual(container["Networks"], [{ NetworkMode: "bridge", IPv4Addresses: ["172.17.0.5"] }]);
    assert.deepEqual(container["Health"], { status: "HEALTHY", statusSince: "2025-01-01T00:00:05.000Z" });
    assert.equal(container["ContainerARN"], "arn:aws:ecs:us-east-1:000000000000:container/default/abc/app");

    const t = (await (await fetch(`${base}/task`)).json()) as Record<string, unknown>;
    assert.equal(t["TaskARN"], task.taskArn);
    assert.equal(t["Cluster"], task.clusterArn);
    assert.equal(t["Family"], "web");
    assert.equal(t["Revision"], "4");
    assert.deepEqual(t["Limits"], { CPU: 0.25, Memory: 512 });
    assert.equal(t["PullStartedAt"], "2025-01-01T00:00:00.000Z");
    assert.equal(t["ServiceName"], "svc");
    assert.equal((t["Containers"] as unknown[]).length, 1, "the namespace holder is not listed");
    assert.equal(t["TaskTags"], undefined);
    const tagged = (await (await fetch(`${base}/taskWithTags`)).json()) as Record<string, unknown>;
    assert.deepEqual(tagged["TaskTags"], { team: "a" });

    assert.deepEqual(await (await fetch(`${base}/stats`)).json(), { id: "d1", cpu_stats: {} });
    assert.deepEqual(await (await fetch(`${base}/task/stats`)).json(), { d1: { id: "d1", cpu_stats: {} } });
    const v3 = (await (await fetch(`http://127.0.0.1:${server.port}/v3/tok-app/task`)).json()) as Record<string, unknown>;
    assert.equal(v3["TaskARN"], task.taskArn);
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/v4/nope`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/`)).status, 404);
  } finally {
    await server.close();
  }
});
