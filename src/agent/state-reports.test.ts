import { test } from "node:test";
import assert from "node:assert/strict";
import type { SubmitTaskStateChangeRequest } from "../model/generated/ecs.js";
import { goesBackwards, TaskStateReports } from "./state-reports.js";
import { ManualClock, settle } from "./testing/manual-clock.js";

const change = (status: string, containers: [string, string][] = []): SubmitTaskStateChangeRequest => ({
  task: "t",
  status,
  containers: containers.map(([containerName, s]) => ({ containerName, status: s })),
});

test("backwards means a task or container status earlier than the accepted one", () => {
  assert.equal(goesBackwards(undefined, change("PENDING")), false);
  assert.equal(goesBackwards(change("RUNNING"), change("PENDING")), true);
  assert.equal(goesBackwards(change("RUNNING", [["a", "RUNNING"]]), change("RUNNING", [["a", "PENDING"]])), true);
  assert.equal(goesBackwards(change("RUNNING", [["a", "RUNNING"]]), change("STOPPED", [["a", "STOPPED"]])), false);
});

test("intermediate states coalesce while a send is in flight; identical states are not resent; a backwards state is refused", async () => {
  const clock = new ManualClock();
  const sent: SubmitTaskStateChangeRequest[] = [];
  let release: (() => void) | undefined;
  const errors: unknown[] = [];
  const reports = new TaskStateReports(
    {
      submitTaskStateChange: (c) => {
        sent.push(c);
        return new Promise<void>((r) => (release = r));
      },
    },
    clock,
    { initialMs: 10, maxMs: 10 },
    (_t, e) => errors.push(e),
  );
  reports.update("t", change("PENDING"));
  reports.update("t", change("PENDING", [["a", "PENDING"]]));
  reports.update("t", change("RUNNING", [["a", "RUNNING"]]));
  await settle();
  assert.deepEqual(
    sent.map((c) => c.status),
    ["PENDING"],
  );
  release?.();
  await settle();
  assert.deepEqual(
    sent.map((c) => c.status),
    ["PENDING", "RUNNING"],
    "the latest state, not each step",
  );
  release?.();
  await settle();
  reports.update("t", change("RUNNING", [["a", "RUNNING"]]));
  await settle();
  assert.equal(sent.length, 2, "an identical state is not resent");
  reports.update("t", change("PENDING"));
  await settle();
  assert.equal(sent.length, 2, "a backwards state is never sent");
  assert.equal(errors.length, 1);
  await reports.stop();
});

test("stop does not wait for a reporter that keeps retrying on its own", async () => {
  const reports = new TaskStateReports({ submitTaskStateChange: () => new Promise<void>(() => {}) }, new ManualClock(), { initialMs: 10, maxMs: 10 });
  reports.update("t", change("PENDING"));
  await settle();
  await reports.stop();
});

test("whenAccepted resolves once a matching report is accepted", async () => {
  const reports = new TaskStateReports({ submitTaskStateChange: () => Promise.resolve() }, new ManualClock(), { initialMs: 10, maxMs: 10 });
  let done = false;
  reports.update("t", change("RUNNING"));
  void reports.whenAccepted("t", (c) => c.status === "STOPPED").then(() => (done = true));
  await settle();
  assert.equal(done, false);
  reports.update("t", change("STOPPED"));
  await settle();
  assert.equal(done, true);
  await reports.stop();
});
