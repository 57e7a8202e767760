// The agents' identity: a join token (what an operator hands to `berth agent`)
// and the narrow key pair an agent gets for it. Agents may call only what the
// ECS agent calls, plus pulling images and shipping logs.

import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newAccessKeyId, newSecretAccessKey, type Principal } from "./access-keys.js";

const agentActions: Readonly<Record<string, ReadonlySet<string>>> = {
  ecs: new Set([
    "RegisterContainerInstance",
    "DeregisterContainerInstance",
    "SubmitTaskStateChange",
    "SubmitContainerStateChange",
    "SubmitAttachmentStateChanges",
    "DiscoverPollEndpoint",
    "DescribeClusters",
    "CreateCluster",
  ]),
  ecr: new Set(["GetAuthorizationToken", "BatchGetImage", "GetDownloadUrlForLayer", "BatchCheckLayerAvailability"]),
  logs: new Set(["CreateLogGroup", "CreateLogStream", "PutLogEvents", "DescribeLogStreams", "DescribeLogGroups"]),
};

export interface AgentKeys {
  readonly token: string;
  readonly principal: Principal;
  /** Constant-time check of a presented join token. */
  accepts(token: string): boolean;
}

/** The join token and agent key pair: preset, else kept in the data directory, else new. */
export function loadAgentKeys(dataDir: string, accountId: string, presetToken?: string): AgentKeys {
  const file = join(dataDir, "agent-credentials.json");
  let saved: { token: string; accessKeyId: string; secretAccessKey: string };
  if (existsSync(file)) {
    saved = JSON.parse(readFileSync(file, "utf8")) as typeof saved;
  } else {
    saved = { token: randomBytes(24).toString("base64url"), accessKeyId: newAccessKeyId("ABIA"), secretAccessKey: newSecretAccessKey() };
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(saved, null, 2) + "\n", { mode: 0o600 });
  }
  const token = presetToken ?? saved.token;
  return {
    token,
    principal: {
      accessKeyId: saved.accessKeyId,
      secretAccessKey: saved.secretAccessKey,
      arn: `arn:aws:iam::${accountId}:role/berth-agent`,
      kind: "agent",
      allows: (service, operation) => agentActions[service]?.has(operation) ?? false,
    },
    accepts(presented: string) {
      const a = Buffer.from(presented);
      const b = Buffer.from(token);
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}
