// DiscoverPollEndpoint with real clients: the agent's narrow keys may call it, and
// it names this Berth's endpoint.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DiscoverPollEndpointCommand, ECSClient, ListClustersCommand } from "@aws-sdk/client-ecs";
import { awsJson } from "../../../test/kit/aws-cli.js";
import { startTestServer, testRegion, type TestServer } from "../../../test/kit/harness.js";
import { joinPath, type JoinResponse } from "../../protocol/channel.js";

let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.stop();
});

describe("DiscoverPollEndpoint", () => {
  it("answers an agent, with its own keys, with this Berth's endpoint for polling and telemetry", async () => {
    const joined = await fetch(`${server.url}${joinPath}`, { method: "POST", headers: { authorization: `Bearer ${server.cp.agentToken}` } });
    assert.equal(joined.status, 200);
    const keys = (await joined.json()) as JoinResponse;
    const agent = new ECSClient({ endpoint: server.url, region: testRegion, credentials: keys, maxAttempts: 1 });
    try {
      const out = await agent.send(new DiscoverPollEndpointCommand({ cluster: "default", containerInstance: "any" }));
      assert.equal(out.endpoint, server.url);
      assert.equal(out.telemetryEndpoint, server.url);
      assert.equal(out.serviceConnectEndpoint, undefined, "Service Connect is not served");
      // The agent's keys stay narrow.
      await assert.rejects(agent.send(new ListClustersCommand({})), { name: "AccessDeniedException" });
    } finally {
      agent.destroy();
    }
  });

  it("answers the aws CLI with the same", async () => {
    const out = await awsJson<{ endpoint: string; telemetryEndpoint: string }>(server, "ecs", "discover-poll-endpoint");
    assert.deepEqual(out, { endpoint: server.url, telemetryEndpoint: server.url });
  });
});
