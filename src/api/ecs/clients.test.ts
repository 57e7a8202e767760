// One cluster and account-settings scenario, run unchanged through the three real
// clients users point at Berth — the aws CLI, boto3 and @aws-sdk/client-ecs — on
// every store (SQLite, and PostgreSQL when BERTH_TEST_POSTGRES_URL names one).
// Each step asserts ECS's exact answer; at the end the three transcripts must match.
// The CLI and boto3 run in long-lived python3 processes (see cliWorker); the `aws`
// executable itself gets its own test with its shorthand flags and paginator.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import * as sdk from "@aws-sdk/client-ecs";
import { aws, awsJson, boto3, type CliResult } from "../../../test/kit/aws-cli.js";
import { startTestServer, type TestServer } from "../../../test/kit/harness.js";
import { requirePostgresUrl } from "../../../test/kit/postgres.js";

/** What a client made of one call: the response body, or the name of the AWS error it raised. */
type Outcome = { readonly ok: Record<string, unknown> } | { readonly error: string };

interface EcsCaller {
  readonly name: string;
  /** Calls an ECS operation by its API name with a wire-shaped input. */
  call(operation: string, input: Record<string, unknown>): Promise<Outcome>;
}

const words = (operation: string): string[] => operation.split(/(?=[A-Z])/).map((w) => w.toLowerCase());

/** A long-lived python3 program that answers one JSON line with one JSON line. */
interface LineWorker {
  request(message: unknown): Promise<unknown>;
  close(): Promise<void>;
}

function lineWorker(program: string, env: NodeJS.ProcessEnv): LineWorker {
  const child = spawn("python3", ["-c", program], { env, stdio: ["pipe", "pipe", "pipe"] });
  const waiting: ((line: string) => void)[] = [];
  let stderr = "";
  let buffered = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      waiting.shift()?.(line);
    }
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    async request(message) {
      const line = new Promise<string>((resolve, reject) => {
        waiting.push(resolve);
        void exited.then(() => reject(new Error(`python3 worker exited: ${stderr}`)));
      });
      child.stdin.write(JSON.stringify(message) + "\n");
      return JSON.parse(await line) as unknown;
    },
    async close() {
      child.stdin.end();
      await exited;
    },
  };
}

/**
 * The aws CLI's own driver (awscli.clidriver, what the \`aws\` program runs), kept
 * alive across calls as the CLI's own test suite does: a fresh \`aws\` process costs
 * half a second of CPU, and the scenario makes dozens of calls. The real \`aws\`
 * executable is exercised separately below.
 */
const cliWorker = `import contextlib, io, json, sys
from awscli.clidriver import create_clidriver
driver = create_clidriver()
for line in sys.stdin:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = driver.main(json.loads(line))
    print(json.dumps({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}), flush=True)
`;

/** `aws ecs <operation> --cli-input-json …`; errors are read from the CLI's own message. */
function cliCaller(server: TestServer): EcsCaller & { close(): Promise<void> } {
  const worker = lineWorker(cliWorker, server.env);
  return {
    name: "aws CLI",
    async call(operation, input) {
      const command = words(operation).join("-");
      const args = ["ecs", command, "--cli-input-json", JSON.stringify(input), "--no-paginate", "--output", "json"];
      const r = (await worker.request(args)) as CliResult;
      if (r.code === 0) return { ok: r.stdout.trim() === "" ? {} : (JSON.parse(r.stdout) as Record<string, unknown>) };
      const m = /An error occurred \((\w+)\) when calling the (\w+) operation: \S/.exec(r.stderr);
      assert.ok(m, `aws ecs ${command} failed (${r.code}) without an AWS error: ${r.stderr}`);
      assert.equal(m[2], operation);
      assert.equal(r.code, 255, "the CLI exits 255 on a service error");
      const [, code] = m;
      assert.ok(code !== undefined);
      return { error: code };
    },
    close: () => worker.close(),
  };
}

/** boto3's \`ecs\` client, kept alive across calls for the same reason. */
const boto3Worker = `import boto3, datetime, json, sys
ecs = boto3.client("ecs")
for line in sys.stdin:
    request = json.loads(line)
    try:
        out = getattr(ecs, request["method"])(**request["params"])
        out.pop("ResponseMetadata", None)
        result = {"ok": out}
    except ecs.exceptions.ClientError as e:
        code = e.response["Error"]["Code"]
        modeled = getattr(ecs.exceptions, code, None)
        result = {"error": code if modeled is not None and isinstance(e, modeled) else "unmodeled " + code}
    print(json.dumps(result, default=lambda o: o.isoformat() if isinstance(o, datetime.datetime) else str(o)), flush=True)
`;

/** `ecs.<operation>(**input)` in boto3; an error counts only if boto3 raises its modeled class. */
function boto3Caller(server: TestServer): EcsCaller & { close(): Promise<void> } {
  const worker = lineWorker(boto3Worker, server.env);
  return {
    name: "boto3",
    call: async (operation, input) => (await worker.request({ method: words(operation).join("_"), params: input })) as Outcome,
    close: () => worker.close(),
  };
}

type AnyCommand = Parameters<sdk.ECSClient["send"]>[0];
const sdkExports = sdk as unknown as Readonly<Record<string, unknown>>;

/** `client.send(new <Operation>Command(input))`; an error counts only if it is the SDK's modeled class. */
function sdkCaller(client: sdk.ECSClient): EcsCaller {
  return {
    name: "@aws-sdk/client-ecs",
    async call(operation, input) {
      const Command = sdkExports[`${operation}Command`] as new (input: object) => AnyCommand;
      assert.equal(typeof Command, "function", `the SDK has ${operation}Command`);
      try {
        const out = (await client.send(new Command(input))) as unknown as Record<string, unknown>;
        const body = { ...out };
        delete body["$metadata"];
        return { ok: body };
      } catch (err) {
        if (!(err instanceof sdk.ECSServiceException)) throw err;
        const modeled = sdkExports[err.name];
        assert.equal(err.$metadata.httpStatusCode, 400);
        return { error: typeof modeled === "function" && err instanceof modeled ? err.name : `unmodeled ${err.name}` };
      }
    },
  };
}

/** Tags come back as a set and tokens are opaque: compare tags by key and tokens by presence. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "nextToken") {
      assert.equal(typeof v, "string");
      assert.notEqual(v, "");
      out[k] = TOKEN;
    } else if (k === "tags" && Array.isArray(v)) {
      out[k] = normalize([...(v as { key: string }[])].sort((a, b) => a.key.localeCompare(b.key)));
    } else {
      out[k] = normalize(v);
    }
  }
  return out;
}

const TOKEN = "<nextToken>";
const clusterArn = (name: string): string => `arn:aws:ecs:us-east-1:000000000000:cluster/${name}`;
const root = "arn:aws:iam::000000000000:root";
const alice = "arn:aws:iam::000000000000:user/alice";

function cluster(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    clusterArn: clusterArn(name),
    clusterName: name,
    status: "ACTIVE",
    registeredContainerInstancesCount: 0,
    runningTasksCount: 0,
    pendingTasksCount: 0,
    activeServicesCount: 0,
    capacityProviders: [],
    defaultCapacityProviderStrategy: [],
    statistics: [],
    tags: [],
    ...extra,
  };
}

function okBody(outcome: Outcome): Record<string, unknown> {
  assert.ok("ok" in outcome, `expected success, got ${JSON.stringify(outcome)}`);
  return outcome.ok;
}

interface Entry {
  readonly step: string;
  readonly outcome: unknown;
}

/**
 * The scenario. Every step checks ECS's exact answer and records it, so the
 * transcripts of different clients can be compared. It leaves no ACTIVE cluster
 * and no account setting changed, so it can run again on the same server.
 */
async function scenario(caller: EcsCaller): Promise<Entry[]> {
  const transcript: Entry[] = [];
  const step = async (
    label: string,
    operation: string,
    input: Record<string, unknown>,
    expected: Outcome | ((body: Record<string, unknown>) => void),
  ): Promise<Record<string, unknown>> => {
    const outcome = await caller.call(operation, input);
    const seen = normalize(outcome);
    if (typeof expected === "function") expected(okBody(seen as Outcome));
    else assert.deepEqual(seen, expected, `${caller.name}: ${label}`);
    transcript.push({ step: label, outcome: seen });
    return "ok" in outcome ? outcome.ok : {};
  };
  const fails = (error: string): Outcome => ({ error });

  // Create, with tags and settings.
  const blue = cluster("blue", {
    tags: [
      { key: "env", value: "dev" },
      { key: "team", value: "payments" },
    ],
    settings: [{ name: "containerInsights", value: "enabled" }],
  });
  await step(
    "create blue",
    "CreateCluster",
    {
      clusterName: "blue",
      tags: [
        { key: "team", value: "payments" },
        { key: "env", value: "dev" },
      ],
      settings: [{ name: "containerInsights", value: "enabled" }],
    },
    { ok: { cluster: blue } },
  );
  for (const name of ["green", "red"]) {
    await step(`create ${name}`, "CreateCluster", { clusterName: name }, {
      ok: { cluster: cluster(name, { tags: [], settings: [{ name: "containerInsights", value: "disabled" }] }) },
    });
  }
  await step("create blue again (idempotent)", "CreateCluster", { clusterName: "blue", settings: [{ name: "containerInsights", value: "disabled" }] }, {
    ok: { cluster: blue },
  });

  // Describe with includes, by name and by ARN, with a failure.
  await step(
    "describe with SETTINGS and TAGS",
    "DescribeClusters",
    { clusters: ["blue", clusterArn("green"), "missing"], include: ["SETTINGS", "TAGS"] },
    {
      ok: {
        clusters: [blue, cluster("green", { tags: [], settings: [{ name: "containerInsights", value: "disabled" }] })],
        failures: [{ arn: clusterArn("missing"), reason: "MISSING" }],
      },
    },
  );
  await step("describe without include", "DescribeClusters", { clusters: ["red"] }, { ok: { clusters: [cluster("red")], failures: [] } });

  // List, two at a time.
  const first = await step("list page 1", "ListClusters", { maxResults: 2 }, (body) => {
    assert.equal((body["clusterArns"] as string[]).length, 2);
    assert.equal(body["nextToken"], TOKEN);
  });
  const listed = [...(first["clusterArns"] as string[])];
  await step("list page 2", "ListClusters", { maxResults: 2, nextToken: first["nextToken"] }, (body) => {
    assert.equal((body["clusterArns"] as string[]).length, 1);
    assert.equal(body["nextToken"], undefined);
    listed.push(...(body["clusterArns"] as string[]));
  });
  assert.deepEqual(listed.sort(), ["blue", "green", "red"].map(clusterArn));
  await step("list with maxResults 0", "ListClusters", { maxResults: 0 }, fails("InvalidParameterException"));

  // Update settings.
  await step(
    "update settings",
    "UpdateClusterSettings",
    { cluster: "blue", settings: [{ name: "containerInsights", value: "disabled" }] },
    (body) => {
      const c = body["cluster"] as Record<string, unknown>;
      assert.equal(c["clusterArn"], clusterArn("blue"));
      assert.equal(c["status"], "ACTIVE");
      assert.deepEqual(c["settings"], [{ name: "containerInsights", value: "disabled" }]);
    },
  );
  await step(
    "update settings with a bad value",
    "UpdateClusterSettings",
    { cluster: "blue", settings: [{ name: "containerInsights", value: "sometimes" }] },
    fails("InvalidParameterException"),
  );

  // Capacity providers.
  const strategy = [
    { capacityProvider: "FARGATE", weight: 1, base: 1 },
    { capacityProvider: "FARGATE_SPOT", weight: 4 },
  ];
  await step(
    "put capacity providers",
    "PutClusterCapacityProviders",
    { cluster: "blue", capacityProviders: ["FARGATE", "FARGATE_SPOT"], defaultCapacityProviderStrategy: strategy },
    (body) => {
      const c = body["cluster"] as Record<string, unknown>;
      assert.equal(c["clusterArn"], clusterArn("blue"));
      assert.deepEqual(c["capacityProviders"], ["FARGATE", "FARGATE_SPOT"]);
      assert.deepEqual(c["defaultCapacityProviderStrategy"], strategy);
    },
  );
  await step(
    "put a strategy naming an unassociated provider",
    "PutClusterCapacityProviders",
    { cluster: "blue", capacityProviders: ["FARGATE"], defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }] },
    fails("InvalidParameterException"),
  );

  // Tags.
  const blueArn = clusterArn("blue");
  await step("tag", "TagResource", { resourceArn: blueArn, tags: [{ key: "owner", value: "ana" }, { key: "env", value: "prod" }] }, { ok: {} });
  await step("list tags", "ListTagsForResource", { resourceArn: blueArn }, {
    ok: {
      tags: [
        { key: "env", value: "prod" },
        { key: "owner", value: "ana" },
        { key: "team", value: "payments" },
      ],
    },
  });
  await step("untag", "UntagResource", { resourceArn: blueArn, tagKeys: ["team", "absent"] }, { ok: {} });
  await step("list tags after untag", "ListTagsForResource", { resourceArn: blueArn }, {
    ok: {
      tags: [
        { key: "env", value: "prod" },
        { key: "owner", value: "ana" },
      ],
    },
  });
  await step("tag a missing cluster", "TagResource", { resourceArn: clusterArn("missing"), tags: [{ key: "a", value: "b" }] }, fails("ClusterNotFoundException"));
  await step("tag with a reserved key", "TagResource", { resourceArn: blueArn, tags: [{ key: "aws:x", value: "b" }] }, fails("InvalidParameterException"));

  const blueNow = cluster("blue", {
    tags: [
      { key: "env", value: "prod" },
      { key: "owner", value: "ana" },
    ],
    settings: [{ name: "containerInsights", value: "disabled" }],
    capacityProviders: ["FARGATE", "FARGATE_SPOT"],
    defaultCapacityProviderStrategy: strategy,
  });
  await step("describe after the changes", "DescribeClusters", { clusters: [blueArn], include: ["TAGS", "SETTINGS"] }, {
    ok: { clusters: [blueNow], failures: [] },
  });

  // Delete: INACTIVE, still describable, no longer listed, no longer changeable.
  await step("delete blue", "DeleteCluster", { cluster: "blue" }, (body) => {
    const c = body["cluster"] as Record<string, unknown>;
    assert.equal(c["clusterArn"], blueArn);
    assert.equal(c["status"], "INACTIVE");
  });
  for (const name of ["green", "red"]) {
    await step(`delete ${name}`, "DeleteCluster", { cluster: clusterArn(name) }, (body) => {
      assert.equal((body["cluster"] as Record<string, unknown>)["status"], "INACTIVE");
    });
  }
  await step("describe deleted blue", "DescribeClusters", { clusters: ["blue"] }, (body) => {
    assert.deepEqual(body["failures"], []);
    const [c, ...rest] = body["clusters"] as Record<string, unknown>[];
    assert.equal(rest.length, 0);
    assert.deepEqual(
      { ...c, capacityProviders: undefined, defaultCapacityProviderStrategy: undefined },
      { ...cluster("blue", { status: "INACTIVE" }), capacityProviders: undefined, defaultCapacityProviderStrategy: undefined },
    );
  });
  await step("list after delete", "ListClusters", {}, { ok: { clusterArns: [] } });
  await step("delete blue again", "DeleteCluster", { cluster: "blue" }, fails("ClusterNotFoundException"));
  await step(
    "update deleted blue",
    "UpdateClusterSettings",
    { cluster: "blue", settings: [{ name: "containerInsights", value: "enabled" }] },
    fails("ClusterNotFoundException"),
  );
  await step("list tags of deleted blue", "ListTagsForResource", { resourceArn: blueArn }, fails("ClusterNotFoundException"));

  // Account settings.
  await step("put a user's setting", "PutAccountSetting", { name: "serviceLongArnFormat", value: "disabled", principalArn: alice }, {
    ok: { setting: { name: "serviceLongArnFormat", value: "disabled", principalArn: alice, type: "user" } },
  });
  await step("put the account default", "PutAccountSettingDefault", { name: "awsvpcTrunking", value: "enabled" }, {
    ok: { setting: { name: "awsvpcTrunking", value: "enabled", principalArn: root, type: "user" } },
  });
  await step("list the user's own settings", "ListAccountSettings", { principalArn: alice }, {
    ok: { settings: [{ name: "serviceLongArnFormat", value: "disabled", principalArn: alice, type: "user" }] },
  });
  await step(
    "list the user's effective awsvpcTrunking",
    "ListAccountSettings",
    { principalArn: alice, effectiveSettings: true, name: "awsvpcTrunking" },
    { ok: { settings: [{ name: "awsvpcTrunking", value: "enabled", principalArn: root, type: "user" }] } },
  );
  const effective: Record<string, unknown>[] = [];
  let token: unknown;
  for (const size of [5, 5, 1]) {
    const body = await step(
      `list effective settings, page of ${size}`,
      "ListAccountSettings",
      { principalArn: alice, effectiveSettings: true, maxResults: 5, ...(token ? { nextToken: token } : {}) },
      (page) => {
        assert.equal((page["settings"] as unknown[]).length, size);
        assert.equal(page["nextToken"], size === 5 ? TOKEN : undefined);
      },
    );
    effective.push(...(body["settings"] as Record<string, unknown>[]));
    token = body["nextToken"];
  }
  const byName = new Map(effective.map((s) => [s["name"], s]));
  assert.equal(byName.size, 11);
  assert.deepEqual(byName.get("serviceLongArnFormat"), { name: "serviceLongArnFormat", value: "disabled", principalArn: alice, type: "user" });
  assert.deepEqual(byName.get("awsvpcTrunking"), { name: "awsvpcTrunking", value: "enabled", principalArn: root, type: "user" });
  assert.deepEqual(byName.get("taskLongArnFormat"), { name: "taskLongArnFormat", value: "enabled", principalArn: root, type: "aws_managed" });
  await step("put a bad value", "PutAccountSetting", { name: "containerInsights", value: "sometimes" }, fails("InvalidParameterException"));
  await step("delete the user's setting", "DeleteAccountSetting", { name: "serviceLongArnFormat", principalArn: alice }, {
    ok: { setting: { name: "serviceLongArnFormat", value: "disabled", principalArn: alice, type: "user" } },
  });
  await step("list the user's own settings after delete", "ListAccountSettings", { principalArn: alice }, { ok: { settings: [] } });
  await step("reset the account default", "PutAccountSettingDefault", { name: "awsvpcTrunking", value: "disabled" }, {
    ok: { setting: { name: "awsvpcTrunking", value: "disabled", principalArn: root, type: "user" } },
  });
  return transcript;
}

const stores: ("sqlite" | "postgres")[] = ["sqlite", ...(requirePostgresUrl() ? ["postgres" as const] : [])];

describe("the same ECS scenario through every real client", { concurrency: true }, () => {
  for (const store of stores) {
    // The stores run side by side; each store's steps run in order on its one server.
    describe(`on ${store}`, { concurrency: false }, () => {
      let server: TestServer;
      let client: sdk.ECSClient;
      const transcripts = new Map<string, Entry[]>();

      before(async () => {
        server = await startTestServer({ store });
        client = server.ecs();
      });
      after(async () => {
        client.destroy();
        await server.stop();
      });

      for (const [name, open] of [
        ["aws CLI", cliCaller],
        ["boto3", boto3Caller],
      ] as const) {
        it(name, async () => {
          const caller = open(server);
          try {
            transcripts.set(name, await scenario(caller));
          } finally {
            await caller.close();
          }
        });
      }
      it("@aws-sdk/client-ecs", async () => {
        transcripts.set("@aws-sdk/client-ecs", await scenario(sdkCaller(client)));
      });

      it("all three clients got identical results", () => {
        const sdkRun = transcripts.get("@aws-sdk/client-ecs");
        assert.equal(sdkRun?.at(-1)?.step, "reset the account default", "the SDK run completed");
        assert.deepEqual(transcripts.get("aws CLI"), sdkRun);
        assert.deepEqual(transcripts.get("boto3"), sdkRun);
      });

      it("the aws executable's own flags, pagination and errors work as with ECS", async () => {
        const tagged = { tags: [{ key: "k", value: "v" }], settings: [{ name: "containerInsights", value: "enabled" }] };
        const created = await awsJson<{ cluster: Record<string, unknown> }>(
          server, "ecs", "create-cluster", "--cluster-name", "cli-a", "--tags", "key=k,value=v", "--settings", "name=containerInsights,value=enabled",
        );
        assert.deepEqual(created.cluster, cluster("cli-a", tagged));
        await awsJson(server, "ecs", "create-cluster", "--cluster-name", "cli-b");

        // The CLI follows nextToken itself: a page size of 1 still lists everything.
        const all = await awsJson<{ clusterArns: string[] }>(server, "ecs", "list-clusters", "--page-size", "1");
        assert.deepEqual([...all.clusterArns].sort(), ["cli-a", "cli-b"].map(clusterArn));
        const first = await awsJson<{ clusterArns: string[]; NextToken: string }>(server, "ecs", "list-clusters", "--max-items", "1");
        assert.equal(first.clusterArns.length, 1);
        const rest = await awsJson<{ clusterArns: string[]; NextToken?: string }>(server, "ecs", "list-clusters", "--starting-token", first.NextToken);
        assert.deepEqual([...first.clusterArns, ...rest.clusterArns].sort(), [...all.clusterArns].sort());
        assert.equal(rest.NextToken, undefined);

        const described = await awsJson(server, "ecs", "describe-clusters", "--clusters", "cli-a", "cli-z", "--include", "TAGS", "SETTINGS");
        assert.deepEqual(described, { clusters: [cluster("cli-a", tagged)], failures: [{ arn: clusterArn("cli-z"), reason: "MISSING" }] });

        for (const name of ["cli-a", "cli-b"]) await awsJson(server, "ecs", "delete-cluster", "--cluster", name);
        const missing = await aws(server, "ecs", "delete-cluster", "--cluster", "cli-a");
        assert.equal(missing.code, 255);
        assert.match(missing.stderr, /^\s*An error occurred \(ClusterNotFoundException\) when calling the DeleteCluster operation: \S/);
      });

      it("boto3's paginators and modeled exceptions work as with ECS", async () => {
        const out = await boto3<{ listed: string[]; caught: string[] }>(
          server,
          `for name in ["py-a", "py-b", "py-c"]:
    ecs.create_cluster(clusterName=name)
listed = []
for page in ecs.get_paginator("list_clusters").paginate(PaginationConfig={"PageSize": 1}):
    assert len(page["clusterArns"]) <= 1
    listed += page["clusterArns"]
for name in ["py-a", "py-b", "py-c"]:
    ecs.delete_cluster(cluster=name)
caught = []
try:
    ecs.delete_cluster(cluster="py-a")
except ecs.exceptions.ClusterNotFoundException:
    caught.append("ClusterNotFoundException")
try:
    ecs.update_cluster_settings(cluster="nowhere", settings=[{"name": "containerInsights", "value": "enabled"}])
except ecs.exceptions.ClusterNotFoundException:
    caught.append("ClusterNotFoundException")
try:
    ecs.put_account_setting(name="containerInsights", value="sometimes")
except ecs.exceptions.InvalidParameterException:
    caught.append("InvalidParameterException")
settings = []
for page in ecs.get_paginator("list_account_settings").paginate(effectiveSettings=True, PaginationConfig={"PageSize": 3}):
    settings += page["settings"]
caught.append(len(settings))
dump({"listed": sorted(listed), "caught": caught})
`,
        );
        assert.deepEqual(out, {
          listed: ["py-a", "py-b", "py-c"].map(clusterArn),
          caught: ["ClusterNotFoundException", "ClusterNotFoundException", "InvalidParameterException", 11],
        });
      });

      it("the SDK's paginators and exception classes work as with ECS", async () => {
        for (const name of ["js-a", "js-b", "js-c"]) await client.send(new sdk.CreateClusterCommand({ clusterName: name }));
        const listed: string[] = [];
        for await (const page of sdk.paginateListClusters({ client, pageSize: 1 }, {})) {
          assert.ok((page.clusterArns ?? []).length <= 1);
          listed.push(...(page.clusterArns ?? []));
        }
        assert.deepEqual(listed.sort(), ["js-a", "js-b", "js-c"].map(clusterArn));
        for (const name of listed) await client.send(new sdk.DeleteClusterCommand({ cluster: name }));
        await assert.rejects(client.send(new sdk.DeleteClusterCommand({ cluster: "js-a" })), sdk.ClusterNotFoundException);
        await assert.rejects(
          client.send(new sdk.PutAccountSettingCommand({ name: "containerInsights", value: "sometimes" })),
          sdk.InvalidParameterException,
        );
        let settings = 0;
        for await (const page of sdk.paginateListAccountSettings({ client, pageSize: 3 }, { effectiveSettings: true })) {
          settings += page.settings?.length ?? 0;
        }
        assert.equal(settings, 11);
      });
    });
  }
});
