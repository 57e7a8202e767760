// An in-memory Docker for unit tests: containers move through Docker's states
// when the engine calls it or when a test says a process exited or changed
// health, and every call is recorded so tests can assert on order.

import { randomBytes } from "node:crypto";
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
} from "../../../src/agent/docker-runtime.js";
import type { Clock } from "../../../src/clock.js";

export interface FakeContainer {
  readonly id: string;
  readonly name: string;
  readonly spec: ContainerSpec;
  status: "created" | "running" | "exited";
  exitCode: number;
  startedAt?: Date;
  finishedAt?: Date;
  health?: DockerHealth;
  /** A process that ignores SIGTERM, like `trap '' TERM`. */
  ignoresTerm: boolean;
  /** Ports Docker bound for PortBindings. */
  ports: { containerPort: number; protocol: "tcp" | "udp"; hostIp: string; hostPort: number }[];
}

export interface FakeCall {
  readonly op: string;
  readonly target: string;
  readonly at: Date;
  readonly detail?: string;
}

type Waiter = { readonly resolve: (code: number) => void };

export class FakeDockerRuntime implements DockerRuntime {
  readonly images = new Map<string, ImageInfo>();
  /** Refs a pull succeeds for; pulling anything else fails like an unreachable registry. */
  readonly pullable = new Set<string>();
  readonly containers = new Map<string, FakeContainer>();
  readonly networks = new Map<string, NetworkInfo>();
  readonly volumes = new Map<string, VolumeInfo>();
  readonly calls: FakeCall[] = [];
  readonly pullAuth: { ref: string; auth: RegistryCredentials | undefined }[] = [];
  /** While set, pulls wait for it before answering: a test holds pulls in flight. */
  pullGate: Promise<void> | undefined;
  /** Decides per created container whether it ignores SIGTERM. */
  ignoresTerm: (spec: ContainerSpec) => boolean = (spec) => (spec.Cmd ?? []).join(" ").includes("trap '' TERM");
  /** Ports that binding would fail on, as if another process held them. */
  readonly busyHostPorts = new Set<number>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly subscribers = new Set<{ labels: LabelFilter; push: (e: RuntimeEvent) => void; end: () => void }>();
  private readonly failures = new Map<string, Error[]>();

  constructor(private readonly clock: Clock) {}

  addImage(ref: string, digest?: string): void {
    const id = `sha256:${randomBytes(32).toString("hex")}`;
    const repo = ref.replace(/:[^:/]+$/, "");
    this.images.set(ref, { id, repoTags: [ref], repoDigests: digest ? [`${repo}@${digest}`] : [] });
  }

  /** Makes the next call of `op` (a method name) fail with `err`. */
  failNext(op: string, err: Error): void {
    const list = this.failures.get(op) ?? [];
    list.push(err);
    this.failures.set(op, list);
  }

  byName(name: string): FakeContainer | undefined {
    return [...this.containers.values()].find((c) => c.name === name);
  }

  /** The container a task created for a container definition name. */
  forContainer(taskArn: string, containerName: string): FakeContainer | undefined {
    return [...this.containers.values()].find(
      (c) => c.spec.Labels["com.amazonaws.ecs.task-arn"] === taskArn && c.spec.Labels["com.amazonaws.ecs.container-name"] === containerName,
    );
  }

  /** The process in a container exits on its own. */
  exit(id: string, code: number): void {
    const c = this.must(id);
    if (c.status !== "running") return;
    c.status = "exited";
    c.exitCode = code;
    c.finishedAt = this.clock.now();
    this.emit(c, "die");
    for (const w of this.waiters.get(id) ?? []) w.resolve(code);
    this.waiters.delete(id);
  }

  setHealth(id: string, health: DockerHealth): void {
    const c = this.must(id);
    c.health = health;
    this.emit(c, `health_status: ${health}`);
  }

  private record(op: string, target: string, detail?: string): void {
    this.calls.push({ op, target, at: this.clock.now(), ...(detail ? { detail } : {}) });
    const fail = this.failures.get(op)?.shift();
    if (fail) throw fail;
  }

  private must(id: string): FakeContainer {
    const c = this.containers.get(id) ?? this.byName(id);
    if (!c) throw new DockerRuntimeError("not-found", `No such container: ${id}`, 404);
    return c;
  }

  private emit(c: FakeContainer, action: string): void {
    const e: RuntimeEvent = { action, containerId: c.id, labels: { ...c.spec.Labels, name: c.name }, time: this.clock.now() };
    for (const s of this.subscribers) if (matches(c.spec.Labels, s.labels)) s.push(e);
  }

  async info(_signal: AbortSignal): Promise<EngineInfo> {
    await Promise.resolve();
    return { apiVersion: "1.41", version: "20.10.24", os: "linux", arch: "x86_64", cpus: 2, memoryBytes: 4 * 1024 ** 3, logDrivers: ["json-file", "local", "none"], volumeDrivers: ["local"] };
  }

  async pullImage(ref: string, auth: RegistryCredentials | undefined, _signal: AbortSignal): Promise<void> {
    await Promise.resolve();
    this.record("pullImage", ref);
    this.pullAuth.push({ ref, auth });
    await this.pullGate;
    if (!this.pullable.has(ref)) throw new DockerRuntimeError("failed", `pull ${ref}: connect: network is unreachable`);
    if (!this.images.has(ref)) this.addImage(ref, `sha256:${randomBytes(32).toString("hex")}`);
  }

  async inspectImage(ref: string, _signal: AbortSignal): Promise<ImageInfo | undefined> {
    await Promise.resolve();
    return this.images.get(ref);
  }

  async buildImage(tag: string, _context: Buffer, _signal: AbortSignal): Promise<void> {
    await Promise.resolve();
    this.record("buildImage", tag);
    this.addImage(tag);
  }

  async createContainer(name: string, spec: ContainerSpec, _signal: AbortSignal): Promise<string> {
    await Promise.resolve();
    this.record("createContainer", name);
    if (this.byName(name)) throw new DockerRuntimeError("conflict", `Conflict. The container name "/${name}" is already in use`, 409);
    if (!this.images.has(spec.Image)) throw new DockerRuntimeError("not-found", `No such image: ${spec.Image}`, 404);
    const id = randomBytes(32).toString("hex");
    this.containers.set(id, { id, name, spec, status: "created", exitCode: 0, ignoresTerm: this.ignoresTerm(spec), ports: [] });
    return id;
  }

  async startContainer(id: string, _signal: AbortSignal): Promise<void> {
    await Promise.resolve();
    const c = this.must(id);
    this.record("startContainer", c.name);
    if (c.status === "running") return;
    const ports: FakeContainer["ports"] = [];
    for (const [key, bindings] of Object.entries(c.spec.HostConfig.PortBindings ?? {})) {
      const [port, proto] = key.split("/");
      for (const b of bindings) {
        const hostPort = Number(b.HostPort);
        if (this.busyHostPorts.has(hostPort)) throw new DockerRuntimeError("failed", `driver failed programming external connectivity: Bind for 0.0.0.0:${hostPort} failed: port is already allocated`, 500);
        ports.push({ containerPort: Number(port), protocol: proto === "udp" ? "udp" : "tcp", hostIp: "0.0.0.0", hostPort });
      }
    }
    c.ports = ports;
    c.status = "running";
    c.startedAt = this.clock.now();
    if (c.spec.Healthcheck) c.health = "starting";
    this.emit(c, "start");
  }

  async stopContainer(id: string, timeoutSeconds: number, signal: AbortSignal): Promise<void> {
    this.record("stopContainer", this.must(id).name, String(timeoutSeconds));
    await this.killContainer(id, "SIGTERM", signal);
  }

  async killContainer(id: string, signalName: string, _signal: AbortSignal): Promise<void> {
    await Promise.resolve();
    const c = this.must(id);
    this.record("killContainer", c.name, signalName);
    if (c.status !== "running") return;
    if (signalName === "SIGKILL" || signalName === "KILL") this.exit(c.id, 137);
    else if (!c.ignoresTerm) this.exit(c.id, 143);
  }

  async removeContainer(id: string, _opts: { force: boolean; volumes: boolean }, _signal: AbortSignal): Promise<void> {
    await Promise.resolve();
    const c = this.containers.get(id) ?? this.byName(id);
    if (!c) return;
    this.record("removeContainer", c.name);
    if (c.status === "running") this.exit(c.id, 137);
    this.containers.delete(c.id);
    this.emit(c, "destroy");
  }

  async inspectContainer(id: string, _signal: AbortSignal): Promise<ContainerInfo | undefined> {
    await Promise.resolve();
    const c = this.containers.get(id) ?? this.byName(id);
    if (!c) return undefined;
    const image = this.images.get(c.spec.Image);
    return {
      id: c.id,
      name: c.name,
      image: c.spec.Image,
      imageId: image?.id ?? "",
      labels: c.spec.Labels,
      state: {
        status: c.status,
        running: c.status === "running",
        exitCode: c.exitCode,
        ...(c.startedAt ? { startedAt: c.startedAt } : {}),
        ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
        oomKilled: false,
        error: "",
        ...(c.health ? { health: c.health } : {}),
      },
      ...(c.spec.StopTimeout !== undefined ? { stopTimeout: c.spec.StopTimeout } : {}),
      networkMode: c.spec.HostConfig.NetworkMode,
      ports: c.ports,
      networks: {},
    };
  }

  async listContainers(labels: LabelFilter, _signal: AbortSignal): Promise<readonly ContainerSummary[]> {
    await Promise.resolve();
    return [...this.containers.values()]
      .filter((c) => matches(c.spec.Labels, labels))
      .map((c) => ({ id: c.id, name: c.name, labels: c.spec.Labels, state: c.status, publishedPorts: c.ports.map((p) => ({ hostPort: p.hostPort, protocol: p.protocol })) }));
  }

  waitContainer(id: string, signal: AbortSignal): Promise<number> {
    const c = this.containers.get(id);
    if (!c || c.status !== "running") return Promise.resolve(c?.exitCode ?? 0);
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = { resolve };
      const list = this.waiters.get(id) ?? [];
      list.push(waiter);
      this.waiters.set(id, list);
      signal.addEventListener(
        "abort",
        () => {
          this.waiters.set(id, (this.waiters.get(id) ?? []).filter((w) => w !== waiter));
          reject(new DockerRuntimeError("aborted", "wait cancelled"));
        },
        { once: true },
      );
    });
  }

  events(labels: LabelFilter, signal: AbortSignal): Promise<AsyncIterable<RuntimeEvent>> {
    const queue: RuntimeEvent[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    const sub = {
      labels,
      push: (e: RuntimeEvent) => (queue.push(e), wake?.()),
      end: () => ((ended = true), wake?.()),
    };
    // Subscribed before the promise resolves, as Docker's stream is.
    this.subscribers.add(sub);
    const subscribers = this.subscribers;
    async function* iterate(): AsyncIterable<RuntimeEvent> {
      const onAbort = (): void => wake?.();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        while (!signal.aborted) {
          const e = queue.shift();
          if (e) {
            yield e;
            continue;
          }
          if (ended) return;
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
        }
      } finally {
        subscribers.delete(sub);
        signal.removeEventListener("abort", onAbort);
      }
    }
    return Promise.resolve(iterate());
  }

  /** Ends every event stream, as a Docker daemon restart does; events until the next subscription are lost. */
  breakEventStreams(): void {
    for (const s of [...this.subscribers]) {
      this.subscribers.delete(s);
      s.end();
    }
  }

  async stats(id: string, _signal: AbortSignal): Promise<Record<string, unknown>> {
    await Promise.resolve();
    const c = this.must(id);
    return { id: c.id, name: `/${c.name}`, read: this.clock.now().toISOString(), cpu_stats: { cpu_usage: { total_usage: 1 } }, precpu_stats: {}, memory_stats: { usage: 1024 } };
  }

  async inspectNetwork(name: string, _signal: AbortSignal): Promise<NetworkInfo | undefined> {
    await Promise.resolve();
    if (name === "bridge" && !this.networks.has(name)) return { id: "bridge", name: "bridge", subnet: "172.17.0.0/16", gateway: "172.17.0.1", labels: {} };
    return this.networks.get(name);
  }

  async createNetwork(opts: { name: string; subnet: string; gateway?: string; labels: Readonly<Record<string, string>> }, _signal: AbortSignal): Promise<NetworkInfo> {
    await Promise.resolve();
    this.record("createNetwork", opts.name);
    const info: NetworkInfo = { id: randomBytes(8).toString("hex"), name: opts.name, subnet: opts.subnet, ...(opts.gateway ? { gateway: opts.gateway } : {}), labels: opts.labels };
    this.networks.set(opts.name, info);
    return info;
  }

  async connectNetwork(network: string, containerId: string, _opts: { ipv4Address?: string }, _signal: AbortSignal): Promise<void> {
    await Promise.resolve();
    this.record("connectNetwork", network, containerId);
  }

  async createVolume(
    opts: { name: string; driver?: string; driverOpts?: Readonly<Record<string, string>>; labels: Readonly<Record<string, string>> },
    _signal: AbortSignal,
  ): Promise<VolumeInfo> {
    await Promise.resolve();
    this.record("createVolume", opts.name);
    const existing = this.volumes.get(opts.name);
    if (existing) return existing;
    const info: VolumeInfo = { name: opts.name, driver: opts.driver ?? "local", labels: opts.labels };
    this.volumes.set(opts.name, info);
    return info;
  }

  async inspectVolume(name: string, _signal: AbortSignal): Promise<VolumeInfo | undefined> {
    await Promise.resolve();
    return this.volumes.get(name);
  }

  async listVolumes(labels: LabelFilter, _signal: AbortSignal): Promise<readonly VolumeInfo[]> {
    await Promise.resolve();
    return [...this.volumes.values()].filter((v) => matches(v.labels, labels));
  }

  async removeVolume(name: string, _signal: AbortSignal): Promise<void> {
    await Promise.resolve();
    this.record("removeVolume", name);
    this.volumes.delete(name);
  }
}

function matches(labels: Readonly<Record<string, string>>, filter: LabelFilter): boolean {
  return Object.entries(filter).every(([k, v]) => (v === true ? k in labels : labels[k] === v));
}
