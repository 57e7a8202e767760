// A service's deployments as the store keeps them: a new one written with its
// ServiceDeployment and service revision (the deployments before it superseded),
// and the service's live tasks counted per deployment. The pure rollout model is
// deployment-state.ts; the service scheduler (src/controllers/) moves it on.

import type { ContainerImage, ServiceRevision, Task, TaskDefinition } from "../model/generated/ecs.js";
import type { DeploymentSpec, StoredDeployment, StoredService } from "../store/service-store.js";
import type { Tx } from "../store/store.js";
import { arns, type Scope } from "./arns.js";
import { definedMembers } from "./defined-members.js";
import { historyToForget } from "./deployment-history.js";
import { newDeployment, newDeploymentId, newServiceDeploymentId, supersede } from "./deployment-state.js";

const pendingStatuses = new Set(["PROVISIONING", "PENDING", "ACTIVATING"]);

/** The service's live tasks (what runningCount and pendingCount count). */
export async function serviceTasks(tx: Tx, svc: { readonly clusterArn?: string; readonly serviceName?: string }): Promise<Task[]> {
  return (await tx.liveTasksInCluster(svc.clusterArn!)).filter(
    (t) => t.group === `service:${svc.serviceName}` && (t.startedBy ?? "").startsWith("ecs-svc/"),
  );
}

/** How many of the tasks (of one deployment, given its id) run, are pending, and are not told to stop. */
export const countOf = (tasks: readonly Task[], id?: string): { running: number; pending: number; wanted: number } => {
  const mine = id === undefined ? tasks : tasks.filter((t) => t.startedBy === id);
  return {
    running: mine.filter((t) => t.lastStatus === "RUNNING").length,
    pending: mine.filter((t) => pendingStatuses.has(t.lastStatus ?? "")).length,
    wanted: mine.filter((t) => t.desiredStatus !== "STOPPED").length,
  };
};

/**
 * A new deployment of `svc` with `spec`, its ServiceDeployment and its revision, written;
 * older ones superseded, and the history past what a service keeps forgotten (deployment-history.ts).
 */
export async function deploy(tx: Tx, scope: Scope, now: Date, stored: StoredService, spec: DeploymentSpec, definition: TaskDefinition): Promise<StoredDeployment> {
  const svc = stored.service;
  const history = await tx.services.deploymentsOf(svc.serviceArn, { includeInactive: true });
  const existing = history.filter((d) => d.status !== "INACTIVE");
  const tasks = existing.length > 0 ? await serviceTasks(tx, svc) : [];
  const id = newDeploymentId();
  const cluster = svc.clusterArn.slice(svc.clusterArn.lastIndexOf("/") + 1);
  const path = `${cluster}/${svc.serviceName}`;
  const revisionArn = arns.serviceRevision(scope, path, id.slice("ecs-svc/".length));
  const revision: ServiceRevision = {
    serviceRevisionArn: revisionArn,
    serviceArn: svc.serviceArn,
    clusterArn: svc.clusterArn,
    taskDefinition: spec.taskDefinition,
    ...(spec.capacityProviderStrategy ? { capacityProviderStrategy: spec.capacityProviderStrategy } : {}),
    ...(spec.launchType ? { launchType: spec.launchType } : {}),
    ...(spec.platformVersion ? { platformVersion: spec.platformVersion, platformFamily: spec.platformFamily } : {}),
    loadBalancers: svc.loadBalancers ?? [],
    serviceRegistries: svc.serviceRegistries ?? [],
    ...(spec.networkConfiguration ? { networkConfiguration: spec.networkConfiguration } : {}),
    containerImages: (definition.containerDefinitions ?? []).map((c) => definedMembers<ContainerImage>({ containerName: c.name, image: c.image })),
    guardDutyEnabled: false,
    createdAt: now,
  };
  await tx.services.putRevision(svc.serviceArn, revision);
  const superseded = supersede(existing, now);
  for (const d of superseded) await tx.services.putDeployment(d);
  const deployment = newDeployment({
    id,
    serviceArn: svc.serviceArn,
    clusterArn: svc.clusterArn,
    serviceDeploymentArn: arns.serviceDeployment(scope, path, newServiceDeploymentId()),
    serviceRevisionArn: revisionArn,
    spec,
    deploymentConfiguration: svc.deploymentConfiguration ?? {},
    desiredCount: svc.desiredCount ?? 0,
    sourceServiceRevisions: existing.map((d) => {
      const c = countOf(tasks, d.id);
      return { arn: d.serviceRevisionArn, requestedTaskCount: c.wanted, runningTaskCount: c.running, pendingTaskCount: c.pending };
    }),
    now: now,
  });
  await tx.services.putDeployment(deployment);
  const records = new Map(history.map((d) => [d.id, d]));
  for (const d of [...superseded, deployment]) records.set(d.id, d);
  const forgotten = historyToForget([...records.values()]);
  await tx.services.deleteDeployments(forgotten.deployments);
  await tx.services.deleteRevisions(forgotten.revisions);
  return deployment;
}
