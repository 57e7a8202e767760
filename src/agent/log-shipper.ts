// The awslogs seam: follows the Docker logs of this agent's containers that carry
// `berth.awslogs` and ships them to the control plane's CloudWatch Logs API, with
// each container's acknowledged position kept on disk so nothing is lost or sent
// twice across agent or control-plane restarts.
//
//   Docker events/list ─► Follower per container
//     read:  logs(follow, timestamps, since) ─ EntryParser ─ ResumeFilter ─ lines ─ EventJoiner ─ EventQueue
//     ship:  every flushInterval (or when a batch is full) takeBatch ─ checkpoint(inFlight) ─ PutLogEvents (retried)
//            ─ checkpoint(acked)

import type { Logger } from "pino";
import { AwsJsonClient } from "../aws-client/aws-json-client.js";
import { logsApi, type Operations as LogsOperations, type RejectedLogEventsInfo } from "../model/generated/logs.js";
import { labels, taskId } from "./container-config.js";
import { DockerEngine } from "./docker-engine.js";
import { DockerEngineRuntime } from "./docker-engine-runtime.js";
import type { DockerRuntime, RuntimeEvent } from "./docker-runtime.js";
import { batchIsFull, EventJoiner, EventQueue, maxBatchBytes, maxBatchEvents, startPattern, takeBatch, type LogLine } from "./log-batcher.js";
import {
  advance,
  CheckpointStore,
  parseDockerTimestamp,
  ResumeFilter,
  sinceParam,
  startOfLog,
  type Checkpoint,
  type LogPosition,
} from "./log-checkpoints.js";

// ---------------------------------------------------------------------------
// Settings from the container's label

export interface AwslogsTarget {
  readonly group: string;
  /** awslogs-region: where the group is; default the agent's region. */
  readonly region?: string;
  readonly stream: string;
  readonly createGroup: boolean;
  readonly mode: "blocking" | "non-blocking";
  /** Non-blocking mode: bytes of messages held before the oldest are dropped (Docker's default 1 MiB). */
  readonly maxBufferSize: number;
  readonly datetimeFormat?: string;
  readonly multilinePattern?: string;
}

/** Docker's size syntax (`4k`, `1m`, `2MiB`, `512`), binary units. */
export function parseByteSize(value: string | undefined, fallback: number): number {
  if (!value) return fallback;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value);
  if (!m) return fallback;
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[(m[2] ?? "").toLowerCase()] ?? 1;
  return Math.floor(Number(m[1]) * unit);
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/**
 * Where a container's log goes, from its labels: the `berth.awslogs` JSON (the
 * engine's `{group, region, stream?, createGroup, options}`; flat fields such as
 * `streamPrefix`, `mode`, `maxBufferSize` are read too) and the task labels.
 * The stream is ECS's `prefix/container-name/task-id`, else `awslogs-stream`, else
 * the container id (as the awslogs driver names it without a prefix).
 */
export function awslogsTarget(containerLabels: Readonly<Record<string, string>>, containerId: string): AwslogsTarget | undefined {
  const raw = containerLabels[labels.awslogs];
  if (!raw) return undefined;
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const options = (typeof s["options"] === "object" && s["options"] !== null ? s["options"] : {}) as Record<string, unknown>;
  const opt = (flat: string, name: string): string | undefined => str(s[flat]) ?? str(options[name]);
  const group = opt("group", "awslogs-group");
  if (!group) return undefined;
  const prefix = opt("streamPrefix", "awslogs-stream-prefix");
  const container = containerLabels[labels.containerName] ?? "";
  const arn = containerLabels[labels.taskArn] ?? "";
  const stream =
    str(s["stream"]) ?? (prefix && arn ? `${prefix}/${container}/${taskId(arn)}` : undefined) ?? str(options["awslogs-stream"]) ?? containerId;
  const createGroup = s["createGroup"] === true || options["awslogs-create-group"] === "true";
  const mode = opt("mode", "mode") === "non-blocking" ? "non-blocking" : "blocking";
  const maxBuffer = s["maxBufferSize"];
  const datetimeFormat = opt("datetimeFormat", "awslogs-datetime-format");
  const multilinePattern = opt("multilinePattern", "awslogs-multiline-pattern");
  const region = opt("region", "awslogs-region");
  return {
    group,
    ...(region ? { region } : {}),
    stream,
    createGroup,
    mode,
    maxBufferSize: typeof maxBuffer === "number" ? maxBuffer : parseByteSize(str(maxBuffer) ?? str(options["max-buffer-size"]), 1024 * 1024),
    ...(datetimeFormat ? { datetimeFormat } : {}),
    ...(multilinePattern ? { multilinePattern } : {}),
  };
}

// ---------------------------------------------------------------------------
// Docker's log stream

/** One entry of Docker's log (a line, or a piece of one over 16 KiB), as `docker logs --timestamps` sends it. */
export interface LogEntry {
  readonly ns: bigint;
  readonly stream: "stdout" | "stderr";
  /** Without the timestamp and the newline. */
  readonly payload: Buffer;
  /** Docker cut a long line here; the next entry of the same stream continues it. */
  readonly partial: boolean;
}

/**
 * Parses the body of `GET /containers/{id}/logs?timestamps=1`: 8-byte frame headers
 * (stream, length) for containers without a TTY, plain lines with one.
 */
export class EntryParser {
  private buffered: Buffer = Buffer.alloc(0);
  constructor(private readonly tty: boolean) {}

  push(chunk: Buffer): LogEntry[] {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const out: LogEntry[] = [];
    if (this.tty) {
      let nl: number;
      while ((nl = this.buffered.indexOf(0x0a)) >= 0) {
        const line = this.buffered.subarray(0, nl);
        this.buffered = this.buffered.subarray(nl + 1);
        const e = entry(line, "stdout", false);
        if (e) out.push(e);
      }
      return out;
    }
    while (this.buffered.length >= 8) {
      const size = this.buffered.readUInt32BE(4);
      if (this.buffered.length < 8 + size) break;
      const kind = this.buffered[0] === 2 ? "stderr" : "stdout";
      let payload = this.buffered.subarray(8, 8 + size);
      this.buffered = this.buffered.subarray(8 + size);
      const complete = payload.length > 0 && payload[payload.length - 1] === 0x0a;
      if (complete) payload = payload.subarray(0, payload.length - 1);
      const e = entry(payload, kind, !complete);
      if (e) out.push(e);
    }
    return out;
  }
}

function entry(raw: Buffer, stream: "stdout" | "stderr", partial: boolean): LogEntry | undefined {
  const space = raw.indexOf(0x20);
  const tsText = (space < 0 ? raw : raw.subarray(0, space)).toString("latin1");
  const ns = parseDockerTimestamp(tsText);
  if (ns === undefined) return undefined;
  let payload = space < 0 ? Buffer.alloc(0) : raw.subarray(space + 1);
  // A TTY ends lines with \r\n.
  if (!partial && payload.length && payload[payload.length - 1] === 0x0d) payload = payload.subarray(0, payload.length - 1);
  return { ns, stream, payload, partial };
}

// ---------------------------------------------------------------------------
// The two boundaries: Docker (where logs come from) and CloudWatch Logs (where they go)

export interface LogContainer {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface LogSource {
  /** This agent's containers with `berth.awslogs`. */
  list(signal: AbortSignal): Promise<readonly LogContainer[]>;
  /** Their events; resolves once subscribed. */
  events(signal: AbortSignal): Promise<AsyncIterable<RuntimeEvent>>;
  /** Undefined when the container is gone. */
  inspect(id: string, signal: AbortSignal): Promise<{ readonly running: boolean; readonly tty: boolean } | undefined>;
  /** The raw log body from `since` (Docker's `since` value), following while the container runs. */
  logs(id: string, since: string, signal: AbortSignal): Promise<AsyncIterable<Buffer>>;
}

export function dockerLogSource(agentId: string, runtime: DockerRuntime, docker: DockerEngine): LogSource {
  const filter = { [labels.agent]: agentId, [labels.awslogs]: true } as const;
  return {
    list: (signal) => runtime.listContainers(filter, signal),
    events: (signal) => runtime.events(filter, signal),
    async inspect(id, signal) {
      try {
        const raw = await docker.json<{ State: { Running: boolean; Restarting: boolean }; Config: { Tty: boolean } }>({
          method: "GET",
          path: `/containers/${encodeURIComponent(id)}/json`,
          signal,
          timeoutMs: 30_000,
        });
        return { running: raw.State.Running || raw.State.Restarting, tty: raw.Config.Tty };
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      }
    },
    async logs(id, since, signal) {
      const stream = await docker.request({
        method: "GET",
        path: `/containers/${encodeURIComponent(id)}/logs`,
        query: { follow: true, stdout: true, stderr: true, timestamps: true, since },
        signal,
      });
      const onAbort = (): void => void stream.destroy();
      signal.addEventListener("abort", onAbort, { once: true });
      return (async function* () {
        try {
          for await (const chunk of stream) yield chunk as Buffer;
        } catch (err) {
          if (!signal.aborted) throw err;
        } finally {
          signal.removeEventListener("abort", onAbort);
          stream.destroy();
        }
      })();
    },
  };
}

export interface LogSink {
  /** ResourceAlreadyExistsException is success. */
  createLogGroup(group: string, signal: AbortSignal): Promise<void>;
  createLogStream(group: string, stream: string, signal: AbortSignal): Promise<void>;
  putLogEvents(
    group: string,
    stream: string,
    events: readonly { readonly timestamp: number; readonly message: string }[],
    signal: AbortSignal,
  ): Promise<RejectedLogEventsInfo | undefined>;
  /** The stream's lastEventTimestamp, undefined when it has no event (or does not exist). */
  lastEventTimestamp(group: string, stream: string, signal: AbortSignal): Promise<number | undefined>;
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : "";
}

export function cloudWatchLogSink(client: AwsJsonClient<LogsOperations>): LogSink {
  const ignoreExists = (err: unknown): void => {
    if (errorName(err) !== "ResourceAlreadyExistsException") throw err;
  };
  return {
    async createLogGroup(group, signal) {
      await client.call("CreateLogGroup", { logGroupName: group }, signal).catch(ignoreExists);
    },
    async createLogStream(group, stream, signal) {
      await client.call("CreateLogStream", { logGroupName: group, logStreamName: stream }, signal).catch(ignoreExists);
    },
    async putLogEvents(group, stream, events, signal) {
      const out = await client.call("PutLogEvents", { logGroupName: group, logStreamName: stream, logEvents: events }, signal);
      return out.rejectedLogEventsInfo;
    },
    async lastEventTimestamp(group, stream, signal) {
      try {
        const out = await client.call("DescribeLogStreams", { logGroupName: group, logStreamNamePrefix: stream }, signal);
        return out.logStreams?.find((s) => s.logStreamName === stream)?.lastEventTimestamp;
      } catch (err) {
        if (errorName(err) === "ResourceNotFoundException") return undefined;
        throw err;
      }
    },
  };
}

// ---------------------------------------------------------------------------
// The shipper

export interface LogShipperOptions {
  readonly agentId: string;
  /** Lists containers and follows Docker events; default: a DockerEngineRuntime on `docker`. */
  readonly runtime?: DockerRuntime;
  /** Reads logs; default: the local Docker Engine. */
  readonly docker?: DockerEngine;
  /** The control plane's URL (its CloudWatch Logs API). */
  readonly endpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly region: string;
  /** The agent's data directory; checkpoints live in `log-checkpoints/` under it. */
  readonly dataDir: string;
  readonly logger: Logger;
  /** How often a container's queued events are sent (unless a batch is full first). Default 250 ms. */
  readonly flushIntervalMs?: number;
  /** How long a joined (multiline) event waits for its next line. Default 1 s. */
  readonly multilineFlushMs?: number;
  /** How long `stop()` keeps sending what was read. Default 5 s. */
  readonly drainTimeoutMs?: number;
  /** Test seams. */
  readonly source?: LogSource;
  readonly sink?: LogSink;
}

export interface RunningLogShipper {
  /** Stops reading, sends what was read (for up to drainTimeoutMs), keeps the checkpoints. */
  stop(): Promise<void>;
  /** Stops at once, as a crash would: nothing more is sent or saved. For tests. */
  crash(): Promise<void>;
}

interface ShipperContext {
  readonly source: LogSource;
  /** Where a group of that region (undefined: the agent's) is written. */
  sinkFor(region: string | undefined): LogSink;
  readonly checkpoints: CheckpointStore;
  readonly logger: Logger;
  readonly flushIntervalMs: number;
  readonly multilineFlushMs: number;
  /** Aborts everything: crash, or the end of the drain. */
  readonly hard: AbortSignal;
  /** Aborts reading: stop(). */
  readonly soft: AbortSignal;
}

export async function startLogShipper(opts: LogShipperOptions): Promise<RunningLogShipper> {
  const docker = opts.docker ?? new DockerEngine();
  const runtime = opts.runtime ?? new DockerEngineRuntime({ engine: docker });
  // One client per region a task's awslogs-region names, each signing for it.
  const clients = new Map<string, AwsJsonClient<LogsOperations>>();
  const sinks = new Map<string, LogSink>();
  const sinkFor = (region = opts.region): LogSink => {
    if (opts.sink) return opts.sink;
    let sink = sinks.get(region);
    if (!sink) {
      const client = new AwsJsonClient<LogsOperations>(logsApi, {
        endpoint: opts.endpoint,
        region,
        credentials: { accessKeyId: opts.credentials.accessKeyId, secretAccessKey: opts.credentials.secretAccessKey },
        // The shipper retries itself, forever, with its own backoff.
        maxAttempts: 1,
      });
      clients.set(region, client);
      sinks.set(region, (sink = cloudWatchLogSink(client)));
    }
    return sink;
  };
  const closeClients = (): void => {
    for (const client of clients.values()) client.close();
  };
  const hard = new AbortController();
  const soft = new AbortController();
  const ctx: ShipperContext = {
    source: opts.source ?? dockerLogSource(opts.agentId, runtime, docker),
    sinkFor,
    checkpoints: new CheckpointStore(opts.dataDir),
    logger: opts.logger,
    flushIntervalMs: opts.flushIntervalMs ?? 250,
    multilineFlushMs: opts.multilineFlushMs ?? 1000,
    hard: hard.signal,
    soft: AbortSignal.any([soft.signal, hard.signal]),
  };
  const shipper = new Shipper(ctx);
  await shipper.start();
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        soft.abort();
        const timer = setTimeout(() => hard.abort(), opts.drainTimeoutMs ?? 5000);
        await shipper.finished();
        clearTimeout(timer);
        hard.abort();
        closeClients();
      })();
      return stopping;
    },
    async crash() {
      hard.abort();
      soft.abort();
      await shipper.finished();
      closeClients();
    },
  };
}

class Shipper {
  private readonly followers = new Map<string, Follower>();
  /** Containers started again while their previous follower was still draining. */
  private readonly again = new Map<string, Readonly<Record<string, string>>>();
  private eventLoop: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: ShipperContext) {}

  async start(): Promise<void> {
    const events = await this.subscribeAndList();
    this.eventLoop = this.followEvents(events);
  }

  async finished(): Promise<void> {
    await this.eventLoop;
    while (this.followers.size) await Promise.all([...this.followers.values()].map((f) => f.done));
  }

  /** Subscribes first, then lists, so no container started in between is missed. */
  private async subscribeAndList(): Promise<AsyncIterable<RuntimeEvent>> {
    const events = await this.ctx.source.events(this.ctx.soft);
    const containers = await this.ctx.source.list(this.ctx.soft);
    for (const c of containers) this.follow(c.id, c.labels);
    // Checkpoints of containers removed while the agent was down.
    const present = new Set(containers.map((c) => c.id));
    for (const id of await this.ctx.checkpoints.list()) if (!present.has(id)) await this.ctx.checkpoints.remove(id);
    return events;
  }

  private async followEvents(first: AsyncIterable<RuntimeEvent>): Promise<void> {
    let events = first;
    let backoff = 250;
    while (!this.ctx.soft.aborted) {
      try {
        for await (const e of events) {
          backoff = 250;
          if (e.action === "create" || e.action === "start" || e.action === "restart") this.follow(e.containerId, e.labels);
          else if (e.action === "destroy") this.removed(e.containerId);
        }
      } catch (err) {
        if (this.ctx.soft.aborted) return;
        this.ctx.logger.warn({ err }, "log shipper: Docker events broke; subscribing again");
      }
      if (this.ctx.soft.aborted) return;
      await sleep(backoff, this.ctx.soft);
      backoff = Math.min(backoff * 2, 10_000);
      try {
        events = await this.subscribeAndList();
      } catch (err) {
        if (!this.ctx.soft.aborted) this.ctx.logger.warn({ err }, "log shipper: Docker unreachable");
        events = (async function* () {})();
      }
    }
  }

  private follow(id: string, containerLabels: Readonly<Record<string, string>>): void {
    if (this.ctx.soft.aborted) return;
    if (this.followers.has(id)) {
      // The follower may be deciding, right now, that the container stopped: once it is
      // done, another one reads on from the saved checkpoint (finding nothing, at worst).
      this.again.set(id, containerLabels);
      return;
    }
    const target = awslogsTarget(containerLabels, id);
    if (!target) return;
    const follower = new Follower(id, target, this.ctx);
    this.followers.set(id, follower);
    void follower.done.then(() => {
      this.followers.delete(id);
      const again = this.again.get(id);
      this.again.delete(id);
      if (follower.containerRemoved) void this.ctx.checkpoints.remove(id).catch(() => {});
      else if (again) this.follow(id, again);
    });
  }

  private removed(id: string): void {
    this.again.delete(id);
    const f = this.followers.get(id);
    if (f) f.remove();
    else void this.ctx.checkpoints.remove(id).catch(() => {});
  }
}

/** A wake-up for loops that wait on each other. */
class Notifier {
  private waiters: (() => void)[] = [];
  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  wait(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      this.waiters.push(done);
    });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Notifier().wait(ms, signal);
}

/** Blocking mode: reading pauses beyond this much queued (two full batches). */
const blockingQueueEvents = 2 * maxBatchEvents;
const blockingQueueBytes = 2 * maxBatchBytes;

/**
 * One container: a reader and a sender around one queue.
 *
 * Invariant: the checkpoint's `acked` position only moves to the end of a batch
 * PutLogEvents accepted (or, after a crash, that DescribeLogStreams shows landed);
 * the reader's position is never saved.
 */
class Follower {
  readonly done: Promise<void>;
  containerRemoved = false;
  private readonly queue = new EventQueue();
  private readonly joiner: EventJoiner;
  private readonly wake = new Notifier();
  private readonly stopReading = new AbortController();
  private readonly readSignal: AbortSignal;
  private checkpoint: Checkpoint = { acked: startOfLog, lastEventMs: 0 };
  /** Events of the queue's front that are in flight (never dropped). */
  private inFlight = 0;
  private reportedDrops = 0;
  private readingDone = false;
  private readonly log: Logger;

  constructor(
    readonly id: string,
    private readonly target: AwslogsTarget,
    private readonly ctx: ShipperContext,
  ) {
    this.log = ctx.logger.child({ container: id.slice(0, 12), logGroup: target.group, logStream: target.stream });
    this.joiner = new EventJoiner(startPattern(target));
    this.readSignal = AbortSignal.any([ctx.soft, this.stopReading.signal]);
    this.done = this.run().catch((err: unknown) => {
      if (!ctx.hard.aborted) this.log.error({ err }, "log shipping failed");
    });
  }

  /** The container was removed: stop reading, send what was read. */
  remove(): void {
    this.containerRemoved = true;
    this.stopReading.abort();
  }

  private async run(): Promise<void> {
    const saved = await this.ctx.checkpoints.load(this.id);
    if (saved) this.checkpoint = saved;
    await this.ensureStream();
    if (this.checkpoint.inFlight) await this.settleInFlight(this.checkpoint.inFlight);
    await Promise.all([this.read(), this.send()]);
  }

  /** After a crash: the batch sent last landed iff the stream's last event is at least its last timestamp. */
  private async settleInFlight(inFlight: NonNullable<Checkpoint["inFlight"]>): Promise<void> {
    const last = await this.retrying("DescribeLogStreams", (signal) => this.ctx.sinkFor(this.target.region).lastEventTimestamp(this.target.group, this.target.stream, signal));
    if (last === "aborted") return;
    const landed = last !== undefined && last >= inFlight.lastEventMs;
    this.log.info({ landed }, "settled the batch in flight at the last stop");
    this.checkpoint = landed
      ? { acked: inFlight.end, lastEventMs: inFlight.lastEventMs }
      : { acked: this.checkpoint.acked, lastEventMs: this.checkpoint.lastEventMs };
    await this.ctx.checkpoints.save(this.id, this.checkpoint);
  }

  private async ensureStream(): Promise<void> {
    await this.retrying("CreateLogStream", async (signal) => {
      if (this.target.createGroup) await this.ctx.sinkFor(this.target.region).createLogGroup(this.target.group, signal);
      await this.ctx.sinkFor(this.target.region).createLogStream(this.target.group, this.target.stream, signal);
    });
  }

  /** Runs `call` until it succeeds, backing off while the control plane is unreachable or refuses. */
  private async retrying<T>(what: string, call: (signal: AbortSignal) => Promise<T>): Promise<T | "aborted"> {
    let backoff = 200;
    let warned = false;
    for (;;) {
      if (this.ctx.hard.aborted) return "aborted";
      try {
        return await call(AbortSignal.any([this.ctx.hard, AbortSignal.timeout(30_000)]));
      } catch (err) {
        if (this.ctx.hard.aborted) return "aborted";
        if (!warned) this.log.warn({ err }, `${what} failed; retrying`);
        warned = true;
        if (errorName(err) === "ResourceNotFoundException" && what === "PutLogEvents") {
          // The group or stream was deleted under us: make them again, then resend.
          await this.ensureStream();
          continue;
        }
        if (errorName(err) === "InvalidParameterException" && what === "PutLogEvents") throw new BatchRefused(err);
      }
      await sleep(backoff * (0.75 + Math.random() / 2), this.ctx.hard);
      backoff = Math.min(backoff * 2, 10_000);
    }
  }

  // --- reading

  private async read(): Promise<void> {
    // Where the next `docker logs` starts: the end of the last complete line handed to the joiner.
    let resume = this.checkpoint.acked;
    let backoff = 500;
    try {
      for (;;) {
        if (this.readSignal.aborted) break;
        try {
          await this.readOnce(resume, (p) => (resume = p));
          backoff = 500;
        } catch (err) {
          if (this.readSignal.aborted) break;
          this.log.warn({ err }, "reading the container's log failed; reading on");
          backoff = Math.min(backoff * 2, 10_000);
        }
        if (this.readSignal.aborted) break;
        // The stream ends when the container stops (its log is then drained) or Docker drops it.
        const after = await this.inspectRetrying();
        if (!after?.running) break;
        await sleep(backoff, this.readSignal);
      }
    } finally {
      this.queue.push(...this.joiner.flush());
      this.readingDone = true;
      this.wake.notify();
    }
  }

  /** Undefined once the container is gone (or reading is stopped); Docker errors are retried. */
  private async inspectRetrying(): Promise<{ readonly running: boolean } | undefined> {
    let backoff = 500;
    for (;;) {
      if (this.readSignal.aborted) return undefined;
      try {
        return await this.ctx.source.inspect(this.id, this.readSignal);
      } catch (err) {
        if (this.readSignal.aborted) return undefined;
        this.log.warn({ err }, "inspecting the container failed; retrying");
      }
      await sleep(backoff, this.readSignal);
      backoff = Math.min(backoff * 2, 10_000);
    }
  }

  /**
   * One `docker logs --follow` from `resume`; `completed` hears the position of each
   * complete line handed to the joiner (a Docker partial entry is not complete).
   */
  private async readOnce(resume: LogPosition, completed: (pos: LogPosition) => void): Promise<void> {
    const info = await this.ctx.source.inspect(this.id, this.readSignal);
    if (!info) return;
    const parser = new EntryParser(info.tty);
    const filter = new ResumeFilter(resume);
    let pos = resume;
    const partial: Record<"stdout" | "stderr", { pieces: Buffer[]; before: LogPosition } | undefined> = { stdout: undefined, stderr: undefined };
    const body = await this.ctx.source.logs(this.id, sinceParam(resume), this.readSignal);
    for await (const chunk of body) {
      for (const e of parser.push(chunk)) {
        if (filter.skip(e.ns)) continue;
        const before = pos;
        pos = advance(pos, e.ns);
        const open = partial[e.stream];
        if (e.partial) {
          if (open) open.pieces.push(e.payload);
          else partial[e.stream] = { pieces: [e.payload], before };
          continue;
        }
        partial[e.stream] = undefined;
        const text = (open ? Buffer.concat([...open.pieces, e.payload]) : e.payload).toString("utf8");
        const line: LogLine = { timestampMs: Number(e.ns / 1_000_000n), text, end: pos, before: open?.before ?? before };
        this.queue.push(...this.joiner.push(line, Date.now()));
        completed(pos);
      }
      this.wake.notify();
      await this.backpressure();
      if (this.readSignal.aborted) break;
    }
  }

  private async backpressure(): Promise<void> {
    if (this.target.mode === "non-blocking") {
      this.queue.dropOldestBeyond(this.target.maxBufferSize, this.inFlight);
      return;
    }
    // Blocking: read only as fast as we ship (Docker keeps the rest in its json-file).
    while (!this.readSignal.aborted && (this.queue.length >= blockingQueueEvents || this.queue.bytes >= blockingQueueBytes)) {
      await this.wake.wait(1000, this.readSignal);
    }
  }

  // --- sending

  private async send(): Promise<void> {
    let lastSend = 0;
    for (;;) {
      if (this.ctx.hard.aborted) return;
      this.queue.push(...this.joiner.flushIfIdle(Date.now(), this.ctx.multilineFlushMs));
      if (this.queue.length === 0) {
        if (this.readingDone) return;
        await this.wake.wait(this.ctx.flushIntervalMs, this.ctx.hard);
        continue;
      }
      const due = lastSend + this.ctx.flushIntervalMs - Date.now();
      if (due > 0 && !batchIsFull(this.queue) && !this.readingDone) {
        await this.wake.wait(due, this.ctx.hard);
        continue;
      }
      const batch = takeBatch(this.queue.peek(), this.checkpoint.lastEventMs);
      if (!batch) continue;
      lastSend = Date.now();
      this.inFlight = batch.count;
      await this.ctx.checkpoints.save(this.id, { ...this.checkpoint, inFlight: { end: batch.end, lastEventMs: batch.lastTimestamp } });
      if (this.ctx.hard.aborted) return;
      let rejected: RejectedLogEventsInfo | undefined;
      try {
        const out = await this.retrying("PutLogEvents", (signal) => this.ctx.sinkFor(this.target.region).putLogEvents(this.target.group, this.target.stream, batch.events, signal));
        if (out === "aborted") return;
        rejected = out;
      } catch (err) {
        if (!(err instanceof BatchRefused)) throw err;
        // Berth's batches follow the rules; a refusal cannot be cured by resending, so the batch is skipped.
        this.log.error({ err: err.cause, events: batch.count }, "PutLogEvents refused a batch; its events are dropped");
      }
      if (rejected) this.log.warn({ rejected }, "PutLogEvents rejected some events (too old, expired or too new)");
      this.checkpoint = { acked: batch.end, lastEventMs: batch.lastTimestamp };
      await this.ctx.checkpoints.save(this.id, this.checkpoint);
      this.queue.shift(batch.count);
      this.inFlight = 0;
      if (this.queue.dropped > this.reportedDrops) {
        this.log.warn({ dropped: this.queue.dropped - this.reportedDrops, total: this.queue.dropped }, "non-blocking mode: log events dropped (max-buffer-size)");
        this.reportedDrops = this.queue.dropped;
      }
      this.wake.notify();
    }
  }
}

class BatchRefused extends Error {
  override readonly name = "BatchRefused";
  constructor(override readonly cause: unknown) {
    super("PutLogEvents refused the batch");
  }
}
