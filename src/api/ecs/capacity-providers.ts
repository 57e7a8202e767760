// The capacity provider API: Create, Describe, Update, Delete. Which providers exist
// and the strategy rules are the domain's (ecs/capacity-providers.ts).

import { errors } from "../../errors.js";
import type { CapacityProvider } from "../../model/generated/ecs.js";
import { arns, namePattern } from "../../ecs/arns.js";
import { builtinProvider, builtinProviders, findCapacityProvider, providerName } from "../../ecs/capacity-providers.js";
import type { EcsDeps, EcsHandlers } from "./handler-dependencies.js";
import { nextTokenOf, pageOf, pageRequest } from "./pagination.js";
import { validateTags } from "./tags.js";

export function capacityProviderHandlers({ store }: EcsDeps): EcsHandlers {
  return {
    CreateCapacityProvider: (input, ctx) =>
      store.tx(async (tx) => {
        const name = input.name;
        if (!namePattern.test(name)) {
          throw errors.invalidParameter("A capacity provider name can have up to 255 letters, numbers, underscores and hyphens.");
        }
        if (/^(aws|ecs|fargate)/i.test(name)) {
          throw errors.invalidParameter(`The capacity provider name '${name}' cannot begin with 'aws', 'ecs' or 'fargate'.`);
        }
        if (!input.autoScalingGroupProvider && !input.managedInstancesProvider) {
          throw errors.invalidParameter("Specify autoScalingGroupProvider or managedInstancesProvider for the capacity provider.");
        }
        const tags = validateTags(input.tags);
        const existing = await tx.getCapacityProvider(ctx.region, name);
        if (existing && existing.status !== "INACTIVE") {
          throw errors.client(`A capacity provider named '${name}' already exists. Choose another name.`);
        }
        const provider: CapacityProvider = {
          capacityProviderArn: arns.capacityProvider(ctx, name),
          name,
          status: "ACTIVE",
          type: input.autoScalingGroupProvider ? "EC2_AUTOSCALING" : "MANAGED_INSTANCES",
          updateStatus: "CREATE_COMPLETE",
          ...(input.cluster ? { cluster: input.cluster } : {}),
          ...(input.autoScalingGroupProvider
            ? {
                autoScalingGroupProvider: {
                  managedTerminationProtection: "DISABLED",
                  managedDraining: "ENABLED",
                  ...input.autoScalingGroupProvider,
                  managedScaling: {
                    status: "DISABLED",
                    targetCapacity: 100,
                    minimumScalingStepSize: 1,
                    maximumScalingStepSize: 10000,
                    instanceWarmupPeriod: 300,
                    ...input.autoScalingGroupProvider.managedScaling,
                  },
                },
              }
            : {}),
          ...(input.managedInstancesProvider ? { managedInstancesProvider: input.managedInstancesProvider } : {}),
        };
        if (existing) await tx.putCapacityProvider(provider);
        else await tx.insertCapacityProvider(provider);
        await tx.deleteTags(provider.capacityProviderArn!);
        await tx.putTags(provider.capacityProviderArn!, tags);
        return { capacityProvider: { ...provider, tags: [...tags] } };
      }),

    DescribeCapacityProviders: (input, ctx) =>
      store.read(async (tx) => {
        const withTags = input.include?.includes("TAGS") ?? false;
        const decorate = async ({ tags: _tags, ...p }: CapacityProvider): Promise<CapacityProvider> =>
          withTags && !builtinProviders.some((b) => b === p.name)
            ? { ...p, tags: [...(await tx.getTags(p.capacityProviderArn!))] }
            : withTags
              ? { ...p, tags: [] }
              : p;
        if (input.capacityProviders && input.capacityProviders.length > 0) {
          const found: CapacityProvider[] = [];
          const failures = [];
          for (const ref of input.capacityProviders) {
            const name = providerName(ctx, ref);
            const fixed = builtinProviders.find((b) => b === name);
            const p = fixed ? builtinProvider(ctx, fixed) : await tx.getCapacityProvider(ctx.region, name);
            if (p) found.push(await decorate(p));
            else failures.push({ arn: ref.startsWith("arn:") ? ref : arns.capacityProvider(ctx, ref), reason: "MISSING" });
          }
          return { capacityProviders: found, failures };
        }
        // Capacity providers are few: page over built-ins then stored ones, by name.
        const stored = await tx.listCapacityProviders(ctx.region, { limit: 10_000 });
        const all = [...builtinProviders.map((b) => builtinProvider(ctx, b)), ...stored.items.filter((p) => p.status !== "INACTIVE")];
        const page = pageOf(all, pageRequest(input, 10), (p) => p.name!);
        return { capacityProviders: await Promise.all(page.items.map(decorate)), failures: [], ...nextTokenOf(page) };
      }),

    UpdateCapacityProvider: (input, ctx) =>
      store.tx(async (tx) => {
        const p = await findCapacityProvider(tx, ctx, input.name);
        if (!p) throw errors.invalidParameter(`The specified capacity provider '${input.name}' does not exist.`);
        if (builtinProviders.some((b) => b === p.name)) {
          throw errors.invalidParameter(`The capacity provider '${p.name}' is managed by Berth and cannot be updated.`);
        }
        const asg = p.autoScalingGroupProvider;
        const update = input.autoScalingGroupProvider;
        const updated: CapacityProvider = {
          ...p,
          updateStatus: "UPDATE_COMPLETE",
          ...(asg && update
            ? {
                autoScalingGroupProvider: {
                  ...asg,
                  ...(update.managedTerminationProtection ? { managedTerminationProtection: update.managedTerminationProtection } : {}),
                  ...(update.managedDraining ? { managedDraining: update.managedDraining } : {}),
                  managedScaling: { ...asg.managedScaling, ...update.managedScaling },
                },
              }
            : {}),
        };
        await tx.putCapacityProvider(updated);
        return { capacityProvider: updated };
      }),

    DeleteCapacityProvider: (input, ctx) =>
      store.tx(async (tx) => {
        const p = await findCapacityProvider(tx, ctx, input.capacityProvider);
        if (!p) throw errors.client(`The specified capacity provider '${input.capacityProvider}' does not exist.`);
        if (builtinProviders.some((b) => b === p.name)) {
          throw errors.client(`The capacity provider '${p.name}' is managed by Berth and cannot be deleted.`);
        }
        for (let page = await tx.listClusterArns(ctx.region, { limit: 100 }); ; page = await tx.listClusterArns(ctx.region, { limit: 100, after: page.next })) {
          for (const arn of page.items) {
            const cluster = await tx.getCluster(arn);
            // ECS accepts the call and reports the failure on the provider itself.
            if (cluster?.capacityProviders?.includes(p.name!)) {
              const failed: CapacityProvider = {
                ...p,
                updateStatus: "DELETE_FAILED",
                updateStatusReason: `The capacity provider cannot be deleted because it is associated with cluster: ${cluster.clusterName}. Remove the capacity provider from the cluster and try again.`,
              };
              await tx.putCapacityProvider(failed);
              return { capacityProvider: failed };
            }
          }
          if (!page.next) break;
        }
        const deleted: CapacityProvider = { ...p, status: "INACTIVE", updateStatus: "DELETE_COMPLETE" };
        await tx.putCapacityProvider(deleted);
        return { capacityProvider: deleted };
      }),
  };
}
