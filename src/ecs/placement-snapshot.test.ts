// Which clusters' instances a launch may use: Fargate has no cluster of its own.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { poolOf } from "./placement-snapshot.js";

const cluster = (region: string, name: string, account = "000000000000"): string => `arn:aws:ecs:${region}:${account}:cluster/${name}`;

describe("poolOf", () => {
  const student = cluster("us-east-1", "student-cluster");
  const fargate = [cluster("us-east-1", "default"), cluster("us-east-1", "zz-edge"), cluster("eu-west-1", "default"), cluster("us-east-1", "a", "111111111111")];

  it("EC2 and EXTERNAL tasks use only instances registered in their cluster", () => {
    assert.deepEqual(poolOf("EC2", student, fargate), [student]);
    assert.deepEqual(poolOf("EXTERNAL", student, fargate), [student]);
  });

  it("FARGATE tasks use every cluster of their region and account that offers Fargate capacity, their own included, in ARN order", () => {
    assert.deepEqual(poolOf("FARGATE", student, fargate), [cluster("us-east-1", "default"), student, cluster("us-east-1", "zz-edge")]);
    assert.deepEqual(poolOf("FARGATE", cluster("us-east-1", "default"), fargate), [cluster("us-east-1", "default"), cluster("us-east-1", "zz-edge")]);
    assert.deepEqual(poolOf("FARGATE", cluster("ap-southeast-2", "x"), fargate), [cluster("ap-southeast-2", "x")]);
  });
});
