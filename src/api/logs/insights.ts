// Logs Insights: StartQuery (parse, plan, run in the background), GetQueryResults,
// StopQuery and DescribeQueries. The language lives in logs/insights.

import type { QueryInfo } from "../../model/generated/logs.js";
import { QueryPlan } from "../../logs/insights/pipeline.js";
import { parseQuery, QuerySyntaxError, type Command } from "../../logs/insights/parse.js";
import type { QueryGroup, QuerySnapshot } from "../../logs/insights/query-runner.js";
import type { LogsDeps, LogsHandlers } from "./handler-dependencies.js";
import { invalidToken, logsErrors } from "./errors.js";
import { groupNameFromIdentifier } from "./names.js";
import { pageToken, parsePageToken } from "./tokens.js";

/** Rows a query returns unless StartQuery's `limit` says otherwise. */
const defaultResultRows = 10_000;
/** Log groups one query may read, as on AWS. */
const maxQueryGroups = 50;

const isOffsetToken = (v: unknown): v is { o: number } =>
  typeof v === "object" && v !== null && Number.isSafeInteger((v as { o?: unknown }).o) && (v as { o: number }).o >= 0;

function offsetFrom(token: string | undefined): number {
  if (token === undefined) return 0;
  const o = parsePageToken(token, isOffsetToken)?.o;
  if (o === undefined) throw invalidToken();
  return o;
}

function checkLanguage(language: string | undefined): void {
  if (language !== undefined && language !== "CWLI") {
    throw logsErrors.invalidParameter(`queryLanguage ${language} is not supported here; only CWLI (the Logs Insights query language) is.`);
  }
}

function parsed(queryString: string): readonly Command[] {
  try {
    return parseQuery(queryString);
  } catch (err) {
    if (err instanceof QuerySyntaxError) throw logsErrors.malformedQuery(err.message);
    throw err;
  }
}

export function insightsHandlers({ logs, scope, queries }: LogsDeps): LogsHandlers {
  const notFound = (): never => {
    throw logsErrors.resourceNotFound("The specified query does not exist.");
  };
  const info = (q: QuerySnapshot): QueryInfo => {
    const [logGroupName] = q.groupNames;
    return {
      queryLanguage: "CWLI",
      queryId: q.id,
      queryString: q.queryString,
      status: q.status,
      createTime: q.createTime,
      ...(logGroupName === undefined ? {} : { logGroupName }),
      queryDuration: Math.round(q.durationMs),
      bytesScanned: q.statistics.bytesScanned,
    };
  };

  /** A query of this region; another region's is not found here, as in AWS. */
  const ownQuery = (id: string): QuerySnapshot | undefined => {
    const q = queries.get(id);
    return q?.region === scope.region ? q : undefined;
  };
  return {
    async StartQuery(input) {
      checkLanguage(input.queryLanguage);
      const ways = [input.logGroupName, input.logGroupNames, input.logGroupIdentifiers].filter((w) => w !== undefined).length;
      if (ways !== 1) {
        throw logsErrors.invalidParameter("Specify exactly one of logGroupName, logGroupNames and logGroupIdentifiers.");
      }
      const names = [
        ...new Set(
          input.logGroupName !== undefined
            ? [input.logGroupName]
            : (input.logGroupNames ?? input.logGroupIdentifiers!.map((id) => groupNameFromIdentifier(scope, id.replace(/:\*$/, "")))),
        ),
      ];
      if (names.length === 0) throw logsErrors.invalidParameter("Specify at least one log group.");
      if (names.length > maxQueryGroups) throw logsErrors.invalidParameter(`A query can read at most ${maxQueryGroups} log groups.`);
      if (input.endTime < input.startTime) throw logsErrors.invalidParameter("endTime must not be before startTime.");
      const commands = parsed(input.queryString);
      const groups: QueryGroup[] = [];
      for (const name of names) {
        const g = await logs.getGroup(name);
        if (!g) throw logsErrors.resourceNotFound(`Log group '${name}' does not exist for account ID '${scope.accountId}'`);
        groups.push({ id: g.id, name: g.name });
      }
      const queryId = queries.start({
        region: scope.region,
        queryString: input.queryString,
        plan: new QueryPlan(commands, input.limit ?? defaultResultRows),
        groups,
        // Epoch seconds; endTime is inclusive, to the millisecond it names.
        startTime: input.startTime * 1000,
        endTime: input.endTime * 1000 + 1,
      });
      return { queryId };
    },

    // Answered from memory: these three do not wait on anything (a throw still reaches the edge as the error).
    GetQueryResults(input) {
      const q = ownQuery(input.queryId) ?? notFound();
      const offset = offsetFrom(input.nextToken);
      const end = input.maxItems === undefined || input.maxItems === 0 ? q.results.length : offset + input.maxItems;
      return Promise.resolve({
        queryLanguage: "CWLI",
        results: q.results.slice(offset, end),
        statistics: {
          recordsMatched: q.statistics.recordsMatched,
          recordsScanned: q.statistics.recordsScanned,
          estimatedRecordsSkipped: 0,
          bytesScanned: q.statistics.bytesScanned,
          estimatedBytesSkipped: 0,
          logGroupsScanned: q.statistics.logGroupsScanned,
        },
        status: q.status,
        ...(end < q.results.length ? { nextToken: pageToken({ o: end }) } : {}),
      });
    },

    StopQuery(input) {
      const stopped = ownQuery(input.queryId) && queries.stop(input.queryId);
      if (stopped === undefined) notFound();
      return Promise.resolve({ success: stopped === true });
    },

    DescribeQueries(input) {
      checkLanguage(input.queryLanguage);
      const offset = offsetFrom(input.nextToken);
      const limit = input.maxResults ?? 1000;
      const all = queries
        .list()
        .filter((q) => q.region === scope.region)
        .filter((q) => (input.logGroupName === undefined || q.groupNames.includes(input.logGroupName)) && (input.status === undefined || q.status === input.status));
      const page = all.slice(offset, offset + limit);
      return Promise.resolve({
        queries: page.map(info),
        ...(offset + limit < all.length ? { nextToken: pageToken({ o: offset + limit }) } : {}),
      });
    },
  };
}
