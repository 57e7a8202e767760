// A task's volumes: host directories are bound as they are; Docker volumes are
// found, or made when the definition lets them be (task-scoped ones always), and
// the task-scoped ones are removed with the task's containers at cleanup.

import type { ContainerDefinition } from "../../model/generated/ecs.js";
import type { AssignedTask } from "../../protocol/channel.js";
import { labels, planVolume, type VolumeSource } from "../container-config.js";
import type { EngineContext } from "../engine-context.js";
import { ResourceInitError } from "./resource-init-error.js";

/** Whether a volume lives as long as its task or outlives it (label on the volumes the agent makes). */
const scopeLabel = "berth.scope";

/** The volumes a container mounts, each ready to mount. */
export async function createVolumes(ctx: EngineContext, assigned: AssignedTask, def: ContainerDefinition, signal: AbortSignal): Promise<Record<string, VolumeSource>> {
  const { task, taskDefinition: td } = assigned;
  const { runtime, agentId } = ctx;
  const volumeSources: Record<string, VolumeSource> = {};
  for (const mp of def.mountPoints ?? []) {
    const name = mp.sourceVolume ?? "";
    const volume = td.volumes?.find((v) => v.name === name);
    if (!volume || volumeSources[name]) continue;
    const plan = planVolume(agentId, task, td, volume);
    if (plan.kind === "bind") {
      volumeSources[name] = plan;
      continue;
    }
    const existing = await runtime.inspectVolume(plan.name, signal);
    if (!existing) {
      if (!plan.autoprovision) throw new ResourceInitError(`volume ${plan.name} does not exist and autoprovision is false`);
      await runtime.createVolume(
        {
          name: plan.name,
          ...(plan.driver ? { driver: plan.driver } : {}),
          ...(plan.driverOpts ? { driverOpts: plan.driverOpts } : {}),
          labels: {
            ...(plan.labels ?? {}),
            [labels.agent]: agentId,
            [labels.role]: "volume",
            [scopeLabel]: plan.scope,
            ...(plan.scope === "task" ? { [labels.taskArn]: task.taskArn ?? "" } : {}),
          },
        },
        signal,
      );
    }
    volumeSources[name] = { kind: "volume", name: plan.name };
  }
  return volumeSources;
}

/** Removes the task's own volumes (shared ones stay); after its containers, which hold them. */
export async function removeTaskVolumes(ctx: EngineContext, taskArn: string, signal: AbortSignal): Promise<void> {
  const { runtime, agentId } = ctx;
  for (const v of await runtime.listVolumes({ [labels.agent]: agentId, [labels.taskArn]: taskArn, [scopeLabel]: "task" }, signal)) {
    await runtime.removeVolume(v.name, signal);
  }
}
