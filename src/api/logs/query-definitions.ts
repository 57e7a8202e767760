// Saved Logs Insights queries: Put/Describe/DeleteQueryDefinition, kept in the store.

import { randomUUID } from "node:crypto";
import type { QueryDefinition, QueryLanguage, QueryParameter } from "../../model/generated/logs.js";
import type { QueryDefinitionRecord } from "../../store/log-store.js";
import type { LogsDeps, LogsHandlers } from "./handler-dependencies.js";
import { invalidToken, logsErrors } from "./errors.js";
import { pageToken, parsePageToken } from "./tokens.js";

const isAfterToken = (v: unknown): v is { n: string; i: string } =>
  typeof v === "object" && v !== null && typeof (v as { n?: unknown }).n === "string" && typeof (v as { i?: unknown }).i === "string";

const noDefinition = (): Error => logsErrors.resourceNotFound("The specified query definition does not exist.");

function describeDefinition(d: QueryDefinitionRecord): QueryDefinition {
  return {
    queryLanguage: d.queryLanguage as QueryLanguage,
    queryDefinitionId: d.id,
    name: d.name,
    queryString: d.queryString,
    lastModified: d.lastModified,
    ...(d.logGroupNames.length === 0 ? {} : { logGroupNames: [...d.logGroupNames] }),
    ...(d.parameters.length === 0 ? {} : { parameters: d.parameters as readonly QueryParameter[] }),
  };
}

export function queryDefinitionHandlers({ logs }: LogsDeps): LogsHandlers {
  return {
    async PutQueryDefinition(input, ctx) {
      // With an id, the definition is replaced; it must exist.
      if (input.queryDefinitionId !== undefined && !(await logs.getQueryDefinition(input.queryDefinitionId))) throw noDefinition();
      const id = input.queryDefinitionId ?? randomUUID();
      await logs.putQueryDefinition({
        id,
        name: input.name,
        queryString: input.queryString,
        queryLanguage: input.queryLanguage ?? "CWLI",
        logGroupNames: input.logGroupNames ?? [],
        parameters: input.parameters ?? [],
        lastModified: ctx.now.getTime(),
      });
      return { queryDefinitionId: id };
    },

    async DescribeQueryDefinitions(input) {
      let after: { name: string; id: string } | undefined;
      if (input.nextToken !== undefined) {
        const t = parsePageToken(input.nextToken, isAfterToken);
        if (!t) throw invalidToken();
        after = { name: t.n, id: t.i };
      }
      const limit = input.maxResults ?? 1000;
      const items: QueryDefinitionRecord[] = [];
      let more = true;
      // Definitions of another language are skipped, page after page, until this one is full.
      while (items.length < limit && more) {
        const page = await logs.listQueryDefinitions({
          ...(input.queryDefinitionNamePrefix === undefined ? {} : { namePrefix: input.queryDefinitionNamePrefix }),
          ...(after ? { after } : {}),
          limit: limit - items.length,
        });
        items.push(...page.items.filter((d) => input.queryLanguage === undefined || d.queryLanguage === input.queryLanguage));
        more = page.more;
        const last = page.items[page.items.length - 1];
        if (last) after = { name: last.name, id: last.id };
      }
      return {
        queryDefinitions: items.map(describeDefinition),
        ...(more && after ? { nextToken: pageToken({ n: after.name, i: after.id }) } : {}),
      };
    },

    async DeleteQueryDefinition(input) {
      if (!(await logs.deleteQueryDefinition(input.queryDefinitionId))) throw noDefinition();
      return { success: true };
    },
  };
}
