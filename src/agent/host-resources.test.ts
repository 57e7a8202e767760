import { test } from "node:test";
import assert from "node:assert/strict";
import { ecsArchitecture, hostRegistration, remoteApiVersions } from "./host-resources.js";
import type { EngineInfo } from "./docker-runtime.js";

const facts: EngineInfo = {
  apiVersion: "1.41",
  version: "20.10.24",
  os: "linux",
  arch: "x86_64",
  cpus: 2,
  memoryBytes: 4096 * 1024 * 1024,
  logDrivers: ["awslogs", "json-file", "syslog", "local", "none"],
  volumeDrivers: ["local"],
};

test("CPU is cores x 1024, memory in MiB less the reserve, ECS's ports plus the metadata port", () => {
  const r = hostRegistration(facts, { memoryReserveMiB: 256, metadataPort: 51680 });
  const res = (name: string) => r.totalResources.find((x) => x.name === name);
  assert.equal(res("CPU")?.integerValue, 2048);
  assert.equal(res("MEMORY")?.integerValue, 3840);
  assert.deepEqual(res("PORTS")?.stringSetValue, ["22", "2375", "2376", "51678", "51679", "51680"]);
  assert.deepEqual(res("PORTS_UDP")?.stringSetValue, []);
  assert.deepEqual(r.versionInfo, { dockerVersion: "DockerVersion: 20.10.24" });
});

test("standard attributes, and only the capabilities that work", () => {
  const names = (opts: Parameters<typeof hostRegistration>[1]) => hostRegistration(facts, opts).attributes;
  const plain = names({ availabilityZone: "local-1a" });
  const value = (n: string) => plain.find((a) => a.name === n)?.value;
  assert.equal(value("ecs.os-type"), "linux");
  assert.equal(value("ecs.os-family"), "LINUX");
  assert.equal(value("ecs.cpu-architecture"), "x86_64");
  assert.equal(value("ecs.instance-type"), "berth");
  assert.equal(value("ecs.availability-zone"), "local-1a");
  const has = (list: typeof plain, n: string) => list.some((a) => a.name === n);
  assert.ok(has(plain, "com.amazonaws.ecs.capability.docker-remote-api.1.17"));
  assert.ok(has(plain, "com.amazonaws.ecs.capability.docker-remote-api.1.41"));
  assert.ok(!has(plain, "com.amazonaws.ecs.capability.docker-remote-api.1.42"), "not beyond this Docker's API");
  assert.ok(has(plain, "com.amazonaws.ecs.capability.logging-driver.json-file"));
  assert.ok(has(plain, "com.amazonaws.ecs.capability.logging-driver.awslogs"));
  assert.ok(!has(plain, "com.amazonaws.ecs.capability.logging-driver.gelf"), "Docker here has no gelf");
  assert.ok(has(plain, "ecs.capability.container-health-check"));
  assert.ok(has(plain, "ecs.capability.container-ordering"));
  assert.ok(has(plain, "ecs.capability.docker-plugin.local"));
  assert.ok(!has(plain, "ecs.capability.task-eni"));
  assert.ok(!has(plain, "com.amazonaws.ecs.capability.task-iam-role"), "not served yet");
  const full = names({ awsvpc: true, registryAuth: true, secrets: true });
  assert.ok(has(full, "ecs.capability.task-eni"));
  assert.ok(has(full, "com.amazonaws.ecs.capability.ecr-auth"));
  assert.ok(has(full, "ecs.capability.secrets.ssm.environment-variables"));
});

test("API versions and architectures", () => {
  assert.deepEqual(remoteApiVersions("1.19"), ["1.17", "1.18", "1.19"]);
  assert.equal(remoteApiVersions("1.47").at(-1), "1.44");
  assert.deepEqual(remoteApiVersions("garbage"), []);
  assert.equal(ecsArchitecture("aarch64"), "arm64");
  assert.equal(ecsArchitecture("amd64"), "x86_64");
});
