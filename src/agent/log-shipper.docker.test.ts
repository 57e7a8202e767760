// The log shipper on the real Docker Engine and a real control plane: busybox
// containers labelled as the engine labels awslogs containers print numbered
// lines; the stream must hold every line once, in order — also when the shipper
// crashes mid-stream and a new one resumes from the same data directory.

import { after, before, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join as joinPath } from "node:path";
import type Docker from "dockerode";
import pino from "pino";
import { CloudWatchLogsClient, GetLogEventsCommand, type OutputLogEvent } from "@aws-sdk/client-cloudwatch-logs";
import { startControlPlane } from "../control-plane.js";
import { startTestServer, testAccount, testRegion, type TestServer } from "../../test/kit/harness.js";
import { labels } from "./container-config.js";
import { join } from "./control-link.js";
import { startLogShipper, type RunningLogShipper } from "./log-shipper.js";
import { busyboxImage, ensureBusyboxImage } from "../../test/kit/agent/busybox-image.js";
import { dockerForTests, removeAgentObjects, waitUntil } from "../../test/kit/agent/docker-test-support.js";

const docker = await dockerForTests();
if (docker) await ensureBusyboxImage(docker);

let server: TestServer | undefined;
let agentKeys: { accessKeyId: string; secretAccessKey: string; region: string } | undefined;
const agents: string[] = [];
const dirs: string[] = [];

before(async () => {
  if (!docker) return;
  server = await startTestServer();
  agentKeys = await join(server.url, server.cp.agentToken);
});

after(async () => {
  if (docker) for (const id of agents) await removeAgentObjects(docker, id);
  await server?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function needDocker(t: TestContext): { docker: Docker; server: TestServer; keys: { accessKeyId: string; secretAccessKey: string; region: string } } | undefined {
  if (!docker || !server || !agentKeys) {
    t.skip("Docker is not available here");
    return undefined;
  }
  return { docker, server, keys: agentKeys };
}

function newAgent(): { agentId: string; dataDir: string } {
  const agentId = `logtest-${randomBytes(4).toString("hex")}`;
  agents.push(agentId);
  const dataDir = mkdtempSync(joinPath(tmpdir(), "berth-logship-"));
  dirs.push(dataDir);
  return { agentId, dataDir };
}

/** A container as the engine creates an awslogs one: json-file, the task labels, `berth.awslogs`. */
async function createTaskContainer(
  d: Docker,
  agentId: string,
  script: string,
  awslogs: { group: string; prefix: string; options?: Record<string, string> },
): Promise<{ id: string; stream: string }> {
  const taskId = randomBytes(16).toString("hex");
  const taskArn = `arn:aws:ecs:${testRegion}:000000000000:task/logtest/${taskId}`;
  const stream = `${awslogs.prefix}/app/${taskId}`;
  const settings = {
    group: awslogs.group,
    region: testRegion,
    stream,
    createGroup: true,
    options: { "awslogs-group": awslogs.group, "awslogs-stream-prefix": awslogs.prefix, "awslogs-create-group": "true", ...awslogs.options },
  };
  const c = await d.createContainer({
    name: `ecs-logtest-1-app-${taskId.slice(0, 20)}`,
    Image: busyboxImage,
    Cmd: ["sh", "-c", script],
    Labels: {
      [labels.agent]: agentId,
      [labels.taskArn]: taskArn,
      [labels.cluster]: `arn:aws:ecs:${testRegion}:000000000000:cluster/logtest`,
      [labels.containerName]: "app",
      [labels.role]: "app",
      [labels.awslogs]: JSON.stringify(settings),
    },
    HostConfig: { LogConfig: { Type: "json-file", Config: {} } },
  });
  return { id: c.id, stream };
}

function logsClient(s: TestServer): CloudWatchLogsClient {
  return new CloudWatchLogsClient({
    endpoint: s.url,
    region: testRegion,
    credentials: { accessKeyId: s.cp.root.accessKeyId, secretAccessKey: s.cp.root.secretAccessKey },
  });
}

/** Every event of the stream, oldest first, paging GetLogEvents until its token repeats. */
async function readStream(client: CloudWatchLogsClient, group: string, stream: string): Promise<OutputLogEvent[]> {
  const out: OutputLogEvent[] = [];
  let token: string | undefined;
  for (;;) {
    const page = await client.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, ...(token ? { nextToken: token } : {}) }));
    out.push(...(page.events ?? []));
    if (!page.nextForwardToken || page.nextForwardToken === token) return out;
    token = page.nextForwardToken;
  }
}

async function waitForCount(client: CloudWatchLogsClient, group: string, stream: string, n: number, timeoutMs = 60_000): Promise<OutputLogEvent[]> {
  return waitUntil(
    `${n} events in ${stream}`,
    async () => {
      const events = await readStream(client, group, stream);
      return events.length >= n ? events : undefined;
    },
    timeoutMs,
    300,
  );
}

function assertNumbered(events: readonly OutputLogEvent[], n: number): void {
  const messages = events.map((e) => e.message);
  const expected = Array.from({ length: n }, (_, i) => `line ${i + 1}`);
  if (messages.length !== n || messages.some((m, i) => m !== expected[i])) {
    const firstBad = messages.findIndex((m, i) => m !== expected[i]);
    assert.fail(`expected ${n} numbered lines once, in order; got ${messages.length}, first difference at ${firstBad}: ${JSON.stringify(messages.slice(Math.max(0, firstBad - 2), firstBad + 3))}`);
  }
  for (let i = 1; i < events.length; i++) assert.ok((events[i]?.timestamp ?? 0) >= (events[i - 1]?.timestamp ?? 0), "timestamps never go back");
}

// BERTH_TEST_LOG=info shows what the shippers did.
const quiet = pino({ level: process.env["BERTH_TEST_LOG"] ?? "silent" });

function shipperFor(s: TestServer, keys: { accessKeyId: string; secretAccessKey: string; region: string }, agentId: string, dataDir: string): Promise<RunningLogShipper> {
  return startLogShipper({
    agentId,
    endpoint: s.url,
    credentials: keys,
    region: keys.region,
    dataDir,
    logger: quiet,
  });
}

test("10,000 lines reach the task's stream once each, in order", { timeout: 120_000 }, async (t) => {
  const env = needDocker(t);
  if (!env) return;
  const { agentId, dataDir } = newAgent();
  const group = `/ecs/logtest-${agentId}`;
  const shipper = await shipperFor(env.server, env.keys, agentId, dataDir);
  const client = logsClient(env.server);
  try {
    // Created after the shipper started: found through Docker's events.
    const { id, stream } = await createTaskContainer(env.docker, agentId, 'i=1; while [ $i -le 10000 ]; do echo "line $i"; i=$((i+1)); done', { group, prefix: "web" });
    await env.docker.getContainer(id).start();
    const events = await waitForCount(client, group, stream, 10_000);
    assertNumbered(events, 10_000);
    // Nothing more arrives later.
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal((await readStream(client, group, stream)).length, 10_000);
  } finally {
    await shipper.stop();
    client.destroy();
  }
});

test("a line reaches the store within about a second", { timeout: 60_000 }, async (t) => {
  const env = needDocker(t);
  if (!env) return;
  const { agentId, dataDir } = newAgent();
  const group = `/ecs/logtest-${agentId}`;
  // Prints one line, waits, prints a second one (to stderr): the second one's latency is measured.
  const { id, stream } = await createTaskContainer(env.docker, agentId, "echo first; sleep 3; echo second >&2; sleep 30", { group, prefix: "lat" });
  await env.docker.getContainer(id).start();
  const shipper = await shipperFor(env.server, env.keys, agentId, dataDir);
  const client = logsClient(env.server);
  try {
    await waitForCount(client, group, stream, 1, 20_000);
    const events = await waitForCount(client, group, stream, 2, 20_000);
    assert.deepEqual(
      events.map((e) => e.message),
      ["first", "second"],
    );
    const second = events[1];
    assert.ok(second?.timestamp !== undefined && second.ingestionTime !== undefined);
    const latency = second.ingestionTime - second.timestamp;
    assert.ok(latency < 1_500, `ingested ${latency} ms after Docker read it`);
  } finally {
    await shipper.stop();
    client.destroy();
  }
});

test("crashes mid-stream lose nothing and duplicate nothing", { timeout: 180_000 }, async (t) => {
  const env = needDocker(t);
  if (!env) return;
  const { agentId, dataDir } = newAgent();
  const group = `/ecs/logtest-${agentId}`;
  // 10,000 lines over ~5 s, in bursts of 100: long enough to crash the shipper several times.
  const script = 'i=1; while [ $i -le 10000 ]; do echo "line $i"; if [ $((i % 100)) -eq 0 ]; then sleep 0.05; fi; i=$((i+1)); done';
  const { id, stream } = await createTaskContainer(env.docker, agentId, script, { group, prefix: "crash" });
  const client = logsClient(env.server);
  let shipper = await shipperFor(env.server, env.keys, agentId, dataDir);
  try {
    await env.docker.getContainer(id).start();
    await waitForCount(client, group, stream, 500, 30_000);
    // Crash (no flush, no checkpoint after the crash) at a few points while the container writes.
    for (let crash = 0; crash < 4; crash++) {
      await shipper.crash();
      shipper = await shipperFor(env.server, env.keys, agentId, dataDir);
      await new Promise((r) => setTimeout(r, 300 + crash * 250));
    }
    const events = await waitForCount(client, group, stream, 10_000, 90_000);
    assertNumbered(events, 10_000);
    // After the container exited: one more crash and restart finds nothing new to send.
    await env.docker.getContainer(id).wait();
    await shipper.crash();
    shipper = await shipperFor(env.server, env.keys, agentId, dataDir);
    await new Promise((r) => setTimeout(r, 1_500));
    assertNumbered(await readStream(client, group, stream), 10_000);
  } finally {
    await shipper.stop();
    client.destroy();
  }
});

test("multiline pattern, stderr, exited and removed containers", { timeout: 60_000 }, async (t) => {
  const env = needDocker(t);
  if (!env) return;
  const { agentId, dataDir } = newAgent();
  const group = `/ecs/logtest-${agentId}`;
  // Sleeps between stdout and stderr: Docker stamps the two streams in separate readers.
  const script = "echo '[1] start'; sleep 0.2; echo '  at a' >&2; sleep 0.2; echo '  at b'; echo '[2] next'; echo '  more'";
  // Exited before the shipper starts: found by the listing, and read to its end.
  const { id, stream } = await createTaskContainer(env.docker, agentId, script, { group, prefix: "ml", options: { "awslogs-multiline-pattern": "\\[\\d+\\]" } });
  await env.docker.getContainer(id).start();
  await env.docker.getContainer(id).wait();
  const shipper = await shipperFor(env.server, env.keys, agentId, dataDir);
  const client = logsClient(env.server);
  try {
    const events = await waitForCount(client, group, stream, 2, 20_000);
    assert.deepEqual(
      events.map((e) => e.message),
      ["[1] start\n  at a\n  at b\n", "[2] next\n  more\n"],
    );
    const checkpoint = joinPath(dataDir, "log-checkpoints", `${id}.json`);
    await waitUntil("checkpoint written", () => (existsSync(checkpoint) ? true : undefined));
    await env.docker.getContainer(id).remove();
    await waitUntil("checkpoint removed with the container", () => (existsSync(checkpoint) ? undefined : true), 10_000);
  } finally {
    await shipper.stop();
    client.destroy();
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

test("a control-plane restart loses nothing and duplicates nothing", { timeout: 120_000 }, async (t) => {
  const env = needDocker(t);
  if (!env) return;
  const { agentId, dataDir } = newAgent();
  const cpDir = mkdtempSync(joinPath(tmpdir(), "berth-logship-cp-"));
  dirs.push(cpDir);
  const port = await freePort();
  const cpOptions = { host: "127.0.0.1", port, dataDir: cpDir, accountId: testAccount, region: testRegion, logger: quiet };
  let cp = await startControlPlane(cpOptions);
  const url = cp.edge.url;
  const keys = await join(url, cp.agentToken);
  const root = { accessKeyId: cp.root.accessKeyId, secretAccessKey: cp.root.secretAccessKey };
  const client = new CloudWatchLogsClient({ endpoint: url, region: testRegion, credentials: root });
  const group = `/ecs/logtest-${agentId}`;
  // 3,000 lines over ~3 s; the control plane is away for ~2 s of it.
  const script = 'i=1; while [ $i -le 3000 ]; do echo "line $i"; if [ $((i % 100)) -eq 0 ]; then sleep 0.1; fi; i=$((i+1)); done';
  const { id, stream } = await createTaskContainer(env.docker, agentId, script, { group, prefix: "cp" });
  const shipper = await startLogShipper({ agentId, endpoint: url, credentials: keys, region: keys.region, dataDir, logger: quiet });
  try {
    await env.docker.getContainer(id).start();
    await waitForCount(client, group, stream, 300, 30_000);
    await cp.stop();
    await new Promise((r) => setTimeout(r, 2_000));
    cp = await startControlPlane(cpOptions);
    const events = await waitForCount(client, group, stream, 3_000, 60_000);
    assertNumbered(events, 3_000);
  } finally {
    await shipper.stop();
    client.destroy();
    await cp.stop();
  }
});
