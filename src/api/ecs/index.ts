// The ECS API (AmazonEC2ContainerServiceV20141113): one handler table assembled
// from one module per resource.

import type { Subsystem, SubsystemDeps } from "../../subsystem.js";
import { defineApi, type ServedApi } from "../../edge/json-protocol.js";
import type { Operations } from "../../model/generated/ecs.js";
import { ApiModel } from "../../model/api-model.js";
import { accountSettingHandlers } from "./account-settings.js";
import { capacityProviderHandlers } from "./capacity-providers.js";
import { clusterHandlers } from "./clusters.js";
import { containerInstancesHandlers } from "./container-instances.js";
import type { EcsDeps } from "./handler-dependencies.js";
import { tagHandlers } from "./tags.js";
import { describeTaskDefinitionHandler, taskDefinitionsHandlers } from "./task-definitions.js";
import { pollEndpointHandlers } from "./poll-endpoint.js";
import { serviceHandlers } from "./services.js";
import { taskProtectionHandlers } from "./task-protection.js";
import { describeTasksHandler, taskHandlers } from "./tasks.js";

export const ecsModel = ApiModel.load("ecs");

export function ecsService(deps: EcsDeps): ServedApi {
  return defineApi<Operations>(ecsModel, {
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
    ...taskProtectionHandlers(deps),
    ...pollEndpointHandlers(deps.endpoint),
  });
}

export function ecsSubsystem(deps: SubsystemDeps, domain: Pick<EcsDeps, "hooks" | "serviceScheduler">): Subsystem {
  return { apis: [ecsService({ store: deps.store, endpoint: () => `http://${deps.publicHost()}`, ...domain })] };
}
