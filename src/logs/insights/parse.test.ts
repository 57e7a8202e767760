import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseQuery, QuerySyntaxError, type Command, type Expr } from "./parse.js";

const one = (q: string): Command => {
  const commands = parseQuery(q);
  assert.equal(commands.length, 1);
  const [command] = commands;
  assert.ok(command);
  return command;
};

function fails(q: string, position: RegExp): QuerySyntaxError {
  try {
    parseQuery(q);
  } catch (err) {
    assert.ok(err instanceof QuerySyntaxError, String(err));
    assert.match(err.message, position, err.message);
    return err;
  }
  assert.fail(`'${q}' parsed`);
}

/** An expression back as text with its structure in parentheses, to compare trees briefly. */
function shape(e: Expr): string {
  switch (e.kind) {
    case "field":
      return e.name;
    case "number":
      return String(e.value);
    case "string":
      return JSON.stringify(e.value);
    case "regex":
      return String(e.regex);
    case "period":
      return `${e.ms}ms`;
    case "star":
      return "*";
    case "call":
      return `${e.name}(${e.args.map(shape).join(", ")})`;
    case "negate":
      return `(-${shape(e.arg)})`;
    case "not":
      return `(not ${shape(e.arg)})`;
    case "binary":
      return `(${shape(e.left)} ${e.op} ${shape(e.right)})`;
    case "like":
      return `(${shape(e.subject)} ${e.negated ? "not like" : "like"} ${shape(e.pattern)})`;
    case "in":
      return `(${shape(e.subject)} ${e.negated ? "not in" : "in"} [${e.list.map(shape).join(", ")}])`;
  }
}

const filterShape = (q: string): string => {
  const c = one(`filter ${q}`);
  assert.equal(c.kind, "filter");
  return shape(c.expr);
};

describe("Logs Insights query parser", () => {
  it("reads every command, pipes, comments and case-insensitive keywords", () => {
    const commands = parseQuery(`# errors per stream
      FIELDS @timestamp, @message, strlen(@message) as len
      | filter @message like /ERROR/   # only errors
      | parse @message "[*] *" as level, text
      | dedup level, text
      | stats count(*) as n, avg(len) by @logStream, bin(5m)
      | sort n desc, @logStream
      | limit 20
      | display n, @logStream`);
    assert.deepEqual(
      commands.map((c) => c.kind),
      ["fields", "filter", "parse", "dedup", "stats", "sort", "limit", "display"],
    );
    const fields = commands[0] as Extract<Command, { kind: "fields" }>;
    assert.deepEqual(fields.items.map((i) => i.name), ["@timestamp", "@message", "len"]);
    const stats = commands[4] as Extract<Command, { kind: "stats" }>;
    assert.deepEqual(stats.aggregates.map((a) => a.name), ["n", "avg(len)"]);
    assert.deepEqual(stats.by.map((b) => [b.name, shape(b.expr)]), [["@logStream", "@logStream"], ["bin(5m)", "bin(300000ms)"]]);
    const sort = commands[5] as Extract<Command, { kind: "sort" }>;
    assert.deepEqual(sort.keys.map((k) => [shape(k.expr), k.descending]), [["n", true], ["@logStream", true]], "sort without a direction is descending");
    assert.deepEqual(commands[6], { kind: "limit", count: 20 });
    assert.deepEqual(commands[7], { kind: "display", names: ["n", "@logStream"] });
  });

  it("names unaliased columns by the expression as written", () => {
    const stats = one("stats count(*), count(), sum(bytes), pct(latency, 99), count_distinct(ip) by bin(1h)") as Extract<Command, { kind: "stats" }>;
    assert.deepEqual(stats.aggregates.map((a) => a.name), ["count(*)", "count()", "sum(bytes)", "pct(latency, 99)", "count_distinct(ip)"]);
    assert.deepEqual(stats.by.map((b) => b.name), ["bin(1h)"]);
  });

  it("gives operators their precedence: or < and < not < comparison < + - < * / % < ^ < unary minus", () => {
    assert.equal(filterShape("a = 1 or b = 2 and not c = 3"), "((a = 1) or ((b = 2) and (not (c = 3))))");
    assert.equal(filterShape("a + b * c ^ 2 > -d % 3"), "((a + (b * (c ^ 2))) > ((-d) % 3))");
    assert.equal(filterShape("(a or b) and c"), "((a or b) and c)");
    assert.equal(filterShape("x - 1 - 2 >= 0"), "(((x - 1) - 2) >= 0)");
  });

  it("reads like, =~, in and their negations, strings in both quotes and regex flags", () => {
    assert.equal(filterShape(`@message like "Exception"`), '(@message like "Exception")');
    assert.equal(filterShape(`@message not like /time(d )?out/i`), "(@message not like /time(d )?out/i)");
    assert.equal(filterShape(`@message =~ /(?i)error/`), "(@message like /error/i)", "RE2's (?i) becomes the i flag");
    assert.equal(filterShape(`status in [500, 502, '503']`), '(status in [500, 502, "503"])');
    assert.equal(filterShape(`level not in ["DEBUG"]`), '(level not in ["DEBUG"])');
    assert.equal(filterShape(`a / 2 > 1`), "((a / 2) > 1)", "a / after an operand divides");
    assert.equal(filterShape(`msg = "say \\"hi\\""`), '(msg = "say \\"hi\\"")');
  });

  it("reads dotted JSON paths, `quoted` names, functions and periods", () => {
    assert.equal(filterShape("requestParameters.items.0.id = 'i-1'"), '(requestParameters.items.0.id = "i-1")');
    assert.equal(filterShape("`user agent` like 'curl'"), '(user agent like "curl")');
    const fields = one("fields concat(a, '-', b) as ab, datefloor(@timestamp, 1d) as day, bin(30s), coalesce(x, y, 0), fromMillis(t), toMillis(@timestamp)");
    assert.equal(fields.kind, "fields");
    assert.deepEqual(
      fields.items.map((i) => shape(i.expr)),
      ['concat(a, "-", b)', "datefloor(@timestamp, 86400000ms)", "bin(30000ms)", "coalesce(x, y, 0)", "frommillis(t)", "tomillis(@timestamp)"],
    );
    for (const [period, ms] of [["100ms", 100], ["2s", 2000], ["5min", 300_000], ["1hr", 3_600_000], ["2hrs", 7_200_000], ["1w", 604_800_000]] as const) {
      const stats = one(`stats count(*) by bin(${period})`) as Extract<Command, { kind: "stats" }>;
      const [by] = stats.by;
      assert.ok(by, period);
      assert.equal(shape(by.expr), `bin(${ms}ms)`, period);
    }
  });

  it("parses globs (each * a field, the last one taking the rest) and regexes with named groups", () => {
    const glob = one(`parse @message "user=*, action=*" as user, action`);
    assert.ok(glob.kind === "parse" && glob.pattern.kind === "glob");
    assert.deepEqual(glob.pattern.names, ["user", "action"]);
    assert.deepEqual([...(glob.pattern.regex.exec("x user=ann, action=log in") ?? [])].slice(1), ["ann", "log in"]);
    const regex = one(String.raw`parse @message /(?<method>[A-Z]+) (?P<path>\/\S+)/`);
    assert.ok(regex.kind === "parse" && regex.pattern.kind === "regex");
    assert.deepEqual(regex.pattern.names, ["method", "path"]);
    const implicit = one(`parse "[*]" as level`);
    assert.ok(implicit.kind === "parse" && implicit.source.kind === "field" && implicit.source.name === "@message", "parse reads @message by default");
    const field = one(`parse requestUri /(?<id>\\d+)$/`);
    assert.ok(field.kind === "parse" && field.source.kind === "field" && field.source.name === "requestUri");
  });

  it("refuses malformed queries, naming the line and position", () => {
    fails("", /empty/);
    fails("fields", /end of query at line 1 and position 6/);
    fails("fields a,\n  | limit 3", /'\|' at line 2 and position 2/);
    fails("selekt *", /'selekt' at line 1 and position 0: expected a command/);
    fails("stats avg(x) by", /position 15/);
    fails("filter x = ", /end of query/);
    fails("filter x = 'abc", /unterminated string/);
    fails("filter @message like /abc", /unterminated regular expression/);
    fails("filter @message like /(/", /invalid regular expression/);
    fails("filter a like b", /expected a "string" or a \/regular expression\//);
    fails("limit 0", /limit takes a whole number/);
    fails("limit 10001", /limit takes a whole number/);
    fails("fields nofn(x)", /unknown function nofn/);
    fails("fields strlen(a, b)", /strlen takes 1 argument/);
    fails("stats strlen(x)", /expected an aggregate function/);
    fails("stats count(*) by bin(x)", /bin takes a time period/);
    fails("stats count(*) by bin(5parsecs)", /not a time period/);
    fails("stats sum(count(*))", /cannot be nested/);
    fails("filter count(*) > 1", /only allowed in stats/);
    fails(`parse @message "* *" as a`, /2 '\*' but 1 field names/);
    fails("parse @message /no groups/", /named groups|\(\?<name>/);
    fails("fields a | sort", /expected an expression/);
    fails("fields a b", /expected '\|' or the end of the query/);
    fails("filter a = 1 ~ 2", /not a symbol/);
    fails("filter a not = 1", /expected 'like' or 'in' after 'not'/);
    fails("filter a in (1, 2)", /expected '\[' after 'in'/);
  });

  it("lets commands after stats sort and filter by its columns, aggregates included", () => {
    const commands = parseQuery("stats count(*) by host | sort count(*) desc | filter count(*) > 2");
    assert.equal(commands.length, 3);
  });
});
