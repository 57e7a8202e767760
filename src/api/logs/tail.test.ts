// `aws logs tail GROUP --follow`, the real AWS CLI v2 command, against a real
// server on SQLite and PostgreSQL: it polls FilterLogEvents with a moving
// startTime and deduplicates by eventId, so every event must print exactly once.
//
// `logs tail` exists only in AWS CLI v2; the pip-installed `aws` is v1. The test
// looks for a v2 binary (BERTH_AWS_CLI_V2, else /usr/bin/aws from Debian's
// `awscli` package, else any `aws` on PATH) and fails, not skips, without one.

import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { boto3 } from "../../../test/kit/aws-cli.js";
import { startTestServer, type TestServer } from "../../../test/kit/harness.js";
import { requirePostgresUrl } from "../../../test/kit/postgres.js";

function findAwsCliV2(): string {
  const candidates = [
    process.env["BERTH_AWS_CLI_V2"],
    "/usr/bin/aws",
    "/usr/local/bin/aws",
    ...(process.env["PATH"] ?? "").split(delimiter).map((dir) => join(dir, "aws")),
  ].filter((c): c is string => c !== undefined && c !== "" && existsSync(c));
  for (const c of candidates) {
    try {
      if (execFileSync(c, ["--version"], { encoding: "utf8", env: { PATH: process.env["PATH"] } }).startsWith("aws-cli/2")) return c;
    } catch {
      // not runnable: try the next one
    }
  }
  throw new Error("`aws logs tail` needs AWS CLI v2 and none was found (on Debian: apt-get install awscli; or set BERTH_AWS_CLI_V2).");
}

const stores: ("sqlite" | "postgres")[] = ["sqlite"];
if (requirePostgresUrl()) stores.push("postgres");

/** A running `aws logs tail`, with everything it printed so far. */
interface Tail {
  readonly child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function startTail(cli: string, server: TestServer, ...args: string[]): Tail {
  // CLI v2.9 predates AWS_ENDPOINT_URL, so the endpoint goes on the command line;
  // unbuffered Python prints each event as it arrives.
  const child = spawn(cli, ["logs", "tail", ...args, "--endpoint-url", server.url, "--format", "short", "--color", "off"], {
    env: { ...server.env, PYTHONUNBUFFERED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(what: string, tail: Tail, done: (out: string) => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done(tail.output())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; aws logs tail printed:\n${tail.output()}`);
    await sleep(100);
  }
}

const count = (out: string, message: string): number => out.split("\n").filter((line) => line.endsWith(` ${message}`)).length;

function put(server: TestServer, group: string, streams: Record<string, { timestamp: number; message: string }[]>): Promise<unknown> {
  const spec = Buffer.from(JSON.stringify(streams)).toString("base64");
  return boto3(
    server,
    `import base64
logs = boto3.client("logs")
names = {s["logStreamName"] for s in logs.describe_log_streams(logGroupName="${group}")["logStreams"]}
for stream, events in json.loads(base64.b64decode("${spec}")).items():
    if stream not in names:
        logs.create_log_stream(logGroupName="${group}", logStreamName=stream)
    logs.put_log_events(logGroupName="${group}", logStreamName=stream, logEvents=events)
dump(None)`,
  );
}

for (const store of stores) {
  describe(`aws logs tail on ${store}`, () => {
    let server: TestServer;
    let cli: string;
    before(async () => {
      cli = findAwsCliV2();
      server = await startTestServer({ store });
      await boto3(server, `boto3.client("logs").create_log_group(logGroupName="/tail/app"); dump(None)`);
    });
    after(() => server.stop());

    it("prints the group's recent events and exits without --follow", async () => {
      const now = Date.now();
      await put(server, "/tail/app", { web: [{ timestamp: now - 120_000, message: "old one" }, { timestamp: now - 60_000, message: "old two" }] });
      const tail = startTail(cli, server, "/tail/app", "--since", "1h");
      assert.equal(await tail.exited, 0, tail.output());
      assert.equal(count(tail.output(), "old one"), 1);
      assert.equal(count(tail.output(), "old two"), 1);
    });

    it("follows new events across streams, printing each exactly once", async () => {
      const tail = startTail(cli, server, "/tail/app", "--follow", "--since", "1h");
      try {
        await waitFor("the events already stored", tail, (out) => count(out, "old two") === 1);
        const now = Date.now();
        // Two events share a timestamp: the CLI polls again from the newest
        // timestamp it saw and tells events apart only by eventId.
        await put(server, "/tail/app", {
          web: [{ timestamp: now, message: "new web 1" }, { timestamp: now + 1, message: "new web 2" }],
          worker: [{ timestamp: now + 1, message: "new worker 1" }],
        });
        await waitFor("the new events", tail, (out) => ["new web 1", "new web 2", "new worker 1"].every((m) => count(out, m) === 1));
        await put(server, "/tail/app", { worker: [{ timestamp: now + 5, message: "new worker 2" }] });
        await waitFor("a later event", tail, (out) => count(out, "new worker 2") === 1);
        // One more poll (the CLI sleeps 5 s between empty polls) must add nothing.
        await sleep(6_000);
        const out = tail.output();
        for (const m of ["old one", "old two", "new web 1", "new web 2", "new worker 1", "new worker 2"]) assert.equal(count(out, m), 1, `${m} in:\n${out}`);
        assert.doesNotMatch(out, /error|Traceback/i);
      } finally {
        tail.child.kill("SIGINT");
        await tail.exited;
      }
    });
  });
}
