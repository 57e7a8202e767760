import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { DeploymentStatus, StoredDeployment, StoredService } from "../store/service-store.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import { historyToForget, inactiveDeploymentsKept } from "./deployment-history.js";
import { deploy } from "./service-deployments.js";

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

describe("deploy", () => {
  it("forgets, as it writes a new deployment, the finished ones past the newest 100, and revisions once nothing kept names them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-deploy-"));
    const store = await openSqliteStore(join(dir, "berth.db"), "us-east-1");
    try {
      const stored: StoredService = {
        service: { serviceArn: `${prefix}:service/c/web`, serviceName: "web", clusterArn: `${prefix}:cluster/c`, status: "ACTIVE", schedulingStrategy: "REPLICA", desiredCount: 1 },
      };
      await store.tx((tx) => tx.services.insertService(stored));
      const spec = { taskDefinition: `${prefix}:task-definition/web:1`, placementConstraints: [], placementStrategy: [] };
      const deployed: StoredDeployment[] = [];
      for (let n = 1; n <= inactiveDeploymentsKept + 4; n++) {
        await store.tx(async (tx) => {
          deployed.push(await deploy(tx, { accountId: "000000000000", region: "us-east-1" }, new Date(n * 60_000), stored, spec, { containerDefinitions: [] }));
          // What the service scheduler does once the replaced deployment's tasks are gone.
          for (const d of await tx.services.deploymentsOf(stored.service.serviceArn)) if (d.status === "ACTIVE") await tx.services.putDeployment({ ...d, status: "INACTIVE" });
        });
      }
      await store.read(async (tx) => {
        const history = await tx.services.deploymentsOf(stored.service.serviceArn, { includeInactive: true });
        // The last deploy kept 100 finished ones and the one it replaced, which has finished since.
        assert.equal(history.length, inactiveDeploymentsKept + 2);
        assert.deepEqual(history.at(-1)?.id, deployed[2]?.id);
        for (const gone of deployed.slice(0, 2)) assert.equal(await tx.services.getDeployment(gone.id), undefined);
        // Revision 1 was named only by deployments 1 and 2; revision 2 still by deployment 3, which replaced it.
        assert.equal(await tx.services.getRevision(deployed[0]!.serviceRevisionArn), undefined);
        assert.ok(await tx.services.getRevision(deployed[1]!.serviceRevisionArn));
        assert.ok(await tx.services.getRevision(deployed[2]!.serviceRevisionArn));
      });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
