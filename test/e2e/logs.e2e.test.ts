// The awslogs driver end to end on real processes: a container prints 10,000
// numbered lines; all reach its stream in order exactly once, also when the
// `berth agent` is killed -9 in the middle and started again; and `berth logs TASK`
// (the real CLI) prints them.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { CloudWatchLogsClient, GetLogEventsCommand, ResourceNotFoundException } from "@aws-sdk/client-cloudwatch-logs";
import { busyboxImage, ensureBusyboxImage } from "../kit/agent/busybox-image.js";
import { dockerForTests, waitUntil } from "../kit/agent/docker-test-support.js";
import { BerthTestbed, berthMain, ecsCli, type BerthProcess, type EcsCli } from "../kit/berth-process.js";
import { first } from "../kit/ecs-assertions.js";

const docker = await dockerForTests();
if (docker) await ensureBusyboxImage(docker);

const cluster = "default";
const lines = 10_000;
const group = "/e2e/logs-driver";
const prefix = "e2e";
/** 10,000 numbered lines, paced (a pause every 500 lines, ~4 s in all) so an agent kill lands in the middle. */
const printer = ["sh", "-c", `i=1; while [ $i -le ${lines} ]; do echo "line-$i"; if [ $((i % 500)) -eq 0 ]; then sleep 0.2; fi; i=$((i+1)); done`];
const expected = Array.from({ length: lines }, (_, i) => `line-${i + 1}`);

describe("awslogs driver on real processes", { skip: docker ? false : "Docker is not available here" }, () => {
  const bed = new BerthTestbed();
  let server: BerthProcess;
  let agent: BerthProcess;
  let ecs: EcsCli;
  let logs: CloudWatchLogsClient;
  let def: string;

  before(async () => {
    server = await bed.server();
    ecs = ecsCli(bed, server);
    agent = await bed.agent(server);
    logs = new CloudWatchLogsClient({ endpoint: server.url!, region: "us-east-1", credentials: { accessKeyId: bed.accessKeyId, secretAccessKey: bed.secretAccessKey } });
    def = await ecs.register({
      family: "e2e-logs",
      containerDefinitions: [
        {
          name: "printer",
          image: busyboxImage,
          memory: 32,
          essential: true,
          command: printer,
          logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": prefix, "awslogs-create-group": "true" } },
        },
      ],
    });
  });
  after(async () => {
    logs.destroy();
    await bed.cleanup();
  });

  /** Every message in the stream, from its head. */
  async function readStream(stream: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    for (;;) {
      let page;
      try {
        page = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, ...(token ? { nextToken: token } : {}) }));
      } catch (err) {
        if (err instanceof ResourceNotFoundException) return out;
        throw err;
      }
      for (const e of page.events ?? []) out.push(e.message ?? "");
      if (!page.nextForwardToken || page.nextForwardToken === token || (page.events ?? []).length === 0) return out;
      token = page.nextForwardToken;
    }
  }

  function assertExactlyOnceInOrder(got: readonly string[], what: string): void {
    if (got.length === expected.length && got.every((m, i) => m === expected[i])) return;
    const firstBad = got.findIndex((m, i) => m !== expected[i]);
    assert.fail(`${what}: ${got.length} lines, first difference at ${firstBad} (got '${got[firstBad]}', want '${expected[firstBad]}')\n${bed.outputs().slice(-4_000)}`);
  }

  async function runPrinter(): Promise<{ arn: string; stream: string }> {
    const r = await ecs.run({ cluster, taskDefinition: def });
    assert.deepEqual(r.failures, []);
    const arn = first(r.tasks, "a started task").taskArn;
    return { arn, stream: `${prefix}/printer/${arn.split("/").pop()}` };
  }

  async function waitForAll(stream: string, timeoutMs: number): Promise<string[]> {
    let last: string[] = [];
    try {
      return await waitUntil(
        `${lines} lines in ${stream}`,
        async () => {
          last = await readStream(stream);
          return last.length >= lines ? last : undefined;
        },
        timeoutMs,
        500,
      );
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)} (had ${last.length})\n${bed.outputs().slice(-4_000)}`);
    }
  }

  test("10,000 lines arrive in order exactly once, and berth logs TASK prints them", async () => {
    const { arn, stream } = await runPrinter();
    const got = await waitForAll(stream, 45_000);
    assertExactlyOnceInOrder(got, "the stream");
    await ecs.waitFor(cluster, [arn], (t) => t.lastStatus === "STOPPED", "the printer to finish", 30_000);

    const printed = await berthLogs([arn.split("/").pop()!, "--cluster", cluster]);
    assertExactlyOnceInOrder(printed.split("\n").filter((l) => l !== ""), "berth logs");
  });

  test("kill -9 of the agent in the middle: still every line exactly once, in order", async () => {
    const { arn, stream } = await runPrinter();
    await waitUntil("the first lines to be shipped", async () => ((await readStream(stream)).length > 500 ? true : undefined), 30_000, 100);
    await agent.kill9();
    const atKill = (await readStream(stream)).length;
    assert.ok(atKill < lines, `the kill should land in the middle, but ${atKill} lines were already shipped`);
    await new Promise((r) => setTimeout(r, 1_000));
    await agent.restart();
    const got = await waitForAll(stream, 45_000);
    // A few more seconds must not add duplicates.
    await new Promise((r) => setTimeout(r, 2_000));
    assertExactlyOnceInOrder(await readStream(stream), `the stream (${got.length} when complete, ${atKill} when the agent was killed)`);
    await ecs.waitFor(cluster, [arn], (t) => t.lastStatus === "STOPPED", "the printer to finish", 30_000);
  });

  /** The real CLI, `berth logs …`, with the endpoint and keys in the environment. */
  function berthLogs(args: readonly string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [berthMain, "logs", ...args], { env: { ...bed.cliEnv(server.url!), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.once("error", reject);
      child.once("exit", (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(stdout);
        else reject(new Error(`berth logs exited ${code}: ${stderr}`));
      });
    });
  }
});
