// The deployment circuit breaker's arithmetic (ECS: "How the Amazon ECS deployment
// circuit breaker detects failures"): how many failed tasks fail a deployment.

/** Failed tasks that fail a deployment: half the desired count, rounded up, kept within 3..200. */
export function failureThreshold(desiredCount: number): number {
  return Math.max(3, Math.min(200, Math.ceil(Math.max(0, desiredCount) / 2)));
}

/** Whether a deployment with this many failed tasks has tripped the breaker. */
export function breakerTripped(failedTasks: number, desiredCount: number): boolean {
  return failedTasks >= failureThreshold(desiredCount);
}
