// Assembles the control plane: store, key ring, task hooks, APIs,
// controllers, edge. `berth up` and `berth server` start it; tests start it
// in-process on a free port. The task hooks are wired here: after a transaction
// that changed tasks commits, the agent hub pushes the instances concerned and
// the service controller hears of its services' tasks.

import pino, { type Logger } from "pino";
import { ecrSubsystem } from "./api/ecr/index.js";
import { ecsSubsystem } from "./api/ecs/index.js";
import { logsSubsystem } from "./api/logs/index.js";
import { stsSubsystem } from "./api/sts/index.js";
import type { Subsystem, SubsystemDeps } from "./subsystem.js";
import { systemClock, type Clock } from "./clock.js";
import { loadRootKey, StaticKeyRing, type Principal } from "./edge/access-keys.js";
import { loadAgentKeys } from "./edge/agent-keys.js";
import { AgentHub } from "./controllers/agent-hub.js";
import { ServiceController } from "./controllers/service-controller.js";
import { housekeepingSubsystem } from "./controllers/housekeeping.js";
import { instancesToTell, TaskHooks } from "./ecs/task-hooks.js";
import { startEdge, type Edge } from "./edge/server.js";
import { lockDataDir } from "./store/data-dir-lock.js";
import { openStore } from "./store/open-store.js";
import type { Store } from "./store/store.js";

export interface ControlPlaneOptions {
  readonly host?: string;
  readonly port: number;
  readonly dataDir: string;
  /** A postgres:// URL, or a SQLite file path; default: berth.db in the data directory. */
  readonly store?: string;
  readonly accountId: string;
  readonly region: string;
  readonly rootAccessKeyId?: string;
  readonly rootSecretAccessKey?: string;
  /** The token agents join with; default: one kept in the data directory. */
  readonly agentToken?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface ControlPlane {
  readonly edge: Edge;
  readonly store: Store;
  readonly root: Principal;
  /** What `berth agent --token` takes. */
  readonly agentToken: string;
  stop(): Promise<void>;
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const logger = opts.logger ?? pino({ level: process.env["BERTH_LOG_LEVEL"] ?? "info" }, pino.destination(2));
  const dataDirLock = lockDataDir(opts.dataDir);
  const store = await openStore(opts.store, opts.dataDir, opts.region);
  const root = loadRootKey({
    dataDir: opts.dataDir,
    accountId: opts.accountId,
    ...(opts.rootAccessKeyId ? { presetAccessKeyId: opts.rootAccessKeyId } : {}),
    ...(opts.rootSecretAccessKey ? { presetSecretAccessKey: opts.rootSecretAccessKey } : {}),
  });
  const agentKeys = loadAgentKeys(opts.dataDir, opts.accountId, opts.agentToken);
  const keys = new StaticKeyRing([root, agentKeys.principal]);
  const clock = opts.clock ?? systemClock;
  let publicHost = "";
  const deps: SubsystemDeps = {
    store,
    clock,
    logger,
    dataDir: opts.dataDir,
    accountId: opts.accountId,
    region: opts.region,
    keys,
    publicHost: () => publicHost,
  };
  const hooks = new TaskHooks(store, (err) => logger.error({ err }, "a task hook subscriber failed"));
  const hub = new AgentHub({ store, hooks, clock, logger, keys: agentKeys, region: opts.region, accountId: opts.accountId });
  hooks.subscribe((batch) => {
    const instances = instancesToTell(batch);
    if (instances.length > 0) hub.tasksChanged(instances);
  });
  const services = new ServiceController({ store, hooks, clock, logger: logger.child({ component: "service-controller" }) });
  const subsystems: Subsystem[] = [
    hub.subsystem(),
    ecsSubsystem(deps, { hooks, serviceScheduler: services }),
    services.subsystem(),
    housekeepingSubsystem({ store, hooks, clock, logger }),
    ecrSubsystem(deps),
    logsSubsystem(deps),
    stsSubsystem(),
  ];
  let edge: Edge;
  try {
    edge = await startEdge({
      host: opts.host ?? "0.0.0.0",
      port: opts.port,
      accountId: opts.accountId,
      keys,
      apis: subsystems.flatMap((s) => s.apis ?? []),
      routes: subsystems.flatMap((s) => s.routes ?? []),
      upgrades: subsystems.flatMap((s) => s.upgrades ?? []),
      clock,
      logger,
    });
  } catch (err) {
    await store.close();
    dataDirLock.release();
    throw err;
  }
  publicHost = new URL(edge.url).host;
  for (const subsystem of subsystems) subsystem.start?.();
  return {
    edge,
    store,
    root,
    agentToken: agentKeys.token,
    async stop() {
      await edge.close();
      for (const subsystem of subsystems) await subsystem.stop?.();
      await store.close();
      dataDirLock.release();
    },
  };
}
