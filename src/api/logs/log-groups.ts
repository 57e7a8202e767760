// Log groups: Create/Delete/DescribeLogGroups, ListLogGroups and Put/DeleteRetentionPolicy.

import type { LogGroup, LogGroupClass, LogGroupSummary } from "../../model/generated/logs.js";
import type { LogGroupQuery, LogGroupRecord, LogStore } from "../../store/log-store.js";
import type { Page } from "../../store/store.js";
import { UniqueViolation } from "../../store/store.js";
import type { LogsDeps, LogsHandlers } from "./handler-dependencies.js";
import { invalidToken, logsErrors, noGroup } from "./errors.js";
import { groupNameFromIdentifier, logGroupArn, type Scope } from "./names.js";
import { checkTagKeys } from "./tags.js";
import { pageToken, parsePageToken } from "./tokens.js";

/** The only retention periods CloudWatch Logs accepts, in days. */
export const retentionPeriods: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export function describeGroup(s: Scope, g: LogGroupRecord): LogGroup {
  const arn = logGroupArn(s, g.name);
  return {
    logGroupName: g.name,
    creationTime: g.createdAt,
    ...(g.retentionInDays === undefined ? {} : { retentionInDays: g.retentionInDays }),
    metricFilterCount: 0,
    // DescribeLogGroups' `arn` ends in ":*" (it covers the streams); `logGroupArn` does not.
    arn: `${arn}:*`,
    storedBytes: g.storedBytes,
    ...(g.kmsKeyId === undefined ? {} : { kmsKeyId: g.kmsKeyId }),
    logGroupClass: g.logGroupClass as LogGroupClass,
    logGroupArn: arn,
    deletionProtectionEnabled: g.deletionProtection,
  };
}

const isAfterToken = (v: unknown): v is { a: string } =>
  typeof v === "object" && v !== null && typeof (v as { a?: unknown }).a === "string";

function afterName(nextToken: string | undefined): string | undefined {
  if (nextToken === undefined) return undefined;
  const after = parsePageToken(nextToken, isAfterToken)?.a;
  if (after === undefined) throw invalidToken();
  return after;
}

const nextTokenOf = (page: Page<LogGroupRecord>): { nextToken?: string } => (page.next === undefined ? {} : { nextToken: pageToken({ a: page.next }) });

/**
 * ListLogGroups' logGroupNamePattern: up to five alternatives split by `|`, each
 * a case-sensitive substring, or with `^` a prefix; `.` matches any character.
 * One alternative without `.` is a plain prefix or substring the store tests in
 * SQL; anything else is tested here, on the store's pages.
 */
function namePattern(pattern: string): Pick<LogGroupQuery, "prefix" | "contains"> | RegExp {
  if (!pattern.includes("|") && !pattern.includes(".")) return pattern.startsWith("^") ? { prefix: pattern.slice(1) } : { contains: pattern };
  // The model admits only [.-_/#A-Za-z0-9], `^` and `|`: the pattern is already a regular expression.
  return new RegExp(pattern);
}

/** A page of at most `limit` groups that `test` accepts, read from the store's pages in name order. */
async function filteredPage(logs: LogStore, query: LogGroupQuery, test: (name: string) => boolean): Promise<Page<LogGroupRecord>> {
  const items: LogGroupRecord[] = [];
  let after = query.after;
  for (;;) {
    const page = await logs.listGroups({ ...query, ...(after === undefined ? {} : { after }), limit: 1000 });
    for (const g of page.items) {
      if (!test(g.name)) continue;
      // Invariant: the model's range keeps limit at 1 or more, so a full page has a last item.
      const last = items.at(-1);
      if (items.length === query.limit && last !== undefined) return { items, next: last.name };
      items.push(g);
    }
    if (page.next === undefined) return { items };
    after = page.next;
  }
}

export function logGroupHandlers({ logs, scope }: LogsDeps): LogsHandlers {
  return {
    async CreateLogGroup(input, ctx) {
      checkTagKeys(input.tags);
      try {
        await logs.createGroup({
          name: input.logGroupName,
          createdAt: ctx.now.getTime(),
          ...(input.kmsKeyId === undefined ? {} : { kmsKeyId: input.kmsKeyId }),
          logGroupClass: input.logGroupClass ?? "STANDARD",
          deletionProtection: input.deletionProtectionEnabled ?? false,
          ...(input.tags === undefined ? {} : { tags: input.tags }),
        });
      } catch (err) {
        if (err instanceof UniqueViolation) throw logsErrors.resourceAlreadyExists("The specified log group already exists");
        throw err;
      }
      return {};
    },

    async DeleteLogGroup(input) {
      const group = await logs.getGroup(input.logGroupName);
      if (!group) throw noGroup();
      if (group.deletionProtection) {
        throw logsErrors.validation("Log group deletion protection is enabled; disable it before deleting the log group.");
      }
      if (!(await logs.deleteGroup(input.logGroupName))) throw noGroup();
      return {};
    },

    async DescribeLogGroups(input) {
      if (input.logGroupNamePrefix !== undefined && input.logGroupNamePattern !== undefined) {
        throw logsErrors.invalidParameter("LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive.");
      }
      const after = afterName(input.nextToken);
      const names = input.logGroupIdentifiers?.map((id) => {
        try {
          return groupNameFromIdentifier(scope, id);
        } catch {
          return ""; // an ARN of another account or region: matches no group here
        }
      });
      const page = await logs.listGroups({
        ...(input.logGroupNamePrefix === undefined ? {} : { prefix: input.logGroupNamePrefix }),
        ...(input.logGroupNamePattern === undefined ? {} : { contains: input.logGroupNamePattern }),
        ...(input.logGroupClass === undefined ? {} : { logGroupClass: input.logGroupClass }),
        ...(names === undefined ? {} : { names }),
        ...(after === undefined ? {} : { after }),
        limit: input.limit ?? 50,
      });
      return { logGroups: page.items.map((g) => describeGroup(scope, g)), ...nextTokenOf(page) };
    },

    async ListLogGroups(input) {
      const after = afterName(input.nextToken);
      // Linked (monitoring) accounts do not exist here: only this account's groups are listed.
      if (input.accountIdentifiers !== undefined && !input.accountIdentifiers.includes(scope.accountId)) return { logGroups: [] };
      const pattern = input.logGroupNamePattern === undefined ? {} : namePattern(input.logGroupNamePattern);
      const query: LogGroupQuery = {
        ...(pattern instanceof RegExp ? {} : pattern),
        ...(input.logGroupClass === undefined ? {} : { logGroupClass: input.logGroupClass }),
        ...(after === undefined ? {} : { after }),
        limit: input.limit ?? 50,
      };
      const page = pattern instanceof RegExp ? await filteredPage(logs, query, (name) => pattern.test(name)) : await logs.listGroups(query);
      const summaries: LogGroupSummary[] = page.items.map((g) => ({
        logGroupName: g.name,
        logGroupArn: logGroupArn(scope, g.name),
        logGroupClass: g.logGroupClass as LogGroupClass,
      }));
      return { logGroups: summaries, ...nextTokenOf(page) };
    },

    async PutRetentionPolicy(input) {
      if (!retentionPeriods.includes(input.retentionInDays)) {
        throw logsErrors.invalidParameter(
          `1 validation error detected: Value '${input.retentionInDays}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${retentionPeriods.join(", ")}]`,
        );
      }
      if (!(await logs.setRetention(input.logGroupName, input.retentionInDays))) throw noGroup();
      return {};
    },

    async DeleteRetentionPolicy(input) {
      if (!(await logs.setRetention(input.logGroupName, undefined))) throw noGroup();
      return {};
    },
  };
}
