// A parsed query as a chain of streaming stages, and what it needs from the
// store. Pure: events are pushed in (newest first), result rows come out.
//
//   events ─ filter / fields / parse / dedup / limit (one event at a time)
//          ─ stats (one accumulator per group) ─ sort (top-k when a limit follows) ─ output
//
// Memory is bounded by what the query keeps, not by the events read: stats keeps
// one entry per group (pct and count_distinct also keep their values), sort keeps
// the rows a limit lets through, output keeps at most `limit` rows. A limit, or an
// output that is full, asks for no more events, so `fields … | limit 20` reads 20.

import type { ResultField } from "../../model/generated/logs.js";
import type { SweptEvent } from "../../store/log-store.js";
import { accumulator, keyOf, type Accumulator } from "./aggregates.js";
import { evaluate, fieldsRead, formatValue, Instant, ResultRow, sortCompare, truthy, type Row, type Value } from "./evaluate.js";
import { commandExprs, type Command, type Expr, type Named, type SortKey } from "./parse.js";

/** What an event's system fields are made from, per log group. */
export interface EventSource {
  /** `@log`: `account:group`. */
  readonly log: string;
  streamName(streamId: number): string | undefined;
  /** `@ptr`: an opaque pointer to the event. */
  ptr(event: SweptEvent): string;
}

/** The system fields a query that names no fields shows, before the discovered ones. */
const defaultFields = ["@timestamp", "@message", "@logStream", "@log"];
/** How many JSON fields one event contributes at most. */
const maxDiscoveredFields = 1_000;

/** Flattens a JSON object into dotted paths (`a.b`, `list.0`), as Logs Insights discovers fields. */
function flatten(value: unknown, prefix: string, out: Map<string, Value>): void {
  if (out.size >= maxDiscoveredFields) return;
  if (value === null || value === undefined) return;
  if (typeof value === "object") {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix === "" ? k : `${prefix}.${k}`, out);
    return;
  }
  if (prefix !== "" && (typeof value === "string" || typeof value === "number" || typeof value === "boolean")) out.set(prefix, value);
}

/** One event as a row: system fields, fields the query assigned, and the message's JSON fields, found on first use. */
export class EventRow implements Row {
  private assigned: Map<string, Value> | undefined;
  private json: Map<string, Value> | undefined;

  constructor(
    readonly event: SweptEvent,
    readonly source: EventSource,
  ) {}

  set(name: string, value: Value): void {
    (this.assigned ??= new Map()).set(name, value);
  }

  get(name: string): Value {
    const assigned = this.assigned?.get(name);
    if (assigned !== undefined || this.assigned?.has(name)) return assigned;
    switch (name) {
      case "@timestamp":
        return new Instant(this.event.timestamp);
      case "@message":
        return this.event.message;
      case "@logStream":
        return this.source.streamName(this.event.streamId);
      case "@log":
        return this.source.log;
      case "@ingestionTime":
        return this.event.ingestionTime === undefined ? undefined : new Instant(this.event.ingestionTime);
      case "@ptr":
        return this.source.ptr(this.event);
    }
    return this.discovered().get(name);
  }

  private discovered(): Map<string, Value> {
    if (this.json) return this.json;
    this.json = new Map();
    const m = this.event.message;
    if (m !== undefined && m.trimStart().startsWith("{")) {
      try {
        flatten(JSON.parse(m), "", this.json);
      } catch {
        // Not JSON after all: no discovered fields.
      }
    }
    return this.json;
  }

  /** Every field, for a query that names none: system fields, then discovered, then assigned. */
  all(): [string, Value][] {
    const out: [string, Value][] = defaultFields.map((n) => [n, this.get(n)]);
    for (const [k, v] of this.discovered()) if (!this.assigned?.has(k)) out.push([k, v]);
    for (const [k, v] of this.assigned ?? []) out.push([k, v]);
    return out;
  }
}

// ---------------------------------------------------------------------------
// Stages. push() returns false when the stage wants no more rows.

interface Stage {
  push(row: Row): boolean;
  end(): void;
}

class FilterStage implements Stage {
  constructor(
    private readonly expr: Expr,
    private readonly next: Stage,
  ) {}
  push(row: Row): boolean {
    return truthy(evaluate(this.expr, row)) ? this.next.push(row) : true;
  }
  end(): void {
    this.next.end();
  }
}

/** Sets fields on the row (`fields`, `parse`); result rows of stats get a copy. */
function assign(row: Row, values: readonly (readonly [string, Value])[]): Row {
  if (row instanceof EventRow) {
    for (const [name, value] of values) row.set(name, value);
    return row;
  }
  const columns = new Map((row as ResultRow).columns);
  for (const [name, value] of values) columns.set(name, value);
  return new ResultRow(columns);
}

class FieldsStage implements Stage {
  /** Plain field names assign nothing: they only choose what is shown. */
  private readonly computed: readonly Named[];
  constructor(
    items: readonly Named[],
    private readonly next: Stage,
  ) {
    this.computed = items.filter((i) => !(i.expr.kind === "field" && i.expr.name === i.name));
  }
  push(row: Row): boolean {
    if (this.computed.length === 0) return this.next.push(row);
    return this.next.push(assign(row, this.computed.map((i) => [i.name, evaluate(i.expr, row)] as const)));
  }
  end(): void {
    this.next.end();
  }
}

class ParseStage implements Stage {
  constructor(
    private readonly command: Extract<Command, { kind: "parse" }>,
    private readonly next: Stage,
  ) {}
  push(row: Row): boolean {
    const v = evaluate(this.command.source, row);
    const { regex, names, kind } = this.command.pattern;
    const m = v === undefined ? null : regex.exec(typeof v === "string" ? v : formatValue(v));
    // A message the pattern does not match gets the fields, empty, as on AWS.
    const values = names.map((name, i) => [name, m ? (kind === "glob" ? m[i + 1] : m.groups?.[name]) : undefined] as const);
    return this.next.push(assign(row, values));
  }
  end(): void {
    this.next.end();
  }
}

class LimitStage implements Stage {
  private seen = 0;
  constructor(
    private readonly count: number,
    private readonly next: Stage,
  ) {}
  push(row: Row): boolean {
    if (this.seen >= this.count) return false;
    this.seen++;
    return this.next.push(row) && this.seen < this.count;
  }
  end(): void {
    this.next.end();
  }
}

class DedupStage implements Stage {
  private readonly seen = new Set<string>();
  constructor(
    private readonly names: readonly string[],
    private readonly next: Stage,
  ) {}
  push(row: Row): boolean {
    const values = this.names.map((n) => row.get(n));
    // Rows missing one of the fields are never duplicates.
    if (values.some((v) => v === undefined)) return this.next.push(row);
    const key = values.map(keyOf).join("\u001f");
    if (this.seen.has(key)) return true;
    this.seen.add(key);
    return this.next.push(row);
  }
  end(): void {
    this.next.end();
  }
}

class SortStage implements Stage {
  private rows: { row: Row; keys: Value[] }[] = [];
  constructor(
    private readonly keys: readonly SortKey[],
    /** Only this many rows can pass the stages after it (Infinity: all). */
    private readonly keep: number,
    private readonly next: Stage,
  ) {}
  private order = (a: { keys: Value[] }, b: { keys: Value[] }): number => {
    let i = 0;
    for (const key of this.keys) {
      const c = sortCompare(a.keys[i], b.keys[i], key.descending);
      if (c !== 0) return c;
      i++;
    }
    return 0;
  };
  push(row: Row): boolean {
    this.rows.push({ row, keys: this.keys.map((k) => evaluate(k.expr, row)) });
    if (this.rows.length >= 2 * this.keep + 1024) this.rows = this.rows.sort(this.order).slice(0, this.keep);
    return true;
  }
  end(): void {
    this.rows.sort(this.order);
    for (const r of this.rows) if (!this.next.push(r.row)) break;
    this.rows = [];
    this.next.end();
  }
}

const isTimeBin = (e: Expr): boolean => e.kind === "call" && (e.name === "bin" || e.name === "datefloor" || e.name === "dateceil");

class StatsStage implements Stage {
  private readonly groups = new Map<string, { by: Value[]; accumulators: Accumulator[] }>();
  constructor(
    private readonly command: Extract<Command, { kind: "stats" }>,
    private readonly next: Stage,
  ) {}
  push(row: Row): boolean {
    for (const a of this.group(this.command.by.map((b) => evaluate(b.expr, row)))) a.add(row);
    return true;
  }
  /** `n` events of the group `by`, counted by the store (count aggregates only). */
  addCount(by: Value[], n: number): void {
    for (const a of this.group(by)) a.addCount!(n);
  }
  private group(by: Value[]): Accumulator[] {
    const key = by.length === 1 ? keyOf(by[0]) : by.map(keyOf).join("\u001f");
    let group = this.groups.get(key);
    if (!group) {
      group = { by, accumulators: this.command.aggregates.map((a) => accumulator(a.expr as Extract<Expr, { kind: "call" }>)) };
      this.groups.set(key, group);
    }
    return group.accumulators;
  }
  end(): void {
    let groups = [...this.groups.values()];
    // Groups come out in the order they were first seen (newest events first);
    // time bins newest first, as the default order of events is.
    const bin = this.command.by.findIndex((b) => isTimeBin(b.expr));
    if (bin >= 0) groups = groups.sort((a, b) => sortCompare(a.by[bin], b.by[bin], true));
    for (const g of groups) {
      const columns = new Map<string, Value>();
      this.command.by.forEach((b, i) => columns.set(b.name, g.by[i]));
      this.command.aggregates.forEach((a, i) => {
        const accumulator = g.accumulators[i];
        // Invariant: group() builds one accumulator per aggregate, in their order.
        if (accumulator === undefined) throw new Error(`stats group has no accumulator for ${a.name}`);
        columns.set(a.name, accumulator.result());
      });
      if (!this.next.push(new ResultRow(columns))) break;
    }
    this.groups.clear();
    this.next.end();
  }
}

/** The last stage: keeps up to `limit` rows, formatted as GetQueryResults returns them. */
class OutputStage implements Stage {
  readonly rows: ResultField[][] = [];
  constructor(
    private readonly columns: readonly string[] | undefined,
    private readonly withPtr: boolean,
    private readonly limit: number,
  ) {}
  push(row: Row): boolean {
    const pairs: [string, Value][] = this.columns ? this.columns.map((c) => [c, row.get(c)]) : row instanceof EventRow ? row.all() : [];
    if (this.withPtr) pairs.push(["@ptr", row.get("@ptr")]);
    // Absent fields are left out of the row, as AWS leaves them out.
    this.rows.push(pairs.flatMap(([field, v]) => (v === undefined ? [] : [{ field, value: formatValue(v) }])));
    return this.rows.length < this.limit;
  }
  end(): void {}
}

class CountingStage implements Stage {
  count = 0;
  constructor(private readonly next: Stage) {}
  push(row: Row): boolean {
    this.count++;
    return this.next.push(row);
  }
  end(): void {
    this.next.end();
  }
}

// ---------------------------------------------------------------------------
// The plan.

/** What the store must return for each event. */
export interface Needs {
  /** The message (for @message, parse, JSON fields, or a query that shows every field). */
  readonly message: boolean;
  readonly ingestionTime: boolean;
}

/** A literal `@message like "…"` / `/…/` the SQL scan can test before the evaluator does. */
const plainRegex = /^[A-Za-z0-9 _\-:;,'"=<>!@#%&~`]+$/;

/**
 * Adds the message substrings `e` requires to `out`; true when they decide `e`
 * alone (every conjunct is one of them). With `all`, stops at the first that is not.
 */
function messageLiterals(e: Expr, out: string[], all = false): boolean {
  if (e.kind === "binary" && e.op === "and") {
    const left = messageLiterals(e.left, out, all);
    if (!left && all) return false;
    return messageLiterals(e.right, out, all) && left;
  }
  if (e.kind === "like" && !e.negated && e.subject.kind === "field" && e.subject.name === "@message") {
    const p = e.pattern;
    if (p.kind === "string" && p.value !== "") {
      out.push(p.value);
      return true;
    }
    if (p.kind === "regex" && p.regex.flags.replace(/[gsu]/g, "") === "" && plainRegex.test(p.regex.source)) {
      out.push(p.regex.source);
      return true;
    }
  }
  return false;
}

/**
 * A query whose events need not leave the store: filters that are all exact
 * message substrings, then stats of count only, by at most one whole-millisecond
 * bin and @logStream or @log. The store counts per bin and stream; the stats
 * stage takes those counts, and every later command runs as usual.
 */
export interface CountPushdown {
  readonly messageContains: readonly string[];
  readonly binMs?: number;
  readonly byStream: boolean;
}

const alwaysPresent = new Set(["@timestamp", "@message", "@logStream", "@log"]);

function countPushdown(commands: readonly Command[]): CountPushdown | undefined {
  const stats = commands.findIndex((c) => c.kind === "stats");
  if (stats < 0) return undefined;
  const messageContains: string[] = [];
  for (const c of commands.slice(0, stats)) {
    if (c.kind !== "filter") return undefined;
    const literals: string[] = [];
    if (!messageLiterals(c.expr, literals, true)) return undefined;
    messageContains.push(...literals);
  }
  const command = commands[stats] as Extract<Command, { kind: "stats" }>;
  const countsOnly = command.aggregates.every(({ expr: e }) => {
    if (e.kind !== "call" || e.name !== "count") return false;
    const arg = e.args[0];
    return arg === undefined || arg.kind === "star" || (arg.kind === "field" && alwaysPresent.has(arg.name));
  });
  if (!countsOnly) return undefined;
  let binMs: number | undefined;
  let byStream = false;
  for (const { expr: e } of command.by) {
    const period = e.kind === "call" && e.name === "bin" ? e.args[0] : undefined;
    if (e.kind === "field" && e.name === "@logStream") byStream = true;
    else if (e.kind === "field" && e.name === "@log") continue;
    else if (period?.kind === "period" && Number.isSafeInteger(period.ms) && (binMs ?? period.ms) === period.ms) binMs = period.ms;
    else return undefined;
  }
  return { messageContains, ...(binMs === undefined ? {} : { binMs }), byStream };
}

export class QueryPlan {
  readonly needs: Needs;
  readonly countPushdown: CountPushdown | undefined;
  /** Substrings every matching message contains (case-sensitive). */
  readonly messageContains: readonly string[];
  /** Result columns in order; undefined: every field of each event. */
  private readonly columns: readonly string[] | undefined;
  private readonly hasStats: boolean;

  constructor(
    readonly commands: readonly Command[],
    /** Rows returned at most (StartQuery's limit). */
    private readonly limit: number,
  ) {
    this.hasStats = commands.some((c) => c.kind === "stats");
    this.columns = resultColumns(commands);

    // The event fields the query reads: those it shows (unless stats replaces
    // them), and those its commands up to stats read before assigning them.
    const assigned = new Set<string>();
    const read = new Set<string>(this.hasStats ? [] : (this.columns ?? defaultFields));
    for (const c of commands) {
      for (const e of commandExprs(c)) for (const name of fieldsRead(e, new Set())) if (!assigned.has(name)) read.add(name);
      if (c.kind === "fields") for (const i of c.items) assigned.add(i.name);
      if (c.kind === "parse") for (const n of c.pattern.names) assigned.add(n);
      if (c.kind === "stats") break; // later commands read the stats columns
      if (c.kind === "dedup" || c.kind === "display") for (const n of c.names) if (!assigned.has(n)) read.add(n);
    }
    const cheap = new Set(["@timestamp", "@logStream", "@log", "@ptr"]);
    this.needs = {
      message: [...read].some((n) => !cheap.has(n) && n !== "@ingestionTime"),
      ingestionTime: read.has("@ingestionTime"),
    };

    // Literal message tests of the filters that run before anything could change @message.
    const literals: string[] = [];
    for (const c of commands) {
      if (c.kind === "filter") messageLiterals(c.expr, literals);
      else if (c.kind === "fields" || c.kind === "parse") {
        const names = c.kind === "fields" ? c.items.map((i) => i.name) : c.pattern.names;
        if (names.includes("@message")) break;
      } else break;
    }
    this.messageContains = literals;
    this.countPushdown = countPushdown(commands);
  }

  /** A fresh run of the plan: push events newest first, then finish(). */
  start(): Execution {
    return new Execution(this.commands, this.columns, !this.hasStats, this.limit);
  }
}

export class Execution {
  private readonly head: Stage;
  private readonly output: OutputStage;
  private readonly counter: CountingStage | undefined;
  private readonly stats: StatsStage | undefined;
  private counted = 0;
  private matchedWithoutFilter = 0;
  private open = true;

  constructor(commands: readonly Command[], columns: readonly string[] | undefined, withPtr: boolean, limit: number) {
    this.output = new OutputStage(columns, withPtr, limit);
    const firstStats = commands.findIndex((c) => c.kind === "stats");
    const beforeStats = firstStats < 0 ? commands : commands.slice(0, firstStats);
    const lastFilter = beforeStats.map((c) => c.kind).lastIndexOf("filter");
    let next: Stage = this.output;
    for (const [i, command] of [...commands.entries()].reverse()) {
      if (i === lastFilter) next = this.counter = new CountingStage(next);
      next = stageFor(command, commands.slice(i + 1), next, limit);
      if (i === firstStats) this.stats = next as StatsStage;
    }
    this.head = next;
    this.statsBy = firstStats < 0 ? [] : (commands[firstStats] as Extract<Command, { kind: "stats" }>).by.map((b) => b.expr);
  }

  private readonly statsBy: readonly Expr[];

  /** Events the store counted (a plan with a countPushdown), per bin and stream, into the first stats. */
  pushCounts(counts: readonly { readonly bin?: number; readonly streamId?: number; readonly count: number }[], source: EventSource): void {
    for (const c of counts) {
      const by = this.statsBy.map((e): Value => {
        if (e.kind === "call") return new Instant(c.bin!);
        return e.kind === "field" && e.name === "@logStream" ? source.streamName(c.streamId!) : source.log;
      });
      this.stats!.addCount(by, c.count);
      this.counted += c.count;
    }
  }

  /** False once the query needs no more events. */
  push(row: EventRow): boolean {
    if (!this.open) return false;
    this.matchedWithoutFilter++;
    this.open = this.head.push(row);
    return this.open;
  }

  /** Events that passed the query's filters (those before stats). */
  get matched(): number {
    return this.counted + (this.counter ? this.counter.count : this.matchedWithoutFilter);
  }

  finish(): ResultField[][] {
    this.head.end();
    return this.output.rows;
  }
}

/** The stage of command `c`, which `later` commands follow. */
function stageFor(c: Command, later: readonly Command[], next: Stage, limit: number): Stage {
  switch (c.kind) {
    case "filter":
      return new FilterStage(c.expr, next);
    case "fields":
      return new FieldsStage(c.items, next);
    case "parse":
      return new ParseStage(c, next);
    case "limit":
      return new LimitStage(c.count, next);
    case "dedup":
      return new DedupStage(c.names, next);
    case "stats":
      return new StatsStage(c, next);
    case "display":
      return next;
    case "sort": {
      // Rows only fields, display and parse stand between the sort and a limit (or
      // the output): only that many can come out, so only that many are kept.
      let keep = limit;
      for (const after of later) {
        if (after.kind === "limit") {
          keep = Math.min(keep, after.count);
          break;
        }
        if (after.kind !== "fields" && after.kind !== "display" && after.kind !== "parse") {
          keep = Infinity;
          break;
        }
      }
      return new SortStage(c.keys, keep, next);
    }
  }
}

/**
 * The result's columns: those `fields` names (and `parse` adds) in order; after
 * stats, its groups and aggregates; `display` replaces them. A query with none
 * of these shows every field of each event (undefined).
 */
function resultColumns(commands: readonly Command[]): readonly string[] | undefined {
  let columns: string[] | undefined;
  const add = (names: readonly string[]): void => {
    for (const n of names) if (!columns!.includes(n)) columns!.push(n);
  };
  for (const c of commands) {
    if (c.kind === "fields") {
      columns ??= [];
      add(c.items.map((i) => i.name));
    } else if (c.kind === "parse" && columns) add(c.pattern.names);
    else if (c.kind === "stats") columns = [...c.by.map((b) => b.name), ...c.aggregates.map((a) => a.name)];
    else if (c.kind === "display") columns = [...c.names];
  }
  return columns;
}
