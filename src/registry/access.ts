// Who may do what to a repository: the caller's principal against the
// repository's policy (see policy.ts for the rules). Shared by /v2/ and the ECR API.

import type { Principal } from "../edge/access-keys.js";
import type { RepositoryRecord } from "../store/registry-store.js";
import { registryErrors } from "./errors.js";
import { decideAccess, parseRepositoryPolicy, PolicyError, type RepositoryPolicy } from "./policy.js";

export interface Caller {
  readonly principal: Principal;
  /** A token limited to one blob (ECR download URLs): "blob:<repository>@<digest>". */
  readonly scope?: string;
}

function storedPolicy(repo: RepositoryRecord): RepositoryPolicy | undefined {
  if (repo.policy === undefined) return undefined;
  try {
    return parseRepositoryPolicy(repo.policy);
  } catch (err) {
    // Policies are validated when set; one that no longer parses grants nothing.
    if (err instanceof PolicyError) return { statements: [] };
    throw err;
  }
}

export function isAllowed(principal: Principal, accountId: string, repo: RepositoryRecord, action: string): boolean {
  return decideAccess({ caller: principal, registryAccountId: accountId, action, ...optionalPolicy(repo) }).allowed;
}

function optionalPolicy(repo: RepositoryRecord): { policy?: RepositoryPolicy } {
  const policy = storedPolicy(repo);
  return policy ? { policy } : {};
}

/** Throws DENIED unless the principal may perform every one of `actions` on the repository. */
export function requireAccess(principal: Principal, accountId: string, repo: RepositoryRecord, ...actions: string[]): void {
  for (const action of actions) {
    const decision = decideAccess({ caller: principal, registryAccountId: accountId, action, ...optionalPolicy(repo) });
    if (!decision.allowed) {
      throw registryErrors.denied(`User: ${principal.arn} is not authorized to perform: ${action} on resource: ${repo.arn} (${decision.reason})`);
    }
  }
}

/** Throws DENIED unless the principal may perform at least one of `actions`. */
export function requireAnyAccess(principal: Principal, accountId: string, repo: RepositoryRecord, actions: readonly [string, ...string[]]): void {
  if (actions.some((a) => isAllowed(principal, accountId, repo, a))) return;
  requireAccess(principal, accountId, repo, actions[0]);
}
