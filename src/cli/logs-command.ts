// `berth logs TASK` / `berth logs --service NAME`: a task's awslogs streams read
// back through GetLogEvents, like `docker logs [-f]`.
//
//   ListTasks/DescribeTasks ─► DescribeTaskDefinition ─► one Source per awslogs container
//     every poll: GetLogEvents(startFromHead, nextForwardToken) per source ─ interleave ─ print
//     --follow: repeat every ~500 ms, picking up the service's new tasks

import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  type ContainerDefinition,
  type Task,
} from "@aws-sdk/client-ecs";
import { readInstanceInfo } from "./instance-file.js";

// ---------------------------------------------------------------------------
// Pure parts

/** ECS's awslogs stream name: `prefix/container-name/task-id`. */
export function awslogsStreamName(prefix: string, containerName: string, taskId: string): string {
  return `${prefix}/${containerName}/${taskId}`;
}

/** The id at the end of a task ARN (or the id itself). */
export function taskIdOf(taskArnOrId: string): string {
  return taskArnOrId.slice(taskArnOrId.lastIndexOf("/") + 1);
}

/**
 * `--since`: a duration back from `now` (`30s`, `10m`, `2h`, `1d`, `1h30m`) or a
 * date (`2026-01-02T03:04:05Z`, epoch seconds/milliseconds). Returns epoch ms.
 */
export function parseSince(text: string, now: number): number {
  const t = text.trim();
  if (/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(t)) {
    const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
    let total = 0;
    for (const [, amount, unit] of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) total += Number(amount) * (units[unit ?? ""] ?? 0);
    return Math.floor(now - total);
  }
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    // Ten digits or fewer are epoch seconds (as `docker logs --since` takes them).
    return t.length <= 10 ? n * 1_000 : n;
  }
  const date = Date.parse(t);
  if (Number.isNaN(date)) throw new Error(`--since takes a duration such as 10m, 2h or 1d, or a date; not '${text}'.`);
  return date;
}

export interface StreamEvent {
  readonly timestamp: number;
  readonly message: string;
}

/**
 * Events of several streams merged by timestamp; within a stream order is kept
 * as read (a stable merge), so lines with equal timestamps never swap.
 */
export function interleave<K>(batches: readonly { readonly key: K; readonly events: readonly StreamEvent[] }[]): { key: K; event: StreamEvent }[] {
  const cursors = batches.map(({ key, events }) => ({ key, events, at: 0 }));
  const out: { key: K; event: StreamEvent }[] = [];
  for (;;) {
    let best: { cursor: (typeof cursors)[number]; event: StreamEvent } | undefined;
    for (const cursor of cursors) {
      const event = cursor.events[cursor.at];
      if (event && (!best || event.timestamp < best.event.timestamp)) best = { cursor, event };
    }
    if (!best) return out;
    out.push({ key: best.cursor.key, event: best.event });
    best.cursor.at++;
  }
}

/** One output line: prefixed with `container/task-id | ` when several streams interleave. */
export function formatLine(label: string | undefined, message: string): string {
  const text = message.endsWith("\n") ? message.slice(0, -1) : message;
  return label === undefined ? text : `${label} | ${text}`;
}

export interface AwslogsSource {
  readonly label: string;
  readonly group: string;
  readonly stream: string;
}

/**
 * The awslogs stream of each container of a task, from its task definition; a
 * container without awslogs gets a note saying what to add instead.
 */
export function sourcesOf(
  task: Pick<Task, "taskArn">,
  containers: readonly Pick<ContainerDefinition, "name" | "logConfiguration">[],
): { sources: AwslogsSource[]; notes: string[] } {
  const id = taskIdOf(task.taskArn ?? "");
  const sources: AwslogsSource[] = [];
  const notes: string[] = [];
  for (const c of containers) {
    const name = c.name ?? "";
    const log = c.logConfiguration;
    const group = log?.options?.["awslogs-group"];
    if (log?.logDriver !== "awslogs" || !group) {
      notes.push(
        `container ${name} of task ${id} has no awslogs log configuration${log?.logDriver ? ` (its log driver is ${log.logDriver})` : ""}, so Berth keeps no log for it. ` +
          `Add "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/<family>", "awslogs-stream-prefix": "<prefix>", "awslogs-create-group": "true"}} ` +
          "to its container definition and register a new revision; until then `docker logs` on its host shows its output.",
      );
      continue;
    }
    const prefix = log.options?.["awslogs-stream-prefix"];
    const stream = prefix ? awslogsStreamName(prefix, name, id) : log.options?.["awslogs-stream"];
    if (!stream) {
      notes.push(`container ${name} of task ${id} uses awslogs without awslogs-stream-prefix: its stream is named after the Docker container id; read it with \`aws logs tail ${group}\`.`);
      continue;
    }
    sources.push({ label: `${name}/${id}`, group, stream });
  }
  return { sources, notes };
}

// ---------------------------------------------------------------------------
// The command

export interface LogsOptions {
  readonly service?: string;
  readonly cluster: string;
  readonly follow: boolean;
  readonly since?: string;
  readonly container?: string;
  readonly dataDir: string;
}

interface Connection {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** AWS_* variables when they name an endpoint and keys, else the running instance in the data directory. */
export function connectionFrom(env: NodeJS.ProcessEnv, dataDir: string): Connection {
  const endpoint = env["AWS_ENDPOINT_URL_ECS"] ?? env["AWS_ENDPOINT_URL"];
  const accessKeyId = env["AWS_ACCESS_KEY_ID"];
  const secretAccessKey = env["AWS_SECRET_ACCESS_KEY"];
  if (endpoint && accessKeyId && secretAccessKey) {
    return {
      endpoint,
      region: env["AWS_REGION"] ?? env["AWS_DEFAULT_REGION"] ?? "us-east-1",
      credentials: { accessKeyId, secretAccessKey, ...(env["AWS_SESSION_TOKEN"] ? { sessionToken: env["AWS_SESSION_TOKEN"] } : {}) },
    };
  }
  const info = readInstanceInfo(dataDir);
  if (!info) {
    throw new Error(`no running instance uses ${dataDir}, and AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not all set. Start one with \`berth up\`, or export what \`berth env\` prints.`);
  }
  return { endpoint: info.endpoint, region: info.region, credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey } };
}

const pollMs = 500;
/** Stopped tasks of a service older than this are not read (ECS keeps them about an hour). */
const recentlyStoppedMs = 3_600_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Reader {
  readonly source: AwslogsSource;
  token: string | undefined;
}

export async function runLogs(taskArg: string | undefined, opts: LogsOptions, out: (line: string) => void = (l) => process.stdout.write(l + "\n")): Promise<void> {
  if (!taskArg && !opts.service) throw new Error("name a task (berth logs TASK) or a service (berth logs --service NAME).");
  if (taskArg && opts.service) throw new Error("name a task or --service, not both.");
  const conn = connectionFrom(process.env, opts.dataDir);
  const base = { endpoint: conn.endpoint, region: conn.region, credentials: conn.credentials };
  const ecs = new ECSClient(base);
  const logs = new CloudWatchLogsClient({ ...base, endpoint: process.env["AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"] ?? conn.endpoint });
  const startTime = opts.since !== undefined ? parseSince(opts.since, Date.now()) : undefined;
  const readers = new Map<string, Reader>();
  const seenTasks = new Set<string>();
  const definitions = new Map<string, ContainerDefinition[]>();
  let stopping = false;
  const onSignal = (): void => {
    stopping = true;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const taskArns = async (): Promise<string[]> => {
    if (taskArg) return [taskArg];
    const arns: string[] = [];
    for (const desiredStatus of ["RUNNING", "STOPPED"] as const) {
      let nextToken: string | undefined;
      do {
        const r = await ecs.send(new ListTasksCommand({ cluster: opts.cluster, serviceName: opts.service, desiredStatus, nextToken }));
        arns.push(...(r.taskArns ?? []));
        nextToken = r.nextToken;
      } while (nextToken);
    }
    return arns;
  };

  /** Describes tasks not seen yet and adds their sources; returns whether every task named is STOPPED. */
  const discover = async (): Promise<boolean> => {
    const arns = await taskArns();
    if (arns.length === 0) {
      if (taskArg) throw new Error(`no task ${taskArg} in cluster ${opts.cluster}.`);
      return false;
    }
    let allStopped = true;
    for (let i = 0; i < arns.length; i += 100) {
      const r = await ecs.send(new DescribeTasksCommand({ cluster: opts.cluster, tasks: arns.slice(i, i + 100) }));
      if (taskArg && (r.tasks ?? []).length === 0) throw new Error(`no task ${taskArg} in cluster ${opts.cluster}: ${r.failures?.map((f) => f.reason).join(", ") ?? ""}`);
      for (const t of r.tasks ?? []) {
        if (t.lastStatus !== "STOPPED") allStopped = false;
        if (!t.taskArn || seenTasks.has(t.taskArn)) continue;
        const stoppedAt = t.stoppedAt?.getTime();
        if (!taskArg && stoppedAt !== undefined && stoppedAt < Math.max(startTime ?? 0, Date.now() - recentlyStoppedMs)) continue;
        seenTasks.add(t.taskArn);
        const defArn = t.taskDefinitionArn ?? "";
        let defs = definitions.get(defArn);
        if (!defs) {
          const d = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: defArn }));
          defs = d.taskDefinition?.containerDefinitions ?? [];
          definitions.set(defArn, defs);
        }
        const wanted = opts.container ? defs.filter((c) => c.name === opts.container) : defs;
        if (opts.container && wanted.length === 0) {
          process.stderr.write(`berth: task ${taskIdOf(t.taskArn)} has no container ${opts.container} (it has ${defs.map((c) => c.name).join(", ")}).\n`);
        }
        const { sources, notes } = sourcesOf(t, wanted);
        for (const n of notes) process.stderr.write(`berth: ${n}\n`);
        for (const s of sources) readers.set(`${s.group}\u0000${s.stream}`, { source: s, token: undefined });
      }
    }
    return allStopped;
  };

  /** Everything new in one stream since its last token (all pages). */
  const drain = async (r: Reader): Promise<StreamEvent[]> => {
    const events: StreamEvent[] = [];
    for (;;) {
      let page;
      try {
        page = await logs.send(
          new GetLogEventsCommand({
            logGroupName: r.source.group,
            logStreamName: r.source.stream,
            startFromHead: true,
            ...(r.token ? { nextToken: r.token } : startTime !== undefined ? { startTime } : {}),
          }),
        );
      } catch (err) {
        // The stream appears with its first batch; until then there is nothing to read.
        if (err instanceof ResourceNotFoundException) return events;
        throw err;
      }
      const got = page.events ?? [];
      for (const e of got) events.push({ timestamp: e.timestamp ?? 0, message: e.message ?? "" });
      const same = page.nextForwardToken === undefined || page.nextForwardToken === r.token;
      if (page.nextForwardToken) r.token = page.nextForwardToken;
      if (same || got.length === 0) return events;
    }
  };

  const pollOnce = async (): Promise<void> => {
    const list = [...readers.values()];
    const batches = await Promise.all(list.map(async (r) => ({ key: r.source.label, events: await drain(r) })));
    const several = readers.size > 1 || opts.service !== undefined;
    for (const { key, event } of interleave(batches)) out(formatLine(several ? key : undefined, event.message));
  };

  try {
    let stoppedSince: number | undefined;
    for (;;) {
      const allStopped = await discover();
      await pollOnce();
      if (!opts.follow || stopping) break;
      if (taskArg && allStopped) {
        // Like `docker logs -f`, a task's follow ends when it has stopped: after one
        // more flush interval of the agent, so its last lines are read too.
        stoppedSince ??= Date.now();
        if (Date.now() - stoppedSince > 3_000) break;
      }
      await sleep(pollMs);
      if (stopping) break;
    }
    if (readers.size === 0 && !opts.follow) process.stderr.write(`berth: no awslogs stream to read${opts.service ? ` for service ${opts.service}` : ""}.\n`);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    ecs.destroy();
    logs.destroy();
  }
}
