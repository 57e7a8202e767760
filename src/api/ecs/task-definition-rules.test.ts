// Unit tests for the pure task definition rules: each check accepts and rejects,
// Fargate sizes, cpu/memory normalisation, defaults, and the derived fields.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { AwsError } from "../../errors.js";
import { definedMembers, type Loose } from "../../ecs/defined-members.js";
import type { ContainerDefinition, RegisterTaskDefinitionRequest, Tag } from "../../model/generated/ecs.js";
import {
  checks,
  deriveCompatibilities,
  deriveRequiresAttributes,
  draftOf,
  isEcrImage,
  isFargateSize,
  normalizeTaskCpu,
  normalizeTaskMemory,
  prepareTaskDefinition,
} from "./task-definition-rules.js";
import { validateTags } from "./tags.js";

const ecrImage = "000000000000.dkr.ecr.us-east-1.amazonaws.com/app:1";
const executionRoleArn = "arn:aws:iam::000000000000:role/ecsTaskExecutionRole";

/** A minimal valid EC2 definition; `containers` replaces its containers. */
function ec2(over: Partial<RegisterTaskDefinitionRequest> = {}, containers?: ContainerDefinition[]): RegisterTaskDefinitionRequest {
  return { family: "web", containerDefinitions: containers ?? [{ name: "web", image: "nginx", memory: 128 }], ...over };
}

/** A minimal valid Fargate definition. */
function fargate(over: Partial<Loose<RegisterTaskDefinitionRequest>> = {}, containers?: ContainerDefinition[]): RegisterTaskDefinitionRequest {
  return definedMembers<RegisterTaskDefinitionRequest>({
    family: "web",
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    cpu: "256",
    memory: "512",
    containerDefinitions: containers ?? [{ name: "web", image: "nginx" }],
    ...over,
  });
}

function rejects(input: RegisterTaskDefinitionRequest, message: RegExp | string, code = "ClientException"): void {
  assert.throws(
    () => prepareTaskDefinition(input),
    (err: unknown) => {
      assert.ok(err instanceof AwsError, `expected an AwsError, got ${String(err)}`);
      assert.equal(err.code, code);
      if (typeof message === "string") assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

const accepts = (input: RegisterTaskDefinitionRequest): ReturnType<typeof prepareTaskDefinition> => prepareTaskDefinition(input);

const attributeNames = (input: RegisterTaskDefinitionRequest): string[] =>
  deriveRequiresAttributes(draftOf(input))
    .map((a) => a.name)
    .sort();

describe("task size normalisation", () => {
  it("turns vCPUs into CPU units", () => {
    assert.equal(normalizeTaskCpu("1 vCPU"), "1024");
    assert.equal(normalizeTaskCpu("0.25 vcpu"), "256");
    assert.equal(normalizeTaskCpu(".5 vCPU"), "512");
    assert.equal(normalizeTaskCpu("2vcpu"), "2048");
    assert.equal(normalizeTaskCpu("1024"), "1024");
  });

  it("turns GB into MiB", () => {
    assert.equal(normalizeTaskMemory("2 GB"), "2048");
    assert.equal(normalizeTaskMemory("0.5GB"), "512");
    assert.equal(normalizeTaskMemory("3072"), "3072");
  });

  it("rejects what it cannot read", () => {
    for (const bad of ["lots", "0.1 vCPU", "-1", "1 core", ""]) {
      assert.throws(() => normalizeTaskCpu(bad), /Invalid 'cpu' setting for task/);
    }
    for (const bad of ["1 TB", "2 GiB x", "1.0001 GB"]) {
      assert.throws(() => normalizeTaskMemory(bad), /Invalid 'memory' setting for task/);
    }
  });

  it("stores the normalised strings", () => {
    const td = accepts(fargate({ cpu: "1 vCPU", memory: "2 GB" }));
    assert.equal(td.cpu, "1024");
    assert.equal(td.memory, "2048");
  });
});

describe("Fargate sizes", () => {
  const table: ReadonlyArray<readonly [number, number, number, number]> = [
    // cpu, first memory, last memory, step
    [512, 1024, 4096, 1024],
    [1024, 2048, 8192, 1024],
    [2048, 4096, 16384, 1024],
    [4096, 8192, 30720, 1024],
    [8192, 16384, 61440, 4096],
    [16384, 32768, 122880, 8192],
  ];

  it("accepts every documented pair", () => {
    for (const memory of [512, 1024, 2048]) assert.ok(isFargateSize(256, memory), `256/${memory}`);
    for (const [cpu, from, to, step] of table) {
      for (let memory = from; memory <= to; memory += step) assert.ok(isFargateSize(cpu, memory), `${cpu}/${memory}`);
    }
  });

  it("rejects sizes between, beyond and off the steps", () => {
    const bad: Array<[number, number]> = [
      [256, 256],
      [256, 3072],
      [512, 512],
      [512, 5120],
      [1024, 1024],
      [1024, 2560],
      [4096, 31744],
      [8192, 18432],
      [16384, 36864],
      [128, 512],
      [3072, 8192],
    ];
    for (const [cpu, memory] of bad) assert.ok(!isFargateSize(cpu, memory), `${cpu}/${memory}`);
  });

  it("says which values have no Fargate configuration", () => {
    rejects(
      fargate({ cpu: "512", memory: "512" }),
      "No Fargate configuration exists for given values: 512 CPU, 512 memory. See the Amazon ECS documentation for the valid values.",
    );
  });

  it("requires awsvpc and task-level cpu and memory", () => {
    rejects(fargate({ networkMode: "bridge" }), "Fargate only supports network mode 'awsvpc'.");
    rejects(ec2({ requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512" }), "Fargate only supports network mode 'awsvpc'.");
    rejects(fargate({ cpu: undefined }), "Fargate requires that 'cpu' be defined at the task level.");
    rejects(fargate({ memory: undefined }), "Fargate requires that 'memory' be defined at the task level.");
  });

  it("refuses features Fargate does not run", () => {
    rejects(fargate({}, [{ name: "web", image: "nginx", privileged: true }]), /privileged.*'web'/);
    rejects(fargate({ volumes: [{ name: "data", host: { sourcePath: "/srv" } }] }), /host volumes with a sourcePath \(volume 'data'\)/);
    rejects(fargate({ volumes: [{ name: "data", dockerVolumeConfiguration: { scope: "task" } }] }), /Docker volumes/);
    rejects(fargate({}, [{ name: "web", image: "nginx", logConfiguration: { logDriver: "json-file" } }]), /log driver 'json-file'/);
    rejects(fargate({ placementConstraints: [{ type: "memberOf", expression: "attribute:x == y" }] }), /placement constraints/);
    rejects(fargate({ ipcMode: "host" }), /ipcMode/);
    rejects(fargate({ pidMode: "host" }), /pidMode 'task'/);
    rejects(fargate({}, [{ name: "web", image: "nginx", linuxParameters: { capabilities: { add: ["NET_ADMIN"] } } }]), /NET_ADMIN/);
    assert.ok(accepts(fargate({ pidMode: "task" })));
    assert.ok(accepts(fargate({ volumes: [{ name: "scratch", host: {} }] })));
  });

  it("needs an execution role for awslogs and ECR images", () => {
    const awslogs = { logDriver: "awslogs" as const, options: { "awslogs-group": "g" } };
    rejects(
      fargate({}, [{ name: "web", image: "nginx", logConfiguration: awslogs }]),
      "Fargate requires task definition to have execution role ARN to support log driver awslogs.",
    );
    rejects(fargate({}, [{ name: "web", image: ecrImage }]), "Fargate requires task definition to have execution role ARN to support ECR images.");
    assert.ok(accepts(fargate({ executionRoleArn }, [{ name: "web", image: ecrImage, logConfiguration: awslogs }])));
    // On EC2 the instance role pulls and logs, so no execution role is needed.
    assert.ok(accepts(ec2({}, [{ name: "web", image: ecrImage, memory: 64, logConfiguration: awslogs }])));
  });
});

describe("definition shape", () => {
  it("checks the family name", () => {
    rejects(ec2({ family: "bad family" }), /Invalid family 'bad family'/);
    rejects(ec2({ family: "x".repeat(256) }), /Invalid family/);
    assert.ok(accepts(ec2({ family: "A_b-9" })));
  });

  it("needs 1 to 10 containers", () => {
    rejects(ec2({}, []), "Container list cannot be empty.");
    const eleven = Array.from({ length: 11 }, (_, i) => ({ name: `c${i}`, image: "nginx", memory: 64 }));
    rejects(ec2({}, eleven), /Too many containers: 11/);
    assert.ok(accepts(ec2({}, eleven.slice(0, 10))));
  });

  it("needs unique, valid container names and an image", () => {
    rejects(ec2({}, [{ image: "nginx", memory: 64 }]), "Container.name should not be null or empty.");
    rejects(ec2({}, [{ name: "web.1", image: "nginx", memory: 64 }]), /Invalid container name 'web.1'/);
    rejects(
      ec2({}, [
        { name: "web", image: "nginx", memory: 64 },
        { name: "web", image: "redis", memory: 64 },
      ]),
      /Duplicate container name 'web'/,
    );
    rejects(ec2({}, [{ name: "web", memory: 64 }]), "Container.image should not be null or empty.");
    rejects(ec2({}, [{ name: "web", image: " ", memory: 64 }]), "Container.image should not be null or empty.");
  });

  it("needs an essential container, and essential defaults to true", () => {
    rejects(ec2({}, [{ name: "web", image: "nginx", memory: 64, essential: false }]), /at least one essential container/);
    assert.equal(accepts(ec2()).containerDefinitions?.[0]?.essential, true);
  });

  it("caps the definition at 64 KiB", () => {
    const big = [{ name: "web", image: "nginx", memory: 64, environment: [{ name: "BIG", value: "x".repeat(70_000) }] }];
    rejects(ec2({}, big), /^Actual length: '\d+'\. Max allowed length is '65536' bytes\.$/);
  });

  it("keeps task cpu and memory in range", () => {
    rejects(ec2({ cpu: "64" }), /Task CPU must be between 128 and 196608/);
    rejects(ec2({ cpu: "200000" }), /Task CPU must be between 128 and 196608/);
    rejects(ec2({ memory: "4" }), /Task memory must be at least 6 MiB/);
    assert.ok(accepts(ec2({ cpu: "128", memory: "128" })));
  });

  it("refuses EXTERNAL with awsvpc", () => {
    rejects(ec2({ requiresCompatibilities: ["EXTERNAL"], networkMode: "awsvpc" }), /EXTERNAL.*awsvpc/);
    assert.ok(accepts(ec2({ requiresCompatibilities: ["EXTERNAL"], networkMode: "host" })));
  });
});

describe("container memory and cpu", () => {
  it("needs memory or memoryReservation without task memory", () => {
    rejects(
      ec2({}, [{ name: "web", image: "nginx" }]),
      "Invalid setting for container 'web'. At least one of 'memory' or 'memoryReservation' must be specified.",
    );
    assert.ok(accepts(ec2({}, [{ name: "web", image: "nginx", memoryReservation: 64 }])));
    assert.ok(accepts(ec2({ memory: "512" }, [{ name: "web", image: "nginx" }])));
    // Fargate-only definitions size containers from the task.
    assert.ok(accepts(fargate()));
  });

  it("keeps container memory above the minimum and reservations under the limit", () => {
    rejects(ec2({}, [{ name: "web", image: "nginx", memory: 4 }]), /'memory' setting for container 'web': 4\. The minimum is 6 MiB/);
    rejects(ec2({}, [{ name: "web", image: "nginx", memoryReservation: 5 }]), /'memoryReservation' setting for container 'web'/);
    rejects(ec2({}, [{ name: "web", image: "nginx", memory: 128, memoryReservation: 256 }]), /memoryReservation \(256\) must be less than or equal to memory \(128\)/);
    assert.ok(accepts(ec2({}, [{ name: "web", image: "nginx", memory: 128, memoryReservation: 128 }])));
  });

  it("fits the containers in the task's memory", () => {
    const two = (a: ContainerDefinition, b: ContainerDefinition): ContainerDefinition[] => [
      { name: "a", image: "nginx", ...a },
      { name: "b", image: "nginx", ...b },
    ];
    rejects(ec2({ memory: "512" }, two({ memory: 300 }, { memory: 300 })), /sum of container memory \(600 MiB\) exceeds the task memory \(512 MiB\)/);
    rejects(ec2({ memory: "512" }, two({ memoryReservation: 300 }, { memoryReservation: 300 })), /memory reservations \(600 MiB\)/);
    assert.ok(accepts(ec2({ memory: "512" }, two({ memory: 256 }, { memory: 256 }))));
  });

  it("fits the containers in the task's cpu", () => {
    rejects(
      ec2({ cpu: "256" }, [
        { name: "a", image: "nginx", memory: 64, cpu: 200 },
        { name: "b", image: "nginx", memory: 64, cpu: 100 },
      ]),
      /sum of container cpu \(300 units\) exceeds the task cpu \(256 units\)/,
    );
    rejects(ec2({}, [{ name: "web", image: "nginx", memory: 64, cpu: -1 }]), /'cpu' setting for container 'web'/);
  });
});

describe("port mappings", () => {
  const web = (portMappings: ContainerDefinition["portMappings"], name = "web"): ContainerDefinition => ({
    name,
    image: "nginx",
    memory: 64,
    ...(portMappings === undefined ? {} : { portMappings }),
  });

  it("makes awsvpc and host mappings mirror their ports", () => {
    rejects(ec2({ networkMode: "awsvpc" }, [web([{ containerPort: 80, hostPort: 8080 }])]), "When networkMode=awsvpc, the host ports and container ports in port mappings must match.");
    rejects(ec2({ networkMode: "host" }, [web([{ containerPort: 80, hostPort: 8080 }])]), "When networkMode=host, the host ports and container ports in port mappings must match.");
    const td = accepts(ec2({ networkMode: "awsvpc" }, [web([{ containerPort: 80 }])]));
    assert.deepEqual(td.containerDefinitions?.[0]?.portMappings, [{ containerPort: 80, hostPort: 80, protocol: "tcp" }]);
  });

  it("leaves bridge host ports as given and defaults the protocol", () => {
    const td = accepts(ec2({}, [web([{ containerPort: 80 }, { containerPort: 53, hostPort: 5353, protocol: "udp" }])]));
    assert.deepEqual(td.containerDefinitions?.[0]?.portMappings, [
      { containerPort: 80, protocol: "tcp" },
      { containerPort: 53, hostPort: 5353, protocol: "udp" },
    ]);
  });

  it("keeps ports in range", () => {
    rejects(ec2({}, [web([{ containerPort: 0 }])]), /Invalid containerPort 0/);
    rejects(ec2({}, [web([{ containerPort: 70000 }])]), /Invalid containerPort 70000/);
    rejects(ec2({}, [web([{ containerPort: 80, hostPort: 70000 }])]), /Invalid hostPort 70000/);
    rejects(ec2({}, [web([{ hostPort: 80 }])]), /containerPort is required/);
  });

  it("refuses duplicate mappings and host port clashes", () => {
    rejects(ec2({}, [web([{ containerPort: 80 }, { containerPort: 80 }])]), /Duplicate port mapping in container 'web'/);
    rejects(ec2({}, [web([{ containerPort: 80, hostPort: 8080 }]), web([{ containerPort: 81, hostPort: 8080 }], "api")]), /Host port 8080\/tcp is mapped by both container 'web' and container 'api'/);
    rejects(ec2({ networkMode: "awsvpc" }, [web([{ containerPort: 80 }]), web([{ containerPort: 80 }], "api")]), /Host port 80\/tcp/);
    rejects(ec2({}, [web([{ containerPort: 80, name: "http" }]), web([{ containerPort: 81, name: "http" }], "api")]), /Duplicate port mapping name 'http'/);
    // Dynamic host ports never clash, and tcp and udp are different ports.
    assert.ok(accepts(ec2({}, [web([{ containerPort: 80 }]), web([{ containerPort: 80 }], "api")])));
    assert.ok(accepts(ec2({}, [web([{ containerPort: 53, hostPort: 53 }, { containerPort: 53, hostPort: 53, protocol: "udp" }])])));
  });

  it("refuses port mappings without a network", () => {
    rejects(ec2({ networkMode: "none" }, [web([{ containerPort: 80 }])]), /networkMode=none/);
  });

  it("checks container port ranges", () => {
    assert.ok(accepts(ec2({ networkMode: "awsvpc" }, [web([{ containerPortRange: "8000-8010" }])])));
    rejects(ec2({}, [web([{ containerPortRange: "8010-8000" }])]), /Invalid containerPortRange '8010-8000'/);
    rejects(ec2({}, [web([{ containerPortRange: "8000-8010", hostPort: 8000 }])]), /cannot be combined/);
  });
});

describe("links, dependencies and volumes", () => {
  const c = (name: string, extra: Partial<ContainerDefinition> = {}): ContainerDefinition => ({ name, image: "nginx", memory: 64, ...extra });

  it("allows links only in bridge mode, to containers of the task", () => {
    assert.ok(accepts(ec2({}, [c("web", { links: ["db:database"] }), c("db")])));
    rejects(ec2({ networkMode: "awsvpc" }, [c("web", { links: ["db"] }), c("db")]), /Links are not supported when networkMode=awsvpc/);
    rejects(ec2({}, [c("web", { links: ["cache"] }), c("db")]), /Invalid link 'cache' in container 'web'/);
  });

  it("resolves dependsOn and refuses cycles", () => {
    assert.ok(accepts(ec2({}, [c("web", { dependsOn: [{ containerName: "init", condition: "SUCCESS" }] }), c("init", { essential: false })])));
    rejects(ec2({}, [c("web", { dependsOn: [{ containerName: "db", condition: "START" }] })]), /depends on 'db', which is not a container/);
    rejects(ec2({}, [c("web", { dependsOn: [{ containerName: "web", condition: "START" }] })]), /cannot depend on itself/);
    rejects(
      ec2({}, [
        c("a", { dependsOn: [{ containerName: "b", condition: "START" }] }),
        c("b", { dependsOn: [{ containerName: "c", condition: "START" }] }),
        c("c", { dependsOn: [{ containerName: "a", condition: "START" }] }),
      ]),
      /Circular container dependency: a -> b -> c -> a/,
    );
  });

  it("applies the condition rules", () => {
    rejects(ec2({}, [c("web", { dependsOn: [{ containerName: "init", condition: "COMPLETE" }] }), c("init")]), /set essential to false on 'init'/);
    rejects(ec2({}, [c("web", { dependsOn: [{ containerName: "db", condition: "HEALTHY" }] }), c("db")]), /'db' has no healthCheck/);
    assert.ok(accepts(ec2({}, [c("web", { dependsOn: [{ containerName: "db", condition: "HEALTHY" }] }), c("db", { healthCheck: { command: ["CMD", "true"] } })])));
  });

  it("mounts only volumes the task declares", () => {
    const mount = { sourceVolume: "data", containerPath: "/data" };
    assert.ok(accepts(ec2({ volumes: [{ name: "data", host: { sourcePath: "/srv" } }] }, [c("web", { mountPoints: [mount] })])));
    rejects(ec2({}, [c("web", { mountPoints: [mount] })]), /Unknown volume 'data' in mountPoints of container 'web'/);
    rejects(ec2({ volumes: [{ name: "data" }, { name: "data" }] }), /Duplicate volume name 'data'/);
    rejects(ec2({ volumes: [{ name: "my data" }] }), /Invalid volume name 'my data'/);
    rejects(ec2({}, [c("web", { volumesFrom: [{ sourceContainer: "db" }] })]), /sourceContainer 'db'/);
  });
});

describe("other container settings", () => {
  const c = (extra: Partial<ContainerDefinition>): ContainerDefinition => ({ name: "web", image: "nginx", memory: 64, ...extra });

  it("needs an execution role for secrets and registry credentials", () => {
    const secrets = [{ name: "DB_PASSWORD", valueFrom: "arn:aws:ssm:us-east-1:000000000000:parameter/db" }];
    rejects(ec2({}, [c({ secrets })]), "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.");
    rejects(ec2({}, [c({ repositoryCredentials: { credentialsParameter: "arn:aws:secretsmanager:us-east-1:000000000000:secret:x" } })]), /repository credentials/);
    assert.ok(accepts(ec2({ executionRoleArn }, [c({ secrets })])));
  });

  it("bounds health checks and fills ECS's defaults", () => {
    rejects(ec2({}, [c({ healthCheck: { command: ["CMD", "true"], interval: 1 } })]), /interval must be between 5 and 300, got 1/);
    rejects(ec2({}, [c({ healthCheck: { command: ["CMD", "true"], retries: 11 } })]), /retries must be between 1 and 10/);
    rejects(ec2({}, [c({ healthCheck: { command: [] } })]), /command must not be empty/);
    const td = accepts(ec2({}, [c({ healthCheck: { command: ["CMD", "true"], startPeriod: 10 } })]));
    assert.deepEqual(td.containerDefinitions?.[0]?.healthCheck, { command: ["CMD", "true"], interval: 30, timeout: 5, retries: 3, startPeriod: 10 });
  });

  it("keeps soft ulimits under hard ones", () => {
    rejects(ec2({}, [c({ ulimits: [{ name: "nofile", softLimit: 2048, hardLimit: 1024 }] })]), /softLimit \(2048\) must not exceed hardLimit \(1024\)/);
  });

  it("checks the proxy and FireLens containers", () => {
    const proxyConfiguration = { type: "APPMESH" as const, containerName: "envoy" };
    rejects(ec2({ networkMode: "awsvpc", proxyConfiguration }), /containerName 'envoy' is not a container/);
    rejects(ec2({ proxyConfiguration: { ...proxyConfiguration, containerName: "web" } }), /requires networkMode=awsvpc/);
    rejects(ec2({}, [c({ logConfiguration: { logDriver: "awsfirelens" } })]), /needs a container with a firelensConfiguration/);
  });

  it("bounds ephemeral storage and placement constraints", () => {
    rejects(fargate({ ephemeralStorage: { sizeInGiB: 20 } }), /between 21 and 200 GiB/);
    assert.ok(accepts(fargate({ ephemeralStorage: { sizeInGiB: 21 } })));
    rejects(ec2({ placementConstraints: [{ type: "memberOf" }] }), /needs an expression/);
  });
});

describe("tags", () => {
  const tag = (key: string, value = "v"): Tag => ({ key, value });

  it("accepts ordinary tags", () => {
    validateTags([tag("team", "core"), tag("a:b/c", "")]);
  });

  it("refuses what ECS refuses, as InvalidParameterException", () => {
    const bad: Array<[readonly Tag[], RegExp]> = [
      [Array.from({ length: 51 }, (_, i) => tag(`k${i}`)), /Too many tags: 51/],
      [[tag("aws:owner")], /'aws:' prefix is reserved/],
      [[tag("AWS:owner")], /'aws:' prefix is reserved/],
      [[tag("k"), tag("k")], /Duplicate tag key 'k'/],
      [[tag("k".repeat(129))], /1 to 128 characters/],
      [[{ value: "v" }], /1 to 128 characters/],
      [[tag("k", "v".repeat(257))], /at most 256 characters/],
    ];
    for (const [tags, message] of bad) {
      assert.throws(() => validateTags(tags), (err: unknown) => err instanceof AwsError && err.code === "InvalidParameterException" && message.test(err.message));
    }
  });
});

describe("derived fields", () => {
  it("derives compatibilities from network mode and Fargate fit", () => {
    const compat = (input: RegisterTaskDefinitionRequest): string[] => deriveCompatibilities(draftOf(input));
    assert.deepEqual(compat(ec2()), ["EXTERNAL", "EC2"]);
    assert.deepEqual(compat(ec2({ networkMode: "host" })), ["EXTERNAL", "EC2"]);
    assert.deepEqual(compat(ec2({ networkMode: "awsvpc" })), ["EC2"]);
    assert.deepEqual(compat(ec2({ networkMode: "awsvpc", cpu: "256", memory: "512" })), ["EC2", "FARGATE"]);
    assert.deepEqual(compat(ec2({ networkMode: "awsvpc", cpu: "256", memory: "4096" })), ["EC2"]);
    assert.deepEqual(compat(ec2({ networkMode: "awsvpc", cpu: "256", memory: "512" }, [{ name: "w", image: "nginx", privileged: true }])), ["EC2"]);
    assert.deepEqual(compat(fargate()), ["EC2", "FARGATE"]);
  });

  it("derives the seed's requiresAttributes as ECS does", () => {
    const seed = JSON.parse(readFileSync(new URL("../../../../test/fixtures/student-rest.json", import.meta.url), "utf8")) as RegisterTaskDefinitionRequest;
    assert.deepEqual(attributeNames(seed), [
      "com.amazonaws.ecs.capability.docker-remote-api.1.18",
      "com.amazonaws.ecs.capability.docker-remote-api.1.19",
      "com.amazonaws.ecs.capability.ecr-auth",
      "com.amazonaws.ecs.capability.logging-driver.awslogs",
      "ecs.capability.execution-role-awslogs",
      "ecs.capability.execution-role-ecr-pull",
      "ecs.capability.task-eni",
    ]);
  });

  it("derives attributes for health checks, roles and ordering", () => {
    const input = ec2({ taskRoleArn: "arn:aws:iam::000000000000:role/app" }, [
      { name: "web", image: "nginx", memoryReservation: 64, dependsOn: [{ containerName: "db", condition: "HEALTHY" }] },
      { name: "db", image: "postgres", memory: 256, healthCheck: { command: ["CMD", "pg_isready"], startPeriod: 10 } },
    ]);
    assert.deepEqual(attributeNames(input), [
      "com.amazonaws.ecs.capability.docker-remote-api.1.21",
      "com.amazonaws.ecs.capability.docker-remote-api.1.29",
      "com.amazonaws.ecs.capability.task-iam-role",
      "ecs.capability.container-health-check",
      "ecs.capability.container-ordering",
    ]);
  });

  it("derives attributes for secrets, volumes and drivers", () => {
    const input = ec2(
      {
        executionRoleArn,
        volumes: [
          { name: "efs", efsVolumeConfiguration: { fileSystemId: "fs-1", transitEncryption: "ENABLED" } },
          { name: "vol", dockerVolumeConfiguration: { driver: "rexray/ebs" } },
        ],
      },
      [
        {
          name: "web",
          image: "nginx",
          memory: 64,
          privileged: true,
          secrets: [
            { name: "A", valueFrom: "arn:aws:secretsmanager:us-east-1:000000000000:secret:a" },
            { name: "B", valueFrom: "/app/b" },
          ],
          environmentFiles: [{ type: "s3", value: "arn:aws:s3:::bucket/app.env" }],
          logConfiguration: { logDriver: "awsfirelens" },
        },
        { name: "router", image: "fluent-bit", memory: 64, firelensConfiguration: { type: "fluentbit" } },
      ],
    );
    assert.deepEqual(attributeNames(input), [
      "com.amazonaws.ecs.capability.docker-remote-api.1.18",
      "com.amazonaws.ecs.capability.docker-remote-api.1.25",
      "com.amazonaws.ecs.capability.logging-driver.awsfirelens",
      "com.amazonaws.ecs.capability.privileged-container",
      "ecs.capability.docker-plugin.rexray/ebs",
      "ecs.capability.efs",
      "ecs.capability.efsAuth",
      "ecs.capability.env-files.s3",
      "ecs.capability.firelens.fluentbit",
      "ecs.capability.secrets.asm.environment-variables",
      "ecs.capability.secrets.ssm.environment-variables",
    ]);
  });

  it("derives nothing for a plain definition", () => {
    assert.deepEqual(attributeNames(ec2()), []);
  });

  it("recognises ECR images", () => {
    assert.ok(isEcrImage(ecrImage));
    assert.ok(isEcrImage("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app@sha256:abc"));
    assert.ok(!isEcrImage("nginx"));
    assert.ok(!isEcrImage("public.ecr.aws/nginx/nginx:latest"));
    assert.ok(!isEcrImage("localhost:8844/app:1"));
  });
});

describe("prepareTaskDefinition", () => {
  it("keeps every field given and fills ECS's defaults", () => {
    const input = ec2({ tags: [{ key: "team", value: "core" }] }, [{ name: "web", image: "nginx", memory: 128, command: ["nginx", "-g", "daemon off;"] }]);
    const td = accepts(input);
    assert.deepEqual(td, {
      family: "web",
      containerDefinitions: [
        {
          name: "web",
          image: "nginx",
          memory: 128,
          command: ["nginx", "-g", "daemon off;"],
          cpu: 0,
          portMappings: [],
          essential: true,
          environment: [],
          mountPoints: [],
          volumesFrom: [],
          systemControls: [],
        },
      ],
      volumes: [],
      placementConstraints: [],
      compatibilities: ["EXTERNAL", "EC2"],
      requiresAttributes: [],
    });
    // An omitted networkMode stays omitted, as DescribeTaskDefinition shows it.
    assert.equal("networkMode" in td, false);
    assert.equal("tags" in td, false);
  });

  it("runs named checks, each once", () => {
    const names = checks.map((c) => c.name);
    assert.equal(new Set(names).size, names.length);
  });
});
