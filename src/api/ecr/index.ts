// ECR (AmazonEC2ContainerRegistry_V20150921) on the edge, and the registry
// behind it: the JSON API, the OCI Distribution route under /v2/, and the
// background work (lifecycle policies, scans, garbage collection).

import { mkdirSync } from "node:fs";
import type { Subsystem, SubsystemDeps } from "../../subsystem.js";
import { defineApi, type ServedApi } from "../../edge/json-protocol.js";
import type { Operations } from "../../model/generated/ecr.js";
import { ApiModel } from "../../model/api-model.js";
import { TokenKey } from "../../registry/auth-token.js";
import { collectGarbage, defaultGraceMs, defaultUploadTimeoutMs } from "../../registry/gc.js";
import { applyLifecycle } from "../../registry/lifecycle-runner.js";
import { ociRoute } from "../../registry/oci-route.js";
import { Registry, registryDir } from "../../registry/registry.js";
import { runScan } from "../../registry/scanner.js";
import { authHandlers } from "./auth.js";
import type { EcrDeps, EcrJobs } from "./handler-dependencies.js";
import { withEcrErrors } from "./errors.js";
import { imageHandlers } from "./images.js";
import { layerHandlers } from "./layers.js";
import { lifecycleHandlers } from "./lifecycle-policies.js";
import { policyHandlers } from "./policies.js";
import { repositoryHandlers } from "./repositories.js";
import { scanningHandlers } from "./scanning.js";

export const ecrModel = ApiModel.load("ecr");

export interface EcrAreaOptions {
  /** How often garbage collection runs (default hourly; the first pass a minute after start). */
  readonly gcIntervalMs?: number;
  readonly gcGraceMs?: number;
  readonly uploadTimeoutMs?: number;
  /** How often every lifecycle policy is applied, besides after each push (default 15 minutes). */
  readonly lifecycleIntervalMs?: number;
  /** Scans running at once. */
  readonly scanConcurrency?: number;
}

export function ecrService(deps: EcrDeps): ServedApi {
  return defineApi<Operations>(
    ecrModel,
    withEcrErrors({
      ...authHandlers(deps),
      ...repositoryHandlers(deps),
      ...imageHandlers(deps),
      ...layerHandlers(deps),
      ...policyHandlers(deps),
      ...lifecycleHandlers(deps),
      ...scanningHandlers(deps),
    }),
  );
}

/** Background work that stop() waits for: lifecycle runs one repository at a time, scans a few at once. */
class BackgroundJobs implements EcrJobs {
  private readonly running = new Set<Promise<void>>();
  private readonly lifecycleQueue = new Set<string>();
  private lifecycleWorker: Promise<void> | undefined;
  private readonly scanQueue: (() => Promise<void>)[] = [];
  private scansRunning = 0;
  private stopped = false;

  constructor(
    private readonly registry: Registry,
    private readonly scanConcurrency: number,
  ) {}

  private track(p: Promise<void>): Promise<void> {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
    return p;
  }

  lifecycleSoon(repository: string): void {
    if (this.stopped) return;
    this.lifecycleQueue.add(repository);
    if (this.lifecycleWorker) return;
    this.lifecycleWorker = this.track(
      (async () => {
        while (this.lifecycleQueue.size > 0 && !this.stopped) {
          const next = this.lifecycleQueue.values().next().value as string;
          this.lifecycleQueue.delete(next);
          try {
            await applyLifecycle(this.registry, next);
          } catch (err) {
            this.registry.deps.logger.error({ err, repository: next }, "lifecycle evaluation failed");
          }
        }
        this.lifecycleWorker = undefined;
      })(),
    );
  }

  /** Records the scan as IN_PROGRESS and queues it; resolves once it is recorded, not when it finishes. */
  async scan(repository: string, digest: string): Promise<void> {
    if (this.stopped) return;
    const startedAt = this.registry.now();
    await this.registry.store.registry.tx((tx) => tx.putScan({ repository, digest, status: "IN_PROGRESS", startedAt }));
    // A scan still queued at stop() is dropped; its record stays IN_PROGRESS until StartImageScan runs it again.
    this.scanQueue.push(() => runScan(this.registry, repository, digest));
    this.pumpScans();
  }

  private pumpScans(): void {
    while (this.scansRunning < this.scanConcurrency && this.scanQueue.length > 0 && !this.stopped) {
      const job = this.scanQueue.shift()!;
      this.scansRunning++;
      void this.track(
        job().finally(() => {
          this.scansRunning--;
          this.pumpScans();
        }),
      );
    }
  }

  run(p: Promise<void>): void {
    void this.track(p);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.scanQueue.length = 0;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}

export function ecrSubsystem(deps: SubsystemDeps, options: EcrAreaOptions = {}): Subsystem {
  const registry = new Registry(deps);
  mkdirSync(registry.blobs.blobsDir, { recursive: true });
  mkdirSync(registry.blobs.uploadsDir, { recursive: true });
  const tokenKey = TokenKey.load(registryDir(deps.dataDir));
  const jobs = new BackgroundJobs(registry, options.scanConcurrency ?? 2);
  const ecrDeps: EcrDeps = { registry, tokenKey, accountId: deps.accountId, jobs };
  const log = deps.logger;

  registry.onPush((event) => {
    jobs.run(
      (async () => {
        const repo = await registry.getRepository(event.repository);
        if (!repo) return;
        if (repo.scanOnPush && event.created) await jobs.scan(event.repository, event.digest);
        if (repo.lifecyclePolicy !== undefined) jobs.lifecycleSoon(event.repository);
      })().catch((err: unknown) => log.error({ err, repository: event.repository }, "after-push work failed")),
    );
  });

  const timers: NodeJS.Timeout[] = [];
  let gcRunning: Promise<void> | undefined;
  const gc = (): void => {
    if (gcRunning) return;
    gcRunning = collectGarbage(registry, { graceMs: options.gcGraceMs ?? defaultGraceMs, uploadTimeoutMs: options.uploadTimeoutMs ?? defaultUploadTimeoutMs })
      .then(
        (report) => {
          if (report.blobsRemoved + report.uploadsRemoved + report.linksDropped > 0) log.info(report, "registry garbage collected");
        },
        (err: unknown) => log.error({ err }, "registry garbage collection failed"),
      )
      .finally(() => (gcRunning = undefined));
    jobs.run(gcRunning);
  };
  const sweepLifecycle = (): void => {
    jobs.run(
      (async () => {
        let after: string | undefined;
        do {
          const page = await registry.store.registry.tx((tx) => tx.listRepositories({ limit: 200, ...(after !== undefined ? { after } : {}) }));
          for (const r of page.items) if (r.lifecyclePolicy !== undefined) jobs.lifecycleSoon(r.path);
          after = page.next;
        } while (after !== undefined);
      })().catch((err: unknown) => log.error({ err }, "lifecycle sweep failed")),
    );
  };

  return {
    apis: [ecrService(ecrDeps)],
    routes: [ociRoute({ registry, keys: deps.keys, tokenKey, logger: deps.logger, accountId: deps.accountId })],
    start() {
      const gcEvery = options.gcIntervalMs ?? 60 * 60 * 1000;
      const lifecycleEvery = options.lifecycleIntervalMs ?? 15 * 60 * 1000;
      // Scans a crash or a stop left IN_PROGRESS run again.
      jobs.run(
        registry.store.registry
          .tx((tx) => tx.scansWithStatus("IN_PROGRESS"))
          .then((pending) => Promise.all(pending.map((p) => jobs.scan(p.repository, p.digest))))
          .then(
            () => undefined,
            (err: unknown) => log.error({ err }, "resuming scans failed"),
          ),
      );
      const first = setTimeout(() => {
        gc();
        sweepLifecycle();
      }, Math.min(60_000, gcEvery));
      timers.push(first, setInterval(gc, gcEvery), setInterval(sweepLifecycle, lifecycleEvery));
      for (const t of timers) t.unref();
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      await jobs.stop();
    },
  };
}
