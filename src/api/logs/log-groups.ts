// Log groups: Create/Delete/DescribeLogGroups and Put/DeleteRetentionPolicy.

import type { LogGroup } from "../../model/generated/logs.js";
import type { LogGroupRecord } from "../../store/log-store.js";
import { UniqueViolation } from "../../store/store.js";
import type { LogsDeps, LogsHandlers } from "./deps.js";
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
    logGroupClass: g.logGroupClass as LogGroup["logGroupClass"],
    logGroupArn: arn,
    deletionProtectionEnabled: g.deletionProtection,
  };
}

const isAfterToken = (v: unknown): v is { a: string } =>
  typeof v === "object" && v !== null && typeof (v as { a?: unknown }).a === "string";

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
      let after: string | undefined;
      if (input.nextToken !== undefined) {
        after = parsePageToken(input.nextToken, isAfterToken)?.a;
        if (after === undefined) throw invalidToken();
      }
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
      return {
        logGroups: page.items.map((g) => describeGroup(scope, g)),
        ...(page.next === undefined ? {} : { nextToken: pageToken({ a: page.next }) }),
      };
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
