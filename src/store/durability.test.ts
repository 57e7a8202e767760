// Crash safety, end to end: the real `berth server` process takes a stream of
// CreateCluster and RegisterTaskDefinition calls from ~8 concurrent clients, is
// killed with SIGKILL mid-stream, and restarted on the same data directory (or
// PostgreSQL database). Every acknowledged write must be there, unchanged, and
// nothing may be half-written: no duplicate or invented revision, no gap that an
// in-flight request cannot explain, and lists agree with describes.
// Two kill/restart rounds also show that numbering resumes correctly after a crash.

import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import {
  CreateClusterCommand,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListClustersCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type TaskDefinition,
} from "@aws-sdk/client-ecs";
import { createScratchDatabase, requirePostgresUrl } from "../../test/kit/postgres.js";

const cli = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const region = "us-east-1";
const credentials = { accessKeyId: "AKIADURABILITYTEST01", secretAccessKey: "durability-test-secret-key-0000000000000" };
const workers = 8;
const acksPerRound = 48;
const families = ["durable-a", "durable-b", "durable-c"];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

interface Running {
  readonly child: ChildProcess;
  readonly ecs: ECSClient;
  readonly exited: Promise<void>;
  output(): string;
}

/** Starts `berth server` and resolves once it prints that it is running. */
async function startServer(port: number, dataDir: string, store: string | undefined): Promise<Running> {
  const args = [cli, "server", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir, ...(store ? ["--store", store] : [])];
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      BERTH_ROOT_ACCESS_KEY_ID: credentials.accessKeyId,
      BERTH_ROOT_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      BERTH_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr = (stderr + s).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const output = (): string => `stdout:\n${stdout}\nstderr:\n${stderr}`;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`berth server did not start within 30 s\n${output()}`)), 30_000);
    const check = (): void => {
      if (stdout.includes("is running")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", check);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`berth server exited (${code ?? signal}) before it was running\n${output()}`));
    });
  });
  const ecs = new ECSClient({ endpoint: `http://127.0.0.1:${port}`, region, credentials, maxAttempts: 1 });
  return { child, ecs, exited, output };
}

async function kill(running: Running, signal: NodeJS.Signals): Promise<void> {
  running.child.kill(signal);
  await running.exited;
  running.ecs.destroy();
}

/** What the clients know: writes acknowledged, and writes whose outcome died with the server. */
interface Ledger {
  readonly ackedClusters: Set<string>;
  readonly unknownClusters: Set<string>;
  /** By marker (the MARKER environment value each registration carries). */
  readonly ackedDefinitions: Map<string, TaskDefinition>;
  readonly unknownMarkers: Set<string>;
  readonly unexpected: unknown[];
}

const markerOf = (d: TaskDefinition): string | undefined => d.containerDefinitions?.[0]?.environment?.find((e) => e.name === "MARKER")?.value;

function registration(family: string, marker: string): RegisterTaskDefinitionCommand {
  return new RegisterTaskDefinitionCommand({
    family,
    networkMode: "bridge",
    cpu: "256",
    memory: "512",
    containerDefinitions: [
      {
        name: "app",
        image: "public.ecr.aws/docker/library/busybox:1.36",
        essential: true,
        memory: 128,
        command: ["sh", "-c", `echo ${marker}; sleep 3600`],
        environment: [
          { name: "MARKER", value: marker },
          { name: "FAMILY", value: family },
        ],
        portMappings: [{ containerPort: 8080, hostPort: 0, protocol: "tcp" }],
        dockerLabels: { "berth.test": "durability" },
      },
    ],
  });
}

/**
 * Streams writes from `workers` concurrent clients; once `acksPerRound` are
 * acknowledged, kills the server with SIGKILL while requests are still in flight.
 */
async function streamThenCrash(running: Running, round: number, ledger: Ledger): Promise<void> {
  let seq = 0;
  let acked = 0;
  let killing = false;
  let reachedTarget!: () => void;
  const target = new Promise<void>((resolve) => (reachedTarget = resolve));

  const worker = async (): Promise<void> => {
    while (!killing) {
      const n = seq++;
      if (n % 4 === 0) {
        const name = `durable-${round}-${n}`;
        try {
          await running.ecs.send(new CreateClusterCommand({ clusterName: name }));
          ledger.ackedClusters.add(name);
        } catch (err) {
          if (!killing) throw err;
          ledger.unknownClusters.add(name);
          return;
        }
      } else {
        const family = families[n % families.length];
        assert.ok(family !== undefined);
        const marker = `${round}-${n}`;
        try {
          const out = await running.ecs.send(registration(family, marker));
          assert.ok(out.taskDefinition, "RegisterTaskDefinition returns the task definition");
          ledger.ackedDefinitions.set(marker, out.taskDefinition);
        } catch (err) {
          if (!killing) throw err;
          ledger.unknownMarkers.add(marker);
          return;
        }
      }
      if (++acked >= acksPerRound) reachedTarget();
    }
  };

  const streams = Array.from({ length: workers }, () =>
    worker().catch((err: unknown) => {
      ledger.unexpected.push(err);
      reachedTarget();
    }),
  );
  const deadline = setTimeout(() => {
    ledger.unexpected.push(new Error(`only ${acked} writes acknowledged in 60 s`));
    reachedTarget();
  }, 60_000);
  await target;
  clearTimeout(deadline);
  killing = true;
  // The kill lands while the other workers' requests are on the wire.
  await kill(running, "SIGKILL");
  await Promise.all(streams);
  if (ledger.unexpected.length > 0) {
    throw new Error(`a write failed before the crash:\n${ledger.unexpected.map(String).join("\n")}\n${running.output()}`);
  }
}

async function allPages<T>(fetch: (nextToken: string | undefined) => Promise<{ items: T[]; nextToken?: string | undefined }>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetch(token);
    items.push(...page.items);
    token = page.nextToken;
  } while (token);
  return items;
}

/** Checks the restarted server against the ledger; returns how many in-flight writes had landed. */
async function verify(ecs: ECSClient, ledger: Ledger): Promise<{ inFlightLanded: number }> {
  // Clusters: every acknowledged one is describable and ACTIVE; none is invented.
  const acked = [...ledger.ackedClusters];
  for (let i = 0; i < acked.length; i += 100) {
    const batch = acked.slice(i, i + 100);
    const out = await ecs.send(new DescribeClustersCommand({ clusters: batch }));
    assert.deepEqual(out.failures, [], "every acknowledged cluster is describable");
    assert.deepEqual(
      out.clusters?.map((c) => [c.clusterName, c.status]).sort(),
      batch.map((name) => [name, "ACTIVE"]).sort(),
    );
  }
  const listedClusters = await allPages(async (nextToken) => {
    const out = await ecs.send(new ListClustersCommand({ maxResults: 100, ...(nextToken ? { nextToken } : {}) }));
    return { items: out.clusterArns ?? [], nextToken: out.nextToken };
  });
  const listedNames = listedClusters.map((arn) => arn.slice(arn.lastIndexOf("/") + 1));
  assert.equal(new Set(listedNames).size, listedNames.length, "ListClusters repeats no cluster");
  for (const name of acked) assert.ok(listedNames.includes(name), `ListClusters includes acknowledged cluster ${name}`);
  for (const name of listedNames) {
    assert.ok(ledger.ackedClusters.has(name) || ledger.unknownClusters.has(name), `cluster ${name} was neither acknowledged nor in flight`);
  }

  // Task definitions: list them all, describe each, and account for every one.
  const listed = await allPages(async (nextToken) => {
    const out = await ecs.send(new ListTaskDefinitionsCommand({ maxResults: 10, ...(nextToken ? { nextToken } : {}) }));
    return { items: out.taskDefinitionArns ?? [], nextToken: out.nextToken };
  });
  assert.equal(new Set(listed).size, listed.length, "ListTaskDefinitions repeats no ARN");
  const described = new Map<string, TaskDefinition>();
  const revisions = new Map<string, number[]>();
  for (const arn of listed) {
    const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
    const d = out.taskDefinition!;
    assert.equal(d.taskDefinitionArn, arn);
    const marker = markerOf(d);
    assert.ok(marker, `${arn} carries its marker`);
    assert.ok(!described.has(marker), `marker ${marker} was written once, not as ${described.get(marker)?.taskDefinitionArn} and ${arn}`);
    described.set(marker, d);
    revisions.set(d.family!, [...(revisions.get(d.family!) ?? []), d.revision!]);
  }
  assert.equal(described.size, listed.length, "ListTaskDefinitions counts what DescribeTaskDefinition finds");

  for (const [marker, registered] of ledger.ackedDefinitions) {
    assert.deepEqual(described.get(marker), registered, `acknowledged registration ${marker} survives unchanged`);
  }
  for (const [marker, d] of described) {
    assert.ok(
      ledger.ackedDefinitions.has(marker) || ledger.unknownMarkers.has(marker),
      `${d.taskDefinitionArn} (marker ${marker}) was neither acknowledged nor in flight`,
    );
  }

  for (const family of families) {
    const got = [...(revisions.get(family) ?? [])].sort((a, b) => a - b);
    const inFlight = [...ledger.unknownMarkers].filter((m) => Number(m.split("-")[1]) % families.length === families.indexOf(family)).length;
    const max = got[got.length - 1] ?? 0;
    const missing = Array.from({ length: max }, (_, i) => i + 1).filter((r) => !got.includes(r));
    assert.ok(missing.length <= inFlight, `${family}: revisions ${missing.join(", ")} are missing, more than the ${inFlight} in flight`);
    // Nothing past the last revision hides from the list.
    await assert.rejects(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${family}:${max + 1}` })), `${family}:${max + 1} does not exist`);
  }
  const landedClusters = listedNames.filter((n) => ledger.unknownClusters.has(n)).length;
  return { inFlightLanded: landedClusters + [...described.keys()].filter((m) => ledger.unknownMarkers.has(m)).length };
}

function durabilitySuite(kind: "sqlite" | "postgres", storeFor: () => Promise<{ url: string | undefined; drop(): Promise<void> }>): void {
  it(`keeps every acknowledged write across kill -9 (${kind})`, { timeout: 240_000 }, async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), "berth-durability-"));
    const store = await storeFor();
    let running: Running | undefined;
    try {
      const port = await freePort();
      const ledger: Ledger = {
        ackedClusters: new Set(),
        unknownClusters: new Set(),
        ackedDefinitions: new Map(),
        unknownMarkers: new Set(),
        unexpected: [],
      };
      const report = (after: string, landed: number): void =>
        t.diagnostic(
          `${after}: acknowledged ${ledger.ackedClusters.size} clusters and ${ledger.ackedDefinitions.size} task definitions; ` +
            `${ledger.unknownClusters.size + ledger.unknownMarkers.size} writes were in flight at the kills, ${landed} of them landed`,
        );
      for (const round of [1, 2]) {
        running = await startServer(port, dataDir, store.url);
        if (round > 1) report(`restart ${round - 1}`, (await verify(running.ecs, ledger)).inFlightLanded);
        await streamThenCrash(running, round, ledger);
        running = undefined;
      }
      running = await startServer(port, dataDir, store.url);
      report("final restart", (await verify(running.ecs, ledger)).inFlightLanded);
      assert.ok(ledger.unknownClusters.size + ledger.unknownMarkers.size > 0, "the kills landed while writes were in flight");
      assert.ok(ledger.ackedClusters.size > 0 && ledger.ackedDefinitions.size > 0, "both kinds of write were acknowledged");
      await kill(running, "SIGTERM");
      running = undefined;
    } finally {
      if (running) await kill(running, "SIGKILL");
      await store.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

describe("durability of acknowledged writes", () => {
  durabilitySuite("sqlite", () => Promise.resolve({ url: undefined, drop: () => Promise.resolve() }));

  const serverUrl = requirePostgresUrl();
  if (serverUrl) {
    durabilitySuite("postgres", async () => {
      const scratch = await createScratchDatabase(serverUrl);
      return { url: scratch.url, drop: () => scratch.drop() };
    });
  } else {
    console.log("durability.test: BERTH_TEST_POSTGRES_URL is not set; the PostgreSQL case is not registered.");
  }
});
