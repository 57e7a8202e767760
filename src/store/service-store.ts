// Services, their deployments, revisions and events, as one transaction sees them;
// plus what the service controller keeps between passes (the ledger of tasks it
// launched, when an instance's agent went away, who holds the controller lease).

import type {
  CapacityProviderStrategyItem,
  DeploymentConfiguration,
  DeploymentRolloutState,
  LaunchType,
  NetworkConfiguration,
  PlacementConstraint,
  PlacementStrategy,
  Rollback,
  SchedulingStrategy,
  Service,
  ServiceDeploymentCircuitBreaker,
  ServiceDeploymentStatus,
  ServiceEvent,
  ServiceRevision,
  ServiceRevisionSummary,
} from "../model/generated/ecs.js";
import type { Page, PageRequest } from "./page.js";

/** What a deployment launches: everything whose change makes a new deployment. */
export interface DeploymentSpec {
  readonly taskDefinition: string;
  readonly launchType?: LaunchType;
  readonly capacityProviderStrategy?: readonly CapacityProviderStrategyItem[];
  readonly platformVersion?: string;
  readonly platformFamily?: string;
  readonly networkConfiguration?: NetworkConfiguration;
  readonly placementConstraints: readonly PlacementConstraint[];
  readonly placementStrategy: readonly PlacementStrategy[];
}

/** Launch throttling after tasks repeatedly fail to start (ECS's service throttle logic). */
export interface LaunchThrottle {
  /** Tasks in a row that stopped without reaching RUNNING. */
  readonly failedStarts: number;
  /** No launch before this moment. */
  readonly nextLaunchAt?: Date;
}

/** A service as stored: the API's Service holding only what users set (counts and deployments are read from their tables). */
export interface StoredService {
  readonly service: Service & {
    readonly serviceArn: string;
    readonly serviceName: string;
    readonly clusterArn: string;
    readonly status: "ACTIVE" | "DRAINING" | "INACTIVE";
    readonly schedulingStrategy: SchedulingStrategy;
  };
  readonly clientToken?: string;
  /** Whether the last pass found the service steady (so "reached a steady state" is said once). */
  readonly steady?: boolean;
  readonly throttle?: LaunchThrottle;
  /** When the service became INACTIVE; housekeeping forgets it an hour later (never, without it). */
  readonly inactiveSince?: Date;
}

/** The ServiceDeployment (ListServiceDeployments' unit) each deployment carries. */
export interface ServiceDeploymentState {
  readonly status: ServiceDeploymentStatus;
  readonly statusReason?: string;
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
  readonly stoppedAt?: Date;
  readonly updatedAt: Date;
  readonly sourceServiceRevisions: readonly ServiceRevisionSummary[];
  readonly deploymentConfiguration: DeploymentConfiguration;
  readonly rollback?: Rollback;
  readonly circuitBreaker: ServiceDeploymentCircuitBreaker;
}

export type DeploymentStatus = "PRIMARY" | "ACTIVE" | "INACTIVE";

/** One deployment (an entry of Service.deployments): a revision and its rollout. */
export interface StoredDeployment {
  /** ecs-svc/<19 digits>; tasks carry it as startedBy. */
  readonly id: string;
  readonly serviceArn: string;
  readonly clusterArn: string;
  readonly serviceDeploymentArn: string;
  readonly serviceRevisionArn: string;
  /** While this deployment is PRIMARY again because a newer one failed: that failed deployment's id. */
  readonly rollbackOf?: string;
  readonly status: DeploymentStatus;
  readonly spec: DeploymentSpec;
  readonly rolloutState: DeploymentRolloutState;
  readonly rolloutStateReason: string;
  readonly failedTasks: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly serviceDeployment: ServiceDeploymentState;
}

export type StopKind = "scheduler" | "health" | "lost";

/** A task a service launched, until its end has been counted. */
export interface ServiceTaskRecord {
  readonly taskArn: string;
  readonly serviceArn: string;
  readonly deploymentId: string;
  readonly settled: boolean;
  readonly ran: boolean;
  readonly stopKind?: StopKind;
  readonly createdAt: Date;
  /** Scale-in protection (UpdateTaskProtection) holds until then; written only by protectServiceTask (a new record has none). */
  readonly protectedUntil?: Date;
}

export interface ServiceQuery extends PageRequest {
  readonly clusterArn: string;
  readonly launchType?: string;
  readonly schedulingStrategy?: string;
}

export interface ServiceDeploymentQuery extends PageRequest {
  readonly serviceArn: string;
  readonly statuses?: readonly string[];
  readonly createdAfter?: Date;
  readonly createdBefore?: Date;
}

export interface ServiceRef {
  readonly arn: string;
  readonly clusterArn: string;
}

export interface ServiceTx {

  // Services.
  insertService(service: StoredService): Promise<void>;
  /** `lock` takes the row lock for the rest of the transaction where the backend can. */
  getService(arn: string, opts?: { readonly lock?: boolean }): Promise<StoredService | undefined>;
  putService(service: StoredService): Promise<void>;
  /** Forgets a service's deployments, revisions, events and task ledger (before its name is reused). */
  clearServiceHistory(serviceArn: string): Promise<void>;
  /**
   * Forgets up to `limit` deleted (INACTIVE) services that became so before the cutoff and
   * that no task short of STOPPED belongs to, with their deployments, revisions, events,
   * task ledger and tags; returns how many.
   */
  forgetServices(before: Date, limit: number): Promise<number>;
  /** ACTIVE and DRAINING services of a cluster, by ARN. */
  listServices(query: ServiceQuery): Promise<Page<StoredService>>;
  /** Every service the controller has work for: ACTIVE and DRAINING ones, in every cluster. */
  servicesToReconcile(): Promise<readonly ServiceRef[]>;

  // Deployments.
  putDeployment(deployment: StoredDeployment): Promise<void>;
  /** The service's deployments, newest first; INACTIVE ones only when asked. */
  deploymentsOf(serviceArn: string, opts?: { readonly includeInactive?: boolean }): Promise<readonly StoredDeployment[]>;
  getDeployment(id: string): Promise<StoredDeployment | undefined>;
  /** The deployment a ServiceDeployment ARN names. */
  findServiceDeployment(serviceDeploymentArn: string): Promise<StoredDeployment | undefined>;
  /** Deployments as ServiceDeployments, newest first. */
  listServiceDeployments(query: ServiceDeploymentQuery): Promise<Page<StoredDeployment>>;
  /** Deletes deployments by id (a service's history past what it keeps). */
  deleteDeployments(ids: readonly string[]): Promise<void>;

  // Revisions.
  putRevision(serviceArn: string, revision: ServiceRevision): Promise<void>;
  getRevision(arn: string): Promise<ServiceRevision | undefined>;
  /** Deletes revisions by ARN. */
  deleteRevisions(arns: readonly string[]): Promise<void>;

  // Events, newest first, at most `keep` per service.
  addServiceEvent(serviceArn: string, event: ServiceEvent, keep: number): Promise<void>;
  serviceEvents(serviceArn: string, limit: number): Promise<readonly ServiceEvent[]>;

  // The ledger of launched tasks.
  trackServiceTask(record: ServiceTaskRecord): Promise<void>;
  /** Writes what the scheduler keeps of a task (settled, ran, stopKind); never its protection. */
  putServiceTask(record: ServiceTaskRecord): Promise<void>;
  /** The record of a task a service launched, settled or not; locks it where the backend can. */
  getServiceTask(taskArn: string): Promise<ServiceTaskRecord | undefined>;
  /** Sets (a time) or clears (undefined) the task's scale-in protection; returns whether the record exists. */
  protectServiceTask(taskArn: string, until: Date | undefined): Promise<boolean>;
  unsettledServiceTasks(serviceArn: string): Promise<readonly ServiceTaskRecord[]>;
  /** Drops settled records created before the cutoff; returns how many. */
  pruneServiceTasks(before: Date): Promise<number>;

  // Instance liveness.
  disconnectedSince(instanceArn: string): Promise<Date | undefined>;
  setDisconnectedSince(instanceArn: string, since: Date | undefined): Promise<void>;

  // The controller lease: one holder at a time runs the controllers.
  /** Takes or renews the lease unless another holder's is still valid; returns whether `holder` holds it. */
  acquireLease(name: string, holder: string, now: Date, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
}
