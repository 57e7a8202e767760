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

  it("sends an awsvpc task to the instance whose subnet has room, with an address of its own", () => {
    // A /30 has one host address after the gateway, and it is taken.
    const full = instance(1, { subnet: "10.0.1.0/30", usedAddresses: new Set(["10.0.1.2"]) });
    const roomy = instance(2, { subnet: "10.0.2.0/24" });
    const plan = place(demand({ count: 2, awsvpc: true }), [full, roomy]);
    assert.deepEqual(plan.placements, ["arn:i/2", "arn:i/2"]);
    assert.deepEqual(plan.addresses, ["10.0.2.2", "10.0.2.3"]);
    assert.deepEqual(plan.failures, []);
    assert.deepEqual(place(demand({ awsvpc: true }), [full, instance(3)]).failures, [{ arn: "arn:i/1", reason: "RESOURCE:ENI" }]);
    assert.equal(place(demand(), [full]).addresses, undefined, "a task outside awsvpc takes no address");
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
      instance(1, { tasks: [{ group: "family:web" }, { group: "family:web" }] }),
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

describe("incremental placement", () => {
  // The plain reading of the pipeline, kept as the oracle: every task re-runs the whole
  // chain on every instance and recounts spread over the cluster. place() must agree.
  function recountPlace(d: Demand, instances: readonly InstanceSnapshot[]): { placements: string[]; failures: { arn?: string; reason: string }[] } {
    const state = instances
      .filter((i) => i.launchTypes.includes(d.launchType))
      .map((i) => ({ i, cpu: i.remainingCpu, memory: i.remainingMemory, tcp: new Set(i.usedTcpPorts), tasks: [...i.tasks] }));
    type S = (typeof state)[number];
    const zoneOf = (s: S) => s.i.attributes["ecs.availability-zone"] ?? "";
    const distinct = d.constraints.some((c) => c.type === "distinctInstance");
    const chain: ((s: S) => string | undefined)[] = [
      (s) => (s.i.status === "ACTIVE" ? undefined : "INACTIVE"),
      (s) => (s.i.agentConnected ? undefined : "AGENT"),
      (s) => (d.requiredAttributes.every((a) => a.name in s.i.attributes) ? undefined : "ATTRIBUTE"),
      (s) => (d.constraints.some((c) => c.type === "memberOf") && s.tasks.length >= 3 ? "MemberOf placement constraint unsatisfied." : undefined),
      (s) => (distinct && s.tasks.some((t) => t.group === d.group) ? "DistinctInstance placement constraint unsatisfied." : undefined),
      (s) => (s.cpu >= d.cpu ? undefined : "RESOURCE:CPU"),
      (s) => (s.memory >= d.memory ? undefined : "RESOURCE:MEMORY"),
      (s) => (d.tcpPorts.every((p) => !s.tcp.has(p)) ? undefined : "RESOURCE:PORTS"),
    ];
    const placements: string[] = [];
    const failures: { arn?: string; reason: string }[] = [];
    for (let n = 0; n < d.count; n++) {
      const feasible: S[] = [];
      let closest: { arn: string; reason: string; depth: number } | undefined;
      for (const s of state) {
        const depth = chain.findIndex((check) => check(s) !== undefined);
        const failed = chain[depth];
        if (failed === undefined) feasible.push(s);
        else if (!closest || depth > closest.depth) closest = { arn: s.i.arn, reason: failed(s)!, depth };
      }
      if (feasible.length === 0) {
        failures.push(closest ? { arn: closest.arn, reason: closest.reason } : { reason: "No Container Instances were found in your cluster." });
        continue;
      }
      const groupTasks = (s: S) => s.tasks.filter((t) => t.group === d.group).length;
      const score = (s: S): number[] =>
        d.strategy.map((st) =>
          st.type === "binpack"
            ? st.field === "cpu" ? s.cpu : s.memory
            : st.field === "instanceId"
              ? groupTasks(s)
              : state.filter((o) => zoneOf(o) === zoneOf(s)).reduce((sum, o) => sum + groupTasks(o), 0),
        );
      const better = (a: S, b: S): boolean => {
        const [x, y] = [score(a), score(b)];
        for (const [j, v] of x.entries()) {
          const w = y[j];
          if (w !== undefined && v !== w) return v < w;
        }
        return a.i.arn < b.i.arn;
      };
      const best = feasible.reduce((a, b) => (better(b, a) ? b : a));
      best.cpu -= d.cpu;
      best.memory -= d.memory;
      for (const p of d.tcpPorts) best.tcp.add(p);
      best.tasks.push({ group: d.group });
      placements.push(best.i.arn);
    }
    return { placements, failures };
  }

  it("picks what a full recount would, task after task, and fails with the same reasons", () => {
    const rng = seq();
    const pick = <T>(xs: readonly T[]): T => {
      const x = xs[Math.floor(rng() * xs.length)];
      assert.ok(x !== undefined);
      return x;
    };
    const groups = ["family:web", "service:api", "family:batch"];
    for (let trial = 0; trial < 300; trial++) {
      const instances = Array.from({ length: 1 + Math.floor(rng() * 12) }, (_, i) =>
        instance(i, {
          arn: `arn:i/${String(i).padStart(2, "0")}`,
          status: rng() < 0.1 ? "DRAINING" : "ACTIVE",
          agentConnected: rng() > 0.1,
          launchTypes: rng() < 0.1 ? ["FARGATE"] : ["EC2"],
          attributes: { "ecs.availability-zone": pick(["a", "b", "c"]), ...(rng() < 0.8 ? { gpu: "1" } : {}) },
          remainingCpu: Math.floor(rng() * 4096),
          remainingMemory: Math.floor(rng() * 8192),
          usedTcpPorts: new Set(rng() < 0.2 ? [22, 8080] : [22]),
          tasks: Array.from({ length: Math.floor(rng() * 4) }, () => ({ group: pick(groups) })),
        }),
      );
      const d = demand({
        count: 1 + Math.floor(rng() * 10),
        cpu: 128 * (1 + Math.floor(rng() * 8)),
        memory: 256 * (1 + Math.floor(rng() * 8)),
        tcpPorts: rng() < 0.2 ? [8080] : [],
        requiredAttributes: rng() < 0.3 ? [{ name: "gpu" }] : [],
        constraints: [
          ...(rng() < 0.3 ? [{ type: "distinctInstance" as const }] : []),
          ...(rng() < 0.3 ? [{ type: "memberOf" as const, expression: "runningTasksCount < 3" }] : []),
        ],
        strategy: pick([
          [{ type: "spread" as const, field: "instanceId" }],
          [{ type: "spread" as const, field: "attribute:ecs.availability-zone" }, { type: "binpack" as const, field: "memory" }],
          [{ type: "binpack" as const, field: "cpu" }],
          [{ type: "binpack" as const, field: "memory" }, { type: "spread" as const, field: "instanceId" }],
        ]),
        group: pick(groups),
      });
      const snapshotBefore = instances.map((i) => [i.usedTcpPorts.size, i.tasks.length]);
      assert.deepEqual(place(d, instances), recountPlace(d, instances), `trial ${trial}`);
      assert.deepEqual(instances.map((i) => [i.usedTcpPorts.size, i.tasks.length]), snapshotBefore, "the snapshot is left as it was");
    }
  });

  it("checks a memberOf on the instance's tasks again after each task it takes", () => {
    const plan = place(demand({ count: 5, constraints: [{ type: "memberOf", expression: "not(task:group == family:web) or runningTasksCount < 2" }] }), [
      instance(1),
      instance(2),
    ]);
    assert.equal(plan.placements.length, 4);
    assert.deepEqual(plan.failures, [{ arn: "arn:i/1", reason: "MemberOf placement constraint unsatisfied." }]);
  });

  it("random picks among the instances tied on the strategies before it", () => {
    const instances = [instance(1, { remainingMemory: 1024 }), instance(2, { remainingMemory: 1024 }), instance(3, { remainingMemory: 4096 })];
    for (const draw of [0, 0.5, 0.99]) {
      const plan = place(demand({ strategy: [{ type: "binpack", field: "memory" }, { type: "random" }] }), instances, () => draw);
      assert.equal(plan.placements[0], draw < 0.5 ? "arn:i/1" : "arn:i/2");
    }
  });

  it("refuses a bad strategy even after random", () => {
    assert.throws(() => place(demand({ strategy: [{ type: "random" }, { type: "binpack", field: "disk" }] }), [instance(1)]), PlacementInputError);
  });
});
