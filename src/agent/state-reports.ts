// Reports to the control plane: the latest state of each task is sent with
// SubmitTaskStateChange until accepted, retried with backoff while the control
// plane is unreachable; intermediate states may be coalesced, but a report never
// goes backwards. As ECS's agent does, a report goes out when a status moves
// (task, container or attachment); details learnt in between (runtime ids,
// digests, pull times) ride with the next one.

import type { SubmitTaskStateChangeRequest } from "../model/generated/ecs.js";
import type { StateReporter } from "./engine-types.js";
import { abortReason, isAbortError, type AgentClock } from "./agent-clock.js";

const statusRank: Readonly<Record<string, number>> = { PENDING: 0, RUNNING: 1, STOPPED: 2 };

/** Pure: whether `next` would move any status (task or container) backwards from `prev`. */
export function goesBackwards(prev: SubmitTaskStateChangeRequest | undefined, next: SubmitTaskStateChangeRequest): boolean {
  if (!prev) return false;
  if ((statusRank[next.status ?? ""] ?? 0) < (statusRank[prev.status ?? ""] ?? 0)) return true;
  for (const c of next.containers ?? []) {
    const before = prev.containers?.find((p) => p.containerName === c.containerName);
    if (before && (statusRank[c.status ?? ""] ?? 0) < (statusRank[before.status ?? ""] ?? 0)) return true;
  }
  return false;
}

function sameReport(a: SubmitTaskStateChangeRequest, b: SubmitTaskStateChangeRequest): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The statuses a report shows: the task's, each container's and each attachment's. */
function statuses(r: SubmitTaskStateChangeRequest): string {
  const containers = (r.containers ?? [])
    .map((c) => `${c.containerName ?? ""}=${c.status ?? ""}`)
    .sort()
    .join(",");
  const attachments = (r.attachments ?? []).map((a) => `${a.attachmentArn}=${a.status}`).join(",");
  return `${r.status ?? ""};${containers};${attachments}`;
}

/**
 * Pure: whether `next` is worth a SubmitTaskStateChange after `accepted`: the
 * first report, any status that moved, and, once the task is STOPPED (nothing
 * follows it), any detail that changed.
 */
export function worthSending(accepted: SubmitTaskStateChangeRequest | undefined, next: SubmitTaskStateChangeRequest): boolean {
  if (!accepted) return true;
  if (statuses(accepted) !== statuses(next)) return true;
  return next.status === "STOPPED" && !sameReport(accepted, next);
}

interface Line {
  latest: SubmitTaskStateChangeRequest;
  acked?: SubmitTaskStateChangeRequest;
  /** What the control plane showed when it last sent the task: stands for `acked` in deciding what is worth sending, until a report is accepted. */
  shown?: SubmitTaskStateChangeRequest;
  sending: boolean;
  waiters: { test: (c: SubmitTaskStateChangeRequest) => boolean; resolve: () => void }[];
  readonly abort: AbortController;
}

export interface ReportBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

export class TaskStateReports {
  private readonly lines = new Map<string, Line>();
  private readonly stopped = new AbortController();
  private readonly sends = new Set<Promise<void>>();

  constructor(
    private readonly reporter: StateReporter,
    private readonly clock: AgentClock,
    private readonly backoff: ReportBackoff,
    private readonly onError: (taskArn: string, err: unknown) => void = () => {},
  ) {}

  /** The task's state now; sent when it is worth sending after what was last accepted (`worthSending`). */
  update(taskArn: string, change: SubmitTaskStateChangeRequest): void {
    if (this.stopped.signal.aborted) return;
    let line = this.lines.get(taskArn);
    if (!line) {
      line = { latest: change, sending: false, waiters: [], abort: new AbortController() };
      this.lines.set(taskArn, line);
    }
    line.latest = change;
    if (!line.sending && worthSending(line.acked ?? line.shown, change)) this.track(this.send(taskArn, line));
  }

  /**
   * What the control plane shows of the task (its statuses in the desired state
   * it sent): a report that would show the same is not worth sending. Never
   * taken as accepted: it neither resolves `whenAccepted` nor bounds "backwards".
   */
  shown(taskArn: string, view: SubmitTaskStateChangeRequest): void {
    if (this.stopped.signal.aborted) return;
    const line = this.lines.get(taskArn);
    if (line) line.shown = view;
    else this.lines.set(taskArn, { latest: view, shown: view, sending: false, waiters: [], abort: new AbortController() });
  }

  /** Resolves once an accepted report satisfies `test` (e.g. the task's STOPPED was received). */
  whenAccepted(taskArn: string, test: (c: SubmitTaskStateChangeRequest) => boolean): Promise<void> {
    const line = this.lines.get(taskArn);
    if (line?.acked && test(line.acked)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const l = this.lines.get(taskArn);
      if (!l) {
        // Nothing was ever reported (an orphan, or reports are off): nothing to wait for.
        resolve();
        return;
      }
      l.waiters.push({ test, resolve });
    });
  }

  lastAccepted(taskArn: string): SubmitTaskStateChangeRequest | undefined {
    return this.lines.get(taskArn)?.acked;
  }

  /** Drops a task's reports (it was cleaned up or is no longer assigned). */
  forget(taskArn: string): void {
    const line = this.lines.get(taskArn);
    if (!line) return;
    line.abort.abort();
    for (const w of line.waiters) w.resolve();
    this.lines.delete(taskArn);
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    for (const line of this.lines.values()) line.abort.abort();
    await Promise.allSettled([...this.sends]);
  }

  private track(p: Promise<void>): void {
    this.sends.add(p);
    void p.finally(() => this.sends.delete(p));
  }

  private async send(taskArn: string, line: Line): Promise<void> {
    line.sending = true;
    let delay = this.backoff.initialMs;
    const signal = AbortSignal.any([this.stopped.signal, line.abort.signal]);
    try {
      while (!signal.aborted && worthSending(line.acked ?? line.shown, line.latest)) {
        const change = line.latest;
        // Invariant: the owner never produces a backwards state; if one appears, it is not sent.
        if (goesBackwards(line.acked, change)) {
          this.onError(taskArn, new Error(`refusing a backwards report for ${taskArn}: ${change.status ?? "?"} after ${line.acked?.status ?? "?"}`));
          return;
        }
        try {
          // A reporter may retry on its own for as long as the control plane is away; stopping must not wait for it.
          await abortable(this.reporter.submitTaskStateChange(change), signal);
          line.acked = change;
          delay = this.backoff.initialMs;
          const ready = line.waiters.filter((w) => w.test(change));
          line.waiters = line.waiters.filter((w) => !ready.includes(w));
          for (const w of ready) w.resolve();
        } catch (err) {
          if (signal.aborted) return;
          this.onError(taskArn, err);
          await this.clock.sleep(delay, signal);
          delay = Math.min(delay * 2, this.backoff.maxMs);
        }
      }
    } catch (err) {
      if (!isAbortError(err)) throw err;
    } finally {
      line.sending = false;
    }
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
