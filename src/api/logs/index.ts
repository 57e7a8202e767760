// CloudWatch Logs (Logs_20140328) on the edge: one handler table per region,
// assembled from one module per resource on the region's first request, and the
// retention loop and Logs Insights queries as the subsystem's background work.

import type { Subsystem, SubsystemDeps } from "../../subsystem.js";
import { defineApi, type Handler, type ServedApi } from "../../edge/json-protocol.js";
import type { Operations } from "../../model/generated/logs.js";
import { ApiModel } from "../../model/api-model.js";
import { InsightsQueries } from "../../logs/insights/query-runner.js";
import { RetentionSweeper } from "../../logs/retention.js";
import type { LogStore } from "../../store/log-store.js";
import type { LogsDeps, LogsHandlers } from "./handler-dependencies.js";
import { insightsHandlers } from "./insights.js";
import { logEventHandlers } from "./log-events.js";
import { logGroupHandlers } from "./log-groups.js";
import { logStreamHandlers } from "./log-streams.js";
import { queryDefinitionHandlers } from "./query-definitions.js";
import { tagHandlers } from "./tags.js";

export const logsModel = ApiModel.load("logs");

function regionHandlers(deps: LogsDeps): LogsHandlers {
  return {
    ...logGroupHandlers(deps),
    ...logStreamHandlers(deps),
    ...logEventHandlers(deps),
    ...tagHandlers(deps),
    ...insightsHandlers(deps),
    ...queryDefinitionHandlers(deps),
  };
}

/** Each request is answered by its region's handlers, which name groups in that region and put it in every ARN. */
export function logsService(deps: { readonly logs: LogStore; readonly accountId: string; readonly queries: LogsDeps["queries"] }): ServedApi {
  const regions = new Map<string, Readonly<Record<string, Handler | undefined>>>();
  const of = (region: string): Readonly<Record<string, Handler | undefined>> => {
    let handlers = regions.get(region);
    if (!handlers) {
      handlers = regionHandlers({ logs: deps.logs.inRegion(region), scope: { accountId: deps.accountId, region }, queries: deps.queries });
      regions.set(region, handlers);
    }
    return handlers;
  };
  const operations = Object.keys(regionHandlers({ logs: deps.logs, scope: { accountId: deps.accountId, region: deps.logs.region }, queries: deps.queries }));
  const dispatch = Object.fromEntries(
    operations.map((name): [string, Handler] => [name, (input, ctx) => of(ctx.region)[name]!(input, ctx)]),
  );
  return defineApi<Operations>(logsModel, dispatch);
}

export function logsSubsystem(deps: SubsystemDeps): Subsystem {
  const logs = deps.store.logs;
  const logger = deps.logger.child({ area: "logs" });
  const sweeper = new RetentionSweeper({ logs, clock: deps.clock, logger });
  const queries = new InsightsQueries({ logs, clock: deps.clock, logger, accountId: deps.accountId });
  return {
    apis: [logsService({ logs, accountId: deps.accountId, queries })],
    start: () => sweeper.start(),
    stop: async () => {
      await queries.close();
      await sweeper.stop();
    },
  };
}
