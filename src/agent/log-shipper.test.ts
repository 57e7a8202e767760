import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import pino from "pino";
import { labels } from "./container-config.js";
import type { RuntimeEvent } from "./docker-runtime.js";
import { awslogsTarget, EntryParser, parseByteSize, startLogShipper, type LogSink, type LogSource } from "./log-shipper.js";
import { waitUntil } from "../../test/kit/agent/docker-test-support.js";

const quiet = pino({ level: "silent" });
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), "berth-shipper-"));
  dirs.push(d);
  return d;
}

function iso(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().replace(/\.\d{3}Z$/, `.${String(ns % 1_000_000_000n).padStart(9, "0")}Z`);
}

function frame(stream: 1 | 2, payload: string): Buffer {
  const body = Buffer.from(payload, "utf8");
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** One container whose json-file log the test appends to, served as Docker serves it. */
class FakeContainer {
  readonly entries: { ns: bigint; text: string }[] = [];
  running = true;
  private waiters: (() => void)[] = [];
  constructor(readonly id: string, readonly labels: Record<string, string>) {}

  write(ns: bigint, text: string): void {
    this.entries.push({ ns, text });
    this.kick();
  }
  stop(): void {
    this.running = false;
    this.kick();
  }
  private kick(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  async *logs(sinceNs: bigint, signal: AbortSignal): AsyncIterable<Buffer> {
    let i = 0;
    for (;;) {
      while (i < this.entries.length) {
        const e = this.entries[i++];
        if (e && e.ns >= sinceNs) yield frame(1, `${iso(e.ns)} ${e.text}\n`);
      }
      if (!this.running || signal.aborted) return;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
    }
  }
}

function fakeSource(c: FakeContainer): LogSource {
  return {
    list: () => Promise.resolve([{ id: c.id, labels: c.labels }]),
    events: (signal) =>
      Promise.resolve(
        (async function* (): AsyncIterable<RuntimeEvent> {
          // No events: the listing finds the container; the stream just stays open until the shipper stops.
          await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
          yield* [];
        })(),
      ),
    inspect: () => Promise.resolve({ running: c.running, tty: false }),
    logs: (_id, since, signal) => {
      const [s = "0", f = ""] = since.split(".");
      return Promise.resolve(c.logs(BigInt(s) * 1_000_000_000n + BigInt(f.padEnd(9, "0")), signal));
    },
  };
}

/** A Logs API that can be down (every call fails as an unreachable endpoint does) or hold PutLogEvents. */
class FakeSink implements LogSink {
  down = false;
  held: Promise<void> | undefined;
  readonly events: { timestamp: number; message: string }[] = [];
  puts = 0;
  private fail(): void {
    if (this.down) throw Object.assign(new Error("connect ECONNREFUSED"), { name: "Error", code: "ECONNREFUSED" });
  }
  createLogGroup(): Promise<void> {
    this.fail();
    return Promise.resolve();
  }
  createLogStream(): Promise<void> {
    this.fail();
    return Promise.resolve();
  }
  async putLogEvents(_g: string, _s: string, events: readonly { timestamp: number; message: string }[]): Promise<undefined> {
    if (this.held) await this.held;
    this.fail();
    this.puts++;
    this.events.push(...events);
    return undefined;
  }
  lastEventTimestamp(): Promise<number | undefined> {
    this.fail();
    return Promise.resolve(this.events.at(-1)?.timestamp);
  }
}

function container(options: Record<string, string> = {}): FakeContainer {
  return new FakeContainer("c0ffee", {
    [labels.agent]: "a1",
    [labels.taskArn]: "arn:aws:ecs:us-east-1:000000000000:task/c/0123abcd",
    [labels.containerName]: "web",
    [labels.awslogs]: JSON.stringify({ group: "/g", region: "us-east-1", createGroup: true, options: { "awslogs-group": "/g", "awslogs-stream-prefix": "p", ...options } }),
  });
}

const base = 1_763_780_000_000_000_000n;

function start(c: FakeContainer, sink: FakeSink, dir: string, over: { drainTimeoutMs?: number } = {}) {
  return startLogShipper({
    agentId: "a1",
    endpoint: "http://unused",
    credentials: { accessKeyId: "x", secretAccessKey: "y" },
    region: "us-east-1",
    dataDir: dir,
    logger: quiet,
    flushIntervalMs: 20,
    source: fakeSource(c),
    sink,
    ...over,
  });
}

describe("LogShipper (fake Docker and Logs API)", () => {
  it("keeps retrying while the Logs API is unreachable, then sends everything once", async () => {
    const c = container();
    const sink = new FakeSink();
    sink.down = true;
    // Runs of equal timestamps, as a fast writer makes them.
    for (let i = 1; i <= 60; i++) c.write(base + BigInt(Math.floor(i / 4)), `line ${i}`);
    const shipper = await start(c, sink, dataDir());
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(sink.events.length, 0);
    sink.down = false;
    await waitUntil("60 events", () => (sink.events.length >= 60 ? true : undefined), 15_000, 20);
    for (let i = 61; i <= 80; i++) c.write(base + 1_000_000n + BigInt(i), `line ${i}`);
    await waitUntil("80 events", () => (sink.events.length >= 80 ? true : undefined), 5_000, 20);
    await shipper.stop();
    assert.deepEqual(
      sink.events.map((e) => e.message),
      Array.from({ length: 80 }, (_, i) => `line ${i + 1}`),
    );
  });

  it("across a control-plane outage and an agent restart: resumes from the checkpoint, nothing twice", async () => {
    const c = container();
    const sink = new FakeSink();
    const dir = dataDir();
    for (let i = 1; i <= 30; i++) c.write(base + BigInt(Math.floor(i / 3)), `line ${i}`);
    let shipper = await start(c, sink, dir, { drainTimeoutMs: 200 });
    await waitUntil("30 events", () => (sink.events.length >= 30 ? true : undefined), 5_000, 20);
    sink.down = true;
    for (let i = 31; i <= 50; i++) c.write(base + 100n + BigInt(Math.floor(i / 3)), `line ${i}`);
    await new Promise((r) => setTimeout(r, 200));
    // Stopped while the control plane is away: the drain gives up, the checkpoint stays at 30.
    await shipper.stop();
    sink.down = false;
    for (let i = 51; i <= 60; i++) c.write(base + 200n, `line ${i}`);
    shipper = await start(c, sink, dir);
    await waitUntil("60 events", () => (sink.events.length >= 60 ? true : undefined), 5_000, 20);
    c.stop();
    await new Promise((r) => setTimeout(r, 100));
    await shipper.stop();
    assert.deepEqual(
      sink.events.map((e) => e.message),
      Array.from({ length: 60 }, (_, i) => `line ${i + 1}`),
    );
    for (let i = 1; i < sink.events.length; i++) assert.ok((sink.events[i]?.timestamp ?? 0) > 0 && (sink.events[i]?.timestamp ?? 0) >= (sink.events[i - 1]?.timestamp ?? 0));
  });

  it("non-blocking mode drops the oldest events beyond max-buffer-size and keeps the newest", async () => {
    const c = container({ mode: "non-blocking", "max-buffer-size": "100" });
    const sink = new FakeSink();
    let release = (): void => {};
    c.write(base, "first");
    sink.held = new Promise<void>((r) => (release = r));
    const shipper = await start(c, sink, dataDir());
    await new Promise((r) => setTimeout(r, 100));
    // While "first" is in flight, 100 lines of 10 bytes arrive: only ~100 bytes are kept.
    for (let i = 1; i <= 100; i++) c.write(base + BigInt(i), `line ${String(i).padStart(5, "0")}`);
    await new Promise((r) => setTimeout(r, 100));
    sink.held = undefined;
    release();
    await waitUntil("the newest line", () => (sink.events.some((e) => e.message === "line 00100") ? true : undefined), 5_000, 20);
    c.stop();
    await shipper.stop();
    const messages = sink.events.map((e) => e.message);
    assert.equal(messages[0], "first");
    assert.ok(messages.length < 30, `kept ${messages.length}`);
    assert.deepEqual(messages.slice(-3), ["line 00098", "line 00099", "line 00100"]);
  });
});

describe("EntryParser", () => {
  it("reads multiplexed frames split anywhere, both streams, and Docker's partial entries", () => {
    const p = new EntryParser(false);
    const bytes = Buffer.concat([
      frame(1, "2026-11-22T03:14:46.000000001Z hello\n"),
      frame(2, "2026-11-22T03:14:46.000000002Z oops\n"),
      frame(1, "2026-11-22T03:14:46.000000003Z part-"),
      frame(1, "2026-11-22T03:14:46.000000004Z end\n"),
    ]);
    const out = [...p.push(bytes.subarray(0, 5)), ...p.push(bytes.subarray(5, 50)), ...p.push(bytes.subarray(50))];
    assert.deepEqual(
      out.map((e) => [e.stream, e.payload.toString(), e.partial, e.ns % 10n]),
      [
        ["stdout", "hello", false, 1n],
        ["stderr", "oops", false, 2n],
        ["stdout", "part-", true, 3n],
        ["stdout", "end", false, 4n],
      ],
    );
  });

  it("reads a TTY's plain lines", () => {
    const p = new EntryParser(true);
    const out = [...p.push(Buffer.from("2026-11-22T03:14:46.000000001Z a\r\n2026-11-22T03:14:46.0000")), ...p.push(Buffer.from("00002Z b\r\n"))];
    assert.deepEqual(
      out.map((e) => e.payload.toString()),
      ["a", "b"],
    );
  });
});

describe("awslogsTarget", () => {
  it("names the stream prefix/container/task-id from the engine's label", () => {
    const t = awslogsTarget(container().labels, "c0ffee");
    assert.deepEqual(t, { group: "/g", region: "us-east-1", stream: "p/web/0123abcd", createGroup: true, mode: "blocking", maxBufferSize: 1024 * 1024 });
  });

  it("reads flat fields and falls back to the container id without a prefix", () => {
    const t = awslogsTarget(
      { [labels.awslogs]: JSON.stringify({ group: "/g", createGroup: false, mode: "non-blocking", maxBufferSize: 4096, multilinePattern: "^x" }) },
      "abc",
    );
    assert.deepEqual(t, { group: "/g", stream: "abc", createGroup: false, mode: "non-blocking", maxBufferSize: 4096, multilinePattern: "^x" });
    assert.equal(awslogsTarget({ [labels.awslogs]: "{not json" }, "abc"), undefined);
    assert.equal(awslogsTarget({}, "abc"), undefined);
  });

  it("parses Docker's sizes", () => {
    assert.equal(parseByteSize("4k", 0), 4096);
    assert.equal(parseByteSize("1m", 0), 1024 * 1024);
    assert.equal(parseByteSize("2MiB", 0), 2 * 1024 * 1024);
    assert.equal(parseByteSize("512", 0), 512);
    assert.equal(parseByteSize("lots", 7), 7);
  });
});
