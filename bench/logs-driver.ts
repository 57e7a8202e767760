// awslogs driver benchmark: a container prints N short lines as fast as it can;
// the time from the container's start until all N are in the log store (read
// back through GetLogEvents), as events/s, beside the same container's output
// read through `docker logs -f` (the floor: Docker's own path) in the same run.
// It prints MET/NOT MET against the target; it asserts nothing.
//
//   berth server + berth agent (real processes) ─ RunTask(seq 1 N, awslogs)
//     ─ poll GetLogEvents (forward tokens) until N ─ events/s from container StartedAt
//   floor: docker run (json-file) seq 1 N ─ follow docker logs until N lines
//
// Usage: node dist/bench/logs-driver.js [--quick] [--lines N]

import { parseArgs } from "node:util";
import type Docker from "dockerode";
import { CloudWatchLogsClient, GetLogEventsCommand, ResourceNotFoundException } from "@aws-sdk/client-cloudwatch-logs";
import { busyboxImage, ensureBusyboxImage } from "../test/kit/agent/busybox-image.js";
import { BerthTestbed, containersOfTask, ecsCli } from "../test/kit/berth-process.js";
import { fixed, formatTable } from "./lib/table.js";

process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";

const targetEventsPerSecond = 50_000;
const group = "/bench/logs-driver";

function readOptions(): { lines: number } {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, lines: { type: "string" } } });
  const lines = values.lines !== undefined ? Number(values.lines) : values.quick ? 50_000 : 200_000;
  if (!Number.isInteger(lines) || lines <= 0) throw new Error(`--lines takes a positive whole number, not '${values.lines}'`);
  return { lines };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Figure {
  readonly what: string;
  readonly lines: number;
  /** Container start → last line available, ms. */
  readonly ms: number;
  /** Container start → container exit, ms (how fast it printed). */
  readonly printMs: number;
}

/** The driver's path: RunTask on a real agent, then GetLogEvents until every line is stored. */
async function throughDriver(bed: BerthTestbed, lines: number): Promise<Figure> {
  const server = await bed.server();
  await bed.agent(server);
  const ecs = ecsCli(bed, server);
  const logs = new CloudWatchLogsClient({ endpoint: server.url!, region: "us-east-1", credentials: { accessKeyId: bed.accessKeyId, secretAccessKey: bed.secretAccessKey } });
  try {
    const def = await ecs.register({
      family: "bench-logs-driver",
      containerDefinitions: [
        {
          name: "printer",
          image: busyboxImage,
          memory: 64,
          essential: true,
          command: ["seq", "1", String(lines)],
          logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "bench", "awslogs-create-group": "true" } },
        },
      ],
    });
    const runAt = Date.now();
    const r = await ecs.run({ cluster: "default", taskDefinition: def });
    if (r.failures.length > 0 || !r.tasks[0]) throw new Error(`RunTask failed: ${JSON.stringify(r.failures)}`);
    const arn = r.tasks[0].taskArn;
    const stream = `bench/printer/${arn.split("/").pop()}`;
    let count = 0;
    let token: string | undefined;
    // Stalled: no new event for this long means the rest is not coming (reported, not thrown).
    const stallMs = 20_000;
    let lastProgress = Date.now();
    let doneAt: number | undefined;
    // The agent removes a stopped task's container soon after: read its times while it is there.
    let started: number | undefined;
    let finished: number | undefined;
    const readTimes = async (): Promise<void> => {
      const [c] = await containersOfTask(bed.docker, arn).catch(() => []);
      const state = c ? (await bed.docker.getContainer(c.Id).inspect().catch(() => undefined))?.State : undefined;
      if (!state || !state.StartedAt.startsWith("2")) return;
      started = Date.parse(state.StartedAt);
      if (!state.Running && state.FinishedAt.startsWith("2")) finished = Date.parse(state.FinishedAt);
    };
    while (doneAt === undefined) {
      if (finished === undefined) await readTimes();
      if (Date.now() - lastProgress > stallMs) {
        const again = await countFromHead(logs, stream);
        console.log(`INCOMPLETE: ${count} of ${lines} lines arrived in ${stream} (${again} counted again from its head) and none for ${stallMs / 1000} s`);
        doneAt = lastProgress;
        break;
      }
      try {
        const page = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, ...(token ? { nextToken: token } : {}) }));
        const n = page.events?.length ?? 0;
        count += n;
        if (n > 0) lastProgress = Date.now();
        token = page.nextForwardToken ?? token;
        if (count >= lines) doneAt = Date.now();
        else if (n === 0) await sleep(50);
      } catch (err) {
        if (!(err instanceof ResourceNotFoundException)) throw err;
        await sleep(50);
      }
    }
    if (started === undefined) console.log("note: the container was gone before its start time was read; timing from RunTask instead");
    const from = started ?? runAt;
    return { what: "berth awslogs driver → store", lines: count, ms: doneAt - from, printMs: (finished ?? doneAt) - from };
  } finally {
    logs.destroy();
  }
}

/** Every event in the stream, paged from its head. */
async function countFromHead(logs: CloudWatchLogsClient, stream: string): Promise<number> {
  let count = 0;
  let token: string | undefined;
  for (;;) {
    const page = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, ...(token ? { nextToken: token } : {}) }));
    const n = page.events?.length ?? 0;
    count += n;
    if (n === 0 || !page.nextForwardToken || page.nextForwardToken === token) return count;
    token = page.nextForwardToken;
  }
}

/** The floor: the same container on Docker alone, its output followed through `docker logs -f`. */
async function throughDockerLogs(docker: Docker, lines: number): Promise<Figure> {
  const container = await docker.createContainer({ Image: busyboxImage, Cmd: ["seq", "1", String(lines)], Labels: { "berth.bench": "logs-driver" } });
  try {
    // Following a container that has not started ends at once: start it, then follow from its first line.
    await container.start();
    const raw = (await container.logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream & { destroy(): void };
    let count = 0;
    let onLines = (): void => {};
    // demuxStream writes each frame's payload synchronously: count newlines as they come, with no buffer between.
    const counter = {
      write(chunk: Buffer): boolean {
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) count++;
        if (count >= lines) onLines();
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    const done = new Promise<number>((resolve, reject) => {
      onLines = () => resolve(Date.now());
      raw.on("error", reject);
      raw.on("end", () => (count >= lines ? resolve(Date.now()) : reject(new Error(`docker logs ended after ${count} lines`))));
    });
    docker.modem.demuxStream(raw, counter, counter);
    const doneAt = await done;
    raw.destroy();
    await container.wait();
    const state = (await container.inspect()).State;
    const started = Date.parse(state.StartedAt);
    return { what: "docker logs -f (floor)", lines, ms: doneAt - started, printMs: Date.parse(state.FinishedAt) - started };
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

async function main(): Promise<void> {
  const { lines } = readOptions();
  const bed = new BerthTestbed();
  try {
    await bed.docker.ping();
  } catch (err) {
    console.error(`the logs-driver benchmark needs a Docker Engine: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  await ensureBusyboxImage(bed.docker);
  const figures: Figure[] = [];
  try {
    figures.push(await throughDockerLogs(bed.docker, lines));
    figures.push(await throughDriver(bed, lines));
  } finally {
    await bed.cleanup();
  }
  console.log(`awslogs driver ingest: one container printing ${lines} short lines (seq 1 ${lines}) as fast as it can\n`);
  console.log(
    formatTable(
      ["path", "lines", "container ran ms", "start → all lines ms", "events/s"],
      figures.map((f) => [f.what, String(f.lines), String(f.printMs), String(f.ms), fixed(f.lines / (f.ms / 1000), 0)]),
    ),
  );
  const driver = figures.find((f) => f.what.startsWith("berth"));
  if (driver) {
    const rate = driver.lines / (driver.ms / 1000);
    const complete = driver.lines >= lines;
    const verdict = complete && rate >= targetEventsPerSecond ? "MET" : "NOT MET";
    console.log(`\ntarget: ≥ ${targetEventsPerSecond} events/s ingested through the driver: ${verdict} (${fixed(rate, 0)} events/s${complete ? "" : `; only ${driver.lines} of ${lines} lines arrived`})`);
  }
}

await main();
