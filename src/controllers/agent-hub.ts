// The control plane's end of the agent channel. Agents join with the join token
// (getting their narrow key pair), then hold a WebSocket on which the hub pushes
// the complete set of tasks their instance should run — on connect, after a
// change (changes close together share one push), and every few seconds in case
// a change was made on another replica.
// Agents send container health back on it (as the ECS agent's telemetry does);
// task state changes come through the public SubmitTaskStateChange.
//
//   RunTask/StopTask ─ commit ─ task hooks ─ tasksChanged(instance) ─ push(instance) ─ ws → agent ─ engine.reconcile
//   agent ─ SubmitTaskStateChange (SigV4, agent keys) ─ edge ─ tasks.ts

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import type { Subsystem } from "../subsystem.js";
import type { Clock } from "../clock.js";
import { revisionOfArn } from "../model/task-definition-arn.js";
import type { InstanceNotifier, TaskHooks } from "../ecs/task-hooks.js";
import { changeTask } from "../ecs/task-writes.js";
import type { AgentKeys } from "../edge/agent-keys.js";
import type { TaskDefinition } from "../model/generated/ecs.js";
import { connectPath, joinPath, type AgentMessage, type AssignedTask, type HubMessage, type JoinResponse } from "../protocol/channel.js";
import { decodeDoc, encodeDoc } from "../protocol/doc-codec.js";
import { clusterArnOfInstance } from "../protocol/instance-arn.js";
import type { Store, Tx } from "../store/store.js";

export interface AgentHubOptions {
  readonly store: Store;
  /** Health the agents report is a task change like any other: written through the hooks. */
  readonly hooks: TaskHooks;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly keys: AgentKeys;
  readonly region: string;
  readonly accountId: string;
  /** How often every connected agent is sent its tasks again. */
  readonly resyncMs?: number;
  /**
   * How long after a push to an instance further changes gather into one more
   * push (default 20 ms): each message is the complete set, so a burst of N
   * RunTasks or StopTasks must not send it N times. A change after a quiet
   * spell is pushed at once.
   */
  readonly pushGapMs?: number;
  /** Waits `ms` (tests replace it to hold the gap open). */
  readonly wait?: (ms: number) => Promise<void>;
}

const timerWait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

const bearer = (req: IncomingMessage): string => /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";

export class AgentHub implements InstanceNotifier {
  private readonly sockets = new Map<string, Set<WebSocket>>();
  /** Instances with a push in flight, and whether another is owed after it. */
  private readonly pushing = new Map<string, boolean>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly definitions = new Map<string, TaskDefinition>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: AgentHubOptions) {}

  tasksChanged(containerInstanceArns: readonly string[]): void {
    for (const arn of containerInstanceArns) if (this.sockets.has(arn)) this.push(arn);
  }

  /** Whether any agent holds a channel for the instance. */
  connected(containerInstanceArn: string): boolean {
    return (this.sockets.get(containerInstanceArn)?.size ?? 0) > 0;
  }

  subsystem(): Subsystem {
    return {
      routes: [{ matches: (req, url) => req.method === "POST" && url.pathname === joinPath, handle: (req, res) => this.join(req, res) }],
      upgrades: [{ matches: (url) => url.pathname === connectPath, upgrade: (req, socket, head, url) => this.connect(req, socket, head, url) }],
      start: () => {
        // No agent is connected to a process that just started; those that are
        // alive reconnect within seconds and are marked connected again.
        void this.forgetConnections();
        this.timer = setInterval(() => {
          for (const arn of this.sockets.keys()) {
            this.push(arn);
            // Re-asserted each round: another replica starting may have cleared it.
            void this.setConnected(arn, true);
          }
        }, this.opts.resyncMs ?? 5000);
        this.timer.unref();
      },
      stop: async () => {
        clearInterval(this.timer);
        for (const set of this.sockets.values()) for (const ws of set) ws.terminate();
        await new Promise<void>((resolve) => this.wss.close(() => resolve()));
      },
    };
  }

  private join(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.opts.keys.accepts(bearer(req))) {
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ message: "The join token is not valid for this control plane." }));
      return Promise.resolve();
    }
    const body: JoinResponse = {
      accessKeyId: this.opts.keys.principal.accessKeyId,
      secretAccessKey: this.opts.keys.principal.secretAccessKey,
      region: this.opts.region,
      accountId: this.opts.accountId,
    };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    return Promise.resolve();
  }

  private connect(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    const instanceArn = url.searchParams.get("containerInstance") ?? "";
    if (!this.opts.keys.accepts(bearer(req)) || !clusterArnOfInstance(instanceArn)) {
      socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      let set = this.sockets.get(instanceArn);
      if (!set) this.sockets.set(instanceArn, (set = new Set()));
      set.add(ws);
      this.opts.logger.info({ instanceArn }, "agent connected");
      void this.setConnected(instanceArn, true).then(() => this.push(instanceArn));
      ws.on("message", (data: Buffer) => void this.receive(data));
      ws.on("close", () => {
        set.delete(ws);
        if (set.size === 0) {
          this.sockets.delete(instanceArn);
          this.opts.logger.info({ instanceArn }, "agent disconnected");
          void this.setConnected(instanceArn, false);
        }
      });
    });
  }

  private async forgetConnections(): Promise<void> {
    try {
      await this.opts.store.tx(async (tx) => {
        for (let after: string | undefined, more = true; more; ) {
          const clusters = await tx.listEveryClusterArn({ limit: 100, ...(after ? { after } : {}) });
          for (const cluster of clusters.items) {
            for (let from: string | undefined, rest = true; rest; ) {
              const page = await tx.listContainerInstances(cluster, { limit: 100, ...(from ? { after: from } : {}) });
              for (const i of page.items) {
                if (i.agentConnected && !this.sockets.has(i.containerInstanceArn!)) {
                  await tx.putContainerInstance(cluster, { ...i, agentConnected: false });
                }
              }
              from = page.next;
              rest = page.next !== undefined;
            }
          }
          after = clusters.next;
          more = clusters.next !== undefined;
        }
      });
    } catch (err) {
      this.opts.logger.error({ err }, "could not reset agent connections");
    }
  }

  private async setConnected(instanceArn: string, connected: boolean): Promise<void> {
    try {
      await this.opts.store.tx(async (tx) => {
        const cluster = clusterArnOfInstance(instanceArn);
        const instance = await tx.getContainerInstance(cluster, instanceArn);
        if (instance && instance.agentConnected !== connected) await tx.putContainerInstance(cluster, { ...instance, agentConnected: connected });
      });
    } catch (err) {
      this.opts.logger.error({ err, instanceArn }, "could not record agent connection");
    }
  }

  /** Sends the instance its tasks; pushes asked for while one is in flight, or within the gap after it, coalesce into one more. */
  private push(instanceArn: string): void {
    if (this.pushing.has(instanceArn)) {
      this.pushing.set(instanceArn, true);
      return;
    }
    this.pushing.set(instanceArn, false);
    void (async () => {
      try {
        const tasks = await this.opts.store.tx((tx) => this.assigned(tx, instanceArn));
        const message: HubMessage = { type: "tasks", tasks };
        const text = encodeDoc(message);
        for (const ws of this.sockets.get(instanceArn) ?? []) ws.send(text);
        await (this.opts.wait ?? timerWait)(this.opts.pushGapMs ?? 20);
      } catch (err) {
        this.opts.logger.error({ err, instanceArn }, "could not push tasks to agent");
      } finally {
        const again = this.pushing.get(instanceArn);
        this.pushing.delete(instanceArn);
        if (again) this.push(instanceArn);
      }
    })();
  }

  private async assigned(tx: Tx, instanceArn: string): Promise<AssignedTask[]> {
    const tasks = await tx.liveTasksOnInstance(instanceArn);
    const out: AssignedTask[] = [];
    for (const task of tasks) {
      const arn = task.taskDefinitionArn!;
      let def = this.definitions.get(arn);
      if (!def) {
        const ref = revisionOfArn(arn);
        def = ref ? await tx.getTaskDefinition(ref.region, ref.family, ref.revision) : undefined;
        // Revisions never change once registered (only their status), so they can be cached.
        if (def) this.definitions.set(arn, def);
      }
      if (def) out.push({ task, taskDefinition: def });
    }
    return out;
  }

  private async receive(data: Buffer): Promise<void> {
    let message: AgentMessage;
    try {
      message = decodeDoc<AgentMessage>(data.toString("utf8"));
    } catch {
      return;
    }
    if (message.type !== "health") return;
    try {
      await this.opts.hooks.tx("agent", async (tx, changes) => {
        for (const { taskArn, healthStatus, containers } of message.tasks) {
          await changeTask(tx, changes, taskArn, { kind: "health", healthStatus, containers }, this.opts.clock.now());
        }
      });
    } catch (err) {
      this.opts.logger.error({ err }, "could not record container health");
    }
  }
}
