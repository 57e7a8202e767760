import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Pool } from "undici";
import { ecsApi, type Operations as EcsOperations } from "../model/generated/ecs.js";
import { logsApi, type Operations as LogsOperations } from "../model/generated/logs.js";
import { startTestServer, testRegion, type TestServer } from "../../test/kit/harness.js";
import { AwsCallError, AwsJsonClient, type ClientOptions } from "./aws-json-client.js";

describe("AwsJsonClient against a real control plane", () => {
  let server: TestServer;
  let options: ClientOptions;
  const callers: { close(): void }[] = [];
  const ecs = (extra: Partial<ClientOptions> = {}): AwsJsonClient<EcsOperations> => {
    const c = new AwsJsonClient<EcsOperations>(ecsApi, { ...options, ...extra });
    callers.push(c);
    return c;
  };

  before(async () => {
    server = await startTestServer();
    options = {
      endpoint: server.url,
      region: testRegion,
      credentials: { accessKeyId: server.cp.root.accessKeyId, secretAccessKey: server.cp.root.secretAccessKey },
    };
  });
  after(async () => {
    for (const c of callers) c.close();
    await server.stop();
  });

  it("signs a call the server accepts and returns its output", async () => {
    const out = await ecs().call("CreateCluster", { clusterName: "caller" });
    assert.equal(out.cluster?.clusterName, "caller");
    assert.match(out.cluster?.clusterArn ?? "", /^arn:aws:ecs:us-east-1:\d{12}:cluster\/caller$/);
  });

  it("maps an error response to an error named by its AWS code", async () => {
    const err = await ecs()
      .call("DeleteCluster", { cluster: "no-such-cluster" })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof AwsCallError);
    assert.equal(err.name, "ClusterNotFoundException");
    assert.equal(err.code, "ClusterNotFoundException");
    assert.equal(err.status, 400);

    const logs = new AwsJsonClient<LogsOperations>(logsApi, options);
    callers.push(logs);
    await logs.call("CreateLogGroup", { logGroupName: "/caller/twice" });
    await assert.rejects(logs.call("CreateLogGroup", { logGroupName: "/caller/twice" }), { name: "ResourceAlreadyExistsException" });
  });

  it("a request signed with another secret is refused, not retried into success", async () => {
    const wrong = ecs({ credentials: { accessKeyId: options.credentials.accessKeyId, secretAccessKey: "not-the-secret" } });
    await assert.rejects(wrong.call("ListClusters", {}), (err: unknown) => err instanceof AwsCallError && err.code === "InvalidSignatureException");
  });

  it("sends Dates as the timestamps the server reads (epoch seconds)", async () => {
    const caller = ecs();
    await caller.call("CreateCluster", { clusterName: "dated" });
    const def = await caller.call("RegisterTaskDefinition", { family: "dated", containerDefinitions: [{ name: "main", image: "busybox", memory: 16 }] });
    await caller.call("CreateService", { cluster: "dated", serviceName: "s", taskDefinition: def.taskDefinition!.taskDefinitionArn!, desiredCount: 0 });
    const since = async (after: Date) =>
      (await caller.call("ListServiceDeployments", { cluster: "dated", service: "s", createdAt: { after } })).serviceDeployments ?? [];
    assert.equal((await since(new Date(Date.now() - 60 * 60_000))).length, 1, "created after an hour ago");
    assert.equal((await since(new Date(Date.now() + 60 * 60_000))).length, 0, "not created after an hour from now");
  });

  it("learns the server's clock from a refused call and signs the retry with it, as the SDKs do", async () => {
    const slowClock = () => Date.now() - 20 * 60_000;
    // One attempt: the refusal says the skew was corrected, and the next call is signed right.
    const once = ecs({ now: slowClock, maxAttempts: 1 });
    const err = await once.call("ListClusters", {}).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof AwsCallError);
    assert.equal(err.code, "InvalidSignatureException");
    assert.equal(err.clockSkewCorrected, true);
    assert.ok(Array.isArray((await once.call("ListClusters", {})).clusterArns));
    // The default attempts: the first call succeeds on its retry.
    assert.ok(Array.isArray((await ecs({ now: slowClock }).call("ListClusters", {})).clusterArns));
  });

  it("an aborted call rejects without retrying", async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(ecs().call("ListClusters", {}, controller.signal), { name: "AbortError" });
  });

  it("signs calls ahead and sends them later through an undici pool", async () => {
    const pool = new Pool(new URL(server.url).origin, { connections: 2 });
    try {
      const client = new AwsJsonClient<EcsOperations>(ecsApi, { ...options, dispatcher: pool, maxAttempts: 1 });
      const calls = ["pool-a", "pool-b"].map((clusterName) => client.sign("CreateCluster", { clusterName }));
      for (const call of calls) assert.equal((await client.send(call)).status, 200);
      const listed = await client.call("ListClusters", {});
      assert.ok(listed.clusterArns?.some((arn) => arn.endsWith("/pool-b")));
      const err = await client.send(client.sign("DeleteCluster", { cluster: "no-such-cluster" })).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof AwsCallError);
      assert.equal(err.code, "ClusterNotFoundException");
    } finally {
      await pool.close();
    }
  });
});
