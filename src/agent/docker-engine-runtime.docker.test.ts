// The Docker boundary on the real engine: error kinds, cancellation, events,
// volumes, and the hand-made pause image really running.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { labels } from "./container-config.js";
import { DockerRuntimeError } from "./docker-runtime.js";
import { DockerEngineRuntime } from "./docker-engine-runtime.js";
import { ensurePauseImage } from "./pause-image.js";
import { busyboxImage, ensureBusyboxImage } from "../../test/kit/agent/busybox-image.js";
import { dockerForTests, removeAgentObjects } from "../../test/kit/agent/docker-test-support.js";
import type { RuntimeEvent } from "./docker-runtime.js";

const docker = await dockerForTests();
if (docker) await ensureBusyboxImage(docker);
const agentId = `rtest-${randomBytes(4).toString("hex")}`;
after(async () => {
  if (docker) await removeAgentObjects(docker, agentId);
});

const runtime = new DockerEngineRuntime();
const signal = (): AbortSignal => AbortSignal.timeout(60_000);
const spec = (cmd: string[]) => ({ Image: busyboxImage, Cmd: cmd, Labels: { [labels.agent]: agentId }, HostConfig: { NetworkMode: "none" } });

test("engine facts, and a missing image or a failed pull as typed errors", async (t) => {
  if (!docker) return t.skip("Docker is not available here");
  const info = await runtime.info(signal());
  assert.match(info.apiVersion, /^1\.\d+$/);
  assert.ok(info.cpus > 0 && info.memoryBytes > 0);
  assert.ok(info.logDrivers.includes("json-file"));
  assert.equal(await runtime.inspectImage("berth-test/does-not-exist:1", signal()), undefined);
  await assert.rejects(runtime.pullImage("127.0.0.1:1/nope:1", undefined, signal()), (err: unknown) => err instanceof DockerRuntimeError && err.kind === "failed");
});

test("a container's life: create, name conflict, start, events, kill, wait, inspect, remove", async (t) => {
  if (!docker) return t.skip("Docker is not available here");
  const subscription = new AbortController();
  const events = await runtime.events({ [labels.agent]: agentId }, subscription.signal);
  const seen: RuntimeEvent[] = [];
  const consuming = (async () => {
    for await (const e of events) seen.push(e);
  })();

  const name = `${agentId}-life`;
  const id = await runtime.createContainer(name, spec(["sh", "-c", "trap 'exit 4' TERM; while true; do sleep 1; done"]), signal());
  await assert.rejects(runtime.createContainer(name, spec(["true"]), signal()), (err: unknown) => err instanceof DockerRuntimeError && err.kind === "conflict");
  const created = await runtime.inspectContainer(id, signal());
  assert.equal(created?.state.startedAt, undefined, "never started yet");
  assert.equal(created?.name, name);
  await runtime.startContainer(id, signal());
  await runtime.startContainer(id, signal());
  const running = await runtime.inspectContainer(name, signal());
  assert.equal(running?.state.running, true);
  assert.ok(running?.state.startedAt);

  const waiting = runtime.waitContainer(id, signal());
  await runtime.killContainer(id, "SIGTERM", signal());
  assert.equal(await waiting, 4);
  await runtime.killContainer(id, "SIGKILL", signal());
  const exited = await runtime.inspectContainer(id, signal());
  assert.equal(exited?.state.running, false);
  assert.equal(exited?.state.exitCode, 4);

  await runtime.removeContainer(id, { force: true, volumes: true }, signal());
  await runtime.removeContainer(id, { force: true, volumes: true }, signal());
  assert.equal(await runtime.inspectContainer(id, signal()), undefined);

  for (let i = 0; i < 50 && !seen.some((e) => e.action === "destroy"); i++) await new Promise((r) => setTimeout(r, 100));
  const actions = seen.filter((e) => e.containerId === id).map((e) => e.action);
  for (const a of ["start", "die", "destroy"]) assert.ok(actions.includes(a), `saw ${a} in ${actions.join(",")}`);
  assert.equal(seen.find((e) => e.action === "start")?.labels[labels.agent], agentId);
  subscription.abort();
  await consuming;
});

test("cancellation: an aborted call rejects as aborted", async (t) => {
  if (!docker) return t.skip("Docker is not available here");
  const id = await runtime.createContainer(`${agentId}-wait`, spec(["sleep", "30"]), signal());
  await runtime.startContainer(id, signal());
  const abort = new AbortController();
  const waiting = runtime.waitContainer(id, abort.signal);
  setTimeout(() => abort.abort(), 100);
  await assert.rejects(waiting, (err: unknown) => err instanceof DockerRuntimeError && err.kind === "aborted");
  await runtime.removeContainer(id, { force: true, volumes: true }, signal());
});

test("volumes: create, inspect, list by label, remove", async (t) => {
  if (!docker) return t.skip("Docker is not available here");
  const name = `${agentId}-vol`;
  await runtime.createVolume({ name, labels: { [labels.agent]: agentId, "berth.scope": "task" } }, signal());
  assert.equal((await runtime.inspectVolume(name, signal()))?.driver, "local");
  assert.deepEqual(
    (await runtime.listVolumes({ [labels.agent]: agentId }, signal())).map((v) => v.name),
    [name],
  );
  await runtime.removeVolume(name, signal());
  await runtime.removeVolume(name, signal());
  assert.equal(await runtime.inspectVolume(name, signal()), undefined);
});

test("the pause image builds from nothing and its container waits until killed", async (t) => {
  if (!docker) return t.skip("Docker is not available here");
  const info = await runtime.info(signal());
  const image = await ensurePauseImage(runtime, info.arch, signal());
  const id = await runtime.createContainer(`${agentId}-pause`, { Image: image, Labels: { [labels.agent]: agentId }, HostConfig: { NetworkMode: "none" } }, signal());
  await runtime.startContainer(id, signal());
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await runtime.inspectContainer(id, signal()))?.state.running, true);
  await runtime.killContainer(id, "SIGTERM", signal());
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await runtime.inspectContainer(id, signal()))?.state.running, true, "PID 1 without handlers ignores SIGTERM");
  await runtime.killContainer(id, "SIGKILL", signal());
  assert.equal(await runtime.waitContainer(id, signal()), 137);
});
