// The task metadata endpoint (v4, and v3 with the same answers): an HTTP server
// on the host; each container's ECS_CONTAINER_METADATA_URI_V4 carries a token that
// names the container, and the answers follow ECS's documented JSON shapes.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ContainerSnapshot, TaskSnapshot } from "./task-snapshot.js";

export interface MetadataSource {
  /** The container whose URI carries this token, with its task. */
  findByToken(token: string): { readonly task: TaskSnapshot; readonly container: ContainerSnapshot } | undefined;
  /** Docker's stats JSON for a container, live. */
  stats(dockerId: string, signal: AbortSignal): Promise<Record<string, unknown>>;
}

export interface MetadataServer {
  readonly port: number;
  close(): Promise<void>;
}

function iso(d: Date | undefined): string | undefined {
  return d?.toISOString();
}

/** Drops undefined fields, as ECS's `omitempty` does. */
function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** `${ECS_CONTAINER_METADATA_URI_V4}`: one container. */
export function containerMetadata(task: TaskSnapshot, c: ContainerSnapshot): Record<string, unknown> {
  const awsvpc = task.networkMode === "awsvpc" && task.awsvpc;
  return compact({
    DockerId: c.dockerId ?? "",
    Name: c.name,
    DockerName: c.dockerName,
    Image: c.image,
    ImageID: c.imageId ?? "",
    Ports: c.networkBindings.length
      ? c.networkBindings.map((b) => compact({ ContainerPort: b.containerPort, Protocol: b.protocol ?? "tcp", HostPort: b.hostPort, HostIp: b.bindIP }))
      : undefined,
    Labels: Object.keys(c.labels).length ? c.labels : undefined,
    DesiredStatus: c.desired,
    KnownStatus: c.known,
    ExitCode: c.exitCode,
    Limits: compact({ CPU: c.cpu, Memory: c.memory }),
    CreatedAt: iso(c.createdAt),
    StartedAt: iso(c.startedAt),
    FinishedAt: iso(c.finishedAt),
    Type: "NORMAL",
    LogDriver: c.logDriver,
    LogOptions: c.logOptions,
    ContainerARN: c.containerArn,
    Networks: awsvpc
      ? [
          compact({
            NetworkMode: "awsvpc",
            IPv4Addresses: [awsvpc.ipv4Address],
            AttachmentIndex: 0,
            MACAddress: awsvpc.macAddress,
            IPv4SubnetCIDRBlock: awsvpc.subnetCidr,
            SubnetGatewayIpv4Address: awsvpc.gateway ? `${awsvpc.gateway}/${awsvpc.subnetCidr?.split("/")[1] ?? "24"}` : undefined,
          }),
        ]
      : [{ NetworkMode: task.networkMode ?? "bridge", IPv4Addresses: c.ipv4Addresses }],
    Health: c.health ? compact({ status: c.health, statusSince: iso(c.healthSince) }) : undefined,
  });
}

/** `${ECS_CONTAINER_METADATA_URI_V4}/task`: the task and all its (reported) containers. */
export function taskMetadata(task: TaskSnapshot, withTags = false): Record<string, unknown> {
  return compact({
    Cluster: task.clusterArn,
    TaskARN: task.taskArn,
    Family: task.family,
    Revision: task.revision,
    DesiredStatus: task.desired,
    KnownStatus: task.known,
    Limits: task.limits.cpu !== undefined || task.limits.memory !== undefined ? compact({ CPU: task.limits.cpu, Memory: task.limits.memory }) : undefined,
    PullStartedAt: iso(task.pullStartedAt),
    PullStoppedAt: iso(task.pullStoppedAt),
    ExecutionStoppedAt: iso(task.executionStoppedAt),
    AvailabilityZone: task.availabilityZone,
    LaunchType: task.launchType,
    ServiceName: task.serviceName,
    TaskTags: withTags ? task.tags : undefined,
    Containers: task.containers.filter((c) => c.role === "app").map((c) => containerMetadata(task, c)),
    FaultInjectionEnabled: false,
  });
}

export async function startMetadataServer(opts: { host: string; port: number; source: MetadataSource }): Promise<MetadataServer> {
  const server = createServer((req, res) => {
    void handle(opts.source, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { message: err instanceof Error ? err.message : String(err) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function handle(source: MetadataSource, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "GET") {
    send(res, 405, { message: "only GET is supported" });
    return;
  }
  const path = new URL(req.url ?? "/", "http://metadata").pathname.replace(/\/+$/, "");
  const m = /^\/v[34]\/([^/]+)(\/task|\/taskWithTags|\/stats|\/task\/stats)?$/.exec(path);
  const found = m?.[1] ? source.findByToken(m[1]) : undefined;
  if (!m || !found) {
    send(res, 404, { message: "no task metadata here: the URI must be this container's ECS_CONTAINER_METADATA_URI_V4" });
    return;
  }
  const { task, container } = found;
  const signal = AbortSignal.timeout(15_000);
  switch (m[2]) {
    case undefined:
      send(res, 200, containerMetadata(task, container));
      return;
    case "/task":
      send(res, 200, taskMetadata(task));
      return;
    case "/taskWithTags":
      send(res, 200, taskMetadata(task, true));
      return;
    case "/stats":
      send(res, 200, container.dockerId ? await source.stats(container.dockerId, signal) : {});
      return;
    case "/task/stats": {
      const ids = task.containers.filter((c) => c.role === "app" && c.dockerId).map((c) => c.dockerId as string);
      const all = await Promise.all(ids.map(async (id) => [id, await source.stats(id, signal).catch(() => null)] as const));
      send(res, 200, Object.fromEntries(all));
      return;
    }
  }
}
