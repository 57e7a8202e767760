// Amazon ECS's cluster query language: the `subject operator [argument]` expressions behind
// ListContainerInstances --filter and memberOf placement constraints, parsed once and evaluated per instance.

/** A syntax or validation error in a query; `message` is meant for the user who wrote the query. */
export class ClusterQueryError extends Error {
  /** 1-based column in the query text where the problem was found. */
  readonly column: number;

  constructor(problem: string, column: number) {
    super(`${problem} (column ${column})`);
    this.name = "ClusterQueryError";
    this.column = column;
  }
}

export type Subject =
  | { readonly kind: "agentConnected" }
  | { readonly kind: "agentVersion" }
  | { readonly kind: "attribute"; readonly name: string }
  | { readonly kind: "ec2InstanceId" }
  | { readonly kind: "registeredAt" }
  | { readonly kind: "runningTasksCount" }
  | { readonly kind: "task:group" };

/** Operators in their symbolic spelling; the word aliases (`equals`, `not_in`, ...) parse to these. */
export type Operator = "==" | "!=" | ">" | ">=" | "<" | "<=" | "exists" | "!exists" | "in" | "!in" | "=~" | "!~";

export type Argument =
  | { readonly kind: "none" }
  | { readonly kind: "value"; readonly value: string }
  | { readonly kind: "list"; readonly values: readonly string[] }
  | { readonly kind: "pattern"; readonly source: string; readonly regex: RegExp };

export interface Comparison {
  readonly kind: "comparison";
  readonly subject: Subject;
  readonly operator: Operator;
  readonly argument: Argument;
}

// And/or are n-ary so a long flat chain stays shallow for the recursive evaluator.
export type Expression =
  | Comparison
  | { readonly kind: "and"; readonly operands: readonly Expression[] }
  | { readonly kind: "or"; readonly operands: readonly Expression[] }
  | { readonly kind: "not"; readonly operand: Expression };

/** One container instance as the evaluator sees it. */
export interface QueryTarget {
  /** Attribute name -> value; null means the attribute is present without a value. */
  readonly attributes: Readonly<Record<string, string | null>>;
  readonly agentConnected: boolean;
  readonly agentVersion?: string;
  readonly ec2InstanceId?: string;
  readonly registeredAt: Date;
  readonly runningTasksCount: number;
  /** The `group` of every task on the instance, e.g. "service:web", "family:x". */
  readonly taskGroups: readonly string[];
}

const ALL_OPERATORS: readonly Operator[] = ["==", "!=", ">", ">=", "<", "<=", "exists", "!exists", "in", "!in", "=~", "!~"];

const WORD_OPERATORS: Readonly<Record<string, Operator>> = {
  equals: "==",
  not_equals: "!=",
  greater_than: ">",
  greater_than_equal: ">=",
  less_than: "<",
  less_than_equal: "<=",
  exists: "exists",
  not_exists: "!exists",
  in: "in",
  not_in: "!in",
  matches: "=~",
  not_matches: "!~",
};

// The docs give explicit operator lists for the built-in fields; attribute:* and task:group have none, so
// they accept every operator.
const STRING_OPERATORS: readonly Operator[] = ["==", "!=", "in", "!in", "=~", "!~"];
const ORDERED_OPERATORS: readonly Operator[] = ["==", "!=", ">", ">=", "<", "<="];
const VALID_OPERATORS: Readonly<Record<Subject["kind"], readonly Operator[]>> = {
  agentConnected: STRING_OPERATORS,
  agentVersion: ORDERED_OPERATORS,
  attribute: ALL_OPERATORS,
  ec2InstanceId: STRING_OPERATORS,
  registeredAt: ORDERED_OPERATORS,
  runningTasksCount: ORDERED_OPERATORS,
  "task:group": ALL_OPERATORS,
};

const FIELD_SUBJECTS = ["agentConnected", "agentVersion", "ec2InstanceId", "registeredAt", "runningTasksCount", "task:group"] as const;
const SUBJECT_LIST = "agentConnected, agentVersion, attribute:<name>, ec2InstanceId, registeredAt, runningTasksCount, task:group";

// ECS documents letters, digits, hyphens, underscores, slashes, backslashes and periods for attribute names;
// colons are accepted as well so the query parser is never stricter than the names PutAttributes may store.
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.\-/\\:]{1,128}$/;

// Guards the recursive-descent parser against stack exhaustion from hostile input such as "((((((...".
const MAX_NESTING = 100;

// ---------------------------------------------------------------------------------------------------------
// Lexer

type Token =
  | { readonly type: "(" | ")" | "[" | "]" | "," | "&&" | "||" | "!" | "eof"; readonly column: number; readonly text: string }
  | { readonly type: "op"; readonly op: Operator; readonly column: number; readonly text: string }
  | { readonly type: "word" | "string"; readonly value: string; readonly column: number; readonly text: string };

// Characters that end a bare word: parentheses, brackets, commas and quotes are structure; the rest begin operators.
const WORD_STOP = new Set([..."()[],'\"&|=!<>~"]);

function isSpace(ch: string): boolean {
  return ch === " " || ch === "\t" || ch === "\n" || ch === "\r";
}

class Lexer {
  private pos = 0;
  private lookahead: Token | undefined;

  constructor(private readonly text: string) {}

  peek(): Token {
    this.lookahead ??= this.scan();
    return this.lookahead;
  }

  next(): Token {
    const token = this.peek();
    this.lookahead = undefined;
    return token;
  }

  // A =~ argument is a Java-style regex, where brackets, braces and parentheses are ordinary syntax, so it is
  // read raw: up to whitespace, `&&`/`||`, or a `)` that closes an enclosing group rather than one of its own.
  readPattern(): Token {
    if (this.lookahead !== undefined) throw new Error("readPattern called with a token buffered");
    this.skipSpace();
    const start = this.pos;
    const ch = this.text[start];
    if (ch === undefined) return { type: "eof", column: start + 1, text: "end of expression" };
    if (ch === '"' || ch === "'") return this.scanQuoted();
    let depth = 0;
    let inClass = false;
    let i = start;
    for (; i < this.text.length; i++) {
      const c = this.text.charAt(i);
      if (c === "\\") {
        i++;
        continue;
      }
      if (inClass) {
        if (c === "]") inClass = false;
        continue;
      }
      if (isSpace(c)) break;
      if (c === "[") inClass = true;
      else if (c === "(") depth++;
      else if (c === ")") {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && (this.text.startsWith("&&", i) || this.text.startsWith("||", i))) break;
    }
    this.pos = Math.min(i, this.text.length);
    const raw = this.text.slice(start, this.pos);
    if (raw === "") return this.scan();
    return { type: "word", value: raw, column: start + 1, text: raw };
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && isSpace(this.text.charAt(this.pos))) this.pos++;
  }

  private scan(): Token {
    this.skipSpace();
    const start = this.pos;
    const column = start + 1;
    const ch = this.text[start];
    if (ch === undefined) return { type: "eof", column, text: "end of expression" };
    const two = this.text.slice(start, start + 2);

    if (ch === "(" || ch === ")" || ch === "[" || ch === "]" || ch === ",") {
      this.pos++;
      return { type: ch, column, text: ch };
    }
    if (ch === '"' || ch === "'") return this.scanQuoted();
    if (two === "&&" || two === "||") {
      this.pos += 2;
      return { type: two, column, text: two };
    }
    if (two === "==" || two === "!=" || two === ">=" || two === "<=" || two === "=~" || two === "!~") {
      this.pos += 2;
      return { type: "op", op: two, column, text: two };
    }
    if (ch === ">" || ch === "<") {
      this.pos++;
      return { type: "op", op: ch, column, text: ch };
    }
    if (ch === "!") {
      // `!exists` and `!in` are operators; any other `!` is logical negation.
      const word = this.wordAt(start + 1).toLowerCase();
      if (word === "exists" || word === "in") {
        this.pos = start + 1 + word.length;
        return { type: "op", op: word === "exists" ? "!exists" : "!in", column, text: this.text.slice(start, this.pos) };
      }
      this.pos++;
      return { type: "!", column, text: "!" };
    }
    if (ch === "&" || ch === "|") throw new ClusterQueryError(`unexpected "${ch}"; did you mean "${ch}${ch}"?`, column);
    if (ch === "=") throw new ClusterQueryError(`unknown operator "="; did you mean "=="?`, column);
    if (ch === "~") throw new ClusterQueryError(`unexpected "~"; did you mean "=~" or "!~"?`, column);

    const word = this.wordAt(start);
    this.pos += word.length;
    return { type: "word", value: word, column, text: word };
  }

  private wordAt(from: number): string {
    let end = from;
    while (end < this.text.length && !isSpace(this.text.charAt(end)) && !WORD_STOP.has(this.text.charAt(end))) end++;
    return this.text.slice(from, end);
  }

  // Quoted strings have no escape sequences, so regex backslashes pass through untouched; a value containing
  // one kind of quote can be written with the other.
  private scanQuoted(): Token {
    const start = this.pos;
    const quote = this.text.charAt(start);
    const close = this.text.indexOf(quote, start + 1);
    if (close < 0) throw new ClusterQueryError(`unterminated quoted string starting with ${quote}`, start + 1);
    this.pos = close + 1;
    return { type: "string", value: this.text.slice(start + 1, close), column: start + 1, text: this.text.slice(start, close + 1) };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Parser
//
//   expression := conjunction (("or" | "||") conjunction)*
//   conjunction := unary (("and" | "&&") unary)*
//   unary := ("not" | "!") unary | "(" expression ")" | comparison
//   comparison := subject operator [argument]

function describe(token: Token): string {
  return token.type === "eof" ? "the end of the expression" : `"${token.text}"`;
}

function keyword(token: Token, name: "and" | "or" | "not"): boolean {
  return token.type === "word" && token.value.toLowerCase() === name;
}

class Parser {
  private readonly lexer: Lexer;
  private depth = 0;

  constructor(text: string) {
    this.lexer = new Lexer(text);
  }

  parseAll(): Expression {
    if (this.lexer.peek().type === "eof") throw new ClusterQueryError("the expression is empty", 1);
    const expression = this.parseOr();
    const rest = this.lexer.peek();
    if (rest.type === ")") throw new ClusterQueryError(`unmatched ")"`, rest.column);
    if (rest.type !== "eof") {
      throw new ClusterQueryError(`expected "and", "or" or the end of the expression, found ${describe(rest)}`, rest.column);
    }
    return expression;
  }

  private parseOr(): Expression {
    const first = this.parseAnd();
    const operands = [first];
    for (let t = this.lexer.peek(); t.type === "||" || keyword(t, "or"); t = this.lexer.peek()) {
      this.lexer.next();
      operands.push(this.parseAnd());
    }
    return operands.length === 1 ? first : { kind: "or", operands };
  }

  private parseAnd(): Expression {
    const first = this.parseUnary();
    const operands = [first];
    for (let t = this.lexer.peek(); t.type === "&&" || keyword(t, "and"); t = this.lexer.peek()) {
      this.lexer.next();
      operands.push(this.parseUnary());
    }
    return operands.length === 1 ? first : { kind: "and", operands };
  }

  private parseUnary(): Expression {
    const token = this.lexer.peek();
    if (token.type === "!" || keyword(token, "not") || token.type === "(") {
      if (++this.depth > MAX_NESTING) {
        throw new ClusterQueryError(`the expression nests deeper than ${MAX_NESTING} levels`, token.column);
      }
      this.lexer.next();
      let result: Expression;
      if (token.type === "(") {
        const inner = this.parseOr();
        const close = this.lexer.next();
        if (close.type !== ")") {
          throw new ClusterQueryError(`expected ")" to close the "(" at column ${token.column}, found ${describe(close)}`, close.column);
        }
        result = inner;
      } else {
        result = { kind: "not", operand: this.parseUnary() };
      }
      this.depth--;
      return result;
    }
    return this.parseComparison();
  }

  private parseComparison(): Comparison {
    const subjectToken = this.lexer.next();
    const subject = parseSubject(subjectToken);
    const opToken = this.lexer.next();
    const operator = parseOperator(opToken, subjectToken);
    if (!VALID_OPERATORS[subject.kind].includes(operator)) {
      throw new ClusterQueryError(
        `operator "${opToken.text}" cannot be used with ${subjectToken.text}; valid operators are ${VALID_OPERATORS[subject.kind].join(", ")}`,
        opToken.column,
      );
    }
    const argument = this.parseArgument(subject, operator, opToken);
    return { kind: "comparison", subject, operator, argument };
  }

  private parseArgument(subject: Subject, operator: Operator, opToken: Token): Argument {
    if (operator === "exists" || operator === "!exists") return { kind: "none" };

    if (operator === "=~" || operator === "!~") {
      const token = this.lexer.readPattern();
      if (token.type !== "word" && token.type !== "string") {
        throw new ClusterQueryError(`expected a pattern after "${opToken.text}", found ${describe(token)}`, token.column);
      }
      return { kind: "pattern", source: token.value, regex: compilePattern(token.value, token.column) };
    }

    if (operator === "in" || operator === "!in") {
      const open = this.lexer.next();
      if (open.type !== "[") {
        throw new ClusterQueryError(`"${opToken.text}" expects a bracketed list such as [a, b], found ${describe(open)}`, open.column);
      }
      const values: string[] = [];
      for (;;) {
        const item = this.lexer.next();
        if (item.type === "]" && values.length === 0) throw new ClusterQueryError("the argument list is empty", item.column);
        if (item.type === "eof") throw new ClusterQueryError(`unterminated argument list; expected "]"`, item.column);
        if (item.type !== "word" && item.type !== "string") {
          throw new ClusterQueryError(`expected a list value, found ${describe(item)}`, item.column);
        }
        values.push(checkValue(subject, item.value, item.column));
        const separator = this.lexer.next();
        if (separator.type === "]") break;
        if (separator.type === "eof") throw new ClusterQueryError(`unterminated argument list; expected "]"`, separator.column);
        if (separator.type !== ",") {
          throw new ClusterQueryError(`expected "," or "]" in the argument list, found ${describe(separator)}`, separator.column);
        }
      }
      return { kind: "list", values };
    }

    const token = this.lexer.next();
    if (token.type === "[") {
      throw new ClusterQueryError(`"${opToken.text}" takes a single value; only in and not_in take a list`, token.column);
    }
    if (token.type !== "word" && token.type !== "string") {
      throw new ClusterQueryError(`expected a value after "${opToken.text}", found ${describe(token)}`, token.column);
    }
    return { kind: "value", value: checkValue(subject, token.value, token.column) };
  }
}

function parseSubject(token: Token): Subject {
  if (token.type === "eof") throw new ClusterQueryError("expected a subject such as attribute:<name>, but the expression ended", token.column);
  if (token.type !== "word") throw new ClusterQueryError(`expected a subject such as attribute:<name>, found ${describe(token)}`, token.column);
  const text = token.value;
  if (text.startsWith("attribute:")) {
    const name = text.slice("attribute:".length);
    if (name === "") throw new ClusterQueryError(`"attribute:" must be followed by an attribute name`, token.column);
    if (!ATTRIBUTE_NAME.test(name)) throw new ClusterQueryError(`"${name}" is not a valid attribute name`, token.column + "attribute:".length);
    return { kind: "attribute", name };
  }
  for (const field of FIELD_SUBJECTS) if (text === field) return { kind: field };
  throw new ClusterQueryError(`unknown subject "${text}"; expected one of ${SUBJECT_LIST}`, token.column);
}

function parseOperator(token: Token, subjectToken: Token): Operator {
  if (token.type === "op") return token.op;
  if (token.type === "word") {
    const word = token.value.toLowerCase();
    const op = Object.hasOwn(WORD_OPERATORS, word) ? WORD_OPERATORS[word] : undefined;
    if (op !== undefined) return op;
    throw new ClusterQueryError(`unknown operator "${token.value}"; expected one of ${ALL_OPERATORS.join(", ")} or their word forms`, token.column);
  }
  if (token.type === "eof") throw new ClusterQueryError(`expected an operator after ${subjectToken.text}, but the expression ended`, token.column);
  throw new ClusterQueryError(`expected an operator after ${subjectToken.text}, found ${describe(token)}`, token.column);
}

/** Rejects arguments the subject can never compare against, so the mistake surfaces when the query is written. */
function checkValue(subject: Subject, value: string, column: number): string {
  switch (subject.kind) {
    case "agentConnected":
      if (value.toLowerCase() !== "true" && value.toLowerCase() !== "false") {
        throw new ClusterQueryError(`agentConnected compares with true or false, not "${value}"`, column);
      }
      break;
    case "agentVersion":
      if (parseVersion(value) === undefined) throw new ClusterQueryError(`"${value}" is not a version such as 1.14.5`, column);
      break;
    case "registeredAt":
      if (parseDateArgument(value) === undefined) {
        throw new ClusterQueryError(
          `"${value}" is not a valid date; use 2018-06-18, 2018-06-18T22:28:28, 2018-06-18T22:28:28Z or 2018-06-18T22:28:28+00:00`,
          column,
        );
      }
      break;
    case "runningTasksCount":
      if (!/^\d+$/.test(value)) throw new ClusterQueryError(`runningTasksCount compares with a whole number, not "${value}"`, column);
      break;
    default:
      break;
  }
  return value;
}

// The docs define =~ by Java's java.util.regex.Pattern, whose String.matches() must match the whole value,
// so patterns are anchored. A leading (?i) is Java's inline case-insensitive flag, which JavaScript lacks.
function compilePattern(source: string, column: number): RegExp {
  let body = source;
  let flags = "";
  if (body.startsWith("(?i)")) {
    body = body.slice(4);
    flags = "i";
  }
  try {
    // Compiling the body alone first keeps "a)|(b" from escaping the anchoring group below.
    new RegExp(body, flags);
    return new RegExp(`^(?:${body})$`, flags);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^Invalid regular expression: /, "") : String(error);
    throw new ClusterQueryError(`invalid pattern "${source}": ${reason}`, column);
  }
}

/** Parses a cluster query; throws ClusterQueryError, with the offending column, when it is malformed. */
export function parseClusterQuery(text: string): Expression {
  return new Parser(text).parseAll();
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation
//
// Each subject yields the instance's values for it; no values means the subject does not exist (an attribute
// the instance lacks, an instance with no tasks for task:group, an unknown agentVersion or ec2InstanceId).
// Positive operators (==, >, in, =~, ...) hold when some value satisfies them, which is how task:group ==
// service:x means "hosts a task of service:x". The negative operators !=, not_in and !~ hold only when the
// subject exists and the positive form does not: the docs describe `attribute:stack != prod` as listing "the
// instances with the custom attribute stack unless the value is prod", so an instance without the attribute
// is not selected. For task:group that makes `!= database` false on an empty instance; anti-affinity that
// should include empty instances is written `not(task:group == database)`, as the docs do. An attribute
// present without a value exists but has no value, so it satisfies no positive comparison.

type Value = string | null;

function subjectValues(subject: Subject, target: QueryTarget): readonly Value[] {
  switch (subject.kind) {
    case "attribute":
      return Object.hasOwn(target.attributes, subject.name) ? [target.attributes[subject.name] ?? null] : [];
    case "task:group":
      return target.taskGroups;
    case "agentConnected":
      return [String(target.agentConnected)];
    case "agentVersion":
      return target.agentVersion ? [target.agentVersion] : [];
    case "ec2InstanceId":
      return target.ec2InstanceId ? [target.ec2InstanceId] : [];
    case "registeredAt":
      return Number.isNaN(target.registeredAt.getTime()) ? [] : [target.registeredAt.toISOString()];
    case "runningTasksCount":
      return [String(target.runningTasksCount)];
  }
}

type Ordered = "==" | ">" | ">=" | "<" | "<=";

function holds(op: Ordered, order: number): boolean {
  switch (op) {
    case "==":
      return order === 0;
    case ">":
      return order > 0;
    case ">=":
      return order >= 0;
    case "<":
      return order < 0;
    case "<=":
      return order <= 0;
  }
}

/** Orders an instance value against a query argument, or undefined when the two cannot be compared. */
function compare(subject: Subject, value: string, argument: string, op: Ordered): number | undefined {
  switch (subject.kind) {
    case "agentVersion": {
      const left = parseVersion(value);
      const right = parseVersion(argument);
      return left && right ? compareVersions(left, right) : undefined;
    }
    case "registeredAt":
      return compareDates(value, argument);
    case "runningTasksCount":
      return Math.sign(Number(value) - Number(argument));
    case "agentConnected":
      return value === argument.toLowerCase() ? 0 : undefined;
    default:
      return op === "==" ? (value === argument ? 0 : undefined) : compareText(value, argument);
  }
}

// The docs call == "string equality", so `attribute:cores == 16.0` does not match "16"; but for ordering,
// `attribute:cores > 4` should not be decided by "16" < "4" as text.
const NUMBER = /^-?\d+(\.\d+)?$/;
function compareText(value: string, argument: string): number {
  if (NUMBER.test(value) && NUMBER.test(argument)) return Math.sign(Number(value) - Number(argument));
  return value === argument ? 0 : value < argument ? -1 : 1;
}

// "1.10.0" > "1.9.0", and missing trailing parts count as zero so 1.14 == 1.14.0. A leading "v" and a
// suffix such as "-beta" are tolerated and the suffix ignored.
function parseVersion(text: string): readonly number[] | undefined {
  const match = /^v?(\d+(?:\.\d+)*)([-+].*)?$/.exec(text);
  return match?.[1]?.split(".").map(Number);
}

function compareVersions(left: readonly number[], right: readonly number[]): number {
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const diff = (left[i] ?? 0) - (right[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

type DateArgument = { readonly precision: "day"; readonly day: string } | { readonly precision: "second"; readonly epochMs: number };

// The four formats the docs list. Times without an offset are UTC (JavaScript's Date would read them as
// local time, making a query's meaning depend on the server's time zone).
const DATE_ARGUMENT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:\d{2})?)?$/;

function parseDateArgument(text: string): DateArgument | undefined {
  const m = DATE_ARGUMENT.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dayMs = Date.UTC(year, month - 1, day);
  if (new Date(dayMs).toISOString().slice(0, 10) !== text.slice(0, 10)) return undefined; // e.g. 2018-02-30
  if (m[4] === undefined) return { precision: "day", day: text.slice(0, 10) };
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  const zone = m[7];
  if (zone !== undefined && zone !== "Z") {
    const [oh, om] = [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))];
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (zone.startsWith("-") ? -1 : 1) * (oh * 60 + om);
  }
  return { precision: "second", epochMs: dayMs + ((hour * 60 + minute) * 60 + second) * 1000 - offsetMinutes * 60_000 };
}

// A query compares at the precision it was written in: `registeredAt == 2018-02-13` means "registered that
// (UTC) day", and a timestamp argument ignores the instance's sub-second part.
function compareDates(isoValue: string, argument: string): number | undefined {
  const parsed = parseDateArgument(argument);
  const ms = Date.parse(isoValue);
  if (parsed === undefined || Number.isNaN(ms)) return undefined;
  if (parsed.precision === "day") {
    const day = isoValue.slice(0, 10);
    return day === parsed.day ? 0 : day < parsed.day ? -1 : 1;
  }
  return Math.sign(Math.floor(ms / 1000) * 1000 - parsed.epochMs);
}

function positive(comparison: Comparison, values: readonly Value[]): boolean {
  const { subject, operator, argument } = comparison;
  const present = values.filter((v): v is string => v !== null);
  switch (operator) {
    case "==":
    case "!=":
    case ">":
    case ">=":
    case "<":
    case "<=": {
      if (argument.kind !== "value") return false;
      const op: Ordered = operator === "!=" ? "==" : operator;
      return present.some((v) => {
        const order = compare(subject, v, argument.value, op);
        return order !== undefined && holds(op, order);
      });
    }
    case "in":
    case "!in":
      if (argument.kind !== "list") return false;
      return present.some((v) => argument.values.some((item) => compare(subject, v, item, "==") === 0));
    case "=~":
    case "!~":
      if (argument.kind !== "pattern") return false;
      return present.some((v) => argument.regex.test(v));
    case "exists":
    case "!exists":
      return values.length > 0;
  }
}

/** Whether one container instance satisfies a parsed query. */
export function evaluateClusterQuery(expr: Expression, target: QueryTarget): boolean {
  switch (expr.kind) {
    case "and":
      return expr.operands.every((operand) => evaluateClusterQuery(operand, target));
    case "or":
      return expr.operands.some((operand) => evaluateClusterQuery(operand, target));
    case "not":
      return !evaluateClusterQuery(expr.operand, target);
    case "comparison": {
      const values = subjectValues(expr.subject, target);
      const result = positive(expr, values);
      switch (expr.operator) {
        case "!=":
        case "!in":
        case "!~":
          return values.length > 0 && !result;
        case "!exists":
          return !result;
        default:
          return result;
      }
    }
  }
}

/** Parses and evaluates in one step; throws ClusterQueryError when the query is malformed. */
export function matchesClusterQuery(text: string, target: QueryTarget): boolean {
  return evaluateClusterQuery(parseClusterQuery(text), target);
}
