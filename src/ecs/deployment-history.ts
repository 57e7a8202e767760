// How much of a service's deployment history is kept. The deployments still
// rolling out or holding tasks (PRIMARY, ACTIVE) always stay; of the finished
// (INACTIVE) ones, the newest `inactiveDeploymentsKept`, and any a kept one still
// needs. Pure: deploy() (service-deployments.ts) applies it as each new deployment
// is written, in the same transaction.

import type { StoredDeployment } from "../store/service-store.js";

/**
 * Finished deployments kept per service. ECS keeps 90 days of service deployments
 * (ListServiceDeployments, the console's history): 100 covers that window for a service
 * deployed once a day, fits in one ListServiceDeployments page at its largest
 * (maxResults 100), and matches the 100 events DescribeServices shows. A deployment
 * and its revision are a few KB, so a service's history stays under a megabyte however
 * often it is deployed.
 */
export const inactiveDeploymentsKept = 100;

/** What a service forgets of its history. */
export interface ForgottenHistory {
  /** Deployment ids. */
  readonly deployments: readonly string[];
  /** Service revision ARNs that no kept deployment names. */
  readonly revisions: readonly string[];
}

const newestFirst = (a: StoredDeployment, b: StoredDeployment): number =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** The revisions a deployment names: its own, what it replaced, what it rolled back to. */
function revisionsNamedBy(d: StoredDeployment): string[] {
  const sd = d.serviceDeployment;
  return [d.serviceRevisionArn, ...sd.sourceServiceRevisions.flatMap((s) => (s.arn ? [s.arn] : [])), ...(sd.rollback?.serviceRevisionArn ? [sd.rollback.serviceRevisionArn] : [])];
}

/**
 * Which of a service's deployments (all of them, INACTIVE ones included) and revisions
 * go. Invariant: PRIMARY and ACTIVE deployments stay, and so do the newest COMPLETED one
 * other than the PRIMARY (where a circuit-breaker rollback returns to) and the one a
 * rolling-back PRIMARY rolls back from, however old.
 */
export function historyToForget(history: readonly StoredDeployment[], keep = inactiveDeploymentsKept): ForgottenHistory {
  const sorted = [...history].sort(newestFirst);
  const primary = sorted.find((d) => d.status === "PRIMARY");
  const needed = new Set<string>();
  const rollbackTarget = sorted.find((d) => d.rolloutState === "COMPLETED" && d.id !== primary?.id);
  if (rollbackTarget) needed.add(rollbackTarget.id);
  for (const d of sorted) if (d.status !== "INACTIVE" && d.rollbackOf) needed.add(d.rollbackOf);
  const kept: StoredDeployment[] = [];
  const gone: StoredDeployment[] = [];
  let inactive = 0;
  for (const d of sorted) {
    const stays = d.status !== "INACTIVE" || inactive++ < keep || needed.has(d.id);
    (stays ? kept : gone).push(d);
  }
  const stillNamed = new Set(kept.flatMap(revisionsNamedBy));
  return {
    deployments: gone.map((d) => d.id),
    revisions: [...new Set(gone.flatMap(revisionsNamedBy))].filter((arn) => !stillNamed.has(arn)),
  };
}
