// What the service scheduler says, worded as ECS words it: service events and
// deployment rolloutStateReasons. One place, so tests and code agree on the text.

const taskId = (arn: string): string => arn.slice(arn.lastIndexOf("/") + 1);
const taskList = (arns: readonly string[]): string => arns.map((a) => `(task ${taskId(a)})`).join(" ");

export const serviceEvents = {
  started: (service: string, tasks: readonly string[]) => `(service ${service}) has started ${tasks.length} tasks: ${taskList(tasks)}.`,
  stopped: (service: string, tasks: readonly string[]) => `(service ${service}) has stopped ${tasks.length} running tasks: ${taskList(tasks)}.`,
  steady: (service: string) => `(service ${service}) has reached a steady state.`,
  deploymentCompleted: (service: string, deployment: string) => `(service ${service}) (deployment ${deployment}) deployment completed.`,
  deploymentFailed: (service: string, deployment: string) => `(service ${service}) (deployment ${deployment}) deployment failed: tasks failed to start.`,
  rollingBack: (service: string, deployment: string) => `(service ${service}) rolling back to deployment ${deployment}.`,
  unableToPlace: (service: string, reason: string) =>
    `(service ${service}) was unable to place a task because no container instance met all of its requirements. ${reason}`,
  unableToLaunch: (service: string, reason: string) => `(service ${service}) was unable to launch a task. Reason: ${reason}`,
  throttled: (service: string) => `(service ${service}) is unable to consistently start tasks successfully.`,
  failedHealthChecks: (service: string, task: string) => `(service ${service}) (task ${taskId(task)}) failed container health checks.`,
};

export const rolloutReasons = {
  inProgress: (deployment: string) => `ECS deployment ${deployment} in progress.`,
  completed: (deployment: string) => `ECS deployment ${deployment} completed.`,
  failed: "ECS deployment circuit breaker: tasks failed to start.",
  rollback: (target: string) => `ECS deployment circuit breaker: rolling back to deploymentId ${target}.`,
};

/** The stoppedReason of a task the scheduler replaces or scales away. */
export const schedulerStopReason = (deployment: string): string => `Scaling activity initiated by (deployment ${deployment})`;
export const healthStopReason = "Task failed container health checks";

const instanceId = (arn: string): string => arn.slice(arn.lastIndexOf("/") + 1);

/**
 * A placement failure reason (RunTask's failures[].reason) → the sentence ECS puts after
 * "no container instance met all of its requirements."
 */
export function placementReason(reason: string, instanceArn: string | undefined): string {
  const closest = instanceArn ? `The closest matching (container-instance ${instanceId(instanceArn)})` : "";
  const see = " For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.";
  if (!instanceArn) return `Reason: ${reason}${see}`;
  switch (reason) {
    case "RESOURCE:CPU":
      return `${closest} has insufficient CPU units available.${see}`;
    case "RESOURCE:MEMORY":
      return `${closest} has insufficient memory available.${see}`;
    case "RESOURCE:PORTS":
    case "RESOURCE:PORTS_UDP":
      return `${closest} is already using a port required by your task.${see}`;
    case "RESOURCE:ENI":
      return `${closest} has no free address left in its awsvpc subnet.${see}`;
    case "ATTRIBUTE":
      return `${closest} is missing an attribute required by your task.${see}`;
    case "AGENT":
      return `${closest} has an agent that is not connected.${see}`;
    case "INACTIVE":
      return `${closest} is not ACTIVE.${see}`;
    default:
      return `${closest} encountered error "${reason}".${see}`;
  }
}
