// Services: CreateService, UpdateService, DeleteService, DescribeServices,
// ListServices, and their deployments and revisions (ListServiceDeployments,
// DescribeServiceDeployments, DescribeServiceRevisions). These handlers record
// what the user wants — the service, and a new deployment when the spec changes —
// and nudge the service scheduler (a dependency: controllers/service-controller.ts),
// which does the launching and stopping. Counts are read from the tasks on every request.
//
//   Create/Update ─ check (service-spec.ts) ─ tx { service, deployment, revision } ─ nudge the scheduler
//   Describe ─ tx { service + deployments + live tasks + events } ─ ECS's Service shape

import { errors } from "../../errors.js";
import type { RequestContext } from "../../edge/json-protocol.js";
import type {
  Deployment,
  Failure,
  Service,
  ServiceDeployment,
  ServiceDeploymentBrief,
  ServiceRevision,
  ServiceRevisionSummary,
  Task,
  TaskDefinition,
} from "../../model/generated/ecs.js";
import { capacityOfSpec, resolveCapacity, serviceRules } from "../../ecs/capacity.js";
import { countOf, deploy, serviceTasks } from "../../ecs/service-deployments.js";
import type { StoredDeployment, StoredService } from "../../store/service-store.js";
import type { Tx } from "../../store/store.js";
import { arnResource, arns, taskDefinitionRef, type Scope } from "../../ecs/arns.js";
import { definedMembers } from "../../ecs/defined-members.js";
import { requireCluster } from "./clusters.js";
import type { EcsDeps, EcsHandlers } from "./handler-dependencies.js";
import { nextTokenOf, pageRequest } from "./pagination.js";
import { deploymentConfiguration, deploymentSpec, roleArn, serviceErrors, serviceNamePattern } from "./service-spec.js";
import { validateTags } from "./tags.js";

/** A service reference (name or ARN) in a cluster → the service's ARN. */
function serviceArnOf(scope: Scope, clusterName: string, ref: string): string {
  if (!ref.startsWith("arn:")) return arns.service(scope, clusterName, ref);
  const resource = arnResource(scope, ref);
  if (!resource?.startsWith("service/")) throw errors.invalidParameter(`Invalid service ARN '${ref}'. Use a service name or its ARN.`);
  const path = resource.slice("service/".length);
  // The old ARN form has no cluster: the request's cluster is the service's.
  return path.includes("/") ? ref : arns.service(scope, clusterName, path);
}

/** The revision a reference names; a new deployment needs an ACTIVE one, the revision a service already runs may be deregistered. */
async function resolveDefinition(tx: Tx, scope: Scope, ref: string | undefined, allowInactive = false): Promise<TaskDefinition> {
  if (!ref) throw errors.invalidParameter("A task definition must be specified for a service using the ECS deployment controller.");
  const r = taskDefinitionRef(scope, ref);
  const def = await tx.getTaskDefinition(scope.region, r.family, r.revision);
  if (!def) throw errors.client(`Unable to find task definition '${ref}'. Register it first, or check the family and revision.`);
  if (def.status !== "ACTIVE" && !allowInactive) throw errors.client(`TaskDefinition is inactive: ${def.taskDefinitionArn}. Use an ACTIVE revision.`);
  return def;
}

function presentDeployment(d: StoredDeployment, svc: Service, tasks: readonly Task[]): Deployment {
  const c = countOf(tasks, d.id);
  return {
    id: d.id,
    status: d.status,
    taskDefinition: d.spec.taskDefinition,
    // The PRIMARY wants the service's count; an older deployment only what it still runs.
    desiredCount: d.status === "PRIMARY" ? (svc.desiredCount ?? 0) : c.wanted,
    pendingCount: c.pending,
    runningCount: c.running,
    failedTasks: d.failedTasks,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    ...(d.spec.launchType ? { launchType: d.spec.launchType } : {}),
    ...(d.spec.capacityProviderStrategy ? { capacityProviderStrategy: d.spec.capacityProviderStrategy } : {}),
    ...(d.spec.platformVersion ? { platformVersion: d.spec.platformVersion, platformFamily: d.spec.platformFamily } : {}),
    ...(d.spec.networkConfiguration ? { networkConfiguration: d.spec.networkConfiguration } : {}),
    rolloutState: d.rolloutState,
    rolloutStateReason: d.rolloutStateReason,
  };
}

/** The Service as DescribeServices returns it: counts, deployments and events read now. */
async function presentService(tx: Tx, stored: StoredService, withTags: boolean): Promise<Service> {
  const svc = stored.service;
  const deployments = await tx.services.deploymentsOf(svc.serviceArn);
  const tasks = svc.status === "INACTIVE" ? [] : await serviceTasks(tx, svc);
  const all = countOf(tasks);
  const primary = deployments.find((d) => d.status === "PRIMARY");
  return definedMembers<Service>({
    ...svc,
    runningCount: all.running,
    pendingCount: all.pending,
    taskDefinition: primary?.spec.taskDefinition ?? svc.taskDefinition,
    deployments: svc.status === "INACTIVE" ? [] : deployments.map((d) => presentDeployment(d, svc, tasks)),
    events: [...(await tx.services.serviceEvents(svc.serviceArn, 100))],
    ...(primary ? { currentServiceDeployment: primary.serviceDeploymentArn } : {}),
    currentServiceRevisions: deployments.map((d) => {
      const c = countOf(tasks, d.id);
      return {
        arn: d.serviceRevisionArn,
        requestedTaskCount: d.status === "PRIMARY" ? (svc.desiredCount ?? 0) : c.wanted,
        runningTaskCount: c.running,
        pendingTaskCount: c.pending,
      };
    }),
    tags: withTags ? [...(await tx.getTags(svc.serviceArn))] : undefined,
  });
}

async function presentServiceDeployment(tx: Tx, d: StoredDeployment): Promise<ServiceDeployment> {
  const svc = (await tx.services.getService(d.serviceArn))?.service;
  const tasks = svc && svc.status !== "INACTIVE" ? await serviceTasks(tx, svc) : [];
  const sd = d.serviceDeployment;
  const target: ServiceRevisionSummary = {
    arn: d.serviceRevisionArn,
    requestedTaskCount: d.status === "PRIMARY" ? (svc?.desiredCount ?? 0) : countOf(tasks, d.id).wanted,
    runningTaskCount: countOf(tasks, d.id).running,
    pendingTaskCount: countOf(tasks, d.id).pending,
  };
  return {
    serviceDeploymentArn: d.serviceDeploymentArn,
    serviceArn: d.serviceArn,
    clusterArn: d.clusterArn,
    createdAt: d.createdAt,
    ...(sd.startedAt ? { startedAt: sd.startedAt } : {}),
    ...(sd.finishedAt ? { finishedAt: sd.finishedAt } : {}),
    ...(sd.stoppedAt ? { stoppedAt: sd.stoppedAt } : {}),
    updatedAt: sd.updatedAt,
    sourceServiceRevisions: [...sd.sourceServiceRevisions],
    targetServiceRevision: target,
    status: sd.status,
    ...(sd.statusReason ? { statusReason: sd.statusReason } : {}),
    deploymentConfiguration: sd.deploymentConfiguration,
    ...(sd.rollback ? { rollback: sd.rollback } : {}),
    deploymentCircuitBreaker: sd.circuitBreaker,
  };
}

const brief = (d: StoredDeployment): ServiceDeploymentBrief => ({
  serviceDeploymentArn: d.serviceDeploymentArn,
  serviceArn: d.serviceArn,
  clusterArn: d.clusterArn,
  ...(d.serviceDeployment.startedAt ? { startedAt: d.serviceDeployment.startedAt } : {}),
  createdAt: d.createdAt,
  ...(d.serviceDeployment.finishedAt ? { finishedAt: d.serviceDeployment.finishedAt } : {}),
  targetServiceRevisionArn: d.serviceRevisionArn,
  status: d.serviceDeployment.status,
  ...(d.serviceDeployment.statusReason ? { statusReason: d.serviceDeployment.statusReason } : {}),
});

function checkDesiredCount(count: number | undefined, strategy: string): void {
  if (strategy === "DAEMON") {
    if (count !== undefined) throw errors.invalidParameter("The daemon scheduling strategy does not support a desired count for services.");
    return;
  }
  if (count !== undefined && (!Number.isInteger(count) || count < 0)) throw errors.invalidParameter(`desiredCount must be 0 or more, got ${count}.`);
}

function checkGracePeriod(seconds: number | undefined): void {
  if (seconds !== undefined && (!Number.isInteger(seconds) || seconds < 0 || seconds > 2147483647)) {
    throw errors.invalidParameter(`healthCheckGracePeriodSeconds must be between 0 and 2147483647, got ${seconds}.`);
  }
}

function checkController(type: string | undefined): void {
  if (type !== undefined && type !== "ECS") {
    throw errors.unsupportedFeature(`Berth supports the ECS (rolling update) deployment controller only, not ${type}.`);
  }
}

export function serviceHandlers({ store, serviceScheduler }: EcsDeps): EcsHandlers {
  /** Looks a service up for a change: it must exist and be ACTIVE. */
  async function activeService(tx: Tx, ctx: RequestContext, cluster: string | undefined, ref: string): Promise<StoredService> {
    const c = await requireCluster(tx, ctx, cluster);
    const stored = await tx.services.getService(serviceArnOf(ctx, c.clusterName!, ref), { lock: true });
    if (!stored || stored.service.clusterArn !== c.clusterArn) throw serviceErrors.serviceNotFound();
    if (stored.service.status !== "ACTIVE") throw serviceErrors.serviceNotActive();
    return stored;
  }

  return {
    CreateService: async (input, ctx) => {
      const out = await store.tx(async (tx) => {
        const cluster = await requireCluster(tx, ctx, input.cluster);
        const name = input.serviceName;
        if (!serviceNamePattern.test(name)) {
          throw errors.invalidParameter("Service name can have up to 255 characters: letters (upper and lower case), numbers, underscores and hyphens.");
        }
        const arn = arns.service(ctx, cluster.clusterName!, name);
        const existing = await tx.services.getService(arn, { lock: true });
        if (existing && existing.service.status !== "INACTIVE") {
          // A retry with the same client token gets the service it created.
          if (input.clientToken && existing.clientToken === input.clientToken) return presentService(tx, existing, false);
          throw errors.invalidParameter("Creation of service was not idempotent.");
        }
        const scheduling = input.schedulingStrategy ?? "REPLICA";
        checkController(input.deploymentController?.type);
        checkDesiredCount(input.desiredCount, scheduling);
        if (scheduling === "REPLICA" && input.desiredCount === undefined) {
          throw errors.invalidParameter("desiredCount is required for services using the REPLICA scheduling strategy.");
        }
        checkGracePeriod(input.healthCheckGracePeriodSeconds);
        if (input.role && (input.loadBalancers ?? []).length === 0) {
          throw errors.invalidParameter("You cannot specify an IAM role for services that do not use a load balancer.");
        }
        const tags = validateTags(input.tags);
        const definition = await resolveDefinition(tx, ctx, input.taskDefinition);
        const capacity = await resolveCapacity(tx, ctx, cluster, input, serviceRules);
        const spec = deploymentSpec({
          definition,
          capacity,
          ...(input.platformVersion !== undefined ? { platformVersion: input.platformVersion } : {}),
          ...(input.networkConfiguration ? { networkConfiguration: input.networkConfiguration } : {}),
          placementConstraints: input.placementConstraints ?? [],
          placementStrategy: input.placementStrategy ?? [],
          schedulingStrategy: scheduling,
        });
        const stored: StoredService = {
          service: {
            serviceArn: arn,
            serviceName: name,
            clusterArn: cluster.clusterArn!,
            loadBalancers: input.loadBalancers ?? [],
            serviceRegistries: input.serviceRegistries ?? [],
            status: "ACTIVE",
            desiredCount: input.desiredCount ?? 0,
            ...(spec.launchType ? { launchType: spec.launchType } : {}),
            ...(spec.capacityProviderStrategy ? { capacityProviderStrategy: spec.capacityProviderStrategy } : {}),
            ...(spec.platformVersion ? { platformVersion: spec.platformVersion, platformFamily: spec.platformFamily } : {}),
            taskDefinition: spec.taskDefinition,
            deploymentConfiguration: deploymentConfiguration(input.deploymentConfiguration, scheduling),
            ...(input.role ? { roleArn: roleArn(ctx, input.role) } : {}),
            createdAt: ctx.now,
            placementConstraints: spec.placementConstraints,
            placementStrategy: spec.placementStrategy,
            ...(spec.networkConfiguration ? { networkConfiguration: spec.networkConfiguration } : {}),
            ...(input.healthCheckGracePeriodSeconds !== undefined ? { healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds } : {}),
            schedulingStrategy: scheduling,
            deploymentController: { type: "ECS" },
            createdBy: ctx.principal.arn,
            enableECSManagedTags: input.enableECSManagedTags ?? false,
            propagateTags: input.propagateTags ?? "NONE",
            enableExecuteCommand: input.enableExecuteCommand ?? false,
            ...(input.availabilityZoneRebalancing ? { availabilityZoneRebalancing: input.availabilityZoneRebalancing } : {}),
          },
          ...(input.clientToken ? { clientToken: input.clientToken } : {}),
        };
        if (existing) {
          // The name of a deleted service is free again; its history goes with it.
          await tx.services.clearServiceHistory(arn);
          await tx.deleteTags(arn);
          await tx.services.putService(stored);
        } else await tx.services.insertService(stored);
        if (tags.length > 0) await tx.putTags(arn, tags);
        await deploy(tx, ctx, ctx.now, stored, spec, definition);
        return presentService(tx, stored, false);
      });
      serviceScheduler.prod();
      return { service: out };
    },

    UpdateService: async (input, ctx) => {
      const out = await store.tx(async (tx) => {
        const stored = await activeService(tx, ctx, input.cluster, input.service);
        const svc = stored.service;
        const cluster = (await tx.getCluster(svc.clusterArn))!;
        checkController(input.deploymentController?.type);
        checkDesiredCount(input.desiredCount, svc.schedulingStrategy);
        checkGracePeriod(input.healthCheckGracePeriodSeconds);
        const primary = (await tx.services.deploymentsOf(svc.serviceArn)).find((d) => d.status === "PRIMARY");
        const current = primary?.spec;
        const definition =
          input.taskDefinition !== undefined
            ? await resolveDefinition(tx, ctx, input.taskDefinition)
            : await resolveDefinition(tx, ctx, current?.taskDefinition ?? svc.taskDefinition, true);
        const capacity =
          input.capacityProviderStrategy && input.capacityProviderStrategy.length > 0
            ? await resolveCapacity(tx, ctx, cluster, { capacityProviderStrategy: input.capacityProviderStrategy }, serviceRules)
            : current
              ? capacityOfSpec(current)
              : await resolveCapacity(tx, ctx, cluster, svc, serviceRules);
        const platformVersion = input.platformVersion ?? (capacity.effective === "FARGATE" ? current?.platformVersion : undefined);
        const networkConfiguration = input.networkConfiguration ?? current?.networkConfiguration;
        const spec = deploymentSpec({
          definition,
          capacity,
          ...(platformVersion !== undefined ? { platformVersion } : {}),
          ...(networkConfiguration ? { networkConfiguration } : {}),
          placementConstraints: input.placementConstraints ?? current?.placementConstraints ?? [],
          placementStrategy: input.placementStrategy ?? current?.placementStrategy ?? [],
          schedulingStrategy: svc.schedulingStrategy,
        });
        const execChanged = input.enableExecuteCommand !== undefined && input.enableExecuteCommand !== (svc.enableExecuteCommand ?? false);
        const redeploy = input.forceNewDeployment === true || execChanged || JSON.stringify(spec) !== JSON.stringify(current);
        const next: StoredService = {
          ...stored,
          // The spec's members replace the service's: one the spec leaves out is cleared.
          service: definedMembers<StoredService["service"]>({
            ...svc,
            ...(input.desiredCount !== undefined ? { desiredCount: input.desiredCount } : {}),
            launchType: spec.launchType,
            capacityProviderStrategy: spec.capacityProviderStrategy,
            platformVersion: spec.platformVersion,
            platformFamily: spec.platformFamily,
            taskDefinition: spec.taskDefinition,
            deploymentConfiguration: deploymentConfiguration(input.deploymentConfiguration, svc.schedulingStrategy, svc.deploymentConfiguration),
            placementConstraints: spec.placementConstraints,
            placementStrategy: spec.placementStrategy,
            networkConfiguration: spec.networkConfiguration,
            ...(input.healthCheckGracePeriodSeconds !== undefined ? { healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds } : {}),
            ...(input.enableExecuteCommand !== undefined ? { enableExecuteCommand: input.enableExecuteCommand } : {}),
            ...(input.enableECSManagedTags !== undefined ? { enableECSManagedTags: input.enableECSManagedTags } : {}),
            ...(input.propagateTags !== undefined ? { propagateTags: input.propagateTags } : {}),
            ...(input.loadBalancers !== undefined ? { loadBalancers: input.loadBalancers } : {}),
            ...(input.serviceRegistries !== undefined ? { serviceRegistries: input.serviceRegistries } : {}),
            ...(input.availabilityZoneRebalancing !== undefined ? { availabilityZoneRebalancing: input.availabilityZoneRebalancing } : {}),
          }),
          // A new deployment ends the launch throttle (ECS: "returns to a normal, non-throttled state immediately").
          ...(redeploy ? { steady: false, throttle: { failedStarts: 0 } } : {}),
        };
        await tx.services.putService(next);
        if (redeploy) await deploy(tx, ctx, ctx.now, next, spec, definition);
        return presentService(tx, next, false);
      });
      serviceScheduler.prod();
      return { service: out };
    },

    DeleteService: async (input, ctx) => {
      const out = await store.tx(async (tx) => {
        const cluster = await requireCluster(tx, ctx, input.cluster);
        const stored = await tx.services.getService(serviceArnOf(ctx, cluster.clusterName!, input.service), { lock: true });
        if (!stored || stored.service.clusterArn !== cluster.clusterArn || stored.service.status === "INACTIVE") {
          throw serviceErrors.serviceNotFound();
        }
        const svc = stored.service;
        if (svc.status === "DRAINING") return presentService(tx, stored, false);
        if (svc.schedulingStrategy === "REPLICA" && (svc.desiredCount ?? 0) > 0 && input.force !== true) {
          throw errors.invalidParameter("The service cannot be stopped while it is scaled above 0.");
        }
        // DRAINING: the controller stops every task, then makes the service INACTIVE.
        const next: StoredService = { ...stored, steady: false, service: { ...svc, status: "DRAINING", desiredCount: 0 } };
        await tx.services.putService(next);
        return presentService(tx, next, false);
      });
      serviceScheduler.prod();
      return { service: out };
    },

    DescribeServices: (input, ctx) =>
      // One snapshot: a service's events must never run ahead of its deployments' counts.
      store.snapshot(async (tx) => {
        const cluster = await requireCluster(tx, ctx, input.cluster);
        if (input.services.length < 1 || input.services.length > 10) {
          throw errors.invalidParameter("DescribeServices takes between 1 and 10 services.");
        }
        const withTags = input.include?.includes("TAGS") ?? false;
        const services: Service[] = [];
        const failures: Failure[] = [];
        for (const ref of input.services) {
          const arn = serviceArnOf(ctx, cluster.clusterName!, ref);
          const stored = await tx.services.getService(arn);
          if (!stored || stored.service.clusterArn !== cluster.clusterArn) failures.push({ arn, reason: "MISSING" });
          else services.push(await presentService(tx, stored, withTags));
        }
        return { services, failures };
      }),

    ListServices: (input, ctx) =>
      store.read(async (tx) => {
        const cluster = await requireCluster(tx, ctx, input.cluster);
        const req = pageRequest({ ...input, maxResults: input.maxResults ?? 10 }, 100);
        const page = await tx.services.listServices({
          ...req,
          clusterArn: cluster.clusterArn!,
          ...(input.launchType ? { launchType: input.launchType } : {}),
          ...(input.schedulingStrategy ? { schedulingStrategy: input.schedulingStrategy } : {}),
        });
        return { serviceArns: page.items.map((s) => s.service.serviceArn), ...nextTokenOf(page) };
      }),

    ListServiceDeployments: (input, ctx) =>
      store.read(async (tx) => {
        const cluster = await requireCluster(tx, ctx, input.cluster);
        const stored = await tx.services.getService(serviceArnOf(ctx, cluster.clusterName!, input.service));
        if (!stored || stored.service.clusterArn !== cluster.clusterArn) throw serviceErrors.serviceNotFound();
        const req = pageRequest({ ...input, maxResults: input.maxResults ?? 20 }, 100);
        const page = await tx.services.listServiceDeployments({
          ...req,
          serviceArn: stored.service.serviceArn,
          ...(input.status && input.status.length > 0 ? { statuses: input.status } : {}),
          ...(input.createdAt?.after ? { createdAfter: input.createdAt.after } : {}),
          ...(input.createdAt?.before ? { createdBefore: input.createdAt.before } : {}),
        });
        return { serviceDeployments: page.items.map(brief), ...nextTokenOf(page) };
      }),

    DescribeServiceDeployments: (input) =>
      store.read(async (tx) => {
        if (input.serviceDeploymentArns.length < 1 || input.serviceDeploymentArns.length > 20) {
          throw errors.invalidParameter("DescribeServiceDeployments takes between 1 and 20 service deployment ARNs.");
        }
        const serviceDeployments: ServiceDeployment[] = [];
        const failures: Failure[] = [];
        for (const arn of input.serviceDeploymentArns) {
          const d = await tx.services.findServiceDeployment(arn);
          if (d) serviceDeployments.push(await presentServiceDeployment(tx, d));
          else failures.push({ arn, reason: "MISSING" });
        }
        return { serviceDeployments, failures };
      }),

    DescribeServiceRevisions: (input) =>
      store.read(async (tx) => {
        if (input.serviceRevisionArns.length < 1 || input.serviceRevisionArns.length > 20) {
          throw errors.invalidParameter("DescribeServiceRevisions takes between 1 and 20 service revision ARNs.");
        }
        const serviceRevisions: ServiceRevision[] = [];
        const failures: Failure[] = [];
        for (const arn of input.serviceRevisionArns) {
          const r = await tx.services.getRevision(arn);
          if (r) serviceRevisions.push(r);
          else failures.push({ arn, reason: "MISSING" });
        }
        return { serviceRevisions, failures };
      }),
  };
}
