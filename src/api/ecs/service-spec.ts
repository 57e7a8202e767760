// What CreateService and UpdateService accept, checked as ECS checks it, and the
// defaults ECS fills in: the deployment configuration, platform version, network
// and placement, over the capacity the domain resolved (ecs/capacity.ts). The result
// is a DeploymentSpec, whose change is what makes a new deployment.

import { AwsError, errors } from "../../errors.js";
import type {
  DeploymentConfiguration,
  LaunchType,
  NetworkConfiguration,
  PlacementConstraint,
  PlacementStrategy,
  SchedulingStrategy,
  TaskDefinition,
} from "../../model/generated/ecs.js";
import { ClusterQueryError, parseClusterQuery } from "../../scheduler/cluster-query.js";
import type { DeploymentSpec } from "../../store/service-store.js";
import type { Scope } from "../../ecs/arns.js";
import type { Capacity } from "../../ecs/capacity.js";

/** ECS's service exceptions that edge/errors.ts does not name. */
export const serviceErrors = {
  serviceNotFound: (message = "Service not found.") => new AwsError("ServiceNotFoundException", message),
  serviceNotActive: (message = "Service was not ACTIVE.") => new AwsError("ServiceNotActiveException", message),
  platformUnknown: (message: string) => new AwsError("PlatformUnknownException", message),
  platformIncompatible: (message: string) => new AwsError("PlatformTaskDefinitionIncompatibilityException", message),
};

export const serviceNamePattern = /^[A-Za-z0-9_-]{1,255}$/;

/** Fargate platform versions Berth knows; LATEST is what a service shows when none was given. */
const fargatePlatforms = new Set(["LATEST", "1.4.0", "1.3.0"]);

/** ECS's defaults: REPLICA 100/200, DAEMON 0/100, the circuit breaker off. */
export function defaultDeploymentConfiguration(strategy: SchedulingStrategy): DeploymentConfiguration {
  return {
    deploymentCircuitBreaker: { enable: false, rollback: false },
    maximumPercent: strategy === "DAEMON" ? 100 : 200,
    minimumHealthyPercent: strategy === "DAEMON" ? 0 : 100,
  };
}

/** The deployment configuration after `input` is applied over `current`, checked. */
export function deploymentConfiguration(
  input: DeploymentConfiguration | undefined,
  strategy: SchedulingStrategy,
  current: DeploymentConfiguration = defaultDeploymentConfiguration(strategy),
): DeploymentConfiguration {
  const merged: DeploymentConfiguration = {
    ...current,
    ...(input?.deploymentCircuitBreaker ? { deploymentCircuitBreaker: input.deploymentCircuitBreaker } : {}),
    ...(input?.maximumPercent !== undefined ? { maximumPercent: input.maximumPercent } : {}),
    ...(input?.minimumHealthyPercent !== undefined ? { minimumHealthyPercent: input.minimumHealthyPercent } : {}),
    ...(input?.alarms ? { alarms: input.alarms } : {}),
    ...(input?.strategy ? { strategy: input.strategy } : {}),
  };
  const min = merged.minimumHealthyPercent ?? 100;
  const max = merged.maximumPercent ?? 200;
  if (!Number.isInteger(min) || min < 0 || min > 100) {
    throw errors.invalidParameter(`minimumHealthyPercent must be between 0 and 100, got ${min}.`);
  }
  if (strategy === "DAEMON" && max !== 100) {
    throw errors.invalidParameter(`The maximumPercent of a DAEMON service must be 100 (one task per instance), got ${max}.`);
  }
  if (!Number.isInteger(max) || max < 100) throw errors.invalidParameter(`maximumPercent must be at least 100, got ${max}.`);
  if (merged.strategy !== undefined && merged.strategy !== "ROLLING") {
    throw errors.unsupportedFeature(`Berth deploys services with rolling updates only; the ${merged.strategy} strategy is not supported yet.`);
  }
  if (merged.alarms?.enable) {
    throw errors.unsupportedFeature("CloudWatch alarm-based deployment failure detection is not supported; use the deployment circuit breaker.");
  }
  return merged;
}

function checkNetwork(def: TaskDefinition, network: NetworkConfiguration | undefined): void {
  if (def.networkMode === "awsvpc") {
    const vpc = network?.awsvpcConfiguration;
    const subnets = vpc?.subnets ?? [];
    if (subnets.length === 0) {
      throw errors.invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    }
    if (subnets.length > 16) throw errors.invalidParameter("At most 16 subnets can be given in awsvpcConfiguration.");
    if ((vpc?.securityGroups ?? []).length > 5) throw errors.invalidParameter("At most 5 security groups can be given in awsvpcConfiguration.");
  } else if (network?.awsvpcConfiguration) {
    throw errors.invalidParameter(
      `Network Configuration is not valid for the given networkMode of this task definition (${def.networkMode ?? "bridge"}).`,
    );
  }
}

function checkPlacement(constraints: readonly PlacementConstraint[], strategies: readonly PlacementStrategy[], launchType: LaunchType, scheduling: SchedulingStrategy): void {
  if (constraints.length > 10) throw errors.invalidParameter("At most 10 placement constraints can be given.");
  if (strategies.length > 5) throw errors.invalidParameter("At most 5 placement strategies can be given.");
  if (launchType === "FARGATE" && (constraints.length > 0 || strategies.length > 0)) {
    throw errors.invalidParameter("Placement constraints and strategies are not supported with the FARGATE launch type.");
  }
  if (scheduling === "DAEMON" && strategies.length > 0) {
    throw errors.invalidParameter("Placement strategies are not supported with the DAEMON scheduling strategy.");
  }
  for (const c of constraints) {
    if (c.type === "distinctInstance") {
      if (c.expression) throw errors.invalidParameter("A distinctInstance placement constraint takes no expression.");
    } else if (c.type === "memberOf") {
      if (!c.expression) throw errors.invalidParameter("A memberOf placement constraint needs an expression.");
      try {
        parseClusterQuery(c.expression);
      } catch (err) {
        if (err instanceof ClusterQueryError) throw errors.invalidParameter(`Invalid memberOf expression '${c.expression}': ${err.message}.`);
        throw err;
      }
    } else {
      throw errors.invalidParameter(`Unknown placement constraint type '${c.type ?? ""}'. Use distinctInstance or memberOf.`);
    }
  }
  for (const s of strategies) {
    const field = (s.field ?? "").toLowerCase();
    if (s.type === "binpack") {
      if (field !== "cpu" && field !== "memory") throw errors.invalidParameter(`binpack takes the field cpu or memory, not '${s.field ?? ""}'.`);
    } else if (s.type === "spread") {
      if (field !== "instanceid" && field !== "host" && !(s.field ?? "").startsWith("attribute:")) {
        throw errors.invalidParameter(`Unknown spread field '${s.field ?? ""}'. Use instanceId, host or attribute:NAME.`);
      }
    } else if (s.type !== "random") {
      throw errors.invalidParameter(`Unknown placement strategy type '${s.type ?? ""}'. Use binpack, spread or random.`);
    }
  }
}

export interface SpecInput {
  readonly definition: TaskDefinition;
  readonly capacity: Capacity;
  readonly platformVersion?: string;
  readonly networkConfiguration?: NetworkConfiguration;
  readonly placementConstraints: readonly PlacementConstraint[];
  readonly placementStrategy: readonly PlacementStrategy[];
  readonly schedulingStrategy: SchedulingStrategy;
}

/** The checked DeploymentSpec; built with its keys in one order, so two specs compare as JSON. */
export function deploymentSpec(input: SpecInput): DeploymentSpec {
  const { definition: def, capacity } = input;
  const launchType = capacity.effective;
  if (input.schedulingStrategy === "DAEMON" && launchType === "FARGATE") {
    throw errors.invalidParameter("The DAEMON scheduling strategy does not support the FARGATE launch type.");
  }
  if (!(def.compatibilities ?? ["EC2"]).includes(launchType)) {
    throw errors.invalidParameter(`Task definition does not support launch_type ${launchType}.`);
  }
  checkNetwork(def, input.networkConfiguration);
  checkPlacement(input.placementConstraints, input.placementStrategy, launchType, input.schedulingStrategy);
  let platformVersion: string | undefined;
  if (input.platformVersion !== undefined) {
    if (launchType !== "FARGATE") throw errors.invalidParameter(`The platform version must be null when specifying an ${launchType} launch type.`);
    if (!fargatePlatforms.has(input.platformVersion)) {
      throw serviceErrors.platformUnknown(`The specified platform version '${input.platformVersion}' does not exist. Use LATEST, 1.4.0 or 1.3.0.`);
    }
    platformVersion = input.platformVersion;
  } else if (launchType === "FARGATE") platformVersion = "LATEST";
  return {
    taskDefinition: def.taskDefinitionArn!,
    ...(capacity.launchType ? { launchType: capacity.launchType } : {}),
    ...(capacity.capacityProviderStrategy ? { capacityProviderStrategy: capacity.capacityProviderStrategy } : {}),
    ...(platformVersion ? { platformVersion, platformFamily: "Linux" } : {}),
    ...(input.networkConfiguration ? { networkConfiguration: input.networkConfiguration } : {}),
    placementConstraints: [...input.placementConstraints],
    placementStrategy: [...input.placementStrategy],
  };
}

/** A role name or ARN → its ARN. */
export function roleArn(scope: Scope, role: string): string {
  return role.startsWith("arn:") ? role : `arn:aws:iam::${scope.accountId}:role/${role}`;
}
