// The ECS API (AmazonEC2ContainerServiceV20141113): one handler table assembled
// from one module per resource.

import type { Area, AreaDeps } from "../../area.js";
import { defineService, type JsonService } from "../../edge/json-protocol.js";
import type { Operations } from "../../model/generated/ecs.js";
import { ServiceModel } from "../../model/service-model.js";
import { accountSettingHandlers } from "./account-settings.js";
import { capacityProviderHandlers } from "./capacity-providers.js";
import { clusterHandlers } from "./clusters.js";
import { containerInstancesHandlers } from "./container-instances.js";
import type { EcsDeps } from "./deps.js";
import { tagHandlers } from "./tags.js";
import { describeTaskDefinitionHandler, taskDefinitionsHandlers } from "./task-definitions.js";
import { serviceHandlers } from "./services.js";
import { describeTasksHandler, taskHandlers } from "./tasks.js";

export const ecsModel = ServiceModel.load("ecs");

export function ecsService(deps: EcsDeps): JsonService {
  return defineService<Operations>(ecsModel, {
    ...clusterHandlers(deps),
    ...capacityProviderHandlers(deps),
    ...taskDefinitionsHandlers(deps),
    DescribeTaskDefinition: describeTaskDefinitionHandler(deps, ecsModel),
    ...containerInstancesHandlers(deps),
    ...tagHandlers(deps),
    ...accountSettingHandlers(deps),
    ...taskHandlers(deps),
    DescribeTasks: describeTasksHandler(deps, ecsModel),
    ...serviceHandlers(deps),
  });
}

export function ecsArea(deps: AreaDeps, domain: Pick<EcsDeps, "hooks" | "serviceScheduler">): Area {
  return { services: [ecsService({ store: deps.store, ...domain })] };
}
