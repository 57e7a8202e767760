import { test } from "node:test";
import assert from "node:assert/strict";
import type { ContainerDefinition, Task, TaskDefinition } from "../model/generated/ecs.js";
import {
  applyOverrides,
  awsvpcAttachment,
  ContainerConfigError,
  containerSpec,
  dockerContainerName,
  envFilePath,
  labels,
  logSettings,
  networkBindings,
  parseEnvFile,
  parseTaskContainersMemo,
  parseTaskMemoryMiB,
  pauseSpec,
  planVolume,
  portRequests,
  taskContainersMemo,
  type ContainerConfigInput,
} from "./container-config.js";

const MiB = 1024 * 1024;
const task: Task = { taskArn: "arn:aws:ecs:us-east-1:000000000000:task/default/abc123", clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/default" };
const td: TaskDefinition = { family: "web", revision: 7, containerDefinitions: [{ name: "app", image: "app:1" }, { name: "init", image: "app:1", essential: false }] };

function input(container: ContainerDefinition, over: Partial<ContainerConfigInput> = {}): ContainerConfigInput {
  return {
    agentId: "agent-1",
    task,
    taskDefinition: td,
    container,
    networkMode: "bridge",
    hostPorts: [],
    dockerNames: { app: "ecs-web-7-app-x", init: "ecs-web-7-init-y", db: "ecs-web-7-db-z" },
    volumeSources: {},
    fileEnvironment: [],
    secretEnvironment: [],
    metadata: { v4: "http://172.17.0.1:51679/v4/tok", v3: "http://172.17.0.1:51679/v3/tok" },
    metadataToken: "tok",
    region: "us-east-1",
    ...over,
  };
}

test("every container carries ECS's labels and the agent's identity; dockerLabels cannot override them", () => {
  const spec = containerSpec(input({ name: "app", image: "app:1", dockerLabels: { team: "a", [labels.cluster]: "spoofed" } }));
  assert.deepEqual(
    {
      cluster: spec.Labels[labels.cluster],
      task: spec.Labels[labels.taskArn],
      name: spec.Labels[labels.containerName],
      family: spec.Labels[labels.family],
      version: spec.Labels[labels.version],
      agent: spec.Labels[labels.agent],
      team: spec.Labels["team"],
      memo: spec.Labels[labels.taskContainers],
    },
    {
      cluster: task.clusterArn,
      task: task.taskArn,
      name: "app",
      family: "web",
      version: "7",
      agent: "agent-1",
      team: "a",
      memo: "app!,init",
    },
  );
});

test("process settings: entryPoint, command, workingDirectory, user, hostname, environment with the metadata URIs last", () => {
  const spec = containerSpec(
    input(
      { name: "app", image: "app:1", entryPoint: ["/bin/sh", "-c"], command: ["echo hi"], workingDirectory: "/w", user: "1000:1000", hostname: "h", environment: [{ name: "A", value: "1" }, { name: "ECS_CONTAINER_METADATA_URI_V4", value: "mine" }] },
      { fileEnvironment: [{ name: "A", value: "file" }, { name: "F", value: "2" }], secretEnvironment: [{ name: "S", value: "3" }] },
    ),
  );
  assert.deepEqual(spec.Entrypoint, ["/bin/sh", "-c"]);
  assert.deepEqual(spec.Cmd, ["echo hi"]);
  assert.equal(spec.WorkingDir, "/w");
  assert.equal(spec.User, "1000:1000");
  assert.equal(spec.Hostname, "h");
  assert.deepEqual(spec.Env, [
    "A=1",
    "F=2",
    "ECS_CONTAINER_METADATA_URI_V4=http://172.17.0.1:51679/v4/tok",
    "S=3",
    "ECS_CONTAINER_METADATA_URI=http://172.17.0.1:51679/v3/tok",
    "AWS_EXECUTION_ENV=AWS_ECS_EC2",
  ]);
});

test("overrides replace command and resources and merge environment by name", () => {
  const def: ContainerDefinition = { name: "app", image: "app:1", command: ["a"], cpu: 10, memory: 64, environment: [{ name: "X", value: "1" }, { name: "Y", value: "1" }] };
  const t: Task = { ...task, overrides: { containerOverrides: [{ name: "app", command: ["b"], cpu: 20, memory: 128, memoryReservation: 32, environment: [{ name: "Y", value: "2" }, { name: "Z", value: "3" }] }] } };
  const eff = applyOverrides(def, t);
  assert.deepEqual(eff.command, ["b"]);
  assert.equal(eff.cpu, 20);
  assert.equal(eff.memory, 128);
  assert.equal(eff.memoryReservation, 32);
  assert.deepEqual(eff.environment, [
    { name: "X", value: "1" },
    { name: "Y", value: "2" },
    { name: "Z", value: "3" },
  ]);
  assert.equal(applyOverrides(def, task), def);
});

test("resources: cpu shares (minimum 2), hard and soft memory, swap, task memory as the fallback limit", () => {
  const h = containerSpec(input({ name: "app", image: "app:1", cpu: 256, memory: 128, memoryReservation: 64, linuxParameters: { maxSwap: 32, swappiness: 10 } })).HostConfig;
  assert.equal(h.CpuShares, 256);
  assert.equal(h.Memory, 128 * MiB);
  assert.equal(h.MemoryReservation, 64 * MiB);
  assert.equal(h.MemorySwap, 160 * MiB);
  assert.equal(h.MemorySwappiness, 10);
  assert.equal(containerSpec(input({ name: "app", image: "app:1" })).HostConfig.CpuShares, 2);
  const onlyTask = containerSpec(input({ name: "app", image: "app:1" }, { taskDefinition: { ...td, memory: "0.5GB" } })).HostConfig;
  assert.equal(onlyTask.Memory, 512 * MiB);
  const soft = containerSpec(input({ name: "app", image: "app:1", memoryReservation: 50 }, { taskDefinition: { ...td, memory: "512" } })).HostConfig;
  assert.equal(soft.Memory, undefined, "a soft limit alone sets no hard limit");
  assert.equal(parseTaskMemoryMiB("1 GB"), 1024);
  assert.equal(parseTaskMemoryMiB("nonsense"), undefined);
});

test("linuxParameters, ulimits, privileged, read-only root, security options, sysctls", () => {
  const h = containerSpec(
    input({
      name: "app",
      image: "app:1",
      privileged: true,
      readonlyRootFilesystem: true,
      ulimits: [{ name: "nofile", softLimit: 1024, hardLimit: 2048 }],
      dockerSecurityOptions: ["no-new-privileges"],
      systemControls: [{ namespace: "net.core.somaxconn", value: "1024" }],
      linuxParameters: {
        initProcessEnabled: true,
        capabilities: { add: ["NET_ADMIN"], drop: ["MKNOD"] },
        sharedMemorySize: 64,
        tmpfs: [{ containerPath: "/tmp", size: 16, mountOptions: ["noexec"] }],
        devices: [{ hostPath: "/dev/null", containerPath: "/dev/n", permissions: ["read", "write"] }, { hostPath: "/dev/zero" }],
      },
    }),
  ).HostConfig;
  assert.equal(h.Privileged, true);
  assert.equal(h.ReadonlyRootfs, true);
  assert.deepEqual(h.Ulimits, [{ Name: "nofile", Soft: 1024, Hard: 2048 }]);
  assert.equal(h.Init, true);
  assert.deepEqual(h.CapAdd, ["NET_ADMIN"]);
  assert.deepEqual(h.CapDrop, ["MKNOD"]);
  assert.equal(h.ShmSize, 64 * MiB);
  assert.deepEqual(h.Tmpfs, { "/tmp": "size=16m,noexec" });
  assert.deepEqual(h.Devices, [
    { PathOnHost: "/dev/null", PathInContainer: "/dev/n", CgroupPermissions: "rw" },
    { PathOnHost: "/dev/zero", PathInContainer: "/dev/zero", CgroupPermissions: "rwm" },
  ]);
  assert.deepEqual(h.SecurityOpt, ["no-new-privileges"]);
  assert.deepEqual(h.Sysctls, { "net.core.somaxconn": "1024" });
});

test("bridge networking: published ports, links, DNS and extra hosts", () => {
  const spec = containerSpec(
    input(
      { name: "app", image: "app:1", links: ["db:database", "init"], dnsServers: ["1.1.1.1"], dnsSearchDomains: ["corp"], extraHosts: [{ hostname: "x", ipAddress: "10.0.0.1" }] },
      { hostPorts: [{ containerPort: 80, hostPort: 49153, protocol: "tcp" }, { containerPort: 53, hostPort: 8053, protocol: "udp" }] },
    ),
  );
  assert.deepEqual(spec.ExposedPorts, { "80/tcp": {}, "53/udp": {} });
  assert.deepEqual(spec.HostConfig.PortBindings, { "80/tcp": [{ HostIp: "", HostPort: "49153" }], "53/udp": [{ HostIp: "", HostPort: "8053" }] });
  assert.deepEqual(spec.HostConfig.Links, ["ecs-web-7-db-z:database", "ecs-web-7-init-y:init"]);
  assert.deepEqual(spec.HostConfig.Dns, ["1.1.1.1"]);
  assert.deepEqual(spec.HostConfig.DnsSearch, ["corp"]);
  assert.deepEqual(spec.HostConfig.ExtraHosts, ["x:10.0.0.1"]);
  assert.equal(spec.HostConfig.NetworkMode, "bridge");
});

test("host, none and awsvpc networking", () => {
  const def: ContainerDefinition = { name: "app", image: "app:1", hostname: "h", links: ["db"], dnsServers: ["1.1.1.1"], portMappings: [{ containerPort: 80 }] };
  const host = containerSpec(input(def, { networkMode: "host" }));
  assert.equal(host.HostConfig.NetworkMode, "host");
  assert.equal(host.HostConfig.PortBindings, undefined);
  assert.equal(host.HostConfig.Links, undefined);
  assert.equal(containerSpec(input(def, { networkMode: "none" })).HostConfig.NetworkMode, "none");
  const vpc = containerSpec(input(def, { networkMode: "awsvpc", pauseContainerId: "p123" }));
  assert.equal(vpc.HostConfig.NetworkMode, "container:p123");
  assert.equal(vpc.Hostname, undefined, "Docker refuses a hostname on a joined namespace");
  assert.equal(vpc.HostConfig.Dns, undefined);
  assert.throws(() => containerSpec(input(def, { networkMode: "awsvpc" })), ContainerConfigError);
  assert.deepEqual(portRequests(def, "awsvpc"), []);
  assert.deepEqual(portRequests({ ...def, portMappings: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81, protocol: "udp" }] }, "bridge"), [
    { containerPort: 80, hostPort: 8080, protocol: "tcp" },
    { containerPort: 81, protocol: "udp" },
  ]);
  assert.throws(() => portRequests({ ...def, portMappings: [{ containerPortRange: "80-90" }] }, "bridge"), /containerPortRange/);
});

test("networkBindings: one per mapping from what Docker bound (bridge), the mappings themselves (host)", () => {
  const def: ContainerDefinition = { name: "app", portMappings: [{ containerPort: 80, protocol: "tcp" }] };
  assert.deepEqual(
    networkBindings("bridge", def, [
      { containerPort: 80, protocol: "tcp", hostIp: "::", hostPort: 49153 },
      { containerPort: 80, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 49153 },
    ]),
    [{ bindIP: "0.0.0.0", containerPort: 80, hostPort: 49153, protocol: "tcp" }],
  );
  assert.deepEqual(networkBindings("host", def, []), [{ bindIP: "0.0.0.0", containerPort: 80, hostPort: 80, protocol: "tcp" }]);
  assert.deepEqual(networkBindings("awsvpc", def, []), []);
});

test("volumes: host paths, task and shared Docker volumes, mountPoints and volumesFrom", () => {
  const tdv: TaskDefinition = {
    ...td,
    volumes: [
      { name: "host", host: { sourcePath: "/srv/data" } },
      { name: "anon", host: {} },
      { name: "scratch", dockerVolumeConfiguration: { scope: "task", driver: "local" } },
      { name: "cache", dockerVolumeConfiguration: { scope: "shared", autoprovision: true, driverOpts: { type: "tmpfs" } } },
      { name: "efs", efsVolumeConfiguration: { fileSystemId: "fs-1" } },
    ],
  };
  const vol = (n: string) => tdv.volumes?.find((v) => v.name === n) ?? {};
  assert.deepEqual(planVolume("a", task, tdv, vol("host")), { kind: "bind", hostPath: "/srv/data" });
  const anon = planVolume("a", task, tdv, vol("anon"));
  assert.equal(anon.kind === "volume" && anon.scope, "task");
  const scratch = planVolume("a", task, tdv, vol("scratch"));
  assert.ok(scratch.kind === "volume" && scratch.name.startsWith("ecs-web-7-scratch-") && scratch.autoprovision);
  assert.deepEqual(planVolume("a", task, tdv, vol("cache")), { kind: "volume", name: "cache", scope: "shared", autoprovision: true, driverOpts: { type: "tmpfs" } });
  assert.throws(() => planVolume("a", task, tdv, vol("efs")), /EFS/);

  const spec = containerSpec(
    input(
      { name: "app", image: "app:1", mountPoints: [{ sourceVolume: "host", containerPath: "/data", readOnly: true }, { sourceVolume: "cache", containerPath: "/cache" }], volumesFrom: [{ sourceContainer: "init", readOnly: true }] },
      { volumeSources: { host: { kind: "bind", hostPath: "/srv/data" }, cache: { kind: "volume", name: "cache" } } },
    ),
  );
  assert.deepEqual(spec.HostConfig.Binds, ["/srv/data:/data:ro", "cache:/cache"]);
  assert.deepEqual(spec.HostConfig.VolumesFrom, ["ecs-web-7-init-y:ro"]);
  assert.throws(() => containerSpec(input({ name: "app", image: "app:1", mountPoints: [{ sourceVolume: "nope", containerPath: "/x" }] })), /names no volume/);
});

test("health check: ECS defaults in Docker's nanoseconds; a bare command becomes CMD-SHELL", () => {
  const hc = containerSpec(input({ name: "app", image: "app:1", healthCheck: { command: ["CMD-SHELL", "wget -q localhost"], interval: 5, retries: 2, startPeriod: 10 } })).Healthcheck;
  assert.deepEqual(hc, { Test: ["CMD-SHELL", "wget -q localhost"], Interval: 5e9, Timeout: 5e9, Retries: 2, StartPeriod: 10e9 });
  assert.deepEqual(containerSpec(input({ name: "app", image: "app:1", healthCheck: { command: ["true"] } })).Healthcheck?.Test, ["CMD-SHELL", "true"]);
});

test("logs: json-file and other Docker drivers pass through; awslogs stays readable in json-file with a label for the shipper", () => {
  const json = logSettings({ name: "app", logConfiguration: { logDriver: "json-file", options: { "max-size": "1m" } } }, task, "us-east-1");
  assert.deepEqual(json.logConfig, { Type: "json-file", Config: { "max-size": "1m" } });
  const aws = logSettings({ name: "app", logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/ecs/web", "awslogs-stream-prefix": "web" } } }, task, "eu-west-1");
  assert.equal(aws.logConfig?.Type, "json-file");
  const meta = JSON.parse(aws.labels[labels.awslogs] ?? "{}") as { group: string; stream: string; region: string };
  assert.deepEqual([meta.group, meta.stream, meta.region], ["/ecs/web", "web/app/abc123", "eu-west-1"]);
  assert.deepEqual(logSettings({ name: "app" }, task, "x"), { labels: {} });
});

test("namespace modes: host passes through, task needs the awsvpc holder", () => {
  const host = containerSpec(input({ name: "app", image: "app:1" }, { taskDefinition: { ...td, pidMode: "host", ipcMode: "host" } }));
  assert.equal(host.HostConfig.PidMode, "host");
  assert.equal(host.HostConfig.IpcMode, "host");
  assert.throws(() => containerSpec(input({ name: "app", image: "app:1" }, { taskDefinition: { ...td, pidMode: "task" } })), /awsvpc/);
  const vpc = containerSpec(input({ name: "app", image: "app:1" }, { networkMode: "awsvpc", pauseContainerId: "p1", taskDefinition: { ...td, ipcMode: "task" } }));
  assert.equal(vpc.HostConfig.IpcMode, "container:p1");
});

test("the awsvpc holder: the ENI's IP and MAC on the managed network, and every container's DNS and hosts", () => {
  const t: Task = {
    ...task,
    attachments: [
      {
        id: "att-1",
        type: "ElasticNetworkInterface",
        details: [
          { name: "privateIPv4Address", value: "10.0.0.5" },
          { name: "macAddress", value: "02:42:0a:00:00:05" },
          { name: "subnetId", value: "subnet-1" },
        ],
      },
    ],
  };
  const attachment = awsvpcAttachment(t);
  assert.deepEqual(attachment, { ipv4Address: "10.0.0.5", macAddress: "02:42:0a:00:00:05", subnetId: "subnet-1", attachmentId: "att-1" });
  const tdv: TaskDefinition = { ...td, networkMode: "awsvpc", containerDefinitions: [{ name: "a", dnsServers: ["9.9.9.9"], extraHosts: [{ hostname: "h", ipAddress: "1.2.3.4" }] }] };
  const spec = pauseSpec({ agentId: "agent-1", task: t, taskDefinition: tdv, image: "berth/pause:1", network: "berth-awsvpc-agent-1", attachment: attachment ?? { ipv4Address: "" } });
  assert.equal(spec.HostConfig.NetworkMode, "berth-awsvpc-agent-1");
  assert.deepEqual(spec.NetworkingConfig?.EndpointsConfig["berth-awsvpc-agent-1"], { IPAMConfig: { IPv4Address: "10.0.0.5" }, MacAddress: "02:42:0a:00:00:05" });
  assert.deepEqual(spec.HostConfig.Dns, ["9.9.9.9"]);
  assert.deepEqual(spec.HostConfig.ExtraHosts, ["h:1.2.3.4"]);
  assert.equal(spec.Labels[labels.role], "pause");
  assert.equal(awsvpcAttachment(task), undefined);
});

test("names are deterministic per agent, task and container, and Docker-safe", () => {
  const a = dockerContainerName("agent-1", task, td, "app");
  assert.match(a, /^ecs-web-7-app-[0-9a-f]{20}$/);
  assert.equal(dockerContainerName("agent-1", task, td, "app"), a);
  assert.notEqual(dockerContainerName("agent-2", task, td, "app"), a);
  assert.match(dockerContainerName("agent-1", task, td, "~internal~ecs~pause"), /^ecs-web-7-internalecspause-/);
});

test("environment files: ECS's format, and where Berth reads them from", () => {
  assert.deepEqual(parseEnvFile("# c\n\nA=1\nB = two=2\nnot a pair\n C=3 \n"), [
    { name: "A", value: "1" },
    { name: "B", value: " two=2" },
    { name: "C", value: "3 " },
  ]);
  assert.equal(envFilePath("file:///etc/app%20x.env"), "/etc/app x.env");
  assert.equal(envFilePath("/etc/a.env"), "/etc/a.env");
  assert.throws(() => envFilePath("arn:aws:s3:::b/k"), /S3/);
  assert.throws(() => envFilePath("relative.env"), /absolute/);
});

test("the task's container memo survives a round trip", () => {
  assert.equal(taskContainersMemo(td), "app!,init");
  assert.deepEqual(parseTaskContainersMemo("app!,init"), [
    { name: "app", essential: true },
    { name: "init", essential: false },
  ]);
});
