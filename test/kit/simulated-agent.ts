// A fake agent for tests that need hosts but not Docker. It registers a container
// instance through the real API, marks it connected (as the agent hub does when a
// WebSocket comes up), and plays the task engine for the tasks on its instance:
// PENDING, RUNNING and STOPPED go back through SubmitTaskStateChange as the real
// agent reports them. A per-task script decides what each task does — start slowly,
// crash before RUNNING, exit with a code, turn HEALTHY or UNHEALTHY.

import type { ECSClient } from "@aws-sdk/client-ecs";
import { RegisterContainerInstanceCommand, SubmitTaskStateChangeCommand } from "@aws-sdk/client-ecs";
import { awsvpcSubnetAttribute, launchTypeAttributePrefix } from "../../src/protocol/attributes.js";
import { clusterArnOfInstance } from "../../src/protocol/instance-arn.js";
import type { Attribute, HealthStatus, Task } from "../../src/model/generated/ecs.js";
import type { Store } from "../../src/store/store.js";

/** What one task does on this host. Times are from when the agent first sees the task. */
export interface TaskScript {
  /** From PENDING to RUNNING (default 20 ms). */
  readonly startAfterMs?: number;
  /** Stops before it ever runs (ECS: TaskFailedToStart), as a bad image or a failed pull does. */
  readonly crashAtStart?: boolean;
  /** Once RUNNING for this long, the essential container exits with `exitCode`. */
  readonly exitAfterMs?: number;
  readonly exitCode?: number;
  /** The health its health checks report once RUNNING for `healthAfterMs`. */
  readonly health?: HealthStatus;
  readonly healthAfterMs?: number;
  /** From being told to stop to STOPPED (SIGTERM, then the container exits; default 20 ms). */
  readonly stopAfterMs?: number;
}

export interface SimulatedAgentOptions {
  readonly ecs: ECSClient;
  readonly store: Store;
  readonly cluster: string;
  /** CPU units (1024 per core) and MiB to register (default 4096 / 8192). */
  readonly cpu?: number;
  readonly memory?: number;
  /** Launch types this host's capacity serves (default EC2). */
  readonly launchTypes?: readonly string[];
  readonly zone?: string;
  /** The awsvpc subnet (CIDR) the host offers tasks. */
  readonly subnet?: string;
  readonly attributes?: readonly Attribute[];
  readonly script?: (task: Task) => TaskScript;
  /** How often the agent looks at its tasks (default 15 ms). */
  readonly pollMs?: number;
  /** Take over an instance registered before (a new agent object after a control plane restart). */
  readonly containerInstanceArn?: string;
}

interface TaskState {
  readonly seenAt: number;
  readonly script: TaskScript;
  phase: "new" | "pending" | "running" | "done";
  runningAt?: number;
  stopAskedAt?: number;
  healthSent?: HealthStatus;
  exitCode?: number;
}

/** What a real agent advertises: the capabilities task definitions' requiresAttributes name. */
const capabilities: readonly string[] = [
  ...["1.17", "1.18", "1.19", "1.20", "1.21", "1.22", "1.23", "1.24", "1.25", "1.26", "1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.44"].map(
    (v) => `com.amazonaws.ecs.capability.docker-remote-api.${v}`,
  ),
  "com.amazonaws.ecs.capability.ecr-auth",
  "com.amazonaws.ecs.capability.task-iam-role",
  "com.amazonaws.ecs.capability.privileged-container",
  "com.amazonaws.ecs.capability.logging-driver.awslogs",
  "com.amazonaws.ecs.capability.logging-driver.json-file",
  "com.amazonaws.ecs.capability.logging-driver.none",
  "ecs.capability.execution-role-ecr-pull",
  "ecs.capability.execution-role-awslogs",
  "ecs.capability.container-health-check",
  "ecs.capability.container-ordering",
  "ecs.capability.task-eni",
  "ecs.capability.env-files.s3",
  "ecs.capability.pid-ipc-namespace-sharing",
  "ecs.capability.docker-plugin.local",
  "ecs.capability.secrets.ssm.environment-variables",
  "ecs.capability.secrets.asm.environment-variables",
];

export class SimulatedAgent {
  private readonly states = new Map<string, TaskState>();
  private script: (task: Task) => TaskScript;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private connected = true;
  private assertedAt = 0;
  /** Every status report it sent, in order: what the tests read the task's life from. */
  readonly reports: { taskArn: string; status: string; at: number }[] = [];

  private constructor(
    private ecs: ECSClient,
    private store: Store,
    private readonly opts: SimulatedAgentOptions,
    readonly containerInstanceArn: string,
  ) {
    this.script = opts.script ?? (() => ({}));
  }

  /** Registers (or takes over) an instance, marks its agent connected and starts playing its tasks. */
  static async start(opts: SimulatedAgentOptions): Promise<SimulatedAgent> {
    let arn = opts.containerInstanceArn;
    if (!arn) {
      const attributes: Attribute[] = [
        ...capabilities.map((name) => ({ name })),
        ...(opts.launchTypes ?? ["EC2"]).map((t) => ({ name: `${launchTypeAttributePrefix}${t}` })),
        ...(opts.zone ? [{ name: "ecs.availability-zone", value: opts.zone }] : []),
        ...(opts.subnet ? [{ name: awsvpcSubnetAttribute, value: opts.subnet }] : []),
        ...(opts.attributes ?? []),
      ];
      const out = await opts.ecs.send(
        new RegisterContainerInstanceCommand({
          cluster: opts.cluster,
          totalResources: [
            { name: "CPU", type: "INTEGER", integerValue: opts.cpu ?? 4096 },
            { name: "MEMORY", type: "INTEGER", integerValue: opts.memory ?? 8192 },
            { name: "PORTS", type: "STRINGSET", stringSetValue: [] },
            { name: "PORTS_UDP", type: "STRINGSET", stringSetValue: [] },
          ],
          versionInfo: { agentVersion: "1.0.0-simulated", dockerVersion: "simulated" },
          attributes,
        }),
      );
      arn = out.containerInstance!.containerInstanceArn!;
    }
    const agent = new SimulatedAgent(opts.ecs, opts.store, opts, arn);
    await agent.setConnected(true);
    agent.schedule();
    return agent;
  }

  /** Changes what tasks seen from now on do. */
  setScript(script: (task: Task) => TaskScript): void {
    this.script = script;
  }

  /** Makes a running task's essential container exit now. */
  exitContainer(taskArn: string, exitCode: number): void {
    const s = this.states.get(taskArn);
    if (s) s.exitCode = exitCode;
  }

  /** Reports a task's health now, as the agent's health checks would. */
  async setHealth(taskArn: string, health: HealthStatus): Promise<void> {
    await this.writeHealth(taskArn, health);
    const s = this.states.get(taskArn);
    if (s) s.healthSent = health;
  }

  /** The agent's channel drops: the instance shows agentConnected false and nothing more is reported. */
  async disconnect(): Promise<void> {
    this.connected = false;
    await this.pause();
    await this.setConnected(false);
  }

  /** The channel is back. */
  async reconnect(): Promise<void> {
    this.connected = true;
    await this.setConnected(true);
    this.schedule();
  }

  /** Points the agent at a restarted control plane. */
  async attach(ecs: ECSClient, store: Store): Promise<void> {
    await this.pause();
    this.ecs = ecs;
    this.store = store;
    if (this.connected) {
      await this.setConnected(true);
      this.schedule();
    }
  }

  /** Stops playing (the instance stays registered and connected). */
  async stop(): Promise<void> {
    this.connected = false;
    await this.pause();
  }

  private async pause(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  private schedule(): void {
    if (!this.connected || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.ticking = this.tick()
        .catch(() => undefined)
        .finally(() => {
          this.ticking = undefined;
          this.schedule();
        });
    }, this.opts.pollMs ?? 15);
  }

  private async setConnected(connected: boolean): Promise<void> {
    const cluster = clusterArnOfInstance(this.containerInstanceArn);
    await this.store.tx(async (tx) => {
      const i = await tx.getContainerInstance(cluster, this.containerInstanceArn);
      if (i && i.agentConnected !== connected) await tx.putContainerInstance(cluster, { ...i, agentConnected: connected });
    });
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    // Re-asserted now and then, as the agent hub does for a live channel: a control plane that starts
    // marks every instance disconnected until its agent is heard from.
    if (now - this.assertedAt >= 100) {
      await this.setConnected(true);
      this.assertedAt = now;
    }
    const tasks = await this.store.tx((tx) => tx.liveTasksOnInstance(this.containerInstanceArn));
    for (const task of tasks) {
      if (!this.connected) return;
      const arn = task.taskArn!;
      let s = this.states.get(arn);
      if (!s) {
        // A task already RUNNING (an agent taking over after a restart) carries on from there.
        const running = task.lastStatus === "RUNNING";
        s = { seenAt: now, script: this.script(task), phase: running ? "running" : "new", ...(running ? { runningAt: now } : {}) };
        this.states.set(arn, s);
      }
      await this.step(task, s, now);
    }
  }

  private async step(task: Task, s: TaskState, now: number): Promise<void> {
    const essential = task.containers?.[0]?.name ?? "app";
    if (task.desiredStatus === "STOPPED") {
      s.stopAskedAt ??= now;
      if (now - s.stopAskedAt >= (s.script.stopAfterMs ?? 20)) {
        const ran = s.phase === "running";
        await this.report(task, "STOPPED", ran ? 143 : undefined, undefined);
        s.phase = "done";
      }
      return;
    }
    if (s.phase === "new") {
      await this.report(task, "PENDING");
      s.phase = "pending";
    }
    if (s.phase === "pending" && now - s.seenAt >= (s.script.startAfterMs ?? 20)) {
      if (s.script.crashAtStart) {
        await this.report(task, "STOPPED", undefined, "CannotPullContainerError: simulated pull failure");
        s.phase = "done";
        return;
      }
      await this.report(task, "RUNNING");
      s.phase = "running";
      s.runningAt = now;
    }
    if (s.phase !== "running") return;
    const ranFor = now - (s.runningAt ?? now);
    if (s.script.health && s.healthSent === undefined && ranFor >= (s.script.healthAfterMs ?? 0)) {
      await this.writeHealth(task.taskArn!, s.script.health);
      s.healthSent = s.script.health;
    }
    const exitCode = s.exitCode ?? (s.script.exitAfterMs !== undefined && ranFor >= s.script.exitAfterMs ? (s.script.exitCode ?? 1) : undefined);
    if (exitCode !== undefined) {
      await this.report(task, "STOPPED", exitCode, `Essential container in task exited`, essential);
      s.phase = "done";
    }
  }

  private async report(task: Task, status: string, exitCode?: number, reason?: string, onlyContainer?: string): Promise<void> {
    const containers = (task.containers ?? [])
      .filter((c) => onlyContainer === undefined || c.name === onlyContainer || status !== "STOPPED")
      .map((c) => ({
        containerName: c.name,
        status,
        ...(status === "STOPPED" && exitCode !== undefined ? { exitCode } : {}),
        ...(status === "RUNNING" ? { runtimeId: `sim-${task.taskArn!.slice(-12)}-${c.name}` } : {}),
      }));
    await this.ecs.send(
      new SubmitTaskStateChangeCommand({
        cluster: task.clusterArn,
        task: task.taskArn,
        status,
        containers,
        ...(reason ? { reason } : {}),
        ...(status === "STOPPED" ? { executionStoppedAt: new Date() } : {}),
      }),
    );
    this.reports.push({ taskArn: task.taskArn!, status, at: Date.now() });
  }

  /** What the agent hub records when the agent sends health on its channel. */
  private async writeHealth(taskArn: string, health: HealthStatus): Promise<void> {
    await this.store.tx(async (tx) => {
      const task = await tx.getTask(taskArn);
      if (!task || task.lastStatus === "STOPPED") return;
      await tx.putTask({
        ...task,
        healthStatus: health,
        containers: (task.containers ?? []).map((c) => (c.healthStatus !== undefined ? { ...c, healthStatus: health } : c)),
        version: (task.version ?? 0) + 1,
      });
    });
  }
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs` with `what`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
