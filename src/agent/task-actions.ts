// The runtime actions: for each target state the state machine names, the one
// Docker call sequence that reaches it (after amazon-ecs-agent's
// docker_task_engine). An action reads the task as its owner left it and returns
// what happened; the owner's loop applies the result.

import type { ContainerDefinition } from "../model/generated/ecs.js";
import type { AssignedTask } from "../protocol/channel.js";
import { awsvpcAttachment, ContainerConfigError, containerSpec, labels, pauseSpec, type NetworkMode } from "./container-config.js";
import { DockerRuntimeError, type DockerRuntime, type ImageInfo } from "./docker-runtime.js";
import type { EngineContext } from "./engine-context.js";
import { imageDigest, pullPlan } from "./image-pull.js";
import { networkModeOf, type ActionResult, type ContainerState, type TaskReading } from "./owned-task.js";
import { ensurePauseImage, pauseImageTag } from "./pause-image.js";
import { readEnvironmentFiles } from "./task-resources/env-files.js";
import { reserveHostPorts } from "./task-resources/host-ports.js";
import { ResourceInitError } from "./task-resources/resource-init-error.js";
import { resolveSecrets } from "./task-resources/secrets.js";
import { createVolumes, removeTaskVolumes } from "./task-resources/volumes.js";
import type { RuntimeAction } from "./task-state-machine.js";

/** What an action may use: the engine's parts, the owner's signal, and the task to read. */
export interface ActionScope {
  readonly ctx: EngineContext;
  readonly signal: AbortSignal;
  readonly task: TaskReading;
}

type Container = Readonly<ContainerState>;

/** The action table: each runtime action and the calls that perform it. */
export function runAction(scope: ActionScope, c: Container, action: RuntimeAction): Promise<ActionResult> {
  switch (action) {
    case "resolve-image":
      return resolveImage(scope, c);
    case "pull-image":
      return pullImage(scope, c);
    case "create":
      return c.role === "pause" ? createPause(scope, c) : createApp(scope, c);
    case "start":
      return start(scope, c);
    case "stop":
      return stop(scope, c);
  }
}

/** The reason a failed action gives its container, with the prefix ECS uses for it. */
export function failureReason(action: RuntimeAction, error: unknown): string {
  const message = error instanceof Error ? error.message : JSON.stringify(error);
  const prefix =
    error instanceof ResourceInitError
      ? "ResourceInitializationError"
      : action === "resolve-image" || action === "pull-image"
        ? "CannotPullContainerError"
        : action === "create"
          ? "CannotCreateContainerError"
          : "CannotStartContainerError";
  return `${prefix}: ${message}`;
}

/** Cleanup: the task's containers (the namespace holder last), then its task-scoped volumes. */
export async function removeTask({ ctx, signal, task }: ActionScope): Promise<void> {
  const ids = task.containers.filter((c) => c.role === "app" && c.runtimeId).map((c) => c.runtimeId as string);
  const pause = task.containers.find((c) => c.role === "pause")?.runtimeId;
  const { runtime } = ctx;
  for (const id of ids) await runtime.removeContainer(id, { force: true, volumes: true }, signal);
  if (pause) await runtime.removeContainer(pause, { force: true, volumes: true }, signal);
  await removeTaskVolumes(ctx, task.taskArn, signal);
}

async function resolveImage({ ctx, signal }: ActionScope, c: Container): Promise<ActionResult> {
  const { runtime, registryAuth, images } = ctx;
  if (c.role === "pause") {
    await ensurePauseImage(runtime, ctx.dockerArch, signal);
    return { action: "resolve-image" };
  }
  const ref = ctx.imageSource(c.image);
  const image = await images.lookup(ref, () => runtime.inspectImage(ref, signal));
  const auth = registryAuth ? await registryAuth(ref) : undefined;
  return { action: "resolve-image", ...(image ? { image } : {}), ...(auth ? { auth } : {}) };
}

async function pullImage({ ctx, signal }: ActionScope, c: Container): Promise<ActionResult> {
  const { runtime, clock, pulledImages, images } = ctx;
  const pullStartedAt = clock.now();
  const ref = c.role === "pause" ? c.image : ctx.imageSource(c.image);
  const auth = c.auth;
  const plan = c.role === "pause" ? "cached" : pullPlan(ctx.pullBehavior, c.cachedImage !== undefined, pulledImages.has(ref));
  let image: ImageInfo | undefined;
  if (plan === "cached") {
    // The pause image is ensured, not resolved; an app image was looked up a moment ago.
    image = c.cachedImage ?? (await images.lookup(ref, () => runtime.inspectImage(ref, signal)));
  } else {
    const outcome = await images.pull(ref, auth, async () => {
      let error: Error | undefined;
      await runtime.pullImage(ref, auth, signal).catch((err: unknown) => (error = err instanceof Error ? err : new Error(String(err))));
      return { ...(error ? { error } : {}), image: await runtime.inspectImage(ref, signal) };
    });
    if (!outcome.error) pulledImages.add(ref);
    else if (plan === "pull" || signal.aborted) throw outcome.error;
    else ctx.log.info({ image: ref, err: outcome.error }, "pull failed; using the cached image");
    image = outcome.image;
  }
  if (!image) throw new DockerRuntimeError("not-found", `image ${ref} is not present after the pull step`);
  const digest = imageDigest(image, ref);
  return { action: "pull-image", imageId: image.id, ...(digest ? { digest } : {}), pullStartedAt, pullStoppedAt: clock.now() };
}

async function createPause(scope: ActionScope, c: Container): Promise<ActionResult> {
  const { ctx } = scope;
  const assigned = scope.task.assigned as AssignedTask;
  const network = ctx.awsvpcNetwork;
  if (!network) throw new ContainerConfigError("this agent has no awsvpc network configured (awsvpc.subnet)");
  const attachment = awsvpcAttachment(assigned.task);
  if (!attachment) throw new ContainerConfigError("the task has no ElasticNetworkInterface attachment with a privateIPv4Address");
  const spec = pauseSpec({ agentId: ctx.agentId, task: assigned.task, taskDefinition: assigned.taskDefinition, image: pauseImageTag, network: network.name, attachment });
  return { action: "create", id: await createOrAdopt(scope, c, spec) };
}

async function createApp(scope: ActionScope, c: Container): Promise<ActionResult> {
  const { ctx, signal, task: owned } = scope;
  const assigned = owned.assigned as AssignedTask;
  const { task, taskDefinition: td } = assigned;
  const def = c.def as ContainerDefinition;
  const mode = networkModeOf(owned);

  // The task resources this container needs, in the order their failures are reported.
  const volumeSources = await createVolumes(ctx, assigned, def, signal);
  const fileEnvironment = await readEnvironmentFiles(ctx, def);
  const secretEnvironment = await resolveSecrets(ctx, def, task);
  const hostPorts = await reserveHostPorts(ctx, owned.taskArn, def, mode, signal);

  const pause = owned.containers.find((x) => x.role === "pause");
  const metadata = metadataUris(ctx, c.token, mode);
  const spec = containerSpec({
    agentId: ctx.agentId,
    task,
    taskDefinition: td,
    // Created from the image as it was pulled, which may be another name for it.
    container: def.image === undefined ? def : { ...def, image: ctx.imageSource(def.image) },
    networkMode: mode,
    hostPorts,
    ...(pause?.runtimeId ? { pauseContainerId: pause.runtimeId } : {}),
    dockerNames: Object.fromEntries(owned.containers.map((x) => [x.name, x.dockerName])),
    volumeSources,
    fileEnvironment,
    secretEnvironment,
    ...(metadata ? { metadata } : {}),
    metadataToken: c.token,
    region: ctx.region,
  });
  return { action: "create", id: await createOrAdopt(scope, c, spec) };
}

function metadataUris(ctx: EngineContext, token: string, mode: NetworkMode): { v4: string; v3: string } | undefined {
  const port = ctx.metadataPort;
  if (port === undefined) return undefined;
  // The address a container can reach the host's endpoint at, from inside its network.
  const host = mode === "bridge" ? (ctx.bridgeGateway ?? "172.17.0.1") : mode === "awsvpc" ? (ctx.awsvpcNetwork?.gateway ?? "127.0.0.1") : "127.0.0.1";
  return { v4: `http://${host}:${port}/v4/${token}`, v3: `http://${host}:${port}/v3/${token}` };
}

/** Creates the container; if its (deterministic) name is taken by this very container, adopts it instead of duplicating. */
async function createOrAdopt({ ctx, signal, task }: ActionScope, c: Container, spec: Parameters<DockerRuntime["createContainer"]>[1]): Promise<string> {
  try {
    return await ctx.runtime.createContainer(c.dockerName, spec, signal);
  } catch (err) {
    if (!(err instanceof DockerRuntimeError && err.kind === "conflict")) throw err;
    const existing = await ctx.runtime.inspectContainer(c.dockerName, signal);
    const mine =
      existing &&
      existing.labels[labels.agent] === ctx.agentId &&
      existing.labels[labels.taskArn] === task.taskArn &&
      existing.labels[labels.containerName] === c.name;
    if (!mine) throw err;
    return existing.id;
  }
}

async function start({ ctx, signal }: ActionScope, c: Container): Promise<ActionResult> {
  const id = c.runtimeId as string;
  await ctx.runtime.startContainer(id, signal);
  return { action: "start", info: await ctx.runtime.inspectContainer(id, signal) };
}

/** The stop signal, then SIGKILL once the stop timeout passes (ECS_CONTAINER_STOP_TIMEOUT, or the container's stopTimeout). */
async function stop(scope: ActionScope, c: Container): Promise<ActionResult> {
  const { ctx, signal } = scope;
  const { runtime } = ctx;
  const id = c.runtimeId as string;
  if (c.role === "pause") {
    // It waits for signals as PID 1 without handlers, so only SIGKILL ends it.
    await runtime.killContainer(id, "SIGKILL", signal);
  } else {
    const timeoutMs = (c.def?.stopTimeout ?? c.stopTimeout ?? ctx.stopTimeoutSeconds) * 1000;
    await runtime.killContainer(id, c.stopSignal ?? "SIGTERM", signal);
    if (!(await waitExit(scope, id, timeoutMs))) {
      ctx.log.info({ taskArn: scope.task.taskArn, container: c.name, timeoutMs }, "stop timeout passed; sending SIGKILL");
      await runtime.killContainer(id, "SIGKILL", signal);
    }
  }
  if (!(await waitExit(scope, id, 60_000))) throw new Error(`container ${c.name} did not exit after SIGKILL`);
  return { action: "stop", info: await runtime.inspectContainer(id, signal) };
}

async function waitExit({ ctx, signal: owner }: ActionScope, id: string, ms: number): Promise<boolean> {
  const done = new AbortController();
  const signal = AbortSignal.any([owner, done.signal]);
  try {
    return await Promise.race([
      ctx.runtime.waitContainer(id, signal).then(
        () => true,
        (err: unknown) => {
          // A container removed meanwhile has exited too.
          if (err instanceof DockerRuntimeError && err.kind === "not-found") return true;
          throw err;
        },
      ),
      ctx.clock.sleep(ms, signal).then(() => false),
    ]);
  } finally {
    done.abort();
  }
}
