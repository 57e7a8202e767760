// The hub's pushes: each is the complete set of an instance's tasks, so a burst
// of changes sends it once more, not once per change.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import WebSocket from "ws";
import type { Task, TaskDefinition } from "../model/generated/ecs.js";
import type { Store, Tx } from "../store/store.js";
import { connectPath, type HubMessage } from "../protocol/channel.js";
import { decodeDoc } from "../protocol/doc-codec.js";
import { AgentHub } from "./agent-hub.js";
import { systemClock } from "../clock.js";
import { TaskHooks } from "../ecs/task-hooks.js";

const instanceArn = "arn:aws:ecs:us-east-1:000000000000:container-instance/default/0123456789abcdef0123456789abcdef";
const definition: TaskDefinition = { family: "fam", revision: 1, containerDefinitions: [{ name: "app", image: "app:1" }] };
const task = (n: number): Task => ({
  taskArn: `arn:aws:ecs:us-east-1:000000000000:task/default/${n}`,
  taskDefinitionArn: "arn:aws:ecs:us-east-1:000000000000:task-definition/fam:1",
  containerInstanceArn: instanceArn,
  desiredStatus: "RUNNING",
  lastStatus: "PENDING",
  version: 1,
});

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

async function eventually(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (check()) return;
    await new Promise<void>((r) => setTimeout(r, 5));
  }
  assert.fail(`never happened: ${what}`);
}

test("changes arriving while a push is in flight or within the gap after it ride on one more push; a change after a quiet spell is pushed at once", async () => {
  let live: Task[] = [];
  let reads = 0;
  const tx = {
    liveTasksOnInstance: () => {
      reads++;
      return Promise.resolve(live);
    },
    getTaskDefinition: () => Promise.resolve(definition),
    getContainerInstance: () => Promise.resolve(undefined),
  } as unknown as Tx;
  const store = { tx: <T>(fn: (t: Tx) => Promise<T>) => fn(tx) } as unknown as Store;
  const gaps: (() => void)[] = [];
  const hub = new AgentHub({
    store,
    hooks: new TaskHooks(store, (err) => assert.fail(String(err))),
    clock: systemClock,
    logger: pino({ level: "silent" }),
    keys: { token: "t", principal: { accessKeyId: "ABIA", secretAccessKey: "s" }, accepts: (t: string) => t === "t" } as never,
    region: "us-east-1",
    accountId: "000000000000",
    wait: () => new Promise<void>((r) => gaps.push(r)),
  });
  const upgrade = hub.subsystem().upgrades?.[0];
  assert.ok(upgrade);
  const server = createServer();
  server.on("upgrade", (req, socket, head) => upgrade.upgrade(req, socket, head, new URL(req.url ?? "/", "http://hub")));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const messages: HubMessage[] = [];
  const ws = new WebSocket(`ws://127.0.0.1:${port}${connectPath}?containerInstance=${encodeURIComponent(instanceArn)}`, { headers: { authorization: "Bearer t" } });
  ws.on("message", (data: Buffer) => messages.push(decodeDoc<HubMessage>(data.toString("utf8"))));
  try {
    await eventually("the push on connect", () => messages.length === 1);
    assert.equal(gaps.length, 1, "the hub holds the gap after its push");

    for (let n = 1; n <= 10; n++) {
      live = [...live, task(n)];
      hub.tasksChanged([instanceArn]);
    }
    await settle();
    assert.equal(messages.length, 1, "ten changes during the gap send nothing yet");
    gaps.shift()?.();
    await eventually("one more push", () => messages.length === 2);
    assert.equal(messages[1]?.tasks.length, 10, "with the latest complete set");
    assert.equal(reads, 2, "the set was read twice, not eleven times");

    gaps.shift()?.();
    await settle();
    assert.equal(messages.length, 2, "nothing was asked during the second gap");
    live = [...live, task(11)];
    hub.tasksChanged([instanceArn]);
    await eventually("a change after a quiet spell goes at once", () => messages.length === 3);
    assert.equal(messages[2]?.tasks.length, 11);
    gaps.shift()?.();
  } finally {
    ws.terminate();
    await hub.subsystem().stop?.();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
