// The control-plane API mix the API benchmarks send (control-plane.ts for
// throughput and latency, soak.ts for minutes on end): what a deploy pipeline and
// a dashboard do to a control plane. The seed it reads, the client that signs for
// it, and the sequence of calls, planned from a seeded PRNG so every target gets
// the same one.

import { ecsApi } from "../../src/model/generated/ecs.js";
import { PooledJsonClient } from "./pooled-client.js";
import { pickWeighted, seededRandom } from "./load.js";

export const region = "us-east-1";
export const accessKeyId = "AKIABERTHBENCHMARK00";
export const secretAccessKey = "berth-benchmark-secret-access-key-0000000";
export const clusterName = "bench";
export const seedFamilies = 5;
export const seedRevisions = 4;
/** Families RegisterTaskDefinition adds revisions to while measuring; the seeded ones stay as seeded. */
const deployFamilies = 4;

export interface MixEntry {
  readonly op: string;
  readonly weight: number;
  readonly input: (random: () => number) => unknown;
}

const pick = (random: () => number, n: number): number => Math.floor(random() * n);

function taskDefinitionInput(family: string, build: number): Record<string, unknown> {
  return {
    family,
    networkMode: "bridge",
    requiresCompatibilities: ["EC2"],
    cpu: "512",
    memory: "1024",
    containerDefinitions: [
      {
        name: "web",
        image: `public.ecr.aws/nginx/nginx:1.27.${build % 10}`,
        cpu: 384,
        memory: 768,
        essential: true,
        portMappings: [{ containerPort: 80, hostPort: 0, protocol: "tcp" }],
        environment: [
          { name: "STAGE", value: "bench" },
          { name: "BUILD", value: String(build) },
        ],
        logConfiguration: {
          logDriver: "awslogs",
          options: { "awslogs-group": `/berth/${family}`, "awslogs-region": region, "awslogs-stream-prefix": "web" },
        },
      },
      {
        name: "sidecar",
        image: "public.ecr.aws/docker/library/busybox:1.36",
        cpu: 64,
        memory: 128,
        essential: false,
        command: ["sh", "-c", "while true; do sleep 60; done"],
      },
    ],
    tags: [{ key: "team", value: "bench" }],
  };
}

export const mix: readonly MixEntry[] = [
  {
    op: "RegisterTaskDefinition",
    weight: 10,
    input: (random) => taskDefinitionInput(`bench-deploy-${pick(random, deployFamilies)}`, pick(random, 1_000_000)),
  },
  {
    op: "DescribeTaskDefinition",
    weight: 40,
    // Half by family (the latest revision), half by family:revision.
    input: (random) => {
      const family = `bench-svc-${pick(random, seedFamilies)}`;
      return { taskDefinition: random() < 0.5 ? family : `${family}:${1 + pick(random, seedRevisions)}` };
    },
  },
  { op: "DescribeClusters", weight: 25, input: () => ({ clusters: [clusterName] }) },
  // familyPrefix is a full family name (as in ECS); a seeded family, so every target returns the same 4 ARNs.
  { op: "ListTaskDefinitions", weight: 15, input: (random) => ({ familyPrefix: `bench-svc-${pick(random, seedFamilies)}` }) },
  { op: "ListClusters", weight: 10, input: () => ({}) },
];

export const mixDescription = (entries: readonly MixEntry[]): string => {
  const total = entries.reduce((s, e) => s + e.weight, 0);
  return entries.map((e) => `${e.op} ${Math.round((100 * e.weight) / total)}%`).join(", ");
};

export interface PlannedCall {
  readonly op: string;
  readonly input: unknown;
}

/** The same sequence for every target: the PRNG is seeded by the cell. */
export function plan(entries: readonly MixEntry[], count: number, seed: number): PlannedCall[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const entry = pickWeighted(entries, random);
    return { op: entry.op, input: entry.input(random) };
  });
}

export function ecsClient(endpoint: string, maxSockets: number): PooledJsonClient {
  return new PooledJsonClient(ecsApi, { endpoint, region, accessKeyId, secretAccessKey }, { maxSockets });
}

/** One cluster and 20 task definitions (5 families × 4 revisions), then a check that the target holds them. */
export async function seed(client: PooledJsonClient, withTaskDefinitions: boolean): Promise<void> {
  await client.call("CreateCluster", { clusterName, tags: [{ key: "team", value: "bench" }] });
  if (!withTaskDefinitions) return;
  for (let f = 0; f < seedFamilies; f++) {
    for (let r = 1; r <= seedRevisions; r++) await client.call("RegisterTaskDefinition", taskDefinitionInput(`bench-svc-${f}`, r));
  }
  const listed = (await client.call("ListTaskDefinitions", { familyPrefix: "bench-svc-0" })) as { taskDefinitionArns?: string[] };
  if (listed.taskDefinitionArns?.length !== seedRevisions) {
    throw new Error(`seed check: ListTaskDefinitions(bench-svc-0) gave ${listed.taskDefinitionArns?.length ?? 0} ARNs, expected ${seedRevisions}`);
  }
  const described = (await client.call("DescribeTaskDefinition", { taskDefinition: "bench-svc-0" })) as { taskDefinition?: { revision?: number } };
  if (described.taskDefinition?.revision !== seedRevisions) {
    throw new Error(`seed check: DescribeTaskDefinition(bench-svc-0) gave revision ${described.taskDefinition?.revision}, expected ${seedRevisions}`);
  }
}
