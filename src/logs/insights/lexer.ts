// The tokens of Logs Insights queries, read on demand: the parser says when a `/`
// starts a regular expression (where an operand is expected) rather than divides.

export class QuerySyntaxError extends Error {
  constructor(
    message: string,
    /** Offsets into the query text (end exclusive). */
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

export type TokenKind = "name" | "number" | "period" | "string" | "regex" | "op" | "end";

export interface Token {
  readonly kind: TokenKind;
  /** Names: as written (backticks removed); strings: unescaped; ops: the operator. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

const operators = ["!=", "<=", ">=", "=~", "|", ",", "(", ")", "[", "]", "=", "<", ">", "+", "-", "*", "/", "%", "^"];
const nameStart = /[A-Za-z_@$]/;
const namePart = /[A-Za-z0-9_@$]/;

export class Lexer {
  private cached: Token | undefined;
  private pos = 0;

  constructor(readonly text: string) {}

  /** The next token, with `/` as an operator. */
  peek(): Token {
    this.cached ??= this.lex(this.skipSpace(this.pos));
    return this.cached;
  }

  take(): Token {
    const t = this.peek();
    this.pos = t.end;
    this.cached = undefined;
    return t;
  }

  /** At a `/` where an operand is expected: the regular expression it starts. */
  takeRegex(): Token {
    const start = this.peek().start;
    let i = start + 1;
    let inClass = false;
    for (; i < this.text.length; i++) {
      const c = this.text[i];
      if (c === "\\") i++;
      else if (c === "[") inClass = true;
      else if (c === "]") inClass = false;
      else if (c === "/" && !inClass) break;
    }
    if (i >= this.text.length) throw this.error(start, this.text.length, "unterminated regular expression");
    let end = i + 1;
    while (end < this.text.length && /[a-z]/.test(this.text.charAt(end))) end++;
    this.pos = end;
    this.cached = undefined;
    return { kind: "regex", value: this.text.slice(start, end), start, end };
  }

  error(start: number, end: number, what: string): QuerySyntaxError {
    const before = this.text.slice(0, start);
    const line = before.split("\n").length;
    const column = start - (before.lastIndexOf("\n") + 1);
    const found = start >= this.text.length ? "end of query" : `'${this.text.slice(start, Math.max(end, start + 1))}'`;
    return new QuerySyntaxError(`unexpected symbol found ${found} at line ${line} and position ${column}: ${what}`, start, Math.max(end, start + 1));
  }

  private skipSpace(from: number): number {
    let i = from;
    for (;;) {
      while (i < this.text.length && /\s/.test(this.text.charAt(i))) i++;
      if (this.text[i] !== "#") return i;
      while (i < this.text.length && this.text[i] !== "\n") i++;
    }
  }

  private lex(start: number): Token {
    const s = this.text;
    if (start >= s.length) return { kind: "end", value: "", start, end: start };
    const c = s.charAt(start);
    if (c === '"' || c === "'") {
      let value = "";
      let i = start + 1;
      for (; i < s.length && s[i] !== c; i++) {
        if (s[i] === "\\" && i + 1 < s.length) i++;
        value += s[i];
      }
      if (i >= s.length) throw this.error(start, s.length, "unterminated string");
      return { kind: "string", value, start, end: i + 1 };
    }
    if (c === "`") {
      const close = s.indexOf("`", start + 1);
      if (close < 0) throw this.error(start, s.length, "unterminated `quoted` field name");
      return { kind: "name", value: s.slice(start + 1, close), start, end: close + 1 };
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(s[start + 1] ?? ""))) {
      let i = start;
      while (i < s.length && /[0-9.]/.test(s.charAt(i))) i++;
      if (/[eE]/.test(s[i] ?? "") && /[-+0-9]/.test(s[i + 1] ?? "") && !/[A-Za-z]/.test(s.charAt(i + 1))) {
        i += 2;
        while (i < s.length && /[0-9]/.test(s.charAt(i))) i++;
      }
      let unitEnd = i;
      while (unitEnd < s.length && /[A-Za-z]/.test(s.charAt(unitEnd))) unitEnd++;
      if (unitEnd > i) return { kind: "period", value: s.slice(start, unitEnd), start, end: unitEnd };
      if (Number.isNaN(Number(s.slice(start, i)))) throw this.error(start, i, "not a number");
      return { kind: "number", value: s.slice(start, i), start, end: i };
    }
    if (nameStart.test(c)) {
      // Dotted paths (`a.b.0.c`) are one name: JSON fields are flattened with dots.
      let i = start + 1;
      for (;;) {
        while (i < s.length && namePart.test(s.charAt(i))) i++;
        if (s[i] === "." && namePart.test(s[i + 1] ?? "")) i++;
        else break;
      }
      return { kind: "name", value: s.slice(start, i), start, end: i };
    }
    const op = operators.find((o) => s.startsWith(o, start));
    if (!op) throw this.error(start, start + 1, "not a symbol of the query language");
    return { kind: "op", value: op, start, end: start + op.length };
  }
}
