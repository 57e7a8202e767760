// What ECS does to a RegisterTaskDefinition request before it stores it: the
// checks, the normalisation and defaults, and the derived compatibilities and
// requiresAttributes. Pure (no I/O), so every rule is unit-testable.

import { errors } from "../../errors.js";
import type {
  Attribute,
  Compatibility,
  ContainerDefinition,
  HealthCheck,
  NetworkMode,
  PortMapping,
  RegisterTaskDefinitionRequest,
  TaskDefinition,
  Volume,
} from "../../model/generated/ecs.js";
import { namePattern } from "../../ecs/arns.js";

/** A task definition as registration computes it, before the store gives it a revision. */
export type PreparedTaskDefinition = Omit<
  TaskDefinition,
  "taskDefinitionArn" | "revision" | "status" | "registeredAt" | "registeredBy" | "deregisteredAt" | "deleteRequestedAt"
>;

/** ECS's limit on a task definition's JSON. */
export const maxTaskDefinitionBytes = 64 * 1024;
export const maxContainers = 10;
export const minContainerMemoryMiB = 6;
/** Task-level CPU units ECS accepts outside Fargate (0.125 to 192 vCPUs). */
export const taskCpuRange = { min: 128, max: 196608 } as const;

// ---------------------------------------------------------------------------
// Task size: "1 vCPU" / "2 GB" become CPU units / MiB, as ECS stores them.

const plainInteger = /^\s*(\d+)\s*$/;
const vcpuAmount = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*vcpus?\s*$/i;
const gbAmount = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*gb\s*$/i;

function scaled(match: RegExpExecArray | null, factor: number): number | undefined {
  if (!match) return undefined;
  const n = Number(match[1]) * factor;
  return Number.isInteger(n) ? n : undefined;
}

/** Task cpu as ECS stores it: CPU units ("1 vCPU" → "1024"). */
export function normalizeTaskCpu(value: string): string {
  const plain = plainInteger.exec(value);
  const units = plain ? Number(plain[1]) : scaled(vcpuAmount.exec(value), 1024);
  if (units === undefined) {
    throw errors.client(`Invalid 'cpu' setting for task: '${value}'. Use CPU units (for example "1024") or vCPUs (for example "1 vCPU").`);
  }
  return String(units);
}

/** Task memory as ECS stores it: MiB ("2 GB" → "2048"). */
export function normalizeTaskMemory(value: string): string {
  const plain = plainInteger.exec(value);
  const mib = plain ? Number(plain[1]) : scaled(gbAmount.exec(value), 1024);
  if (mib === undefined) {
    throw errors.client(`Invalid 'memory' setting for task: '${value}'. Use MiB (for example "2048") or GB (for example "2 GB").`);
  }
  return String(mib);
}

// Fargate's task sizes: for each CPU value, the memory values (MiB) it allows.
const fargateSizes: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, steps(1024, 4096, 1024)],
  [1024, steps(2048, 8192, 1024)],
  [2048, steps(4096, 16384, 1024)],
  [4096, steps(8192, 30720, 1024)],
  [8192, steps(16384, 61440, 4096)],
  [16384, steps(32768, 122880, 8192)],
]);

function steps(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

export function isFargateSize(cpu: number, memory: number): boolean {
  return fargateSizes.get(cpu)?.includes(memory) ?? false;
}

// ---------------------------------------------------------------------------
// The request as the checks see it.

export interface Draft {
  readonly input: RegisterTaskDefinitionRequest;
  /** The effective mode: ECS runs an omitted networkMode as bridge. */
  readonly networkMode: NetworkMode;
  readonly cpu?: number;
  readonly memory?: number;
  readonly containers: readonly ContainerDefinition[];
  readonly volumes: readonly Volume[];
  readonly requires: ReadonlySet<Compatibility>;
}

export function draftOf(input: RegisterTaskDefinitionRequest): Draft {
  return {
    input,
    networkMode: input.networkMode ?? "bridge",
    ...(input.cpu === undefined ? {} : { cpu: Number(normalizeTaskCpu(input.cpu)) }),
    ...(input.memory === undefined ? {} : { memory: Number(normalizeTaskMemory(input.memory)) }),
    containers: input.containerDefinitions,
    volumes: input.volumes ?? [],
    requires: new Set(input.requiresCompatibilities ?? []),
  };
}

const isEssential = (c: ContainerDefinition): boolean => c.essential !== false;
const nameOf = (c: ContainerDefinition): string => c.name ?? "";

/** `<account>.dkr.ecr.<region>.amazonaws.com/…`: images ECS pulls with ECR credentials. */
export function isEcrImage(image: string | undefined): boolean {
  return image !== undefined && /^\d{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\//.test(image);
}

// ---------------------------------------------------------------------------
// Fargate: one list of what keeps a definition off Fargate. It rejects a
// definition that requires FARGATE and decides whether `compatibilities` lists it.

const fargateLogDrivers = new Set(["awslogs", "splunk", "awsfirelens"]);

export function fargateConflicts(d: Draft): string[] {
  const out: string[] = [];
  const { input } = d;
  if (d.networkMode !== "awsvpc") out.push("Fargate only supports network mode 'awsvpc'.");
  if (d.cpu === undefined) out.push("Fargate requires that 'cpu' be defined at the task level.");
  if (d.memory === undefined) out.push("Fargate requires that 'memory' be defined at the task level.");
  if (d.cpu !== undefined && d.memory !== undefined && !isFargateSize(d.cpu, d.memory)) {
    out.push(
      `No Fargate configuration exists for given values: ${d.cpu} CPU, ${d.memory} memory. See the Amazon ECS documentation for the valid values.`,
    );
  }
  for (const c of d.containers) {
    const name = nameOf(c);
    if (c.privileged) out.push(`Fargate does not support privileged containers: set 'privileged' to false for container '${name}'.`);
    const driver = c.logConfiguration?.logDriver;
    if (driver !== undefined && !fargateLogDrivers.has(driver)) {
      out.push(`Fargate does not support log driver '${driver}' (container '${name}'). Use awslogs, splunk or awsfirelens.`);
    }
    if (driver === "awslogs" && !input.executionRoleArn) {
      out.push("Fargate requires task definition to have execution role ARN to support log driver awslogs.");
    }
    if (isEcrImage(c.image) && !input.executionRoleArn) {
      out.push("Fargate requires task definition to have execution role ARN to support ECR images.");
    }
    const lp = c.linuxParameters;
    for (const field of ["devices", "sharedMemorySize", "tmpfs", "maxSwap", "swappiness"] as const) {
      if (lp?.[field] !== undefined) out.push(`Fargate does not support linuxParameters.${field} (container '${name}').`);
    }
    const added = (lp?.capabilities?.add ?? []).filter((cap) => cap !== "SYS_PTRACE");
    if (added.length > 0) {
      out.push(`Fargate only supports adding the SYS_PTRACE kernel capability; remove ${added.join(", ")} from container '${name}'.`);
    }
    if ((c.dockerSecurityOptions ?? []).length > 0) out.push(`Fargate does not support dockerSecurityOptions (container '${name}').`);
    if ((c.resourceRequirements ?? []).some((r) => r.type === "GPU")) out.push(`Fargate does not support GPU resource requirements (container '${name}').`);
  }
  for (const v of d.volumes) {
    const name = v.name ?? "";
    if (v.host?.sourcePath !== undefined) {
      out.push(`Fargate does not support host volumes with a sourcePath (volume '${name}'); remove sourcePath for a task-scoped bind mount.`);
    }
    if (v.dockerVolumeConfiguration) out.push(`Fargate does not support Docker volumes (volume '${name}').`);
    if (v.fsxWindowsFileServerVolumeConfiguration) out.push(`Fargate does not support FSx for Windows File Server volumes (volume '${name}').`);
  }
  if ((input.placementConstraints ?? []).length > 0) out.push("Fargate does not support task placement constraints.");
  if (input.ipcMode !== undefined) out.push("Fargate does not support ipcMode.");
  if (input.pidMode === "host") out.push("Fargate only supports pidMode 'task'.");
  if ((input.inferenceAccelerators ?? []).length > 0) out.push("Fargate does not support inference accelerators.");
  return [...new Set(out)];
}

// ---------------------------------------------------------------------------
// The checks, in the order ECS's answers make sense: the shape of the request
// first, then what the requested capacity demands, then container by container.

export interface Check {
  readonly name: string;
  /** Throws the AWS error ECS would return; returns when the draft passes. */
  run(d: Draft): void;
}

function invalid(message: string): never {
  throw errors.client(message);
}

const inRange = (n: number, min: number, max: number): boolean => Number.isInteger(n) && n >= min && n <= max;

export const checks: readonly Check[] = [
  // The whole definition is bounded before anything looks inside it.
  {
    name: "size",
    run: ({ input }) => {
      const bytes = Buffer.byteLength(JSON.stringify(withoutTags(input)), "utf8");
      if (bytes > maxTaskDefinitionBytes) invalid(`Actual length: '${bytes}'. Max allowed length is '${maxTaskDefinitionBytes}' bytes.`);
    },
  },
  {
    name: "family",
    run: ({ input }) => {
      if (!namePattern.test(input.family)) {
        invalid(`Invalid family '${input.family}': up to 255 letters (uppercase and lowercase), numbers, hyphens and underscores are allowed.`);
      }
    },
  },
  {
    name: "container count",
    run: ({ containers }) => {
      if (containers.length === 0) invalid("Container list cannot be empty.");
      if (containers.length > maxContainers) {
        invalid(`Too many containers: ${containers.length}. A task definition can have at most ${maxContainers} containers.`);
      }
    },
  },
  {
    name: "container names and images",
    run: ({ containers }) => {
      const seen = new Set<string>();
      for (const c of containers) {
        if (c.name === undefined || c.name === "") invalid("Container.name should not be null or empty.");
        const name = nameOf(c);
        if (!namePattern.test(name)) {
          invalid(`Invalid container name '${name}': up to 255 letters (uppercase and lowercase), numbers, hyphens and underscores are allowed.`);
        }
        if (seen.has(name)) invalid(`Duplicate container name '${name}': each container in a task definition needs a unique name.`);
        seen.add(name);
        if (c.image === undefined || c.image.trim() === "") invalid("Container.image should not be null or empty.");
      }
    },
  },
  {
    name: "essential container",
    run: ({ containers }) => {
      if (!containers.some(isEssential)) {
        invalid("Task definition must have at least one essential container: set essential to true (the default) on one container.");
      }
    },
  },
  // What the requested capacity demands comes before generic ranges, so a
  // Fargate definition hears about Fargate's sizes rather than EC2's.
  {
    name: "required compatibilities",
    run: (d) => {
      if (d.requires.has("FARGATE")) {
        const conflict = fargateConflicts(d)[0];
        if (conflict !== undefined) invalid(conflict);
      }
      if (d.requires.has("EXTERNAL") && d.networkMode === "awsvpc") {
        invalid("EXTERNAL (ECS Anywhere) does not support network mode 'awsvpc'. Use bridge, host or none.");
      }
    },
  },
  {
    name: "task size",
    run: ({ cpu, memory }) => {
      if (cpu !== undefined && !inRange(cpu, taskCpuRange.min, taskCpuRange.max)) {
        invalid(`Invalid 'cpu' setting for task: ${cpu}. Task CPU must be between ${taskCpuRange.min} and ${taskCpuRange.max} CPU units.`);
      }
      if (memory !== undefined && memory < minContainerMemoryMiB) {
        invalid(`Invalid 'memory' setting for task: ${memory}. Task memory must be at least ${minContainerMemoryMiB} MiB.`);
      }
    },
  },
  {
    name: "container memory",
    run: ({ containers, memory, requires }) => {
      // Only Fargate-only definitions may leave container memory to the task.
      const needsContainerMemory = memory === undefined && !(requires.size > 0 && [...requires].every((c) => c === "FARGATE"));
      let hard = 0;
      let reserved = 0;
      for (const c of containers) {
        const name = nameOf(c);
        if (needsContainerMemory && c.memory === undefined && c.memoryReservation === undefined) {
          invalid(`Invalid setting for container '${name}'. At least one of 'memory' or 'memoryReservation' must be specified.`);
        }
        if (c.memory !== undefined && c.memory < minContainerMemoryMiB) {
          invalid(`Invalid 'memory' setting for container '${name}': ${c.memory}. The minimum is ${minContainerMemoryMiB} MiB.`);
        }
        if (c.memoryReservation !== undefined && c.memoryReservation < minContainerMemoryMiB) {
          invalid(`Invalid 'memoryReservation' setting for container '${name}': ${c.memoryReservation}. The minimum is ${minContainerMemoryMiB} MiB.`);
        }
        if (c.memory !== undefined && c.memoryReservation !== undefined && c.memoryReservation > c.memory) {
          invalid(
            `Invalid setting for container '${name}': memoryReservation (${c.memoryReservation}) must be less than or equal to memory (${c.memory}).`,
          );
        }
        hard += c.memory ?? 0;
        reserved += c.memoryReservation ?? c.memory ?? 0;
      }
      if (memory !== undefined && hard > memory) {
        invalid(`The sum of container memory (${hard} MiB) exceeds the task memory (${memory} MiB). Lower container memory or raise the task memory.`);
      }
      if (memory !== undefined && reserved > memory) {
        invalid(
          `The sum of container memory reservations (${reserved} MiB) exceeds the task memory (${memory} MiB). Lower memoryReservation or raise the task memory.`,
        );
      }
    },
  },
  {
    name: "container cpu",
    run: ({ containers, cpu }) => {
      let total = 0;
      for (const c of containers) {
        if (c.cpu !== undefined && c.cpu < 0) invalid(`Invalid 'cpu' setting for container '${nameOf(c)}': ${c.cpu}. It must be 0 or more CPU units.`);
        total += c.cpu ?? 0;
      }
      if (cpu !== undefined && total > cpu) {
        invalid(`The sum of container cpu (${total} units) exceeds the task cpu (${cpu} units). Lower container cpu or raise the task cpu.`);
      }
    },
  },
  { name: "port mappings", run: checkPortMappings },
  {
    name: "links",
    run: ({ containers, networkMode }) => {
      const names = new Set(containers.map(nameOf));
      for (const c of containers) {
        if ((c.links ?? []).length === 0) continue;
        if (networkMode !== "bridge") invalid(`Links are not supported when networkMode=${networkMode}: remove links from container '${nameOf(c)}'.`);
        for (const link of c.links ?? []) {
          const target = link.split(":")[0] ?? "";
          if (!names.has(target) || target === nameOf(c)) {
            invalid(`Invalid link '${link}' in container '${nameOf(c)}': link to another container of this task definition by name.`);
          }
        }
      }
    },
  },
  { name: "dependsOn", run: checkDependencies },
  { name: "volumes and mount points", run: checkVolumes },
  {
    name: "execution role",
    run: ({ input, containers }) => {
      if (input.executionRoleArn) return;
      for (const c of containers) {
        if ((c.secrets ?? []).length > 0 || (c.logConfiguration?.secretOptions ?? []).length > 0) {
          invalid("When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.");
        }
        if (c.repositoryCredentials) {
          invalid("When you are specifying repository credentials, you must also specify a value for 'executionRoleArn'.");
        }
      }
    },
  },
  {
    name: "health checks",
    run: ({ containers }) => {
      for (const c of containers) if (c.healthCheck) checkHealthCheck(nameOf(c), c.healthCheck);
    },
  },
  {
    name: "ulimits",
    run: ({ containers }) => {
      for (const c of containers) {
        for (const u of c.ulimits ?? []) {
          if (u.softLimit > u.hardLimit) {
            invalid(`Invalid ulimit '${u.name}' for container '${nameOf(c)}': softLimit (${u.softLimit}) must not exceed hardLimit (${u.hardLimit}).`);
          }
        }
      }
    },
  },
  {
    name: "proxy configuration",
    run: ({ input, containers, networkMode }) => {
      const proxy = input.proxyConfiguration;
      if (!proxy) return;
      if (!containers.some((c) => c.name === proxy.containerName)) {
        invalid(`Invalid proxyConfiguration: containerName '${proxy.containerName}' is not a container of this task definition.`);
      }
      if (networkMode !== "awsvpc") invalid("A proxyConfiguration requires networkMode=awsvpc.");
    },
  },
  {
    name: "firelens",
    run: ({ containers }) => {
      const routers = containers.filter((c) => c.firelensConfiguration);
      if (routers.length > 1) {
        invalid(`Only one container can have a firelensConfiguration; found ${routers.map((c) => `'${nameOf(c)}'`).join(", ")}.`);
      }
      const user = containers.find((c) => c.logConfiguration?.logDriver === "awsfirelens");
      if (user && routers.length === 0) {
        invalid(`Container '${nameOf(user)}' uses the awsfirelens log driver, which needs a container with a firelensConfiguration in the task definition.`);
      }
    },
  },
  {
    name: "placement constraints",
    run: ({ input }) => {
      const constraints = input.placementConstraints ?? [];
      if (constraints.length > 10) invalid(`Too many placement constraints: ${constraints.length}. The maximum is 10.`);
      for (const p of constraints) {
        if (p.type === "memberOf" && (p.expression === undefined || p.expression.trim() === "")) {
          invalid("A memberOf placement constraint needs an expression (cluster query language).");
        }
      }
    },
  },
  {
    name: "ephemeral storage",
    run: ({ input }) => {
      const size = input.ephemeralStorage?.sizeInGiB;
      if (size !== undefined && !inRange(size, 21, 200)) {
        invalid(`Invalid ephemeralStorage.sizeInGiB: ${size}. It must be between 21 and 200 GiB.`);
      }
    },
  },
];

function checkPortMappings({ containers, networkMode }: Draft): void {
  const hostPorts = new Map<string, string>();
  const names = new Set<string>();
  for (const c of containers) {
    const name = nameOf(c);
    const mappings = c.portMappings ?? [];
    if (mappings.length > 0 && networkMode === "none") {
      invalid(`Port mappings are not supported when networkMode=none: remove portMappings from container '${name}'.`);
    }
    const own = new Set<string>();
    for (const pm of mappings) {
      const protocol = pm.protocol ?? "tcp";
      if (pm.name !== undefined) {
        if (names.has(pm.name)) invalid(`Duplicate port mapping name '${pm.name}': port mapping names must be unique in a task definition.`);
        names.add(pm.name);
      }
      if (pm.containerPortRange !== undefined) {
        checkPortRange(name, pm);
        continue;
      }
      if (pm.containerPort === undefined) invalid(`Invalid port mapping in container '${name}': containerPort is required.`);
      const containerPort = pm.containerPort ?? 0;
      if (!inRange(containerPort, 1, 65535)) {
        invalid(`Invalid containerPort ${containerPort} in container '${name}': it must be between 1 and 65535.`);
      }
      if (pm.hostPort !== undefined && !inRange(pm.hostPort, 0, 65535)) {
        invalid(`Invalid hostPort ${pm.hostPort} in container '${name}': it must be between 0 and 65535 (0 picks a dynamic port).`);
      }
      const mirrored = networkMode === "awsvpc" || networkMode === "host";
      if (mirrored && pm.hostPort !== undefined && pm.hostPort !== containerPort) {
        invalid(`When networkMode=${networkMode}, the host ports and container ports in port mappings must match.`);
      }
      const hostPort = mirrored ? containerPort : (pm.hostPort ?? 0);
      const key = `${containerPort}:${hostPort}/${protocol}`;
      if (own.has(key)) invalid(`Duplicate port mapping in container '${name}': containerPort ${containerPort}/${protocol} is mapped twice.`);
      own.add(key);
      if (hostPort > 0) {
        const taken = hostPorts.get(`${hostPort}/${protocol}`);
        if (taken !== undefined) {
          invalid(`Host port ${hostPort}/${protocol} is mapped by both container '${taken}' and container '${name}': a task can map each host port once.`);
        }
        hostPorts.set(`${hostPort}/${protocol}`, name);
      }
    }
  }
}

function checkPortRange(container: string, pm: PortMapping): void {
  const m = /^(\d+)-(\d+)$/.exec(pm.containerPortRange ?? "");
  const from = Number(m?.[1]);
  const to = Number(m?.[2]);
  if (!m || !inRange(from, 1, 65535) || !inRange(to, 1, 65535) || from >= to) {
    invalid(`Invalid containerPortRange '${pm.containerPortRange}' in container '${container}': use 'FROM-TO' with 1 <= FROM < TO <= 65535.`);
  }
  if (pm.containerPort !== undefined || pm.hostPort !== undefined) {
    invalid(`Invalid port mapping in container '${container}': containerPortRange cannot be combined with containerPort or hostPort.`);
  }
}

function checkDependencies({ containers }: Draft): void {
  const byName = new Map(containers.map((c) => [nameOf(c), c]));
  for (const c of containers) {
    for (const dep of c.dependsOn ?? []) {
      const target = byName.get(dep.containerName);
      if (!target) {
        invalid(`Container '${nameOf(c)}' depends on '${dep.containerName}', which is not a container of this task definition.`);
      }
      if (dep.containerName === nameOf(c)) invalid(`Container '${nameOf(c)}' cannot depend on itself.`);
      if ((dep.condition === "COMPLETE" || dep.condition === "SUCCESS") && target && isEssential(target)) {
        invalid(
          `Container '${nameOf(c)}' depends on '${dep.containerName}' with condition ${dep.condition}, which cannot be used on an essential container: set essential to false on '${dep.containerName}'.`,
        );
      }
      if (dep.condition === "HEALTHY" && target && !target.healthCheck) {
        invalid(`Container '${nameOf(c)}' depends on '${dep.containerName}' being HEALTHY, but '${dep.containerName}' has no healthCheck.`);
      }
    }
  }
  // A cycle would leave every container in it waiting forever.
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: readonly string[]): void => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...path.slice(path.indexOf(name)), name];
      invalid(`Circular container dependency: ${cycle.join(" -> ")}. Remove one of these dependsOn entries.`);
    }
    state.set(name, "visiting");
    for (const dep of byName.get(name)?.dependsOn ?? []) visit(dep.containerName, [...path, name]);
    state.set(name, "done");
  };
  for (const c of containers) visit(nameOf(c), []);
}

function checkVolumes({ containers, volumes }: Draft): void {
  const names = new Set<string>();
  for (const v of volumes) {
    if (v.name === undefined || !namePattern.test(v.name)) {
      invalid(`Invalid volume name '${v.name ?? ""}': up to 255 letters (uppercase and lowercase), numbers, hyphens and underscores are allowed.`);
    }
    const name = v.name ?? "";
    if (names.has(name)) invalid(`Duplicate volume name '${name}': each volume in a task definition needs a unique name.`);
    names.add(name);
  }
  const containerNames = new Set(containers.map(nameOf));
  for (const c of containers) {
    for (const mp of c.mountPoints ?? []) {
      if (mp.sourceVolume === undefined || !names.has(mp.sourceVolume)) {
        invalid(`Unknown volume '${mp.sourceVolume ?? ""}' in mountPoints of container '${nameOf(c)}': add it to the task definition's volumes or fix the name.`);
      }
      if (mp.containerPath === undefined || mp.containerPath === "") {
        invalid(`Invalid mount point for volume '${mp.sourceVolume ?? ""}' in container '${nameOf(c)}': containerPath is required.`);
      }
    }
    for (const vf of c.volumesFrom ?? []) {
      if (vf.sourceContainer === undefined || !containerNames.has(vf.sourceContainer) || vf.sourceContainer === nameOf(c)) {
        invalid(`Invalid volumesFrom in container '${nameOf(c)}': sourceContainer '${vf.sourceContainer ?? ""}' must be another container of this task definition.`);
      }
    }
  }
}

// ECS's documented bounds for a container health check, in seconds (retries: count).
const healthCheckBounds = {
  interval: [5, 300],
  timeout: [2, 60],
  retries: [1, 10],
  startPeriod: [0, 300],
} as const;

function checkHealthCheck(container: string, hc: HealthCheck): void {
  if (hc.command.length === 0) invalid(`Invalid healthCheck for container '${container}': command must not be empty.`);
  for (const [field, [min, max]] of Object.entries(healthCheckBounds)) {
    const value = hc[field as keyof typeof healthCheckBounds];
    if (value !== undefined && !inRange(value, min, max)) {
      invalid(`Invalid healthCheck for container '${container}': ${field} must be between ${min} and ${max}, got ${value}.`);
    }
  }
}

// ---------------------------------------------------------------------------
// Derivation: what ECS adds to a definition it accepts.

/** Where the definition can run: EC2 always; EXTERNAL unless awsvpc; FARGATE when nothing conflicts. */
export function deriveCompatibilities(d: Draft): Compatibility[] {
  const out: Compatibility[] = [];
  if (d.networkMode !== "awsvpc") out.push("EXTERNAL");
  out.push("EC2");
  if (fargateConflicts(d).length === 0) out.push("FARGATE");
  if (d.requires.has("MANAGED_INSTANCES")) out.push("MANAGED_INSTANCES");
  return out;
}

const remoteApi = (version: string): string => `com.amazonaws.ecs.capability.docker-remote-api.${version}`;

/**
 * The container instance attributes the definition needs, named as ECS names
 * them (and as the agent advertises them), from the features it uses.
 */
export function deriveRequiresAttributes(d: Draft): Attribute[] {
  const names = new Set<string>();
  const add = (name: string): void => void names.add(name);
  const { input } = d;
  const executionRole = Boolean(input.executionRoleArn);
  for (const c of d.containers) {
    if (isEcrImage(c.image)) {
      add("com.amazonaws.ecs.capability.ecr-auth");
      if (executionRole) add("ecs.capability.execution-role-ecr-pull");
    }
    if (c.repositoryCredentials) add("com.amazonaws.ecs.capability.private-registry-authentication.secretsmanager");
    if (c.memoryReservation !== undefined) add(remoteApi("1.21"));
    const log = c.logConfiguration;
    if (log) {
      add(`com.amazonaws.ecs.capability.logging-driver.${log.logDriver}`);
      add(remoteApi("1.18"));
      if (Object.keys(log.options ?? {}).length > 0) add(remoteApi("1.19"));
      if (log.logDriver === "awslogs" && executionRole) add("ecs.capability.execution-role-awslogs");
      for (const s of log.secretOptions ?? []) add(`ecs.capability.secrets.${secretStore(s.valueFrom)}.bootstrap.log-driver`);
    }
    if (Object.keys(c.dockerLabels ?? {}).length > 0) add(remoteApi("1.18"));
    if ((c.ulimits ?? []).length > 0) add(remoteApi("1.18"));
    if (c.healthCheck) {
      add("ecs.capability.container-health-check");
      if (c.healthCheck.startPeriod !== undefined) add(remoteApi("1.29"));
    }
    if ((c.dependsOn ?? []).length > 0) add("ecs.capability.container-ordering");
    for (const s of c.secrets ?? []) add(`ecs.capability.secrets.${secretStore(s.valueFrom)}.environment-variables`);
    if ((c.environmentFiles ?? []).length > 0) add("ecs.capability.env-files.s3");
    if (c.firelensConfiguration) add(`ecs.capability.firelens.${c.firelensConfiguration.type}`);
    if (c.privileged) add("com.amazonaws.ecs.capability.privileged-container");
    for (const opt of c.dockerSecurityOptions ?? []) {
      if (opt.startsWith("label:")) add("com.amazonaws.ecs.capability.selinux");
      if (opt.startsWith("apparmor:")) add("com.amazonaws.ecs.capability.apparmor");
    }
    if (c.linuxParameters?.initProcessEnabled) add(remoteApi("1.25"));
  }
  if (input.taskRoleArn) add("com.amazonaws.ecs.capability.task-iam-role");
  if (d.networkMode === "awsvpc") add("ecs.capability.task-eni");
  if (input.pidMode !== undefined || input.ipcMode !== undefined) add("ecs.capability.pid-ipc-namespace-sharing");
  if (input.pidMode !== undefined) add(remoteApi("1.17"));
  if (input.ipcMode !== undefined) add(remoteApi("1.18"));
  if (input.proxyConfiguration) add("ecs.capability.aws-appmesh");
  for (const v of d.volumes) {
    const efs = v.efsVolumeConfiguration;
    if (efs) {
      add("ecs.capability.efs");
      const auth = efs.authorizationConfig;
      if (efs.transitEncryption === "ENABLED" || auth?.iam === "ENABLED" || auth?.accessPointId !== undefined) add("ecs.capability.efsAuth");
    }
    if (v.dockerVolumeConfiguration) {
      add(`ecs.capability.docker-plugin.${v.dockerVolumeConfiguration.driver ?? "local"}`);
      add(remoteApi("1.25"));
    }
    if (v.fsxWindowsFileServerVolumeConfiguration) add("ecs.capability.fsxWindowsFileServer");
  }
  return [...names].map((name) => ({ name }));
}

/** Secrets Manager ARNs are "asm"; everything else is an SSM parameter (name or ARN). */
const secretStore = (valueFrom: string): "asm" | "ssm" => (valueFrom.includes(":secretsmanager:") ? "asm" : "ssm");

// ---------------------------------------------------------------------------
// Defaults ECS writes into what it returns.

const healthCheckDefaults = { interval: 30, timeout: 5, retries: 3 } as const;

function withContainerDefaults(c: ContainerDefinition, networkMode: NetworkMode): ContainerDefinition {
  const mirrored = networkMode === "awsvpc" || networkMode === "host";
  return {
    ...c,
    cpu: c.cpu ?? 0,
    portMappings: (c.portMappings ?? []).map((pm) => ({
      ...pm,
      ...(mirrored && pm.hostPort === undefined && pm.containerPort !== undefined ? { hostPort: pm.containerPort } : {}),
      protocol: pm.protocol ?? "tcp",
    })),
    essential: c.essential ?? true,
    environment: c.environment ?? [],
    mountPoints: c.mountPoints ?? [],
    volumesFrom: c.volumesFrom ?? [],
    systemControls: c.systemControls ?? [],
    ...(c.healthCheck ? { healthCheck: { ...healthCheckDefaults, ...c.healthCheck } } : {}),
  };
}

function withoutTags(input: RegisterTaskDefinitionRequest): Omit<RegisterTaskDefinitionRequest, "tags"> {
  return Object.fromEntries(Object.entries(input).filter(([key]) => key !== "tags")) as Omit<RegisterTaskDefinitionRequest, "tags">;
}

/**
 * Checks a registration and returns the definition ECS would store: every field
 * of the request (tags live beside it), cpu/memory normalised, defaults filled,
 * compatibilities and requiresAttributes derived. An omitted networkMode stays
 * omitted, as DescribeTaskDefinition returns it, though it runs as bridge.
 */
export function prepareTaskDefinition(input: RegisterTaskDefinitionRequest): PreparedTaskDefinition {
  const draft = draftOf(input);
  for (const check of checks) check.run(draft);
  return {
    ...withoutTags(input),
    containerDefinitions: draft.containers.map((c) => withContainerDefaults(c, draft.networkMode)),
    volumes: draft.volumes,
    placementConstraints: input.placementConstraints ?? [],
    ...(draft.cpu === undefined ? {} : { cpu: String(draft.cpu) }),
    ...(draft.memory === undefined ? {} : { memory: String(draft.memory) }),
    compatibilities: deriveCompatibilities(draft),
    requiresAttributes: deriveRequiresAttributes(draft),
  };
}
