// `berth agent`: one host's agent joining a control plane, on this host's Docker Engine.

import { setFlagsFromString } from "node:v8";
import type { RunningAgent } from "../agent/agent.js";
import type { PullBehavior } from "../agent/image-pull.js";

export interface AgentCommandOptions {
  readonly server: string;
  readonly token: string;
  readonly cluster: string;
  /** The region the agent belongs to; default: the control plane's. */
  readonly region?: string;
  readonly dataDir: string;
  /** `name=value` each. */
  readonly attribute: readonly string[];
  /** Comma-separated. */
  readonly launchTypes: string;
  readonly instanceType: string;
  readonly availabilityZone?: string;
  readonly awsvpcSubnet?: string;
  readonly metadataPort: number;
  readonly memoryReserveMiB: number;
  readonly imagePullBehavior: PullBehavior;
}

export async function runAgent(opts: AgentCommandOptions): Promise<void> {
  const attributes = Object.fromEntries(
    opts.attribute.map((a) => {
      const eq = a.indexOf("=");
      if (eq <= 0) throw new Error(`--attribute takes name=value, not '${a}'.`);
      return [a.slice(0, eq), a.slice(eq + 1)];
    }),
  );
  const launchTypes = opts.launchTypes.split(",").map((t) => t.trim().toUpperCase());
  for (const t of launchTypes) if (!["EC2", "FARGATE", "EXTERNAL"].includes(t)) throw new Error(`unknown launch type '${t}'.`);
  // Loading the agent's modules makes a few of Node's own loader functions hot (the
  // lexer that finds a CommonJS module's exports, path resolution) for a moment:
  // optimizing them would keep ~10 MiB (compiler zones, code, a worker's malloc
  // arena) for code that never runs again. So V8's optimizing compiler is off while
  // the agent starts, and on again once it runs.
  setFlagsFromString("--no-turbofan");
  let agent: RunningAgent;
  try {
    const [{ default: pino }, { loadAgentId, startAgent }, { dockerAgentParts }] = await Promise.all([
      import("pino"),
      import("../agent/agent.js"),
      import("../agent/docker-agent.js"),
    ]);
    const logger = pino({ level: process.env["BERTH_LOG_LEVEL"] ?? "info" }, pino.destination(2));
    agent = await startAgent(
      {
        server: opts.server,
        token: opts.token,
        cluster: opts.cluster,
        ...(opts.region ? { region: opts.region } : {}),
        dataDir: opts.dataDir,
        logger,
      },
      dockerAgentParts({
        agentId: loadAgentId(opts.dataDir),
        server: opts.server,
        launchTypes: launchTypes as ("EC2" | "FARGATE" | "EXTERNAL")[],
        attributes,
        instanceType: opts.instanceType,
        ...(opts.availabilityZone ? { availabilityZone: opts.availabilityZone } : {}),
        ...(opts.awsvpcSubnet ? { awsvpcSubnet: opts.awsvpcSubnet } : {}),
        metadataPort: opts.metadataPort,
        memoryReserveMiB: opts.memoryReserveMiB,
        imagePullBehavior: opts.imagePullBehavior,
        logger,
      }),
    );
  } finally {
    setFlagsFromString("--turbofan");
  }
  process.stdout.write(`Berth agent is running: ${agent.containerInstanceArn}\nPress Ctrl-C to stop (running tasks keep running).\n`);
  const stop = (): void => {
    agent.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
