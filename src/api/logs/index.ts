// CloudWatch Logs (Logs_20140328) on the edge: one handler table assembled from
// one module per resource, and the retention loop as the area's background work.

import type { Area, AreaDeps } from "../../area.js";
import { defineService, type JsonService } from "../../edge/json-protocol.js";
import type { Operations } from "../../model/generated/logs.js";
import { ServiceModel } from "../../model/service-model.js";
import { RetentionSweeper } from "../../logs/retention.js";
import type { LogsDeps } from "./deps.js";
import { logEventHandlers } from "./log-events.js";
import { logGroupHandlers } from "./log-groups.js";
import { logStreamHandlers } from "./log-streams.js";
import { tagHandlers } from "./tags.js";

export const logsModel = ServiceModel.load("logs");

export function logsService(deps: LogsDeps): JsonService {
  return defineService<Operations>(logsModel, {
    ...logGroupHandlers(deps),
    ...logStreamHandlers(deps),
    ...logEventHandlers(deps),
    ...tagHandlers(deps),
  });
}

export function logsArea(deps: AreaDeps): Area {
  const logs = deps.store.logs;
  const sweeper = new RetentionSweeper({ logs, clock: deps.clock, logger: deps.logger.child({ area: "logs" }) });
  return {
    services: [logsService({ logs, scope: { accountId: deps.accountId, region: deps.region } })],
    start: () => sweeper.start(),
    stop: () => sweeper.stop(),
  };
}
