// A closed-loop load generator: `concurrency` workers each send their next
// request as soon as the previous one answered, until `count` requests are done.
// Latency is measured per request, from send to the last byte of the answer.

import { performance } from "node:perf_hooks";

export interface LoadResult {
  /** Latency of request i in milliseconds, failed requests included. */
  readonly latenciesMs: Float64Array;
  /** Whether request i succeeded. */
  readonly ok: Uint8Array;
  readonly errors: number;
  /** The first few distinct error messages. */
  readonly errorSamples: readonly string[];
  readonly elapsedMs: number;
}

export async function runClosedLoop(opts: {
  readonly concurrency: number;
  readonly count: number;
  /** Sends request i; a rejection counts as an error. */
  readonly send: (i: number) => Promise<unknown>;
}): Promise<LoadResult> {
  const { concurrency, count, send } = opts;
  const latenciesMs = new Float64Array(count);
  const ok = new Uint8Array(count);
  const errorSamples = new Set<string>();
  let errors = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const started = performance.now();
      try {
        await send(i);
        ok[i] = 1;
      } catch (err) {
        errors++;
        if (errorSamples.size < 5) errorSamples.add(err instanceof Error ? err.message : String(err));
      }
      latenciesMs[i] = performance.now() - started;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  return { latenciesMs, ok, errors, errorSamples: [...errorSamples], elapsedMs: performance.now() - started };
}

/**
 * A closed loop of `concurrency` workers sending requests 0, 1, 2, … until
 * `seconds` have passed; `record` hears of each request as it ends, with its
 * latency and, if it failed, why. Returns how many it sent and how many failed.
 */
export async function runFor(opts: {
  readonly concurrency: number;
  readonly seconds: number;
  /** Sends request i; a rejection counts as an error. */
  readonly send: (i: number) => Promise<unknown>;
  readonly record?: (latencyMs: number, err?: unknown) => void;
}): Promise<{ readonly sent: number; readonly errors: number }> {
  const { concurrency, seconds, send, record } = opts;
  const until = performance.now() + seconds * 1000;
  let sent = 0;
  let errors = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < until) {
      const started = performance.now();
      try {
        await send(sent++);
        record?.(performance.now() - started);
      } catch (err) {
        errors++;
        record?.(performance.now() - started, err);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { sent, errors };
}

/**
 * Warms a target up: requests 0…count-1 over and over until `seconds` have
 * passed (runFor). Answers are not kept, and a failed request is counted and
 * sent past: the measured run that follows reports errors.
 */
export function warmUp(opts: {
  readonly concurrency: number;
  readonly seconds: number;
  readonly count: number;
  readonly send: (i: number) => Promise<unknown>;
}): Promise<{ readonly sent: number; readonly errors: number }> {
  return runFor({ concurrency: opts.concurrency, seconds: opts.seconds, send: (i) => opts.send(i % opts.count) });
}

/** A small seeded PRNG (mulberry32), so every target gets the same request sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks one of `weighted` by weight with `random()` in [0, 1). */
export function pickWeighted<T extends { readonly weight: number }>(weighted: readonly T[], random: () => number): T {
  const total = weighted.reduce((sum, w) => sum + w.weight, 0);
  let r = random() * total;
  for (const w of weighted) {
    r -= w.weight;
    if (r < 0) return w;
  }
  // Rounding can leave r a hair above 0 after the last weight: that one is picked.
  const last = weighted.at(-1);
  if (last === undefined) throw new Error("nothing to pick from");
  return last;
}
