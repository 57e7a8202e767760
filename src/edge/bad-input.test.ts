// Malformed and invalid requests against a running server: each gets the AWS
// error a real client raises (never a 5xx), with a message that names the
// field or says what to fix; and none of them changes any state.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  ClientException,
  ClusterNotFoundException,
  CreateClusterCommand,
  DeleteCapacityProviderCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  ECSClient,
  ECSServiceException,
  InvalidParameterException,
  ListClustersCommand,
  PutAccountSettingCommand,
} from "@aws-sdk/client-ecs";
import { aws, boto3 } from "../../test/kit/aws-cli.js";
import { startTestServer, testAccount, testRegion, type TestServer } from "../../test/kit/harness.js";
import { rawClient, type RawClient, type RawRequest, type RawResponse } from "../../test/kit/raw-client.js";

const arnPrefix = `arn:aws:ecs:${testRegion}:${testAccount}`;
const keepA = "berth-keep-a";
const keepB = "berth-keep-b";
const keepProvider = "berth-keep-cp";
const keepAArn = `${arnPrefix}:cluster/${keepA}`;
const family = "berth-keep-family";
const unknownKeyId = "AKIAIOSFODNN7EXAMPLE";
/** keep-a holds this many tags, so a TagResource of a few more crosses ECS's 50. */
const keepATagCount = 45;

interface BadCase {
  readonly name: string;
  readonly request: RawRequest;
  /** Default 400. */
  readonly status?: number;
  /** The AWS error name, exactly as a client sees it in `__type`. */
  readonly type: string;
  /** Each must appear in the message: the offending field, or what to fix. */
  readonly says: readonly (string | RegExp)[];
}

const call = (operation: string, body: unknown): RawRequest => ({ operation, body });
/** A list member's path as Berth writes it ('tags[0].key') or as AWS does ('tags.1.member.key'). */
function field(path: string): RegExp {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`'${escaped.replace(/\\\[(\d+)\\\]/g, (_, i: string) => `(?:\\[${i}\\]|\\.${Number(i) + 1}\\.member)`)}'`);
}
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
const minutes = (n: number): Date => new Date(Date.now() + n * 60_000);
const tags = (n: number, prefix = "k"): { key: string; value: string }[] =>
  Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, value: `v${i}` }));
const asg = { autoScalingGroupArn: `arn:aws:autoscaling:${testRegion}:${testAccount}:autoScalingGroup:1:autoScalingGroupName/asg` };

const cases: readonly BadCase[] = [
  // ── Body: not JSON, or not a JSON object ──────────────────────────────────
  { name: "malformed JSON", request: call("CreateCluster", '{"clusterName": '), type: "SerializationException", says: ["JSON"] },
  { name: "JSON followed by garbage", request: call("ListClusters", "{} {}"), type: "SerializationException", says: ["JSON"] },
  { name: "body is not UTF-8", request: call("ListClusters", Buffer.from([0xff, 0xfe, 0x7b, 0x7d])), type: "SerializationException", says: ["JSON"] },
  { name: "body is a JSON array", request: call("ListClusters", "[]"), type: "SerializationException", says: ["JSON object"] },
  { name: "body is a JSON number", request: call("ListClusters", "42"), type: "SerializationException", says: ["JSON object"] },
  { name: "body is a JSON string", request: call("ListClusters", '"clusters"'), type: "SerializationException", says: ["JSON object"] },
  { name: "body is JSON null", request: call("ListClusters", "null"), type: "SerializationException", says: ["JSON object"] },
  { name: "empty body where a member is required", request: call("DeleteCluster", ""), type: "InvalidParameterException", says: ["'cluster'", "must not be null"] },
  {
    name: "empty object where two members are required",
    request: call("TagResource", {}),
    type: "InvalidParameterException",
    says: ["2 validation errors detected", "'resourceArn'", "'tags'"],
  },

  // ── Routing: X-Amz-Target and method ──────────────────────────────────────
  {
    name: "unknown operation",
    request: { target: "AmazonEC2ContainerServiceV20141113.LaunchRockets", body: {} },
    type: "UnknownOperationException",
    says: ["LaunchRockets"],
  },
  {
    name: "operation name in the wrong case",
    request: { target: "AmazonEC2ContainerServiceV20141113.listclusters", body: {} },
    type: "UnknownOperationException",
    says: ["listclusters"],
  },
  { name: "unknown target prefix", request: { target: "AmazonSQS.ListQueues", body: {} }, type: "UnknownOperationException", says: ["AmazonSQS.ListQueues"] },
  { name: "target without a service prefix", request: { target: "ListClusters", body: {} }, type: "UnknownOperationException", says: ["ListClusters"] },
  { name: "empty X-Amz-Target", request: { target: "", body: {} }, type: "UnknownOperationException", says: ["X-Amz-Target"] },
  { name: "missing X-Amz-Target", request: { target: null, body: {} }, type: "UnknownOperationException", says: ["X-Amz-Target"] },
  { name: "GET on /", request: { method: "GET", target: null }, type: "UnknownOperationException", says: ["GET /"] },

  // ── Authentication: Authorization header ──────────────────────────────────
  { name: "unsigned request", request: { operation: "ListClusters", body: {}, sign: false }, type: "MissingAuthenticationTokenException", says: ["Authentication Token"] },
  {
    name: "Authorization without Credential",
    request: { operation: "ListClusters", body: {}, afterSigning: { authorization: (a: string) => a.replace(/Credential=[^,]*, /, "") } },
    type: "IncompleteSignatureException",
    says: ["'Credential'"],
  },
  {
    name: "Authorization without Signature",
    request: { operation: "ListClusters", body: {}, afterSigning: { authorization: (a: string) => a.replace(/, Signature=[0-9a-f]+/, "") } },
    type: "IncompleteSignatureException",
    says: ["'Signature'"],
  },
  {
    name: "Authorization without SignedHeaders",
    request: { operation: "ListClusters", body: {}, afterSigning: { authorization: (a: string) => a.replace(/SignedHeaders=[^,]*, /, "") } },
    type: "IncompleteSignatureException",
    says: ["'SignedHeaders'"],
  },
  {
    name: "Authorization with another algorithm",
    request: { operation: "ListClusters", body: {}, afterSigning: { authorization: (a: string) => a.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1") } },
    type: "IncompleteSignatureException",
    says: ["AWS4-HMAC-SHA1", "AWS4-HMAC-SHA256"],
  },
  {
    name: "Authorization with a bearer token",
    request: { operation: "ListClusters", body: {}, afterSigning: { authorization: "Bearer abc.def.ghi" } },
    type: "IncompleteSignatureException",
    says: ["AWS4-HMAC-SHA256"],
  },
  {
    name: "Credential with four elements",
    request: { operation: "ListClusters", body: {}, afterSigning: { authorization: (a: string) => a.replace("/aws4_request", "") } },
    type: "IncompleteSignatureException",
    says: ["Credential", "aws4_request"],
  },
  {
    name: "missing X-Amz-Date",
    request: { operation: "ListClusters", body: {}, afterSigning: { headers: { "x-amz-date": null } } },
    type: "IncompleteSignatureException",
    says: ["X-Amz-Date"],
  },
  {
    name: "malformed X-Amz-Date",
    request: { operation: "ListClusters", body: {}, afterSigning: { headers: { "x-amz-date": "2024-01-01T00:00:00Z" } } },
    type: "IncompleteSignatureException",
    says: ["ISO-8601", "2024-01-01T00:00:00Z"],
  },

  // ── Authentication: who signed, and what ──────────────────────────────────
  {
    name: "unknown access key",
    request: { operation: "ListClusters", body: {}, sign: { accessKeyId: unknownKeyId } },
    type: "UnrecognizedClientException",
    says: ["security token included in the request is invalid"],
  },
  {
    name: "wrong secret key",
    request: { operation: "ListClusters", body: {}, sign: { secretAccessKey: "not-the-secret" } },
    type: "InvalidSignatureException",
    says: ["signature we calculated does not match", "Secret Access Key"],
  },
  {
    name: "body changed after signing",
    request: { operation: "ListClusters", body: {}, afterSigning: { body: '{"maxResults":1}' } },
    type: "InvalidSignatureException",
    says: ["signature we calculated does not match"],
  },
  {
    name: "body changed after signing, with a signed x-amz-content-sha256 of the original body",
    request: {
      operation: "ListClusters",
      body: "{}",
      headers: { "x-amz-content-sha256": sha256("{}") },
      afterSigning: { body: '{"maxResults":1}' },
    },
    type: "InvalidSignatureException",
    says: [/signature|x-amz-content-sha256/i],
  },
  {
    name: "X-Amz-Target changed after signing",
    request: {
      operation: "ListClusters",
      body: { clusterName: "sneaky" },
      afterSigning: { headers: { "x-amz-target": "AmazonEC2ContainerServiceV20141113.CreateCluster" } },
    },
    type: "InvalidSignatureException",
    says: ["signature we calculated does not match"],
  },
  {
    name: "query string added after signing",
    request: { operation: "ListClusters", body: {}, afterSigning: { path: "/?Action=ListClusters" } },
    type: "InvalidSignatureException",
    says: ["signature we calculated does not match"],
  },
  {
    name: "signed Content-Type changed after signing",
    request: { operation: "ListClusters", body: {}, afterSigning: { headers: { "content-type": "application/json" } } },
    type: "InvalidSignatureException",
    says: ["signature we calculated does not match"],
  },
  {
    name: "signature that is not hex",
    request: { operation: "ListClusters", body: {}, afterSigning: { authorization: (a: string) => a.replace(/Signature=[0-9a-f]+/, "Signature=zz") } },
    type: "InvalidSignatureException",
    says: ["signature we calculated does not match"],
  },
  {
    name: "stale date (20 minutes ago)",
    request: { operation: "ListClusters", body: {}, sign: { date: minutes(-20) } },
    type: "InvalidSignatureException",
    says: ["Signature expired", "15 min"],
  },
  {
    name: "future date (20 minutes ahead)",
    request: { operation: "ListClusters", body: {}, sign: { date: minutes(20) } },
    type: "InvalidSignatureException",
    says: ["Signature not yet current", "15 min"],
  },
  {
    name: "credential scope date differs from X-Amz-Date",
    request: { operation: "ListClusters", body: {}, afterSigning: { authorization: (a: string) => a.replace(/\/\d{8}\//, "/20200101/") } },
    type: "InvalidSignatureException",
    says: ["Credential scope", "20200101"],
  },
  {
    name: "credential scoped to a region AWS does not have",
    request: { operation: "ListClusters", body: {}, sign: { region: "eu-nowhere-1" } },
    type: "InvalidSignatureException",
    says: ["scoped to a valid region", "eu-nowhere-1"],
  },
  {
    name: "credential scoped to another service",
    request: { operation: "ListClusters", body: {}, sign: { service: "sqs" } },
    type: "InvalidSignatureException",
    says: ["scoped to correct service", "'ecs'"],
  },
  {
    name: "Host not among the signed headers",
    request: { operation: "ListClusters", body: {}, sign: { unsignedHeaders: ["host"] } },
    type: "InvalidSignatureException",
    says: ["'Host' must be a 'SignedHeader'"],
  },

  // ── Wrong JSON types (the model's) ─────────────────────────────────────────
  { name: "number for a string", request: call("CreateCluster", { clusterName: 42 }), type: "SerializationException", says: ["'clusterName'", "string"] },
  { name: "boolean for a string", request: call("CreateCluster", { clusterName: true }), type: "SerializationException", says: ["'clusterName'", "string"] },
  { name: "string for an integer", request: call("ListClusters", { maxResults: "10" }), type: "SerializationException", says: ["'maxResults'", "integer"] },
  { name: "float for an integer", request: call("ListClusters", { maxResults: 2.5 }), type: "SerializationException", says: ["'maxResults'", "integer"] },
  { name: "object for a list", request: call("DescribeClusters", { clusters: {} }), type: "SerializationException", says: ["'clusters'", "list"] },
  { name: "string for a list", request: call("UntagResource", { resourceArn: keepAArn, tagKeys: "env" }), type: "SerializationException", says: ["'tagKeys'", "list"] },
  { name: "list for a structure", request: call("CreateCluster", { clusterName: "x", configuration: [] }), type: "SerializationException", says: ["'configuration'", "object"] },
  { name: "string for a boolean", request: call("ListAccountSettings", { effectiveSettings: "true" }), type: "SerializationException", says: ["'effectiveSettings'", "boolean"] },
  { name: "number inside a list of strings", request: call("DescribeClusters", { clusters: [keepA, 7] }), type: "SerializationException", says: [field("clusters[1]")] },
  { name: "number for a nested string", request: call("CreateCluster", { clusterName: "x", tags: [{ key: 1, value: "v" }] }), type: "SerializationException", says: [field("tags[0].key")] },
  {
    name: "string for a nested integer",
    request: call("CreateCluster", { clusterName: "x", capacityProviders: ["FARGATE"], defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: "1" }] }),
    type: "SerializationException",
    says: [field("defaultCapacityProviderStrategy[0].weight"), "integer"],
  },
  { name: "string for a list of structures", request: call("CreateCluster", { clusterName: "x", settings: "containerInsights" }), type: "SerializationException", says: ["'settings'", "list"] },

  // ── Missing required members ───────────────────────────────────────────────
  { name: "DeleteCluster without cluster", request: call("DeleteCluster", {}), type: "InvalidParameterException", says: ["'cluster'", "must not be null"] },
  { name: "PutAccountSetting without value", request: call("PutAccountSetting", { name: "serviceLongArnFormat" }), type: "InvalidParameterException", says: ["'value'", "must not be null"] },
  { name: "TagResource without tags", request: call("TagResource", { resourceArn: keepAArn }), type: "InvalidParameterException", says: ["'tags'", "must not be null"] },
  { name: "UntagResource without tagKeys", request: call("UntagResource", { resourceArn: keepAArn }), type: "InvalidParameterException", says: ["'tagKeys'", "must not be null"] },
  { name: "ListTagsForResource without resourceArn", request: call("ListTagsForResource", {}), type: "InvalidParameterException", says: ["'resourceArn'", "must not be null"] },
  { name: "UpdateClusterSettings without settings", request: call("UpdateClusterSettings", { cluster: keepA }), type: "InvalidParameterException", says: ["'settings'", "must not be null"] },
  { name: "CreateCapacityProvider without name", request: call("CreateCapacityProvider", { autoScalingGroupProvider: asg }), type: "InvalidParameterException", says: ["'name'", "must not be null"] },
  {
    name: "nested required member missing",
    request: call("CreateCapacityProvider", { name: "berth-new-cp", autoScalingGroupProvider: {} }),
    type: "InvalidParameterException",
    says: ["'autoScalingGroupProvider.autoScalingGroupArn'", "must not be null"],
  },
  {
    name: "required member missing inside a list",
    request: call("CreateCluster", { clusterName: "x", defaultCapacityProviderStrategy: [{ weight: 1 }] }),
    type: "InvalidParameterException",
    says: [field("defaultCapacityProviderStrategy[0].capacityProvider"), "must not be null"],
  },

  // ── Unknown enum values ────────────────────────────────────────────────────
  { name: "unknown DescribeClusters include", request: call("DescribeClusters", { clusters: [keepA], include: ["EVERYTHING"] }), type: "InvalidParameterException", says: [field("include[0]"), "TAGS"] },
  { name: "unknown account setting name", request: call("PutAccountSetting", { name: "fastMode", value: "enabled" }), type: "InvalidParameterException", says: ["'name'", "serviceLongArnFormat"] },
  { name: "unknown ListAccountSettings name", request: call("ListAccountSettings", { name: "turbo" }), type: "InvalidParameterException", says: ["'name'", "enum"] },
  { name: "unknown cluster setting name", request: call("CreateCluster", { clusterName: "x", settings: [{ name: "turbo", value: "on" }] }), type: "InvalidParameterException", says: [field("settings[0].name"), "containerInsights"] },
  { name: "unknown DescribeCapacityProviders include", request: call("DescribeCapacityProviders", { include: ["ALL"] }), type: "InvalidParameterException", says: [field("include[0]"), "TAGS"] },
  {
    name: "unknown managedTerminationProtection",
    request: call("CreateCapacityProvider", { name: "berth-new-cp", autoScalingGroupProvider: { ...asg, managedTerminationProtection: "SOMETIMES" } }),
    type: "InvalidParameterException",
    says: ["'autoScalingGroupProvider.managedTerminationProtection'", "ENABLED"],
  },

  // ── Model limits: lengths and ranges ───────────────────────────────────────
  { name: "51 tags", request: call("CreateCluster", { clusterName: "x", tags: tags(51) }), type: "InvalidParameterException", says: ["'tags'", "less than or equal to 50"] },
  { name: "tag key of 129 characters", request: call("CreateCluster", { clusterName: "x", tags: [{ key: "k".repeat(129), value: "v" }] }), type: "InvalidParameterException", says: [field("tags[0].key"), "128"] },
  { name: "tag value of 257 characters", request: call("CreateCluster", { clusterName: "x", tags: [{ key: "k", value: "v".repeat(257) }] }), type: "InvalidParameterException", says: [field("tags[0].value"), "256"] },
  { name: "empty tag key", request: call("CreateCluster", { clusterName: "x", tags: [{ key: "", value: "v" }] }), type: "InvalidParameterException", says: [field("tags[0].key"), "greater than or equal to 1"] },
  { name: "tag key with characters outside the pattern", request: call("TagResource", { resourceArn: keepAArn, tags: [{ key: "env{prod}", value: "v" }] }), type: "InvalidParameterException", says: [field("tags[0].key"), "regular expression"] },
  { name: "tag key to remove of 129 characters", request: call("UntagResource", { resourceArn: keepAArn, tagKeys: ["k".repeat(129)] }), type: "InvalidParameterException", says: [field("tagKeys[0]"), "128"] },
  {
    name: "strategy weight above 1000",
    request: call("CreateCluster", { clusterName: "x", capacityProviders: ["FARGATE"], defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1001 }] }),
    type: "InvalidParameterException",
    says: [field("defaultCapacityProviderStrategy[0].weight"), "1000"],
  },
  {
    name: "negative strategy base",
    request: call("CreateCluster", { clusterName: "x", capacityProviders: ["FARGATE"], defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", base: -1 }] }),
    type: "InvalidParameterException",
    says: [field("defaultCapacityProviderStrategy[0].base"), "greater than or equal to 0"],
  },
  {
    name: "managed scaling target capacity 0",
    request: call("CreateCapacityProvider", { name: "berth-new-cp", autoScalingGroupProvider: { ...asg, managedScaling: { targetCapacity: 0 } } }),
    type: "InvalidParameterException",
    says: ["'autoScalingGroupProvider.managedScaling.targetCapacity'", "greater than or equal to 1"],
  },
  {
    name: "two constraint violations in one request",
    request: call("CreateCluster", { clusterName: "x", tags: [{ key: "", value: "v".repeat(257) }] }),
    type: "InvalidParameterException",
    says: ["2 validation errors detected", field("tags[0].key"), field("tags[0].value")],
  },

  // ── ECS's own limits ───────────────────────────────────────────────────────
  { name: "cluster name of 256 characters", request: call("CreateCluster", { clusterName: "c".repeat(256) }), type: "InvalidParameterException", says: ["255"] },
  { name: "cluster name with a space and '!'", request: call("CreateCluster", { clusterName: "my cluster!" }), type: "InvalidParameterException", says: ["letters", "hyphens"] },
  { name: "101 clusters in DescribeClusters", request: call("DescribeClusters", { clusters: Array.from({ length: 101 }, (_, i) => `c${i}`) }), type: "InvalidParameterException", says: ["100"] },
  { name: "ListClusters maxResults 0", request: call("ListClusters", { maxResults: 0 }), type: "InvalidParameterException", says: ["maxResults", "between 1 and 100"] },
  { name: "ListClusters maxResults 101", request: call("ListClusters", { maxResults: 101 }), type: "InvalidParameterException", says: ["maxResults", "between 1 and 100"] },
  { name: "ListClusters bad nextToken", request: call("ListClusters", { nextToken: "not-a-token!" }), type: "InvalidParameterException", says: ["nextToken"] },
  { name: "ListAccountSettings maxResults 11", request: call("ListAccountSettings", { maxResults: 11 }), type: "InvalidParameterException", says: ["maxResults", "between 1 and 10"] },
  { name: "DescribeCapacityProviders maxResults 11", request: call("DescribeCapacityProviders", { maxResults: 11 }), type: "InvalidParameterException", says: ["maxResults", "between 1 and 10"] },
  { name: "DescribeCapacityProviders bad nextToken", request: call("DescribeCapacityProviders", { nextToken: "eyJ4IjoxfQ" }), type: "InvalidParameterException", says: ["nextToken"] },
  { name: "capacity provider name starting with 'fargate'", request: call("CreateCapacityProvider", { name: "fargate-pool", autoScalingGroupProvider: asg }), type: "InvalidParameterException", says: ["fargate-pool", "cannot begin"] },
  { name: "capacity provider without a provider configuration", request: call("CreateCapacityProvider", { name: "berth-new-cp" }), type: "InvalidParameterException", says: ["autoScalingGroupProvider"] },
  { name: "invalid containerInsights value", request: call("UpdateClusterSettings", { cluster: keepA, settings: [{ name: "containerInsights", value: "maybe" }] }), type: "InvalidParameterException", says: ["containerInsights", "maybe"] },
  { name: "deleting a built-in capacity provider", request: call("DeleteCapacityProvider", { capacityProvider: "FARGATE" }), type: "ClientException", says: ["FARGATE"] },

  // ── ARNs: wrong service, account, region; garbage ─────────────────────────
  { name: "TagResource on an SQS ARN", request: call("TagResource", { resourceArn: `arn:aws:sqs:${testRegion}:${testAccount}:queue/q`, tags: [{ key: "a", value: "b" }] }), type: "InvalidParameterException", says: ["arn:aws:sqs"] },
  { name: "TagResource on another account's cluster", request: call("TagResource", { resourceArn: `arn:aws:ecs:${testRegion}:111122223333:cluster/${keepA}`, tags: [{ key: "a", value: "b" }] }), type: "InvalidParameterException", says: ["111122223333"] },
  { name: "TagResource on another region's cluster", request: call("TagResource", { resourceArn: `arn:aws:ecs:eu-west-1:${testAccount}:cluster/${keepA}`, tags: [{ key: "a", value: "b" }] }), type: "InvalidParameterException", says: ["eu-west-1"] },
  { name: "ListTagsForResource on a garbage ARN", request: call("ListTagsForResource", { resourceArn: "not-an-arn" }), type: "InvalidParameterException", says: ["not-an-arn"] },
  { name: "DeleteCluster with another region's ARN", request: call("DeleteCluster", { cluster: `arn:aws:ecs:eu-west-1:${testAccount}:cluster/${keepA}` }), type: "InvalidParameterException", says: ["cluster ARN", "eu-west-1"] },
  { name: "DeleteCluster with another account's ARN", request: call("DeleteCluster", { cluster: `arn:aws:ecs:${testRegion}:111122223333:cluster/${keepA}` }), type: "InvalidParameterException", says: ["cluster ARN", "111122223333"] },
  { name: "DescribeClusters with an IAM ARN", request: call("DescribeClusters", { clusters: [`arn:aws:iam::${testAccount}:role/r`] }), type: "InvalidParameterException", says: ["cluster ARN"] },
  { name: "UpdateClusterSettings with a capacity provider ARN", request: call("UpdateClusterSettings", { cluster: `${arnPrefix}:capacity-provider/${keepProvider}`, settings: [] }), type: "InvalidParameterException", says: ["cluster ARN"] },

  // ── Task definitions ───────────────────────────────────────────────────────
  {
    name: "string for a container's memory",
    request: call("RegisterTaskDefinition", { family: "x", containerDefinitions: [{ name: "app", image: "busybox", memory: "512" }] }),
    type: "SerializationException",
    says: [field("containerDefinitions[0].memory"), "integer"],
  },
  { name: "RegisterTaskDefinition without containerDefinitions", request: call("RegisterTaskDefinition", { family: "x" }), type: "InvalidParameterException", says: ["'containerDefinitions'", "must not be null"] },
  {
    name: "unknown network mode",
    request: call("RegisterTaskDefinition", { family: "x", networkMode: "overlay", containerDefinitions: [{ name: "app", image: "busybox", memory: 64 }] }),
    type: "InvalidParameterException",
    says: ["'networkMode'", "awsvpc"],
  },
  {
    name: "11 containers in a task definition",
    request: call("RegisterTaskDefinition", { family: "x", containerDefinitions: Array.from({ length: 11 }, (_, i) => ({ name: `c${i}`, image: "busybox", memory: 16 })) }),
    type: "ClientException",
    says: ["10"],
  },
  {
    name: "task cpu that is not a number",
    request: call("RegisterTaskDefinition", { family: "x", cpu: "lots", memory: "512", containerDefinitions: [{ name: "app", image: "busybox" }] }),
    type: "ClientException",
    says: ["'cpu'", "lots"],
  },
  { name: "ListTaskDefinitions maxResults 101", request: call("ListTaskDefinitions", { maxResults: 101 }), type: "InvalidParameterException", says: ["maxResults", "between 1 and 100"] },
  { name: "unknown ListTaskDefinitions status", request: call("ListTaskDefinitions", { status: "GONE" }), type: "InvalidParameterException", says: ["'status'", "ACTIVE"] },
  { name: "DescribeTaskDefinition of another region's ARN", request: call("DescribeTaskDefinition", { taskDefinition: `arn:aws:ecs:eu-west-1:${testAccount}:task-definition/${family}:1` }), type: "ClientException", says: ["eu-west-1"] },

  // ── Things that do not exist ───────────────────────────────────────────────
  { name: "DeleteCluster of a cluster that does not exist", request: call("DeleteCluster", { cluster: "berth-no-such-cluster" }), type: "ClusterNotFoundException", says: [/cluster/i] },
  { name: "UpdateClusterSettings of a cluster that does not exist", request: call("UpdateClusterSettings", { cluster: "berth-no-such-cluster", settings: [] }), type: "ClusterNotFoundException", says: [/cluster/i] },
  { name: "TagResource on a cluster that does not exist", request: call("TagResource", { resourceArn: `${arnPrefix}:cluster/berth-no-such-cluster`, tags: [{ key: "a", value: "b" }] }), type: "ClusterNotFoundException", says: [/cluster/i] },

  // ── Tag rules ──────────────────────────────────────────────────────────────
  { name: "tag key with the aws: prefix", request: call("CreateCluster", { clusterName: "x", tags: [{ key: "aws:owner", value: "me" }] }), type: "InvalidParameterException", says: ["aws:owner", "aws:"] },
  { name: "tag key with the AWS: prefix in capitals", request: call("TagResource", { resourceArn: keepAArn, tags: [{ key: "AWS:Owner", value: "me" }] }), type: "InvalidParameterException", says: ["AWS:Owner"] },
  { name: "duplicate tag keys", request: call("CreateCluster", { clusterName: "x", tags: [{ key: "env", value: "a" }, { key: "env", value: "b" }] }), type: "InvalidParameterException", says: ["env", "Duplicate tag key"] },
  { name: "TagResource past 50 tags in all", request: call("TagResource", { resourceArn: keepAArn, tags: tags(6, "extra") }), type: "InvalidParameterException", says: ["50"] },

  // ── Account settings ───────────────────────────────────────────────────────
  { name: "account setting value not allowed", request: call("PutAccountSetting", { name: "serviceLongArnFormat", value: "maybe" }), type: "InvalidParameterException", says: ["maybe", "enabled, disabled"] },
  { name: "account default value not allowed", request: call("PutAccountSettingDefault", { name: "containerInsights", value: "on" }), type: "InvalidParameterException", says: ["containerInsights", "enhanced"] },
  { name: "retirement wait period not allowed", request: call("PutAccountSetting", { name: "fargateTaskRetirementWaitPeriod", value: "30" }), type: "InvalidParameterException", says: ["30", "0, 7, 14"] },
  { name: "principalArn that is not an IAM ARN", request: call("PutAccountSetting", { name: "serviceLongArnFormat", value: "enabled", principalArn: "bob" }), type: "InvalidParameterException", says: ["principalArn", "bob"] },
  { name: "ListAccountSettings value without name", request: call("ListAccountSettings", { value: "enabled" }), type: "InvalidParameterException", says: ["name"] },

  // ── Capacity provider strategies ───────────────────────────────────────────
  {
    name: "strategy naming a provider the cluster does not have",
    request: call("CreateCluster", { clusterName: "x", capacityProviders: ["FARGATE"], defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }] }),
    type: "InvalidParameterException",
    says: ["FARGATE_SPOT", "capacityProviders"],
  },
  {
    name: "strategy with two bases",
    request: call("CreateCluster", {
      clusterName: "x",
      capacityProviders: ["FARGATE", "FARGATE_SPOT"],
      defaultCapacityProviderStrategy: [
        { capacityProvider: "FARGATE", base: 1, weight: 1 },
        { capacityProvider: "FARGATE_SPOT", base: 2, weight: 1 },
      ],
    }),
    type: "InvalidParameterException",
    says: ["base"],
  },
  {
    name: "strategy naming one provider twice",
    request: call("CreateCluster", {
      clusterName: "x",
      capacityProviders: ["FARGATE"],
      defaultCapacityProviderStrategy: [
        { capacityProvider: "FARGATE", weight: 1 },
        { capacityProvider: "FARGATE", weight: 2 },
      ],
    }),
    type: "InvalidParameterException",
    says: ["same capacity provider"],
  },
  { name: "capacity provider that does not exist", request: call("CreateCluster", { clusterName: "x", capacityProviders: ["berth-no-such-cp"] }), type: "InvalidParameterException", says: ["berth-no-such-cp"] },
  {
    name: "PutClusterCapacityProviders with an unassociated strategy",
    request: call("PutClusterCapacityProviders", { cluster: keepA, capacityProviders: [keepProvider], defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1 }] }),
    type: "InvalidParameterException",
    says: ["FARGATE", "not associated"],
  },
];

/** What the checks compare: each read's status and body, before and after the bad requests. */
async function snapshot(client: RawClient): Promise<Record<string, { status: number; body: unknown }>> {
  const reads: Record<string, RawRequest> = {
    ListClusters: call("ListClusters", {}),
    ListTaskDefinitions: call("ListTaskDefinitions", {}),
    ListTaskDefinitionFamilies: call("ListTaskDefinitionFamilies", {}),
    ListAccountSettings: call("ListAccountSettings", {}),
    "ListAccountSettings effective": call("ListAccountSettings", { effectiveSettings: true, maxResults: 10 }),
    DescribeClusters: call("DescribeClusters", { clusters: [keepA, keepB, "x"], include: ["SETTINGS", "CONFIGURATIONS", "TAGS", "STATISTICS"] }),
    DescribeCapacityProviders: call("DescribeCapacityProviders", { include: ["TAGS"] }),
  };
  const out: Record<string, { status: number; body: unknown }> = {};
  for (const [name, req] of Object.entries(reads)) {
    const r = await client.send(req);
    out[name] = { status: r.status, body: r.body };
  }
  return out;
}

async function mustSucceed(client: RawClient, operation: string, body: unknown): Promise<RawResponse> {
  const r = await client.send(call(operation, body));
  assert.equal(r.status, 200, `${operation} failed: ${r.text}`);
  return r;
}

let server: TestServer;
let client: RawClient;

before(async () => {
  server = await startTestServer();
  client = rawClient(server);
});

after(async () => {
  await server?.stop();
});

describe("bad input gets AWS's error and changes nothing", () => {
  let before_: Record<string, { status: number; body: unknown }>;

  before(async () => {
    // Real state first, so "unchanged" means something.
    await mustSucceed(client, "CreateCluster", {
      clusterName: keepA,
      tags: tags(keepATagCount),
      settings: [{ name: "containerInsights", value: "enabled" }],
    });
    await mustSucceed(client, "CreateCluster", { clusterName: keepB, capacityProviders: ["FARGATE"] });
    await mustSucceed(client, "CreateCapacityProvider", { name: keepProvider, autoScalingGroupProvider: asg, tags: [{ key: "team", value: "edge" }] });
    await mustSucceed(client, "PutAccountSetting", { name: "serviceLongArnFormat", value: "disabled" });
    await mustSucceed(client, "PutAccountSettingDefault", { name: "awsvpcTrunking", value: "enabled" });
    await mustSucceed(client, "RegisterTaskDefinition", {
      family,
      containerDefinitions: [{ name: "app", image: "busybox", memory: 64, essential: true }],
    });
    before_ = await snapshot(client);
    for (const [name, read] of Object.entries(before_)) assert.equal(read.status, 200, `${name} must work before the bad requests`);
  });

  for (const c of cases) {
    it(`${c.name} → ${c.status ?? 400} ${c.type}`, async () => {
      const r = await client.send(c.request);
      const shown = `${r.status} ${r.text}`;
      assert.ok(r.status < 500, `a client mistake must never be a server error: ${shown}`);
      assert.equal(r.status, c.status ?? 400, shown);
      assert.equal(r.errorType, c.type, shown);
      assert.equal(r.headers["x-amzn-errortype"]?.toString().split(":")[0], c.type, "x-amzn-ErrorType names the error");
      assert.ok(r.headers["x-amzn-requestid"], "every response carries a request id");
      assert.ok(r.message && r.message.length > 0, `the message says what is wrong: ${shown}`);
      for (const s of c.says) {
        if (typeof s === "string") assert.ok(r.message.includes(s), `message should mention ${JSON.stringify(s)}: ${r.message}`);
        else assert.match(r.message, s);
      }
    });
  }

  it("nothing changed", async () => {
    assert.ok(cases.length >= 60, `the table holds ${cases.length} cases`);
    assert.deepEqual(await snapshot(client), before_);
  });

  it("a correctly signed request still works after all of that", async () => {
    const r = await client.send(call("DescribeClusters", { clusters: [keepA], include: ["TAGS"] }));
    assert.equal(r.status, 200, r.text);
    const cluster = (r.body as { clusters: { clusterName: string; tags: unknown[] }[] }).clusters[0];
    assert.equal(cluster?.clusterName, keepA);
    assert.equal(cluster?.tags.length, keepATagCount);
  });

  it("a date 14 minutes off is still accepted (AWS allows 15)", async () => {
    for (const offset of [-14, 14]) {
      const r = await client.send({ operation: "ListClusters", body: {}, sign: { date: minutes(offset) } });
      assert.equal(r.status, 200, `${offset} min: ${r.text}`);
    }
  });
});

describe("real clients raise the exception classes users catch", () => {
  const withEnv = (overrides: NodeJS.ProcessEnv): TestServer => ({ ...server, env: { ...server.env, ...overrides } });

  it("SDK for JavaScript: modeled exceptions are instances of their classes", async () => {
    const ecs = server.ecs();
    try {
      const notFound = await ecs.send(new DeleteClusterCommand({ cluster: "berth-no-such-cluster" })).catch((e: unknown) => e);
      assert.ok(notFound instanceof ClusterNotFoundException, String(notFound));
      assert.equal(notFound.$metadata.httpStatusCode, 400);
      assert.equal(notFound.$fault, "client");
      assert.ok(notFound.$metadata.requestId, "the SDK reads the request id");

      const invalid = await ecs.send(new ListClustersCommand({ maxResults: 0 })).catch((e: unknown) => e);
      assert.ok(invalid instanceof InvalidParameterException, String(invalid));
      assert.match(invalid.message, /maxResults/);

      const reserved = await ecs
        .send(new CreateClusterCommand({ clusterName: "sdk-x", tags: [{ key: "aws:team", value: "x" }] }))
        .catch((e: unknown) => e);
      assert.ok(reserved instanceof InvalidParameterException, String(reserved));

      const tooMany = await ecs
        .send(new DescribeClustersCommand({ clusters: Array.from({ length: 101 }, (_, i) => `c${i}`) }))
        .catch((e: unknown) => e);
      assert.ok(tooMany instanceof InvalidParameterException, String(tooMany));

      const badValue = await ecs
        .send(new PutAccountSettingCommand({ name: "serviceLongArnFormat", value: "maybe" }))
        .catch((e: unknown) => e);
      assert.ok(badValue instanceof InvalidParameterException, String(badValue));

      const builtin = await ecs.send(new DeleteCapacityProviderCommand({ capacityProvider: "FARGATE" })).catch((e: unknown) => e);
      assert.ok(builtin instanceof ClientException, String(builtin));

      const enumValue = await ecs
        // @ts-expect-error: an enum value the model does not know, as an untyped caller would send it.
        .send(new DescribeClustersCommand({ clusters: ["default"], include: ["EVERYTHING"] }))
        .catch((e: unknown) => e);
      assert.ok(enumValue instanceof InvalidParameterException, String(enumValue));
    } finally {
      ecs.destroy();
    }
  });

  it("SDK for JavaScript: authentication errors carry AWS's names", async () => {
    const make = (credentials: { accessKeyId: string; secretAccessKey: string }, region = testRegion): ECSClient =>
      new ECSClient({ endpoint: server.url, region, credentials, maxAttempts: 1 });
    const root = { accessKeyId: server.cp.root.accessKeyId, secretAccessKey: server.cp.root.secretAccessKey };
    const attempts: [string, ECSClient, string][] = [
      ["unknown key", make({ accessKeyId: unknownKeyId, secretAccessKey: "x" }), "UnrecognizedClientException"],
      ["wrong secret", make({ ...root, secretAccessKey: "wrong" }), "InvalidSignatureException"],
      ["a region AWS does not have", make(root, "eu-nowhere-1"), "InvalidSignatureException"],
    ];
    for (const [what, ecs, name] of attempts) {
      try {
        const err = await ecs.send(new ListClustersCommand({})).catch((e: unknown) => e);
        assert.ok(err instanceof ECSServiceException, `${what}: ${String(err)}`);
        assert.equal(err.name, name, what);
        assert.equal(err.$metadata.httpStatusCode, 400, what);
      } finally {
        ecs.destroy();
      }
    }
  });

  it("SDK for JavaScript: a skewed clock is corrected from the Date header on retry", async () => {
    const credentials = { accessKeyId: server.cp.root.accessKeyId, secretAccessKey: server.cp.root.secretAccessKey };
    const skew = -20 * 60_000;
    const once = new ECSClient({ endpoint: server.url, region: testRegion, credentials, maxAttempts: 1, systemClockOffset: skew });
    const retrying = new ECSClient({ endpoint: server.url, region: testRegion, credentials, maxAttempts: 3, systemClockOffset: skew });
    try {
      const err = await once.send(new ListClustersCommand({})).catch((e: unknown) => e);
      assert.ok(err instanceof ECSServiceException, String(err));
      assert.equal(err.name, "InvalidSignatureException");
      assert.match(err.message, /Signature expired/);
      const ok = await retrying.send(new ListClustersCommand({}));
      assert.ok(ok.clusterArns?.includes(keepAArn));
    } finally {
      once.destroy();
      retrying.destroy();
    }
  });

  it("boto3: modeled exceptions are caught by their classes; auth errors by code", async () => {
    const result = await boto3<Record<string, unknown>>(
      server,
      `
from botocore.exceptions import ClientError
out = {}
def expect(key, cls, fn):
    try:
        fn()
        out[key] = "no error"
    except cls as e:
        out[key] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Message"]]
    except Exception as e:
        out[key] = "wrong class: " + type(e).__name__ + ": " + str(e)
expect("notFound", ecs.exceptions.ClusterNotFoundException, lambda: ecs.delete_cluster(cluster="berth-no-such-cluster"))
expect("maxResults", ecs.exceptions.InvalidParameterException, lambda: ecs.list_clusters(maxResults=101))
expect("reservedTag", ecs.exceptions.InvalidParameterException, lambda: ecs.tag_resource(resourceArn="${keepAArn}", tags=[{"key": "aws:x", "value": "y"}]))
expect("enum", ecs.exceptions.InvalidParameterException, lambda: ecs.describe_clusters(clusters=["${keepA}"], include=["EVERYTHING"]))
expect("builtin", ecs.exceptions.ClientException, lambda: ecs.delete_capacity_provider(capacityProvider="FARGATE"))
import os
stranger = boto3.client("ecs", aws_access_key_id="${unknownKeyId}", aws_secret_access_key="x")
expect("unknownKey", ClientError, lambda: stranger.list_clusters())
forger = boto3.client("ecs", aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"], aws_secret_access_key="wrong")
expect("wrongSecret", ClientError, lambda: forger.list_clusters())
dump(out)
`,
    );
    const expected: Record<string, [string, RegExp]> = {
      notFound: ["ClusterNotFoundException", /cluster/i],
      maxResults: ["InvalidParameterException", /maxResults/],
      reservedTag: ["InvalidParameterException", /aws:/],
      enum: ["InvalidParameterException", /include/],
      builtin: ["ClientException", /FARGATE/],
      unknownKey: ["UnrecognizedClientException", /security token/],
      wrongSecret: ["InvalidSignatureException", /signature/],
    };
    for (const [key, [code, message]] of Object.entries(expected)) {
      const got = result[key];
      assert.ok(Array.isArray(got), `${key}: ${JSON.stringify(got)}`);
      assert.equal(got[0], code, key);
      assert.equal(got[1], 400, key);
      assert.match(String(got[2]), message, key);
    }
  });

  // The CLI exits 254 (v2) or 255 (v1) on a service error.
  const serviceError = (code: number): boolean => code === 254 || code === 255;

  it("aws CLI: prints AWS's error names and exits with the service-error code", async () => {
    // Each run starts a Python interpreter: run them side by side.
    const [unknownKey, wrongSecret, notFound, badName] = await Promise.all([
      aws(withEnv({ AWS_ACCESS_KEY_ID: unknownKeyId }), "ecs", "list-clusters"),
      aws(withEnv({ AWS_SECRET_ACCESS_KEY: "wrong" }), "ecs", "list-clusters"),
      aws(server, "ecs", "delete-cluster", "--cluster", "berth-no-such-cluster"),
      aws(server, "ecs", "create-cluster", "--cluster-name", "bad name!"),
    ]);
    assert.ok(serviceError(unknownKey.code), `${unknownKey.code}: ${unknownKey.stderr}`);
    assert.match(unknownKey.stderr, /\(UnrecognizedClientException\) when calling the ListClusters operation/);

    assert.ok(serviceError(wrongSecret.code), `${wrongSecret.code}: ${wrongSecret.stderr}`);
    assert.match(wrongSecret.stderr, /\(InvalidSignatureException\)/);

    assert.ok(serviceError(notFound.code), `${notFound.code}: ${notFound.stderr}`);
    assert.match(notFound.stderr, /\(ClusterNotFoundException\) when calling the DeleteCluster operation/);

    assert.ok(serviceError(badName.code), `${badName.code}: ${badName.stderr}`);
    assert.match(badName.stderr, /\(InvalidParameterException\)/);
  });
});
