// Lifecycle policy validation and evaluation, as pure functions.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluateLifecycle, LifecyclePolicyError, parseLifecyclePolicy, type LifecycleImage } from "./lifecycle.js";

const now = new Date("2024-06-30T00:00:00Z");
const daysAgo = (d: number): Date => new Date(now.getTime() - d * 86_400_000);
const img = (n: number, tags: string[], age: number): LifecycleImage => ({ digest: `sha256:${String(n).padStart(64, "0")}`, tags, pushedAt: daysAgo(age) });
const policy = (...rules: object[]): string => JSON.stringify({ rules });
const rule = (rulePriority: number, selection: object): object => ({ rulePriority, selection, action: { type: "expire" } });

describe("parseLifecyclePolicy", () => {
  it("accepts ECR's documented examples", () => {
    const p = parseLifecyclePolicy(
      policy(
        rule(1, { tagStatus: "tagged", tagPatternList: ["prod*"], countType: "imageCountMoreThan", countNumber: 2 }),
        rule(2, { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 14 }),
        rule(3, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 100 }),
      ),
    );
    assert.deepEqual(p.rules.map((r) => r.rulePriority), [1, 2, 3]);
  });

  const bad: [string, string, RegExp][] = [
    ["not JSON", "{", /not valid JSON/],
    ["no rules", JSON.stringify({ rules: [] }), /non-empty/],
    ["duplicate priorities", policy(rule(1, { tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: 1 }), rule(1, { tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: 2 })), /unique/],
    ["tagged without a list", policy(rule(1, { tagStatus: "tagged", countType: "imageCountMoreThan", countNumber: 1 })), /needs a tagPrefixList or a tagPatternList/],
    ["both lists", policy(rule(1, { tagStatus: "tagged", tagPrefixList: ["a"], tagPatternList: ["a*"], countType: "imageCountMoreThan", countNumber: 1 })), /not both/],
    ["a list on untagged", policy(rule(1, { tagStatus: "untagged", tagPrefixList: ["a"], countType: "imageCountMoreThan", countNumber: 1 })), /only allowed with tagStatus 'tagged'/],
    ["days without a unit", policy(rule(1, { tagStatus: "untagged", countType: "sinceImagePushed", countNumber: 1 })), /countUnit 'days'/],
    ["a unit with a count", policy(rule(1, { tagStatus: "untagged", countType: "imageCountMoreThan", countUnit: "days", countNumber: 1 })), /only allowed with countType 'sinceImagePushed'/],
    ["count zero", policy(rule(1, { tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: 0 })), /at least 1/],
    ["any not last", policy(rule(1, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 }), rule(2, { tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: 1 })), /highest rulePriority/],
    ["a typo", policy(rule(1, { tagStatus: "untagged", countType: "imageCountMoreThan", countNumbr: 1 })), /unknown field 'countNumbr'/],
    ["too many wildcards", policy(rule(1, { tagStatus: "tagged", tagPatternList: ["*a*b*c*d*"], countType: "imageCountMoreThan", countNumber: 1 })), /more than 4 wildcards/],
    ["another action", JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 }, action: { type: "archive" } }] }), /expire/],
  ];
  for (const [name, text, message] of bad) {
    it(`rejects ${name}`, () => {
      assert.throws(() => parseLifecyclePolicy(text), (err) => err instanceof LifecyclePolicyError && message.test(err.message));
    });
  }
});

describe("evaluateLifecycle", () => {
  it("keeps the n newest images tagged prod* and touches nothing else", () => {
    const p = parseLifecyclePolicy(policy(rule(1, { tagStatus: "tagged", tagPatternList: ["prod*"], countType: "imageCountMoreThan", countNumber: 2 })));
    const images = [img(1, ["prod-1"], 5), img(2, ["prod-2"], 4), img(3, ["prod-3"], 3), img(4, ["prod-4"], 2), img(5, ["dev"], 10), img(6, [], 20)];
    const expired = evaluateLifecycle(p, images, now);
    assert.deepEqual(expired.map((e) => e.tags[0]).sort(), ["prod-1", "prod-2"]);
    assert.ok(expired.every((e) => e.rulePriority === 1));
  });

  it("expires untagged images older than the count of days", () => {
    const p = parseLifecyclePolicy(policy(rule(1, { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 })));
    const expired = evaluateLifecycle(p, [img(1, [], 8), img(2, [], 6), img(3, ["v1"], 30)], now);
    assert.deepEqual(expired.map((e) => e.digest), [img(1, [], 0).digest]);
  });

  it("requires every prefix to match one of the image's tags", () => {
    const p = parseLifecyclePolicy(policy(rule(1, { tagStatus: "tagged", tagPrefixList: ["prod", "eu"], countType: "imageCountMoreThan", countNumber: 1 })));
    const images = [img(1, ["prod", "eu-1"], 3), img(2, ["prod"], 2), img(3, ["prod-x", "eu"], 1)];
    assert.deepEqual(evaluateLifecycle(p, images, now).map((e) => e.digest), [img(1, [], 0).digest]);
  });

  it("never lets a lower-priority rule expire what a higher one selected, but still counts it", () => {
    const p = parseLifecyclePolicy(
      policy(
        rule(1, { tagStatus: "tagged", tagPrefixList: ["prod"], countType: "imageCountMoreThan", countNumber: 1 }),
        rule(2, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 2 }),
      ),
    );
    // Newest first: dev-a(1d), prod-b(2d), prod-c(3d), dev-d(4d).
    const images = [img(1, ["dev-a"], 1), img(2, ["prod-b"], 2), img(3, ["prod-c"], 3), img(4, ["dev-d"], 4)];
    const expired = evaluateLifecycle(p, images, now);
    // Rule 1 keeps prod-b and expires prod-c. Rule 2 keeps the 2 newest (dev-a, prod-b) and may only take dev-d.
    assert.deepEqual(
      expired.map((e) => [e.tags[0], e.rulePriority]).sort(),
      [
        ["dev-d", 2],
        ["prod-c", 1],
      ],
    );
  });

  it("expires nothing when under the count", () => {
    const p = parseLifecyclePolicy(policy(rule(1, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 5 })));
    assert.deepEqual(evaluateLifecycle(p, [img(1, [], 1), img(2, ["a"], 2)], now), []);
  });
});
