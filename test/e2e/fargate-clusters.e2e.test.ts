// Fargate in a cluster of its own, end to end under `berth up` with the real
// Docker Engine: the seeds' flow verbatim with the aws CLI in a new cluster
// `student-cluster`, whose only capacity is the local agent's Fargate capacity
// (the agent joined `default`). The service settles, `--force-new-deployment`
// rolls it over, and the tasks are reported in their own cluster.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import { awsJson } from "../kit/aws-cli.js";
import { busyboxImage, ensureBusyboxImage } from "../kit/agent/busybox-image.js";
import { dockerForTests } from "../kit/agent/docker-test-support.js";
import { BerthTestbed, containersOfTask, ecsCli, type BerthProcess, type EcsCli } from "../kit/berth-process.js";

const docker = await dockerForTests();
if (docker) await ensureBusyboxImage(docker);

// The child processes inherit process.env (BerthTestbed.processEnv): a short settle keeps the file fast.
process.env["BERTH_SERVICE_SETTLE_MS"] = "1000";
process.env["BERTH_SERVICE_RECONCILE_MS"] = "500";

const cluster = "student-cluster";
const service = "student-rest";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface CliDeployment {
  readonly id: string;
  readonly status: string;
  readonly taskDefinition: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly launchType?: string;
  readonly rolloutState?: string;
}

/** The seeds' task definition, with the test image (an httpd on 8080) in place of the ECR one. */
function seedsTaskDefinition(accountId: string): Record<string, unknown> {
  return {
    family: "student-rest",
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    cpu: "512",
    memory: "1024",
    executionRoleArn: `arn:aws:iam::${accountId}:role/ecsTaskExecutionRole`,
    containerDefinitions: [
      {
        name: "rest",
        image: busyboxImage,
        command: ["sh", "-c", "trap 'exit 0' TERM; httpd -p 8080 -h / && while true; do sleep 1; done"],
        essential: true,
        stopTimeout: 2,
        portMappings: [{ containerPort: 8080, protocol: "tcp" }],
        logConfiguration: {
          logDriver: "awslogs",
          options: { "awslogs-group": "/ecs/student-rest", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs" },
        },
      },
    ],
  };
}

describe("Fargate in any cluster, under berth up", { skip: docker ? false : "Docker is not available here" }, () => {
  const bed = new BerthTestbed();
  const dir = mkdtempSync(join(tmpdir(), "berth-seeds-"));
  let up: BerthProcess;
  let ecs: EcsCli;
  const d = docker as Docker;

  before(async () => {
    up = await bed.up();
    ecs = ecsCli(bed, up);
  });
  after(async () => {
    await bed.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const deployments = () =>
    ecs.call<CliDeployment[]>("describe-services", "--cluster", cluster, "--services", service, "--query", "services[0].deployments");

  /** Polls until one deployment runs its desired count, then runs the seeds' `aws ecs wait services-stable` (which then returns at once, not after its 15 s delay). */
  async function servicesStable(timeoutMs = 90_000): Promise<CliDeployment[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = await deployments();
      if (list.length === 1 && list[0]?.runningCount === list[0]?.desiredCount) break;
      if (Date.now() > deadline) throw new Error(`not stable after ${timeoutMs} ms: ${JSON.stringify(list)}\n${bed.outputs()}`);
      await sleep(300);
    }
    await ecs.call("wait", "services-stable", "--cluster", cluster, "--services", service);
    return deployments();
  }

  async function serviceTaskArns(inCluster: string): Promise<string[]> {
    return (await ecs.call<{ taskArns: string[] }>("list-tasks", "--cluster", inCluster, "--service-name", service)).taskArns;
  }

  test("the seeds' flow in student-cluster: services-stable, force-new-deployment completes, the deployments show the rollout", async () => {
    const created = await ecs.call<{ cluster: { clusterArn: string; registeredContainerInstancesCount: number } }>("create-cluster", "--cluster-name", cluster);
    assert.equal(created.cluster.registeredContainerInstancesCount, 0, "no instance joined student-cluster");
    const accountId = created.cluster.clusterArn.split(":")[4] ?? "";
    await awsJson(bed.cliTarget(up), "logs", "create-log-group", "--log-group-name", "/ecs/student-rest");
    const file = join(dir, "task-definition.json");
    writeFileSync(file, JSON.stringify(seedsTaskDefinition(accountId), null, 2));
    await ecs.call("register-task-definition", "--cli-input-json", `file://${file}`);
    await ecs.call(
      "create-service",
      "--cluster", cluster,
      "--service-name", service,
      "--task-definition", "student-rest",
      "--desired-count", "1",
      "--launch-type", "FARGATE",
      "--network-configuration", "awsvpcConfiguration={subnets=[subnet-abc123],securityGroups=[sg-abc123],assignPublicIp=ENABLED}",
    );

    const stable = await servicesStable();
    assert.equal(stable[0]?.status, "PRIMARY");
    assert.equal(stable[0]?.launchType, "FARGATE");
    const [first] = await serviceTaskArns(cluster);
    assert.ok(first, "the service's task is listed in student-cluster");
    assert.match(first, new RegExp(`:task/${cluster}/`));
    assert.ok(!(await serviceTaskArns("default")).includes(first), "and not in the agent's cluster");
    const [running] = await ecs.describe(cluster, [first]);
    assert.equal(running?.lastStatus, "RUNNING");
    assert.ok((await containersOfTask(d, first)).length > 0, "a real container runs the task");
    const counts = (await ecs.call<{ clusters: { runningTasksCount: number; activeServicesCount: number }[] }>("describe-clusters", "--clusters", cluster)).clusters[0];
    assert.equal(counts?.runningTasksCount, 1);
    assert.equal(counts?.activeServicesCount, 1);

    await ecs.call("update-service", "--cluster", cluster, "--service", service, "--task-definition", "student-rest", "--force-new-deployment");
    const rollout = await deployments();
    assert.deepEqual(
      rollout.map((x) => x.status),
      ["PRIMARY", "ACTIVE"],
      "the rollout shows the new deployment beside the old one",
    );
    assert.equal(rollout[0]?.rolloutState, "IN_PROGRESS");

    const done = await servicesStable();
    assert.equal(done.length, 1);
    assert.equal(done[0]?.id, rollout[0]?.id, "the new deployment is the one left");
    assert.equal(done[0]?.rolloutState, "COMPLETED");
    const arns = await serviceTaskArns(cluster);
    assert.equal(arns.length, 1);
    assert.notEqual(arns[0], first, "a new task replaced the first");
    await ecs.waitFor(cluster, [first], (t) => t.lastStatus === "STOPPED", "the first task STOPPED", 30_000);
  });
});
