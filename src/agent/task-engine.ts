// The task engine: keeps one owner per task this instance holds, feeds them the
// control plane's desired state and Docker's events, adopts what a previous agent
// left running, and serves the metadata endpoint from their state.

import { readFile } from "node:fs/promises";
import type { Task } from "../model/generated/ecs.js";
import type { AssignedTask, TaskHealth } from "../protocol/channel.js";
import type { StateReporter, TaskEngine } from "./engine-types.js";
import { AbortError, isAbortError, systemAgentClock, type AgentClock } from "./agent-clock.js";
import { labels } from "./container-config.js";
import type { ContainerInfo, DockerRuntime, RegistryCredentials, RuntimeEvent } from "./docker-runtime.js";
import type { AgentLogger, EngineContext } from "./engine-context.js";
import { SharedImageCalls, type PullBehavior } from "./image-pull.js";
import { startMetadataServer, type MetadataServer, type MetadataSource } from "./metadata-server.js";
import { clearOfEphemeral, defaultPortRange, HostPortAllocator, readEphemeralRange, portKey, readHostPortsInUse, type PortRange } from "./ports.js";
import { TaskStateReports, type ReportBackoff } from "./state-reports.js";
import { TaskOwner } from "./task-owner.js";
import type { ContainerSnapshot, TaskSnapshot } from "./task-snapshot.js";

export interface TaskEngineConfig {
  /** This agent's identity: every Docker object it creates carries `berth.agent=<agentId>`, and it touches nothing else. */
  readonly agentId: string;
  readonly runtime: DockerRuntime;
  readonly reporter: StateReporter;
  readonly clock?: AgentClock;
  readonly logger?: AgentLogger;
  /** For awslogs settings without a region. */
  readonly region?: string;
  /** ECS_IMAGE_PULL_BEHAVIOR; default "default". */
  readonly imagePullBehavior?: PullBehavior;
  /** Credentials for an image reference (Berth's own registry); undefined pulls anonymously. */
  readonly registryAuth?: (imageRef: string) => Promise<RegistryCredentials | undefined>;
  /** Where an image is pulled from; default: as written. */
  readonly imageSource?: (image: string) => string;
  /** Resolves a container definition's `secrets[].valueFrom`; without it, tasks with secrets fail to start. */
  readonly resolveSecret?: (valueFrom: string, task: Task) => Promise<string>;
  /** Reads an environmentFiles path on the host (tests replace it). */
  readonly readEnvFile?: (path: string) => Promise<string>;
  /** ECS_CONTAINER_STOP_TIMEOUT: seconds between the stop signal and SIGKILL, unless a container sets stopTimeout; default 30. */
  readonly stopTimeoutSeconds?: number;
  /** ECS_CONTAINER_START_TIMEOUT: seconds a container may wait for its dependencies, unless it sets startTimeout; default 180. */
  readonly startTimeoutSeconds?: number;
  /** ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION: how long a stopped task's containers stay after the control plane has the STOPPED report; default 3 h. */
  readonly taskCleanupWaitMs?: number;
  /** ECS_DYNAMIC_HOST_PORT_RANGE; default 49153-65535. */
  readonly hostPortRange?: PortRange;
  /** awsvpc support: the subnet (and gateway) of this instance's managed network `berth-awsvpc-<agentId>`, created at start if missing. */
  readonly awsvpc?: { readonly subnet: string; readonly gateway?: string };
  /** The task metadata endpoint; default 0.0.0.0:51679. `false` turns it (and the URI variables) off. */
  readonly metadata?: { readonly bindAddress: string; readonly port: number } | false;
  readonly reportBackoff?: ReportBackoff;
  /** How often every running container is re-inspected, in case an event was missed; default 30 s. */
  readonly resyncIntervalMs?: number;
  /**
   * Called when a task's health (task or container) changes: ECS's agent sends
   * health on its telemetry channel, not in SubmitTaskStateChange. Wire it to the
   * agent channel's `health` message; `healthReports()` gives all of them (after a reconnect).
   */
  readonly onHealth?: (report: TaskHealth) => void;
  /** Host ports bound right now (protocol/port keys); default: /proc/net plus every container's published ports. */
  readonly hostPortsInUse?: (signal: AbortSignal) => Promise<Set<string>>;
}

const silentLogger: AgentLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export function awsvpcNetworkName(agentId: string): string {
  return `berth-awsvpc-${agentId.replace(/[^a-zA-Z0-9_.-]/g, "-")}`;
}

/** The first host address of an IPv4 CIDR block: Docker's default gateway. */
export function firstHost(cidr: string | undefined): string | undefined {
  const m = cidr ? /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/\d+$/.exec(cidr) : null;
  if (!m) return undefined;
  const n = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const g = n + 1;
  return [g >>> 24, (g >>> 16) & 255, (g >>> 8) & 255, g & 255].join(".");
}

/** Tasks remembered after cleanup, so a late re-send does not run them again. */
const tombstoneLimit = 10_000;

export class DockerTaskEngine implements TaskEngine, MetadataSource {
  private readonly owners = new Map<string, TaskOwner>();
  private readonly loops = new Set<Promise<void>>();
  private readonly tombstones = new Set<string>();
  private readonly abort = new AbortController();
  private readonly clock: AgentClock;
  private readonly log: AgentLogger;
  private readonly reports: TaskStateReports;
  private ctx: EngineContext | undefined;
  private metadataServer: MetadataServer | undefined;
  private pending: readonly AssignedTask[] | undefined;
  private state: "new" | "starting" | "started" | "stopped" = "new";

  constructor(private readonly config: TaskEngineConfig) {
    this.clock = config.clock ?? systemAgentClock;
    this.log = config.logger ?? silentLogger;
    this.reports = new TaskStateReports(config.reporter, this.clock, config.reportBackoff ?? { initialMs: 1000, maxMs: 30_000 }, (taskArn, err) =>
      this.log.warn({ taskArn, err }, "state report not accepted; will retry"),
    );
  }

  /** The metadata endpoint's port, once started (useful when configured with port 0). */
  get metadataPort(): number | undefined {
    return this.metadataServer?.port;
  }

  async start(): Promise<void> {
    if (this.state !== "new") throw new Error("a task engine starts once");
    this.state = "starting";
    const { runtime, agentId } = this.config;
    const signal = this.abort.signal;

    const info = await runtime.info(signal);
    const bridge = await runtime.inspectNetwork("bridge", signal);
    const awsvpcNetwork = this.config.awsvpc ? await this.ensureAwsvpcNetwork(this.config.awsvpc, signal) : undefined;
    const metadata = this.config.metadata ?? { bindAddress: "0.0.0.0", port: 51679 };
    if (metadata) this.metadataServer = await startMetadataServer({ host: metadata.bindAddress, port: metadata.port, source: this });

    const bridgeGateway = bridge?.gateway ?? firstHost(bridge?.subnet);
    this.ctx = {
      agentId,
      runtime,
      clock: this.clock,
      reports: this.reports,
      ports: new HostPortAllocator(this.config.hostPortRange ?? clearOfEphemeral(defaultPortRange, readEphemeralRange())),
      pulledImages: new Set(),
      images: new SharedImageCalls(),
      pullBehavior: this.config.imagePullBehavior ?? "default",
      ...(this.config.registryAuth ? { registryAuth: this.config.registryAuth } : {}),
      imageSource: this.config.imageSource ?? ((image) => image),
      ...(this.config.resolveSecret ? { resolveSecret: this.config.resolveSecret } : {}),
      readEnvFile: this.config.readEnvFile ?? ((path) => readFile(path, "utf8")),
      stopTimeoutSeconds: this.config.stopTimeoutSeconds ?? 30,
      startTimeoutSeconds: this.config.startTimeoutSeconds ?? 180,
      cleanupWaitMs: this.config.taskCleanupWaitMs ?? 3 * 60 * 60 * 1000,
      region: this.config.region ?? "us-east-1",
      dockerArch: info.arch,
      ...(bridgeGateway ? { bridgeGateway } : {}),
      ...(awsvpcNetwork ? { awsvpcNetwork } : {}),
      ...(this.metadataServer ? { metadataPort: this.metadataServer.port } : {}),
      log: this.log,
      hostPortsInUse: this.config.hostPortsInUse ?? ((s) => this.hostPortsInUse(s)),
      onDone: (taskArn) => this.onDone(taskArn),
      ...(this.config.onHealth ? { onHealth: this.config.onHealth } : {}),
    };

    let events: AsyncIterable<RuntimeEvent>;
    try {
      // Subscribe before listing, so nothing that happens in between is missed.
      events = await runtime.events({ [labels.agent]: agentId }, signal);
      await this.adopt(signal);
    } catch (err) {
      this.abort.abort(new AbortError("the task engine failed to start"));
      await Promise.allSettled([...this.loops]);
      await this.metadataServer?.close();
      this.state = "stopped";
      throw err;
    }
    this.background(this.consumeEvents(events, signal));
    this.background(this.resyncLoop(signal));
    this.state = "started";
    this.log.info({ agentId, adopted: this.owners.size }, "task engine started");
    const pending = this.pending;
    this.pending = undefined;
    if (pending) this.reconcile(pending);
  }

  reconcile(tasks: readonly AssignedTask[]): void {
    if (this.state === "new" || this.state === "starting") {
      this.pending = tasks;
      return;
    }
    if (this.state !== "started" || !this.ctx) return;
    const wanted = new Map<string, AssignedTask>();
    for (const a of tasks) {
      if (a.task.taskArn) wanted.set(a.task.taskArn, a);
      else this.log.warn({ task: a.task }, "ignoring an assigned task without a taskArn");
    }
    for (const [arn, assigned] of wanted) {
      const owner = this.owners.get(arn);
      if (owner) owner.assign(assigned);
      else if (!this.tombstones.has(arn)) this.run(TaskOwner.forAssigned(this.ctx, assigned, this.abort.signal));
    }
    for (const [arn, owner] of this.owners) if (!wanted.has(arn)) owner.unassign();
  }

  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    this.state = "stopped";
    this.abort.abort(new AbortError("the task engine is stopping"));
    await Promise.allSettled([...this.loops]);
    await this.reports.stop();
    await this.metadataServer?.close();
  }

  /** Every task the engine holds, as its owner last left it. */
  snapshots(): TaskSnapshot[] {
    return [...this.owners.values()].map((o) => o.snapshot());
  }

  /** The health of every task held, for a channel that reconnected. */
  healthReports(): TaskHealth[] {
    return [...this.owners.values()].map((o) => o.health());
  }

  findByToken(token: string): { task: TaskSnapshot; container: ContainerSnapshot } | undefined {
    for (const owner of this.owners.values()) {
      if (!owner.hasToken(token)) continue;
      const task = owner.snapshot();
      const container = task.containers.find((c) => c.metadataToken === token);
      if (container) return { task, container };
    }
    return undefined;
  }

  stats(dockerId: string, signal: AbortSignal): Promise<Record<string, unknown>> {
    return this.config.runtime.stats(dockerId, AbortSignal.any([signal, this.abort.signal]));
  }

  // ---- internals ----

  private run(owner: TaskOwner): void {
    this.owners.set(owner.taskArn, owner);
    this.background(owner.run());
  }

  private background(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => {
      if (!isAbortError(err)) this.log.error({ err }, "task engine loop failed");
    });
    this.loops.add(tracked);
    void tracked.finally(() => this.loops.delete(tracked));
  }

  private onDone(taskArn: string): void {
    this.owners.delete(taskArn);
    this.tombstones.add(taskArn);
    if (this.tombstones.size > tombstoneLimit) {
      const oldest = this.tombstones.values().next().value;
      if (oldest !== undefined) this.tombstones.delete(oldest);
    }
  }

  /** Rebuilds every task this agent's containers belong to, from Docker alone. */
  private async adopt(signal: AbortSignal): Promise<void> {
    const ctx = this.ctx as EngineContext;
    const found = await this.config.runtime.listContainers({ [labels.agent]: this.config.agentId }, signal);
    const byTask = new Map<string, ContainerInfo[]>();
    for (const summary of found) {
      const arn = summary.labels[labels.taskArn];
      if (!arn) continue;
      const info = await this.config.runtime.inspectContainer(summary.id, signal);
      if (!info) continue;
      byTask.set(arn, [...(byTask.get(arn) ?? []), info]);
    }
    for (const [arn, infos] of byTask) this.run(TaskOwner.forAdopted(ctx, arn, infos, signal));
  }

  private async consumeEvents(first: AsyncIterable<RuntimeEvent>, signal: AbortSignal): Promise<void> {
    let events: AsyncIterable<RuntimeEvent> | undefined = first;
    let delay = 1000;
    while (!signal.aborted) {
      try {
        if (!events) {
          events = await this.config.runtime.events({ [labels.agent]: this.config.agentId }, signal);
          // Whatever happened while the stream was down: look again.
          for (const owner of this.owners.values()) owner.resync();
        }
        for await (const e of events) {
          delay = 1000;
          this.dispatchEvent(e);
        }
      } catch (err) {
        if (signal.aborted) return;
        this.log.warn({ err }, "Docker event stream broke; resubscribing");
      }
      events = undefined;
      if (signal.aborted) return;
      await this.clock.sleep(delay, signal).catch(() => {});
      delay = Math.min(delay * 2, 30_000);
    }
  }

  private dispatchEvent(e: RuntimeEvent): void {
    const relevant = e.action === "start" || e.action === "die" || e.action === "oom" || e.action === "destroy" || e.action.startsWith("health_status");
    if (!relevant) return;
    const arn = e.labels[labels.taskArn];
    if (!arn) return;
    this.owners.get(arn)?.event(e.labels[labels.containerName], e.containerId, e.action);
  }

  private async resyncLoop(signal: AbortSignal): Promise<void> {
    const every = this.config.resyncIntervalMs ?? 30_000;
    while (!signal.aborted) {
      await this.clock.sleep(every, signal);
      for (const owner of this.owners.values()) owner.resync();
    }
  }

  private async hostPortsInUse(signal: AbortSignal): Promise<Set<string>> {
    const keys = await readHostPortsInUse();
    // Published ports of every container on this Docker engine (other agents' too), even when no proxy process listens.
    for (const c of await this.config.runtime.listContainers({}, signal)) for (const p of c.publishedPorts) keys.add(portKey(p.protocol, p.hostPort));
    return keys;
  }

  private async ensureAwsvpcNetwork(cfg: { subnet: string; gateway?: string }, signal: AbortSignal): Promise<{ name: string; subnet: string; gateway?: string }> {
    const { runtime, agentId } = this.config;
    const name = awsvpcNetworkName(agentId);
    let network = await runtime.inspectNetwork(name, signal);
    if (network && network.subnet !== cfg.subnet) {
      throw new Error(`Docker network ${name} exists with subnet ${network.subnet ?? "none"}, not ${cfg.subnet}: remove it (docker network rm ${name}) or set awsvpc.subnet to match`);
    }
    network ??= await runtime.createNetwork(
      { name, subnet: cfg.subnet, ...(cfg.gateway ? { gateway: cfg.gateway } : {}), labels: { [labels.agent]: agentId, [labels.role]: "network" } },
      signal,
    );
    const gateway = network.gateway ?? cfg.gateway ?? firstHost(cfg.subnet);
    return { name, subnet: cfg.subnet, ...(gateway ? { gateway } : {}) };
  }
}
