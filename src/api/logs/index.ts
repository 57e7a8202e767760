// CloudWatch Logs (Logs_20140328) on the edge: one handler table assembled from
// one module per resource, and the retention loop and Logs Insights queries as
// the subsystem's background work.

import type { Subsystem, SubsystemDeps } from "../../subsystem.js";
import { defineApi, type ServedApi } from "../../edge/json-protocol.js";
import type { Operations } from "../../model/generated/logs.js";
import { ApiModel } from "../../model/api-model.js";
import { InsightsQueries } from "../../logs/insights/query-runner.js";
import { RetentionSweeper } from "../../logs/retention.js";
import type { LogsDeps } from "./handler-dependencies.js";
import { insightsHandlers } from "./insights.js";
import { logEventHandlers } from "./log-events.js";
import { logGroupHandlers } from "./log-groups.js";
import { logStreamHandlers } from "./log-streams.js";
import { queryDefinitionHandlers } from "./query-definitions.js";
import { tagHandlers } from "./tags.js";

export const logsModel = ApiModel.load("logs");

export function logsService(deps: LogsDeps): ServedApi {
  return defineApi<Operations>(logsModel, {
    ...logGroupHandlers(deps),
    ...logStreamHandlers(deps),
    ...logEventHandlers(deps),
    ...tagHandlers(deps),
    ...insightsHandlers(deps),
    ...queryDefinitionHandlers(deps),
  });
}

export function logsSubsystem(deps: SubsystemDeps): Subsystem {
  const logs = deps.store.logs;
  const logger = deps.logger.child({ area: "logs" });
  const sweeper = new RetentionSweeper({ logs, clock: deps.clock, logger });
  const queries = new InsightsQueries({ logs, clock: deps.clock, logger, accountId: deps.accountId });
  return {
    apis: [logsService({ logs, scope: { accountId: deps.accountId, region: deps.region }, queries })],
    start: () => sweeper.start(),
    stop: async () => {
      await queries.close();
      await sweeper.stop();
    },
  };
}
