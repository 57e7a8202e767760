// Pure translation from ECS's model to Docker's: a container definition, its
// task, the RunTask overrides, the chosen host ports and the network become a
// Docker create body. Everything the engine looked up (ports, volume names,
// file environments, secrets, metadata URIs) comes in as input.

import { createHash } from "node:crypto";
import type {
  ContainerDefinition,
  KeyValuePair,
  NetworkBinding,
  Task,
  TaskDefinition,
  Volume,
} from "../model/generated/ecs.js";
import type { ContainerSpec, HostConfigSpec } from "./docker-runtime.js";
import type { PortChoice, PortRequest } from "./ports.js";

/** Labels the agent puts on everything it creates; `berth.agent` scopes every lookup to this agent. */
export const labels = {
  cluster: "com.amazonaws.ecs.cluster",
  taskArn: "com.amazonaws.ecs.task-arn",
  containerName: "com.amazonaws.ecs.container-name",
  family: "com.amazonaws.ecs.task-definition-family",
  version: "com.amazonaws.ecs.task-definition-version",
  agent: "berth.agent",
  /** app | pause | volume | network */
  role: "berth.role",
  essential: "berth.essential",
  /** Every container of the task with an essential mark (`app!,init`), so a restarted agent knows the whole task. */
  taskContainers: "berth.task-containers",
  metadataToken: "berth.metadata-token",
  /** JSON of the awslogs settings, for the log shipper (the awslogs driver is not Docker's here). */
  awslogs: "berth.awslogs",
} as const;

/** ECS's own name for the namespace holder of an awsvpc task. */
export const pauseContainerName = "~internal~ecs~pause";

export type NetworkMode = "bridge" | "host" | "none" | "awsvpc";

/** Refusals the engine reports as the container's reason. */
export class ContainerConfigError extends Error {
  override readonly name = "ContainerConfigError";
}

export function taskNetworkMode(td: TaskDefinition): NetworkMode {
  // ECS's default on Linux container instances is bridge.
  const mode = td.networkMode ?? "bridge";
  if (mode === "bridge" || mode === "host" || mode === "none" || mode === "awsvpc") return mode;
  throw new ContainerConfigError(`networkMode ${String(mode)} is not supported on Linux`);
}

/** The container definition as RunTask's containerOverrides leave it. */
export function applyOverrides(def: ContainerDefinition, task: Task): ContainerDefinition {
  const o = task.overrides?.containerOverrides?.find((x) => x.name === def.name);
  if (!o) return def;
  return {
    ...def,
    ...(o.command ? { command: o.command } : {}),
    ...(o.environment ? { environment: mergeEnvironment(def.environment ?? [], o.environment) } : {}),
    ...(o.environmentFiles ? { environmentFiles: o.environmentFiles } : {}),
    ...(o.cpu !== undefined ? { cpu: o.cpu } : {}),
    ...(o.memory !== undefined ? { memory: o.memory } : {}),
    ...(o.memoryReservation !== undefined ? { memoryReservation: o.memoryReservation } : {}),
  };
}

/** Later entries win, by name; order of first appearance is kept. */
export function mergeEnvironment(...lists: readonly (readonly KeyValuePair[])[]): KeyValuePair[] {
  const out = new Map<string, string>();
  for (const list of lists) for (const kv of list) if (kv.name) out.set(kv.name, kv.value ?? "");
  return [...out].map(([name, value]) => ({ name, value }));
}

/**
 * An environment file as ECS reads it: `NAME=VALUE` per line, `#` comments and
 * blank lines ignored, no quoting or escaping (the value is everything after the first `=`).
 */
export function parseEnvFile(content: string): KeyValuePair[] {
  const out: KeyValuePair[] = [];
  for (const raw of content.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    out.push({ name: line.slice(0, eq).trim(), value: raw.slice(raw.indexOf("=") + 1) });
  }
  return out;
}

/** Where an environmentFiles entry is read from on the agent host, or why it cannot be. */
export function envFilePath(value: string): string {
  if (value.startsWith("file://")) return decodeURIComponent(new URL(value).pathname);
  if (value.startsWith("/")) return value;
  if (value.startsWith("arn:")) throw new ContainerConfigError(`environmentFiles from S3 (${value}) are not available in Berth; use file:///path on the agent host`);
  throw new ContainerConfigError(`environmentFiles value ${value} is neither file:///path nor an absolute path`);
}

/** MiB from a task-level size: "512", "1 GB", "0.5GB". */
export function parseTaskMemoryMiB(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const gb = /^\s*(\d+(?:\.\d+)?)\s*gb\s*$/i.exec(value);
  if (gb) return Math.round(Number(gb[1]) * 1024);
  const n = Number(value.trim());
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function hash(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\n")).digest("hex");
}

function dockerSafe(s: string): string {
  return s.replace(/[^a-zA-Z0-9_.-]/g, "").slice(0, 100) || "x";
}

/**
 * ECS's naming (`ecs-family-revision-name-<20 hex>`), but deterministic for one
 * agent, task and container: a create retried after a crash collides by name
 * instead of making a duplicate.
 */
export function dockerContainerName(agentId: string, task: Task, td: TaskDefinition, containerName: string): string {
  return `ecs-${dockerSafe(td.family ?? "task")}-${td.revision ?? 0}-${dockerSafe(containerName)}-${hash(agentId, task.taskArn ?? "", containerName).slice(0, 20)}`;
}

/** The Docker volume behind a task-scoped volume (or a host volume without sourcePath). */
export function taskVolumeName(agentId: string, task: Task, td: TaskDefinition, volumeName: string): string {
  return `ecs-${dockerSafe(td.family ?? "task")}-${td.revision ?? 0}-${dockerSafe(volumeName)}-${hash(agentId, task.taskArn ?? "", "volume", volumeName).slice(0, 20)}`;
}

/** The last part of a task ARN: ECS's task id, used in log stream names. */
export function taskId(taskArn: string): string {
  return taskArn.split("/").pop() ?? taskArn;
}

export function taskContainersMemo(td: TaskDefinition): string {
  return (td.containerDefinitions ?? []).map((c) => `${c.name ?? ""}${c.essential === false ? "" : "!"}`).join(",");
}

export function parseTaskContainersMemo(memo: string | undefined): { name: string; essential: boolean }[] {
  if (!memo) return [];
  return memo
    .split(",")
    .filter(Boolean)
    .map((s) => (s.endsWith("!") ? { name: s.slice(0, -1), essential: true } : { name: s, essential: false }));
}

/** The labels every Docker object of a task carries. */
export function taskLabels(agentId: string, task: Task, td: TaskDefinition): Record<string, string> {
  return {
    [labels.cluster]: task.clusterArn ?? "",
    [labels.taskArn]: task.taskArn ?? "",
    [labels.family]: td.family ?? "",
    [labels.version]: String(td.revision ?? ""),
    [labels.agent]: agentId,
    [labels.taskContainers]: taskContainersMemo(td),
  };
}

/** How a task volume is mounted: a host directory, or a Docker volume by name. */
export type VolumeSource = { readonly kind: "bind"; readonly hostPath: string } | { readonly kind: "volume"; readonly name: string };

/** What the engine must provide for a task volume before containers mount it. */
export type VolumePlan =
  | { readonly kind: "bind"; readonly hostPath: string }
  | {
      readonly kind: "volume";
      readonly name: string;
      readonly scope: "task" | "shared";
      readonly autoprovision: boolean;
      readonly driver?: string;
      readonly driverOpts?: Readonly<Record<string, string>>;
      readonly labels?: Readonly<Record<string, string>>;
    };

export function planVolume(agentId: string, task: Task, td: TaskDefinition, v: Volume): VolumePlan {
  const name = v.name ?? "";
  if (v.efsVolumeConfiguration || v.fsxWindowsFileServerVolumeConfiguration || v.s3filesVolumeConfiguration) {
    throw new ContainerConfigError(`volume ${name}: EFS, FSx and S3 Files volumes are not available in Berth; use host or dockerVolumeConfiguration`);
  }
  if (v.configuredAtLaunch) throw new ContainerConfigError(`volume ${name}: volumes configured at launch (EBS) are not available in Berth`);
  const d = v.dockerVolumeConfiguration;
  if (d) {
    const scope = d.scope ?? "task";
    return {
      kind: "volume",
      // A shared volume is the Docker volume of that name; a task volume is the task's own.
      name: scope === "shared" ? name : taskVolumeName(agentId, task, td, name),
      scope,
      autoprovision: scope === "task" || d.autoprovision === true,
      ...(d.driver ? { driver: d.driver } : {}),
      ...(d.driverOpts ? { driverOpts: d.driverOpts } : {}),
      ...(d.labels ? { labels: d.labels } : {}),
    };
  }
  if (v.host?.sourcePath) return { kind: "bind", hostPath: v.host.sourcePath };
  // ECS: a host volume without a sourcePath is a Docker-managed volume that lives as long as the task.
  return { kind: "volume", name: taskVolumeName(agentId, task, td, name), scope: "task", autoprovision: true };
}

export function portRequests(def: ContainerDefinition, mode: NetworkMode): PortRequest[] {
  if (mode !== "bridge") return [];
  return (def.portMappings ?? []).map((p) => {
    if (p.containerPortRange) throw new ContainerConfigError(`container ${def.name ?? ""}: containerPortRange is not supported by Berth's agent; map each port`);
    if (p.containerPort === undefined) throw new ContainerConfigError(`container ${def.name ?? ""}: a portMapping needs a containerPort`);
    return { containerPort: p.containerPort, ...(p.hostPort ? { hostPort: p.hostPort } : {}), protocol: p.protocol === "udp" ? "udp" : "tcp" };
  });
}

/** ECS networkBindings from the ports Docker really bound (bridge) or the mappings (host). */
export function networkBindings(
  mode: NetworkMode,
  def: ContainerDefinition,
  bound: readonly { containerPort: number; protocol: "tcp" | "udp"; hostIp: string; hostPort: number }[],
): NetworkBinding[] {
  if (mode === "host") {
    return (def.portMappings ?? []).flatMap(({ containerPort, hostPort, protocol }) =>
      containerPort === undefined ? [] : [{ bindIP: "0.0.0.0", containerPort, hostPort: hostPort || containerPort, protocol: protocol ?? "tcp" }],
    );
  }
  if (mode !== "bridge") return [];
  // Docker binds 0.0.0.0 and :: for one mapping; ECS reports the mapping once.
  const seen = new Set<string>();
  const out: NetworkBinding[] = [];
  for (const b of [...bound].sort((a, c) => (a.hostIp === "::" ? 1 : 0) - (c.hostIp === "::" ? 1 : 0))) {
    const key = `${b.protocol}/${b.containerPort}/${b.hostPort}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ bindIP: b.hostIp === "" || b.hostIp === "::" ? "0.0.0.0" : b.hostIp, containerPort: b.containerPort, hostPort: b.hostPort, protocol: b.protocol });
  }
  return out;
}

export interface LogSettings {
  readonly logConfig?: { readonly Type: string; readonly Config: Readonly<Record<string, string>> };
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Docker's log driver for a container. `awslogs` does not go to Docker's awslogs
 * driver (there is no AWS here): the container logs to json-file, so `docker logs`
 * reads it, and a label carries group/stream/region for Berth's log shipper.
 */
export function logSettings(def: ContainerDefinition, task: Task, defaultRegion: string): LogSettings {
  const lc = def.logConfiguration;
  if (!lc) return { labels: {} };
  const options = { ...(lc.options ?? {}) };
  if (lc.logDriver === "awslogs") {
    const prefix = options["awslogs-stream-prefix"];
    const settings = {
      group: options["awslogs-group"] ?? "",
      region: options["awslogs-region"] ?? defaultRegion,
      // ECS names the stream prefix/container/task-id; without a prefix, the Docker container id (the shipper fills it).
      ...(prefix ? { stream: `${prefix}/${def.name ?? ""}/${taskId(task.taskArn ?? "")}` } : {}),
      createGroup: options["awslogs-create-group"] === "true",
      options,
    };
    return { logConfig: { Type: "json-file", Config: {} }, labels: { [labels.awslogs]: JSON.stringify(settings) } };
  }
  if (lc.logDriver === "awsfirelens") return { logConfig: { Type: "json-file", Config: {} }, labels: {} };
  return { logConfig: { Type: lc.logDriver, Config: options }, labels: {} };
}

export interface ContainerConfigInput {
  readonly agentId: string;
  readonly task: Task;
  readonly taskDefinition: TaskDefinition;
  /** With overrides applied (applyOverrides). */
  readonly container: ContainerDefinition;
  readonly networkMode: NetworkMode;
  /** Bridge: the host port chosen for each portMapping, in order. */
  readonly hostPorts: readonly PortChoice[];
  /** awsvpc (and pid/ipc "task"): the namespace holder's Docker id. */
  readonly pauseContainerId?: string;
  /** Container name → Docker name, for links and volumesFrom. */
  readonly dockerNames: Readonly<Record<string, string>>;
  readonly volumeSources: Readonly<Record<string, VolumeSource>>;
  /** From environmentFiles, already read, in file order. */
  readonly fileEnvironment: readonly KeyValuePair[];
  /** From `secrets`, already resolved. */
  readonly secretEnvironment: readonly KeyValuePair[];
  readonly metadata?: { readonly v4: string; readonly v3: string };
  readonly metadataToken: string;
  readonly region: string;
}

const MiB = 1024 * 1024;
const ns = 1_000_000_000;

/** The Docker create body for one container of a task. Throws ContainerConfigError for what Berth cannot do. */
export function containerSpec(input: ContainerConfigInput): ContainerSpec {
  const { container: def, task, taskDefinition: td, networkMode: mode } = input;
  const name = def.name ?? "";
  if (!def.image) throw new ContainerConfigError(`container ${name} has no image`);

  // Precedence, as ECS documents it: files < environment (overrides merged in) < secrets; the agent's own variables last.
  const env = mergeEnvironment(input.fileEnvironment, def.environment ?? [], input.secretEnvironment, [
    ...(input.metadata
      ? [
          { name: "ECS_CONTAINER_METADATA_URI_V4", value: input.metadata.v4 },
          { name: "ECS_CONTAINER_METADATA_URI", value: input.metadata.v3 },
        ]
      : []),
    { name: "AWS_EXECUTION_ENV", value: "AWS_ECS_EC2" },
  ]);

  const log = logSettings(def, task, input.region);
  const allLabels: Record<string, string> = {
    ...(def.dockerLabels ?? {}),
    ...log.labels,
    ...taskLabels(input.agentId, task, td),
    [labels.containerName]: name,
    [labels.role]: "app",
    [labels.essential]: String(def.essential !== false),
    [labels.metadataToken]: input.metadataToken,
  };

  // Memory: hard limit, soft reservation; a container with neither gets the task's size as its limit
  // (the definition's task-level size first: the control plane fills task.memory with a sum when there is none).
  const taskMemory = parseTaskMemoryMiB(task.overrides?.memory ?? td.memory ?? task.memory);
  const memory = def.memory ?? (def.memoryReservation === undefined ? taskMemory : undefined);
  const lp = def.linuxParameters;
  const memorySwap = memory !== undefined && lp?.maxSwap !== undefined ? (memory + lp.maxSwap) * MiB : undefined;

  const binds: string[] = [];
  for (const mp of def.mountPoints ?? []) {
    const src = mp.sourceVolume ? input.volumeSources[mp.sourceVolume] : undefined;
    if (!src || !mp.containerPath) throw new ContainerConfigError(`container ${name}: mountPoint ${mp.sourceVolume ?? "?"} names no volume of the task definition`);
    binds.push(`${src.kind === "bind" ? src.hostPath : src.name}:${mp.containerPath}${mp.readOnly ? ":ro" : ""}`);
  }
  const volumesFrom = (def.volumesFrom ?? []).map((v) => {
    const source = v.sourceContainer ? input.dockerNames[v.sourceContainer] : undefined;
    if (!source) throw new ContainerConfigError(`container ${name}: volumesFrom names ${v.sourceContainer ?? "?"}, which is not in the task`);
    return `${source}${v.readOnly ? ":ro" : ""}`;
  });

  const exposed: Record<string, Record<string, never>> = {};
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  if (mode === "bridge") {
    for (const p of input.hostPorts) {
      const key = `${p.containerPort}/${p.protocol}`;
      exposed[key] = {};
      portBindings[key] = [...(portBindings[key] ?? []), { HostIp: "", HostPort: String(p.hostPort) }];
    }
  }

  const links =
    mode === "bridge"
      ? (def.links ?? []).map((l) => {
          const [target = "", alias] = l.split(":");
          const dockerName = input.dockerNames[target];
          if (!dockerName) throw new ContainerConfigError(`container ${name}: link ${l} names no container of the task`);
          return `${dockerName}:${alias ?? target}`;
        })
      : [];

  const networkModeValue = mode === "awsvpc" ? `container:${requirePause(input)}` : mode;
  // In awsvpc the namespace holder owns hostname, DNS and /etc/hosts (Docker refuses them on a joined namespace).
  const ownsNetworkFiles = mode === "bridge" || mode === "none";

  const hostConfig: HostConfigSpec = {
    NetworkMode: networkModeValue,
    ...(binds.length ? { Binds: binds } : {}),
    ...(Object.keys(portBindings).length ? { PortBindings: portBindings } : {}),
    ...(links.length ? { Links: links } : {}),
    ...(volumesFrom.length ? { VolumesFrom: volumesFrom } : {}),
    ...(lp?.capabilities?.add?.length ? { CapAdd: lp.capabilities.add } : {}),
    ...(lp?.capabilities?.drop?.length ? { CapDrop: lp.capabilities.drop } : {}),
    ...(ownsNetworkFiles && def.dnsServers?.length ? { Dns: def.dnsServers } : {}),
    ...(ownsNetworkFiles && def.dnsSearchDomains?.length ? { DnsSearch: def.dnsSearchDomains } : {}),
    ...(mode !== "awsvpc" && def.extraHosts?.length ? { ExtraHosts: def.extraHosts.map((h) => `${h.hostname}:${h.ipAddress}`) } : {}),
    ...(def.privileged ? { Privileged: true } : {}),
    ...(def.readonlyRootFilesystem ? { ReadonlyRootfs: true } : {}),
    ...(memory !== undefined ? { Memory: memory * MiB } : {}),
    ...(def.memoryReservation !== undefined ? { MemoryReservation: def.memoryReservation * MiB } : {}),
    ...(memorySwap !== undefined ? { MemorySwap: memorySwap } : {}),
    ...(lp?.swappiness !== undefined ? { MemorySwappiness: lp.swappiness } : {}),
    // ECS passes 0, 1 and unset as 2 shares, the kernel's minimum.
    CpuShares: Math.max(2, def.cpu ?? 0),
    ...(def.ulimits?.length ? { Ulimits: def.ulimits.map((u) => ({ Name: u.name, Soft: u.softLimit, Hard: u.hardLimit })) } : {}),
    ...(lp?.initProcessEnabled ? { Init: true } : {}),
    ...(lp?.sharedMemorySize !== undefined ? { ShmSize: lp.sharedMemorySize * MiB } : {}),
    ...(lp?.tmpfs?.length
      ? { Tmpfs: Object.fromEntries(lp.tmpfs.map((t) => [t.containerPath, [`size=${t.size}m`, ...(t.mountOptions ?? [])].join(",")])) }
      : {}),
    ...(lp?.devices?.length
      ? {
          Devices: lp.devices.map((d) => ({
            PathOnHost: d.hostPath,
            PathInContainer: d.containerPath ?? d.hostPath,
            CgroupPermissions: d.permissions?.length ? d.permissions.map((p) => (p === "read" ? "r" : p === "write" ? "w" : "m")).join("") : "rwm",
          })),
        }
      : {}),
    ...(log.logConfig ? { LogConfig: log.logConfig } : {}),
    ...(def.dockerSecurityOptions?.length ? { SecurityOpt: def.dockerSecurityOptions } : {}),
    ...(def.systemControls?.length ? { Sysctls: Object.fromEntries(def.systemControls.map((s) => [s.namespace ?? "", s.value ?? ""])) } : {}),
    ...namespaceModes(td, mode, input.pauseContainerId),
  };

  const hc = def.healthCheck;
  return {
    Image: def.image,
    ...(def.hostname && mode !== "awsvpc" ? { Hostname: def.hostname } : {}),
    ...(def.user ? { User: def.user } : {}),
    Env: env.map((kv) => `${kv.name}=${kv.value}`),
    ...(def.command ? { Cmd: def.command } : {}),
    ...(def.entryPoint ? { Entrypoint: def.entryPoint } : {}),
    ...(def.workingDirectory ? { WorkingDir: def.workingDirectory } : {}),
    Labels: allLabels,
    ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
    ...(hc
      ? {
          Healthcheck: {
            Test: healthTest(hc.command),
            // ECS's defaults: every 30 s, 5 s timeout, 3 retries, no start period.
            Interval: (hc.interval ?? 30) * ns,
            Timeout: (hc.timeout ?? 5) * ns,
            Retries: hc.retries ?? 3,
            StartPeriod: (hc.startPeriod ?? 0) * ns,
          },
        }
      : {}),
    ...(def.stopTimeout !== undefined ? { StopTimeout: def.stopTimeout } : {}),
    ...(def.disableNetworking ? { NetworkDisabled: true } : {}),
    ...(def.interactive ? { OpenStdin: true } : {}),
    ...(def.pseudoTerminal ? { Tty: true } : {}),
    HostConfig: hostConfig,
  };
}

function requirePause(input: ContainerConfigInput): string {
  if (!input.pauseContainerId) throw new ContainerConfigError("awsvpc container created before its task's network namespace");
  return input.pauseContainerId;
}

function namespaceModes(td: TaskDefinition, mode: NetworkMode, pauseId: string | undefined): { PidMode?: string; IpcMode?: string } {
  const out: { PidMode?: string; IpcMode?: string } = {};
  for (const [key, value] of [["PidMode", td.pidMode], ["IpcMode", td.ipcMode]] as const) {
    if (!value) continue;
    if (value === "host" || value === "none") out[key] = value;
    else if (value === "task") {
      // A task-wide namespace needs a holder; Berth has one only for awsvpc tasks.
      if (mode !== "awsvpc" || !pauseId) throw new ContainerConfigError(`${key === "PidMode" ? "pidMode" : "ipcMode"} "task" needs networkMode awsvpc in Berth`);
      out[key] = `container:${pauseId}`;
    }
  }
  return out;
}

function healthTest(command: readonly string[]): string[] {
  const first = command[0];
  if (first === "CMD" || first === "CMD-SHELL" || first === "NONE") return [...command];
  return ["CMD-SHELL", command.join(" ")];
}

export interface AwsvpcAttachment {
  readonly ipv4Address: string;
  readonly macAddress?: string;
  readonly subnetId?: string;
  readonly networkInterfaceId?: string;
  readonly attachmentId?: string;
}

/** The ENI the control plane attached to an awsvpc task. */
export function awsvpcAttachment(task: Task): AwsvpcAttachment | undefined {
  const eni = task.attachments?.find((a) => a.type === "ElasticNetworkInterface" || a.type === "eni");
  const detail = (name: string): string | undefined => eni?.details?.find((d) => d.name === name)?.value;
  const ip = detail("privateIPv4Address");
  if (!eni || !ip) return undefined;
  const mac = detail("macAddress");
  const subnetId = detail("subnetId");
  const eniId = detail("networkInterfaceId");
  return {
    ipv4Address: ip,
    ...(mac ? { macAddress: mac } : {}),
    ...(subnetId ? { subnetId } : {}),
    ...(eniId ? { networkInterfaceId: eniId } : {}),
    ...(eni.id ? { attachmentId: eni.id } : {}),
  };
}

/** A MAC Docker will accept for an endpoint: six hex pairs, unicast. */
function usableMac(mac: string | undefined): string | undefined {
  if (!mac || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac)) return undefined;
  return (parseInt(mac.slice(0, 2), 16) & 1) === 0 ? mac.toLowerCase() : undefined;
}

export interface PauseConfigInput {
  readonly agentId: string;
  readonly task: Task;
  readonly taskDefinition: TaskDefinition;
  readonly image: string;
  readonly network: string;
  readonly attachment: AwsvpcAttachment;
}

/**
 * The namespace holder of an awsvpc task: on the agent's managed network with the
 * control plane's IP; it carries what Docker only allows on the namespace's owner
 * (DNS, search domains, extra hosts of every container), and shares IPC/PID if asked.
 */
export function pauseSpec(input: PauseConfigInput): ContainerSpec {
  const { task, taskDefinition: td } = input;
  const defs = td.containerDefinitions ?? [];
  const dns = [...new Set(defs.flatMap((d) => d.dnsServers ?? []))];
  const search = [...new Set(defs.flatMap((d) => d.dnsSearchDomains ?? []))];
  const hosts = [...new Set(defs.flatMap((d) => (d.extraHosts ?? []).map((h) => `${h.hostname}:${h.ipAddress}`)))];
  const mac = usableMac(input.attachment.macAddress);
  return {
    Image: input.image,
    Labels: { ...taskLabels(input.agentId, task, td), [labels.containerName]: pauseContainerName, [labels.role]: "pause", [labels.essential]: "false" },
    HostConfig: {
      NetworkMode: input.network,
      ...(dns.length ? { Dns: dns } : {}),
      ...(search.length ? { DnsSearch: search } : {}),
      ...(hosts.length ? { ExtraHosts: hosts } : {}),
      ...(td.ipcMode === "task" ? { IpcMode: "shareable" } : {}),
    },
    NetworkingConfig: { EndpointsConfig: { [input.network]: { IPAMConfig: { IPv4Address: input.attachment.ipv4Address }, ...(mac ? { MacAddress: mac } : {}) } } },
    ...(mac ? { MacAddress: mac } : {}),
  };
}
