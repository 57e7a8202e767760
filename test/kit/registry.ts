// Helpers for the registry's tests: raw HTTP against /v2/, tokens, small
// images made on the spot, the ECR SDK client, and a Registry over a test
// server's store and data directory (for garbage collection and checks).

import { execFile, spawnSync } from "node:child_process";
import { request, type IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";
import { ECRClient } from "@aws-sdk/client-ecr";
import pino from "pino";
import { systemClock } from "../../src/clock.js";
import { testRegion, type TestServer } from "./harness.js";
import { TokenKey, tokenLifetimeMs } from "../../src/registry/auth-token.js";
import { digestOf } from "../../src/registry/digest.js";
import { mediaTypes } from "../../src/registry/manifest.js";
import { Registry, registryDir } from "../../src/registry/registry.js";

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

export interface HttpOptions {
  readonly method?: string;
  readonly headers?: Record<string, string | number>;
  readonly body?: Buffer | string | Readable;
}

export function http(url: string, opts: HttpOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const body = typeof opts.body === "string" ? Buffer.from(opts.body) : opts.body;
    const headers: Record<string, string | number> = { ...opts.headers };
    if (Buffer.isBuffer(body) && headers["content-length"] === undefined) headers["content-length"] = body.length;
    const req = request(url, { method: opts.method ?? "GET", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const data = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, json: <T>() => JSON.parse(data.toString("utf8")) as T });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

export function tokenFor(server: TestServer, expiresAt = new Date(Date.now() + tokenLifetimeMs), accessKeyId = server.cp.root.accessKeyId): string {
  return TokenKey.load(registryDir(server.dataDir)).issue({ accessKeyId, expiresAt });
}

export function basicAuth(token: string, user = "AWS"): string {
  return `Basic ${Buffer.from(`${user}:${token}`).toString("base64")}`;
}

export function ecrClient(server: TestServer): ECRClient {
  return new ECRClient({
    endpoint: server.url,
    region: testRegion,
    credentials: { accessKeyId: server.cp.root.accessKeyId, secretAccessKey: server.cp.root.secretAccessKey },
    maxAttempts: 1,
  });
}

/** A Registry over the server's store and files, for garbage collection and consistency checks. */
export function registryOf(server: TestServer): Registry {
  return new Registry({
    store: server.cp.store,
    clock: systemClock,
    logger: pino({ level: "silent" }),
    dataDir: server.dataDir,
    accountId: "000000000000",
    region: testRegion,
    publicHost: () => new URL(server.url).host,
  });
}

export interface PushedImage {
  readonly digest: string;
  readonly manifest: Buffer;
  readonly config: string;
  readonly layers: readonly string[];
}

/** Talks /v2/ as a client would, with a valid token. */
export class V2Client {
  readonly auth: string;
  constructor(
    readonly server: TestServer,
    token = tokenFor(server),
  ) {
    this.auth = basicAuth(token);
  }

  req(method: string, path: string, opts: Omit<HttpOptions, "method"> = {}): Promise<HttpResult> {
    return http(`${this.server.url}${path}`, { ...opts, method, headers: { authorization: this.auth, ...opts.headers } });
  }

  async pushBlob(repository: string, data: Buffer): Promise<string> {
    const digest = digestOf(data);
    const r = await this.req("POST", `/v2/${repository}/blobs/uploads/?digest=${digest}`, { body: data, headers: { "content-type": "application/octet-stream" } });
    if (r.status !== 201) throw new Error(`blob push failed: ${r.status} ${r.body.toString()}`);
    return digest;
  }

  async pushManifest(repository: string, reference: string, manifest: unknown, mediaType: string): Promise<HttpResult> {
    return this.req("PUT", `/v2/${repository}/manifests/${reference}`, { body: JSON.stringify(manifest), headers: { "content-type": mediaType } });
  }

  /** Pushes a small OCI image (a config and the given layers) and tags it. */
  async pushImage(repository: string, tag: string, layers: readonly Buffer[], extra: Record<string, unknown> = {}): Promise<PushedImage> {
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: layers.map((l) => digestOf(l)) }, tag }));
    const configDigest = await this.pushBlob(repository, config);
    const layerDigests: string[] = [];
    for (const l of layers) layerDigests.push(await this.pushBlob(repository, l));
    const manifest = {
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: mediaTypes.ociConfig, digest: configDigest, size: config.length },
      layers: layers.map((l, i) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: layerDigests[i], size: l.length })),
      ...extra,
    };
    const body = Buffer.from(JSON.stringify(manifest));
    const r = await this.req("PUT", `/v2/${repository}/manifests/${tag}`, { body, headers: { "content-type": mediaTypes.ociManifest } });
    if (r.status !== 201) throw new Error(`manifest push failed: ${r.status} ${r.body.toString()}`);
    return { digest: digestOf(body), manifest: body, config: configDigest, layers: layerDigests };
  }
}

/** Whether a Docker Engine answers; in CI its absence is a failure, locally a reason to skip. */
export function dockerAvailable(): boolean {
  const ok = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8" }).status === 0;
  if (!ok && process.env["CI"]) throw new Error("Docker is required in CI but `docker info` failed.");
  return ok;
}

export function skopeoAvailable(): boolean {
  const ok = spawnSync("skopeo", ["--version"], { encoding: "utf8" }).status === 0;
  if (!ok && process.env["CI"]) throw new Error("skopeo is required in CI but was not found.");
  return ok;
}

export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command without blocking the event loop (the server under test runs
 * in this process) and resolves with its status and output.
 */
export function tryRun(command: string, args: readonly string[], env?: NodeJS.ProcessEnv, input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { env: env ?? process.env, encoding: "utf8", maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ status, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/** Like `tryRun`, but resolves with stdout and rejects with the output when the command fails. */
export async function run(command: string, args: readonly string[], env?: NodeJS.ProcessEnv, input?: string): Promise<string> {
  const r = await tryRun(command, args, env, input);
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
