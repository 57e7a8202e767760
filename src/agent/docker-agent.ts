// The agent as `berth agent` and `berth up` run it: the Docker runtime, the task
// engine, host measurement, and pulls from Berth's own registry with the agent's
// credentials (as the task execution role pulls from ECR).

import { createHash } from "node:crypto";
import type { Logger } from "pino";
import { AwsJsonClient } from "../aws-client/aws-json-client.js";
import { ecrApi, type Operations as EcrOperations } from "../model/generated/ecr.js";
import type { AgentParts, HostDescription } from "./agent.js";
import type { RegistryCredentials } from "./docker-runtime.js";
import { awsvpcSubnetAttribute, launchTypeAttributePrefix } from "../protocol/attributes.js";
import type { DockerEngine } from "./docker-engine.js";
import { DockerEngineRuntime } from "./docker-engine-runtime.js";
import { measureHost } from "./host-resources.js";
import { startLogShipper } from "./log-shipper.js";
import { imageSource, registryHost, type PullBehavior } from "./image-pull.js";
import type { PortRange } from "./ports.js";
import { awsvpcNetworkName, DockerTaskEngine } from "./task-engine.js";

export interface DockerAgentSettings {
  /** This agent's identity on the Docker Engine (labels on everything it creates). */
  readonly agentId: string;
  readonly server: string;
  readonly launchTypes: readonly ("EC2" | "FARGATE" | "EXTERNAL")[];
  readonly attributes: Readonly<Record<string, string>>;
  readonly instanceType?: string;
  readonly availabilityZone?: string;
  readonly memoryReserveMiB?: number;
  /** CIDR of the awsvpc network; default: a /24 in 10.213.0.0/16 chosen from the agent id. */
  readonly awsvpcSubnet?: string;
  readonly metadataPort?: number;
  /** ECS_IMAGE_PULL_BEHAVIOR; default "default". */
  readonly imagePullBehavior?: PullBehavior;
  readonly hostPortRange?: PortRange;
  readonly stopTimeoutSeconds?: number;
  readonly taskCleanupWaitMs?: number;
  readonly logger: Logger;
}

/**
 * This agent's awsvpc subnet: the one its network already has, else the first
 * /24 of 10.213.0.0/16 no Docker network uses, starting from one derived from the
 * agent id — so several agents can share one Docker Engine.
 */
export async function chooseAwsvpcSubnet(docker: DockerEngine, agentId: string): Promise<string> {
  const networks = await docker.json<{ Name: string; IPAM?: { Config?: { Subnet?: string }[] | null } }[]>({
    method: "GET",
    path: "/networks",
    signal: AbortSignal.timeout(60_000),
  });
  const subnets = new Set(networks.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? "")));
  const own = networks.find((n) => n.Name === awsvpcNetworkName(agentId))?.IPAM?.Config?.[0]?.Subnet;
  if (own) return own;
  const start = createHash("sha256").update(agentId).digest().readUInt8(0) % 250;
  for (let i = 0; i < 250; i++) {
    const candidate = `10.213.${((start + i) % 250) + 1}.0/24`;
    if (!subnets.has(candidate)) return candidate;
  }
  throw new Error("no free /24 left in 10.213.0.0/16 for the awsvpc network; pass --awsvpc-subnet");
}

/** Fetches (and caches) registry credentials for images in Berth's own registry. */
function registryAuthFor(server: string, region: string, credentials: { accessKeyId: string; secretAccessKey: string }) {
  const ownHost = new URL(server).host;
  const ecr = new AwsJsonClient<EcrOperations>(ecrApi, { endpoint: server, region, credentials });
  let cached: { creds: RegistryCredentials; until: number } | undefined;
  return async (imageRef: string): Promise<RegistryCredentials | undefined> => {
    const host = registryHost(imageRef);
    const local = host === ownHost || (host.startsWith("localhost:") && host.split(":")[1] === ownHost.split(":")[1]);
    if (!local) return undefined;
    if (cached && cached.until > Date.now()) return cached.creds;
    const out = await ecr.call("GetAuthorizationToken", {});
    const token = out.authorizationData?.[0]?.authorizationToken;
    if (!token) return undefined;
    const [username, password] = Buffer.from(token, "base64").toString("utf8").split(":") as [string, string];
    cached = { creds: { username, password }, until: Date.now() + 60 * 60 * 1000 };
    return cached.creds;
  };
}

export function dockerAgentParts(settings: DockerAgentSettings): AgentParts {
  const runtime = new DockerEngineRuntime();
  let subnet = settings.awsvpcSubnet ?? "";
  const metadataPort = settings.metadataPort ?? 51679;
  return {
    async describeHost(): Promise<HostDescription> {
      subnet ||= await chooseAwsvpcSubnet(runtime.engine, settings.agentId);
      const host = await measureHost(runtime, {
        ...(settings.memoryReserveMiB !== undefined ? { memoryReserveMiB: settings.memoryReserveMiB } : {}),
        metadataPort,
        ...(settings.instanceType ? { instanceType: settings.instanceType } : {}),
        ...(settings.availabilityZone ? { availabilityZone: settings.availabilityZone } : {}),
        awsvpc: true,
        registryAuth: true,
        agentVersion: "1.0.0",
      });
      return {
        totalResources: host.totalResources.map((r) => ({ ...r, ...(r.stringSetValue ? { stringSetValue: [...r.stringSetValue] } : {}) })),
        attributes: [
          ...host.attributes.map((a) => ({ ...a })),
          ...settings.launchTypes.map((t) => ({ name: `${launchTypeAttributePrefix}${t}` })),
          { name: awsvpcSubnetAttribute, value: subnet },
          ...Object.entries(settings.attributes).map(([name, value]) => ({ name, value })),
        ],
        versionInfo: { ...host.versionInfo },
      };
    },
    startLogs: (ctx) =>
      startLogShipper({
        agentId: settings.agentId,
        runtime,
        docker: runtime.engine,
        endpoint: ctx.server,
        credentials: ctx.credentials,
        region: ctx.region,
        dataDir: ctx.dataDir,
        logger: ctx.logger,
      }),
    createEngine(reporter, publishHealth, _cluster, joined) {
      return new DockerTaskEngine({
        agentId: settings.agentId,
        runtime,
        reporter,
        region: joined.region,
        registryAuth: registryAuthFor(settings.server, joined.region, joined),
        imageSource: (image) => imageSource(image, { host: new URL(settings.server).host, accountId: joined.accountId }),
        awsvpc: { subnet },
        metadata: { bindAddress: "0.0.0.0", port: metadataPort },
        ...(settings.imagePullBehavior ? { imagePullBehavior: settings.imagePullBehavior } : {}),
        ...(settings.hostPortRange ? { hostPortRange: settings.hostPortRange } : {}),
        ...(settings.stopTimeoutSeconds !== undefined ? { stopTimeoutSeconds: settings.stopTimeoutSeconds } : {}),
        ...(settings.taskCleanupWaitMs !== undefined ? { taskCleanupWaitMs: settings.taskCleanupWaitMs } : {}),
        logger: settings.logger,
        onHealth: (report) => publishHealth({ type: "health", tasks: [report] }),
      });
    },
  };
}

/** Whether a Docker Engine answers; `berth up` says what to do when none does. */
export async function dockerAnswers(): Promise<boolean> {
  try {
    await new DockerEngineRuntime().info(AbortSignal.timeout(5000));
    return true;
  } catch {
    return false;
  }
}
