// The retention loop: every interval, each log group with a retention policy
// loses its events older than the policy allows, one bulk DELETE per group.
//
//   tick → groups with retention → cutoff = now − days → expireEvents(group, cutoff)

import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import type { LogStore } from "../store/log-store.js";

const dayMs = 86_400_000;

export interface SweepResult {
  readonly groups: number;
  readonly deleted: number;
}

export interface RetentionOptions {
  readonly logs: LogStore;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Time between sweeps; the first runs this long after start(). */
  readonly intervalMs?: number;
}

export class RetentionSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly opts: RetentionOptions) {}

  /** One pass over every group with a retention policy, at `now` (the clock's by default). */
  async sweep(now: Date = this.opts.clock.now()): Promise<SweepResult> {
    const groups = await this.opts.logs.groupsWithRetention();
    let deleted = 0;
    for (const g of groups) {
      if (g.retentionInDays === undefined) continue;
      deleted += await this.opts.logs.expireEvents(g.id, now.getTime() - g.retentionInDays * dayMs);
    }
    return { groups: groups.length, deleted };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  /** Stops the loop; resolves once a sweep in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.schedule();
      });
    }, this.opts.intervalMs ?? 60_000);
    // The loop alone never keeps the process alive.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      const r = await this.sweep();
      if (r.deleted > 0) this.opts.logger?.info({ groups: r.groups, deleted: r.deleted }, "logs retention expired events");
    } catch (err) {
      this.opts.logger?.warn({ err }, "logs retention sweep failed; retrying next interval");
    }
  }
}
