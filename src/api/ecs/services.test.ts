// Services through the clients users run: the seeds' flow with the aws CLI (create,
// describe the deployment, force a new deployment, `aws ecs wait services-stable`),
// boto3's shapes, paginators and waiters, and the SDK for ECS's validation and
// errors. Simulated agents play the hosts. SQLite always; PostgreSQL when
// BERTH_TEST_POSTGRES_URL names a server.

// The controller reads its timings from the environment when the control plane builds it.
process.env["BERTH_SERVICE_RECONCILE_MS"] = "25";
process.env["BERTH_SERVICE_SETTLE_MS"] = "100";

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteClusterCommand,
  DeleteServiceCommand,
  DescribeClustersCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListServiceDeploymentsCommand,
  ListServicesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
} from "@aws-sdk/client-ecs";
import { aws, awsJson, boto3 } from "../../../test/kit/aws-cli.js";
import { startTestServer, testAccount, testRegion, type TestServer } from "../../../test/kit/harness.js";
import { requirePostgresUrl } from "../../../test/kit/postgres.js";
import { eventually, SimulatedAgent } from "../../../test/kit/simulated-agent.js";

const fixture = join(dirname(fileURLToPath(import.meta.url)), "../../../../test/fixtures/student-rest.json");
const prefix = `arn:aws:ecs:${testRegion}:${testAccount}`;

async function expectError(p: Promise<unknown>, name: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(p, (err: Error) => {
    assert.equal(err.name, name, err.message);
    if (typeof message === "string") assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}

const kinds: ("sqlite" | "postgres")[] = requirePostgresUrl() ? ["sqlite", "postgres"] : ["sqlite"];

for (const kind of kinds) {
  describe(`services through the clients (${kind})`, { concurrency: false }, () => {
    let server: TestServer;
    let ecs: ECSClient;
    const agents: SimulatedAgent[] = [];

    before(async () => {
      server = await startTestServer({ store: kind });
      ecs = server.ecs();
    });
    after(async () => {
      for (const a of agents) await a.stop();
      await server.stop();
    });

    it("the seeds' flow with the aws CLI: create a FARGATE service, watch its deployment, force a new one, wait for services-stable", async () => {
      await awsJson(server, "ecs", "create-cluster", "--cluster-name", "student-cluster");
      const td = await awsJson<{ taskDefinition: { taskDefinitionArn: string } }>(server, "ecs", "register-task-definition", "--cli-input-json", `file://${fixture}`);
      agents.push(
        await SimulatedAgent.start({ ecs, store: server.cp.store, cluster: "student-cluster", launchTypes: ["FARGATE"], subnet: "10.0.0.0/24", zone: `${testRegion}a` }),
      );
      const created = await awsJson<{ service: Service }>(
        server,
        "ecs",
        "create-service",
        "--cluster",
        "student-cluster",
        "--service-name",
        "student-rest",
        "--task-definition",
        "student-rest",
        "--desired-count",
        "1",
        "--launch-type",
        "FARGATE",
        "--network-configuration",
        "awsvpcConfiguration={subnets=[subnet-abc123],securityGroups=[sg-abc123],assignPublicIp=ENABLED}",
      );
      const svc = created.service;
      assert.equal(svc.serviceArn, `${prefix}:service/student-cluster/student-rest`);
      assert.equal(svc.clusterArn, `${prefix}:cluster/student-cluster`);
      assert.equal(svc.status, "ACTIVE");
      assert.equal(svc.desiredCount, 1);
      assert.equal(svc.runningCount, 0);
      assert.equal(svc.launchType, "FARGATE");
      assert.equal(svc.platformVersion, "LATEST");
      assert.equal(svc.platformFamily, "Linux");
      assert.equal(svc.taskDefinition, td.taskDefinition.taskDefinitionArn);
      assert.equal(svc.schedulingStrategy, "REPLICA");
      assert.deepEqual(svc.deploymentController, { type: "ECS" });
      assert.deepEqual(svc.deploymentConfiguration, { deploymentCircuitBreaker: { enable: false, rollback: false }, maximumPercent: 200, minimumHealthyPercent: 100 });
      assert.deepEqual(svc.networkConfiguration, { awsvpcConfiguration: { subnets: ["subnet-abc123"], securityGroups: ["sg-abc123"], assignPublicIp: "ENABLED" } });
      assert.equal(svc.deployments!.length, 1);
      const first = svc.deployments![0];
      assert.ok(first);
      assert.match(first.id!, /^ecs-svc\/\d{19}$/);
      assert.equal(first.status, "PRIMARY");
      assert.equal(first.rolloutState, "IN_PROGRESS");
      assert.equal(first.rolloutStateReason, `ECS deployment ${first.id} in progress.`);
      assert.equal(first.desiredCount, 1);
      assert.equal(first.taskDefinition, td.taskDefinition.taskDefinitionArn);

      // describe-services --query 'services[0].deployments', as the seed watches the rollout.
      const deployments = await eventually("the first task to run", async () => {
        const d = await awsJson<{ rolloutState: string; runningCount: number }[]>(
          server, "ecs", "describe-services", "--cluster", "student-cluster", "--services", "student-rest", "--query", "services[0].deployments",
        );
        return d.length === 1 && d[0]?.rolloutState === "COMPLETED" && d[0].runningCount === 1 ? d : undefined;
      }, 20_000);
      assert.equal(deployments.length, 1);
      const [firstTask] = (await ecs.send(new ListTasksCommand({ cluster: "student-cluster", serviceName: "student-rest" }))).taskArns!;
      assert.ok(firstTask);
      const described = (await ecs.send(new DescribeTasksCommand({ cluster: "student-cluster", tasks: [firstTask] }))).tasks![0];
      assert.ok(described);
      assert.equal(described.group, "service:student-rest");
      assert.equal(described.startedBy, first.id);
      assert.equal(described.launchType, "FARGATE");

      const updated = await awsJson<{ service: Service }>(
        server, "ecs", "update-service", "--cluster", "student-cluster", "--service", "student-rest", "--task-definition", "student-rest", "--force-new-deployment",
      );
      assert.equal(updated.service.deployments!.length, 2);
      assert.deepEqual(updated.service.deployments!.map((d) => [d.status, d.rolloutState]), [["PRIMARY", "IN_PROGRESS"], ["ACTIVE", "COMPLETED"]]);
      assert.equal(updated.service.deployments?.[1]?.id, first.id);

      const wait = await aws(server, "ecs", "wait", "services-stable", "--cluster", "student-cluster", "--services", "student-rest");
      assert.equal(wait.code, 0, wait.stderr);
      const end = (await ecs.send(new DescribeServicesCommand({ cluster: "student-cluster", services: ["student-rest"] }))).services![0];
      assert.ok(end);
      assert.equal(end.deployments!.length, 1);
      assert.equal(end.runningCount, 1);
      assert.notEqual(end.deployments?.[0]?.id, first.id);
      const [secondTask] = (await ecs.send(new ListTasksCommand({ cluster: "student-cluster", serviceName: "student-rest" }))).taskArns!;
      assert.ok(secondTask);
      assert.notEqual(secondTask, firstTask, "the force-new-deployment replaced the task");
      const stoppedWait = await aws(server, "ecs", "wait", "tasks-stopped", "--cluster", "student-cluster", "--tasks", firstTask);
      assert.equal(stoppedWait.code, 0, stoppedWait.stderr);
      const runningWait = await aws(server, "ecs", "wait", "tasks-running", "--cluster", "student-cluster", "--tasks", secondTask);
      assert.equal(runningWait.code, 0, runningWait.stderr);
      const events = end.events!.map((e) => e.message);
      assert.equal(events[0], "(service student-rest) has reached a steady state.");
      assert.ok(events.includes(`(service student-rest) (deployment ${end.deployments?.[0]?.id}) deployment completed.`));
    });

    it("boto3: describe_services shapes, list_services pages, the services_stable waiter", async () => {
      const out = await boto3<{ pages: string[][]; service: Record<string, unknown>; missing: unknown[] }>(
        server,
        `
ecs.create_cluster(clusterName="py")
td = ecs.register_task_definition(family="py-web", containerDefinitions=[{"name": "app", "image": "x", "memory": 64, "essential": True}])["taskDefinition"]["taskDefinitionArn"]
dump({"td": td}) if False else None
import os
for name in ["a", "b", "c"]:
    ecs.create_service(cluster="py", serviceName=name, taskDefinition=td, desiredCount=0)
pages = [p["serviceArns"] for p in ecs.get_paginator("list_services").paginate(cluster="py", PaginationConfig={"PageSize": 2})]
svc = ecs.describe_services(cluster="py", services=["a", "nope"])
ecs.get_waiter("services_stable").wait(cluster="py", services=["a", "b"], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
dump({"pages": pages, "service": svc["services"][0], "missing": svc["failures"]})
`,
      );
      assert.deepEqual(out.pages, [[`${prefix}:service/py/a`, `${prefix}:service/py/b`], [`${prefix}:service/py/c`]]);
      assert.equal(out.service["serviceName"], "a");
      assert.equal(out.service["desiredCount"], 0);
      assert.deepEqual(out.missing, [{ arn: `${prefix}:service/py/nope`, reason: "MISSING" }]);
      // The scale-up follows in the SDK: the boto3 waiter then sees it settle.
      agents.push(await SimulatedAgent.start({ ecs, store: server.cp.store, cluster: "py", zone: `${testRegion}a` }));
      await ecs.send(new UpdateServiceCommand({ cluster: "py", service: "a", desiredCount: 2 }));
      const waited = await boto3<{ running: number }>(
        server,
        `
ecs.get_waiter("services_stable").wait(cluster="py", services=["a"], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
dump({"running": ecs.describe_services(cluster="py", services=["a"])["services"][0]["runningCount"]})
`,
      );
      assert.equal(waited.running, 2);
    });

    it("checks what CreateService is given, as ECS does", async () => {
      await ecs.send(new CreateClusterCommand({ clusterName: "checks" }));
      const bridge = (await ecs.send(new RegisterTaskDefinitionCommand({ family: "chk", containerDefinitions: [{ name: "app", image: "x", memory: 64 }] }))).taskDefinition!.taskDefinitionArn!;
      const vpc = (
        await ecs.send(
          new RegisterTaskDefinitionCommand({ family: "chk-vpc", networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512", containerDefinitions: [{ name: "app", image: "x" }] }),
        )
      ).taskDefinition!.taskDefinitionArn!;
      const base = { cluster: "checks", serviceName: "s", taskDefinition: bridge, desiredCount: 1 };
      await expectError(ecs.send(new CreateServiceCommand({ ...base, desiredCount: undefined })), "InvalidParameterException", /desiredCount is required/);
      await expectError(ecs.send(new CreateServiceCommand({ ...base, serviceName: "bad name" })), "InvalidParameterException");
      await expectError(
        ecs.send(new CreateServiceCommand({ ...base, taskDefinition: vpc, launchType: "FARGATE" })),
        "InvalidParameterException",
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      );
      await expectError(
        ecs.send(new CreateServiceCommand({ ...base, networkConfiguration: { awsvpcConfiguration: { subnets: ["s-1"] } } })),
        "InvalidParameterException",
        "Network Configuration is not valid for the given networkMode of this task definition (bridge).",
      );
      await expectError(ecs.send(new CreateServiceCommand({ ...base, launchType: "FARGATE" })), "InvalidParameterException", "Task definition does not support launch_type FARGATE.");
      await expectError(
        ecs.send(new CreateServiceCommand({ ...base, taskDefinition: vpc, launchType: "FARGATE", platformVersion: "9.9.9", networkConfiguration: { awsvpcConfiguration: { subnets: ["s-1"] } } })),
        "PlatformUnknownException",
      );
      await expectError(ecs.send(new CreateServiceCommand({ ...base, platformVersion: "LATEST" })), "InvalidParameterException", "The platform version must be null when specifying an EC2 launch type.");
      await expectError(ecs.send(new CreateServiceCommand({ ...base, schedulingStrategy: "DAEMON" })), "InvalidParameterException", "The daemon scheduling strategy does not support a desired count for services.");
      await expectError(ecs.send(new CreateServiceCommand({ ...base, deploymentController: { type: "CODE_DEPLOY" } })), "UnsupportedFeatureException");
      await expectError(ecs.send(new CreateServiceCommand({ ...base, deploymentConfiguration: { minimumHealthyPercent: 150 } })), "InvalidParameterException");
      await expectError(ecs.send(new CreateServiceCommand({ ...base, placementStrategy: [{ type: "binpack", field: "disk" }] })), "InvalidParameterException");
      await expectError(ecs.send(new CreateServiceCommand({ ...base, placementConstraints: [{ type: "memberOf", expression: "attribute:a ==" }] })), "InvalidParameterException");
      await expectError(ecs.send(new CreateServiceCommand({ ...base, taskDefinition: "nope:3" })), "ClientException");
      await expectError(ecs.send(new CreateServiceCommand({ ...base, cluster: "nope" })), "ClusterNotFoundException");
      await expectError(ecs.send(new CreateServiceCommand({ ...base, role: "ecsServiceRole" })), "InvalidParameterException");

      const made = await ecs.send(new CreateServiceCommand({ ...base, clientToken: "tok-1", desiredCount: 0 }));
      assert.equal(made.service?.serviceName, "s");
      const again = await ecs.send(new CreateServiceCommand({ ...base, clientToken: "tok-1", desiredCount: 0 }));
      assert.equal(again.service?.serviceArn, made.service?.serviceArn, "the same client token gets the same service");
      await expectError(ecs.send(new CreateServiceCommand({ ...base, desiredCount: 0 })), "InvalidParameterException", "Creation of service was not idempotent.");
      await expectError(ecs.send(new DeleteClusterCommand({ cluster: "checks" })), "ClusterContainsServicesException");
      const cluster = (await ecs.send(new DescribeClustersCommand({ clusters: ["checks"] }))).clusters![0];
      assert.ok(cluster);
      assert.equal(cluster.activeServicesCount, 1);
    });

    it("UpdateService and DeleteService: not found, not active, deploy only on a real change, reuse a deleted name", async () => {
      await ecs.send(new CreateClusterCommand({ clusterName: "upd" }));
      const v1 = (await ecs.send(new RegisterTaskDefinitionCommand({ family: "upd", containerDefinitions: [{ name: "app", image: "x", memory: 64 }] }))).taskDefinition!.taskDefinitionArn!;
      await expectError(ecs.send(new UpdateServiceCommand({ cluster: "upd", service: "ghost", desiredCount: 1 })), "ServiceNotFoundException", "Service not found.");
      await expectError(ecs.send(new DeleteServiceCommand({ cluster: "upd", service: "ghost" })), "ServiceNotFoundException");
      const created = await ecs.send(
        new CreateServiceCommand({ cluster: "upd", serviceName: "u", taskDefinition: v1, desiredCount: 0, tags: [{ key: "team", value: "core" }], propagateTags: "SERVICE" }),
      );
      // With nothing to start, the first deployment completes on the controller's first pass.
      await eventually("the first deployment to complete", async () =>
        (await ecs.send(new DescribeServicesCommand({ cluster: "upd", services: ["u"] }))).services?.[0]?.deployments?.[0]?.rolloutState === "COMPLETED",
      );
      const scaled = await ecs.send(new UpdateServiceCommand({ cluster: "upd", service: "u", desiredCount: 0, healthCheckGracePeriodSeconds: 30 }));
      assert.equal(scaled.service?.deployments?.length, 1, "no new deployment without a change");
      assert.equal(scaled.service?.healthCheckGracePeriodSeconds, 30);
      const moved = await ecs.send(
        new UpdateServiceCommand({ cluster: "upd", service: created.service!.serviceArn!, placementConstraints: [{ type: "distinctInstance" }] }),
      );
      assert.equal(moved.service?.deployments?.length, 2, "a placement change deploys");
      assert.deepEqual(moved.service?.placementConstraints, [{ type: "distinctInstance" }]);
      const withTags = (await ecs.send(new DescribeServicesCommand({ cluster: "upd", services: ["u"], include: ["TAGS"] }))).services![0];
      assert.ok(withTags);
      assert.deepEqual(withTags.tags, [{ key: "team", value: "core" }]);
      const [withoutTags] = (await ecs.send(new DescribeServicesCommand({ cluster: "upd", services: ["u"] }))).services!;
      assert.ok(withoutTags);
      assert.equal(withoutTags.tags, undefined);

      const listed = await ecs.send(new ListServiceDeploymentsCommand({ cluster: "upd", service: "u" }));
      assert.equal(listed.serviceDeployments!.length, 2);
      const [newest, oldest] = listed.serviceDeployments!;
      assert.ok(newest);
      assert.ok(oldest);
      assert.match(newest.serviceDeploymentArn!, new RegExp(`^${prefix}:service-deployment/upd/u/[A-Za-z0-9_-]{20}$`));
      assert.equal(oldest.status, "SUCCESSFUL");
      const sd = (await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [newest.serviceDeploymentArn!, `${newest.serviceDeploymentArn}x`] })));
      assert.equal(sd.serviceDeployments?.[0]?.serviceArn, created.service!.serviceArn);
      assert.equal(sd.serviceDeployments?.[0]?.sourceServiceRevisions?.[0]?.arn, oldest.targetServiceRevisionArn);
      assert.deepEqual(sd.failures, [{ arn: `${newest.serviceDeploymentArn}x`, reason: "MISSING" }]);
      const revisions = await ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: [newest.targetServiceRevisionArn!, `${prefix}:service-revision/upd/u/1`] }));
      const revision = revisions.serviceRevisions![0];
      assert.ok(revision);
      assert.match(revision.serviceRevisionArn!, new RegExp(`^${prefix}:service-revision/upd/u/\\d{19}$`));
      assert.equal(revision.taskDefinition, v1);
      assert.deepEqual(revision.containerImages, [{ containerName: "app", image: "x" }]);
      assert.deepEqual(revisions.failures, [{ arn: `${prefix}:service-revision/upd/u/1`, reason: "MISSING" }]);

      const deleted = await ecs.send(new DeleteServiceCommand({ cluster: "upd", service: "u" }));
      assert.equal(deleted.service?.status, "DRAINING");
      await expectError(ecs.send(new UpdateServiceCommand({ cluster: "upd", service: "u", desiredCount: 1 })), "ServiceNotActiveException", "Service was not ACTIVE.");
      await eventually("INACTIVE", async () => (await ecs.send(new DescribeServicesCommand({ cluster: "upd", services: ["u"] }))).services?.[0]?.status === "INACTIVE");
      assert.deepEqual((await ecs.send(new ListServicesCommand({ cluster: "upd" }))).serviceArns, []);
      const reborn = await ecs.send(new CreateServiceCommand({ cluster: "upd", serviceName: "u", taskDefinition: v1, desiredCount: 0 }));
      assert.equal(reborn.service?.status, "ACTIVE");
      assert.equal(reborn.service?.deployments?.length, 1);
      assert.equal((await ecs.send(new ListServiceDeploymentsCommand({ cluster: "upd", service: "u" }))).serviceDeployments!.length, 1, "the old name's history is gone");
    });

    it("ListServices filters by launch type and scheduling strategy, and pages", async () => {
      await ecs.send(new CreateClusterCommand({ clusterName: "lst" }));
      const td = (await ecs.send(new RegisterTaskDefinitionCommand({ family: "lst", containerDefinitions: [{ name: "app", image: "x", memory: 64 }] }))).taskDefinition!.taskDefinitionArn!;
      await ecs.send(new CreateServiceCommand({ cluster: "lst", serviceName: "r1", taskDefinition: td, desiredCount: 0 }));
      await ecs.send(new CreateServiceCommand({ cluster: "lst", serviceName: "r2", taskDefinition: td, desiredCount: 0, launchType: "EXTERNAL" }));
      await ecs.send(new CreateServiceCommand({ cluster: "lst", serviceName: "d1", taskDefinition: td, schedulingStrategy: "DAEMON" }));
      const arns = (names: string[]) => names.map((n) => `${prefix}:service/lst/${n}`);
      assert.deepEqual((await ecs.send(new ListServicesCommand({ cluster: "lst" }))).serviceArns, arns(["d1", "r1", "r2"]));
      assert.deepEqual((await ecs.send(new ListServicesCommand({ cluster: "lst", launchType: "EXTERNAL" }))).serviceArns, arns(["r2"]));
      assert.deepEqual((await ecs.send(new ListServicesCommand({ cluster: "lst", schedulingStrategy: "DAEMON" }))).serviceArns, arns(["d1"]));
      const page = await ecs.send(new ListServicesCommand({ cluster: "lst", maxResults: 2 }));
      assert.deepEqual(page.serviceArns, arns(["d1", "r1"]));
      const rest = await ecs.send(new ListServicesCommand({ cluster: "lst", maxResults: 2, nextToken: page.nextToken }));
      assert.deepEqual(rest.serviceArns, arns(["r2"]));
      assert.equal(rest.nextToken, undefined);
      await expectError(ecs.send(new ListServicesCommand({ cluster: "lst", nextToken: "garbage" })), "InvalidParameterException");
      await expectError(ecs.send(new ListServicesCommand({ cluster: "lst", maxResults: 101 })), "InvalidParameterException");
      const cli = await awsJson<{ serviceArns: string[] }>(server, "ecs", "list-services", "--cluster", "lst", "--scheduling-strategy", "REPLICA");
      assert.deepEqual(cli.serviceArns, arns(["r1", "r2"]));
    });

    it("service tasks carry the service's tags and ECS's managed tags", async () => {
      await ecs.send(new CreateClusterCommand({ clusterName: "tagged" }));
      agents.push(await SimulatedAgent.start({ ecs, store: server.cp.store, cluster: "tagged", zone: `${testRegion}a` }));
      const td = (await ecs.send(new RegisterTaskDefinitionCommand({ family: "tagged", containerDefinitions: [{ name: "app", image: "x", memory: 64 }] }))).taskDefinition!.taskDefinitionArn!;
      await ecs.send(
        new CreateServiceCommand({
          cluster: "tagged",
          serviceName: "t",
          taskDefinition: td,
          desiredCount: 1,
          tags: [{ key: "team", value: "core" }],
          propagateTags: "SERVICE",
          enableECSManagedTags: true,
        }),
      );
      const arn = await eventually("the task", async () => (await ecs.send(new ListTasksCommand({ cluster: "tagged", serviceName: "t" }))).taskArns?.[0]);
      const task = (await ecs.send(new DescribeTasksCommand({ cluster: "tagged", tasks: [arn], include: ["TAGS"] }))).tasks![0];
      assert.ok(task);
      const tags = Object.fromEntries(task.tags!.map((t): [string, string] => [t.key ?? "", t.value ?? ""]));
      assert.deepEqual(tags, { team: "core", "aws:ecs:clusterName": "tagged", "aws:ecs:serviceName": "t" });
    });

    it("a FARGATE_SPOT service in a cluster without instances runs on the region's Fargate capacity, counted in its own cluster", async () => {
      await ecs.send(new CreateClusterCommand({ clusterName: "serverless" }));
      // The only Fargate capacity is the agent of student-cluster (the seeds' flow above).
      await ecs.send(
        new CreateServiceCommand({
          cluster: "serverless",
          serviceName: "spot",
          taskDefinition: "student-rest",
          desiredCount: 2,
          capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }],
          networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-1"] } },
        }),
      );
      const svc = await eventually("2 tasks RUNNING", async () => {
        const s = (await ecs.send(new DescribeServicesCommand({ cluster: "serverless", services: ["spot"] }))).services?.[0];
        return s?.runningCount === 2 ? s : undefined;
      });
      assert.equal(svc.deployments?.[0]?.runningCount, 2);
      const arns = (await ecs.send(new ListTasksCommand({ cluster: "serverless", serviceName: "spot" }))).taskArns ?? [];
      assert.equal(arns.length, 2);
      for (const arn of arns) assert.match(arn, /:task\/serverless\//);
      const tasks = (await ecs.send(new DescribeTasksCommand({ cluster: "serverless", tasks: arns }))).tasks ?? [];
      assert.deepEqual(tasks.map((t) => [t.launchType, t.capacityProviderName]), [["FARGATE", "FARGATE_SPOT"], ["FARGATE", "FARGATE_SPOT"]]);
      const counts = (await ecs.send(new DescribeClustersCommand({ clusters: ["serverless"] }))).clusters?.[0];
      assert.deepEqual([counts?.runningTasksCount, counts?.registeredContainerInstancesCount], [2, 0]);
      await ecs.send(new DeleteServiceCommand({ cluster: "serverless", service: "spot", force: true }));
    });
  });
}
