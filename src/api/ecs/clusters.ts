// Clusters: create (idempotent by name), describe with the optional fields,
// list, update, capacity providers, delete (refused while anything remains).
// Counts are read from what the cluster holds, never kept as separate numbers.

import { errors } from "../../errors.js";
import type { Cluster, ClusterField, ClusterSetting, Failure, KeyValuePair } from "../../model/generated/ecs.js";
import type { InactiveSince, Tx } from "../../store/store.js";
import { arns, clusterName, namePattern, type Scope } from "../../ecs/arns.js";
import { effectiveAccountSetting } from "./account-settings.js";
import { validateClusterProviders } from "../../ecs/capacity-providers.js";
import { definedMembers } from "../../ecs/defined-members.js";
import type { EcsDeps, EcsHandlers } from "./handler-dependencies.js";
import { nextTokenOf, pageRequest } from "./pagination.js";
import { validateTags } from "./tags.js";

/** The ACTIVE cluster a reference names, or ClusterNotFoundException. */
export async function requireCluster(tx: Tx, scope: Scope, ref: string | undefined): Promise<Cluster> {
  const cluster = await tx.getCluster(arns.cluster(scope, clusterName(scope, ref)));
  if (!cluster || cluster.status === "INACTIVE") throw errors.clusterNotFound("Cluster not found.");
  return cluster;
}

function validateSettings(settings: readonly ClusterSetting[] | undefined): ClusterSetting[] | undefined {
  if (!settings) return undefined;
  for (const s of settings) {
    if (s.name === "containerInsights" && !["enabled", "disabled", "enhanced"].includes(s.value ?? "")) {
      throw errors.invalidParameter(`Cluster setting containerInsights must be 'enabled', 'disabled' or 'enhanced', not '${s.value ?? ""}'.`);
    }
  }
  return [...settings];
}

function mergeSettings(current: readonly ClusterSetting[] | undefined, update: readonly ClusterSetting[]): ClusterSetting[] {
  const byName = new Map((current ?? []).map((s) => [s.name, s]));
  for (const s of update) byName.set(s.name, s);
  return [...byName.values()];
}

/** The cluster as DescribeClusters returns it: counts always, the rest on request. */
async function present(tx: Tx, cluster: Cluster, include: readonly ClusterField[]): Promise<Cluster> {
  const usage = await tx.clusterUsage(cluster.clusterArn!);
  // Built only when asked for: DescribeClusters is among the most frequent calls.
  const statistics = (): KeyValuePair[] => [
    { name: "runningEC2TasksCount", value: String(usage.runningTasksCount) },
    { name: "runningFargateTasksCount", value: "0" },
    { name: "pendingEC2TasksCount", value: String(usage.pendingTasksCount) },
    { name: "pendingFargateTasksCount", value: "0" },
    { name: "runningExternalTasksCount", value: "0" },
    { name: "pendingExternalTasksCount", value: "0" },
    { name: "activeEC2ServiceCount", value: String(usage.activeServicesCount) },
    { name: "activeFargateServiceCount", value: "0" },
    { name: "drainingEC2ServiceCount", value: "0" },
    { name: "drainingFargateServiceCount", value: "0" },
    { name: "activeExternalServiceCount", value: "0" },
    { name: "drainingExternalServiceCount", value: "0" },
  ];
  return definedMembers<Cluster>({
    clusterArn: cluster.clusterArn,
    clusterName: cluster.clusterName,
    status: cluster.status,
    ...usage,
    capacityProviders: cluster.capacityProviders ?? [],
    defaultCapacityProviderStrategy: cluster.defaultCapacityProviderStrategy ?? [],
    ...(cluster.serviceConnectDefaults ? { serviceConnectDefaults: cluster.serviceConnectDefaults } : {}),
    ...(include.includes("SETTINGS") ? { settings: cluster.settings ?? [] } : {}),
    ...(include.includes("CONFIGURATIONS") && cluster.configuration ? { configuration: cluster.configuration } : {}),
    // ECS answers with empty lists for what was not asked for.
    statistics: include.includes("STATISTICS") ? statistics() : [],
    tags: include.includes("TAGS") ? [...(await tx.getTags(cluster.clusterArn!))] : [],
    ...(include.includes("ATTACHMENTS") ? { attachments: [] } : {}),
  });
}

const everything: readonly ClusterField[] = ["SETTINGS", "CONFIGURATIONS", "TAGS"];

export function clusterHandlers({ store }: EcsDeps): EcsHandlers {
  return {
    CreateCluster: (input, ctx) =>
      store.tx(async (tx) => {
        const name = input.clusterName ?? "default";
        if (!namePattern.test(name)) {
          throw errors.invalidParameter(
            "Cluster name can have up to 255 characters: letters (upper and lower case), numbers, underscores and hyphens.",
          );
        }
        const tags = validateTags(input.tags);
        const providers = [...(input.capacityProviders ?? [])];
        const strategy = [...(input.defaultCapacityProviderStrategy ?? [])];
        await validateClusterProviders(tx, ctx, providers, strategy);
        const arn = arns.cluster(ctx, name);
        const cluster: Cluster = {
          clusterArn: arn,
          clusterName: name,
          status: "ACTIVE",
          settings: validateSettings(input.settings) ?? [
            { name: "containerInsights", value: await effectiveAccountSetting(tx, ctx, "containerInsights") },
          ],
          capacityProviders: providers,
          defaultCapacityProviderStrategy: strategy,
          ...(input.configuration ? { configuration: input.configuration } : {}),
          ...(input.serviceConnectDefaults ? { serviceConnectDefaults: input.serviceConnectDefaults } : {}),
        };
        // Insert-if-absent, so concurrent creates of one name all succeed with the same cluster.
        if (!(await tx.insertCluster(cluster))) {
          const existing = await tx.getCluster(arn);
          // CreateCluster is idempotent: an ACTIVE cluster of that name is returned as it is.
          if (existing && existing.status !== "INACTIVE") return { cluster: await present(tx, existing, everything) };
          await tx.putCluster(cluster);
          await tx.deleteTags(arn);
        }
        await tx.putTags(arn, tags);
        return { cluster: await present(tx, cluster, everything) };
      }),

    DescribeClusters: (input, ctx) =>
      store.read(async (tx) => {
        const refs = input.clusters && input.clusters.length > 0 ? input.clusters : ["default"];
        if (refs.length > 100) throw errors.invalidParameter("DescribeClusters takes at most 100 clusters.");
        const clusters: Cluster[] = [];
        const failures: Failure[] = [];
        for (const ref of refs) {
          const arn = arns.cluster(ctx, clusterName(ctx, ref));
          const cluster = await tx.getCluster(arn);
          if (cluster) clusters.push(await present(tx, cluster, input.include ?? []));
          else failures.push({ arn, reason: "MISSING" });
        }
        return { clusters, failures };
      }),

    ListClusters: (input, ctx) =>
      store.read(async (tx) => {
        const page = await tx.listClusterArns(ctx.region, pageRequest(input));
        return { clusterArns: [...page.items], ...nextTokenOf(page) };
      }),

    UpdateCluster: (input, ctx) =>
      store.tx(async (tx) => {
        const cluster = await requireCluster(tx, ctx, input.cluster);
        const settings = validateSettings(input.settings);
        const updated: Cluster = {
          ...cluster,
          ...(settings ? { settings: mergeSettings(cluster.settings, settings) } : {}),
          ...(input.configuration ? { configuration: input.configuration } : {}),
          ...(input.serviceConnectDefaults ? { serviceConnectDefaults: input.serviceConnectDefaults } : {}),
        };
        await tx.putCluster(updated);
        return { cluster: await present(tx, updated, everything) };
      }),

    UpdateClusterSettings: (input, ctx) =>
      store.tx(async (tx) => {
        const cluster = await requireCluster(tx, ctx, input.cluster);
        const updated: Cluster = { ...cluster, settings: mergeSettings(cluster.settings, validateSettings(input.settings) ?? []) };
        await tx.putCluster(updated);
        return { cluster: await present(tx, updated, ["SETTINGS"]) };
      }),

    PutClusterCapacityProviders: (input, ctx) =>
      store.tx(async (tx) => {
        const cluster = await requireCluster(tx, ctx, input.cluster);
        await validateClusterProviders(tx, ctx, input.capacityProviders, input.defaultCapacityProviderStrategy);
        const updated: Cluster = {
          ...cluster,
          capacityProviders: [...input.capacityProviders],
          defaultCapacityProviderStrategy: [...input.defaultCapacityProviderStrategy],
        };
        await tx.putCluster(updated);
        return { cluster: await present(tx, updated, everything) };
      }),

    DeleteCluster: (input, ctx) =>
      store.tx(async (tx) => {
        const cluster = await requireCluster(tx, ctx, input.cluster);
        const usage = await tx.clusterUsage(cluster.clusterArn!);
        if (usage.registeredContainerInstancesCount > 0) {
          throw errors.clusterContainsContainerInstances(
            "The Cluster cannot be deleted while Container Instances are active or draining. Deregister them first.",
          );
        }
        if (usage.activeServicesCount > 0) {
          throw errors.clusterContainsServices("The Cluster cannot be deleted while Services are active. Delete them first.");
        }
        if (usage.runningTasksCount + usage.pendingTasksCount > 0) {
          throw errors.clusterContainsTasks("The Cluster cannot be deleted while Tasks are active. Stop them first.");
        }
        // Describable as INACTIVE for an hour (housekeeping forgets it then), as ECS keeps deleted clusters for a while.
        const deleted: Cluster & InactiveSince = { ...cluster, status: "INACTIVE", inactiveSince: ctx.now };
        await tx.putCluster(deleted);
        return { cluster: await present(tx, deleted, everything) };
      }),
  };
}
