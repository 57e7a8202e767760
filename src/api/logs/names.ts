// Log group and stream ARNs, and the two ways a request names a group: a
// logGroupName, or a logGroupIdentifier that is a name or an ARN.

import { logsErrors, noGroup } from "./errors.js";

export interface Scope {
  readonly accountId: string;
  readonly region: string;
}

export const logGroupArn = (s: Scope, name: string): string => `arn:aws:logs:${s.region}:${s.accountId}:log-group:${name}`;
export const logStreamArn = (s: Scope, group: string, stream: string): string => `${logGroupArn(s, group)}:log-stream:${stream}`;

/**
 * A log group ARN (with or without DescribeLogGroups' trailing ":*") → the group's
 * name; undefined when it is not a log group ARN of this account and region.
 */
export function groupNameFromArn(s: Scope, arn: string): string | undefined {
  const head = `arn:aws:logs:${s.region}:${s.accountId}:log-group:`;
  if (!arn.startsWith(head)) return undefined;
  let name = arn.slice(head.length);
  if (name.endsWith(":*")) name = name.slice(0, -2);
  return name === "" || name.includes(":") ? undefined : name;
}

/** A name or an ARN → the name; an ARN of another account or region names no group here. */
export function groupNameFromIdentifier(s: Scope, identifier: string): string {
  if (!identifier.startsWith("arn:")) return identifier;
  const name = groupNameFromArn(s, identifier);
  if (name === undefined) throw noGroup();
  return name;
}

/** Exactly one of logGroupName and logGroupIdentifier, as the read APIs require. */
export function requestedGroup(s: Scope, input: { readonly logGroupName?: string; readonly logGroupIdentifier?: string }): string {
  if (input.logGroupName !== undefined && input.logGroupIdentifier !== undefined) {
    throw logsErrors.invalidParameter("LogGroupName and LogGroupIdentifier are mutually exclusive; specify one of them.");
  }
  if (input.logGroupIdentifier !== undefined) return groupNameFromIdentifier(s, input.logGroupIdentifier);
  if (input.logGroupName !== undefined) return input.logGroupName;
  throw logsErrors.invalidParameter("Either LogGroupName or LogGroupIdentifier must be specified.");
}
