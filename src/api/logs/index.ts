// CloudWatch Logs (Logs_20140328) on the edge.

import type { Area, AreaDeps } from "../../area.js";
import { defineService } from "../../edge/json-protocol.js";
import type { Operations } from "../../model/generated/logs.js";
import { ServiceModel } from "../../model/service-model.js";

export const logsModel = ServiceModel.load("logs");

export function logsArea(_deps: AreaDeps): Area {
  return { services: [defineService<Operations>(logsModel, {})] };
}
