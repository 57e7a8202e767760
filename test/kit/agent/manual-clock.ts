// A clock that only moves when a test says so: sleeps resolve when `advance`
// passes their deadline, so timeouts are tested without waiting for them.

import { abortReason, type AgentClock } from "../../../src/agent/agent-clock.js";

interface Sleeper {
  readonly due: number;
  readonly resolve: () => void;
}

export class ManualClock implements AgentClock {
  private ms: number;
  private sleepers: Sleeper[] = [];

  constructor(start = Date.parse("2025-01-01T00:00:00Z")) {
    this.ms = start;
  }

  now(): Date {
    return new Date(this.ms);
  }

  /** How many sleeps are pending: lets a test wait until the engine is waiting on time. */
  get pendingSleeps(): number {
    return this.sleepers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const sleeper: Sleeper = {
        due: this.ms + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(abortReason(signal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** Moves time forward, waking every sleeper whose deadline has passed, in deadline order. */
  async advance(ms: number): Promise<void> {
    const target = this.ms + ms;
    for (;;) {
      const next = this.sleepers.filter((s) => s.due <= target).sort((a, b) => a.due - b.due)[0];
      if (!next) break;
      this.ms = Math.max(this.ms, next.due);
      this.sleepers = this.sleepers.filter((s) => s !== next);
      next.resolve();
      // Let whatever the sleeper resumes run (and perhaps sleep again) before the next deadline.
      await settle();
    }
    this.ms = target;
    await settle();
  }
}

/** Lets queued promise callbacks and immediates run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}
