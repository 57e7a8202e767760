// The filter pattern syntax, case by case: each row is a pattern, messages it
// must match, and messages it must not; then patterns CloudWatch rejects.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FilterPatternError, parseFilterPattern, splitFields } from "./filter-pattern.js";

interface Case {
  readonly pattern: string;
  readonly match: readonly string[];
  readonly miss: readonly string[];
}

const apache = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534';
const apache404 = '10.0.0.7 - - [10/Oct/2000:13:26:00 -0700] "GET /missing.html HTTP/1.0" 404 2048';
const apache500 = '10.0.0.8 - bob [10/Oct/2000:13:27:00 -0700] "POST /api HTTP/1.1" 500 12';

const json = (v: unknown): string => JSON.stringify(v);

const cases: readonly Case[] = [
  // Match everything.
  { pattern: "", match: ["anything", ""], miss: [] },
  { pattern: "   ", match: ["anything"], miss: [] },
  { pattern: '" "', match: ["anything", "x"], miss: [] },
  // Terms: all must match, case-sensitive, substring.
  { pattern: "ERROR", match: ["ERROR boom", "[ERROR] x", "xERRORx"], miss: ["error boom", "Error", "WARN"] },
  { pattern: "ERROR Exception", match: ["ERROR: Exception thrown", "Exception then ERROR"], miss: ["ERROR only", "Exception only"] },
  { pattern: "  ERROR   Exception  ", match: ["ERROR Exception"], miss: ["ERROR"] },
  { pattern: "404", match: ["GET / 404", "x404y"], miss: ["GET / 200"] },
  // Quoted phrases.
  { pattern: '"INTERNAL SERVER ERROR"', match: ["500 INTERNAL SERVER ERROR here"], miss: ["INTERNAL ERROR SERVER", "internal server error"] },
  { pattern: '"[ERROR]"', match: ["[ERROR] boom"], miss: ["ERROR boom"] },
  { pattern: '"say \\"hi\\""', match: ['they say "hi" loudly'], miss: ["they say hi"] },
  { pattern: '"user@example.com" login', match: ["login by user@example.com"], miss: ["login by other@example.com"] },
  // Exclusions.
  { pattern: "ERROR -ARGUMENTS", match: ["ERROR in handler"], miss: ["ERROR ARGUMENTS bad", "WARN"] },
  { pattern: '-"health check"', match: ["GET /api"], miss: ["GET /health check"] },
  { pattern: "-DEBUG", match: ["INFO x"], miss: ["DEBUG x"] },
  // Alternatives.
  { pattern: "?ERROR ?WARN", match: ["ERROR a", "WARN b", "ERROR WARN"], miss: ["INFO c"] },
  { pattern: '?"out of memory" ?OOMKilled', match: ["java: out of memory", "reason OOMKilled"], miss: ["memory"] },
  { pattern: "task ?ERROR ?WARN", match: ["task ERROR", "task WARN"], miss: ["task INFO", "ERROR alone"] },
  { pattern: "?ERROR ?WARN -ignore", match: ["ERROR"], miss: ["ERROR ignore", "INFO"] },
  // Regular expressions.
  { pattern: "%AUTHORIZED%", match: ["[ERROR 401] UNAUTHORIZED REQUEST", "[SUCCESS 200] AUTHORIZED REQUEST"], miss: ["authorized"] },
  { pattern: "%^[hc]at%", match: ["hat on", "cat nap"], miss: ["a hat"] },
  { pattern: "%[Ee]rror|[Ff]ail%", match: ["Error x", "error y", "Fail z"], miss: ["ok"] },
  { pattern: "%\\d{3}%", match: ["code 404"], miss: ["code 40"] },
  // JSON: strings, wildcards, numbers.
  { pattern: '{ $.level = "error" }', match: [json({ level: "error" })], miss: [json({ level: "ERROR" }), json({ lvl: "error" }), "level error", "{not json"] },
  { pattern: "{ $.level = error }", match: [json({ level: "error", x: 1 })], miss: [json({ level: "info" })] },
  { pattern: '{ $.level != "error" }', match: [json({ level: "info" })], miss: [json({ level: "error" }), json({ other: 1 })] },
  { pattern: '{ $.eventType = "Update*" }', match: [json({ eventType: "UpdateTrail" })], miss: [json({ eventType: "CreateTrail" })] },
  { pattern: "{ $.sourceIPAddress != 123.123.* }", match: [json({ sourceIPAddress: "10.0.0.1" })], miss: [json({ sourceIPAddress: "123.123.4.5" })] },
  { pattern: "{ $.user = * }", match: [json({ user: "x" }), json({ user: 3 })], miss: [json({ other: "x" })] },
  { pattern: "{ $.latency > 100 }", match: [json({ latency: 101 }), json({ latency: 1e3 })], miss: [json({ latency: 100 }), json({ latency: "200" }), json({})] },
  { pattern: "{ $.latency >= 100 }", match: [json({ latency: 100 })], miss: [json({ latency: 99.9 })] },
  { pattern: "{ $.latency < 0.5 }", match: [json({ latency: 0.25 })], miss: [json({ latency: 0.5 })] },
  { pattern: "{ $.latency <= -1 }", match: [json({ latency: -2 })], miss: [json({ latency: 0 })] },
  { pattern: "{ $.status = 200 }", match: [json({ status: 200 }), json({ status: 200.0 })], miss: [json({ status: 404 })] },
  { pattern: "{ $.status != 200 }", match: [json({ status: 500 })], miss: [json({ status: 200 })] },
  { pattern: "{ $.size = 1.5e3 }", match: [json({ size: 1500 })], miss: [json({ size: 15 })] },
  // JSON: nesting, arrays, logic.
  { pattern: '{ $.user.id = 2 && $.users[0].email = "a@b.c" }', match: [json({ user: { id: 2 }, users: [{ email: "a@b.c" }] })], miss: [json({ user: { id: 2 }, users: [{ email: "x" }] }), json({ user: { id: 3 }, users: [{ email: "a@b.c" }] })] },
  { pattern: '{ ($.user.id = 2 && $.ok IS TRUE) || $.actions[2] = "GET" }', match: [json({ user: { id: 2 }, ok: true }), json({ actions: ["a", "b", "GET"] })], miss: [json({ user: { id: 2 }, ok: false }), json({ actions: ["GET"] })] },
  { pattern: "{ $.a = 1 || $.b = 2 && $.c = 3 }", match: [json({ a: 1 }), json({ b: 2, c: 3 })], miss: [json({ b: 2 }), json({ c: 3 })] },
  { pattern: "{ $.arr[1] = 5 }", match: [json({ arr: [4, 5] })], miss: [json({ arr: [5] }), json({ arr: "x" })] },
  { pattern: "{ $.SomeObject IS NULL }", match: [json({ SomeObject: null })], miss: [json({ SomeObject: {} }), json({})] },
  { pattern: "{ $.SomeOtherObject NOT EXISTS }", match: [json({ a: 1 }), json({ SomeOtherObject2: 1 })], miss: [json({ SomeOtherObject: null })] },
  { pattern: "{ $.flag IS FALSE }", match: [json({ flag: false })], miss: [json({ flag: true }), json({ flag: "false" }), json({})] },
  { pattern: "{ $.msg = %time.?out% }", match: [json({ msg: "timeout" }), json({ msg: "time-out" })], miss: [json({ msg: "ok" }), json({ msg: 5 })] },
  { pattern: "{ $.user-agent = curl* }", match: [json({ "user-agent": "curl/8.0" })], miss: [json({ "user-agent": "wget" })] },
  { pattern: "{$.level=\"warn\"}", match: [json({ level: "warn" })], miss: [json({ level: "warning" })] },
  // Space-delimited.
  { pattern: "[ip, user, username, timestamp, request, status_code, bytes]", match: [apache, apache404], miss: ["too few fields", `${apache} extra`] },
  { pattern: "[ip, user, username, timestamp, request, status_code = 404, bytes]", match: [apache404], miss: [apache, apache500] },
  { pattern: "[ip, user, ..., status_code = 4* || status_code = 5*, bytes]", match: [apache404, apache500], miss: [apache] },
  { pattern: "[..., status=404, size>1000]", match: [apache404], miss: [apache, apache500] },
  { pattern: "[ip, user, ..., status != 200, size < 100]", match: [apache500], miss: [apache, apache404] },
  { pattern: '[ip, user, username, timestamp, request = "*html*", status, bytes]', match: [apache404], miss: [apache] },
  { pattern: "[ip = 10.0.0.*, ...]", match: [apache404, apache500], miss: [apache] },
  { pattern: "[..., bytes >= 2048 && bytes <= 4096]", match: [apache404], miss: [apache, apache500] },
  { pattern: "[ip, user, username = -, ...]", match: [apache404], miss: [apache, apache500] },
  { pattern: "[...]", match: [apache, ""], miss: [] },
  { pattern: "[a, b]", match: ["x y", "  x   y  "], miss: ["x", "x y z"] },
  { pattern: "[a, ..., z = %^end$%]", match: ["start middle end"], miss: ["start end!", "start middle ending"] },
];

describe("filter patterns that parse", () => {
  for (const c of cases) {
    it(`${JSON.stringify(c.pattern)}`, () => {
      const p = parseFilterPattern(c.pattern);
      for (const m of c.match) assert.equal(p.matches(m), true, `${c.pattern} should match ${m}`);
      for (const m of c.miss) assert.equal(p.matches(m), false, `${c.pattern} should not match ${m}`);
      // The prefilter never rejects a message the matcher accepts.
      for (const m of c.match) {
        assert.ok(p.prefilter.anyOf.every((alts) => alts.some((s) => m.includes(s))), `prefilter anyOf rejects ${m}`);
        assert.ok(p.prefilter.noneOf.every((s) => !m.includes(s)), `prefilter noneOf rejects ${m}`);
      }
    });
  }
  it("has at least 40 cases", () => assert.ok(cases.length >= 40));
});

const invalid: readonly string[] = [
  '"unterminated',
  "ERROR -",
  "?",
  "- ERROR",
  "{ $.level = error",
  "{ }",
  "{ level = error }",
  "{ $. = 1 }",
  "{ $.a[x] = 1 }",
  "{ $.a = }",
  "{ $.a > abc }",
  "{ $.a < \"5\" }",
  "{ $.a IS MAYBE }",
  "{ $.a NOT THERE }",
  "{ $.a = 1 && }",
  "{ ($.a = 1 }",
  "{ $.a = 1 } trailing",
  "{ $.a == 1 }",
  "{ $.a ! 1 }",
  "{ $.a = %% }",
  "{ $.a = %x% || $.b = %y% || $.c = %z% }",
  "[ip, user",
  "[]",
  "[a,]",
  "[a b]",
  "[a, a]",
  "[a, b = ]",
  "[a, b > x]",
  "[a, b = 1 && c = 2]",
  "[1bad]",
  "%something!%",
  "%(group)%",
  "%a b%",
  "ab\"cd",
  "a{b",
  '"phrase"glued',
];

describe("filter patterns CloudWatch rejects", () => {
  for (const pattern of invalid) {
    it(JSON.stringify(pattern), () => {
      assert.throws(() => parseFilterPattern(pattern), FilterPatternError);
    });
  }
});

describe("prefilter", () => {
  it("names every required literal and the alternatives as one group", () => {
    assert.deepEqual(parseFilterPattern('ERROR "bad thing" ?a ?b -skip').prefilter, {
      anyOf: [["ERROR"], ["bad thing"], ["a", "b"]],
      noneOf: ["skip"],
    });
  });
  it("narrows nothing for regex and match-all patterns, nor for JSON ORs and numbers", () => {
    for (const p of ["%x%", '" "', "[a, b]", "[a, b = 5]", "{ $.a = 1 || $.b = 2 }", "{ $.a NOT EXISTS }", "{ $.a != \"x\" && $.b NOT EXISTS }"]) {
      const { anyOf, noneOf } = parseFilterPattern(p).prefilter;
      assert.deepEqual({ anyOf, noneOf }, p.includes("!=") ? { anyOf: [['"a"', "\\"]], noneOf: [] } : { anyOf: [], noneOf: [] }, p);
    }
  });
  it("asks JSON messages for the keys they read and the strings = wants, unless escaped", () => {
    assert.deepEqual(parseFilterPattern('{ $.user.id = 7 && $.level = "err*r" }').prefilter.anyOf, [
      ['"user"', "\\"],
      ['"id"', "\\"],
      ['"level"', "\\"],
      ["err", "\\"],
      ["r", "\\"],
    ]);
    const p = parseFilterPattern('{ $.level = "error" }');
    // An escaped spelling has a backslash, so the prefilter lets it through to the matcher.
    const escaped = '{"lev\\u0065l":"\\u0065rror"}';
    assert.equal(p.matches(escaped), true);
    assert.ok(p.prefilter.anyOf.every((alts) => alts.some((s) => escaped.includes(s))));
  });
  it("asks delimited messages for the strings = wants", () => {
    assert.deepEqual(parseFilterPattern('[ip, ..., request = "*html*", status = 404 || status = 500]').prefilter.anyOf, [["html"]]);
  });
  it("says when the prefilter alone decides", () => {
    assert.equal(parseFilterPattern("").exact, true);
    assert.equal(parseFilterPattern('ERROR "a b" -c ?d ?e').exact, true);
    assert.equal(parseFilterPattern('ERROR ?" "').exact, true);
    assert.equal(parseFilterPattern("ERROR %x%").exact, false);
    assert.equal(parseFilterPattern('ERROR -" "').exact, false);
    assert.equal(parseFilterPattern("?ERROR ?%x%").exact, false);
    assert.equal(parseFilterPattern("-%x%").exact, false);
    assert.equal(parseFilterPattern("{ $.a = 1 }").exact, false);
  });
});

describe("splitFields", () => {
  it("keeps quoted and bracketed fields whole, without their delimiters", () => {
    assert.deepEqual(splitFields(apache), ["127.0.0.1", "-", "frank", "10/Oct/2000:13:25:15 -0700", "GET /apache_pb.gif HTTP/1.0", "200", "1534"]);
  });
  it("treats an unclosed quote as an ordinary character", () => {
    assert.deepEqual(splitFields('a "b c'), ["a", '"b', "c"]);
  });
});
