// Values and expressions of Logs Insights queries: what a field holds, how an
// expression is computed over one row, and how results are printed. Pure.
//
// A value is a string, a number, a boolean, an Instant (a point in time, printed
// as AWS prints @timestamp) or undefined (the field is absent). Comparisons and
// arithmetic read numbers out of numeric strings, as parsed fields are strings.

import type { Expr } from "./parse.js";

export class Instant {
  constructor(readonly ms: number) {}
}

export type Value = string | number | boolean | Instant | undefined;

/** What an expression reads: one event, or one result row of stats. */
export interface Row {
  get(name: string): Value;
}

/** A row of stats output: its columns are named by their aliases or their expressions' text. */
export class ResultRow implements Row {
  constructor(readonly columns: Map<string, Value>) {}
  get(name: string): Value {
    return this.columns.get(name);
  }
}

/** `2024-05-01 12:34:56.789`, in UTC, as Logs Insights prints times. */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 23);
}

/** The text GetQueryResults returns for a value. */
export function formatValue(v: Exclude<Value, undefined>): string {
  if (v instanceof Instant) return formatInstant(v.ms);
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(15)));
  return String(v);
}

export function toNumber(v: Value): number | undefined {
  if (typeof v === "number") return v;
  if (v instanceof Instant) return v.ms;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v);
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}

const toText = (v: Value): string | undefined => (v === undefined ? undefined : formatValue(v));

export function truthy(v: Value): boolean {
  if (v === undefined) return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") return v !== "";
  return true;
}

/** -1, 0, 1; undefined when either side is absent. Numbers compare as numbers when both sides read as one. */
export function compare(a: Value, b: Value): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (typeof a !== "string" || typeof b !== "string") {
    const x = toNumber(a);
    const y = toNumber(b);
    if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = toText(a)!;
  const y = toText(b)!;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Sort order: absent values sort after present ones in either direction. */
export function sortCompare(a: Value, b: Value, descending: boolean): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  const c = compare(a, b) ?? 0;
  return descending ? -c : c;
}

const floorTo = (ms: number, period: number): number => Math.floor(ms / period) * period;

function periodOf(e: Expr): number {
  return e.kind === "period" ? e.ms : Number.NaN;
}

/** Argument `i` of a call: the parser has checked every function's argument count. */
export function argument(args: readonly Expr[], i: number): Expr {
  const arg = args[i];
  if (arg === undefined) throw new Error(`a call has no argument ${i + 1}, though the parser checked its argument count`);
  return arg;
}

type Fn = (args: readonly Expr[], row: Row) => Value;

const text1 = (f: (s: string) => Value): Fn => (args, row) => {
  const s = toText(evaluate(argument(args, 0), row));
  return s === undefined ? undefined : f(s);
};

const number1 = (f: (n: number) => number): Fn => (args, row) => {
  const n = toNumber(evaluate(argument(args, 0), row));
  return n === undefined ? undefined : f(n);
};

function numbersOf(args: readonly Expr[], row: Row): number[] {
  return args.map((a) => toNumber(evaluate(a, row))).filter((n): n is number => n !== undefined);
}

const functions: ReadonlyMap<string, Fn> = new Map<string, Fn>([
  ["strlen", text1((s) => [...s].length)],
  ["toupper", text1((s) => s.toUpperCase())],
  ["tolower", text1((s) => s.toLowerCase())],
  ["trim", text1((s) => s.trim())],
  ["ltrim", text1((s) => s.trimStart())],
  ["rtrim", text1((s) => s.trimEnd())],
  ["concat", (args, row) => args.map((a) => toText(evaluate(a, row)) ?? "").join("")],
  [
    "substr",
    (args, row) => {
      const s = toText(evaluate(argument(args, 0), row));
      const from = toNumber(evaluate(argument(args, 1), row));
      const length = args[2] === undefined ? undefined : toNumber(evaluate(args[2], row));
      if (s === undefined || from === undefined) return undefined;
      return length === undefined ? s.slice(from) : s.slice(from, from + length);
    },
  ],
  [
    "replace",
    (args, row) => {
      const [s, find, by] = args.map((a) => toText(evaluate(a, row)));
      return s === undefined ? undefined : find === undefined || find === "" ? s : s.split(find).join(by ?? "");
    },
  ],
  [
    "strcontains",
    (args, row) => {
      const [s, sub] = args.map((a) => toText(evaluate(a, row)));
      return s !== undefined && sub !== undefined && s.includes(sub) ? 1 : 0;
    },
  ],
  ["ispresent", (args, row) => evaluate(argument(args, 0), row) !== undefined],
  [
    "isempty",
    (args, row) => {
      const v = evaluate(argument(args, 0), row);
      return v === undefined || v === "";
    },
  ],
  [
    "isblank",
    (args, row) => {
      const v = evaluate(argument(args, 0), row);
      return v === undefined || (typeof v === "string" && v.trim() === "");
    },
  ],
  [
    "coalesce",
    (args, row) => {
      for (const a of args) {
        const v = evaluate(a, row);
        if (v !== undefined) return v;
      }
      return undefined;
    },
  ],
  ["abs", number1(Math.abs)],
  ["floor", number1(Math.floor)],
  ["ceil", number1(Math.ceil)],
  ["sqrt", number1(Math.sqrt)],
  ["log", number1(Math.log)],
  ["greatest", (args, row) => (numbersOf(args, row).length === 0 ? undefined : Math.max(...numbersOf(args, row)))],
  ["least", (args, row) => (numbersOf(args, row).length === 0 ? undefined : Math.min(...numbersOf(args, row)))],
  [
    "bin",
    (args, row) => {
      const t = toNumber(row.get("@timestamp"));
      return t === undefined ? undefined : new Instant(floorTo(t, periodOf(argument(args, 0))));
    },
  ],
  [
    "datefloor",
    (args, row) => {
      const t = toNumber(evaluate(argument(args, 0), row));
      return t === undefined ? undefined : new Instant(floorTo(t, periodOf(argument(args, 1))));
    },
  ],
  [
    "dateceil",
    (args, row) => {
      const t = toNumber(evaluate(argument(args, 0), row));
      const p = periodOf(argument(args, 1));
      return t === undefined ? undefined : new Instant(Math.ceil(t / p) * p);
    },
  ],
  [
    "frommillis",
    (args, row) => {
      const n = toNumber(evaluate(argument(args, 0), row));
      return n === undefined ? undefined : new Instant(n);
    },
  ],
  ["tomillis", (args, row) => toNumber(evaluate(argument(args, 0), row))],
]);

function arithmetic(op: string, a: number, b: number): number | undefined {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return b === 0 ? undefined : a / b;
    case "%":
      return b === 0 ? undefined : a % b;
    default:
      return a ** b;
  }
}

function matches(subject: Value, pattern: Expr): boolean {
  const s = toText(subject);
  if (s === undefined) return false;
  if (pattern.kind === "regex") {
    pattern.regex.lastIndex = 0;
    return pattern.regex.test(s);
  }
  // `like "text"` is a case-sensitive substring test.
  return pattern.kind === "string" && s.includes(pattern.value);
}

/** The value of `e` for `row`. Aggregates are computed by the stats stage; here they read its output column. */
export function evaluate(e: Expr, row: Row): Value {
  switch (e.kind) {
    case "field":
      return row.get(e.name);
    case "number":
      return e.value;
    case "string":
      return e.value;
    case "regex":
      return e.regex.source;
    case "period":
      return e.ms;
    case "star":
      return undefined;
    case "call": {
      // After stats, `sort count(*) desc` or `fields bin(1m)` name a column.
      if (row instanceof ResultRow && row.columns.has(e.text)) return row.columns.get(e.text);
      const fn = functions.get(e.name);
      return fn ? fn(e.args, row) : undefined;
    }
    case "negate": {
      const n = toNumber(evaluate(e.arg, row));
      return n === undefined ? undefined : -n;
    }
    case "not":
      return !truthy(evaluate(e.arg, row));
    case "like":
      return matches(evaluate(e.subject, row), e.pattern) !== e.negated;
    case "in": {
      const v = evaluate(e.subject, row);
      const found = v !== undefined && e.list.some((x) => compare(v, evaluate(x, row)) === 0);
      return found !== e.negated;
    }
    case "binary": {
      if (e.op === "and") return truthy(evaluate(e.left, row)) && truthy(evaluate(e.right, row));
      if (e.op === "or") return truthy(evaluate(e.left, row)) || truthy(evaluate(e.right, row));
      const a = evaluate(e.left, row);
      const b = evaluate(e.right, row);
      switch (e.op) {
        case "=":
          return compare(a, b) === 0;
        case "!=": {
          const c = compare(a, b);
          return c !== undefined && c !== 0;
        }
        case "<":
          return (compare(a, b) ?? 0) < 0;
        case "<=": {
          const c = compare(a, b);
          return c !== undefined && c <= 0;
        }
        case ">":
          return (compare(a, b) ?? 0) > 0;
        case ">=": {
          const c = compare(a, b);
          return c !== undefined && c >= 0;
        }
        default: {
          const x = toNumber(a);
          const y = toNumber(b);
          return x === undefined || y === undefined ? undefined : arithmetic(e.op, x, y);
        }
      }
    }
  }
}

/** Every field name `e` reads (aggregates included), for deciding what to fetch. */
export function fieldsRead(e: Expr, out: Set<string>): Set<string> {
  switch (e.kind) {
    case "field":
      out.add(e.name);
      break;
    case "call":
      if (e.name === "bin") out.add("@timestamp");
      for (const a of e.args) fieldsRead(a, out);
      break;
    case "negate":
    case "not":
      fieldsRead(e.arg, out);
      break;
    case "like":
      fieldsRead(e.subject, out);
      break;
    case "in":
      fieldsRead(e.subject, out);
      for (const x of e.list) fieldsRead(x, out);
      break;
    case "binary":
      fieldsRead(e.left, out);
      fieldsRead(e.right, out);
      break;
  }
  return out;
}
