// A small client for the Docker Engine API on its socket, over node:http: one
// `request` that joins the caller's AbortSignal with a per-call timeout and turns
// Docker's HTTP errors into DockerRuntimeError kinds. The engine is found as the
// docker CLI finds it: DOCKER_HOST (unix:// or tcp://, with DOCKER_TLS_VERIFY and
// DOCKER_CERT_PATH for TLS), else /var/run/docker.sock.

import { readFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { homedir } from "node:os";
import { join } from "node:path";
import { DockerRuntimeError, type RegistryCredentials } from "./docker-runtime.js";

type Query = Readonly<Record<string, string | number | boolean | object | undefined>>;

export interface EngineRequest {
  readonly method: "GET" | "POST" | "DELETE";
  readonly path: string;
  /** Values that are objects (filters) are sent as JSON, as the Engine API expects; undefined ones are left out. */
  readonly query?: Query;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** A tar archive (a build context). */
  readonly tar?: Buffer;
  readonly auth?: RegistryCredentials & { readonly serveraddress: string };
  /** Undefined: bounded only by `signal` (waits, event and log streams). */
  readonly timeoutMs?: number;
  readonly signal: AbortSignal;
}

/** Where the engine listens, and how to reach it. */
interface Endpoint {
  readonly socketPath?: string;
  readonly host?: string;
  readonly port?: number;
  readonly tls?: { readonly ca: Buffer; readonly cert: Buffer; readonly key: Buffer };
}

function endpointFrom(env: NodeJS.ProcessEnv): Endpoint {
  const dockerHost = env["DOCKER_HOST"];
  if (!dockerHost) return { socketPath: "/var/run/docker.sock" };
  const url = new URL(dockerHost);
  if (url.protocol === "unix:") return { socketPath: url.pathname };
  if (url.protocol !== "tcp:") throw new Error(`DOCKER_HOST=${dockerHost}: Berth's agent reaches Docker on unix:// or tcp:// only`);
  const tlsVerify = env["DOCKER_TLS_VERIFY"];
  const certPath = env["DOCKER_CERT_PATH"] ?? join(homedir(), ".docker");
  const tls = tlsVerify && tlsVerify !== "0" ? { ca: readFileSync(join(certPath, "ca.pem")), cert: readFileSync(join(certPath, "cert.pem")), key: readFileSync(join(certPath, "key.pem")) } : undefined;
  return { host: url.hostname, port: Number(url.port || (tls ? 2376 : 2375)), ...(tls ? { tls } : {}) };
}

function queryString(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    params.set(key, typeof value === "object" ? JSON.stringify(value) : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export class DockerEngine {
  private readonly endpoint: Endpoint;
  private readonly agent: HttpAgent;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.endpoint = endpointFrom(env);
    this.agent = this.endpoint.tls ? new HttpsAgent({ keepAlive: true, ...this.endpoint.tls }) : new HttpAgent({ keepAlive: true });
  }

  /** The answer's body as JSON (undefined when empty); rejects with DockerRuntimeError. */
  async json<T>(req: EngineRequest): Promise<T> {
    const call = await this.open(req);
    const text = (await call.read()).toString("utf8");
    return (text.trim() === "" ? undefined : JSON.parse(text)) as T;
  }

  /** A 2xx answer as a stream for the caller to read (and destroy); rejects with DockerRuntimeError. */
  async request(req: EngineRequest): Promise<IncomingMessage> {
    return (await this.open(req)).res;
  }

  private async open(req: EngineRequest): Promise<{ readonly res: IncomingMessage; read(): Promise<Buffer> }> {
    const timeout = req.timeoutMs === undefined ? undefined : AbortSignal.timeout(req.timeoutMs);
    const signal = timeout ? AbortSignal.any([req.signal, timeout]) : req.signal;
    const what = `${req.method} ${req.path}`;
    const failure = (err: Error): DockerRuntimeError => (signal.aborted ? abortError(what, timeout) : new DockerRuntimeError("failed", `${what}: ${err.message}`));
    if (signal.aborted) throw abortError(what, timeout);
    const payload = req.tar ?? (req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body), "utf8"));
    const headers: Record<string, string> = {};
    if (payload) {
      headers["content-type"] = req.tar ? "application/x-tar" : "application/json";
      headers["content-length"] = String(payload.length);
    }
    // URL-safe base64 with its padding, as the docker CLI sends it.
    if (req.auth) headers["x-registry-auth"] = Buffer.from(JSON.stringify(req.auth), "utf8").toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
    const options: RequestOptions = {
      method: req.method,
      path: req.path + queryString(req.query),
      headers,
      agent: this.agent,
      signal,
      ...(this.endpoint.socketPath ? { socketPath: this.endpoint.socketPath } : { host: this.endpoint.host, port: this.endpoint.port }),
    };
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = (this.endpoint.tls ? httpsRequest : httpRequest)(options, resolve);
      outgoing.on("error", (err) => reject(failure(err)));
      outgoing.end(payload);
    });
    const read = (): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve(Buffer.concat(chunks)));
        res.on("error", (err) => reject(failure(err)));
        res.on("aborted", () => reject(failure(new Error("the answer was cut off"))));
      });
    const status = res.statusCode ?? 0;
    // 304: already so (a started container started again, a stopped one stopped).
    if ((status >= 200 && status < 300) || status === 304) return { res, read };
    const text = (await read()).toString("utf8");
    let message = text;
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === "string") message = parsed.message;
    } catch {
      // Not JSON: Docker's text is the message.
    }
    const kind = status === 404 ? "not-found" : status === 409 ? "conflict" : "failed";
    throw new DockerRuntimeError(kind, `${what}: ${message.trim()}`, status);
  }
}

export function abortError(what: string, timeout: AbortSignal | undefined): DockerRuntimeError {
  return timeout?.aborted
    ? new DockerRuntimeError("timeout", `Docker did not answer ${what} in time`)
    : new DockerRuntimeError("aborted", `${what} was cancelled`);
}
