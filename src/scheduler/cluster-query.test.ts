// Pins the cluster query language to the AWS "Create expressions to define container instances" page:
// its examples, every subject and operator, precedence, and the errors users see for malformed queries.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ClusterQueryError, evaluateClusterQuery, matchesClusterQuery, parseClusterQuery } from "./cluster-query.js";
import type { Expression, QueryTarget } from "./cluster-query.js";

const t2Small: QueryTarget = {
  attributes: {
    "ecs.instance-type": "t2.small",
    "ecs.availability-zone": "us-east-1a",
    "ecs.os-type": "linux",
    stack: "prod",
    cores: "16",
    "ecs.capability.external": null,
  },
  agentConnected: true,
  agentVersion: "1.14.5",
  ec2InstanceId: "i-abcd1234",
  registeredAt: new Date("2018-02-13T10:30:15.250Z"),
  runningTasksCount: 1,
  taskGroups: ["service:production", "family:web"],
};

const emptyInstance: QueryTarget = {
  attributes: {},
  agentConnected: false,
  registeredAt: new Date("2020-01-01T00:00:00Z"),
  runningTasksCount: 0,
  taskGroups: [],
};

function instance(overrides: Partial<QueryTarget>): QueryTarget {
  return { ...t2Small, ...overrides };
}

function withAttributes(attributes: Record<string, string | null>): QueryTarget {
  return instance({ attributes });
}

function check(cases: readonly (readonly [string, boolean])[], target: QueryTarget): void {
  for (const [query, expected] of cases) {
    assert.equal(matchesClusterQuery(query, target), expected, query);
  }
}

function comparisonOf(expression: Expression) {
  assert.equal(expression.kind, "comparison");
  return expression;
}

describe("documented examples", () => {
  // Verbatim from the cluster query language page and the task placement constraints page.
  const examples = [
    "attribute:ecs.instance-type == t2.small",
    "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
    "attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
    "task:group == service:production",
    "not(task:group == database)",
    "runningTasksCount == 1",
    "agentVersion < 1.14.5",
    "registeredAt < 2018-02-13",
    "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']",
    "attribute:ecs.instance-type == g2.2xlarge",
    "attribute:stack == prod",
    "attribute:stack != prod",
    "attribute:ecs.instance-type in [t2.small, t2.medium]",
    "attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone == us-east-1a",
    "attribute:ecs.instance-type =~ t2.*",
    "task:group == databases",
    "(attribute:ecs.instance-type == t2.small or attribute:ecs.instance-type == t2.medium) and attribute:stack == prod",
    "registeredAt > 2018-06-18T22:28:28+00:00",
    "registeredAt > 2018-06-18T22:28:28Z",
    "registeredAt > 2018-06-18T22:28:28",
    "registeredAt > 2018-06-18",
  ];
  for (const example of examples) {
    it(`parses ${example}`, () => {
      assert.doesNotThrow(() => parseClusterQuery(example));
    });
  }

  it("selects what each example describes", () => {
    const g2 = withAttributes({ "ecs.instance-type": "g2.2xlarge", "ecs.availability-zone": "us-east-1c" });
    const g2InD = withAttributes({ "ecs.instance-type": "g2.2xlarge", "ecs.availability-zone": "us-east-1d" });
    assert.equal(matchesClusterQuery("attribute:ecs.instance-type == t2.small", t2Small), true);
    assert.equal(matchesClusterQuery("attribute:ecs.instance-type == t2.small", g2), false);
    assert.equal(matchesClusterQuery("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", t2Small), true);
    assert.equal(matchesClusterQuery("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", g2), false);
    const g2NotInD = "attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d";
    assert.equal(matchesClusterQuery(g2NotInD, g2), true);
    assert.equal(matchesClusterQuery(g2NotInD, g2InD), false);
    assert.equal(matchesClusterQuery(g2NotInD, t2Small), false);
    assert.equal(matchesClusterQuery("task:group == service:production", t2Small), true);
    assert.equal(matchesClusterQuery("task:group == service:production", emptyInstance), false);
    assert.equal(matchesClusterQuery("not(task:group == database)", t2Small), true);
    assert.equal(matchesClusterQuery("not(task:group == database)", emptyInstance), true);
    assert.equal(matchesClusterQuery("not(task:group == database)", instance({ taskGroups: ["database"] })), false);
    assert.equal(matchesClusterQuery("runningTasksCount == 1", t2Small), true);
    assert.equal(matchesClusterQuery("runningTasksCount == 1", emptyInstance), false);
    assert.equal(matchesClusterQuery("agentVersion < 1.14.5", t2Small), false);
    assert.equal(matchesClusterQuery("agentVersion < 1.14.5", instance({ agentVersion: "1.9.0" })), true);
    assert.equal(matchesClusterQuery("registeredAt < 2018-02-13", t2Small), false);
    assert.equal(matchesClusterQuery("registeredAt < 2018-02-13", instance({ registeredAt: new Date("2018-02-12T23:59:59Z") })), true);
    assert.equal(matchesClusterQuery("ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", t2Small), true);
    assert.equal(matchesClusterQuery("ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", instance({ ec2InstanceId: "i-0000" })), false);
  });

  it("excludes instances without the attribute from `attribute:stack != prod`, as the docs describe", () => {
    assert.equal(matchesClusterQuery("attribute:stack != prod", withAttributes({ stack: "dev" })), true);
    assert.equal(matchesClusterQuery("attribute:stack != prod", withAttributes({ stack: "prod" })), false);
    assert.equal(matchesClusterQuery("attribute:stack != prod", withAttributes({})), false);
  });
});

describe("parseClusterQuery", () => {
  it("builds a comparison node", () => {
    assert.deepEqual(parseClusterQuery("attribute:ecs.instance-type == t2.small"), {
      kind: "comparison",
      subject: { kind: "attribute", name: "ecs.instance-type" },
      operator: "==",
      argument: { kind: "value", value: "t2.small" },
    });
    assert.deepEqual(parseClusterQuery("ec2InstanceId in ['i-abcd1234', \"i-wxyx7890\"]"), {
      kind: "comparison",
      subject: { kind: "ec2InstanceId" },
      operator: "in",
      argument: { kind: "list", values: ["i-abcd1234", "i-wxyx7890"] },
    });
    assert.deepEqual(parseClusterQuery("task:group exists"), {
      kind: "comparison",
      subject: { kind: "task:group" },
      operator: "exists",
      argument: { kind: "none" },
    });
  });

  it("maps every word operator to its symbol", () => {
    const pairs = [
      ["equals", "=="],
      ["not_equals", "!="],
      ["greater_than", ">"],
      ["greater_than_equal", ">="],
      ["less_than", "<"],
      ["less_than_equal", "<="],
      ["matches", "=~"],
      ["not_matches", "!~"],
    ] as const;
    for (const [word, symbol] of pairs) {
      const fromWord = parseClusterQuery(`attribute:a ${word} 5`);
      assert.deepEqual(fromWord, parseClusterQuery(`attribute:a ${symbol} 5`), word);
      assert.equal(comparisonOf(fromWord).operator, symbol);
    }
    assert.deepEqual(parseClusterQuery("attribute:a not_in [x]"), parseClusterQuery("attribute:a !in [x]"));
    assert.equal(comparisonOf(parseClusterQuery("attribute:a not_in [x]")).operator, "!in");
    assert.deepEqual(parseClusterQuery("attribute:a not_exists"), parseClusterQuery("attribute:a !exists"));
    assert.equal(comparisonOf(parseClusterQuery("attribute:a not_exists")).operator, "!exists");
    assert.equal(comparisonOf(parseClusterQuery("attribute:a in [x]")).operator, "in");
  });

  it("accepts operators without surrounding spaces", () => {
    assert.deepEqual(parseClusterQuery("runningTasksCount>=2"), parseClusterQuery("runningTasksCount >= 2"));
    assert.deepEqual(parseClusterQuery("attribute:a==b&&attribute:c!=d"), parseClusterQuery("attribute:a == b and attribute:c != d"));
    assert.deepEqual(parseClusterQuery("attribute:a in[x,y]"), parseClusterQuery("attribute:a in [x, y]"));
  });

  it("treats connectives and word operators case-insensitively", () => {
    assert.deepEqual(
      parseClusterQuery("NOT attribute:a EQUALS b AND attribute:c Exists OR attribute:d !EXISTS"),
      parseClusterQuery("not attribute:a == b and attribute:c exists or attribute:d !exists"),
    );
  });

  it("tells `!exists`/`!in` apart from negation", () => {
    assert.equal(parseClusterQuery("attribute:gpu !exists").kind, "comparison");
    assert.deepEqual(parseClusterQuery("!attribute:gpu exists"), {
      kind: "not",
      operand: parseClusterQuery("attribute:gpu exists"),
    });
    assert.deepEqual(parseClusterQuery("!(attribute:a in [x])"), { kind: "not", operand: parseClusterQuery("attribute:a in [x]") });
  });

  it("reads arguments positionally, so keywords can be values", () => {
    assert.deepEqual(comparisonOf(parseClusterQuery("attribute:mode == and")).argument, { kind: "value", value: "and" });
    assert.deepEqual(comparisonOf(parseClusterQuery("attribute:a in [or, not]")).argument, { kind: "list", values: ["or", "not"] });
  });

  it("keeps quoted strings verbatim, including spaces and backslashes", () => {
    assert.deepEqual(comparisonOf(parseClusterQuery(`attribute:owner == "team a"`)).argument, { kind: "value", value: "team a" });
    assert.deepEqual(comparisonOf(parseClusterQuery(`attribute:path == 'C:\\data'`)).argument, { kind: "value", value: "C:\\data" });
    assert.deepEqual(comparisonOf(parseClusterQuery(`attribute:q == "it's"`)).argument, { kind: "value", value: "it's" });
  });

  it("accepts attribute names with dots, dashes, colons and slashes", () => {
    for (const name of ["ecs.instance-type", "com.example/team:owner", "my_attr", "a\\b"]) {
      assert.deepEqual(comparisonOf(parseClusterQuery(`attribute:${name} exists`)).subject, { kind: "attribute", name });
    }
  });

  it("reads bare regex patterns with brackets, groups and braces", () => {
    const source = (query: string): string => {
      const { argument } = comparisonOf(parseClusterQuery(query));
      assert.equal(argument.kind, "pattern");
      return argument.source;
    };
    assert.equal(source("attribute:t =~ [gp]2.*"), "[gp]2.*");
    assert.equal(source("attribute:t =~ (t2|t3)\\.[a-z]{4,6}"), "(t2|t3)\\.[a-z]{4,6}");
    assert.equal(source("attribute:t =~ 'a b'"), "a b");
    const inGroup = parseClusterQuery("(attribute:t =~ g2.*) and runningTasksCount == 0");
    assert.equal(inGroup.kind, "and");
    const glued = parseClusterQuery("attribute:t =~ g2.*&&runningTasksCount == 0");
    assert.equal(glued.kind, "and");
  });

  it("gives not > and > or precedence", () => {
    const a = parseClusterQuery("attribute:a exists");
    const b = parseClusterQuery("attribute:b exists");
    const c = parseClusterQuery("attribute:c exists");
    assert.deepEqual(parseClusterQuery("attribute:a exists or attribute:b exists and attribute:c exists"), {
      kind: "or",
      operands: [a, { kind: "and", operands: [b, c] }],
    });
    assert.deepEqual(parseClusterQuery("not attribute:a exists and attribute:b exists"), {
      kind: "and",
      operands: [{ kind: "not", operand: a }, b],
    });
    assert.deepEqual(parseClusterQuery("(attribute:a exists || attribute:b exists) && attribute:c exists"), {
      kind: "and",
      operands: [{ kind: "or", operands: [a, b] }, c],
    });
    assert.deepEqual(parseClusterQuery("attribute:a exists and attribute:b exists and attribute:c exists"), {
      kind: "and",
      operands: [a, b, c],
    });
  });

  it("handles long flat chains without deep recursion", () => {
    const query = Array.from({ length: 5000 }, (_, i) => `runningTasksCount != ${i + 2}`).join(" and ");
    assert.equal(matchesClusterQuery(query, t2Small), true);
  });
});

describe("operators on attributes", () => {
  it("== and != compare strings exactly", () => {
    check(
      [
        ["attribute:ecs.instance-type == t2.small", true],
        ["attribute:ecs.instance-type == T2.small", false],
        ["attribute:ecs.instance-type == t2", false],
        ["attribute:ecs.instance-type != t2.small", false],
        ["attribute:ecs.instance-type != t2.micro", true],
        ["attribute:cores == 16", true],
        ["attribute:cores == 16.0", false],
      ],
      t2Small,
    );
  });

  it("ordering operators compare numbers numerically and other text lexically", () => {
    check(
      [
        ["attribute:cores > 4", true],
        ["attribute:cores >= 16", true],
        ["attribute:cores < 4", false],
        ["attribute:cores <= 15.5", false],
        ["attribute:ecs.instance-type > t2.medium", true],
        ["attribute:ecs.instance-type >= t2.small", true],
        ["attribute:ecs.instance-type < t2.xlarge", true],
        ["attribute:ecs.instance-type <= t2.micro", false],
      ],
      t2Small,
    );
  });

  it("exists and !exists test for the attribute", () => {
    check(
      [
        ["attribute:stack exists", true],
        ["attribute:gpu exists", false],
        ["attribute:stack !exists", false],
        ["attribute:gpu not_exists", true],
      ],
      t2Small,
    );
  });

  it("in and !in test list membership", () => {
    check(
      [
        ["attribute:ecs.instance-type in [t2.micro, t2.small]", true],
        ["attribute:ecs.instance-type in [t2.micro]", false],
        ["attribute:ecs.instance-type !in [t2.micro]", true],
        ["attribute:ecs.instance-type not_in [t2.micro, 't2.small']", false],
      ],
      t2Small,
    );
  });

  it("=~ and !~ match the whole value against a Java-style regex", () => {
    check(
      [
        ["attribute:ecs.instance-type =~ t2.*", true],
        ["attribute:ecs.instance-type =~ g2.*", false],
        ["attribute:ecs.instance-type =~ t2", false],
        ["attribute:ecs.instance-type =~ small", false],
        ["attribute:ecs.instance-type =~ .*small", true],
        ["attribute:ecs.instance-type =~ [gt]2\\.(micro|small)", true],
        ["attribute:ecs.instance-type =~ 'T2\\..*'", false],
        ["attribute:ecs.instance-type =~ '(?i)T2\\..*'", true],
        ["attribute:ecs.instance-type !~ g2.*", true],
        ["attribute:ecs.instance-type not_matches t2.*", false],
      ],
      t2Small,
    );
  });

  it("keeps a pattern anchored even when it contains a top-level alternation", () => {
    check(
      [
        ["attribute:ecs.instance-type =~ t2|g2", false],
        ["attribute:ecs.instance-type =~ 'x|t2.small'", true],
      ],
      t2Small,
    );
  });

  it("makes every comparison false on a missing attribute except !exists", () => {
    for (const op of ["== x", "!= x", "> 1", ">= 1", "< 1", "<= 1", "in [x]", "!in [x]", "=~ .*", "!~ x", "exists"]) {
      assert.equal(matchesClusterQuery(`attribute:gpu ${op}`, t2Small), false, op);
    }
    assert.equal(matchesClusterQuery("attribute:gpu !exists", t2Small), true);
  });

  it("treats a valueless attribute as present but equal to nothing", () => {
    check(
      [
        ["attribute:ecs.capability.external exists", true],
        ["attribute:ecs.capability.external !exists", false],
        ["attribute:ecs.capability.external == true", false],
        ["attribute:ecs.capability.external == ''", false],
        ["attribute:ecs.capability.external != true", true],
        ["attribute:ecs.capability.external in [true]", false],
        ["attribute:ecs.capability.external !in [true]", true],
        ["attribute:ecs.capability.external =~ .*", false],
        ["attribute:ecs.capability.external !~ x", true],
        ["attribute:ecs.capability.external > 0", false],
      ],
      t2Small,
    );
  });

  it("does not see inherited object properties as attributes", () => {
    assert.equal(matchesClusterQuery("attribute:constructor exists", t2Small), false);
    assert.equal(matchesClusterQuery("attribute:toString !exists", t2Small), true);
  });
});

describe("subjects", () => {
  it("agentConnected compares as true/false", () => {
    check(
      [
        ["agentConnected == true", true],
        ["agentConnected == TRUE", true],
        ["agentConnected == false", false],
        ["agentConnected != false", true],
        ["agentConnected in [false, true]", true],
        ["agentConnected !in [true]", false],
        ["agentConnected =~ t.*", true],
        ["agentConnected !~ t.*", false],
      ],
      t2Small,
    );
    check(
      [
        ["agentConnected == false", true],
        ["agentConnected != true", true],
        ["agentConnected not_in [true]", true],
      ],
      emptyInstance,
    );
  });

  it("agentVersion compares as a version", () => {
    check(
      [
        ["agentVersion == 1.14.5", true],
        ["agentVersion == 1.14.5.0", true],
        ["agentVersion != 1.14.5", false],
        ["agentVersion > 1.9.0", true],
        ["agentVersion < 1.14.10", true],
        ["agentVersion >= 1.14.5", true],
        ["agentVersion <= 1.14.4", false],
        ["agentVersion greater_than 1.14", true],
        ["agentVersion less_than_equal '2'", true],
      ],
      t2Small,
    );
    check(
      [
        ["agentVersion > 1.9.0", true],
        ["agentVersion < 1.11", true],
      ],
      instance({ agentVersion: "v1.10.2-beta" }),
    );
    for (const op of ["== 1.0.0", "!= 1.0.0", "> 0", "< 99"]) {
      assert.equal(matchesClusterQuery(`agentVersion ${op}`, emptyInstance), false, op);
    }
  });

  it("ec2InstanceId compares as a string", () => {
    check(
      [
        ["ec2InstanceId == i-abcd1234", true],
        ["ec2InstanceId != i-abcd1234", false],
        ["ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", true],
        ["ec2InstanceId not_in [i-wxyx7890]", true],
        ["ec2InstanceId =~ i-abcd.*", true],
        ["ec2InstanceId !~ i-abcd.*", false],
      ],
      t2Small,
    );
    for (const op of ["== i-abcd1234", "!= i-abcd1234", "in [i-abcd1234]", "!in [x]", "=~ .*", "!~ x"]) {
      assert.equal(matchesClusterQuery(`ec2InstanceId ${op}`, emptyInstance), false, op);
    }
  });

  it("registeredAt compares dates at the precision the query gives, in UTC", () => {
    check(
      [
        ["registeredAt == 2018-02-13", true],
        ["registeredAt != 2018-02-13", false],
        ["registeredAt < 2018-02-13", false],
        ["registeredAt <= 2018-02-13", true],
        ["registeredAt > 2018-02-12", true],
        ["registeredAt >= 2018-02-14", false],
        ["registeredAt == 2018-02-13T10:30:15Z", true],
        ["registeredAt == 2018-02-13T10:30:15", true],
        ["registeredAt == 2018-02-13T12:30:15+02:00", true],
        ["registeredAt == 2018-02-13T05:30:15-05:00", true],
        ["registeredAt < 2018-02-13T10:30:16Z", true],
        ["registeredAt > 2018-02-13T10:30:14Z", true],
        ["registeredAt > 2018-02-13T10:30:15Z", false],
        ["registeredAt < 2018-06-18T22:28:28+00:00", true],
      ],
      t2Small,
    );
    assert.equal(matchesClusterQuery("registeredAt == 2018-02-13", instance({ registeredAt: new Date("invalid") })), false);
  });

  it("runningTasksCount compares numerically", () => {
    check(
      [
        ["runningTasksCount == 1", true],
        ["runningTasksCount != 0", true],
        ["runningTasksCount > 0", true],
        ["runningTasksCount >= 1", true],
        ["runningTasksCount < 2", true],
        ["runningTasksCount <= 0", false],
      ],
      t2Small,
    );
    assert.equal(matchesClusterQuery("runningTasksCount > 9", instance({ runningTasksCount: 10 })), true);
    assert.equal(matchesClusterQuery("runningTasksCount == 0", emptyInstance), true);
  });

  it("task:group holds when any task's group satisfies the comparison", () => {
    check(
      [
        ["task:group == service:production", true],
        ["task:group == family:web", true],
        ["task:group == database", false],
        ["task:group in [database, family:web]", true],
        ["task:group =~ service:.*", true],
        ["task:group =~ database.*", false],
        ["task:group exists", true],
        ["task:group !exists", false],
        ["task:group != service:production", false],
        ["task:group != database", true],
        ["task:group !in [database]", true],
        ["task:group !in [service:production, database]", false],
        ["task:group !~ service:.*", false],
        ["task:group !~ database", true],
      ],
      t2Small,
    );
  });

  it("task:group on an instance without tasks: only !exists and not(...) hold", () => {
    check(
      [
        ["task:group == database", false],
        ["task:group != database", false],
        ["task:group in [database]", false],
        ["task:group !in [database]", false],
        ["task:group =~ .*", false],
        ["task:group !~ database", false],
        ["task:group exists", false],
        ["task:group !exists", true],
        ["not(task:group == database)", true],
      ],
      emptyInstance,
    );
  });
});

describe("compound expressions", () => {
  const T = "attribute:stack == prod";
  const F = "attribute:stack == dev";

  it("binds and tighter than or", () => {
    assert.equal(matchesClusterQuery(`${F} and ${F} or ${T}`, t2Small), true);
    assert.equal(matchesClusterQuery(`${T} or ${T} and ${F}`, t2Small), true);
    assert.equal(matchesClusterQuery(`${F} && ${F} || ${T}`, t2Small), true);
  });

  it("binds not tighter than and/or", () => {
    assert.equal(matchesClusterQuery(`not ${T} or ${T}`, t2Small), true);
    assert.equal(matchesClusterQuery(`not ${F} and ${F}`, t2Small), false);
    assert.equal(matchesClusterQuery(`! ${F} && ${F}`, t2Small), false);
    assert.equal(matchesClusterQuery(`not not ${T}`, t2Small), true);
  });

  it("lets parentheses override precedence", () => {
    assert.equal(matchesClusterQuery(`(${T} or ${T}) and ${F}`, t2Small), false);
    assert.equal(matchesClusterQuery(`${F} and (${F} or ${T})`, t2Small), false);
    assert.equal(matchesClusterQuery(`not (${F} and ${F})`, t2Small), true);
    assert.equal(matchesClusterQuery(`((${T}))`, t2Small), true);
  });

  it("evaluates hand-built trees", () => {
    const yes = parseClusterQuery(T);
    assert.equal(evaluateClusterQuery({ kind: "and", operands: [yes, { kind: "not", operand: yes }] }, t2Small), false);
    assert.equal(evaluateClusterQuery({ kind: "or", operands: [{ kind: "not", operand: yes }, yes] }, t2Small), true);
  });
});

describe("malformed expressions", () => {
  const cases: readonly (readonly [query: string, message: RegExp, column?: number])[] = [
    ["", /empty/, 1],
    ["   ", /empty/, 1],
    ["(attribute:a == b", /expected "\)" to close the "\(" at column 1/, 18],
    ["((attribute:a == b)", /expected "\)"/],
    ["attribute:a == b)", /unmatched "\)"/, 17],
    ["attribute:a ==", /expected a value after "=="/, 15],
    ["attribute:a", /expected an operator after attribute:a, but the expression ended/, 12],
    ["attribute:a equal b", /unknown operator "equal"/, 13],
    ["attribute:a = b", /unknown operator "="; did you mean "=="/, 13],
    ["attribute:a === b", /unknown operator "="/, 15],
    ["attribute:a <> b", /expected a value after "<", found ">"/, 14],
    ["foo == bar", /unknown subject "foo"/, 1],
    ["attribute == x", /unknown subject "attribute"/, 1],
    ["Attribute:a == x", /unknown subject/, 1],
    ["attribute: == x", /must be followed by an attribute name/, 1],
    ["attribute:a@b == x", /not a valid attribute name/, 11],
    ["attribute:a in [x, y", /unterminated argument list/, 21],
    ["attribute:a in [x", /unterminated argument list/],
    ["attribute:a in [x y]", /expected "," or "\]"/, 19],
    ["attribute:a in []", /argument list is empty/, 17],
    ["attribute:a in [x,]", /expected a list value, found "\]"/, 19],
    ["attribute:a in x", /expects a bracketed list/, 16],
    ["attribute:a == [x]", /takes a single value/, 16],
    ["attribute:a == 'x", /unterminated quoted string/, 16],
    ['attribute:a in ["x, y]', /unterminated quoted string/, 17],
    ["attribute:a == b c == d", /expected "and", "or" or the end of the expression, found "c"/, 18],
    ["attribute:a == b and", /expected a subject .* but the expression ended/, 21],
    ["attribute:a == b or or attribute:c == d", /unknown subject "or"/, 21],
    ["attribute:a exists b", /expected "and", "or"/, 20],
    ["attribute:a == b & attribute:c == d", /did you mean "&&"/, 18],
    ["attribute:a == b | attribute:c == d", /did you mean "\|\|"/, 18],
    ["attribute:a =~", /expected a pattern after "=~"/, 15],
    ["attribute:a =~ (unclosed", /invalid pattern "\(unclosed"/, 16],
    ["attribute:a =~ 'a)|(b'", /invalid pattern/, 16],
    ["()", /expected a subject .* found "\)"/, 2],
    ["not", /expected a subject/, 4],
    ["runningTasksCount == many", /whole number/, 22],
    ["runningTasksCount == 1.5", /whole number/, 22],
    ["runningTasksCount in [1, 2]", /cannot be used with runningTasksCount/, 19],
    ["agentVersion =~ 1.*", /cannot be used with agentVersion/, 14],
    ["agentVersion > 1.x", /not a version/, 16],
    ["agentConnected == yes", /true or false/, 19],
    ["agentConnected > true", /cannot be used with agentConnected/, 16],
    ["ec2InstanceId exists", /cannot be used with ec2InstanceId/, 15],
    ["registeredAt < yesterday", /not a valid date/, 16],
    ["registeredAt < 2018-02-30", /not a valid date/, 16],
    ["registeredAt < 2018-02-13T25:00:00Z", /not a valid date/, 16],
    ["registeredAt in [2018-02-13]", /cannot be used with registeredAt/, 14],
    [`${"(".repeat(200)}attribute:a exists${")".repeat(200)}`, /nests deeper than 100/],
  ];

  for (const [query, message, column] of cases) {
    it(`rejects ${JSON.stringify(query.length > 60 ? `${query.slice(0, 57)}...` : query)}`, () => {
      assert.throws(
        () => parseClusterQuery(query),
        (error: unknown) => {
          assert.ok(error instanceof ClusterQueryError, `expected ClusterQueryError, got ${String(error)}`);
          assert.match(error.message, message);
          assert.match(error.message, /\(column \d+\)$/);
          if (column !== undefined) assert.equal(error.column, column);
          return true;
        },
      );
    });
  }

  it("throws from matchesClusterQuery too", () => {
    assert.throws(() => matchesClusterQuery("attribute:a ==", t2Small), ClusterQueryError);
  });
});
