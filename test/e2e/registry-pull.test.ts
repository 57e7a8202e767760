// The seeds' path end to end: push an image to Berth's registry, then a task
// whose image is <endpoint>/repo:tag runs with no local copy beforehand — the
// agent pulls it with its own credentials, as ECS's execution role pulls from ECR.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, it } from "node:test";
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { DescribeTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand } from "@aws-sdk/client-ecs";
import type Docker from "dockerode";
import pino from "pino";
import { loadAgentId, startAgent, type RunningAgent } from "../../src/agent/agent.js";
import { dockerAgentParts } from "../../src/agent/docker-agent.js";
import { busyboxImage, ensureBusyboxImage } from "../kit/agent/busybox-image.js";
import { dockerForTests, removeAgentObjects, waitUntil } from "../kit/agent/docker-test-support.js";
import { first } from "../kit/ecs-assertions.js";
import { startTestServer, testRegion, type TestServer } from "../kit/harness.js";

let server: TestServer;
let docker: Docker | undefined;
let agent: RunningAgent | undefined;
let agentId = "";

before(async () => {
  docker = await dockerForTests();
  server = await startTestServer();
  if (!docker) return;
  await ensureBusyboxImage(docker);
  const dataDir = `${server.dataDir}/agent`;
  agentId = loadAgentId(dataDir);
  const endpoint = `http://127.0.0.1:${server.cp.edge.port}`;
  const logger = pino({ level: "silent" });
  agent = await startAgent(
    { server: endpoint, token: server.cp.agentToken, cluster: "default", dataDir, logger },
    dockerAgentParts({ agentId, server: endpoint, launchTypes: ["EC2"], attributes: {}, metadataPort: 0, logger }),
  );
});

after(async () => {
  await agent?.stop();
  if (docker) await removeAgentObjects(docker, agentId);
  await server.stop();
});

it("a task runs an image pushed to Berth's registry, pulled by the agent", { timeout: 120_000 }, async (t) => {
  if (!docker) return t.skip("no Docker Engine");
  const host = `localhost:${server.cp.edge.port}`;
  const credentials = { accessKeyId: server.cp.root.accessKeyId, secretAccessKey: server.cp.root.secretAccessKey };
  const ecr = new ECRClient({ endpoint: server.url, region: testRegion, credentials });
  await ecr.send(new CreateRepositoryCommand({ repositoryName: "pulled" }));
  const token = first((await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData, "an authorization").authorizationToken!;
  const [user, password] = Buffer.from(token, "base64").toString("utf8").split(":");
  const image = `${host}/pulled:1`;
  // skopeo pushes straight from the Docker daemon's copy, so the daemon never holds `image` itself.
  // (Asynchronously: the registry it pushes to runs in this process.)
  await promisify(execFile)("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `--dest-creds=${user}:${password}`, `docker-daemon:${busyboxImage}`, `docker://${image}`]);
  await docker.getImage(image).remove().catch(() => undefined);
  await assert.rejects(docker.getImage(image).inspect(), "no local copy before the task runs");

  const ecs = server.ecs();
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: "pulled",
      containerDefinitions: [{ name: "app", image, memory: 32, command: ["sh", "-c", "exit 5"] }],
    }),
  );
  const arn = first((await ecs.send(new RunTaskCommand({ taskDefinition: "pulled" }))).tasks, "a started task").taskArn!;
  const stopped = await waitUntil("the task to run and stop", async () => {
    const [task] = (await ecs.send(new DescribeTasksCommand({ tasks: [arn] }))).tasks ?? [];
    return task?.lastStatus === "STOPPED" ? task : undefined;
  }, 90_000);
  assert.equal(stopped.stopCode, "EssentialContainerExited", stopped.stoppedReason);
  assert.equal(stopped.containers?.[0]?.exitCode, 5);
  assert.ok(stopped.pullStartedAt && stopped.pullStoppedAt, "pull times are reported");
  await docker.getImage(image).inspect();
  ecs.destroy();
  ecr.destroy();
});
