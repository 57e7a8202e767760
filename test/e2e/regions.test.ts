// One Berth, three regions, driven as users drive AWS: the aws CLI configured for
// us-east-1, eu-west-1 and ap-southeast-2 each creates a cluster, a repository it
// pushes to with the docker CLI, a task definition naming the image by its ECR name
// (<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>), a log group, and runs a
// task on that region's agent. Each region sees only its own resources, under ARNs
// that carry it, and the task runs in each from the image pulled from Berth, its
// output shipped to its region's log group.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import type Docker from "dockerode";
import pino from "pino";
import { loadAgentId, startAgent, type RunningAgent } from "../../src/agent/agent.js";
import { dockerAgentParts } from "../../src/agent/docker-agent.js";
import { aws, awsJson } from "../kit/aws-cli.js";
import { busyboxImage, ensureBusyboxImage } from "../kit/agent/busybox-image.js";
import { dockerForTests, removeAgentObjects, waitUntil } from "../kit/agent/docker-test-support.js";
import { startTestServer, testAccount, testRegion, type TestServer } from "../kit/harness.js";
import { run, tryRun } from "../kit/registry.js";

const regions = [testRegion, "eu-west-1", "ap-southeast-2"] as const;

let server: TestServer;
let docker: Docker | undefined;
let dockerEnv: NodeJS.ProcessEnv;
let work = "";
const agents: RunningAgent[] = [];
const agentIds: string[] = [];
const pushed: string[] = [];

/** The aws CLI's environment for one region: the profile a user keeps for it. */
const inRegion = (region: string): TestServer => ({ ...server, env: { ...server.env, AWS_REGION: region, AWS_DEFAULT_REGION: region } });

interface Task {
  readonly taskArn: string;
  readonly lastStatus: string;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly pullStartedAt?: unknown;
  readonly containers: readonly { readonly exitCode?: number; readonly image?: string }[];
}

before(async () => {
  docker = await dockerForTests();
  server = await startTestServer();
  if (!docker) return;
  await ensureBusyboxImage(docker);
  work = mkdtempSync(join(tmpdir(), "berth-regions-"));
  // Its own docker config, so the login never touches the user's.
  dockerEnv = { ...process.env, DOCKER_CONFIG: join(work, "docker-config") };
  const host = new URL(server.url).host;
  const password = (await aws(server, "ecr", "get-login-password")).stdout.trim();
  assert.match(await run("docker", ["login", "--username", "AWS", "--password-stdin", host], dockerEnv, password), /Login Succeeded/);
  const endpoint = `http://127.0.0.1:${server.cp.edge.port}`;
  const logger = pino({ level: "silent" });
  for (const region of regions) {
    await awsJson(inRegion(region), "ecs", "create-cluster", "--cluster-name", "regional");
    // One agent per region, each joining its region's cluster of that name.
    const dataDir = join(server.dataDir, `agent-${region}`);
    const agentId = loadAgentId(dataDir);
    agentIds.push(agentId);
    agents.push(
      await startAgent(
        { server: endpoint, token: server.cp.agentToken, cluster: "regional", region, dataDir, logger },
        dockerAgentParts({ agentId, server: endpoint, launchTypes: ["EC2"], attributes: {}, metadataPort: 0, logger }),
      ),
    );
  }
});

after(async () => {
  for (const agent of agents) await agent.stop();
  if (docker) for (const id of agentIds) await removeAgentObjects(docker, id);
  for (const image of pushed) await tryRun("docker", ["rmi", "-f", image], dockerEnv);
  await server.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

it("the same scenario in three regions on one endpoint: each region has its own resources, ARNs carry it, and a task runs in each", { timeout: 300_000 }, async (t) => {
  if (!docker) return t.skip("no Docker Engine");
  const host = new URL(server.url).host;
  for (const region of regions) {
    const cli = inRegion(region);
    const ecrName = `${testAccount}.dkr.ecr.${region}.amazonaws.com/app`;

    const { repository } = await awsJson<{ repository: { repositoryUri: string; repositoryArn: string } }>(
      cli,
      "ecr",
      "create-repository",
      "--repository-name",
      "app",
    );
    assert.equal(repository.repositoryArn, `arn:aws:ecr:${region}:${testAccount}:repository/app`);
    // The configured region keeps bare paths; every other names its account and region.
    assert.equal(repository.repositoryUri, region === testRegion ? `${host}/app` : `${host}/${ecrName}`);
    const uri = await awsJson<string>(cli, "ecr", "describe-repositories", "--query", "repositories[0].repositoryUri");
    await run("docker", ["tag", busyboxImage, `${uri}:1`], dockerEnv);
    pushed.push(`${uri}:1`);
    await run("docker", ["push", `${uri}:1`], dockerEnv);
    // No local copy under the name the agent pulls: the task's image comes from Berth.
    await tryRun("docker", ["rmi", `${uri}:1`, `${host}/${ecrName}:1`], dockerEnv);

    const { taskDefinition } = await awsJson<{ taskDefinition: { taskDefinitionArn: string; containerDefinitions: { image: string }[] } }>(
      cli,
      "ecs",
      "register-task-definition",
      "--family",
      "hello",
      "--container-definitions",
      JSON.stringify([
        {
          name: "app",
          image: `${ecrName}:1`,
          memory: 32,
          essential: true,
          command: ["sh", "-c", `echo hello from ${region}`],
          logConfiguration: {
            logDriver: "awslogs",
            options: { "awslogs-group": "/regional/app", "awslogs-region": region, "awslogs-stream-prefix": "hello" },
          },
        },
      ]),
    );
    // Revisions are per region: each region's first is 1.
    assert.equal(taskDefinition.taskDefinitionArn, `arn:aws:ecs:${region}:${testAccount}:task-definition/hello:1`);
    assert.equal(taskDefinition.containerDefinitions[0]?.image, `${ecrName}:1`, "stored as registered");

    await aws(cli, "logs", "create-log-group", "--log-group-name", "/regional/app");

    const started = await awsJson<{ tasks: Task[] }>(cli, "ecs", "run-task", "--cluster", "regional", "--task-definition", "hello");
    const taskArn = started.tasks[0]?.taskArn ?? "";
    assert.match(taskArn, new RegExp(`^arn:aws:ecs:${region}:${testAccount}:task/regional/`));
    const stopped = await waitUntil(
      `the task in ${region} to run and stop`,
      async () => {
        const { tasks } = await awsJson<{ tasks: Task[] }>(cli, "ecs", "describe-tasks", "--cluster", "regional", "--tasks", taskArn);
        return tasks[0]?.lastStatus === "STOPPED" ? tasks[0] : undefined;
      },
      120_000,
      1000,
    );
    assert.equal(stopped.stopCode, "EssentialContainerExited", stopped.stoppedReason);
    assert.equal(stopped.containers[0]?.exitCode, 0, stopped.stoppedReason);
    assert.ok(stopped.pullStartedAt, "the image was pulled");
    // Its output went to its region's log group.
    await waitUntil(`the task's line in ${region}'s log group`, async () => {
      const { events } = await awsJson<{ events: { message: string }[] }>(cli, "logs", "filter-log-events", "--log-group-name", "/regional/app");
      return events.some((e) => e.message === `hello from ${region}`) ? true : undefined;
    }, 30_000, 500);
  }

  for (const region of regions) {
    const cli = inRegion(region);
    const clusters = await awsJson<{ clusterArns: string[] }>(cli, "ecs", "list-clusters");
    assert.deepEqual(clusters.clusterArns, [`arn:aws:ecs:${region}:${testAccount}:cluster/regional`]);
    const definitions = await awsJson<{ taskDefinitionArns: string[] }>(cli, "ecs", "list-task-definitions");
    assert.deepEqual(definitions.taskDefinitionArns, [`arn:aws:ecs:${region}:${testAccount}:task-definition/hello:1`]);
    const instances = await awsJson<{ containerInstanceArns: string[] }>(cli, "ecs", "list-container-instances", "--cluster", "regional");
    assert.equal(instances.containerInstanceArns.length, 1, `one agent in ${region}`);
    assert.match(instances.containerInstanceArns[0] ?? "", new RegExp(`^arn:aws:ecs:${region}:`));
    const tasks = await awsJson<{ taskArns: string[] }>(cli, "ecs", "list-tasks", "--cluster", "regional", "--desired-status", "STOPPED");
    assert.equal(tasks.taskArns.length, 1, `one task in ${region}`);
    const repositories = await awsJson<{ repositories: { repositoryArn: string }[] }>(cli, "ecr", "describe-repositories");
    assert.deepEqual(
      repositories.repositories.map((r) => r.repositoryArn),
      [`arn:aws:ecr:${region}:${testAccount}:repository/app`],
    );
    const images = await awsJson<{ imageIds: { imageTag?: string }[] }>(cli, "ecr", "list-images", "--repository-name", "app");
    assert.deepEqual(images.imageIds.map((i) => i.imageTag), ["1"]);
    const groups = await awsJson<{ logGroups: { arn: string }[] }>(cli, "logs", "describe-log-groups");
    assert.deepEqual(
      groups.logGroups.map((g) => g.arn),
      [`arn:aws:logs:${region}:${testAccount}:log-group:/regional/app:*`],
    );
  }
});

it("a region AWS does not have is refused as AWS refuses it", async () => {
  const r = await aws(inRegion("eu-nowhere-1"), "ecs", "list-clusters");
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /InvalidSignatureException.*Credential should be scoped to a valid region, not 'eu-nowhere-1'/);
});
