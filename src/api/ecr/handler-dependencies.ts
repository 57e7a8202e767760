// What the ECR handlers are given, and the helpers every operation shares:
// the registry id check, the repository lookup with its access check, and the
// Repository shape ECR returns.

import type { Handlers, RequestContext } from "../../edge/json-protocol.js";
import type { Operations, Repository } from "../../model/generated/ecr.js";
import { requireAccess } from "../../registry/access.js";
import type { TokenKey } from "../../registry/auth-token.js";
import type { Registry } from "../../registry/registry.js";
import type { RegistryTx, RepositoryRecord } from "../../store/registry-store.js";
import { ecrErrors } from "./errors.js";

/** The background work handlers start: lifecycle evaluation and image scans. */
export interface EcrJobs {
  /** Evaluates the repository's lifecycle policy soon (after a push, after PutLifecyclePolicy). */
  lifecycleSoon(repository: string): void;
  /** Records an IN_PROGRESS scan and runs it in the background; resolves once it is recorded. */
  scan(repository: string, digest: string): Promise<void>;
}

export interface EcrDeps {
  readonly registry: Registry;
  readonly tokenKey: TokenKey;
  readonly accountId: string;
  readonly jobs: EcrJobs;
}

export type EcrHandlers = Handlers<Operations>;

/** ECR serves one registry per account: another registry id names nothing here. */
export function checkRegistryId(deps: EcrDeps, registryId: string | undefined, repositoryName?: string): void {
  if (registryId === undefined || registryId === deps.accountId) return;
  throw ecrErrors.repositoryNotFound(
    `The repository with name '${repositoryName ?? ""}' does not exist in the registry with id '${registryId}'`,
  );
}

/** The repository, after the registry id and the caller's access to `action` are checked. */
export async function repositoryFor(
  deps: EcrDeps,
  tx: RegistryTx,
  ctx: RequestContext,
  input: { readonly registryId?: string; readonly repositoryName: string },
  action: string,
  lock?: "share" | "update",
): Promise<RepositoryRecord> {
  checkRegistryId(deps, input.registryId, input.repositoryName);
  const repo = await deps.registry.requireRepository(tx, deps.registry.pathOf(ctx.region, input.repositoryName), lock);
  requireAccess(ctx.principal, deps.accountId, repo, action);
  return repo;
}

export function presentRepository(deps: EcrDeps, r: RepositoryRecord): Repository {
  return {
    repositoryArn: r.arn,
    registryId: deps.accountId,
    repositoryName: r.name,
    repositoryUri: deps.registry.repositoryUri(r.path),
    createdAt: r.createdAt,
    imageTagMutability: r.imageTagMutability,
    ...(r.imageTagMutabilityExclusionFilters ? { imageTagMutabilityExclusionFilters: r.imageTagMutabilityExclusionFilters } : {}),
    imageScanningConfiguration: { scanOnPush: r.scanOnPush },
    encryptionConfiguration: r.encryptionConfiguration,
  };
}
