// Task scale-in protection: GetTaskProtection and UpdateTaskProtection, for the
// tasks a service launched (a standalone task is TASK_NOT_VALID; one the cluster
// does not hold is MISSING). The service scheduler reads the same protection
// (src/ecs/task-protection.ts) when it scales in or retires an old deployment.

import { errors } from "../../errors.js";
import type { Cluster, Failure, ProtectedTask } from "../../model/generated/ecs.js";
import type { RequestContext } from "../../edge/json-protocol.js";
import type { Tx } from "../../store/store.js";
import type { ServiceTaskRecord } from "../../store/service-store.js";
import { protectedTask, protectionMinutes } from "../../ecs/task-protection.js";
import { requireCluster } from "./clusters.js";
import type { EcsDeps, EcsHandlers } from "./handler-dependencies.js";
import { taskArnOf } from "./tasks.js";

const notOfService = "The task does not belong to a service: only a service's tasks can be protected.";

/** Each named task's service record, or the failure ECS gives for it. */
async function serviceTasks(
  tx: Tx,
  ctx: RequestContext,
  cluster: Cluster,
  refs: readonly string[],
): Promise<{ found: { arn: string; record: ServiceTaskRecord; stopping: boolean }[]; failures: Failure[] }> {
  const found: { arn: string; record: ServiceTaskRecord; stopping: boolean }[] = [];
  const failures: Failure[] = [];
  for (const ref of refs) {
    const arn = taskArnOf(ctx, cluster, ref);
    const task = await tx.getTask(arn);
    if (!task || task.clusterArn !== cluster.clusterArn) {
      failures.push({ arn, reason: "MISSING" });
      continue;
    }
    const record = await tx.services.getServiceTask(arn);
    if (!record) failures.push({ arn, reason: "TASK_NOT_VALID", detail: notOfService });
    else found.push({ arn, record, stopping: task.desiredStatus === "STOPPED" });
  }
  return { found, failures };
}

function checkCount(what: string, refs: readonly string[], max: number): void {
  if (refs.length === 0) throw errors.invalidParameter(`${what} needs at least one task.`);
  if (refs.length > max) throw errors.invalidParameter(`${what} takes at most ${max} tasks, got ${refs.length}.`);
}

export function taskProtectionHandlers({ store, serviceScheduler }: EcsDeps): Pick<EcsHandlers, "GetTaskProtection" | "UpdateTaskProtection"> {
  return {
    GetTaskProtection: async (input, ctx) => {
      const refs = input.tasks ?? [];
      checkCount("GetTaskProtection", refs, 100);
      return store.read(async (tx) => {
        const { found, failures } = await serviceTasks(tx, ctx, await requireCluster(tx, ctx, input.cluster), refs);
        return { protectedTasks: found.map((f) => protectedTask(f.arn, f.record, ctx.now)), failures };
      });
    },

    UpdateTaskProtection: async (input, ctx) => {
      checkCount("UpdateTaskProtection", input.tasks, 10);
      const minutes = input.expiresInMinutes ?? protectionMinutes.default;
      if (input.protectionEnabled && (minutes < protectionMinutes.min || minutes > protectionMinutes.max)) {
        throw errors.invalidParameter(`expiresInMinutes must be from ${protectionMinutes.min} to ${protectionMinutes.max} minutes, got ${minutes}.`);
      }
      // Each call starts the period again, as ECS's does: protection is extended by calling again.
      const until = input.protectionEnabled ? new Date(ctx.now.getTime() + minutes * 60_000) : undefined;
      const out = await store.tx(async (tx) => {
        const { found, failures } = await serviceTasks(tx, ctx, await requireCluster(tx, ctx, input.cluster), input.tasks);
        const protectedTasks: ProtectedTask[] = [];
        for (const f of found) {
          if (f.stopping && until) {
            failures.push({ arn: f.arn, reason: "TASK_NOT_VALID", detail: "The task is stopping: it can no longer be protected." });
            continue;
          }
          await tx.services.protectServiceTask(f.arn, until);
          protectedTasks.push(protectedTask(f.arn, until ? { protectedUntil: until } : {}, ctx.now));
        }
        return { protectedTasks, failures };
      });
      // A protection lifted may free the scheduler to scale in or finish a rollout now.
      if (!input.protectionEnabled) serviceScheduler.prod();
      return out;
    },
  };
}
