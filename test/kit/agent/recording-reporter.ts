// A StateReporter for tests: keeps every accepted report, can refuse some first
// (as an unreachable control plane would), and waits for a report to arrive.

import type { SubmitTaskStateChangeRequest } from "../../../src/model/generated/ecs.js";
import type { StateReporter } from "../../../src/agent/engine-types.js";

export class RecordingReporter implements StateReporter {
  readonly reports: SubmitTaskStateChangeRequest[] = [];
  private refuse = 0;
  private readonly waiters: { test: (r: SubmitTaskStateChangeRequest) => boolean; resolve: (r: SubmitTaskStateChangeRequest) => void }[] = [];

  /** The next `n` submissions fail. */
  refuseNext(n: number): void {
    this.refuse = n;
  }

  submitTaskStateChange(change: SubmitTaskStateChangeRequest): Promise<void> {
    if (this.refuse > 0) {
      this.refuse--;
      return Promise.reject(new Error("control plane unreachable"));
    }
    this.reports.push(change);
    for (const w of [...this.waiters]) {
      if (w.test(change)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(change);
      }
    }
    return Promise.resolve();
  }

  /** The latest report for a task. */
  latest(taskArn: string | undefined): SubmitTaskStateChangeRequest | undefined {
    return this.reports.filter((r) => r.task === taskArn).at(-1);
  }

  /** Resolves with the first report (already received or coming) that passes `test`. */
  waitFor(test: (r: SubmitTaskStateChangeRequest) => boolean, timeoutMs = 60_000, what = "a matching report"): Promise<SubmitTaskStateChangeRequest> {
    const seen = this.reports.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; reports so far: ${JSON.stringify(this.reports.map((r) => [r.task?.split("/").pop(), r.status, r.reason]))}`));
      }, timeoutMs);
      const waiter = {
        test,
        resolve: (r: SubmitTaskStateChangeRequest) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      this.waiters.push(waiter);
    });
  }
}
