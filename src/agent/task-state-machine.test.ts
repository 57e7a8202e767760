import { test } from "node:test";
import assert from "node:assert/strict";
import {
  actionToReach,
  apiStatus,
  nextTransition,
  rank,
  statusOrder,
  taskHealth,
  taskKnownStatus,
  taskStopReason,
  type ContainerView,
  type Status,
  type TaskView,
} from "./task-state-machine.js";

function view(name: string, over: Partial<ContainerView> = {}): ContainerView {
  return {
    name,
    role: "app",
    essential: true,
    known: "NONE",
    desired: "RUNNING",
    created: false,
    started: false,
    hasHealthCheck: false,
    dependsOn: [],
    volumesFrom: [],
    links: [],
    startTimeoutMs: 180_000,
    ...over,
  };
}

function task(...containers: ContainerView[]): TaskView {
  return { containers, now: 1_000_000 };
}

test("a container climbs one status at a time, each by its one action", () => {
  const seen: string[] = [];
  let c = view("app");
  for (;;) {
    const t = nextTransition(c, task(c));
    if (!t) break;
    assert.ok(rank(t.target) > rank(c.known), "the target is always later than known");
    assert.deepEqual(t.waitsOn, []);
    seen.push(`${t.target}:${t.action}`);
    c = { ...c, known: t.target, created: rank(t.target) >= rank("CREATED"), started: t.target === "RUNNING" };
  }
  assert.deepEqual(seen, ["MANIFEST_PULLED:resolve-image", "PULLED:pull-image", "CREATED:create", "RUNNING:start"]);
});

test("the action table covers every status after NONE", () => {
  for (const s of statusOrder.slice(1)) assert.ok(actionToReach[s as Exclude<Status, "NONE">]);
});

test("settled containers have no next transition; STOPPED is terminal", () => {
  assert.equal(nextTransition(view("a", { known: "RUNNING" }), task()), undefined);
  assert.equal(nextTransition(view("a", { known: "STOPPED", desired: "RUNNING" }), task()), undefined);
  assert.equal(nextTransition(view("a", { known: "STOPPED", desired: "STOPPED" }), task()), undefined);
});

test("stopping a running container is the stop action; a never-started one is stopped by bookkeeping", () => {
  assert.deepEqual(nextTransition(view("a", { known: "RUNNING", desired: "STOPPED" }), task()), { target: "STOPPED", action: "stop", waitsOn: [] });
  for (const known of ["NONE", "PULLED", "CREATED"] as const) {
    assert.deepEqual(nextTransition(view("a", { known, desired: "STOPPED" }), task()), { target: "STOPPED", waitsOn: [] });
  }
});

test("dependsOn blocks the start, not the pulls or the create", () => {
  const db = view("db", { known: "CREATED", created: true });
  const app = view("app", { dependsOn: [{ containerName: "db", condition: "START" }] });
  assert.deepEqual(nextTransition(app, task(db, app))?.waitsOn, []);
  const created = { ...app, known: "CREATED" as const, created: true };
  const t = nextTransition(created, task(db, created));
  assert.equal(t?.target, "RUNNING");
  assert.deepEqual(t?.waitsOn, [{ container: "db", condition: "START" }]);
  const running = { ...db, known: "RUNNING" as const, started: true };
  assert.deepEqual(nextTransition(created, task(running, created))?.waitsOn, []);
});

test("each condition: met, pending, or never", () => {
  const created = (dep: ContainerView, condition: "START" | "COMPLETE" | "SUCCESS" | "HEALTHY") => {
    const app = view("app", { known: "CREATED", created: true, dependsOn: [{ containerName: dep.name, condition }] });
    return nextTransition(app, task(dep, app));
  };
  const exited = (code: number) => view("init", { essential: false, known: "STOPPED", created: true, started: true, exitCode: code });
  // COMPLETE: any exit; SUCCESS: exit 0 only.
  assert.deepEqual(created(exited(1), "COMPLETE")?.waitsOn, []);
  assert.deepEqual(created(exited(0), "SUCCESS")?.waitsOn, []);
  const failed = created(exited(1), "SUCCESS");
  assert.equal(failed?.target, "STOPPED");
  assert.match(failed?.reason ?? "", /init SUCCESS can never be met: init exited with code 1/);
  // Still running: pending.
  const running = view("init", { essential: false, known: "RUNNING", created: true, started: true });
  assert.equal(created(running, "COMPLETE")?.waitsOn.length, 1);
  // A dependency that failed to pull never starts.
  const neverRan = view("init", { essential: false, known: "STOPPED", reason: "CannotPullContainerError" });
  assert.equal(created(neverRan, "START")?.target, "STOPPED");
  // HEALTHY needs a check, and a healthy verdict.
  assert.match(created(running, "HEALTHY")?.reason ?? "", /has no healthCheck/);
  const checking = { ...running, hasHealthCheck: true, health: "UNKNOWN" as const };
  assert.equal(created(checking, "HEALTHY")?.waitsOn.length, 1);
  assert.deepEqual(created({ ...checking, health: "HEALTHY" }, "HEALTHY")?.waitsOn, []);
  assert.equal(created({ ...checking, known: "STOPPED" }, "HEALTHY")?.target, "STOPPED");
});

test("a dependency not in the task can never be met", () => {
  const app = view("app", { known: "CREATED", created: true, dependsOn: [{ containerName: "ghost", condition: "START" }] });
  assert.match(nextTransition(app, task(app))?.reason ?? "", /no container named ghost/);
});

test("startTimeout: a container blocked too long is stopped with a reason", () => {
  const db = view("db", { known: "CREATED", created: true });
  const app = view("app", { known: "CREATED", created: true, dependsOn: [{ containerName: "db", condition: "START" }], waitingSince: 0, startTimeoutMs: 60_000 });
  const early: TaskView = { containers: [db, app], now: 59_999 };
  assert.equal(nextTransition(app, early)?.target, "RUNNING");
  const late: TaskView = { containers: [db, app], now: 60_000 };
  const t = nextTransition(app, late);
  assert.equal(t?.target, "STOPPED");
  assert.match(t?.reason ?? "", /DependencyTimeout: container app waited 60s/);
});

test("awsvpc: app containers are created only once the namespace holder runs; the holder stops last", () => {
  const pause = view("~internal~ecs~pause", { role: "pause", essential: false, known: "CREATED", created: true });
  const app = view("app", { known: "PULLED" });
  assert.deepEqual(nextTransition(app, task(pause, app))?.waitsOn, [{ container: "~internal~ecs~pause", condition: "RUNNING" }]);
  const runningPause = { ...pause, known: "RUNNING" as const, started: true };
  assert.deepEqual(nextTransition(app, task(runningPause, app))?.waitsOn, []);
  const stopping = { ...runningPause, desired: "STOPPED" as const };
  const runningApp = { ...app, known: "RUNNING" as const, desired: "STOPPED" as const };
  assert.deepEqual(nextTransition(stopping, task(stopping, runningApp))?.waitsOn, [{ container: "app", condition: "STOPPED" }]);
  assert.deepEqual(nextTransition(stopping, task(stopping, { ...runningApp, known: "STOPPED" }))?.waitsOn, []);
});

test("shutdown order reverses dependsOn", () => {
  const db = view("db", { known: "RUNNING", desired: "STOPPED", created: true, started: true });
  const app = view("app", { known: "RUNNING", desired: "STOPPED", created: true, started: true, dependsOn: [{ containerName: "db", condition: "START" }] });
  assert.deepEqual(nextTransition(db, task(db, app))?.waitsOn, [{ container: "app", condition: "STOPPED" }]);
  assert.deepEqual(nextTransition(app, task(db, app))?.waitsOn, []);
});

test("links and volumesFrom wait for their source", () => {
  const src = view("src", { known: "PULLED" });
  const user = view("user", { known: "PULLED", volumesFrom: ["src"], links: ["src"] });
  assert.equal(nextTransition(user, task(src, user))?.waitsOn.length, 2);
  const created = { ...src, known: "CREATED" as const, created: true };
  assert.deepEqual(nextTransition(user, task(created, user))?.waitsOn, []);
  const userCreated = { ...user, known: "CREATED" as const, created: true };
  assert.deepEqual(nextTransition(userCreated, task(created, userCreated))?.waitsOn, [{ container: "src", condition: "RUNNING" }]);
});

test("task status: earliest among containers still going, STOPPED when all are, never backwards", () => {
  const a = view("a", { known: "RUNNING" });
  const b = view("b", { known: "CREATED" });
  const init = view("init", { known: "STOPPED", essential: false });
  assert.equal(taskKnownStatus([a, b, init], "NONE"), "CREATED");
  assert.equal(taskKnownStatus([a, init], "CREATED"), "RUNNING");
  assert.equal(taskKnownStatus([{ ...a, known: "STOPPED" }, init], "RUNNING"), "STOPPED");
  assert.equal(taskKnownStatus([b], "RUNNING"), "RUNNING", "a later container being created never drags the task back");
  const pause = view("~internal~ecs~pause", { role: "pause", essential: false, known: "RUNNING" });
  const failed = view("app", { known: "STOPPED", reason: "CannotPullContainerError: x" });
  assert.equal(taskKnownStatus([pause, failed], "PULLED"), "PULLED", "the holder alone never makes a task RUNNING");
  assert.equal(taskKnownStatus([{ ...pause, known: "STOPPED" }, failed], "PULLED"), "STOPPED");
});

test("essential exit stops the task; a non-essential one does not", () => {
  assert.equal(taskStopReason([view("a", { known: "STOPPED", started: true, exitCode: 3 })]), "Essential container in task exited");
  assert.equal(taskStopReason([view("init", { essential: false, known: "STOPPED", started: true })]), undefined);
  assert.equal(taskStopReason([view("a", { known: "STOPPED", reason: "CannotPullContainerError: x" })]), "CannotPullContainerError: x");
  assert.equal(taskStopReason([view("p", { role: "pause", essential: false, known: "STOPPED" })]), "Task network namespace holder stopped");
});

test("task health comes from essential containers with checks", () => {
  const h = (health: "HEALTHY" | "UNHEALTHY" | "UNKNOWN", essential = true) => view(`c${Math.random()}`, { hasHealthCheck: true, health, essential });
  assert.equal(taskHealth([view("a")]), "UNKNOWN");
  assert.equal(taskHealth([h("HEALTHY"), h("HEALTHY")]), "HEALTHY");
  assert.equal(taskHealth([h("HEALTHY"), h("UNKNOWN")]), "UNKNOWN");
  assert.equal(taskHealth([h("HEALTHY"), h("UNHEALTHY")]), "UNHEALTHY");
  assert.equal(taskHealth([h("HEALTHY"), h("UNHEALTHY", false)]), "HEALTHY");
});

test("API statuses", () => {
  assert.deepEqual(statusOrder.map(apiStatus), ["PENDING", "PENDING", "PENDING", "PENDING", "RUNNING", "STOPPED"]);
});
