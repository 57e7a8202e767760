// CloudWatch Logs filter patterns, parsed once into a matcher: terms and phrases,
// JSON selectors ({ $.a = "x" }), space-delimited fields ([a, ..., b > 1]) and %regex%.
// Pure: no I/O, no clock. An unparseable pattern throws FilterPatternError.
//
//   text → kind (by its first character) → parser → FilterPattern { matches, prefilter }

/** The pattern is not CloudWatch filter syntax; the API answers "Invalid filter pattern". */
export class FilterPatternError extends Error {}

/**
 * Substrings every matching message must (or must not) contain, so a store can
 * skip most non-matching rows before the exact matcher runs. Each inner list of
 * `anyOf` needs one of its members; `noneOf` members must all be absent. An empty
 * prefilter narrows nothing; it is always implied by `matches`, never stronger.
 */
export interface Prefilter {
  readonly anyOf: readonly (readonly string[])[];
  readonly noneOf: readonly string[];
}

export interface FilterPattern {
  readonly kind: "all" | "terms" | "json" | "delimited";
  matches(message: string): boolean;
  readonly prefilter: Prefilter;
  /** The prefilter alone decides: every message it lets through matches. */
  readonly exact: boolean;
}

const noPrefilter: Prefilter = { anyOf: [], noneOf: [] };

export function parseFilterPattern(text: string | undefined): FilterPattern {
  const trimmed = (text ?? "").trim();
  if (trimmed === "") return { kind: "all", matches: () => true, prefilter: noPrefilter, exact: true };
  if (trimmed.startsWith("{")) return parseJsonPattern(trimmed);
  if (trimmed.startsWith("[")) return parseDelimitedPattern(trimmed);
  return parseTermsPattern(trimmed);
}

function fail(why: string): never {
  throw new FilterPatternError(why);
}

// ---------------------------------------------------------------------------
// Regular expressions (%…%): CloudWatch allows a small character set and no groups.

/** Letters, digits, the documented symbols (: _ # = @ / ; , -) and operators (^ $ ? [ ] { } | \ * + .). */
const regexAllowed = /^[A-Za-z0-9:_#=@/;,\-^$?[\]{}|\\*+.]+$/;

function compileRegex(source: string): RegExp {
  if (source === "") fail("empty regular expression");
  if (!regexAllowed.test(source)) fail(`regular expression %${source}% uses a character CloudWatch does not allow`);
  try {
    return new RegExp(source);
  } catch {
    return fail(`regular expression %${source}% does not compile`);
  }
}

/** CloudWatch caps regular expressions in one JSON or delimited pattern at two. */
const maxRegexes = 2;

// ---------------------------------------------------------------------------
// Terms: `ERROR "exact phrase" -excluded ?either ?or %regex%`.

interface Term {
  readonly mode: "required" | "optional" | "excluded";
  readonly test: (message: string) => boolean;
  /** The literal substring this term stands for, when it is one (not a regex, not match-all). */
  readonly literal?: string;
  readonly regex?: boolean;
}

function parseTermsPattern(text: string): FilterPattern {
  const terms: Term[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text.charAt(i))) {
      i++;
      continue;
    }
    let mode: Term["mode"] = "required";
    if (text[i] === "-" || text[i] === "?") {
      mode = text[i] === "-" ? "excluded" : "optional";
      i++;
      if (i >= text.length || /\s/.test(text.charAt(i))) fail(`'${text[i - 1]}' must be followed by a term`);
    }
    if (text[i] === '"') {
      const [phrase, end] = readQuoted(text, i);
      i = end;
      if (i < text.length && !/\s/.test(text.charAt(i))) fail("a quoted phrase must be followed by a space");
      // CloudWatch documents `" "` as "match everything".
      if (phrase.trim() === "") terms.push({ mode, test: () => true });
      else terms.push({ mode, test: (m) => m.includes(phrase), literal: phrase });
      continue;
    }
    let end = i;
    while (end < text.length && !/\s/.test(text.charAt(end))) end++;
    const word = text.slice(i, end);
    i = end;
    if (word.length >= 2 && word.startsWith("%") && word.endsWith("%")) {
      const re = compileRegex(word.slice(1, -1));
      terms.push({ mode, test: (m) => re.test(m), regex: true });
      continue;
    }
    if (/["{}[\]%]/.test(word)) fail(`term '${word}' has characters that need double quotes`);
    terms.push({ mode, test: (m) => m.includes(word), literal: word });
  }
  const required = terms.filter((t) => t.mode === "required");
  const optional = terms.filter((t) => t.mode === "optional");
  const excluded = terms.filter((t) => t.mode === "excluded");
  const anyOf: string[][] = required.flatMap((t) => (t.literal === undefined ? [] : [[t.literal]]));
  if (optional.length > 0 && optional.every((t) => t.literal !== undefined)) anyOf.push(optional.map((t) => t.literal!));
  const noneOf = excluded.flatMap((t) => (t.literal === undefined ? [] : [t.literal]));
  return {
    kind: "terms",
    prefilter: { anyOf, noneOf },
    // Literal terms are substring tests, exactly what the prefilter checks; a
    // match-all phrase needs no check unless it is excluded (then nothing matches).
    exact: terms.every((t) => !t.regex && (t.literal !== undefined || t.mode !== "excluded")),
    matches: (m) =>
      required.every((t) => t.test(m)) &&
      (optional.length === 0 || optional.some((t) => t.test(m))) &&
      !excluded.some((t) => t.test(m)),
  };
}

/** Reads a "…" string starting at `start` (the quote); returns its text and the index after it. */
function readQuoted(text: string, start: number): [string, number] {
  let out = "";
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length) {
      out += text[i + 1];
      i += 2;
      continue;
    }
    if (c === '"') return [out, i + 1];
    out += c;
    i++;
  }
  return fail("unterminated double quote");
}

// ---------------------------------------------------------------------------
// Values on the right of a comparison, shared by JSON and delimited patterns.

type Operator = "=" | "!=" | "<" | "<=" | ">" | ">=";

type Value =
  | { readonly kind: "number"; readonly n: number; readonly text: string }
  | { readonly kind: "string"; readonly s: string; readonly glob?: RegExp; readonly any: boolean }
  | { readonly kind: "regex"; readonly re: RegExp };

const numberText = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

function globOf(s: string): RegExp | undefined {
  if (!s.includes("*")) return undefined;
  const body = s
    .split("*")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("[\\s\\S]*");
  return new RegExp(`^${body}$`);
}

function stringValue(s: string): Value {
  return { kind: "string", s, any: s === "*", ...(globOf(s) ? { glob: globOf(s)! } : {}) };
}

function stringMatches(v: Extract<Value, { kind: "string" }>, s: string): boolean {
  return v.glob ? v.glob.test(s) : s === v.s;
}

// ---------------------------------------------------------------------------
// A small tokenizer for the inside of { … } and [ … ].

type Tok =
  | { readonly t: "op"; readonly v: Operator }
  | { readonly t: "and" | "or" | "(" | ")" | "," | "ellipsis" }
  | { readonly t: "word"; readonly v: string }
  | { readonly t: "quoted"; readonly v: string }
  | { readonly t: "regex"; readonly v: string };

function tokenize(body: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = body.slice(i, i + 2);
    if (two === "&&") {
      out.push({ t: "and" });
      i += 2;
    } else if (two === "||") {
      out.push({ t: "or" });
      i += 2;
    } else if (two === "!=" || two === "<=" || two === ">=") {
      out.push({ t: "op", v: two });
      i += 2;
    } else if (c === "=" || c === "<" || c === ">") {
      out.push({ t: "op", v: c });
      i++;
    } else if (c === "(" || c === ")" || c === ",") {
      out.push({ t: c });
      i++;
    } else if (body.startsWith("...", i)) {
      out.push({ t: "ellipsis" });
      i += 3;
    } else if (c === '"') {
      const [s, end] = readQuoted(body, i);
      out.push({ t: "quoted", v: s });
      i = end;
    } else if (c === "%") {
      const end = body.indexOf("%", i + 1);
      if (end < 0) fail("unterminated %regex%");
      out.push({ t: "regex", v: body.slice(i + 1, end) });
      i = end + 1;
    } else {
      let end = i;
      while (end < body.length && /[^\s=<>!&|(),"%]/.test(body.charAt(end))) end++;
      if (end === i) fail(`unexpected '${c}'`);
      out.push({ t: "word", v: body.slice(i, end) });
      i = end;
    }
  }
  return out;
}

class Cursor {
  private i = 0;
  regexes = 0;
  constructor(private readonly toks: readonly Tok[]) {}
  peek(): Tok | undefined {
    return this.toks[this.i];
  }
  next(): Tok | undefined {
    return this.toks[this.i++];
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }
  /** Reads the value after an operator. */
  value(op: Operator): Value {
    const tok = this.next();
    if (!tok) return fail(`missing value after '${op}'`);
    let v: Value;
    if (tok.t === "regex") {
      if (++this.regexes > maxRegexes) fail(`at most ${maxRegexes} regular expressions per pattern`);
      v = { kind: "regex", re: compileRegex(tok.v) };
    } else if (tok.t === "quoted") v = stringValue(tok.v);
    else if (tok.t === "word") v = numberText.test(tok.v) ? { kind: "number", n: Number(tok.v), text: tok.v } : stringValue(tok.v);
    else return fail(`expected a value after '${op}'`);
    if (op !== "=" && op !== "!=" && v.kind !== "number") fail(`'${op}' compares numbers only`);
    return v;
  }
}

// ---------------------------------------------------------------------------
// JSON: `{ $.a.b[0] = "x" && ($.n > 1 || $.c IS NULL) }`.

type Step = string | number;

type JsonExpr =
  | { readonly t: "and" | "or"; readonly l: JsonExpr; readonly r: JsonExpr }
  | { readonly t: "cmp"; readonly path: readonly Step[]; readonly op: Operator; readonly v: Value }
  | { readonly t: "is"; readonly path: readonly Step[]; readonly what: "null" | "true" | "false" }
  | { readonly t: "notExists"; readonly path: readonly Step[] };

function parseJsonPattern(text: string): FilterPattern {
  if (!text.endsWith("}")) fail("a JSON pattern must end with '}'");
  const cur = new Cursor(tokenize(text.slice(1, -1)));
  if (cur.done()) fail("empty JSON pattern");
  const expr = jsonOr(cur);
  if (!cur.done()) fail("unexpected text after the JSON expression");
  return {
    kind: "json",
    prefilter: { anyOf: jsonNeeds(expr), noneOf: [] },
    exact: false,
    matches: (m) => {
      const doc = parseJsonMessage(m);
      return doc !== undefined && evalJson(expr, doc.value);
    },
  };
}

function jsonOr(cur: Cursor): JsonExpr {
  let l = jsonAnd(cur);
  while (cur.peek()?.t === "or") {
    cur.next();
    l = { t: "or", l, r: jsonAnd(cur) };
  }
  return l;
}

function jsonAnd(cur: Cursor): JsonExpr {
  let l = jsonUnary(cur);
  while (cur.peek()?.t === "and") {
    cur.next();
    l = { t: "and", l, r: jsonUnary(cur) };
  }
  return l;
}

function jsonUnary(cur: Cursor): JsonExpr {
  const tok = cur.next();
  if (tok?.t === "(") {
    const inner = jsonOr(cur);
    if (cur.next()?.t !== ")") fail("missing ')'");
    return inner;
  }
  if (tok?.t !== "word") return fail("expected a $. selector");
  const path = parseSelector(tok.v);
  const after = cur.next();
  if (after?.t === "op") return { t: "cmp", path, op: after.v, v: cur.value(after.v) };
  if (after?.t === "word" && after.v === "IS") {
    const what = cur.next();
    if (what?.t === "word" && (what.v === "NULL" || what.v === "TRUE" || what.v === "FALSE")) {
      return { t: "is", path, what: what.v.toLowerCase() as "null" | "true" | "false" };
    }
    return fail("IS must be followed by NULL, TRUE or FALSE");
  }
  if (after?.t === "word" && after.v === "NOT") {
    const what = cur.next();
    if (what?.t === "word" && what.v === "EXISTS") return { t: "notExists", path };
    return fail("NOT must be followed by EXISTS");
  }
  return fail(`expected an operator after ${tok.v}`);
}

/** `$.a.b[0].c` → ["a", "b", 0, "c"]. */
function parseSelector(text: string): Step[] {
  if (!text.startsWith("$")) fail(`selector '${text}' must start with $`);
  const steps: Step[] = [];
  let i = 1;
  while (i < text.length) {
    if (text[i] === ".") {
      const m = /^[A-Za-z0-9_@-]+/.exec(text.slice(i + 1));
      if (!m) fail(`bad property in selector '${text}'`);
      steps.push(m[0]);
      i += 1 + m[0].length;
    } else if (text[i] === "[") {
      const m = /^\[(\d+)\]/.exec(text.slice(i));
      if (!m) fail(`bad array index in selector '${text}'`);
      steps.push(Number(m[1]));
      i += m[0].length;
    } else {
      fail(`bad selector '${text}'`);
    }
  }
  if (steps.length === 0) fail("a selector names a property: $.name");
  return steps;
}

/**
 * Substrings a message must hold for `e` to match it: the keys a comparison
 * reads and the literal parts of the strings `=` wants. JSON may spell either
 * with escapes, so each is paired with "\\": a message without a backslash
 * spells them literally, and one with a backslash is left to the matcher.
 */
function jsonNeeds(e: JsonExpr): string[][] {
  switch (e.t) {
    case "and":
      return [...jsonNeeds(e.l), ...jsonNeeds(e.r)];
    case "or":
    case "notExists":
      return [];
    case "is":
    case "cmp": {
      const keys = e.path.filter((step): step is string => typeof step === "string");
      const literals = e.t === "cmp" && e.op === "=" ? valueLiterals(e.v) : [];
      return [...keys.map((k) => `"${k}"`), ...literals].map((lit) => [lit, "\\"]);
    }
  }
}

/** Literal text a value that `=` matches must contain (none for numbers and regexes). */
function valueLiterals(v: Value): string[] {
  if (v.kind !== "string" || v.any) return [];
  return v.s.split("*").filter((part) => part !== "");
}

function parseJsonMessage(message: string): { value: unknown } | undefined {
  const t = message.trimStart();
  if (!t.startsWith("{") && !t.startsWith("[")) return undefined;
  try {
    return { value: JSON.parse(message) as unknown };
  } catch {
    return undefined;
  }
}

const missing = Symbol("missing");

function resolve(doc: unknown, path: readonly Step[]): unknown {
  let v: unknown = doc;
  for (const step of path) {
    if (typeof step === "number") {
      if (!Array.isArray(v) || step >= v.length) return missing;
      v = v[step];
    } else {
      if (v === null || typeof v !== "object" || Array.isArray(v) || !Object.hasOwn(v, step)) return missing;
      v = (v as Record<string, unknown>)[step];
    }
  }
  return v;
}

function evalJson(e: JsonExpr, doc: unknown): boolean {
  switch (e.t) {
    case "and":
      return evalJson(e.l, doc) && evalJson(e.r, doc);
    case "or":
      return evalJson(e.l, doc) || evalJson(e.r, doc);
    case "notExists":
      return resolve(doc, e.path) === missing;
    case "is": {
      const v = resolve(doc, e.path);
      return e.what === "null" ? v === null : v === (e.what === "true");
    }
    case "cmp": {
      const v = resolve(doc, e.path);
      if (v === missing) return false;
      return compareJson(v, e.op, e.v);
    }
  }
}

function compareJson(actual: unknown, op: Operator, v: Value): boolean {
  if (v.kind === "string" && v.any) return op === "=";
  let equal: boolean;
  if (v.kind === "number") {
    if (typeof actual !== "number") return op === "!=" ? true : false;
    switch (op) {
      case "<":
        return actual < v.n;
      case "<=":
        return actual <= v.n;
      case ">":
        return actual > v.n;
      case ">=":
        return actual >= v.n;
      default:
        equal = actual === v.n;
    }
  } else if (v.kind === "regex") {
    equal = typeof actual === "string" && v.re.test(actual);
  } else if (typeof actual === "string") {
    equal = stringMatches(v, actual);
  } else if (typeof actual === "boolean") {
    // Unquoted true/false compare with JSON booleans as well as strings.
    equal = String(actual) === v.s;
  } else {
    equal = false;
  }
  return op === "=" ? equal : !equal;
}

// ---------------------------------------------------------------------------
// Space-delimited: `[ip, user, ..., status = 4* || status = 5*, bytes > 1000]`.

type FieldCond =
  | { readonly t: "and" | "or"; readonly l: FieldCond; readonly r: FieldCond }
  | { readonly t: "cmp"; readonly op: Operator; readonly v: Value };

type Field = { readonly t: "ellipsis" } | { readonly t: "field"; readonly name: string; readonly cond?: FieldCond };

function parseDelimitedPattern(text: string): FilterPattern {
  if (!text.endsWith("]")) fail("a space-delimited pattern must end with ']'");
  const cur = new Cursor(tokenize(text.slice(1, -1)));
  const fields: Field[] = [];
  for (;;) {
    const tok = cur.next();
    if (tok?.t === "ellipsis") fields.push({ t: "ellipsis" });
    else if (tok?.t === "word" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(tok.v)) {
      const name = tok.v;
      const cond = cur.peek()?.t === "op" ? fieldOr(cur, name) : undefined;
      fields.push(cond ? { t: "field", name, cond } : { t: "field", name });
    } else {
      fail("each field of a space-delimited pattern is a name, a condition on it, or ...");
    }
    const sep = cur.next();
    if (sep === undefined) break;
    if (sep.t !== ",") fail("fields of a space-delimited pattern are separated by commas");
  }
  const names = fields.flatMap((f) => (f.t === "field" ? [f.name] : []));
  if (new Set(names).size !== names.length) fail("field names must be unique");
  // A field's `=` string (or its literal parts around *) appears verbatim in the message.
  const anyOf = fields.flatMap((f) => (f.t === "field" && f.cond ? fieldNeeds(f.cond) : [])).map((lit) => [lit]);
  return { kind: "delimited", prefilter: { anyOf, noneOf: [] }, exact: false, matches: (m) => matchFields(fields, 0, splitFields(m), 0) };
}

function fieldNeeds(c: FieldCond): string[] {
  if (c.t !== "cmp") return c.t === "and" ? [...fieldNeeds(c.l), ...fieldNeeds(c.r)] : [];
  return c.op === "=" ? valueLiterals(c.v) : [];
}

function fieldOr(cur: Cursor, name: string): FieldCond {
  let l = fieldAnd(cur, name);
  while (cur.peek()?.t === "or") {
    cur.next();
    l = { t: "or", l, r: fieldAnd(cur, name) };
  }
  return l;
}

function fieldAnd(cur: Cursor, name: string): FieldCond {
  let l = fieldCmp(cur, name, true);
  while (cur.peek()?.t === "and") {
    cur.next();
    l = { t: "and", l, r: fieldCmp(cur, name, false) };
  }
  return l;
}

/** `= v` right after the field's name, or `name = v` after && / ||. */
function fieldCmp(cur: Cursor, name: string, first: boolean): FieldCond {
  let tok = cur.next();
  if (!first || tok?.t === "word") {
    if (tok?.t !== "word" || tok.v !== name) fail(`a condition after && or || must name its field '${name}'`);
    tok = cur.next();
  }
  if (tok?.t !== "op") return fail(`expected an operator after '${name}'`);
  return { t: "cmp", op: tok.v, v: cur.value(tok.v) };
}

/** Splits a message on spaces; "…" and […] are one field each (without their delimiters). */
export function splitFields(message: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = message.length;
  while (i < n) {
    while (i < n && /\s/.test(message.charAt(i))) i++;
    if (i >= n) break;
    const open = message[i];
    const close = open === '"' ? '"' : open === "[" ? "]" : undefined;
    if (close) {
      const end = message.indexOf(close, i + 1);
      if (end >= 0) {
        out.push(message.slice(i + 1, end));
        i = end + 1;
        continue;
      }
    }
    let end = i;
    while (end < n && !/\s/.test(message.charAt(end))) end++;
    out.push(message.slice(i, end));
    i = end;
  }
  return out;
}

function matchFields(fields: readonly Field[], fi: number, values: readonly string[], vi: number): boolean {
  const f = fields[fi];
  if (f === undefined) return vi === values.length;
  if (f.t === "ellipsis") {
    for (let k = vi; k <= values.length; k++) if (matchFields(fields, fi + 1, values, k)) return true;
    return false;
  }
  const value = values[vi];
  if (value === undefined) return false;
  if (f.cond && !evalField(f.cond, value)) return false;
  return matchFields(fields, fi + 1, values, vi + 1);
}

function evalField(c: FieldCond, value: string): boolean {
  switch (c.t) {
    case "and":
      return evalField(c.l, value) && evalField(c.r, value);
    case "or":
      return evalField(c.l, value) || evalField(c.r, value);
    case "cmp":
      return compareField(value, c.op, c.v);
  }
}

function compareField(actual: string, op: Operator, v: Value): boolean {
  let equal: boolean;
  if (v.kind === "number") {
    const n = numberText.test(actual) ? Number(actual) : Number.NaN;
    if (op !== "=" && op !== "!=") {
      if (Number.isNaN(n)) return false;
      return op === "<" ? n < v.n : op === "<=" ? n <= v.n : op === ">" ? n > v.n : n >= v.n;
    }
    equal = Number.isNaN(n) ? actual === v.text : n === v.n;
  } else if (v.kind === "regex") {
    equal = v.re.test(actual);
  } else {
    equal = stringMatches(v, actual);
  }
  return op === "=" ? equal : !equal;
}
