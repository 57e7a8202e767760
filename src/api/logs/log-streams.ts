// Log streams: Create/Delete/DescribeLogStreams.

import type { LogStream } from "../../model/generated/logs.js";
import type { LogStreamCursor, LogStreamRecord } from "../../store/log-store.js";
import { UniqueViolation } from "../../store/store.js";
import type { LogsDeps, LogsHandlers } from "./handler-dependencies.js";
import { invalidToken, logsErrors, noGroup, noStream } from "./errors.js";
import { logStreamArn, requestedGroup, type Scope } from "./names.js";
import { pageToken, parsePageToken } from "./tokens.js";

/**
 * The sequence token PutLogEvents returns and DescribeLogStreams shows. AWS now
 * ignores sequence tokens on input; this one still changes with every batch.
 */
export function sequenceToken(stream: LogStreamRecord): string {
  return `${String(stream.id).padStart(20, "0")}${String(stream.uploads).padStart(36, "0")}`;
}

export function describeStream(s: Scope, groupName: string, st: LogStreamRecord): LogStream {
  return {
    logStreamName: st.name,
    creationTime: st.createdAt,
    ...(st.firstEventAt === undefined ? {} : { firstEventTimestamp: st.firstEventAt }),
    ...(st.lastEventAt === undefined ? {} : { lastEventTimestamp: st.lastEventAt }),
    ...(st.lastIngestionAt === undefined ? {} : { lastIngestionTime: st.lastIngestionAt }),
    ...(st.uploads > 0 ? { uploadSequenceToken: sequenceToken(st) } : {}),
    arn: logStreamArn(s, groupName, st.name),
    // AWS stopped reporting a stream's storedBytes in 2019 and always sends 0.
    storedBytes: 0,
  };
}

const isCursor = (v: unknown): v is { n: string; t?: number } => {
  if (typeof v !== "object" || v === null) return false;
  const c = v as { n?: unknown; t?: unknown };
  return typeof c.n === "string" && (c.t === undefined || typeof c.t === "number");
};

export function logStreamHandlers({ logs, scope }: LogsDeps): LogsHandlers {
  return {
    async CreateLogStream(input, ctx) {
      const group = await logs.getGroup(input.logGroupName);
      if (!group) throw noGroup();
      try {
        await logs.createStream(group.id, input.logStreamName, ctx.now.getTime());
      } catch (err) {
        if (err instanceof UniqueViolation) throw logsErrors.resourceAlreadyExists("The specified log stream already exists");
        throw err;
      }
      return {};
    },

    async DeleteLogStream(input) {
      const group = await logs.getGroup(input.logGroupName);
      if (!group) throw noGroup();
      if (group.deletionProtection) {
        throw logsErrors.validation("Log group deletion protection is enabled; its log streams cannot be deleted.");
      }
      if (!(await logs.deleteStream(group.id, input.logStreamName))) throw noStream();
      return {};
    },

    async DescribeLogStreams(input) {
      const groupName = requestedGroup(scope, input);
      const orderBy = input.orderBy ?? "LogStreamName";
      if (orderBy === "LastEventTime" && input.logStreamNamePrefix !== undefined) {
        throw logsErrors.invalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.");
      }
      let after: LogStreamCursor | undefined;
      if (input.nextToken !== undefined) {
        const c = parsePageToken(input.nextToken, isCursor);
        if (!c) throw invalidToken();
        after = c.t === undefined ? { name: c.n } : { name: c.n, lastEventAt: c.t };
      }
      const group = await logs.getGroup(groupName);
      if (!group) throw noGroup();
      const page = await logs.listStreams({
        groupId: group.id,
        ...(input.logStreamNamePrefix === undefined ? {} : { prefix: input.logStreamNamePrefix }),
        orderBy,
        descending: input.descending ?? false,
        ...(after ? { after } : {}),
        limit: input.limit ?? 50,
      });
      const last = page.items[page.items.length - 1];
      const next =
        page.more && last
          ? pageToken(orderBy === "LastEventTime" ? { n: last.name, t: last.lastEventAt ?? 0 } : { n: last.name })
          : undefined;
      return {
        logStreams: page.items.map((st) => describeStream(scope, groupName, st)),
        ...(next === undefined ? {} : { nextToken: next }),
      };
    },
  };
}
