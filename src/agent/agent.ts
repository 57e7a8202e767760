// One host's agent: joins the control plane, registers this host as a container
// instance, adopts the containers it already runs, then follows the control
// plane's desired tasks and reports what happens through the public ECS API.
//
//   join(token) → keys ─ RegisterContainerInstance ─ engine.start (adopt)
//   ControlLink ─ "tasks" ─ engine.reconcile ─ Docker ─ SubmitTaskStateChange

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join as joinPath } from "node:path";
import type { Logger } from "pino";
import type { AgentMessage } from "../protocol/channel.js";
import { AwsJsonClient } from "../aws-client/aws-json-client.js";
import { ecsApi, type Attribute, type Operations as EcsOperations, type Resource, type VersionInfo } from "../model/generated/ecs.js";
import { ControlLink, join } from "./control-link.js";
import type { StateReporter, TaskEngine } from "./engine-types.js";

export interface HostDescription {
  readonly totalResources: Resource[];
  readonly attributes: Attribute[];
  readonly versionInfo: VersionInfo;
}

/** What the agent is made of, so tests and `berth up` can assemble it. */
export interface AgentParts {
  describeHost(): Promise<HostDescription>;
  /** Ships the logs of awslogs containers to the control plane's CloudWatch Logs. */
  startLogs?(ctx: {
    readonly server: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
    readonly region: string;
    readonly dataDir: string;
    readonly logger: Logger;
  }): Promise<{ stop(): Promise<void> }>;
  createEngine(
    reporter: StateReporter,
    publishHealth: (message: AgentMessage) => void,
    cluster: string,
    /** The agent's credentials, and the region it belongs to. */
    joined: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly region: string; readonly accountId: string },
  ): TaskEngine;
}

export interface AgentOptions {
  readonly server: string;
  readonly token: string;
  readonly cluster: string;
  /** The region the agent belongs to (its cluster is there); default: the region the control plane is configured with. */
  readonly region?: string;
  readonly dataDir: string;
  readonly logger: Logger;
}

export interface RunningAgent {
  readonly containerInstanceArn: string;
  readonly link: ControlLink;
  stop(): Promise<void>;
}

interface AgentState {
  containerInstanceArn?: string;
}

/** This agent's identity on its Docker Engine: made once, kept in its data directory. */
export function loadAgentId(dataDir: string): string {
  const file = joinPath(dataDir, "agent-id");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const id = randomBytes(6).toString("hex");
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, id + "\n");
  return id;
}

function loadState(dataDir: string): AgentState {
  const file = joinPath(dataDir, "agent-state.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as AgentState) : {};
}

function saveState(dataDir: string, state: AgentState): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(joinPath(dataDir, "agent-state.json"), JSON.stringify(state, null, 2) + "\n");
}

/** Sends a report; the engine retries what throws, so a state change is never lost. */
function reporterFor(ecs: AwsJsonClient<EcsOperations>, logger: Logger): StateReporter {
  return {
    async submitTaskStateChange(change) {
      try {
        await ecs.call("SubmitTaskStateChange", change);
      } catch (err) {
        // A task the control plane no longer knows cannot be reported; anything else is retried.
        const name = err instanceof Error ? err.name : "";
        if (name !== "InvalidParameterException" && name !== "ClusterNotFoundException") throw err;
        logger.warn({ err, task: change.task }, "state change refused");
      }
    },
  };
}

export async function startAgent(opts: AgentOptions, parts: AgentParts): Promise<RunningAgent> {
  const log = opts.logger;
  const joined = await join(opts.server, opts.token);
  const keys = { ...joined, region: opts.region ?? joined.region };
  const ecs = new AwsJsonClient<EcsOperations>(ecsApi, {
    endpoint: opts.server,
    region: keys.region,
    credentials: { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey },
  });
  const host = await parts.describeHost();
  const state = loadState(opts.dataDir);
  const register = () =>
    ecs.call("RegisterContainerInstance", {
      cluster: opts.cluster,
      totalResources: host.totalResources,
      attributes: host.attributes,
      versionInfo: host.versionInfo,
      ...(state.containerInstanceArn ? { containerInstanceArn: state.containerInstanceArn } : {}),
    });
  let registered;
  try {
    registered = await register();
  } catch (err) {
    // Like the ECS agent, an agent for the default cluster creates it when it is missing.
    if (!(err instanceof Error && err.name === "ClusterNotFoundException" && opts.cluster === "default")) throw err;
    await ecs.call("CreateCluster", { clusterName: "default" });
    registered = await register();
  }
  const containerInstanceArn = registered.containerInstance?.containerInstanceArn;
  if (!containerInstanceArn) throw new Error("the control plane did not return a container instance ARN");
  saveState(opts.dataDir, { containerInstanceArn });
  log.info({ containerInstanceArn }, "registered container instance");

  const links: ControlLink[] = [];
  const engine = parts.createEngine(reporterFor(ecs, log), (m) => links[0]?.send(m), opts.cluster, keys);
  await engine.start();
  const logs = await parts.startLogs?.({
    server: opts.server,
    credentials: { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey },
    region: keys.region,
    dataDir: opts.dataDir,
    logger: log.child({ component: "log-shipper" }),
  });
  const link = new ControlLink({
    server: opts.server,
    token: opts.token,
    containerInstanceArn,
    logger: log,
    onTasks: (tasks) => engine.reconcile(tasks),
  });
  links.push(link);
  link.start();
  return {
    containerInstanceArn,
    link,
    async stop() {
      link.close();
      await engine.stop();
      await logs?.stop();
      ecs.close();
    },
  };
}
