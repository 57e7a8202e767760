// CloudWatch Logs (Logs_20140328) on the edge: one handler table assembled from
// one module per resource, and the retention loop and Logs Insights queries as
// the area's background work.

import type { Area, AreaDeps } from "../../area.js";
import { defineService, type JsonService } from "../../edge/json-protocol.js";
import type { Operations } from "../../model/generated/logs.js";
import { ServiceModel } from "../../model/service-model.js";
import { InsightsQueries } from "../../logs/insights/query-runner.js";
import { RetentionSweeper } from "../../logs/retention.js";
import type { LogsDeps } from "./deps.js";
import { insightsHandlers } from "./insights.js";
import { logEventHandlers } from "./log-events.js";
import { logGroupHandlers } from "./log-groups.js";
import { logStreamHandlers } from "./log-streams.js";
import { queryDefinitionHandlers } from "./query-definitions.js";
import { tagHandlers } from "./tags.js";

export const logsModel = ServiceModel.load("logs");

export function logsService(deps: LogsDeps): JsonService {
  return defineService<Operations>(logsModel, {
    ...logGroupHandlers(deps),
    ...logStreamHandlers(deps),
    ...logEventHandlers(deps),
    ...tagHandlers(deps),
    ...insightsHandlers(deps),
    ...queryDefinitionHandlers(deps),
  });
}

export function logsArea(deps: AreaDeps): Area {
  const logs = deps.store.logs;
  const logger = deps.logger.child({ area: "logs" });
  const sweeper = new RetentionSweeper({ logs, clock: deps.clock, logger });
  const queries = new InsightsQueries({ logs, clock: deps.clock, logger, accountId: deps.accountId });
  return {
    services: [logsService({ logs, scope: { accountId: deps.accountId, region: deps.region }, queries })],
    start: () => sweeper.start(),
    stop: async () => {
      await queries.close();
      await sweeper.stop();
    },
  };
}
