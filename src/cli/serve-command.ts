// `berth up` and `berth server`: the control plane, and for `up` a local agent in
// the same process; prints the banner, writes the instance file, stops on a signal.

import { join } from "node:path";
import pino from "pino";
import type { RunningAgent } from "../agent/agent.js";
import type { PullBehavior } from "../agent/image-pull.js";
import { startControlPlane } from "../control-plane.js";
import { exportLines, removeInstanceInfo, writeInstanceInfo, type InstanceInfo } from "./instance-file.js";
import type { CommonSettings } from "./settings.js";

export interface UpSettings extends CommonSettings {
  readonly agent: { readonly metadataPort?: number; readonly awsvpcSubnet?: string; readonly imagePullBehavior?: PullBehavior };
}

export async function serve(settings: UpSettings, what: string, withAgent: boolean): Promise<void> {
  // The agent's code (the Docker client and the task engine) is loaded only by `up`.
  const agentModules = withAgent ? await Promise.all([import("../agent/agent.js"), import("../agent/docker-agent.js")]) : undefined;
  if (agentModules && !(await agentModules[1].dockerAnswers())) {
    throw new Error(
      "berth up runs tasks on the local Docker Engine, and none answers at " +
        `${process.env["DOCKER_HOST"] ?? "unix:///var/run/docker.sock"}. Install Docker (apt-get install docker.io), ` +
        "start it (dockerd, or systemctl start docker), or point DOCKER_HOST at one; `berth server` runs without Docker.",
    );
  }
  const logger = pino({ level: process.env["BERTH_LOG_LEVEL"] ?? "info" }, pino.destination(2));
  const env = process.env;
  const cp = await startControlPlane({
    ...settings,
    logger,
    ...(env["BERTH_ROOT_ACCESS_KEY_ID"] ? { rootAccessKeyId: env["BERTH_ROOT_ACCESS_KEY_ID"] } : {}),
    ...(env["BERTH_ROOT_SECRET_ACCESS_KEY"] ? { rootSecretAccessKey: env["BERTH_ROOT_SECRET_ACCESS_KEY"] } : {}),
    ...(env["BERTH_AGENT_TOKEN"] ? { agentToken: env["BERTH_AGENT_TOKEN"] } : {}),
  });
  let agent: RunningAgent | undefined;
  if (agentModules) {
    const [{ loadAgentId, startAgent }, { dockerAgentParts }] = agentModules;
    const agentDir = join(settings.dataDir, "agent");
    const server = `http://127.0.0.1:${cp.edge.port}`;
    try {
      agent = await startAgent(
        { server, token: cp.agentToken, cluster: "default", dataDir: agentDir, logger: logger.child({ component: "agent" }) },
        dockerAgentParts({
          agentId: loadAgentId(agentDir),
          server,
          // One machine serves every launch type: Fargate's capacity is this host too.
          launchTypes: ["EC2", "FARGATE", "EXTERNAL"],
          attributes: {},
          ...(settings.agent.metadataPort !== undefined ? { metadataPort: settings.agent.metadataPort } : {}),
          ...(settings.agent.awsvpcSubnet ? { awsvpcSubnet: settings.agent.awsvpcSubnet } : {}),
          ...(settings.agent.imagePullBehavior ? { imagePullBehavior: settings.agent.imagePullBehavior } : {}),
          logger: logger.child({ component: "agent" }),
        }),
      );
    } catch (err) {
      await cp.stop();
      throw err;
    }
  }
  const info: InstanceInfo = {
    endpoint: cp.edge.url,
    region: settings.region,
    accountId: settings.accountId,
    accessKeyId: cp.root.accessKeyId,
    secretAccessKey: cp.root.secretAccessKey,
    pid: process.pid,
  };
  writeInstanceInfo(settings.dataDir, info);
  process.stdout.write(
    [
      `Berth ${what} is running.`,
      `  endpoint   ${info.endpoint}`,
      `  region     ${info.region}    account ${info.accountId}`,
      `  state      ${cp.store.kind === "postgres" ? "PostgreSQL" : `SQLite in ${settings.dataDir}`}`,
      withAgent
        ? `  agent      ${agent?.containerInstanceArn ?? ""} (local Docker Engine, cluster default)`
        : `  agents     berth agent --server ${info.endpoint} --token ${cp.agentToken}`,
      "",
      "Credentials (also printed by `berth env`):",
      exportLines(info),
      "",
      "Press Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    removeInstanceInfo(settings.dataDir);
    (agent ? agent.stop() : Promise.resolve()).then(() => cp.stop()).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
