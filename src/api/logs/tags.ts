// Tags on log groups, through both the old group-name calls (Tag/Untag/ListTagsLogGroup)
// and the ARN calls (Tag/Untag/ListTagsForResource).

import type { LogGroupRecord } from "../../store/log-store.js";
import type { LogsDeps, LogsHandlers } from "./handler-dependencies.js";
import { logsErrors, noGroup } from "./errors.js";
import { groupNameFromArn, type Scope } from "./names.js";

/** CloudWatch Logs' limit of tags on one resource. */
export const maxTags = 50;
const tooMany = `A resource can have no more than ${maxTags} tags.`;

export function checkTagKeys(tags: Readonly<Record<string, string>> | undefined): void {
  for (const key of Object.keys(tags ?? {})) {
    if (key.toLowerCase().startsWith("aws:")) throw logsErrors.invalidParameter(`Tag keys beginning with 'aws:' are reserved: ${key}`);
  }
  if (Object.keys(tags ?? {}).length > maxTags) throw logsErrors.invalidParameter(tooMany);
}

export function tagHandlers({ logs, scope }: LogsDeps): LogsHandlers {
  const byName = async (name: string): Promise<LogGroupRecord> => {
    const group = await logs.getGroup(name);
    if (!group) throw noGroup();
    return group;
  };
  const byArn = async (s: Scope, arn: string): Promise<LogGroupRecord> => {
    if (!arn.startsWith("arn:")) throw logsErrors.invalidParameter(`Invalid resource ARN: ${arn}`);
    const name = groupNameFromArn(s, arn);
    if (name === undefined) throw logsErrors.resourceNotFound("The specified resource does not exist.");
    return byName(name);
  };
  return {
    async TagLogGroup(input) {
      checkTagKeys(input.tags);
      const group = await byName(input.logGroupName);
      if ((await logs.putTags(group.id, input.tags, maxTags)) === "tooMany") throw logsErrors.invalidParameter(tooMany);
      return {};
    },
    async UntagLogGroup(input) {
      const group = await byName(input.logGroupName);
      await logs.deleteTags(group.id, input.tags);
      return {};
    },
    async ListTagsLogGroup(input) {
      const group = await byName(input.logGroupName);
      return { tags: await logs.getTags(group.id) };
    },
    async TagResource(input) {
      checkTagKeys(input.tags);
      const group = await byArn(scope, input.resourceArn);
      if ((await logs.putTags(group.id, input.tags, maxTags)) === "tooMany") throw logsErrors.tooManyTags(tooMany);
      return {};
    },
    async UntagResource(input) {
      const group = await byArn(scope, input.resourceArn);
      await logs.deleteTags(group.id, input.tagKeys);
      return {};
    },
    async ListTagsForResource(input) {
      const group = await byArn(scope, input.resourceArn);
      return { tags: await logs.getTags(group.id) };
    },
  };
}
