// The Docker boundary on the real engine, through DockerEngine (docker-engine.ts):
// every call takes the caller's AbortSignal and, but for waits and event streams,
// its own deadline; Docker's HTTP errors arrive as DockerRuntimeError kinds.

import type { IncomingMessage } from "node:http";
import { DockerEngine } from "./docker-engine.js";
import {
  DockerRuntimeError,
  type ContainerInfo,
  type ContainerSpec,
  type ContainerSummary,
  type DockerHealth,
  type DockerRuntime,
  type EngineInfo,
  type ImageInfo,
  type LabelFilter,
  type NetworkInfo,
  type RegistryCredentials,
  type RuntimeEvent,
  type VolumeInfo,
} from "./docker-runtime.js";
import { registryHost, splitImageRef } from "./image-pull.js";

/** Per-call deadlines in milliseconds (ECS's agent uses similar ones: create 4 min, start 3 min, …). */
export interface DockerTimeouts {
  readonly pull: number;
  readonly build: number;
  readonly create: number;
  readonly start: number;
  /** Added to the stop timeout the caller asks Docker for. */
  readonly stopGrace: number;
  readonly kill: number;
  readonly remove: number;
  readonly inspect: number;
  readonly list: number;
  readonly stats: number;
  readonly network: number;
  readonly volume: number;
  readonly info: number;
}

export const defaultDockerTimeouts: DockerTimeouts = {
  pull: 15 * 60_000,
  build: 5 * 60_000,
  create: 4 * 60_000,
  start: 3 * 60_000,
  stopGrace: 30_000,
  kill: 30_000,
  remove: 5 * 60_000,
  inspect: 30_000,
  list: 30_000,
  stats: 30_000,
  network: 60_000,
  volume: 60_000,
  info: 30_000,
};

export class DockerEngineRuntime implements DockerRuntime {
  readonly engine: DockerEngine;
  private readonly timeouts: DockerTimeouts;

  constructor(opts: { engine?: DockerEngine; timeouts?: Partial<DockerTimeouts> } = {}) {
    this.engine = opts.engine ?? new DockerEngine();
    this.timeouts = { ...defaultDockerTimeouts, ...opts.timeouts };
  }

  async info(signal: AbortSignal): Promise<EngineInfo> {
    const [info, version] = await Promise.all([
      this.engine.json<Record<string, unknown>>({ method: "GET", path: "/info", signal, timeoutMs: this.timeouts.info }),
      this.engine.json<Record<string, unknown>>({ method: "GET", path: "/version", signal, timeoutMs: this.timeouts.info }),
    ]);
    const plugins = (info["Plugins"] ?? {}) as { Log?: string[]; Volume?: string[] };
    const text = (v: unknown, fallback: string): string => (typeof v === "string" ? v : fallback);
    return {
      apiVersion: text(version["ApiVersion"], ""),
      version: text(version["Version"], ""),
      os: text(info["OSType"], text(version["Os"], "linux")),
      arch: text(info["Architecture"], text(version["Arch"], "")),
      cpus: Number(info["NCPU"] ?? 0),
      memoryBytes: Number(info["MemTotal"] ?? 0),
      logDrivers: plugins.Log ?? [],
      volumeDrivers: plugins.Volume ?? [],
    };
  }

  async pullImage(ref: string, auth: RegistryCredentials | undefined, signal: AbortSignal): Promise<void> {
    const { repository, tag, digest } = splitImageRef(ref);
    const res = await this.engine.request({
      method: "POST",
      path: "/images/create",
      query: { fromImage: repository, tag: digest ?? tag },
      signal,
      timeoutMs: this.timeouts.pull,
      ...(auth ? { auth: { ...auth, serveraddress: registryHost(ref) } } : {}),
    });
    await drainProgress(res, `pull ${ref}`, signal);
  }

  async inspectImage(ref: string, signal: AbortSignal): Promise<ImageInfo | undefined> {
    try {
      const raw = await this.engine.json<Record<string, unknown>>({ method: "GET", path: `/images/${encodeURIComponent(ref)}/json`, signal, timeoutMs: this.timeouts.inspect });
      return {
        id: String(raw["Id"]),
        repoTags: (raw["RepoTags"] as string[] | null) ?? [],
        repoDigests: (raw["RepoDigests"] as string[] | null) ?? [],
      };
    } catch (err) {
      if (err instanceof DockerRuntimeError && err.kind === "not-found") return undefined;
      throw err;
    }
  }

  async buildImage(tag: string, context: Buffer, signal: AbortSignal): Promise<void> {
    const res = await this.engine.request({
      method: "POST",
      path: "/build",
      query: { t: tag, rm: true, forcerm: true },
      tar: context,
      signal,
      timeoutMs: this.timeouts.build,
    });
    await drainProgress(res, `build ${tag}`, signal);
  }

  async createContainer(name: string, spec: ContainerSpec, signal: AbortSignal): Promise<string> {
    const out = await this.engine.json<{ Id: string }>({ method: "POST", path: "/containers/create", query: { name }, body: spec, signal, timeoutMs: this.timeouts.create });
    return out.Id;
  }

  async startContainer(id: string, signal: AbortSignal): Promise<void> {
    await this.engine.json({ method: "POST", path: `/containers/${id}/start`, signal, timeoutMs: this.timeouts.start });
  }

  async stopContainer(id: string, timeoutSeconds: number, signal: AbortSignal): Promise<void> {
    await this.engine.json({ method: "POST", path: `/containers/${id}/stop`, query: { t: timeoutSeconds }, signal, timeoutMs: timeoutSeconds * 1000 + this.timeouts.stopGrace });
  }

  async killContainer(id: string, signalName: string, signal: AbortSignal): Promise<void> {
    try {
      await this.engine.json({ method: "POST", path: `/containers/${id}/kill`, query: { signal: signalName }, signal, timeoutMs: this.timeouts.kill });
    } catch (err) {
      // 409: the container is not running, which is what a kill wants.
      if (err instanceof DockerRuntimeError && err.kind === "conflict") return;
      throw err;
    }
  }

  async removeContainer(id: string, opts: { force: boolean; volumes: boolean }, signal: AbortSignal): Promise<void> {
    try {
      await this.engine.json({ method: "DELETE", path: `/containers/${id}`, query: { force: opts.force, v: opts.volumes }, signal, timeoutMs: this.timeouts.remove });
    } catch (err) {
      if (err instanceof DockerRuntimeError && err.kind === "not-found") return;
      // 409 "removal already in progress" also ends with the container gone.
      if (err instanceof DockerRuntimeError && err.kind === "conflict" && /already in progress/i.test(err.message)) return;
      throw err;
    }
  }

  async inspectContainer(id: string, signal: AbortSignal): Promise<ContainerInfo | undefined> {
    try {
      const raw = await this.engine.json<RawContainer>({ method: "GET", path: `/containers/${encodeURIComponent(id)}/json`, signal, timeoutMs: this.timeouts.inspect });
      return toContainerInfo(raw);
    } catch (err) {
      if (err instanceof DockerRuntimeError && err.kind === "not-found") return undefined;
      throw err;
    }
  }

  async listContainers(labels: LabelFilter, signal: AbortSignal): Promise<readonly ContainerSummary[]> {
    const raw = await this.engine.json<RawSummary[]>({
      method: "GET",
      path: "/containers/json",
      query: { all: true, filters: { label: labelFilters(labels) } },
      signal,
      timeoutMs: this.timeouts.list,
    });
    return raw.map((c) => ({
      id: c.Id,
      name: (c.Names?.[0] ?? "").replace(/^\//, ""),
      labels: c.Labels ?? {},
      state: c.State ?? "",
      publishedPorts: (c.Ports ?? [])
        .filter((p) => typeof p.PublicPort === "number" && p.PublicPort > 0)
        .map((p) => ({ hostPort: p.PublicPort as number, protocol: p.Type === "udp" ? ("udp" as const) : ("tcp" as const) })),
    }));
  }

  async waitContainer(id: string, signal: AbortSignal): Promise<number> {
    const out = await this.engine.json<{ StatusCode: number }>({ method: "POST", path: `/containers/${id}/wait`, query: { condition: "not-running" }, signal });
    return out.StatusCode;
  }

  async events(labels: LabelFilter, signal: AbortSignal): Promise<AsyncIterable<RuntimeEvent>> {
    const res = await this.engine.request({
      method: "GET",
      path: "/events",
      query: { filters: { type: ["container"], label: labelFilters(labels) } },
      signal,
    });
    return readEvents(res, signal);
  }

  async stats(id: string, signal: AbortSignal): Promise<Record<string, unknown>> {
    return this.engine.json<Record<string, unknown>>({ method: "GET", path: `/containers/${id}/stats`, query: { stream: false }, signal, timeoutMs: this.timeouts.stats });
  }

  async inspectNetwork(name: string, signal: AbortSignal): Promise<NetworkInfo | undefined> {
    try {
      const raw = await this.engine.json<RawNetwork>({ method: "GET", path: `/networks/${encodeURIComponent(name)}`, signal, timeoutMs: this.timeouts.network });
      return toNetworkInfo(raw);
    } catch (err) {
      if (err instanceof DockerRuntimeError && err.kind === "not-found") return undefined;
      throw err;
    }
  }

  async createNetwork(
    opts: { name: string; subnet: string; gateway?: string; labels: Readonly<Record<string, string>> },
    signal: AbortSignal,
  ): Promise<NetworkInfo> {
    await this.engine.json({
      method: "POST",
      path: "/networks/create",
      body: {
        Name: opts.name,
        Driver: "bridge",
        CheckDuplicate: true,
        Labels: opts.labels,
        IPAM: { Driver: "default", Config: [{ Subnet: opts.subnet, ...(opts.gateway ? { Gateway: opts.gateway } : {}) }] },
      },
      signal,
      timeoutMs: this.timeouts.network,
    });
    const info = await this.inspectNetwork(opts.name, signal);
    if (!info) throw new DockerRuntimeError("failed", `network ${opts.name} vanished right after it was created`);
    return info;
  }

  async connectNetwork(network: string, containerId: string, opts: { ipv4Address?: string }, signal: AbortSignal): Promise<void> {
    await this.engine.json({
      method: "POST",
      path: `/networks/${encodeURIComponent(network)}/connect`,
      body: { Container: containerId, EndpointConfig: opts.ipv4Address ? { IPAMConfig: { IPv4Address: opts.ipv4Address } } : {} },
      signal,
      timeoutMs: this.timeouts.network,
    });
  }

  async createVolume(
    opts: { name: string; driver?: string; driverOpts?: Readonly<Record<string, string>>; labels: Readonly<Record<string, string>> },
    signal: AbortSignal,
  ): Promise<VolumeInfo> {
    const raw = await this.engine.json<RawVolume>({
      method: "POST",
      path: "/volumes/create",
      body: { Name: opts.name, Driver: opts.driver ?? "local", DriverOpts: opts.driverOpts ?? {}, Labels: opts.labels },
      signal,
      timeoutMs: this.timeouts.volume,
    });
    return { name: raw.Name, driver: raw.Driver, labels: raw.Labels ?? {} };
  }

  async inspectVolume(name: string, signal: AbortSignal): Promise<VolumeInfo | undefined> {
    try {
      const raw = await this.engine.json<RawVolume>({ method: "GET", path: `/volumes/${encodeURIComponent(name)}`, signal, timeoutMs: this.timeouts.volume });
      return { name: raw.Name, driver: raw.Driver, labels: raw.Labels ?? {} };
    } catch (err) {
      if (err instanceof DockerRuntimeError && err.kind === "not-found") return undefined;
      throw err;
    }
  }

  async listVolumes(labels: LabelFilter, signal: AbortSignal): Promise<readonly VolumeInfo[]> {
    const raw = await this.engine.json<{ Volumes?: RawVolume[] | null }>({
      method: "GET",
      path: "/volumes",
      query: { filters: { label: labelFilters(labels) } },
      signal,
      timeoutMs: this.timeouts.volume,
    });
    return (raw.Volumes ?? []).map((v) => ({ name: v.Name, driver: v.Driver, labels: v.Labels ?? {} }));
  }

  async removeVolume(name: string, signal: AbortSignal): Promise<void> {
    try {
      await this.engine.json({ method: "DELETE", path: `/volumes/${encodeURIComponent(name)}`, signal, timeoutMs: this.timeouts.volume });
    } catch (err) {
      if (err instanceof DockerRuntimeError && err.kind === "not-found") return;
      throw err;
    }
  }
}

// ---- Docker's wire shapes, only the fields read here ----

interface RawContainer {
  Id: string;
  Name?: string;
  Image?: string;
  Created?: string;
  Config?: { Image?: string; Labels?: Record<string, string> | null; StopSignal?: string; StopTimeout?: number };
  State?: {
    Status?: string;
    Running?: boolean;
    ExitCode?: number;
    StartedAt?: string;
    FinishedAt?: string;
    OOMKilled?: boolean;
    Error?: string;
    Health?: { Status?: string };
  };
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: {
    Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
    Networks?: Record<string, { IPAddress?: string; Gateway?: string; MacAddress?: string }> | null;
  };
}

interface RawSummary {
  Id: string;
  Names?: string[];
  Labels?: Record<string, string>;
  State?: string;
  Ports?: { PrivatePort?: number; PublicPort?: number; Type?: string }[];
}

interface RawEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  time?: number;
  timeNano?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

interface RawNetwork {
  Id: string;
  Name: string;
  Labels?: Record<string, string> | null;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] | null };
}

interface RawVolume {
  Name: string;
  Driver: string;
  Labels?: Record<string, string> | null;
}

function dockerTime(s: string | undefined): Date | undefined {
  // Docker reports "0001-01-01T00:00:00Z" for "never".
  if (!s || s.startsWith("0001-")) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : new Date(t);
}

function toContainerInfo(raw: RawContainer): ContainerInfo {
  const ports: { containerPort: number; protocol: "tcp" | "udp"; hostIp: string; hostPort: number }[] = [];
  for (const [key, bindings] of Object.entries(raw.NetworkSettings?.Ports ?? {})) {
    const [port, proto] = key.split("/");
    for (const b of bindings ?? []) {
      if (!b.HostPort) continue;
      ports.push({ containerPort: Number(port), protocol: proto === "udp" ? "udp" : "tcp", hostIp: b.HostIp ?? "", hostPort: Number(b.HostPort) });
    }
  }
  const networks: Record<string, { ipAddress: string; gateway: string; macAddress: string }> = {};
  for (const [name, n] of Object.entries(raw.NetworkSettings?.Networks ?? {})) {
    networks[name] = { ipAddress: n.IPAddress ?? "", gateway: n.Gateway ?? "", macAddress: n.MacAddress ?? "" };
  }
  const health = raw.State?.Health?.Status;
  const createdAt = dockerTime(raw.Created);
  const startedAt = dockerTime(raw.State?.StartedAt);
  const finishedAt = dockerTime(raw.State?.FinishedAt);
  return {
    id: raw.Id,
    name: (raw.Name ?? "").replace(/^\//, ""),
    image: raw.Config?.Image ?? "",
    imageId: raw.Image ?? "",
    labels: raw.Config?.Labels ?? {},
    ...(createdAt ? { createdAt } : {}),
    state: {
      status: raw.State?.Status ?? "",
      running: raw.State?.Running ?? false,
      exitCode: raw.State?.ExitCode ?? 0,
      ...(startedAt ? { startedAt } : {}),
      ...(finishedAt ? { finishedAt } : {}),
      oomKilled: raw.State?.OOMKilled ?? false,
      error: raw.State?.Error ?? "",
      ...(health ? { health: health as DockerHealth } : {}),
    },
    ...(raw.Config?.StopSignal ? { stopSignal: raw.Config.StopSignal } : {}),
    ...(raw.Config?.StopTimeout !== undefined && raw.Config.StopTimeout !== null ? { stopTimeout: raw.Config.StopTimeout } : {}),
    networkMode: raw.HostConfig?.NetworkMode ?? "",
    ports,
    networks,
  };
}

function toNetworkInfo(raw: RawNetwork): NetworkInfo {
  const cfg = raw.IPAM?.Config?.[0];
  return {
    id: raw.Id,
    name: raw.Name,
    ...(cfg?.Subnet ? { subnet: cfg.Subnet } : {}),
    ...(cfg?.Gateway ? { gateway: cfg.Gateway } : {}),
    labels: raw.Labels ?? {},
  };
}

function labelFilters(labels: LabelFilter): string[] {
  return Object.entries(labels).map(([k, v]) => (v === true ? k : `${k}=${v}`));
}

/** A stream that broke while being read. */
function streamError(what: string, err: unknown): DockerRuntimeError {
  if (err instanceof DockerRuntimeError) return err;
  return new DockerRuntimeError("failed", `${what}: ${err instanceof Error ? err.message : String(err)}`);
}

async function* readEvents(res: IncomingMessage, signal: AbortSignal): AsyncIterable<RuntimeEvent> {
  const onAbort = (): void => void res.destroy();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const line of jsonLines(res)) {
      const e = line as RawEvent;
      if (e.Type !== undefined && e.Type !== "container") continue;
      yield {
        action: e.Action ?? e.status ?? "",
        containerId: e.Actor?.ID ?? e.id ?? "",
        labels: e.Actor?.Attributes ?? {},
        time: e.timeNano ? new Date(Number(BigInt(e.timeNano) / 1_000_000n)) : new Date((e.time ?? 0) * 1000),
      };
    }
  } catch (err) {
    if (signal.aborted) return;
    throw streamError("GET /events", err);
  } finally {
    signal.removeEventListener("abort", onAbort);
    res.destroy();
  }
}

async function* jsonLines(stream: NodeJS.ReadableStream): AsyncIterable<unknown> {
  let buffered = "";
  for await (const chunk of stream) {
    buffered += typeof chunk === "string" ? chunk : (chunk).toString("utf8");
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) yield JSON.parse(line) as unknown;
    }
  }
  if (buffered.trim()) yield JSON.parse(buffered.trim()) as unknown;
}

/** Reads a pull/build progress stream to its end; Docker reports failures inside it, with HTTP 200. */
async function drainProgress(res: IncomingMessage, what: string, signal: AbortSignal): Promise<void> {
  const onAbort = (): void => void res.destroy();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const line of jsonLines(res)) {
      const l = line as { error?: string; errorDetail?: { message?: string } };
      if (l.error || l.errorDetail) throw new DockerRuntimeError("failed", `${what}: ${l.errorDetail?.message ?? l.error}`);
    }
  } catch (err) {
    if (err instanceof DockerRuntimeError) throw err;
    if (signal.aborted) throw new DockerRuntimeError("aborted", `${what} was cancelled`);
    throw streamError(what, err);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
