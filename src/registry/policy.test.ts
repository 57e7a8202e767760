// Repository policy parsing and evaluation, as pure functions.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decideAccess, evaluatePolicy, parseRepositoryPolicy, PolicyError } from "./policy.js";

const account = "000000000000";
const root = { arn: `arn:aws:iam::${account}:root`, kind: "root" };
const agent = { arn: `arn:aws:iam::${account}:user/berth-agent`, kind: "agent" };
const ci = { arn: "arn:aws:iam::111122223333:role/ci", kind: "user" };
const stranger = { arn: "arn:aws:iam::999999999999:user/eve", kind: "user" };

const pullFromCi = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "AllowPull",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::111122223333:role/ci" },
      Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
    },
  ],
});

describe("parseRepositoryPolicy", () => {
  it("accepts ECR's documented examples", () => {
    const p = parseRepositoryPolicy(pullFromCi);
    assert.equal(p.statements.length, 1);
    const everyone = parseRepositoryPolicy(JSON.stringify({ Statement: { Effect: "Allow", Principal: "*", Action: "ecr:*" } }));
    assert.equal(everyone.statements[0]?.principals, "*");
    const account = parseRepositoryPolicy(JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { AWS: ["111122223333"] }, Action: "ecr:Batch*" }] }));
    assert.deepEqual(account.statements[0]?.principals, ["111122223333"]);
  });

  const bad: [string, unknown, RegExp][] = [
    ["not JSON", "{", /not valid JSON/],
    ["no statement", { Version: "2012-10-17" }, /needs a Statement/],
    ["bad effect", { Statement: [{ Effect: "Maybe", Principal: "*", Action: "ecr:*" }] }, /Effect must be/],
    ["no principal", { Statement: [{ Effect: "Allow", Action: "ecr:*" }] }, /Principal and NotPrincipal/],
    ["no action", { Statement: [{ Effect: "Allow", Principal: "*" }] }, /Action and NotAction/],
    ["non-ECR action", { Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject" }] }, /not an ECR action/],
    ["bad principal", { Statement: [{ Effect: "Allow", Principal: { AWS: "bob" }, Action: "ecr:*" }] }, /12-digit account id or an IAM ARN/],
    ["resource", { Statement: [{ Effect: "Allow", Principal: "*", Action: "ecr:*", Resource: "*" }] }, /must not name a Resource/],
    ["duplicate sid", { Statement: [{ Sid: "a", Effect: "Allow", Principal: "*", Action: "ecr:*" }, { Sid: "a", Effect: "Deny", Principal: "*", Action: "ecr:*" }] }, /unique/],
    ["bad version", { Version: "2020-01-01", Statement: [{ Effect: "Allow", Principal: "*", Action: "ecr:*" }] }, /Version/],
  ];
  for (const [name, doc, message] of bad) {
    it(`rejects a policy with ${name}`, () => {
      assert.throws(
        () => parseRepositoryPolicy(typeof doc === "string" ? doc : JSON.stringify(doc)),
        (err) => err instanceof PolicyError && message.test(err.message) && err.message.startsWith("Invalid repository policy provided"),
      );
    });
  }
});

describe("evaluatePolicy", () => {
  it("grants pull to the named principal and nothing else", () => {
    const p = parseRepositoryPolicy(pullFromCi);
    assert.equal(evaluatePolicy(p, ci, "ecr:BatchGetImage"), "Allow");
    assert.equal(evaluatePolicy(p, ci, "ecr:batchgetimage"), "Allow", "action names are case-insensitive");
    assert.equal(evaluatePolicy(p, ci, "ecr:PutImage"), "NoMatch");
    assert.equal(evaluatePolicy(p, stranger, "ecr:BatchGetImage"), "NoMatch");
  });

  it("matches wildcards, account ids and account roots", () => {
    const p = parseRepositoryPolicy(
      JSON.stringify({
        Statement: [
          { Effect: "Allow", Principal: { AWS: "111122223333" }, Action: "ecr:Put*" },
          { Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "ecr:?atchGetImage" },
        ],
      }),
    );
    assert.equal(evaluatePolicy(p, ci, "ecr:PutImage"), "Allow");
    assert.equal(evaluatePolicy(p, ci, "ecr:BatchGetImage"), "NoMatch");
    assert.equal(evaluatePolicy(p, stranger, "ecr:BatchGetImage"), "Allow");
  });

  it("lets an explicit Deny win over any Allow", () => {
    const p = parseRepositoryPolicy(
      JSON.stringify({
        Statement: [
          { Effect: "Allow", Principal: "*", Action: "ecr:*" },
          { Effect: "Deny", Principal: { AWS: "arn:aws:iam::111122223333:role/ci" }, Action: "ecr:PutImage" },
        ],
      }),
    );
    assert.equal(evaluatePolicy(p, ci, "ecr:PutImage"), "Deny");
    assert.equal(evaluatePolicy(p, ci, "ecr:BatchGetImage"), "Allow");
    assert.equal(evaluatePolicy(p, stranger, "ecr:PutImage"), "Allow");
  });

  it("handles NotPrincipal and NotAction", () => {
    const p = parseRepositoryPolicy(
      JSON.stringify({ Statement: [{ Effect: "Deny", NotPrincipal: { AWS: "111122223333" }, NotAction: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"] }] }),
    );
    assert.equal(evaluatePolicy(p, stranger, "ecr:PutImage"), "Deny");
    assert.equal(evaluatePolicy(p, stranger, "ecr:BatchGetImage"), "NoMatch");
    assert.equal(evaluatePolicy(p, ci, "ecr:PutImage"), "NoMatch");
  });

  it("evaluates principal conditions and ignores statements with conditions it cannot evaluate", () => {
    const p = parseRepositoryPolicy(
      JSON.stringify({
        Statement: [
          { Effect: "Allow", Principal: "*", Action: "ecr:BatchGetImage", Condition: { StringEquals: { "aws:PrincipalAccount": "111122223333" } } },
          { Effect: "Allow", Principal: "*", Action: "ecr:PutImage", Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/c?" } } },
          { Effect: "Deny", Principal: "*", Action: "ecr:*", Condition: { Bool: { "aws:SecureTransport": "false" } } },
        ],
      }),
    );
    assert.equal(evaluatePolicy(p, ci, "ecr:BatchGetImage"), "Allow");
    assert.equal(evaluatePolicy(p, stranger, "ecr:BatchGetImage"), "NoMatch");
    assert.equal(evaluatePolicy(p, ci, "ecr:PutImage"), "Allow");
    assert.equal(evaluatePolicy(p, stranger, "ecr:PutImage"), "NoMatch");
  });
});

describe("decideAccess", () => {
  const denyPushToAll = parseRepositoryPolicy(JSON.stringify({ Statement: [{ Effect: "Deny", Principal: "*", Action: "ecr:PutImage" }] }));

  it("allows the account root everything a policy does not deny", () => {
    assert.equal(decideAccess({ caller: root, registryAccountId: account, action: "ecr:PutImage" }).allowed, true);
    const d = decideAccess({ caller: root, registryAccountId: account, action: "ecr:PutImage", policy: denyPushToAll });
    assert.equal(d.allowed, false);
    assert.match(d.reason, /explicitly denied/);
  });

  it("lets agents pull without a policy, and nothing more", () => {
    assert.equal(decideAccess({ caller: agent, registryAccountId: account, action: "ecr:BatchGetImage" }).allowed, true);
    assert.equal(decideAccess({ caller: agent, registryAccountId: account, action: "ecr:GetAuthorizationToken" }).allowed, true);
    assert.equal(decideAccess({ caller: agent, registryAccountId: account, action: "ecr:PutImage" }).allowed, false);
  });

  it("gives other principals exactly what the policy grants", () => {
    const policy = parseRepositoryPolicy(pullFromCi);
    assert.equal(decideAccess({ caller: ci, registryAccountId: account, action: "ecr:GetDownloadUrlForLayer", policy }).allowed, true);
    assert.equal(decideAccess({ caller: ci, registryAccountId: account, action: "ecr:PutImage", policy }).allowed, false);
    assert.equal(decideAccess({ caller: ci, registryAccountId: account, action: "ecr:BatchGetImage" }).allowed, false);
    // Another account's root is not this registry's root.
    assert.equal(decideAccess({ caller: { arn: "arn:aws:iam::111122223333:root", kind: "root" }, registryAccountId: account, action: "ecr:PutImage" }).allowed, false);
  });
});
