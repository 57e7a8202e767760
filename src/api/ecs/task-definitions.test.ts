// Task definition operations against a real server, through the clients users
// run: the aws CLI, boto3 and @aws-sdk/client-ecs.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type ECSClient,
  type ListTaskDefinitionsCommandInput,
  type RegisterTaskDefinitionCommandInput,
  type TaskDefinition,
} from "@aws-sdk/client-ecs";
import { aws, awsJson, boto3 } from "../../../test/kit/aws-cli.js";
import { rawClient } from "../../../test/kit/raw-client.js";
import { startTestServer, testAccount, testRegion, type TestServer } from "../../../test/kit/harness.js";
import { deleteFailureReasons } from "./task-definitions.js";

const seedPath = fileURLToPath(new URL("../../../../test/fixtures/student-rest.json", import.meta.url));
const arnOf = (family: string, revision: number): string => `arn:aws:ecs:${testRegion}:${testAccount}:task-definition/${family}:${revision}`;

let server: TestServer;
let ecs: ECSClient;

before(async () => {
  server = await startTestServer();
  ecs = server.ecs();
});

after(async () => {
  ecs.destroy();
  await server.stop();
});

/** Every member of `expected` is in `actual` with the same value; `actual` may hold more (ECS's defaults). */
function assertContains(actual: unknown, expected: unknown, path = "taskDefinition"): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected a list, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${path}: length`);
    expected.forEach((item, i) => assertContains(actual[i], item, `${path}[${i}]`));
  } else if (expected !== null && typeof expected === "object") {
    assert.ok(actual !== null && typeof actual === "object", `${path}: expected an object, got ${JSON.stringify(actual)}`);
    for (const [key, value] of Object.entries(expected)) assertContains((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
  } else {
    assert.equal(actual, expected, path);
  }
}

const simple = (family: string, extra: Partial<RegisterTaskDefinitionCommandInput> = {}): RegisterTaskDefinitionCommandInput => ({
  family,
  containerDefinitions: [{ name: "app", image: "busybox", memory: 64, command: ["sleep", "3600"] }],
  ...extra,
});

async function register(input: RegisterTaskDefinitionCommandInput): Promise<TaskDefinition> {
  const out = await ecs.send(new RegisterTaskDefinitionCommand(input));
  return out.taskDefinition!;
}

/** Follows nextToken to the end; a server that never stops paging fails the test instead of hanging it. */
async function pages<T>(fetch: (token: string | undefined) => Promise<{ items: T[]; nextToken?: string | undefined }>): Promise<T[][]> {
  const out: T[][] = [];
  let token: string | undefined;
  do {
    assert.ok(out.length < 100, "nextToken never ran out");
    const page = await fetch(token);
    out.push(page.items);
    token = page.nextToken;
  } while (token);
  return out;
}

async function listAll(input: ListTaskDefinitionsCommandInput = {}): Promise<string[]> {
  const all = await pages(async (token) => {
    const out = await ecs.send(new ListTaskDefinitionsCommand({ ...input, ...(token ? { nextToken: token } : {}) }));
    return { items: out.taskDefinitionArns ?? [], nextToken: out.nextToken };
  });
  return all.flat();
}

async function allFamilies(): Promise<string[]> {
  const out = await ecs.send(new ListTaskDefinitionFamiliesCommand({ status: "ALL" }));
  return out.families ?? [];
}

async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string };
    return { name: e.name, message: e.message };
  }
  assert.fail("expected the request to be refused");
}

describe("the seed task definition through the aws CLI", () => {
  it("registers from --cli-input-json and describes back field for field", async () => {
    const seed = JSON.parse(readFileSync(seedPath, "utf8")) as Record<string, unknown>;
    const registered = await awsJson<{ taskDefinition: Record<string, unknown> }>(
      server,
      "ecs",
      "register-task-definition",
      "--cli-input-json",
      `file://${seedPath}`,
    );
    const { taskDefinition: td } = await awsJson<{ taskDefinition: Record<string, unknown> }>(
      server,
      "ecs",
      "describe-task-definition",
      "--task-definition",
      "student-rest",
    );
    assert.deepEqual(td, registered.taskDefinition);
    assertContains(td, seed);

    assert.equal(td["taskDefinitionArn"], arnOf("student-rest", 1));
    assert.equal(td["revision"], 1);
    assert.equal(td["status"], "ACTIVE");
    assert.equal(td["registeredBy"], server.cp.root.arn);
    const registeredAt = td["registeredAt"];
    const when = typeof registeredAt === "number" ? registeredAt * 1000 : Date.parse(String(registeredAt));
    assert.ok(Math.abs(Date.now() - when) < 60_000, `registeredAt ${String(registeredAt)} is now`);
    assert.deepEqual(td["compatibilities"], ["EC2", "FARGATE"]);
    const names = (td["requiresAttributes"] as Array<{ name: string }>).map((a) => a.name).sort();
    assert.deepEqual(names, [
      "com.amazonaws.ecs.capability.docker-remote-api.1.18",
      "com.amazonaws.ecs.capability.docker-remote-api.1.19",
      "com.amazonaws.ecs.capability.ecr-auth",
      "com.amazonaws.ecs.capability.logging-driver.awslogs",
      "ecs.capability.execution-role-awslogs",
      "ecs.capability.execution-role-ecr-pull",
      "ecs.capability.task-eni",
    ]);
    // awsvpc mirrors the container port on the task's own interface, as ECS records it.
    const [container] = td["containerDefinitions"] as Array<{ portMappings: unknown[]; cpu: number }>;
    assert.ok(container);
    assert.deepEqual(container.portMappings, [{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }]);
    assert.equal(container.cpu, 0);
  });
});

describe("a maximal task definition through the SDK", () => {
  it("round-trips every field identically", async () => {
    const input: RegisterTaskDefinitionCommandInput = {
      family: "maximal",
      taskRoleArn: "arn:aws:iam::000000000000:role/app",
      executionRoleArn: "arn:aws:iam::000000000000:role/ecsTaskExecutionRole",
      networkMode: "awsvpc",
      requiresCompatibilities: ["EC2"],
      cpu: "2048",
      memory: "4096",
      pidMode: "task",
      ipcMode: "task",
      runtimePlatform: { cpuArchitecture: "X86_64", operatingSystemFamily: "LINUX" },
      ephemeralStorage: { sizeInGiB: 30 },
      enableFaultInjection: true,
      inferenceAccelerators: [{ deviceName: "acc1", deviceType: "eia2.medium" }],
      proxyConfiguration: {
        type: "APPMESH",
        containerName: "envoy",
        properties: [
          { name: "IgnoredUID", value: "1337" },
          { name: "ProxyIngressPort", value: "15000" },
        ],
      },
      placementConstraints: [{ type: "memberOf", expression: "attribute:ecs.instance-type =~ t3.*" }],
      volumes: [
        { name: "host", host: { sourcePath: "/srv/data" } },
        {
          name: "docker",
          dockerVolumeConfiguration: { scope: "shared", autoprovision: true, driver: "local", driverOpts: { type: "tmpfs" }, labels: { app: "web" } },
        },
        {
          name: "efs",
          efsVolumeConfiguration: {
            fileSystemId: "fs-12345678",
            rootDirectory: "/",
            transitEncryption: "ENABLED",
            transitEncryptionPort: 2999,
            authorizationConfig: { accessPointId: "fsap-1234", iam: "ENABLED" },
          },
        },
        { name: "ebs", configuredAtLaunch: true },
      ],
      containerDefinitions: [
        {
          name: "web",
          image: "000000000000.dkr.ecr.us-east-1.amazonaws.com/web:2",
          repositoryCredentials: { credentialsParameter: "arn:aws:secretsmanager:us-east-1:000000000000:secret:registry" },
          cpu: 1024,
          memory: 2048,
          memoryReservation: 1024,
          portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: "tcp", name: "http", appProtocol: "http" }],
          essential: true,
          restartPolicy: { enabled: true, ignoredExitCodes: [0], restartAttemptPeriod: 60 },
          entryPoint: ["/bin/sh", "-c"],
          command: ["exec web --port 8080"],
          environment: [{ name: "MODE", value: "production" }],
          environmentFiles: [{ type: "s3", value: "arn:aws:s3:::config/web.env" }],
          mountPoints: [
            { sourceVolume: "host", containerPath: "/data", readOnly: true },
            { sourceVolume: "efs", containerPath: "/shared", readOnly: false },
          ],
          volumesFrom: [{ sourceContainer: "envoy", readOnly: true }],
          linuxParameters: {
            capabilities: { add: ["NET_ADMIN"], drop: ["MKNOD"] },
            devices: [{ hostPath: "/dev/fuse", containerPath: "/dev/fuse", permissions: ["read", "write"] }],
            initProcessEnabled: true,
            sharedMemorySize: 64,
            tmpfs: [{ containerPath: "/tmp", size: 64, mountOptions: ["rw", "noexec"] }],
            maxSwap: 1024,
            swappiness: 10,
          },
          secrets: [{ name: "DB_PASSWORD", valueFrom: "arn:aws:ssm:us-east-1:000000000000:parameter/db-password" }],
          dependsOn: [{ containerName: "envoy", condition: "HEALTHY" }],
          startTimeout: 60,
          stopTimeout: 30,
          versionConsistency: "enabled",
          user: "1000:1000",
          workingDirectory: "/app",
          disableNetworking: false,
          privileged: false,
          readonlyRootFilesystem: true,
          dnsServers: ["10.0.0.2"],
          dnsSearchDomains: ["internal"],
          dockerSecurityOptions: ["no-new-privileges"],
          interactive: false,
          pseudoTerminal: false,
          dockerLabels: { team: "core", "com.example.tier": "web" },
          ulimits: [{ name: "nofile", softLimit: 4096, hardLimit: 8192 }],
          logConfiguration: {
            logDriver: "awslogs",
            options: { "awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web" },
            secretOptions: [{ name: "token", valueFrom: "arn:aws:secretsmanager:us-east-1:000000000000:secret:log-token" }],
          },
          healthCheck: { command: ["CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"], interval: 10, timeout: 3, retries: 5, startPeriod: 20 },
          systemControls: [{ namespace: "net.core.somaxconn", value: "1024" }],
          resourceRequirements: [{ type: "GPU", value: "1" }],
          credentialSpecs: ["credentialspec:arn:aws:s3:::bucket/spec.json"],
        },
        {
          name: "envoy",
          image: "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.6.0-prod",
          cpu: 256,
          memory: 512,
          portMappings: [],
          essential: true,
          environment: [],
          mountPoints: [],
          volumesFrom: [],
          systemControls: [],
          user: "1337",
          healthCheck: { command: ["CMD-SHELL", "curl -s http://localhost:9901/server_info"], interval: 5, timeout: 2, retries: 3 },
          extraHosts: [{ hostname: "mesh.local", ipAddress: "10.0.0.10" }],
        },
      ],
      tags: [
        { key: "team", value: "core" },
        { key: "cost-center", value: "42" },
      ],
    };
    const registered = await ecs.send(new RegisterTaskDefinitionCommand(input));
    assert.deepStrictEqual(registered.tags, input.tags);
    const byKey = (tags: typeof input.tags): typeof input.tags => [...(tags ?? [])].sort((a, b) => (a.key ?? "").localeCompare(b.key ?? ""));
    const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "maximal:1", include: ["TAGS"] }));
    const td = described.taskDefinition as Record<string, unknown>;
    for (const [key, value] of Object.entries(input)) {
      if (key === "tags") continue;
      assert.deepStrictEqual(td[key], value, `taskDefinition.${key}`);
    }
    // The store keeps tags by key, so compare them as a set.
    assert.deepStrictEqual(byKey(described.tags), byKey(input.tags));
    assert.deepStrictEqual(described.taskDefinition, registered.taskDefinition);
    assert.deepStrictEqual(td["compatibilities"], ["EC2"]);
    const names = new Set((described.taskDefinition?.requiresAttributes ?? []).map((a) => a.name));
    for (const name of [
      "com.amazonaws.ecs.capability.task-iam-role",
      "ecs.capability.task-eni",
      "ecs.capability.aws-appmesh",
      "ecs.capability.container-ordering",
      "ecs.capability.efs",
      "ecs.capability.efsAuth",
      "ecs.capability.secrets.ssm.environment-variables",
      "ecs.capability.secrets.asm.bootstrap.log-driver",
      "com.amazonaws.ecs.capability.private-registry-authentication.secretsmanager",
    ]) {
      assert.ok(names.has(name), `requiresAttributes has ${name}`);
    }
  });
});

// The same lifecycle through each client, so each one's encoding of every
// operation (timestamps, tokens, failures) is exercised. The lifecycle is a plan
// of steps each client runs; boto3 runs the whole plan in one process.
type Step =
  | { readonly op: "register"; readonly family: string; readonly tags: ReadonlyArray<{ key: string; value: string }> }
  | { readonly op: "describe"; readonly ref: string }
  | { readonly op: "list"; readonly family: string; readonly status: "ACTIVE" | "INACTIVE" | "DELETE_IN_PROGRESS" }
  | { readonly op: "families"; readonly prefix: string }
  | { readonly op: "deregister"; readonly ref: string }
  | { readonly op: "delete"; readonly refs: readonly string[] };

type Row = Record<string, unknown>;
type Runner = (steps: readonly Step[]) => Promise<unknown[]>;

const containers = [{ name: "app", image: "busybox", memory: 64, command: ["sleep", "3600"] }];

function lifecyclePlan(family: string, tags: Array<{ key: string; value: string }>): Step[] {
  return [
    { op: "register", family, tags },
    { op: "register", family, tags },
    { op: "describe", ref: family },
    { op: "list", family, status: "ACTIVE" },
    { op: "families", prefix: family },
    { op: "deregister", ref: `${family}:1` },
    { op: "describe", ref: arnOf(family, 1) },
    { op: "list", family, status: "INACTIVE" },
    { op: "delete", refs: [`${family}:1`, `${family}:2`] },
    { op: "list", family, status: "DELETE_IN_PROGRESS" },
    { op: "register", family, tags },
  ];
}

function checkLifecycle(results: unknown[], family: string, tags: Array<{ key: string; value: string }>): void {
  const [first, second, latest, active, families, deregistered, inactive, inactiveList, deleted, deleting, third] = results as [
    Row,
    Row,
    { taskDefinition: Row; tags: unknown },
    string[],
    string[],
    Row,
    { taskDefinition: Row },
    string[],
    { taskDefinitions: Row[]; failures: Row[] },
    string[],
    Row,
  ];
  assert.equal(first["revision"], 1);
  assert.equal(second["revision"], 2);
  assert.equal(second["taskDefinitionArn"], arnOf(family, 2));
  assert.equal(latest.taskDefinition["revision"], 2);
  assert.deepEqual(latest.tags, tags);
  assert.deepEqual(active, [arnOf(family, 1), arnOf(family, 2)]);
  assert.deepEqual(families, [family]);
  assert.equal(deregistered["status"], "INACTIVE");
  assert.ok(deregistered["deregisteredAt"], "deregisteredAt is set");
  assert.equal(inactive.taskDefinition["status"], "INACTIVE");
  assert.deepEqual(inactiveList, [arnOf(family, 1)]);
  assert.deepEqual(
    deleted.taskDefinitions.map((t) => [t["taskDefinitionArn"], t["status"]]),
    [[arnOf(family, 1), "DELETE_IN_PROGRESS"]],
  );
  assert.ok(deleted.taskDefinitions[0]?.["deleteRequestedAt"], "deleteRequestedAt is set");
  assert.deepEqual(deleted.failures, [{ arn: `${family}:2`, reason: deleteFailureReasons.stillActive }]);
  assert.deepEqual(deleting, [arnOf(family, 1)]);
  // Revisions are never reused, even after a delete.
  assert.equal(third["revision"], 3);
}

const runCli: Runner = async (steps) => {
  const out: unknown[] = [];
  for (const s of steps) {
    switch (s.op) {
      case "register": {
        const args = ["--family", s.family, "--container-definitions", JSON.stringify(containers), "--tags", JSON.stringify(s.tags)];
        out.push((await awsJson<{ taskDefinition: Row }>(server, "ecs", "register-task-definition", ...args)).taskDefinition);
        break;
      }
      case "describe":
        out.push(await awsJson(server, "ecs", "describe-task-definition", "--task-definition", s.ref, "--include", "TAGS"));
        break;
      case "list":
        out.push((await awsJson<{ taskDefinitionArns: string[] }>(server, "ecs", "list-task-definitions", "--family-prefix", s.family, "--status", s.status)).taskDefinitionArns);
        break;
      case "families":
        out.push((await awsJson<{ families: string[] }>(server, "ecs", "list-task-definition-families", "--family-prefix", s.prefix)).families);
        break;
      case "deregister":
        out.push((await awsJson<{ taskDefinition: Row }>(server, "ecs", "deregister-task-definition", "--task-definition", s.ref)).taskDefinition);
        break;
      case "delete":
        out.push(await awsJson(server, "ecs", "delete-task-definitions", "--task-definitions", ...s.refs));
        break;
    }
  }
  return out;
};

const py = (value: unknown): string => `json.loads(r'''${JSON.stringify(value)}''')`;
const runBoto3: Runner = (steps) => {
  const lines = steps.map((s) => {
    switch (s.op) {
      case "register":
        return `ecs.register_task_definition(family=${py(s.family)}, containerDefinitions=${py(containers)}, tags=${py(s.tags)})["taskDefinition"]`;
      case "describe":
        return `ecs.describe_task_definition(taskDefinition=${py(s.ref)}, include=["TAGS"])`;
      case "list":
        return `[a for page in ecs.get_paginator("list_task_definitions").paginate(familyPrefix=${py(s.family)}, status=${py(s.status)}) for a in page["taskDefinitionArns"]]`;
      case "families":
        return `ecs.list_task_definition_families(familyPrefix=${py(s.prefix)})["families"]`;
      case "deregister":
        return `ecs.deregister_task_definition(taskDefinition=${py(s.ref)})["taskDefinition"]`;
      case "delete":
        return `ecs.delete_task_definitions(taskDefinitions=${py(s.refs)})`;
    }
  });
  return boto3<unknown[]>(server, `results = []\n${lines.map((l) => `results.append(${l})`).join("\n")}\ndump(results)`);
};

const runSdk: Runner = async (steps) => {
  const out: unknown[] = [];
  for (const s of steps) {
    switch (s.op) {
      case "register":
        out.push(await register({ family: s.family, containerDefinitions: containers, tags: [...s.tags] }));
        break;
      case "describe":
        out.push(await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: s.ref, include: ["TAGS"] })));
        break;
      case "list":
        out.push(await listAll({ familyPrefix: s.family, status: s.status }));
        break;
      case "families":
        out.push((await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: s.prefix }))).families);
        break;
      case "deregister":
        out.push((await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: s.ref }))).taskDefinition);
        break;
      case "delete":
        out.push(await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [...s.refs] })));
        break;
    }
  }
  return out;
};

describe("register, describe, list, deregister and delete through each client", () => {
  const clients: Array<[string, Runner]> = [
    ["the aws CLI", runCli],
    ["boto3", runBoto3],
    ["the SDK", runSdk],
  ];
  for (const [name, run] of clients) {
    it(name, async () => {
      const family = `lifecycle-${name.replace(/\W+/g, "-")}`;
      const tags = [{ key: "client", value: name }];
      checkLifecycle(await run(lifecyclePlan(family, tags)), family, tags);
    });
  }
});

describe("concurrency", () => {
  it("gives 50 parallel registrations of one family revisions 1..50", async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => register(simple("parallel"))));
    const revisions = results.map((t) => t.revision!).sort((a, b) => a - b);
    assert.deepEqual(revisions, Array.from({ length: 50 }, (_, i) => i + 1));
    assert.equal((await listAll({ familyPrefix: "parallel" })).length, 50);
  });
});

describe("pagination", { timeout: 60_000 }, () => {
  before(async () => {
    for (let i = 0; i < 5; i++) await register(simple("paged"));
    await register(simple("paged-extra"));
    await register(simple("pagedx"));
  });

  it("chains nextToken through every revision of a family, in both orders", async () => {
    const ascending = await pages(async (token) => {
      const out = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "paged", maxResults: 2, ...(token ? { nextToken: token } : {}) }));
      return { items: out.taskDefinitionArns ?? [], nextToken: out.nextToken };
    });
    assert.deepEqual(ascending, [
      [arnOf("paged", 1), arnOf("paged", 2)],
      [arnOf("paged", 3), arnOf("paged", 4)],
      [arnOf("paged", 5)],
    ]);
    const descending = await listAll({ familyPrefix: "paged", sort: "DESC", maxResults: 2 });
    assert.deepEqual(descending, [5, 4, 3, 2, 1].map((r) => arnOf("paged", r)));
  });

  it("treats ListTaskDefinitions' familyPrefix as a whole family name", async () => {
    assert.deepEqual(await listAll({ familyPrefix: "paged-extra" }), [arnOf("paged-extra", 1)]);
    const out = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "paged", maxResults: 5 }));
    assert.equal(out.nextToken, undefined, "no token when the family is exhausted");
  });

  it("lets the aws CLI follow the tokens", async () => {
    const out = await awsJson<{ taskDefinitionArns: string[] }>(server, "ecs", "list-task-definitions", "--family-prefix", "paged", "--page-size", "2");
    assert.deepEqual(out.taskDefinitionArns, [1, 2, 3, 4, 5].map((r) => arnOf("paged", r)));
  });

  it("pages families, with familyPrefix as a real prefix", async () => {
    const seen = await pages(async (token) => {
      const out = await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: "paged", maxResults: 1, ...(token ? { nextToken: token } : {}) }));
      return { items: out.families ?? [], nextToken: out.nextToken };
    });
    assert.deepEqual(seen, [["paged"], ["paged-extra"], ["pagedx"]]);
  });

  it("refuses a bad token or page size with InvalidParameterException", async () => {
    const badToken = await rejection(ecs.send(new ListTaskDefinitionsCommand({ nextToken: "not-a-token" })));
    assert.equal(badToken.name, "InvalidParameterException");
    const badFamiliesToken = await rejection(ecs.send(new ListTaskDefinitionFamiliesCommand({ nextToken: "garbage" })));
    assert.equal(badFamiliesToken.name, "InvalidParameterException");
    const tooMany = await rejection(ecs.send(new ListTaskDefinitionsCommand({ maxResults: 101 })));
    assert.equal(tooMany.name, "InvalidParameterException");
  });
});

describe("status filters", () => {
  it("lists families by ACTIVE, INACTIVE and ALL", async () => {
    await register(simple("status-live"));
    await register(simple("status-gone"));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "status-gone:1" }));
    const list = async (status: "ACTIVE" | "INACTIVE" | "ALL"): Promise<string[]> =>
      (await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: "status-", status }))).families ?? [];
    assert.deepEqual(await list("ACTIVE"), ["status-live"]);
    assert.deepEqual(await list("INACTIVE"), ["status-gone"]);
    assert.deepEqual(await list("ALL"), ["status-gone", "status-live"]);
    // Without a status, ListTaskDefinitionFamilies lists both; ListTaskDefinitions only ACTIVE.
    assert.deepEqual((await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: "status-" }))).families, ["status-gone", "status-live"]);
    assert.deepEqual(await listAll({ familyPrefix: "status-gone" }), []);
  });
});

describe("invalid definitions", () => {
  const fargate = (family: string, extra: Partial<RegisterTaskDefinitionCommandInput> = {}): RegisterTaskDefinitionCommandInput => ({
    family,
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    cpu: "512",
    memory: "1024",
    containerDefinitions: [{ name: "app", image: "busybox" }],
    ...extra,
  });
  const cases: Array<[string, RegisterTaskDefinitionCommandInput, string, RegExp]> = [
    [
      "a Fargate size that does not exist",
      fargate("bad-size", { memory: "512" }),
      "ClientException",
      /^No Fargate configuration exists for given values: 512 CPU, 512 memory\. See the Amazon ECS documentation for the valid values\.$/,
    ],
    ["Fargate without awsvpc", fargate("bad-mode", { networkMode: "bridge" }), "ClientException", /Fargate only supports network mode 'awsvpc'/],
    [
      "duplicate container names",
      simple("bad-names", {
        containerDefinitions: [
          { name: "app", image: "busybox", memory: 64 },
          { name: "app", image: "busybox", memory: 64 },
        ],
      }),
      "ClientException",
      /Duplicate container name 'app'/,
    ],
    [
      "no essential container",
      simple("bad-essential", { containerDefinitions: [{ name: "app", image: "busybox", memory: 64, essential: false }] }),
      "ClientException",
      /at least one essential container/,
    ],
    [
      "a host port that differs in awsvpc",
      simple("bad-ports", { networkMode: "awsvpc", containerDefinitions: [{ name: "app", image: "busybox", memory: 64, portMappings: [{ containerPort: 80, hostPort: 81 }] }] }),
      "ClientException",
      /When networkMode=awsvpc, the host ports and container ports in port mappings must match\./,
    ],
    [
      "a mount of an unknown volume",
      simple("bad-volume", { containerDefinitions: [{ name: "app", image: "busybox", memory: 64, mountPoints: [{ sourceVolume: "data", containerPath: "/data" }] }] }),
      "ClientException",
      /Unknown volume 'data' in mountPoints of container 'app'/,
    ],
    [
      "a dependency cycle",
      simple("bad-cycle", {
        containerDefinitions: [
          { name: "a", image: "busybox", memory: 64, dependsOn: [{ containerName: "b", condition: "START" }] },
          { name: "b", image: "busybox", memory: 64, dependsOn: [{ containerName: "a", condition: "START" }] },
        ],
      }),
      "ClientException",
      /Circular container dependency/,
    ],
    [
      "a container without memory",
      simple("bad-memory", { containerDefinitions: [{ name: "app", image: "busybox" }] }),
      "ClientException",
      /Invalid setting for container 'app'\. At least one of 'memory' or 'memoryReservation' must be specified\./,
    ],
    ["a reserved tag key", simple("bad-tags", { tags: [{ key: "aws:owner", value: "me" }] }), "InvalidParameterException", /'aws:' prefix is reserved/],
  ];

  it("refuses each with a useful error and stores nothing", async () => {
    const arnsBefore = await listAll({ status: "ACTIVE" });
    const familiesBefore = await allFamilies();
    for (const [what, input, name, message] of cases) {
      const err = await rejection(register(input));
      assert.equal(err.name, name, what);
      assert.match(err.message, message, what);
    }
    assert.deepEqual(await listAll({ status: "ACTIVE" }), arnsBefore);
    assert.deepEqual(await allFamilies(), familiesBefore);
    // A refused registration does not use up a revision.
    assert.equal((await register(fargate("bad-size"))).revision, 1);
  });

  it("shows the aws CLI the exception and message", async () => {
    const r = await aws(server, "ecs", "register-task-definition", "--family", "bad-cli", "--container-definitions", JSON.stringify([{ name: "app", image: "busybox" }]));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ClientException/);
    assert.match(r.stderr, /At least one of 'memory' or 'memoryReservation' must be specified/);
  });
});

describe("describe, deregister and delete edge cases", () => {
  it("cannot describe what does not exist", async () => {
    for (const ref of ["nope", "nope:1", arnOf("nope", 1)]) {
      const err = await rejection(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref })));
      assert.equal(err.name, "ClientException");
      assert.equal(err.message, "Unable to describe task definition.");
    }
  });

  it("describes by family only while a revision is ACTIVE", async () => {
    await register(simple("fading"));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "fading:1" }));
    const err = await rejection(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "fading" })));
    assert.equal(err.message, "Unable to describe task definition.");
    const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "fading:1" }));
    assert.equal(out.taskDefinition?.status, "INACTIVE");
    assert.ok(out.taskDefinition?.deregisteredAt instanceof Date);
    assert.equal(out.tags, undefined, "tags only when asked for");
  });

  it("deregisters idempotently and refuses what is not there", async () => {
    await register(simple("twice"));
    const first = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "twice:1" }));
    const second = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arnOf("twice", 1) }));
    assert.equal(second.taskDefinition?.status, "INACTIVE");
    assert.deepEqual(second.taskDefinition?.deregisteredAt, first.taskDefinition?.deregisteredAt);
    const missing = await rejection(ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "twice:9" })));
    assert.equal(missing.name, "ClientException");
    const noRevision = await rejection(ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "twice" })));
    assert.equal(noRevision.name, "ClientException");
    assert.match(noRevision.message, /revision/);
  });

  it("reports per-item delete failures and caps the batch at 10", async () => {
    await register(simple("doomed"));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "doomed:1" }));
    const out = await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ["doomed:1", "doomed", "doomed:7", "bad name:1"] }));
    assert.deepEqual(
      out.taskDefinitions?.map((t) => [t.taskDefinitionArn, t.status]),
      [[arnOf("doomed", 1), "DELETE_IN_PROGRESS"]],
    );
    assert.deepEqual(out.failures, [
      { arn: "doomed", reason: deleteFailureReasons.invalidIdentifier },
      { arn: "doomed:7", reason: deleteFailureReasons.notFound },
      { arn: "bad name:1", reason: deleteFailureReasons.invalidIdentifier },
    ]);
    // Still describable while the delete is in progress, and deleting again is answered.
    const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "doomed:1" }));
    assert.equal(described.taskDefinition?.status, "DELETE_IN_PROGRESS");
    const again = await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ["doomed:1"] }));
    assert.equal(again.taskDefinitions?.[0]?.status, "DELETE_IN_PROGRESS");
    assert.deepEqual(again.failures, []);
    const tooMany = await rejection(ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: Array.from({ length: 11 }, (_, i) => `doomed:${i + 1}`) })));
    assert.equal(tooMany.name, "InvalidParameterException");
  });
});

describe("DescribeTaskDefinition answers", () => {
  it("the same, member for member, from kept JSON as freshly shaped (with TAGS), and shows a change at once", async () => {
    await register(simple("kept-def", { tags: [{ key: "k", value: "v" }], cpu: "256", volumes: [{ name: "data", host: { sourcePath: "/tmp" } }] }));
    await register(simple("kept-def"));
    const raw = rawClient(server);
    const describeRaw = async (taskDefinition: string, include?: string[]) => {
      const out = await raw.send({ operation: "DescribeTaskDefinition", body: { taskDefinition, ...(include ? { include } : {}) } });
      assert.equal(out.status, 200, out.text);
      return out.body as { taskDefinition: Record<string, unknown>; tags?: unknown };
    };
    const fresh = await describeRaw("kept-def:1", ["TAGS"]);
    assert.deepEqual(fresh.tags, [{ key: "k", value: "v" }]);
    // The first answer renders and keeps the revision; the second is made of what was kept.
    for (const kept of [await describeRaw("kept-def:1"), await describeRaw(arnOf("kept-def", 1))]) {
      assert.deepEqual(kept, { taskDefinition: fresh.taskDefinition });
    }
    // The latest revision, then a change to it (deregistered: the latest is revision 1 again), each shown at once.
    assert.equal((await describeRaw("kept-def")).taskDefinition["revision"], 2);
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "kept-def:2" }));
    assert.equal((await describeRaw("kept-def:2")).taskDefinition["status"], "INACTIVE");
    assert.equal((await describeRaw("kept-def")).taskDefinition["revision"], 1);
    // Through the SDK, which parses the kept answer as any other.
    const sdk = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "kept-def:1" }));
    assert.equal(sdk.taskDefinition?.volumes?.[0]?.host?.sourcePath, "/tmp");
    assert.ok(sdk.taskDefinition?.registeredAt instanceof Date);
  });
});
