import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DeploymentStatus, StoredDeployment } from "../store/service-store.js";
import { historyToForget } from "./deployment-history.js";

const prefix = "arn:aws:ecs:us-east-1:000000000000";
const revision = (n: number): string => `${prefix}:service-revision/c/web/${n}`;

/** Deployment n of service web, created at minute n, with revision n. */
function deployment(n: number, status: DeploymentStatus, extra: Partial<StoredDeployment> = {}, sources: readonly number[] = []): StoredDeployment {
  return {
    id: `ecs-svc/${n}`,
    serviceArn: `${prefix}:service/c/web`,
    clusterArn: `${prefix}:cluster/c`,
    serviceDeploymentArn: `${prefix}:service-deployment/c/web/${n}`,
    serviceRevisionArn: revision(n),
    status,
    spec: { taskDefinition: "app:1", placementConstraints: [], placementStrategy: [] },
    rolloutState: status === "PRIMARY" ? "IN_PROGRESS" : "FAILED",
    rolloutStateReason: "",
    failedTasks: 0,
    createdAt: new Date(n * 60_000),
    updatedAt: new Date(n * 60_000),
    serviceDeployment: {
      status: "STOPPED",
      updatedAt: new Date(n * 60_000),
      sourceServiceRevisions: sources.map((s) => ({ arn: revision(s), requestedTaskCount: 0, runningTaskCount: 0, pendingTaskCount: 0 })),
      deploymentConfiguration: {},
      circuitBreaker: { status: "DISABLED", failureCount: 0, threshold: 3 },
    },
    ...extra,
  };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("historyToForget", () => {
  it("keeps PRIMARY and ACTIVE deployments and the newest `keep` INACTIVE ones, whatever the order given", () => {
    const history = [...range(1, 6).map((n) => deployment(n, "INACTIVE")), deployment(7, "ACTIVE"), deployment(8, "PRIMARY")].reverse();
    const forgotten = historyToForget(history, 3);
    assert.deepEqual([...forgotten.deployments].sort(), ["ecs-svc/1", "ecs-svc/2", "ecs-svc/3"]);
    assert.deepEqual([...forgotten.revisions].sort(), [revision(1), revision(2), revision(3)]);
    assert.deepEqual(historyToForget(history, 6), { deployments: [], revisions: [] });
  });

  it("keeps the newest COMPLETED deployment other than the PRIMARY, where a rollback returns to, however old", () => {
    const history = [
      deployment(1, "INACTIVE", { rolloutState: "COMPLETED" }),
      deployment(2, "INACTIVE", { rolloutState: "COMPLETED" }),
      ...range(3, 5).map((n) => deployment(n, "INACTIVE")),
      deployment(6, "PRIMARY", { rolloutState: "COMPLETED" }),
    ];
    assert.deepEqual(historyToForget(history, 2).deployments, ["ecs-svc/3", "ecs-svc/1"]);
  });

  it("keeps the deployment a rolling-back PRIMARY rolls back from", () => {
    const history = [deployment(1, "PRIMARY", { rollbackOf: "ecs-svc/2" }), deployment(2, "INACTIVE"), deployment(3, "INACTIVE"), deployment(4, "INACTIVE")];
    assert.deepEqual(historyToForget(history, 1).deployments, ["ecs-svc/3"]);
  });

  it("keeps a forgotten deployment's revisions while a kept one names them, and forgets those only forgotten ones name", () => {
    // 3 replaced 2, which had replaced 1: 3 names revision 2 as its source, 2 names 1.
    const history = [deployment(1, "INACTIVE"), deployment(2, "INACTIVE", {}, [1]), deployment(3, "PRIMARY", {}, [2])];
    const forgotten = historyToForget(history, 0);
    assert.deepEqual([...forgotten.deployments].sort(), ["ecs-svc/1", "ecs-svc/2"]);
    assert.deepEqual(forgotten.revisions, [revision(1)]);
    const rolledBack = deployment(3, "PRIMARY", {
      serviceDeployment: { ...deployment(3, "PRIMARY").serviceDeployment, rollback: { reason: "failed", serviceRevisionArn: revision(1) } },
    });
    assert.deepEqual(historyToForget([deployment(1, "INACTIVE"), rolledBack], 0).revisions, []);
  });
});
