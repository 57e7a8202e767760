// The CloudWatch Logs Insights query language (CWLI) → a list of commands. Pure:
// text in, syntax tree out, or a QuerySyntaxError naming where the text went wrong.
//
//   query   := command ( "|" command )*          "#" starts a comment to the end of the line
//   command := fields | display | filter | stats | sort | limit | parse | dedup
//   expr    := or;  or := and ("or" and)*;  and := not ("and" not)*;  not := "not" not | test
//   test    := sum ( (= != < <= > >=) sum | [not] like pattern | =~ pattern | [not] in [list] )?
//   sum     := product ((+ -) product)*;  product := power ((* / %) power)*;  power := unary ("^" unary)?
//   unary   := "-" unary | primary;  primary := number | "string" | /regex/ | field | name(args) | (expr)
//
// A `/` is a regular expression where an operand is expected and division elsewhere,
// so the lexer (lexer.ts) is driven by the parser rather than run ahead of it.

import { Lexer, QuerySyntaxError, type Token } from "./lexer.js";

export { QuerySyntaxError };

export type Expr = (
  | { readonly kind: "field"; readonly name: string }
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "regex"; readonly regex: RegExp }
  /** A time period (`5m`, `1h`), only as an argument of bin, datefloor and dateceil. */
  | { readonly kind: "period"; readonly ms: number }
  /** `*` in count(*). */
  | { readonly kind: "star" }
  | { readonly kind: "call"; readonly name: string; readonly args: readonly Expr[] }
  | { readonly kind: "negate"; readonly arg: Expr }
  | { readonly kind: "not"; readonly arg: Expr }
  | { readonly kind: "binary"; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: "like"; readonly negated: boolean; readonly subject: Expr; readonly pattern: Expr }
  | { readonly kind: "in"; readonly negated: boolean; readonly subject: Expr; readonly list: readonly Expr[] }
) & {
  /** The expression as written: result columns without an alias are named by it. */
  readonly text: string;
};

type Untexted = Expr extends infer E ? (E extends Expr ? Omit<E, "text"> : never) : never;

export type BinaryOp = "or" | "and" | "=" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "-" | "*" | "/" | "%" | "^";

export interface Named {
  readonly expr: Expr;
  /** The alias, or the expression's text. */
  readonly name: string;
}

export interface SortKey {
  readonly expr: Expr;
  readonly descending: boolean;
}

export type ParsePattern =
  /** A glob: each `*` captures into the next name. */
  | { readonly kind: "glob"; readonly regex: RegExp; readonly names: readonly string[] }
  /** A regular expression whose named groups are the fields. */
  | { readonly kind: "regex"; readonly regex: RegExp; readonly names: readonly string[] };

export type Command =
  | { readonly kind: "fields"; readonly items: readonly Named[] }
  | { readonly kind: "display"; readonly names: readonly string[] }
  | { readonly kind: "filter"; readonly expr: Expr }
  | { readonly kind: "stats"; readonly aggregates: readonly Named[]; readonly by: readonly Named[] }
  | { readonly kind: "sort"; readonly keys: readonly SortKey[] }
  | { readonly kind: "limit"; readonly count: number }
  | { readonly kind: "parse"; readonly source: Expr; readonly pattern: ParsePattern }
  | { readonly kind: "dedup"; readonly names: readonly string[] };

/** Aggregate functions (stats only) and their argument counts. */
export const aggregateArity: ReadonlyMap<string, readonly [number, number]> = new Map([
  ["count", [0, 1]],
  ["count_distinct", [1, 1]],
  ["sum", [1, 1]],
  ["avg", [1, 1]],
  ["min", [1, 1]],
  ["max", [1, 1]],
  ["pct", [2, 2]],
  ["percentile", [2, 2]],
  ["stddev", [1, 1]],
  ["earliest", [1, 1]],
  ["latest", [1, 1]],
]);

/** Row functions and their argument counts (max Infinity: any number). */
export const functionArity: ReadonlyMap<string, readonly [number, number]> = new Map([
  ["strlen", [1, 1]],
  ["toupper", [1, 1]],
  ["tolower", [1, 1]],
  ["trim", [1, 1]],
  ["ltrim", [1, 1]],
  ["rtrim", [1, 1]],
  ["concat", [1, Infinity]],
  ["substr", [2, 3]],
  ["replace", [3, 3]],
  ["strcontains", [2, 2]],
  ["ispresent", [1, 1]],
  ["isempty", [1, 1]],
  ["isblank", [1, 1]],
  ["coalesce", [1, Infinity]],
  ["abs", [1, 1]],
  ["floor", [1, 1]],
  ["ceil", [1, 1]],
  ["sqrt", [1, 1]],
  ["log", [1, 1]],
  ["greatest", [1, Infinity]],
  ["least", [1, Infinity]],
  ["bin", [1, 1]],
  ["datefloor", [2, 2]],
  ["dateceil", [2, 2]],
  ["frommillis", [1, 1]],
  ["tomillis", [1, 1]],
]);

/** Period units bin() and datefloor() take, in milliseconds (plurals too: `mins`, `hrs`). */
const periodUnits: ReadonlyMap<string, number> = new Map([
  ...["ms", "msec", "millisecond"].map((u) => [u, 1] as const),
  ...["s", "sec", "second"].map((u) => [u, 1_000] as const),
  ...["m", "min", "minute"].map((u) => [u, 60_000] as const),
  ...["h", "hr", "hour"].map((u) => [u, 3_600_000] as const),
  ...["d", "day"].map((u) => [u, 86_400_000] as const),
  ...["w", "week"].map((u) => [u, 7 * 86_400_000] as const),
  // Calendar months, quarters and years vary; bins of them use 30, 91 and 365 days.
  ...["mo", "mon", "month"].map((u) => [u, 30 * 86_400_000] as const),
  ...["q", "qtr", "quarter"].map((u) => [u, 91 * 86_400_000] as const),
  ...["y", "yr", "year"].map((u) => [u, 365 * 86_400_000] as const),
]);

function periodMs(unit: string): number | undefined {
  const u = unit.toLowerCase();
  return periodUnits.get(u) ?? (u.length > 1 && u.endsWith("s") ? periodUnits.get(u.slice(0, -1)) : undefined);
}

const commandNames = ["fields", "display", "filter", "stats", "sort", "limit", "parse", "dedup"] as const;

// ---------------------------------------------------------------------------
// Parser.

const isWord = (t: Token, word: string): boolean => t.kind === "name" && t.value.toLowerCase() === word;

class Parser {
  private readonly lexer: Lexer;

  constructor(private readonly text: string) {
    this.lexer = new Lexer(text);
  }

  query(): Command[] {
    const commands: Command[] = [this.command()];
    while (this.atOp("|")) {
      this.lexer.take();
      commands.push(this.command());
    }
    const t = this.lexer.peek();
    if (t.kind !== "end") throw this.lexer.error(t.start, t.end, "expected '|' or the end of the query");
    // Before stats there are no aggregates to read; after it, `sort count(*)` names its column.
    for (const c of commands) {
      if (c.kind === "stats") {
        const nested = [...c.aggregates.flatMap((a) => (a.expr.kind === "call" ? a.expr.args : [])), ...c.by.map((b) => b.expr)].find(hasAggregate);
        if (nested) throw new QuerySyntaxError(this.describe(nested, "aggregate functions cannot be nested or grouped by"), ...this.span(nested));
        break;
      }
      const misplaced = commandExprs(c).find(hasAggregate);
      if (misplaced) throw new QuerySyntaxError(this.describe(misplaced, "aggregate functions are only allowed in stats"), ...this.span(misplaced));
    }
    return commands;
  }

  private command(): Command {
    const t = this.lexer.take();
    const name = t.kind === "name" ? t.value.toLowerCase() : "";
    switch (name as (typeof commandNames)[number]) {
      case "fields":
        return { kind: "fields", items: this.list(() => this.named(() => this.expr())) };
      case "display":
        return { kind: "display", names: this.list(() => this.fieldName()) };
      case "filter":
        return { kind: "filter", expr: this.expr() };
      case "stats":
        return this.stats();
      case "sort":
        return { kind: "sort", keys: this.list(() => this.sortKey()) };
      case "limit":
        return { kind: "limit", count: this.limitCount() };
      case "parse":
        return this.parse();
      case "dedup":
        return { kind: "dedup", names: this.list(() => this.fieldName()) };
    }
    throw this.lexer.error(t.start, t.end, `expected a command (${commandNames.join(", ")})`);
  }

  private stats(): Command {
    const aggregates = this.list(() =>
      this.named(() => {
        const e = this.expr();
        if (e.kind !== "call" || !aggregateArity.has(e.name)) {
          throw new QuerySyntaxError(this.describe(e, "expected an aggregate function (count, count_distinct, sum, avg, min, max, pct, stddev, earliest, latest)"), ...this.span(e));
        }
        return e;
      }),
    );
    let by: Named[] = [];
    if (isWord(this.lexer.peek(), "by")) {
      this.lexer.take();
      by = this.list(() => this.named(() => this.expr()));
    }
    return { kind: "stats", aggregates, by };
  }

  private sortKey(): SortKey {
    const expr = this.expr();
    const t = this.lexer.peek();
    if (isWord(t, "asc") || isWord(t, "desc")) {
      this.lexer.take();
      return { expr, descending: isWord(t, "desc") };
    }
    // Without a direction, Logs Insights sorts descending.
    return { expr, descending: true };
  }

  private limitCount(): number {
    const t = this.lexer.take();
    const n = Number(t.value);
    if (t.kind !== "number" || !Number.isInteger(n) || n < 1 || n > 10_000) {
      throw this.lexer.error(t.start, t.end, "limit takes a whole number from 1 to 10000");
    }
    return n;
  }

  private parse(): Command {
    // `parse "pattern" as …` reads @message; otherwise the source comes first.
    let source: Expr = { kind: "field", name: "@message", text: "@message" };
    const first = this.lexer.peek();
    if (first.kind === "name") {
      this.takeToken();
      source = { kind: "field", name: first.value, text: this.text.slice(first.start, first.end) };
    }
    const p = this.lexer.peek();
    if (p.kind === "string") {
      this.lexer.take();
      const stars = p.value.split("*").length - 1;
      const asWord = this.lexer.take();
      if (!isWord(asWord, "as")) throw this.lexer.error(asWord.start, asWord.end, "expected 'as' and the names of the fields the glob's * extract");
      const names = this.list(() => this.fieldName());
      if (stars === 0 || names.length !== stars) {
        throw this.lexer.error(p.start, p.end, `the glob has ${stars} '*' but ${names.length} field names follow 'as'`);
      }
      return { kind: "parse", source, pattern: { kind: "glob", regex: globRegex(p.value), names } };
    }
    if (p.kind === "op" && p.value === "/") {
      const t = this.lexer.takeRegex();
      const regex = this.regex(t);
      const names = [...t.value.matchAll(/\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/g)].flatMap(([, name]) => (name === undefined ? [] : [name]));
      if (names.length === 0) throw this.lexer.error(t.start, t.end, "a parse regular expression names its fields with (?<name>…) groups");
      return { kind: "parse", source, pattern: { kind: "regex", regex, names } };
    }
    throw this.lexer.error(p.start, p.end, "expected a glob string or a /regular expression/");
  }

  private list<T>(item: () => T): T[] {
    const out = [item()];
    while (this.atOp(",")) {
      this.lexer.take();
      out.push(item());
    }
    return out;
  }

  private named(expr: () => Expr): Named {
    const e = expr();
    if (isWord(this.lexer.peek(), "as")) {
      this.lexer.take();
      return { expr: e, name: this.fieldName() };
    }
    return { expr: e, name: e.text };
  }

  private fieldName(): string {
    const t = this.lexer.take();
    if (t.kind !== "name") throw this.lexer.error(t.start, t.end, "expected a field name");
    return t.value;
  }

  private atOp(op: string): boolean {
    const t = this.lexer.peek();
    return t.kind === "op" && t.value === op;
  }

  private span(e: Expr): [number, number] {
    const start = this.text.indexOf(e.text);
    return [Math.max(start, 0), Math.max(start, 0) + e.text.length];
  }

  private describe(e: Expr, what: string): string {
    const [start, end] = this.span(e);
    return this.lexer.error(start, end, what).message;
  }

  private node(start: number, e: Untexted): Expr {
    return { ...e, text: this.text.slice(start, this.lastEnd).trim() };
  }

  /** Where the token taken last ended (for an expression's text). */
  private lastEnd = 0;

  private takeToken(): Token {
    const t = this.lexer.take();
    this.lastEnd = t.end;
    return t;
  }

  expr(): Expr {
    return this.or();
  }

  private or(): Expr {
    const start = this.lexer.peek().start;
    let left = this.and();
    while (isWord(this.lexer.peek(), "or")) {
      this.takeToken();
      const right = this.and();
      left = this.node(start, { kind: "binary", op: "or", left, right });
    }
    return left;
  }

  private and(): Expr {
    const start = this.lexer.peek().start;
    let left = this.not();
    while (isWord(this.lexer.peek(), "and")) {
      this.takeToken();
      const right = this.not();
      left = this.node(start, { kind: "binary", op: "and", left, right });
    }
    return left;
  }

  private not(): Expr {
    const t = this.lexer.peek();
    if (isWord(t, "not")) {
      this.takeToken();
      const arg = this.not();
      return this.node(t.start, { kind: "not", arg });
    }
    return this.test();
  }

  private test(): Expr {
    const start = this.lexer.peek().start;
    const subject = this.additive();
    let t = this.lexer.peek();
    let negated = false;
    if (isWord(t, "not")) {
      this.takeToken();
      negated = true;
      t = this.lexer.peek();
      if (!isWord(t, "like") && !isWord(t, "in")) throw this.lexer.error(t.start, t.end, "expected 'like' or 'in' after 'not'");
    }
    if (isWord(t, "like") || (t.kind === "op" && t.value === "=~")) {
      this.takeToken();
      const pattern = this.pattern();
      return this.node(start, { kind: "like", negated, subject, pattern });
    }
    if (isWord(t, "in")) {
      this.takeToken();
      const open = this.takeToken();
      if (open.kind !== "op" || open.value !== "[") throw this.lexer.error(open.start, open.end, "expected '[' after 'in'");
      const list = this.atOp("]") ? [] : this.list(() => this.additive());
      const close = this.takeToken();
      if (close.kind !== "op" || close.value !== "]") throw this.lexer.error(close.start, close.end, "expected ']' to close the list");
      return this.node(start, { kind: "in", negated, subject, list });
    }
    if (t.kind === "op" && ["=", "!=", "<", "<=", ">", ">="].includes(t.value)) {
      this.takeToken();
      const right = this.additive();
      return this.node(start, { kind: "binary", op: t.value as BinaryOp, left: subject, right });
    }
    return subject;
  }

  private pattern(): Expr {
    const t = this.lexer.peek();
    if (t.kind === "op" && t.value === "/") {
      const r = this.lexer.takeRegex();
      this.lastEnd = r.end;
      return { kind: "regex", regex: this.regex(r), text: r.value };
    }
    if (t.kind === "string") {
      this.takeToken();
      return { kind: "string", value: t.value, text: this.text.slice(t.start, t.end) };
    }
    throw this.lexer.error(t.start, t.end, "expected a \"string\" or a /regular expression/");
  }

  /** `/source/flags` → RegExp, with RE2's `(?i)` prefix and `(?P<name>` groups, which JavaScript spells differently. */
  private regex(t: Token): RegExp {
    const slash = t.value.lastIndexOf("/");
    let source = t.value.slice(1, slash);
    let flags = t.value.slice(slash + 1);
    if (source.startsWith("(?i)")) {
      source = source.slice(4);
      flags += "i";
    }
    source = source.replace(/\(\?P</g, "(?<");
    try {
      return new RegExp(source, [...new Set(flags)].join(""));
    } catch (err) {
      throw this.lexer.error(t.start, t.end, `invalid regular expression (${err instanceof Error ? err.message : String(err)})`);
    }
  }

  private additive(): Expr {
    const start = this.lexer.peek().start;
    let left = this.multiplicative();
    for (let t = this.lexer.peek(); t.kind === "op" && (t.value === "+" || t.value === "-"); t = this.lexer.peek()) {
      this.takeToken();
      const right = this.multiplicative();
      left = this.node(start, { kind: "binary", op: t.value, left, right });
    }
    return left;
  }

  private multiplicative(): Expr {
    const start = this.lexer.peek().start;
    let left = this.power();
    for (let t = this.lexer.peek(); t.kind === "op" && ["*", "/", "%"].includes(t.value); t = this.lexer.peek()) {
      this.takeToken();
      const right = this.power();
      left = this.node(start, { kind: "binary", op: t.value as BinaryOp, left, right });
    }
    return left;
  }

  private power(): Expr {
    const start = this.lexer.peek().start;
    const left = this.unary();
    if (!this.atOp("^")) return left;
    this.takeToken();
    const right = this.power();
    return this.node(start, { kind: "binary", op: "^", left, right });
  }

  private unary(): Expr {
    const t = this.lexer.peek();
    if (t.kind === "op" && t.value === "-") {
      this.takeToken();
      const arg = this.unary();
      return this.node(t.start, { kind: "negate", arg });
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.lexer.peek();
    if (t.kind === "op" && t.value === "/") return this.pattern();
    this.takeToken();
    const text = this.text.slice(t.start, t.end);
    switch (t.kind) {
      case "number":
        return { kind: "number", value: Number(t.value), text };
      case "string":
        return { kind: "string", value: t.value, text };
      case "period": {
        const m = /^([0-9.]+)([A-Za-z]+)$/.exec(t.value);
        const unitName = m?.[2];
        const unit = unitName === undefined ? undefined : periodMs(unitName);
        if (!m || unit === undefined || !(Number(m[1]) > 0)) throw this.lexer.error(t.start, t.end, "not a time period (like 30s, 5m, 1h, 1d)");
        return { kind: "period", ms: Number(m[1]) * unit, text };
      }
      case "name":
        return this.atOp("(") ? this.call(t) : { kind: "field", name: t.value, text };
      case "op":
        if (t.value === "(") {
          const inner = this.expr();
          const close = this.takeToken();
          if (close.kind !== "op" || close.value !== ")") throw this.lexer.error(close.start, close.end, "expected ')'");
          return { ...inner, text: this.text.slice(t.start, close.end) };
        }
    }
    throw this.lexer.error(t.start, t.end, "expected an expression");
  }

  private call(nameToken: Token): Expr {
    const name = nameToken.value.toLowerCase();
    const arity = aggregateArity.get(name) ?? functionArity.get(name);
    if (!arity) throw this.lexer.error(nameToken.start, nameToken.end, `unknown function ${nameToken.value}`);
    this.takeToken(); // (
    const args: Expr[] = [];
    if (name === "count" && this.atOp("*")) {
      const star = this.takeToken();
      args.push({ kind: "star", text: "*" });
      this.lastEnd = star.end;
    } else if (!this.atOp(")")) {
      args.push(...this.list(() => this.expr()));
    }
    const close = this.takeToken();
    if (close.kind !== "op" || close.value !== ")") throw this.lexer.error(close.start, close.end, "expected ',' or ')'");
    if (args.length < arity[0] || args.length > arity[1]) {
      throw this.lexer.error(nameToken.start, close.end, `${name} takes ${arity[0] === arity[1] ? arity[0] : `${arity[0]} or more`} argument(s), not ${args.length}`);
    }
    const periodArg = name === "bin" ? 0 : name === "datefloor" || name === "dateceil" ? 1 : -1;
    if (periodArg >= 0 && args[periodArg]?.kind !== "period") {
      throw this.lexer.error(nameToken.start, close.end, `${name} takes a time period (like 5m or 1h)`);
    }
    return { kind: "call", name, args, text: this.text.slice(nameToken.start, close.end) };
  }
}

function hasAggregate(e: Expr): boolean {
  switch (e.kind) {
    case "call":
      return aggregateArity.has(e.name) || e.args.some(hasAggregate);
    case "negate":
    case "not":
      return hasAggregate(e.arg);
    case "binary":
      return hasAggregate(e.left) || hasAggregate(e.right);
    case "like":
      return hasAggregate(e.subject);
    case "in":
      return hasAggregate(e.subject) || e.list.some(hasAggregate);
    default:
      return false;
  }
}

/** The expressions a command evaluates. */
export function commandExprs(c: Command): Expr[] {
  switch (c.kind) {
    case "fields":
      return c.items.map((i) => i.expr);
    case "filter":
      return [c.expr];
    case "stats":
      return [...c.aggregates, ...c.by].map((n) => n.expr);
    case "sort":
      return c.keys.map((k) => k.expr);
    case "parse":
      return [c.source];
    default:
      return [];
  }
}

/** A glob's `*` match lazily, except a trailing one, which takes the rest. */
function globRegex(glob: string): RegExp {
  const parts = glob.split("*").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const body = parts.map((p, i) => (i === 0 ? p : `${i === parts.length - 1 && p === "" ? "(.*)" : "(.*?)"}${p}`)).join("");
  return new RegExp(body, "s");
}

/** Parses a query; throws QuerySyntaxError. */
export function parseQuery(text: string): readonly Command[] {
  if (text.trim() === "") throw new QuerySyntaxError("the query is empty", 0, 0);
  return new Parser(text).query();
}
