// The service scheduler's decision, as a pure function: the desired state (count,
// deployment configuration, eligible instances) and the actual one (the service's
// live tasks) in, named buckets out. No I/O; service-sync.ts reads the store,
// calls these, and acts on the buckets in one transaction.
//
//   tasks ─ classify (current/outdated, healthy, failed) ─┬─ replace: stop, a new task takes the place
//                                                          ├─ stop:    stop, nothing takes the place
//                                                          ├─ keep
//                                                          └─ place:   how many new tasks (REPLICA) / where (DAEMON)
//
// Words: *current* tasks belong to the PRIMARY deployment and sit where they may
// stay; *outdated* ones belong to an older deployment or to a DRAINING instance;
// *healthy* ones count toward minimumHealthyPercent; *running* ones are RUNNING,
// healthy yet or not — the scheduler keeps both counts at the minimum, so a task
// that is up but not yet counted healthy is never stopped to make way for tasks
// that are not up at all; *occupying* tasks are every live task, including ones
// told to stop that have not reached STOPPED yet — they still hold resources, so
// they count toward maximumPercent; *protected* tasks have scale-in protection
// (UpdateTaskProtection): neither a scale-in nor a rollout stops them until it
// ends, though a failed health check still replaces them.

/** A live task of the service whose desiredStatus is RUNNING. */
export interface ServiceTaskView {
  readonly arn: string;
  /** The PRIMARY deployment's, on an instance it may stay on. */
  readonly current: boolean;
  /** RUNNING, and HEALTHY when its containers have health checks (or, without them, RUNNING long enough to count). */
  readonly healthy: boolean;
  /** RUNNING (healthy or not yet); healthy implies running. */
  readonly running: boolean;
  /** Not yet RUNNING. */
  readonly pending: boolean;
  /** RUNNING but UNHEALTHY past the grace period: it goes whatever the percentages say. */
  readonly failedHealthCheck: boolean;
  /** Larger is older: among outdated tasks, older deployments go first. */
  readonly age: number;
  /** Where it runs (spread on scale-down; the DAEMON's one-per-instance). */
  readonly instanceArn?: string;
  /** Scale-in protection holds: a scale-in passes it over, and a rollout leaves it running until protection ends. */
  readonly protected?: boolean;
}

export interface ReplicaInput {
  readonly desiredCount: number;
  readonly minimumHealthyPercent: number;
  readonly maximumPercent: number;
  readonly tasks: readonly ServiceTaskView[];
  /** Tasks told to stop that have not reached STOPPED. */
  readonly stoppingCount: number;
  /** False while launches are throttled. */
  readonly canLaunch: boolean;
  /** The PRIMARY deployment failed without rollback: launch nothing, replace nothing outdated. */
  readonly frozen: boolean;
}

export interface Buckets<T> {
  /** Stopped so that new tasks take their place (outdated, failed). */
  readonly replace: readonly T[];
  /** Stopped for good (excess after a scale-down, duplicates, ineligible hosts). */
  readonly stop: readonly T[];
  readonly keep: readonly T[];
}

export interface ReplicaPlan extends Buckets<ServiceTaskView> {
  readonly place: number;
  readonly minimumHealthy: number;
  readonly maximumOccupying: number;
}

/** minimumHealthyPercent of the desired count, rounded up (ECS's rounding). */
export const minimumHealthy = (desired: number, percent: number): number => Math.ceil((desired * percent) / 100);
/** maximumPercent of the desired count, rounded down (ECS's rounding). */
export const maximumOccupying = (desired: number, percent: number): number => Math.floor((desired * percent) / 100);

/** Least useful first: pending, then running but not yet healthy, then healthy; within each, from the most crowded instance. */
function byUsefulness(tasks: readonly ServiceTaskView[]): ServiceTaskView[] {
  const perInstance = new Map<string, number>();
  for (const t of tasks) perInstance.set(t.instanceArn ?? "", (perInstance.get(t.instanceArn ?? "") ?? 0) + 1);
  const rank = (t: ServiceTaskView): number => (t.healthy ? 2 : t.running ? 1 : 0);
  return [...tasks].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (perInstance.get(b.instanceArn ?? "") ?? 0) - (perInstance.get(a.instanceArn ?? "") ?? 0) ||
      (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0),
  );
}

/** Outdated tasks in the order they go: not running, then running but not healthy, then healthy; oldest deployment first. */
function byRetirement(tasks: readonly ServiceTaskView[]): ServiceTaskView[] {
  const rank = (t: ServiceTaskView): number => (t.healthy ? 2 : t.running ? 1 : 0);
  return [...tasks].sort((a, b) => rank(a) - rank(b) || b.age - a.age || (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
}

/**
 * One step of a REPLICA service.
 * Invariant: replace, stop and keep partition `tasks`.
 * Invariant: healthy tasks kept ≥ min(healthy tasks before, minimumHealthy), and the same for running tasks — the step
 *   never takes the service below minimumHealthyPercent by its own hand (failed tasks never count).
 * Invariant: place > 0 only when occupying + place ≤ maximumOccupying.
 * Invariant: a protected task is stopped only for a failed health check.
 */
export function reconcileReplica(input: ReplicaInput): ReplicaPlan {
  const desired = Math.max(0, input.desiredCount);
  const minHealthy = minimumHealthy(desired, input.minimumHealthyPercent);
  const maxOccupying = maximumOccupying(desired, input.maximumPercent);
  const replace: ServiceTaskView[] = input.tasks.filter((t) => t.failedHealthCheck);
  const stop: ServiceTaskView[] = [];
  const keep: ServiceTaskView[] = [];
  const rest = input.tasks.filter((t) => !t.failedHealthCheck);
  let healthy = rest.filter((t) => t.healthy).length;
  let running = rest.filter((t) => t.running).length;

  // Scale-down: current tasks beyond the desired count, least useful first. Protected ones are passed over;
  // the next in line then may be more useful than the one skipped, so it goes only while the minimum holds
  // (without protection the least useful go first and the minimum always holds).
  const current = byUsefulness(rest.filter((t) => t.current));
  let excess = Math.max(0, current.length - desired);
  for (const t of current) {
    if (excess > 0 && !t.protected && (!t.healthy || healthy - 1 >= minHealthy) && (!t.running || running - 1 >= minHealthy)) {
      stop.push(t);
      excess--;
      if (t.healthy) healthy--;
      if (t.running) running--;
    } else keep.push(t);
  }
  const keptCurrent = current.length - stop.length;

  // Rollout: outdated tasks go while the healthy and running counts stay at or above the minimum; protected ones stay.
  for (const t of byRetirement(rest.filter((t) => !t.current))) {
    if (input.frozen || t.protected) keep.push(t);
    else if (!t.running) replace.push(t);
    else if (running - 1 >= minHealthy && (!t.healthy || healthy - 1 >= minHealthy)) {
      replace.push(t);
      running--;
      if (t.healthy) healthy--;
    } else keep.push(t);
  }

  // New tasks: what the desired count lacks, within maximumPercent of everything that still holds resources.
  const occupying = input.tasks.length + input.stoppingCount;
  const place = input.canLaunch && !input.frozen ? Math.max(0, Math.min(desired - keptCurrent, maxOccupying - occupying)) : 0;
  return { place, replace, stop, keep, minimumHealthy: minHealthy, maximumOccupying: maxOccupying };
}

/** A container instance as the DAEMON scheduler sees it. */
export interface DaemonInstance {
  readonly arn: string;
  /** ACTIVE, connected, of a launch type the service runs, meeting its constraints. */
  readonly eligible: boolean;
  /** Not eligible only because its agent is away: its tasks stay until the host is declared lost. */
  readonly hold: boolean;
  /** It still has a task of the service that was told to stop. */
  readonly stopping: boolean;
}

export interface DaemonInput {
  readonly instances: readonly DaemonInstance[];
  /** The service's live tasks whose desiredStatus is RUNNING, each with its instance. */
  readonly tasks: readonly ServiceTaskView[];
  readonly minimumHealthyPercent: number;
  readonly canLaunch: boolean;
  readonly frozen: boolean;
}

export interface DaemonPlan extends Buckets<ServiceTaskView> {
  /** Instances that get a new task, one each. */
  readonly place: readonly string[];
  /** The DAEMON's desired count: one per eligible instance. */
  readonly desiredCount: number;
}

/**
 * One step of a DAEMON service: one current task per eligible instance.
 * Invariant: replace, stop and keep partition `tasks`; `place` names eligible instances holding no live task of the
 *   service (a new task waits until the old one on its instance has STOPPED: maximumPercent is 100).
 * Invariant: outdated tasks are replaced only while minimumHealthyPercent of the eligible instances stays healthy (and running).
 */
export function reconcileDaemon(input: DaemonInput): DaemonPlan {
  const byArn = new Map(input.instances.map((i) => [i.arn, i]));
  const eligible = input.instances.filter((i) => i.eligible);
  const minHealthy = minimumHealthy(eligible.length, input.minimumHealthyPercent);
  const replace: ServiceTaskView[] = [];
  const stop: ServiceTaskView[] = [];
  const keep: ServiceTaskView[] = [];
  const onInstance = new Map<string, ServiceTaskView[]>();
  for (const t of input.tasks) {
    const instance = t.instanceArn ? byArn.get(t.instanceArn) : undefined;
    if (!instance?.eligible) {
      // A host that is merely out of touch keeps its task until it is declared lost.
      if (instance?.hold) keep.push(t);
      else stop.push(t);
      continue;
    }
    if (t.failedHealthCheck) {
      replace.push(t);
      continue;
    }
    const list = onInstance.get(instance.arn) ?? [];
    list.push(t);
    onInstance.set(instance.arn, list);
  }
  // Health is counted per instance: a duplicate, or an outdated task beside a healthy one, costs nothing.
  const remaining = new Map<string, Set<ServiceTaskView>>();
  const retire: ServiceTaskView[] = [];
  for (const [arn, tasks] of onInstance) {
    // The best current task stays; another current task on the instance is a duplicate.
    const currentBest = byUsefulness(tasks.filter((t) => t.current)).reverse()[0];
    const left = new Set<ServiceTaskView>();
    for (const t of tasks) {
      if (t === currentBest) {
        keep.push(t);
        left.add(t);
      } else if (t.current) stop.push(t);
      else {
        retire.push(t);
        left.add(t);
      }
    }
    remaining.set(arn, left);
  }
  const count = (has: (t: ServiceTaskView) => boolean): number => [...remaining.values()].filter((left) => [...left].some(has)).length;
  let healthyInstances = count((t) => t.healthy);
  let runningInstances = count((t) => t.running);
  for (const t of byRetirement(retire)) {
    const left = remaining.get(t.instanceArn!)!;
    const costsHealth = t.healthy && ![...left].some((o) => o !== t && o.healthy);
    const costsRunning = t.running && ![...left].some((o) => o !== t && o.running);
    if (input.frozen) keep.push(t);
    else if ((!costsHealth || healthyInstances - 1 >= minHealthy) && (!costsRunning || runningInstances - 1 >= minHealthy)) {
      replace.push(t);
      left.delete(t);
      if (costsHealth) healthyInstances--;
      if (costsRunning) runningInstances--;
    } else keep.push(t);
  }
  const occupied = new Set(input.tasks.flatMap((t) => (t.instanceArn ? [t.instanceArn] : [])));
  const place =
    input.canLaunch && !input.frozen ? eligible.filter((i) => !occupied.has(i.arn) && !i.stopping).map((i) => i.arn) : [];
  return { place, replace, stop, keep, desiredCount: eligible.length };
}
