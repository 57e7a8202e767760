// ECS's service throttle logic: when a service's tasks keep stopping before they
// reach RUNNING, the time between launch attempts grows, up to 27 minutes. Tasks
// that stop after RUNNING (a crash, a failed health check) never throttle.

import type { LaunchThrottle } from "../store/service-store.js";

/** ECS's ceiling on the delay between attempts. */
export const maxThrottleMs = 27 * 60_000;

/** Failed starts in a row before launches slow down: one failure is bad luck, two is a pattern. */
export const throttleAfter = 2;

/** The wait before the next launch after `failedStarts` failures in a row: doubling from `baseMs`, capped. */
export function throttleDelayMs(failedStarts: number, baseMs: number): number {
  if (failedStarts < throttleAfter) return 0;
  return Math.min(maxThrottleMs, baseMs * 2 ** Math.min(30, failedStarts - throttleAfter));
}

/** The throttle after another task failed to start. */
export function afterFailedStart(throttle: LaunchThrottle | undefined, now: Date, baseMs: number): LaunchThrottle {
  const failedStarts = (throttle?.failedStarts ?? 0) + 1;
  const delay = throttleDelayMs(failedStarts, baseMs);
  return delay > 0 ? { failedStarts, nextLaunchAt: new Date(now.getTime() + delay) } : { failedStarts };
}

/** Whether launches wait at `now`. */
export const throttled = (throttle: LaunchThrottle | undefined, now: Date): boolean =>
  throttle?.nextLaunchAt !== undefined && throttle.nextLaunchAt.getTime() > now.getTime();

/** Whether this failure is the one that starts throttling (the moment ECS says so in an event). */
export const throttleBegins = (before: LaunchThrottle | undefined, after: LaunchThrottle): boolean =>
  (before?.failedStarts ?? 0) < throttleAfter && after.failedStarts >= throttleAfter;
