import assert from "node:assert/strict";
import { test } from "node:test";
import { revisionOfArn } from "./task-definition-arn.js";

test("revisionOfArn reads region, family and revision from a task definition ARN, and nothing from anything else", () => {
  assert.deepEqual(revisionOfArn("arn:aws:ecs:eu-west-1:123456789012:task-definition/web-api:42"), { region: "eu-west-1", family: "web-api", revision: 42 });
  assert.equal(revisionOfArn("arn:aws:ecs:eu-west-1:123456789012:task-definition/web-api"), undefined);
  assert.equal(revisionOfArn("arn:aws:ecs:eu-west-1:123456789012:task/c/0123"), undefined);
  assert.equal(revisionOfArn("web-api:42"), undefined);
});
