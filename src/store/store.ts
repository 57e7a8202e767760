// The one persistence interface the control plane uses. Every change runs in a
// transaction (`store.tx`); the SQLite and PostgreSQL backends share one
// implementation (kysely-store.ts) and differ only where their SQL does.
//
// Stored values are the AWS model's own shapes, so what the API returns is what
// was written.

import type {
  CapacityProvider,
  Cluster,
  ContainerInstance,
  Setting,
  Tag,
  Task,
  TaskDefinition,
  TaskDefinitionStatus,
} from "../model/generated/ecs.js";

import type { EncodedDoc } from "../protocol/doc-codec.js";
import type { LogStore } from "./log-store.js";
import type { PageRequest, Page } from "./page.js";
import type { Reservation } from "./task-reservation.js";
import type { RegistryStore } from "./registry-store.js";
import type { ServiceTx } from "./service-store.js";

// What every caller of the store uses, wherever it is defined.
export type { Page, PageRequest } from "./page.js";
export { BadPageKey, UniqueViolation } from "./store-errors.js";

export interface TaskDefinitionQuery extends PageRequest {
  readonly region: string;
  readonly familyPrefix?: string;
  /** One family exactly. */
  readonly family?: string;
  readonly status?: TaskDefinitionStatus;
  readonly descending: boolean;
}

export interface FamilyQuery extends PageRequest {
  readonly region: string;
  readonly familyPrefix?: string;
  readonly status: "ACTIVE" | "INACTIVE" | "ALL";
}

export interface AttributeRow {
  readonly clusterArn: string;
  readonly targetType: string;
  readonly targetId: string;
  readonly name: string;
  readonly value?: string;
}

export interface AttributeQuery extends PageRequest {
  readonly clusterArn: string;
  readonly targetType: string;
  readonly name?: string;
  readonly value?: string;
}

export interface TaskQuery extends PageRequest {
  readonly clusterArn: string;
  readonly containerInstanceArn?: string;
  readonly family?: string;
  readonly startedBy?: string;
  readonly group?: string;
  readonly desiredStatus: "RUNNING" | "PENDING" | "STOPPED";
  readonly launchType?: string;
}

export interface ClusterUsage {
  readonly registeredContainerInstancesCount: number;
  readonly runningTasksCount: number;
  readonly pendingTasksCount: number;
  readonly activeServicesCount: number;
}

/** A container instance with its attributes, as placement reads it. */
export interface InstanceWithAttributes {
  readonly instance: ContainerInstance;
  /** Attribute name → value; null: present without a value. */
  readonly attributes: Readonly<Record<string, string | null>>;
}

/** What placed tasks that have not reached STOPPED hold, and on which instance. */
export interface HeldReservation extends Reservation {
  readonly containerInstanceArn: string;
  /** How many live tasks on the instance hold exactly this. */
  readonly tasks: number;
}

/**
 * Berth's own member of a cluster's or container instance's stored document (a service's
 * is StoredService.inactiveSince): when it became INACTIVE (deleted, deregistered). The API
 * never returns it; housekeeping forgets the resource an hour after it. An INACTIVE
 * document without it is never forgotten.
 */
export interface InactiveSince {
  readonly inactiveSince?: Date;
}

/** What one transaction can read and write. */
export interface Tx {
  /** Services, deployments and service events. */
  readonly services: ServiceTx;

  // Clusters.
  /** Inserts the cluster unless its name is taken; returns whether it did. */
  insertCluster(cluster: Cluster): Promise<boolean>;
  getCluster(arn: string): Promise<Cluster | undefined>;
  putCluster(cluster: Cluster & InactiveSince): Promise<void>;
  /** The region's clusters. */
  listClusterArns(region: string, page: PageRequest): Promise<Page<string>>;
  /** Every region's clusters, in ARN order: for the controllers, which act on every region. */
  listEveryClusterArn(page: PageRequest): Promise<Page<string>>;
  clusterUsage(arn: string): Promise<ClusterUsage>;
  /**
   * Forgets up to `limit` deleted (INACTIVE) clusters that became so before the cutoff and
   * that nothing stored names any more (no service, container instance or task of any
   * status: those are forgotten on their own clocks first), with their tags and what was
   * kept about their instances; returns how many.
   */
  forgetClusters(before: Date, limit: number): Promise<number>;

  // Capacity providers.
  insertCapacityProvider(provider: CapacityProvider): Promise<void>;
  getCapacityProvider(region: string, name: string): Promise<CapacityProvider | undefined>;
  putCapacityProvider(provider: CapacityProvider): Promise<void>;
  deleteCapacityProvider(region: string, name: string): Promise<void>;
  listCapacityProviders(region: string, page: PageRequest): Promise<Page<CapacityProvider>>;

  // Tags, for any resource ARN.
  getTags(arn: string): Promise<readonly Tag[]>;
  putTags(arn: string, tags: readonly Tag[]): Promise<void>;
  deleteTags(arn: string, keys?: readonly string[]): Promise<void>;

  // Task definitions: families and revisions are per region.
  /** The next revision of the region's family; concurrent callers never get the same one. */
  nextRevision(region: string, family: string): Promise<number>;
  insertTaskDefinition(definition: TaskDefinition): Promise<void>;
  /** A revision, or the latest ACTIVE one when `revision` is undefined. */
  getTaskDefinition(region: string, family: string, revision?: number): Promise<TaskDefinition | undefined>;
  /** The same, as its stored text. */
  getTaskDefinitionDoc(region: string, family: string, revision?: number): Promise<EncodedDoc<TaskDefinition> | undefined>;
  putTaskDefinition(definition: TaskDefinition): Promise<void>;
  listTaskDefinitionArns(query: TaskDefinitionQuery): Promise<Page<string>>;
  listTaskDefinitionFamilies(query: FamilyQuery): Promise<Page<string>>;

  // Container instances.
  insertContainerInstance(clusterArn: string, instance: ContainerInstance & InactiveSince): Promise<void>;
  getContainerInstance(clusterArn: string, arn: string): Promise<ContainerInstance | undefined>;
  putContainerInstance(clusterArn: string, instance: ContainerInstance & InactiveSince): Promise<void>;
  deleteContainerInstance(arn: string): Promise<void>;
  /**
   * Forgets up to `limit` deregistered (INACTIVE) container instances that became so before
   * the cutoff and that no task short of STOPPED is placed on (a forced deregistration
   * orphans them), with their attributes, tags and liveness; returns how many.
   */
  forgetContainerInstances(before: Date, limit: number): Promise<number>;
  listContainerInstances(clusterArn: string, page: PageRequest): Promise<Page<ContainerInstance>>;
  /**
   * Every container instance of the cluster with its attributes, in ARN order. Decoded once
   * per change to the cluster's instances or attributes (every such write replaces the
   * cluster's version token in the same transaction) and shared until the next: callers
   * must not modify what they get.
   */
  clusterInstances(clusterArn: string): Promise<readonly InstanceWithAttributes[]>;

  // Attributes (ECS's PutAttributes model), kept per target.
  putAttribute(row: AttributeRow): Promise<void>;
  /** The clusters with a container instance that carries the attribute, in ARN order. */
  clustersWithInstanceAttribute(name: string): Promise<readonly string[]>;
  deleteAttribute(targetId: string, name: string): Promise<boolean>;
  attributesOf(targetId: string): Promise<readonly AttributeRow[]>;
  listAttributes(query: AttributeQuery): Promise<Page<AttributeRow>>;

  // Tasks.
  insertTask(task: Task): Promise<void>;
  /** Locks the row for the rest of the transaction where the backend can. */
  getTask(arn: string): Promise<Task | undefined>;
  /**
   * Up to 100 tasks' documents by ARN for a read, without row locks; an ARN with no
   * task has no entry. Encoded (decodeDoc gives the task), so a reader can keep what
   * it derives from a document until the document changes.
   */
  getTaskDocs(arns: readonly string[]): Promise<ReadonlyMap<string, EncodedDoc<Task>>>;
  putTask(task: Task): Promise<void>;
  listTaskArns(query: TaskQuery): Promise<Page<string>>;
  /** Tasks on an instance that have not reached STOPPED: what holds its resources and what its agent runs. */
  liveTasksOnInstance(containerInstanceArn: string): Promise<readonly Task[]>;
  /** Tasks in a cluster that have not reached STOPPED, placed or not. */
  liveTasksInCluster(clusterArn: string): Promise<readonly Task[]>;
  /**
   * What the placed tasks on the cluster's instances that have not reached STOPPED hold,
   * whatever cluster each task belongs to (a Fargate task of one cluster may run on an
   * instance of another): one entry per instance and distinct reservation, with how many
   * tasks hold it; in no set order, read without decoding or even visiting the tasks.
   */
  liveReservations(clusterArn: string): Promise<readonly HeldReservation[]>;
  /** Tasks waiting in PROVISIONING for capacity (no instance yet), oldest first. */
  waitingTasks(limit: number): Promise<readonly Task[]>;
  /** Deletes tasks that reached STOPPED before the cutoff; returns how many. */
  purgeStoppedTasks(before: Date): Promise<number>;

  // Account settings, per region; the account default has principalArn "".
  getAccountSettings(region: string, principalArn: string): Promise<readonly Setting[]>;
  putAccountSetting(region: string, principalArn: string, name: string, value: string): Promise<void>;
  deleteAccountSetting(region: string, principalArn: string, name: string): Promise<boolean>;
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
  /** CloudWatch Logs' groups, streams and events, in the configured region (`logs.inRegion` for the others). */
  readonly logs: LogStore;
  /** The registry's repositories, images and blobs. */
  readonly registry: RegistryStore;
  /** Runs `fn` in one transaction: all of its writes land, or none. */
  tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` outside a transaction, for requests that only read: no BEGIN/COMMIT
   * and no row locks. Each query sees committed state; `fn` must not write.
   */
  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in a read-only transaction without row locks: every query sees the
   * same committed state, for answers whose parts must agree (a service's events
   * and its deployments' counts). `fn` must not write.
   */
  snapshot<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
