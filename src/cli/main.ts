#!/usr/bin/env node
// The berth command: up (everything on one machine), server (control plane only),
// agent (one host's agent), env (the exports for the running instance).

// Each command loads its own code when it runs (`berth agent` never loads the
// control plane, `berth server` never loads the agent), so a process holds only
// what its command uses.

// `berth logs` uses the AWS SDK: its Node version notice is not the user's concern.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";

import { homedir } from "node:os";
import { join } from "node:path";
import { Command, Option } from "commander";
import { pullBehaviors, type PullBehavior } from "../agent/image-pull.js";
import { exportLines, readInstanceInfo } from "./instance-file.js";
import { readCommonSettings, withCommonOptions } from "./settings.js";

/** The ECS agent's ECS_IMAGE_PULL_BEHAVIOR, as a flag with that variable as its fallback. */
const imagePullBehaviorOption = (): Option =>
  new Option("--image-pull-behavior <behavior>", "when the agent pulls a task's image")
    .choices(pullBehaviors)
    .env("ECS_IMAGE_PULL_BEHAVIOR")
    .default("default");

const program = new Command("berth").description("Amazon ECS without AWS.").showHelpAfterError();

withCommonOptions(program.command("up").description("run everything on this machine: control plane, registry, logs, and a local agent"))
  .option("--metadata-port <port>", "the local agent's task metadata endpoint port", "51679")
  .option("--awsvpc-subnet <cidr>", "the local agent's awsvpc subnet (default: a free /24 in 10.213.0.0/16)")
  .addOption(imagePullBehaviorOption())
  .action(async (opts: Record<string, unknown>) => {
    const { serve } = await import("./serve-command.js");
    await serve(
      {
        ...readCommonSettings(opts),
        agent: {
          metadataPort: Number(opts["metadataPort"]),
          ...(typeof opts["awsvpcSubnet"] === "string" ? { awsvpcSubnet: opts["awsvpcSubnet"] } : {}),
          imagePullBehavior: opts["imagePullBehavior"] as PullBehavior,
        },
      },
      "(all in one)",
      true,
    );
  });

withCommonOptions(program.command("server").description("run the control plane only; agents join it with `berth agent`")).action(
  async (opts: Record<string, unknown>) => {
    const { serve } = await import("./serve-command.js");
    await serve({ ...readCommonSettings(opts), agent: {} }, "control plane", false);
  },
);

const collect = (value: string, previous: string[]): string[] => [...previous, value];

program
  .command("agent")
  .description("run one host's agent: it joins a control plane and runs tasks on this host's Docker Engine")
  .requiredOption("--server <url>", "the control plane's endpoint (BERTH_SERVER)", process.env["BERTH_SERVER"])
  .requiredOption("--token <token>", "the join token `berth server` printed (BERTH_AGENT_TOKEN)", process.env["BERTH_AGENT_TOKEN"])
  .option("--cluster <name>", "the cluster to join", "default")
  .option("--region <region>", "the region the agent and its cluster belong to (BERTH_REGION; default: the control plane's)", process.env["BERTH_REGION"])
  .option("--data-dir <dir>", "where the agent keeps its identity (BERTH_AGENT_DATA_DIR)", process.env["BERTH_AGENT_DATA_DIR"] ?? join(homedir(), ".berth-agent"))
  .option("--attribute <name=value>", "a custom attribute (repeatable)", collect, [])
  .option("--launch-types <list>", "launch types this host serves: EC2, FARGATE, EXTERNAL (comma-separated)", "EC2")
  .option("--instance-type <type>", "ecs.instance-type", "berth")
  .option("--availability-zone <zone>", "ecs.availability-zone")
  .option("--awsvpc-subnet <cidr>", "the subnet of this host's awsvpc network (default: a /24 in 10.213.0.0/16)")
  .option("--metadata-port <port>", "the task metadata endpoint's port", "51679")
  .option("--memory-reserve <mib>", "memory kept back for the host, in MiB", "0")
  .addOption(imagePullBehaviorOption())
  .action(async (opts: Record<string, string | string[] | undefined>) => {
    const { runAgent } = await import("./agent-command.js");
    await runAgent({
      server: String(opts["server"]),
      token: String(opts["token"]),
      cluster: String(opts["cluster"]),
      ...(opts["region"] ? { region: String(opts["region"]) } : {}),
      dataDir: String(opts["dataDir"]),
      attribute: opts["attribute"] as string[],
      launchTypes: String(opts["launchTypes"]),
      instanceType: String(opts["instanceType"]),
      ...(opts["availabilityZone"] ? { availabilityZone: String(opts["availabilityZone"]) } : {}),
      ...(opts["awsvpcSubnet"] ? { awsvpcSubnet: String(opts["awsvpcSubnet"]) } : {}),
      metadataPort: Number(opts["metadataPort"]),
      memoryReserveMiB: Number(opts["memoryReserve"]),
      imagePullBehavior: opts["imagePullBehavior"] as PullBehavior,
    });
  });

const vulndb = program.command("vulndb").description("the vulnerability feed image scans match against");
withCommonOptions(vulndb.command("import").argument("<files...>", "OSV files (JSON, JSON lines) or folders of them"))
  .description("load OSV-format vulnerability records into the store image scans read")
  .action(async (files: string[], opts: Record<string, unknown>) => {
    const settings = readCommonSettings(opts);
    const [{ openStore }, { importVulnDb }] = await Promise.all([import("../store/open-store.js"), import("../registry/vulndb.js")]);
    const store = await openStore(settings.store, settings.dataDir, settings.region);
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
  .action(async (task: string | undefined, opts: Record<string, unknown>) => {
    const { runLogs } = await import("./logs-command.js");
    await runLogs(task, {
      cluster: String(opts["cluster"]),
      follow: opts["follow"] === true,
      dataDir: String(opts["dataDir"]),
      ...(typeof opts["service"] === "string" ? { service: opts["service"] } : {}),
      ...(typeof opts["since"] === "string" ? { since: opts["since"] } : {}),
      ...(typeof opts["container"] === "string" ? { container: opts["container"] } : {}),
    });
  });

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`berth: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
