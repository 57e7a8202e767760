// ECR (AmazonEC2ContainerRegistry_V20150921) on the edge.

import type { Area, AreaDeps } from "../../area.js";
import { defineService } from "../../edge/json-protocol.js";
import type { Operations } from "../../model/generated/ecr.js";
import { ServiceModel } from "../../model/service-model.js";

export const ecrModel = ServiceModel.load("ecr");

export function ecrArea(_deps: AreaDeps): Area {
  return { services: [defineService<Operations>(ecrModel, {})] };
}
