// Task scale-in protection (UpdateTaskProtection): a service's task that the
// service scheduler does not stop to scale in or to retire an old deployment
// until its protection ends. Protection ends by itself at its expiration, so
// "protected" is always read against the clock, never stored as a flag.

import type { ProtectedTask } from "../model/generated/ecs.js";
import type { ServiceTaskRecord } from "../store/service-store.js";

/** ECS's bounds for expiresInMinutes, and its default when protectionEnabled is true without one. */
export const protectionMinutes = { min: 1, max: 2880, default: 120 } as const;

/** Whether the task's protection still holds at `now`. */
export function isProtected(record: Pick<ServiceTaskRecord, "protectedUntil"> | undefined, now: Date): boolean {
  return record?.protectedUntil !== undefined && record.protectedUntil.getTime() > now.getTime();
}

/** The task's protection as GetTaskProtection and UpdateTaskProtection show it: an expired one shows as none. */
export function protectedTask(taskArn: string, record: Pick<ServiceTaskRecord, "protectedUntil">, now: Date): ProtectedTask {
  return isProtected(record, now) ? { taskArn, protectionEnabled: true, expirationDate: record.protectedUntil! } : { taskArn, protectionEnabled: false };
}
