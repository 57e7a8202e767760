// STS over the query protocol, through the clients users have: the aws CLI (v1 and
// v2), boto3 and the AWS SDK for JavaScript v3.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { aws, awsJson, boto3 } from "../../../test/kit/aws-cli.js";
import { startTestServer, testAccount, testRegion, type TestServer } from "../../../test/kit/harness.js";
import { rawClient } from "../../../test/kit/raw-client.js";

describe("STS GetCallerIdentity", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  const root = { UserId: testAccount, Account: testAccount, Arn: `arn:aws:iam::${testAccount}:root` };

  it("names the root user to the aws CLI, v1 and v2", async () => {
    assert.deepEqual(await awsJson(server, "sts", "get-caller-identity"), root);
    const v2 = await aws(server, "sts", "get-caller-identity", "--endpoint-url", server.url);
    assert.equal(v2.code, 0, v2.stderr);
    assert.deepEqual(JSON.parse(v2.stdout), root);
  });

  it("names the root user to boto3 and the JavaScript SDK", async () => {
    const viaBoto3 = await boto3<Record<string, string>>(server, `r = boto3.client("sts").get_caller_identity(); r.pop("ResponseMetadata"); dump(r)`);
    assert.deepEqual(viaBoto3, root);
    const sts = new STSClient({ endpoint: server.url, region: testRegion, credentials: { accessKeyId: server.cp.root.accessKeyId, secretAccessKey: server.cp.root.secretAccessKey } });
    try {
      const { $metadata, ...identity } = await sts.send(new GetCallerIdentityCommand({}));
      assert.deepEqual(identity, root);
      assert.ok($metadata.requestId, "the request id comes back in the XML's ResponseMetadata");
    } finally {
      sts.destroy();
    }
  });

  it("refuses a bad signature and an unknown key with the query protocol's codes, in XML", async () => {
    const badKey = await aws({ ...server, env: { ...server.env, AWS_ACCESS_KEY_ID: "AKIANOSUCHKEY0000000" } }, "sts", "get-caller-identity");
    assert.notEqual(badKey.code, 0);
    assert.match(badKey.stderr, /InvalidClientTokenId/);
    const badSecret = await aws({ ...server, env: { ...server.env, AWS_SECRET_ACCESS_KEY: "wrong" } }, "sts", "get-caller-identity");
    assert.notEqual(badSecret.code, 0);
    assert.match(badSecret.stderr, /SignatureDoesNotMatch/);
  });

  it("answers an operation Berth does not serve yet and an unknown Action with an XML error naming it", async () => {
    const form = (body: string) =>
      rawClient(server).send({ target: null, headers: { "content-type": "application/x-www-form-urlencoded" }, body, sign: { service: "sts" } });
    const r = await form("Action=GetSessionToken&Version=2011-06-15");
    assert.equal(r.status, 400);
    assert.match(r.text, /<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>UnsupportedFeatureException<\/Code><Message>Berth does not support GetSessionToken yet.<\/Message>/);
    const unknown = await form("Action=NoSuchThing&Version=2011-06-15");
    assert.match(unknown.text, /<Code>InvalidAction<\/Code>/);
  });
});
