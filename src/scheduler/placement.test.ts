// Placement as ECS documents it: feasibility reasons, binpack, spread, random,
// distinctInstance, memberOf, and the invariant that every task is placed or failed.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { place, PlacementInputError, type Demand, type InstanceSnapshot } from "./placement.js";

function instance(n: number, over: Partial<InstanceSnapshot> = {}): InstanceSnapshot {
  return {
    arn: `arn:i/${n}`,
    status: "ACTIVE",
    agentConnected: true,
    launchTypes: ["EC2"],
    registeredAt: new Date(0),
    attributes: { "ecs.availability-zone": n % 2 === 0 ? "us-east-1a" : "us-east-1b", "ecs.instance-type": "t3.large" },
    remainingCpu: 2048,
    remainingMemory: 4096,
    usedTcpPorts: new Set([22]),
    usedUdpPorts: new Set(),
    tasks: [],
    ...over,
  };
}

function demand(over: Partial<Demand> = {}): Demand {
  return {
    count: 1,
    launchType: "EC2",
    cpu: 256,
    memory: 512,
    tcpPorts: [],
    udpPorts: [],
    requiredAttributes: [],
    constraints: [],
    strategy: [],
    group: "family:web",
    family: "web",
    ...over,
  };
}

const seq = (): (() => number) => {
  let x = 0.1;
  return () => (x = (x * 9301 + 0.49297) % 1);
};

describe("feasibility", () => {
  it("places up to capacity and fails the rest with RESOURCE reasons", () => {
    const plan = place(demand({ count: 10, memory: 1024 }), [instance(1)]);
    assert.equal(plan.placements.length, 4);
    assert.equal(plan.failures.length, 6);
    for (const f of plan.failures) assert.deepEqual(f, { arn: "arn:i/1", reason: "RESOURCE:MEMORY" });
  });

  it("names CPU when CPU runs out first", () => {
    const plan = place(demand({ count: 3, cpu: 1024, memory: 10 }), [instance(1)]);
    assert.equal(plan.placements.length, 2);
    assert.deepEqual(plan.failures, [{ arn: "arn:i/1", reason: "RESOURCE:CPU" }]);
  });

  it("refuses a host port that is taken, and one port per task", () => {
    assert.deepEqual(place(demand({ tcpPorts: [22] }), [instance(1)]).failures, [{ arn: "arn:i/1", reason: "RESOURCE:PORTS" }]);
    const plan = place(demand({ count: 2, tcpPorts: [80] }), [instance(1)]);
    assert.equal(plan.placements.length, 1);
    assert.equal(plan.failures[0]?.reason, "RESOURCE:PORTS");
    assert.equal(place(demand({ udpPorts: [53] }), [instance(1, { usedUdpPorts: new Set([53]) })]).failures[0]?.reason, "RESOURCE:PORTS_UDP");
  });

  it("skips disconnected, draining and attribute-less instances with their reasons", () => {
    assert.equal(place(demand(), [instance(1, { agentConnected: false })]).failures[0]?.reason, "AGENT");
    assert.equal(place(demand(), [instance(1, { status: "DRAINING" })]).failures[0]?.reason, "INACTIVE");
    assert.equal(
      place(demand({ requiredAttributes: [{ name: "ecs.capability.task-eni" }] }), [instance(1)]).failures[0]?.reason,
      "ATTRIBUTE",
    );
    const withEni = instance(1, { attributes: { "ecs.capability.task-eni": null } });
    assert.equal(place(demand({ requiredAttributes: [{ name: "ecs.capability.task-eni" }] }), [withEni]).placements.length, 1);
  });

  it("reports the most specific reason across instances", () => {
    const plan = place(demand({ memory: 8192 }), [instance(1, { agentConnected: false }), instance(2)]);
    assert.deepEqual(plan.failures, [{ arn: "arn:i/2", reason: "RESOURCE:MEMORY" }]);
  });

  it("says so when the cluster has no instance for the launch type", () => {
    assert.deepEqual(place(demand({ launchType: "FARGATE" }), [instance(1)]).failures, [
      { reason: "No Container Instances were found in your cluster." },
    ]);
  });

  it("always accounts for every task", () => {
    const rng = seq();
    for (let trial = 0; trial < 200; trial++) {
      const instances = Array.from({ length: 1 + Math.floor(rng() * 6) }, (_, i) =>
        instance(i, { remainingCpu: Math.floor(rng() * 4096), remainingMemory: Math.floor(rng() * 8192) }),
      );
      const count = 1 + Math.floor(rng() * 10);
      const plan = place(demand({ count, cpu: 512, memory: 1024, tcpPorts: rng() < 0.3 ? [8080] : [] }), instances, rng);
      assert.equal(plan.placements.length + plan.failures.length, count);
    }
  });
});

describe("strategies", () => {
  it("binpack on memory fills the fullest instance first", () => {
    const plan = place(demand({ count: 3, strategy: [{ type: "binpack", field: "memory" }] }), [
      instance(1, { remainingMemory: 4096 }),
      instance(2, { remainingMemory: 1536 }),
    ]);
    assert.deepEqual(plan.placements, ["arn:i/2", "arn:i/2", "arn:i/2"]);
  });

  it("spread over instanceId balances, counting the group's existing tasks", () => {
    const plan = place(demand({ count: 4, strategy: [{ type: "spread", field: "instanceId" }] }), [
      instance(1, { tasks: [{ group: "family:web", family: "web" }, { group: "family:web", family: "web" }] }),
      instance(2),
      instance(3),
    ]);
    const counts = new Map<string, number>();
    for (const p of plan.placements) counts.set(p, (counts.get(p) ?? 0) + 1);
    assert.equal(counts.get("arn:i/1"), undefined);
    assert.equal(counts.get("arn:i/2"), 2);
    assert.equal(counts.get("arn:i/3"), 2);
  });

  it("spread over an attribute alternates zones, then binpack picks within a zone", () => {
    const plan = place(
      demand({
        count: 4,
        strategy: [
          { type: "spread", field: "attribute:ecs.availability-zone" },
          { type: "binpack", field: "memory" },
        ],
      }),
      [instance(0, { remainingMemory: 4096 }), instance(2, { remainingMemory: 2048 }), instance(1), instance(3, { remainingMemory: 1024 })],
    );
    const zones = plan.placements.map((arn) => (Number(arn.split("/")[1]) % 2 === 0 ? "a" : "b"));
    assert.equal(zones.filter((z) => z === "a").length, 2);
    assert.equal(zones.filter((z) => z === "b").length, 2);
    assert.equal(plan.placements.filter((p) => p === "arn:i/3").length, 2, "binpack picks the fuller instance in zone b");
  });

  it("random places on feasible instances only and follows the generator", () => {
    const instances = [instance(1), instance(2, { remainingMemory: 0 }), instance(3)];
    const plan = place(demand({ count: 6, strategy: [{ type: "random" }] }), instances, seq());
    assert.equal(plan.placements.length, 6);
    assert.ok(!plan.placements.includes("arn:i/2"));
    assert.deepEqual(place(demand({ count: 6, strategy: [{ type: "random" }] }), instances, seq()).placements, plan.placements);
  });
});

describe("constraints", () => {
  it("distinctInstance puts each task of the group on its own instance", () => {
    const plan = place(demand({ count: 3, constraints: [{ type: "distinctInstance" }] }), [instance(1), instance(2)]);
    assert.equal(new Set(plan.placements).size, 2);
    assert.deepEqual(plan.failures.map((f) => f.reason), ["DistinctInstance placement constraint unsatisfied."]);
  });

  it("memberOf filters with the cluster query language", () => {
    const plan = place(
      demand({ count: 2, constraints: [{ type: "memberOf", expression: "attribute:ecs.availability-zone == us-east-1b" }] }),
      [instance(1), instance(2), instance(3)],
    );
    assert.ok(plan.placements.every((p) => p === "arn:i/1" || p === "arn:i/3"));
    const none = place(demand({ constraints: [{ type: "memberOf", expression: "attribute:ecs.instance-type =~ g4.*" }] }), [instance(1)]);
    assert.equal(none.failures[0]?.reason, "MemberOf placement constraint unsatisfied.");
  });

  it("rejects malformed constraints and strategies", () => {
    assert.throws(() => place(demand({ constraints: [{ type: "memberOf" }] }), [instance(1)]), PlacementInputError);
    assert.throws(() => place(demand({ constraints: [{ type: "memberOf", expression: "attribute:x ==" }] }), [instance(1)]), PlacementInputError);
    assert.throws(() => place(demand({ strategy: [{ type: "binpack", field: "disk" }] }), [instance(1)]), PlacementInputError);
    assert.throws(() => place(demand({ strategy: [{ type: "spread", field: "color" }] }), [instance(1)]), PlacementInputError);
  });
});
