// What the CloudWatch Logs handlers are given: the log store and the scope
// (account and region) every ARN carries.

import type { Handlers } from "../../edge/json-protocol.js";
import type { Operations } from "../../model/generated/logs.js";
import type { LogStore } from "../../store/log-store.js";
import type { Scope } from "./names.js";

export interface LogsDeps {
  readonly logs: LogStore;
  readonly scope: Scope;
}

export type LogsHandlers = Handlers<Operations>;
