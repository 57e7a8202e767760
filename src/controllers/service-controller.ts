// The service scheduler's loop: level-triggered, it reads desired and actual state
// from the store on every pass and converges, so a restart (of this process or of
// any other) resumes where the store says things are. One loop per store in a
// process; across replicas sharing a PostgreSQL store, a lease picks the one
// leader that runs it.
//
//   every intervalMs, or at once when prodded (the API, or task hooks: a service's task changed):
//     lease? ─ instance liveness (host loss) per cluster ─ syncService per service (one transaction each)
//     each transaction through the task hooks, which tell the agents once it commits

import { randomUUID } from "node:crypto";
import pino, { type Logger } from "pino";
import type { Subsystem } from "../subsystem.js";
import { systemClock, type Clock } from "../clock.js";
import { concernsServices, type TaskHooks } from "../ecs/task-hooks.js";
import type { Store } from "../store/store.js";
import { checkInstances } from "./instance-liveness.js";
import { syncService } from "./service-sync.js";

export interface ServiceControllerDeps {
  readonly store: Store;
  /** The passes' task writes go through them; and a service task changed elsewhere prods the controller. */
  readonly hooks: TaskHooks;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Between passes when nothing prods the controller (BERTH_SERVICE_RECONCILE_MS; default 1000). */
  readonly intervalMs?: number;
  /** How long an agent may be away before its instance's tasks are declared lost (BERTH_INSTANCE_LOST_MS; default 3 minutes). */
  readonly instanceLostAfterMs?: number;
  /** The first delay of the launch throttle (BERTH_SERVICE_THROTTLE_MS; default 10 s). */
  readonly throttleBaseMs?: number;
  /**
   * How long a task without container health checks must have been RUNNING before it counts as healthy
   * (BERTH_SERVICE_SETTLE_MS; default 5 s — ECS waits 40 s, Berth less so local rollouts stay quick). Without it
   * a container that exits a moment after starting would count as healthy, let a rollout stop the old tasks
   * and complete before the circuit breaker saw a failure.
   */
  readonly settleMs?: number;
  /** How long the leader's lease lasts without renewal (default 15 s). */
  readonly leaseMs?: number;
  /** Placement's randomness (the random strategy). */
  readonly random?: () => number;
}

const leaseName = "service-controller";

/** A duration setting: the explicit value, else the environment's, else the default. */
function setting(value: number | undefined, env: string, fallback: number): number {
  if (value !== undefined) return value;
  const raw = process.env[env];
  const n = raw === undefined || raw === "" ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** Stores whose loop runs in this process. */
const running = new WeakMap<Store, ServiceController>();

export class ServiceController {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly lostAfterMs: number;
  private readonly throttleBaseMs: number;
  private readonly settleMs: number;
  private readonly leaseMs: number;
  private readonly holder = randomUUID();
  private loop: Promise<void> | undefined;
  private active = false;
  private prodded = false;
  private wake: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: ServiceControllerDeps) {
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? pino({ level: process.env["BERTH_LOG_LEVEL"] ?? "warn" }, pino.destination(2));
    this.intervalMs = setting(deps.intervalMs, "BERTH_SERVICE_RECONCILE_MS", 1000);
    this.lostAfterMs = setting(deps.instanceLostAfterMs, "BERTH_INSTANCE_LOST_MS", 180_000);
    this.throttleBaseMs = setting(deps.throttleBaseMs, "BERTH_SERVICE_THROTTLE_MS", 10_000);
    this.settleMs = setting(deps.settleMs, "BERTH_SERVICE_SETTLE_MS", 5000);
    this.leaseMs = setting(deps.leaseMs, "BERTH_SERVICE_LEASE_MS", 15_000);
  }

  /** Starts the loop, unless one already runs for this store in this process. */
  start(): void {
    if (this.active || running.has(this.deps.store)) return;
    running.set(this.deps.store, this);
    this.active = true;
    this.unsubscribe = this.deps.hooks.subscribe((batch) => {
      if (concernsServices(batch)) this.prod();
    });
    this.loop = this.run();
  }

  /** Stops after the current pass and hands the lease back, so another process takes over at once. */
  async stop(): Promise<void> {
    if (this.active) {
      this.active = false;
      this.unsubscribe?.();
      this.wake?.();
      await this.loop;
      if (running.get(this.deps.store) === this) running.delete(this.deps.store);
    }
    try {
      await this.deps.store.tx((tx) => tx.services.releaseLease(leaseName, this.holder));
    } catch (err) {
      this.logger.warn({ err }, "could not release the service controller lease");
    }
  }

  /** The loop, started and stopped with the control plane. */
  subsystem(): Subsystem {
    return {
      start: () => this.start(),
      stop: () => this.stop(),
    };
  }

  /** Asks for a pass as soon as the current one ends. */
  prod(): void {
    this.prodded = true;
    this.wake?.();
  }

  /** One pass over every cluster and service; returns false when another process holds the lease. */
  async runOnce(): Promise<boolean> {
    const { store } = this.deps;
    const leader = await store.tx((tx) => tx.services.acquireLease(leaseName, this.holder, this.clock.now(), this.leaseMs));
    if (!leader) return false;
    const clusters: string[] = [];
    await store.tx(async (tx) => {
      for (let after: string | undefined, more = true; more; ) {
        const page = await tx.listEveryClusterArn({ limit: 100, ...(after ? { after } : {}) });
        clusters.push(...page.items);
        after = page.next;
        more = page.next !== undefined;
      }
    });
    const { hooks } = this.deps;
    for (const cluster of clusters) {
      await hooks.tx("service-scheduler", async (tx, changes) => {
        await tx.getCluster(cluster);
        return checkInstances(tx, changes, cluster, this.clock.now(), this.lostAfterMs);
      });
    }
    const services = await store.tx((tx) => tx.services.servicesToReconcile());
    for (const ref of services) {
      try {
        await hooks.tx("service-scheduler", (tx, changes) =>
          syncService(tx, changes, ref, {
            now: this.clock.now(),
            throttleBaseMs: this.throttleBaseMs,
            settleMs: this.settleMs,
            ...(this.deps.random ? { random: this.deps.random } : {}),
          }),
        );
      } catch (err) {
        // One service's trouble must not stall the others; the next pass tries it again.
        this.logger.error({ err, service: ref.arn }, "service pass failed");
      }
    }
    // The ledger of settled tasks is kept as long as the tasks themselves are (an hour), then dropped.
    await store.tx((tx) => tx.services.pruneServiceTasks(new Date(this.clock.now().getTime() - 2 * 3600_000)));
    return true;
  }

  private async run(): Promise<void> {
    while (this.active) {
      this.prodded = false;
      try {
        await this.runOnce();
      } catch (err) {
        this.logger.error({ err }, "service controller pass failed");
      }
      if (!this.active || this.prodded) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.intervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}

