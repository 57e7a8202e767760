import { test } from "node:test";
import assert from "node:assert/strict";
import type { SubmitTaskStateChangeRequest } from "../model/generated/ecs.js";
import { goesBackwards, TaskStateReports, worthSending } from "./state-reports.js";
import { ManualClock, settle } from "../../test/kit/agent/manual-clock.js";

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

test("worth sending: the first report, a status that moved, and any new detail once STOPPED", () => {
  const withId = (status: string, id: string): SubmitTaskStateChangeRequest => ({ ...change(status, [["a", status]]), containers: [{ containerName: "a", status, runtimeId: id }] });
  assert.equal(worthSending(undefined, change("PENDING")), true);
  assert.equal(worthSending(change("PENDING", [["a", "PENDING"]]), withId("PENDING", "x")), false, "a runtime id alone waits for the next move");
  assert.equal(worthSending(change("PENDING", [["a", "PENDING"]]), change("PENDING", [["a", "RUNNING"]])), true, "a container's status moved");
  assert.equal(worthSending(change("RUNNING", [["a", "RUNNING"]]), change("RUNNING", [["a", "RUNNING"]])), false);
  assert.equal(worthSending(withId("STOPPED", "x"), { ...withId("STOPPED", "x"), reason: "late" }), true, "nothing follows STOPPED");
  assert.equal(worthSending({ ...change("PENDING"), attachments: [] }, { ...change("PENDING"), attachments: [{ attachmentArn: "e", status: "ATTACHED" }] }), true);
  assert.equal(worthSending(change("PENDING", [["a", "PENDING"], ["b", "PENDING"]]), change("PENDING", [["b", "PENDING"], ["a", "PENDING"]])), false, "order does not matter");
});

test("what the control plane shows is not sent again, but is never taken as accepted", async () => {
  const sent: SubmitTaskStateChangeRequest[] = [];
  const reports = new TaskStateReports({ submitTaskStateChange: (c) => Promise.resolve(void sent.push(c)) }, new ManualClock(), { initialMs: 10, maxMs: 10 });
  reports.shown("t", change("PENDING", [["a", "PENDING"]]));
  reports.update("t", change("PENDING", [["a", "PENDING"]]));
  await settle();
  assert.equal(sent.length, 0);
  let accepted = false;
  void reports.whenAccepted("t", (c) => c.status === "PENDING").then(() => (accepted = true));
  await settle();
  assert.equal(accepted, false, "shown is not accepted");
  reports.update("t", change("RUNNING", [["a", "RUNNING"]]));
  await settle();
  assert.deepEqual(
    sent.map((c) => c.status),
    ["RUNNING"],
  );
  reports.shown("u", change("RUNNING", [["a", "RUNNING"]]));
  reports.update("u", change("PENDING", [["a", "PENDING"]]));
  await settle();
  assert.equal(sent.at(-1)?.status, "PENDING", "not a bound for backwards either: the control plane's view is not this agent's report");
  await reports.stop();
});
