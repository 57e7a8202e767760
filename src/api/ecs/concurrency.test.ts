// Concurrent registrations through the SDK, on both stores: 50 parallel
// RegisterTaskDefinition calls on one family get revisions exactly 1..50 — no
// gap, no duplicate — and the family then reads back exactly those revisions.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type ECSClient,
} from "@aws-sdk/client-ecs";
import { startTestServer, testAccount, testRegion } from "../../../test/kit/harness.js";
import { requirePostgresUrl } from "../../../test/kit/postgres.js";

const parallel = 50;
const family = "concurrent";
const arnOf = (revision: number): string => `arn:aws:ecs:${testRegion}:${testAccount}:task-definition/${family}:${revision}`;
const oneTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

function register(ecs: ECSClient, i: number): Promise<number> {
  return ecs
    .send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [
          { name: "app", image: "busybox", memory: 64, essential: true, environment: [{ name: "CALLER", value: String(i) }] },
        ],
      }),
    )
    .then((out) => out.taskDefinition!.revision!);
}

async function listAll(ecs: ECSClient): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const out = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, maxResults: 7, ...(nextToken ? { nextToken } : {}) }));
    arns.push(...(out.taskDefinitionArns ?? []));
    nextToken = out.nextToken;
  } while (nextToken);
  return arns;
}

function concurrencySuite(store: "sqlite" | "postgres"): void {
  it(`gives ${parallel} parallel RegisterTaskDefinition calls revisions exactly 1..${parallel} (${store})`, { timeout: 120_000 }, async () => {
    const server = await startTestServer({ store });
    const ecs = server.ecs();
    try {
      const revisions = await Promise.all(oneTo(parallel).map((i) => register(ecs, i)));
      assert.deepEqual([...revisions].sort((a, b) => a - b), oneTo(parallel), "no gap, no duplicate");

      // Each caller got the revision that holds its own definition.
      const callers = await Promise.all(
        revisions.map(async (revision) => {
          const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${family}:${revision}` }));
          return out.taskDefinition?.containerDefinitions?.[0]?.environment?.find((e) => e.name === "CALLER")?.value;
        }),
      );
      assert.deepEqual(callers, oneTo(parallel).map(String));

      assert.deepEqual(await listAll(ecs), oneTo(parallel).map(arnOf));
      const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
      assert.equal(latest.taskDefinition?.revision, parallel);

      // A second burst continues the count where the first left it.
      const more = await Promise.all(oneTo(10).map((i) => register(ecs, parallel + i)));
      assert.deepEqual([...more].sort((a, b) => a - b), oneTo(10).map((i) => parallel + i));
    } finally {
      ecs.destroy();
      await server.stop();
    }
  });
}

describe("concurrent RegisterTaskDefinition", () => {
  concurrencySuite("sqlite");
  if (requirePostgresUrl()) concurrencySuite("postgres");
  else console.log("concurrency.test: BERTH_TEST_POSTGRES_URL is not set; the PostgreSQL case is not registered.");
});
