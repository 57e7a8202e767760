// A container instance's ARN names the cluster it registered in
// (container-instance/CLUSTER/ID), as ECS's long ARN format does: the agent's
// channel and the store's reservations read the cluster from it.

/** container-instance/CLUSTER/ID → the cluster's ARN; "" for anything else. */
export function clusterArnOfInstance(instanceArn: string): string {
  const m = /^(arn:aws:ecs:[^:]+:\d+:)container-instance\/([^/]+)\/[^/]+$/.exec(instanceArn);
  return m ? `${m[1]}cluster/${m[2]}` : "";
}
