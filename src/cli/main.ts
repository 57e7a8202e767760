#!/usr/bin/env node
// The berth command: up (everything on one machine), server (control plane only),
// agent (one host's agent), env (the exports for the running instance).

// The agent's AWS SDK clients are Berth's own plumbing: their Node version notice is not the user's concern.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";

import { homedir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import pino from "pino";
import { loadAgentId, startAgent, type RunningAgent } from "../agent/agent.js";
import { dockerAgentParts, dockerAnswers } from "../agent/docker-agent.js";
import { importVulnDb } from "../registry/vulndb.js";
import { openStore } from "../store/open-store.js";
import { startControlPlane } from "../control-plane.js";
import { exportLines, readInstanceInfo, removeInstanceInfo, writeInstanceInfo, type InstanceInfo } from "./instance-file.js";
import { readCommonSettings, withCommonOptions, type CommonSettings } from "./settings.js";
import { runLogs } from "./logs-command.js";

interface UpSettings extends CommonSettings {
  readonly agent: { readonly metadataPort?: number; readonly awsvpcSubnet?: string };
}

async function serve(settings: UpSettings, what: string, withAgent: boolean): Promise<void> {
  if (withAgent && !(await dockerAnswers())) {
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
  if (withAgent) {
    const agentDir = join(settings.dataDir, "agent");
    const server = `http://127.0.0.1:${cp.edge.port}`;
    try {
      agent = await startAgent(
        { server, token: cp.agentToken, cluster: "default", dataDir: agentDir, logger: logger.child({ component: "agent" }) },
        dockerAgentParts({
          agentId: loadAgentId(agentDir),
          server,
          region: settings.region,
          // One machine serves every launch type: Fargate's capacity is this host too.
          launchTypes: ["EC2", "FARGATE", "EXTERNAL"],
          attributes: {},
          ...(settings.agent.metadataPort !== undefined ? { metadataPort: settings.agent.metadataPort } : {}),
          ...(settings.agent.awsvpcSubnet ? { awsvpcSubnet: settings.agent.awsvpcSubnet } : {}),
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

const program = new Command("berth").description("Amazon ECS without AWS.").showHelpAfterError();

withCommonOptions(program.command("up").description("run everything on this machine: control plane, registry, logs, and a local agent"))
  .option("--metadata-port <port>", "the local agent's task metadata endpoint port", "51679")
  .option("--awsvpc-subnet <cidr>", "the local agent's awsvpc subnet (default: a free /24 in 10.213.0.0/16)")
  .action((opts: Record<string, unknown>) =>
    serve(
      {
        ...readCommonSettings(opts),
        agent: {
          metadataPort: Number(opts["metadataPort"]),
          ...(typeof opts["awsvpcSubnet"] === "string" ? { awsvpcSubnet: opts["awsvpcSubnet"] } : {}),
        },
      },
      "(all in one)",
      true,
    ),
  );

withCommonOptions(program.command("server").description("run the control plane only; agents join it with `berth agent`")).action(
  (opts: Record<string, unknown>) => serve({ ...readCommonSettings(opts), agent: {} }, "control plane", false),
);

const collect = (value: string, previous: string[]): string[] => [...previous, value];

program
  .command("agent")
  .description("run one host's agent: it joins a control plane and runs tasks on this host's Docker Engine")
  .requiredOption("--server <url>", "the control plane's endpoint (BERTH_SERVER)", process.env["BERTH_SERVER"])
  .requiredOption("--token <token>", "the join token `berth server` printed (BERTH_AGENT_TOKEN)", process.env["BERTH_AGENT_TOKEN"])
  .option("--cluster <name>", "the cluster to join", "default")
  .option("--data-dir <dir>", "where the agent keeps its identity (BERTH_AGENT_DATA_DIR)", process.env["BERTH_AGENT_DATA_DIR"] ?? join(homedir(), ".berth-agent"))
  .option("--attribute <name=value>", "a custom attribute (repeatable)", collect, [])
  .option("--launch-types <list>", "launch types this host serves: EC2, FARGATE, EXTERNAL (comma-separated)", "EC2")
  .option("--instance-type <type>", "ecs.instance-type", "berth")
  .option("--availability-zone <zone>", "ecs.availability-zone")
  .option("--awsvpc-subnet <cidr>", "the subnet of this host's awsvpc network (default: a /24 in 10.213.0.0/16)")
  .option("--metadata-port <port>", "the task metadata endpoint's port", "51679")
  .option("--memory-reserve <mib>", "memory kept back for the host, in MiB", "0")
  .action(async (opts: Record<string, string | string[] | undefined>) => {
    const logger = pino({ level: process.env["BERTH_LOG_LEVEL"] ?? "info" }, pino.destination(2));
    const dataDir = String(opts["dataDir"]);
    const attributes = Object.fromEntries(
      (opts["attribute"] as string[]).map((a) => {
        const eq = a.indexOf("=");
        if (eq <= 0) throw new Error(`--attribute takes name=value, not '${a}'.`);
        return [a.slice(0, eq), a.slice(eq + 1)];
      }),
    );
    const launchTypes = String(opts["launchTypes"]).split(",").map((t) => t.trim().toUpperCase());
    for (const t of launchTypes) if (!["EC2", "FARGATE", "EXTERNAL"].includes(t)) throw new Error(`unknown launch type '${t}'.`);
    const server = String(opts["server"]);
    const agent = await startAgent(
      { server, token: String(opts["token"]), cluster: String(opts["cluster"]), dataDir, logger },
      dockerAgentParts({
        agentId: loadAgentId(dataDir),
        server,
        region: process.env["BERTH_REGION"] ?? "us-east-1",
        launchTypes: launchTypes as ("EC2" | "FARGATE" | "EXTERNAL")[],
        attributes,
        instanceType: String(opts["instanceType"]),
        ...(opts["availabilityZone"] ? { availabilityZone: String(opts["availabilityZone"]) } : {}),
        ...(opts["awsvpcSubnet"] ? { awsvpcSubnet: String(opts["awsvpcSubnet"]) } : {}),
        metadataPort: Number(opts["metadataPort"]),
        memoryReserveMiB: Number(opts["memoryReserve"]),
        logger,
      }),
    );
    process.stdout.write(`Berth agent is running: ${agent.containerInstanceArn}\nPress Ctrl-C to stop (running tasks keep running).\n`);
    const stop = (): void => {
      agent.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });

const vulndb = program.command("vulndb").description("the vulnerability feed image scans match against");
withCommonOptions(vulndb.command("import").argument("<files...>", "OSV files (JSON, JSON lines) or folders of them"))
  .description("load OSV-format vulnerability records into the store image scans read")
  .action(async (files: string[], opts: Record<string, unknown>) => {
    const settings = readCommonSettings(opts);
    const store = await openStore(settings.store, settings.dataDir);
    try {
      const result = await importVulnDb(store, files);
      process.stdout.write(`imported ${result.records} records (${result.rows} package ranges) from ${result.files} files\n`);
    } finally {
      await store.close();
    }
  });

withCommonOptions(program.command("env").description("print the exports that point AWS tools at the running instance")).action(
  (opts: Record<string, unknown>) => {
    const { dataDir } = readCommonSettings(opts);
    const info = readInstanceInfo(dataDir);
    if (!info) {
      process.stderr.write(`berth: no running instance uses ${dataDir}. Start one with \`berth up\`.\n`);
      process.exit(1);
    }
    process.stdout.write(exportLines(info) + "\n");
  },
);

program
  .command("logs")
  .description("print a task's (or a service's tasks') awslogs output, like docker logs")
  .argument("[task]", "a task id or ARN")
  .option("--service <name>", "every task of this service (running and recently stopped)")
  .option("--cluster <name>", "the cluster", "default")
  .option("-f, --follow", "keep printing new lines (and a service's new tasks)", false)
  .option("--since <when>", "only lines newer than this: 10m, 2h, 1d, or a date")
  .option("--container <name>", "only this container's lines")
  .option("--data-dir <dir>", "the running instance's data directory, for its endpoint and keys (BERTH_DATA_DIR)", process.env["BERTH_DATA_DIR"] ?? join(homedir(), ".berth"))
  .action((task: string | undefined, opts: Record<string, unknown>) =>
    runLogs(task, {
      cluster: String(opts["cluster"]),
      follow: opts["follow"] === true,
      dataDir: String(opts["dataDir"]),
      ...(typeof opts["service"] === "string" ? { service: opts["service"] } : {}),
      ...(typeof opts["since"] === "string" ? { since: opts["since"] } : {}),
      ...(typeof opts["container"] === "string" ? { container: opts["container"] } : {}),
    }),
  );

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`berth: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
