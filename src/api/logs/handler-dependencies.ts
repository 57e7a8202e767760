// What the CloudWatch Logs handlers are given: the log store, the scope
// (account and region) every ARN carries, and the running Logs Insights queries.

import type { Handlers } from "../../edge/json-protocol.js";
import type { Operations } from "../../model/generated/logs.js";
import type { InsightsQueries } from "../../logs/insights/query-runner.js";
import type { LogStore } from "../../store/log-store.js";
import type { Scope } from "./names.js";

export interface LogsDeps {
  readonly logs: LogStore;
  readonly scope: Scope;
  readonly queries: InsightsQueries;
}

export type LogsHandlers = Handlers<Operations>;
