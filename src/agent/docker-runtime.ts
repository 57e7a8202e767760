// The Docker boundary: the only Docker calls the task engine makes, each
// cancellable by an AbortSignal and bounded by a timeout in the implementation.
// `docker-engine-runtime.ts` implements it on the real engine; tests use `testing/fake-docker-runtime.ts`.

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

/** What the agent needs to register and to decide capabilities. */
export interface EngineInfo {
  readonly apiVersion: string;
  readonly version: string;
  readonly os: string;
  /** Docker's architecture name: x86_64, aarch64, … */
  readonly arch: string;
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly logDrivers: readonly string[];
  readonly volumeDrivers: readonly string[];
}

export interface ImageInfo {
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
}

/** The Docker Engine API body of `POST /containers/create`, as far as the agent fills it. */
export interface ContainerSpec {
  readonly Image: string;
  readonly Hostname?: string;
  readonly User?: string;
  readonly Env?: readonly string[];
  readonly Cmd?: readonly string[];
  readonly Entrypoint?: readonly string[];
  readonly WorkingDir?: string;
  readonly Labels: Readonly<Record<string, string>>;
  readonly ExposedPorts?: Readonly<Record<string, Record<string, never>>>;
  readonly Healthcheck?: {
    readonly Test: readonly string[];
    readonly Interval?: number;
    readonly Timeout?: number;
    readonly Retries?: number;
    readonly StartPeriod?: number;
  };
  readonly StopTimeout?: number;
  readonly NetworkDisabled?: boolean;
  readonly OpenStdin?: boolean;
  readonly Tty?: boolean;
  readonly HostConfig: HostConfigSpec;
  readonly NetworkingConfig?: {
    readonly EndpointsConfig: Readonly<Record<string, { readonly IPAMConfig?: { readonly IPv4Address?: string }; readonly MacAddress?: string }>>;
  };
  /** Legacy top-level MAC address: how Docker 20.10 takes a fixed MAC at create time. */
  readonly MacAddress?: string;
}

export interface HostConfigSpec {
  readonly NetworkMode: string;
  readonly Binds?: readonly string[];
  readonly PortBindings?: Readonly<Record<string, readonly { readonly HostIp: string; readonly HostPort: string }[]>>;
  readonly Links?: readonly string[];
  readonly VolumesFrom?: readonly string[];
  readonly CapAdd?: readonly string[];
  readonly CapDrop?: readonly string[];
  readonly Dns?: readonly string[];
  readonly DnsSearch?: readonly string[];
  readonly ExtraHosts?: readonly string[];
  readonly Privileged?: boolean;
  readonly ReadonlyRootfs?: boolean;
  readonly Memory?: number;
  readonly MemoryReservation?: number;
  readonly MemorySwap?: number;
  readonly MemorySwappiness?: number;
  readonly CpuShares?: number;
  readonly Ulimits?: readonly { readonly Name: string; readonly Soft: number; readonly Hard: number }[];
  readonly Init?: boolean;
  readonly ShmSize?: number;
  readonly Tmpfs?: Readonly<Record<string, string>>;
  readonly Devices?: readonly { readonly PathOnHost: string; readonly PathInContainer: string; readonly CgroupPermissions: string }[];
  readonly LogConfig?: { readonly Type: string; readonly Config: Readonly<Record<string, string>> };
  readonly SecurityOpt?: readonly string[];
  readonly Sysctls?: Readonly<Record<string, string>>;
  readonly PidMode?: string;
  readonly IpcMode?: string;
}

export type DockerHealth = "starting" | "healthy" | "unhealthy" | "none";

export interface ContainerInfo {
  readonly id: string;
  /** Without Docker's leading slash. */
  readonly name: string;
  /** The image reference the container was created from. */
  readonly image: string;
  readonly imageId: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly createdAt?: Date;
  readonly state: {
    readonly status: string;
    readonly running: boolean;
    readonly exitCode: number;
    /** Undefined while the container has never been started. */
    readonly startedAt?: Date;
    readonly finishedAt?: Date;
    readonly oomKilled: boolean;
    readonly error: string;
    readonly health?: DockerHealth;
  };
  readonly stopSignal?: string;
  /** Seconds, when the container was created with one. */
  readonly stopTimeout?: number;
  readonly networkMode: string;
  readonly ports: readonly { readonly containerPort: number; readonly protocol: "tcp" | "udp"; readonly hostIp: string; readonly hostPort: number }[];
  readonly networks: Readonly<Record<string, { readonly ipAddress: string; readonly gateway: string; readonly macAddress: string }>>;
}

export interface ContainerSummary {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly state: string;
  /** Host ports published by the container (any owner): the port allocator avoids them. */
  readonly publishedPorts: readonly { readonly hostPort: number; readonly protocol: "tcp" | "udp" }[];
}

export interface RuntimeEvent {
  readonly action: string;
  readonly containerId: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly time: Date;
}

export interface NetworkInfo {
  readonly id: string;
  readonly name: string;
  readonly subnet?: string;
  readonly gateway?: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface VolumeInfo {
  readonly name: string;
  readonly driver: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Label filters: `{ key: value }` matches key=value, `{ key: true }` matches the key's presence. */
export type LabelFilter = Readonly<Record<string, string | true>>;

export interface DockerRuntime {
  info(signal: AbortSignal): Promise<EngineInfo>;
  /** Pulls `ref` (a tag defaults to latest); rejects on any error the pull stream reports. */
  pullImage(ref: string, auth: RegistryCredentials | undefined, signal: AbortSignal): Promise<void>;
  /** Undefined when the image is not present locally. */
  inspectImage(ref: string, signal: AbortSignal): Promise<ImageInfo | undefined>;
  /** Builds an image from a tar build context (a Dockerfile at its root). */
  buildImage(tag: string, context: Buffer, signal: AbortSignal): Promise<void>;
  createContainer(name: string, spec: ContainerSpec, signal: AbortSignal): Promise<string>;
  /** Starting a running container is not an error. */
  startContainer(id: string, signal: AbortSignal): Promise<void>;
  /** Docker's own stop: the stop signal, then SIGKILL after `timeoutSeconds`. */
  stopContainer(id: string, timeoutSeconds: number, signal: AbortSignal): Promise<void>;
  /** Sends a signal; a container that is not running is not an error. */
  killContainer(id: string, signalName: string, signal: AbortSignal): Promise<void>;
  /** Removing a container that does not exist is not an error. */
  removeContainer(id: string, opts: { readonly force: boolean; readonly volumes: boolean }, signal: AbortSignal): Promise<void>;
  /** Undefined when the container does not exist. */
  inspectContainer(id: string, signal: AbortSignal): Promise<ContainerInfo | undefined>;
  /** Every container (running or not) matching all the label filters; `{}` lists all. */
  listContainers(labels: LabelFilter, signal: AbortSignal): Promise<readonly ContainerSummary[]>;
  /** Resolves with the exit code once the container is not running. Not bounded by a timeout: only by `signal`. */
  waitContainer(id: string, signal: AbortSignal): Promise<number>;
  /**
   * Subscribes to events of containers matching the labels. Resolves once Docker
   * has accepted the subscription (so a listing made afterwards misses nothing);
   * the iterable ends when `signal` aborts or the stream breaks.
   */
  events(labels: LabelFilter, signal: AbortSignal): Promise<AsyncIterable<RuntimeEvent>>;
  /** One sample of Docker's stats JSON (with `precpu_stats`), as Docker returns it. */
  stats(id: string, signal: AbortSignal): Promise<Record<string, unknown>>;
  inspectNetwork(name: string, signal: AbortSignal): Promise<NetworkInfo | undefined>;
  createNetwork(
    opts: { readonly name: string; readonly subnet: string; readonly gateway?: string; readonly labels: Readonly<Record<string, string>> },
    signal: AbortSignal,
  ): Promise<NetworkInfo>;
  connectNetwork(network: string, containerId: string, opts: { readonly ipv4Address?: string }, signal: AbortSignal): Promise<void>;
  createVolume(
    opts: { readonly name: string; readonly driver?: string; readonly driverOpts?: Readonly<Record<string, string>>; readonly labels: Readonly<Record<string, string>> },
    signal: AbortSignal,
  ): Promise<VolumeInfo>;
  /** Undefined when the volume does not exist. */
  inspectVolume(name: string, signal: AbortSignal): Promise<VolumeInfo | undefined>;
  /** Removing a volume that does not exist is not an error. */
  removeVolume(name: string, signal: AbortSignal): Promise<void>;
  listVolumes(labels: LabelFilter, signal: AbortSignal): Promise<readonly VolumeInfo[]>;
}

export type DockerErrorKind = "not-found" | "conflict" | "timeout" | "aborted" | "failed";

/** Every error the runtime raises: branch on `kind`, never on the message. */
export class DockerRuntimeError extends Error {
  override readonly name = "DockerRuntimeError";
  constructor(
    readonly kind: DockerErrorKind,
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
  }
}

export function isDockerError(err: unknown, kind: DockerErrorKind): boolean {
  return err instanceof DockerRuntimeError && err.kind === kind;
}
