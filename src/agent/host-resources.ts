// What this host registers as: CPU units (1024 per core), memory, the ports ECS
// reserves, and the attributes and capabilities the engine really supports, named
// as ECS names them (task definitions' requiresAttributes match on these names).

import type { Attribute, Resource, VersionInfo } from "../model/generated/ecs.js";
import type { DockerRuntime, EngineInfo } from "./docker-runtime.js";

/** SSH, the Docker daemon (plain and TLS), and ECS's agent introspection and credential ports. */
export const ecsReservedPorts: readonly number[] = [22, 2375, 2376, 51678, 51679];

export interface HostResourceOptions {
  /** ECS_RESERVED_MEMORY: MiB kept back for the host; default 0. */
  readonly memoryReserveMiB?: number;
  /** The metadata endpoint's port, reserved too. */
  readonly metadataPort?: number;
  readonly extraReservedPorts?: readonly number[];
  readonly extraReservedUdpPorts?: readonly number[];
  /** ecs.instance-type; default "berth". */
  readonly instanceType?: string;
  /** ecs.availability-zone; omitted when undefined. */
  readonly availabilityZone?: string;
  /** The engine was given an awsvpc subnet. */
  readonly awsvpc?: boolean;
  /** The engine was given a registryAuth callback (private registry pulls work). */
  readonly registryAuth?: boolean;
  /** The engine was given a secret resolver. */
  readonly secrets?: boolean;
  /** Reported as versionInfo.agentVersion. */
  readonly agentVersion?: string;
}

export interface HostRegistration {
  readonly totalResources: Resource[];
  readonly attributes: Attribute[];
  readonly versionInfo: VersionInfo;
}

/** Logging drivers ECS knows; each is advertised when this Docker has it. */
const ecsLogDrivers = ["json-file", "syslog", "journald", "gelf", "fluentd", "splunk", "none"] as const;

/** Docker's architecture names in ECS's (ecs.cpu-architecture). */
export function ecsArchitecture(dockerArch: string): string {
  if (dockerArch === "x86_64" || dockerArch === "amd64") return "x86_64";
  if (dockerArch === "aarch64" || dockerArch === "arm64") return "arm64";
  return dockerArch;
}

/** docker-remote-api.1.17 up to what both this Docker and ECS's list (1.44) support. */
export function remoteApiVersions(apiVersion: string): string[] {
  const minor = Number(/^1\.(\d+)$/.exec(apiVersion)?.[1] ?? 0);
  const out: string[] = [];
  for (let v = 17; v <= Math.min(minor, 44); v++) out.push(`1.${v}`);
  return out;
}

/** Pure: the registration for a host with these facts. */
export function hostRegistration(facts: EngineInfo, opts: HostResourceOptions = {}): HostRegistration {
  const cpu = Math.max(1, facts.cpus) * 1024;
  const memory = Math.max(0, Math.floor(facts.memoryBytes / (1024 * 1024)) - (opts.memoryReserveMiB ?? 0));
  const tcp = [...new Set([...ecsReservedPorts, ...(opts.metadataPort !== undefined ? [opts.metadataPort] : []), ...(opts.extraReservedPorts ?? [])])].sort((a, b) => a - b);
  const udp = [...new Set(opts.extraReservedUdpPorts ?? [])].sort((a, b) => a - b);
  const totalResources: Resource[] = [
    { name: "CPU", type: "INTEGER", integerValue: cpu },
    { name: "MEMORY", type: "INTEGER", integerValue: memory },
    { name: "PORTS", type: "STRINGSET", stringSetValue: tcp.map(String) },
    { name: "PORTS_UDP", type: "STRINGSET", stringSetValue: udp.map(String) },
  ];

  const names: string[] = [];
  const attributes: Attribute[] = [
    { name: "ecs.os-type", value: "linux" },
    { name: "ecs.os-family", value: "LINUX" },
    { name: "ecs.cpu-architecture", value: ecsArchitecture(facts.arch) },
    { name: "ecs.instance-type", value: opts.instanceType ?? "berth" },
    ...(opts.availabilityZone ? [{ name: "ecs.availability-zone", value: opts.availabilityZone }] : []),
  ];
  for (const v of remoteApiVersions(facts.apiVersion)) names.push(`com.amazonaws.ecs.capability.docker-remote-api.${v}`);
  for (const d of ecsLogDrivers) if (facts.logDrivers.includes(d)) names.push(`com.amazonaws.ecs.capability.logging-driver.${d}`);
  // awslogs works whatever Docker has: the container logs to json-file and Berth ships the lines.
  names.push("com.amazonaws.ecs.capability.logging-driver.awslogs", "ecs.capability.execution-role-awslogs");
  names.push(
    "com.amazonaws.ecs.capability.privileged-container",
    "ecs.capability.container-health-check",
    "ecs.capability.container-ordering",
    // Read from file:// paths on the host; the attribute keeps ECS's name, which task definitions require.
    "ecs.capability.env-files.s3",
    // pidMode/ipcMode "host" everywhere, "task" in awsvpc tasks.
    "ecs.capability.pid-ipc-namespace-sharing",
  );
  for (const d of facts.volumeDrivers) names.push(`ecs.capability.docker-plugin.${d}`);
  if (opts.awsvpc) names.push("ecs.capability.task-eni");
  if (opts.registryAuth) names.push("com.amazonaws.ecs.capability.ecr-auth", "ecs.capability.execution-role-ecr-pull");
  if (opts.secrets) names.push("ecs.capability.secrets.ssm.environment-variables", "ecs.capability.secrets.asm.environment-variables");
  for (const name of names) attributes.push({ name });
  // ECS's agent reports Docker's version in this form.
  const versionInfo: VersionInfo = { dockerVersion: `DockerVersion: ${facts.version}`, ...(opts.agentVersion ? { agentVersion: opts.agentVersion } : {}) };
  return { totalResources, attributes, versionInfo };
}

/** Measures this host through Docker (which sees the machine containers really get, e.g. a VM's). */
export async function measureHost(runtime: DockerRuntime, opts: HostResourceOptions = {}, signal: AbortSignal = AbortSignal.timeout(30_000)): Promise<HostRegistration> {
  return hostRegistration(await runtime.info(signal), opts);
}
