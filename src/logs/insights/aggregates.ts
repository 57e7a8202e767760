// The aggregate functions of stats, one accumulator per group and aggregate:
// count, count_distinct, sum, avg, min, max, pct, stddev, earliest, latest. Pure.

import { argument, compare, evaluate, Instant, ResultRow, toNumber, type Row, type Value } from "./evaluate.js";
import type { Expr } from "./parse.js";

/** A value as a map key: values of different types never collide. */
export const keyOf = (v: Value): string =>
  v === undefined ? "u" : v instanceof Instant ? `t${v.ms}` : typeof v === "number" ? `n${v}` : typeof v === "boolean" ? `b${v}` : `s${v}`;



export interface Accumulator {
  add(row: Row): void;
  /** count only: `n` events counted elsewhere (by the store). */
  addCount?(n: number): void;
  result(): Value;
}

export function accumulator(call: Extract<Expr, { kind: "call" }>): Accumulator {
  const arg = call.args[0];
  const read = (row: Row): Value => (arg === undefined || arg.kind === "star" ? true : evaluate(arg, row));
  /** Feeds `take` the argument of each row that reads as a number; other rows are skipped. */
  const numbers =
    (take: (x: number) => void) =>
    (row: Row): void => {
      const x = toNumber(read(row));
      if (x !== undefined) take(x);
    };
  switch (call.name) {
    case "count": {
      let n = 0;
      return { add: (row) => void (read(row) !== undefined && n++), addCount: (k) => void (n += k), result: () => n };
    }
    case "count_distinct": {
      const seen = new Set<string>();
      return { add: (row) => void (read(row) !== undefined && seen.add(keyOf(read(row)))), result: () => seen.size };
    }
    case "sum":
    case "avg": {
      let sum = 0;
      let n = 0;
      return {
        add: numbers((x) => {
          sum += x;
          n++;
        }),
        result: () => (n === 0 ? undefined : call.name === "sum" ? sum : sum / n),
      };
    }
    case "min":
    case "max": {
      let best: Value;
      const sign = call.name === "min" ? -1 : 1;
      return {
        add: (row) => {
          const v = read(row);
          if (v === undefined || toNumber(v) === undefined) return;
          if (best === undefined || (compare(v, best) ?? 0) * sign > 0) best = v instanceof Instant || typeof v === "number" ? v : toNumber(v);
        },
        result: () => best,
      };
    }
    case "pct":
    case "percentile": {
      const p = Number(evaluate(argument(call.args, 1), new ResultRow(new Map())));
      const values: number[] = [];
      return {
        add: numbers((x) => values.push(x)),
        result: () => {
          if (values.length === 0) return undefined;
          const sorted = Float64Array.from(values).sort();
          // Nearest rank.
          return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
        },
      };
    }
    case "stddev": {
      // Welford's running variance; the sample standard deviation.
      let n = 0;
      let mean = 0;
      let m2 = 0;
      return {
        add: numbers((x) => {
          n++;
          const d = x - mean;
          mean += d / n;
          m2 += d * (x - mean);
        }),
        result: () => (n < 2 ? (n === 1 ? 0 : undefined) : Math.sqrt(m2 / (n - 1))),
      };
    }
    default: {
      // earliest / latest: the value at the first / last @timestamp.
      const latest = call.name === "latest";
      let at = latest ? -Infinity : Infinity;
      let value: Value;
      return {
        add: (row) => {
          const v = read(row);
          const t = toNumber(row.get("@timestamp"));
          if (v === undefined || t === undefined) return;
          if (latest ? t < at : t > at) return;
          at = t;
          value = v;
        },
        result: () => value,
      };
    }
  }
}
