// A raw AWS JSON 1.1 client for tests that must send what no SDK would: any
// body bytes, any or no X-Amz-Target, a wrong key or secret, a skewed date, a
// scope for another region or service, a garbled or missing Authorization, or
// a request changed after it was signed. Built on aws-client: the same signer
// and API metadata as Berth's own client, so a request left unbroken is what it sends.
//
//   RawRequest → prepare (headers, body, SigV4, then afterSigning edits) → send → RawResponse
//   RawConnection: one TCP connection to write requests (or parts of them) and read responses in order

import { request as httpRequest, type Agent, type IncomingHttpHeaders } from "node:http";
import { connect, type Socket } from "node:net";
import { jsonContentType, type JsonApi } from "../../src/aws-client/aws-json-client.js";
import { amzDate, sigV4Authorization, type Credentials } from "../../src/aws-client/sigv4.js";
import { ecsApi } from "../../src/model/generated/ecs.js";
import { testRegion, type TestServer } from "./harness.js";

export interface RawClientOptions {
  readonly url: string;
  readonly credentials: Credentials;
  readonly region: string;
  /** The API addressed: X-Amz-Target prefix, content type, signing name (default ECS). */
  readonly api?: JsonApi;
}

/** How to sign; every field defaults to the client's (correct) value. */
export interface SignOptions {
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly region?: string;
  readonly service?: string;
  /** The signing time (default now): move it to sign a stale or future request. */
  readonly date?: Date;
  /** Headers to leave out of SignedHeaders, e.g. "host". */
  readonly unsignedHeaders?: readonly string[];
}

/** Edits made after signing, which the signature no longer covers. */
export interface AfterSigning {
  readonly body?: string | Uint8Array;
  /** Header values to set; null removes the header. Names in lower case. */
  readonly headers?: Readonly<Record<string, string | null>>;
  /** Replaces the Authorization header, or rewrites it from the signed one. */
  readonly authorization?: string | ((signed: string) => string);
  /** Replaces the request path and query (e.g. "/?extra=1"). */
  readonly path?: string;
}

export interface RawRequest {
  readonly method?: string;
  /** Path and query (default "/"). */
  readonly path?: string;
  /** The ECS operation (default ListClusters); X-Amz-Target becomes `${targetPrefix}.${operation}`. */
  readonly operation?: string;
  /** The X-Amz-Target header verbatim, overriding `operation`; null sends none. */
  readonly target?: string | null;
  /** A string or bytes are sent as they are; any other value is sent as JSON; undefined sends no body. */
  readonly body?: unknown;
  /** Headers to set before signing; null removes a default one. Names in lower case. */
  readonly headers?: Readonly<Record<string, string | null>>;
  /** false sends the request unsigned. */
  readonly sign?: false | SignOptions;
  readonly afterSigning?: AfterSigning;
}

/** A request ready for the wire; tests that stream a body write `body` themselves. */
export interface PreparedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly body: unknown;
  /** `__type` of an error body (AWS may prefix it with a namespace and '#'). */
  readonly errorType: string | undefined;
  /** `message` (or `Message`) of an error body. */
  readonly message: string | undefined;
}

function toBytes(body: unknown): Uint8Array {
  if (body === undefined) return new Uint8Array();
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return body;
  return Buffer.from(JSON.stringify(body), "utf8");
}

function applyHeaders(headers: Record<string, string>, edits: Readonly<Record<string, string | null>> | undefined): void {
  for (const [name, value] of Object.entries(edits ?? {})) {
    if (value === null) delete headers[name.toLowerCase()];
    else headers[name.toLowerCase()] = value;
  }
}

export class RawClient {
  readonly url: URL;

  constructor(readonly options: RawClientOptions) {
    this.url = new URL(options.url);
  }

  /** Builds the exact bytes and headers that `send` would put on the wire. */
  prepare(req: RawRequest): PreparedRequest {
    const api = this.options.api ?? ecsApi;
    const method = req.method ?? "POST";
    const path = req.path ?? "/";
    const body = toBytes(req.body);
    const headers: Record<string, string> = { host: this.url.host, "content-type": jsonContentType(api) };
    const target = req.target !== undefined ? req.target : `${api.targetPrefix}.${req.operation ?? "ListClusters"}`;
    if (target !== null) headers["x-amz-target"] = target;
    applyHeaders(headers, req.headers);

    if (req.sign !== false) {
      const sign = req.sign ?? {};
      const datetime = amzDate(sign.date ?? new Date());
      headers["x-amz-date"] = datetime;
      const unsigned = new Set(sign.unsignedHeaders?.map((h) => h.toLowerCase()));
      headers["authorization"] = sigV4Authorization(
        {
          method,
          target: path,
          headers: Object.fromEntries(Object.entries(headers).filter(([name]) => !unsigned.has(name))),
          body: Buffer.from(body),
          region: sign.region ?? this.options.region,
          service: sign.service ?? api.signingName,
          datetime,
        },
        {
          accessKeyId: sign.accessKeyId ?? this.options.credentials.accessKeyId,
          secretAccessKey: sign.secretAccessKey ?? this.options.credentials.secretAccessKey,
        },
      );
    }

    const after = req.afterSigning ?? {};
    applyHeaders(headers, after.headers);
    if (after.authorization !== undefined) {
      headers["authorization"] =
        typeof after.authorization === "string" ? after.authorization : after.authorization(headers["authorization"] ?? "");
    }
    const finalBody = after.body === undefined ? body : toBytes(after.body);
    headers["content-length"] = String(finalBody.length);
    return { method, path: after.path ?? path, headers, body: finalBody };
  }

  send(req: RawRequest, agent?: Agent): Promise<RawResponse> {
    return this.sendPrepared(this.prepare(req), agent);
  }

  /** Sends a prepared request on a fresh connection (or on `agent`'s). */
  sendPrepared(prepared: PreparedRequest, agent?: Agent): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: this.url.hostname,
          port: this.url.port,
          method: prepared.method,
          path: prepared.path,
          headers: prepared.headers,
          agent: agent ?? false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => resolve(readResponse(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString("utf8"))));
        },
      );
      outgoing.on("error", reject);
      outgoing.end(prepared.body);
    });
  }
}

export function readResponse(status: number, headers: IncomingHttpHeaders, text: string): RawResponse {
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  const fields = body !== null && typeof body === "object" ? (body as Record<string, unknown>) : {};
  const type = fields["__type"];
  const message = fields["message"] ?? fields["Message"];
  return {
    status,
    headers,
    text,
    body,
    errorType: typeof type === "string" ? type.slice(type.lastIndexOf("#") + 1) : undefined,
    message: typeof message === "string" ? message : undefined,
  };
}

/** A raw client for a test server, signing as its root key for ECS in the test region. */
export function rawClient(server: TestServer): RawClient {
  return new RawClient({
    url: server.url,
    credentials: { accessKeyId: server.cp.root.accessKeyId, secretAccessKey: server.cp.root.secretAccessKey },
    region: testRegion,
  });
}

/** Serialises a prepared request's head (request line and headers) for a raw connection. */
export function requestHead(prepared: PreparedRequest): Buffer {
  const lines = [`${prepared.method} ${prepared.path} HTTP/1.1`, ...Object.entries(prepared.headers).map(([k, v]) => `${k}: ${v}`)];
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
}

/**
 * One kept-alive TCP connection: write whole or partial requests, read the
 * responses in order. For keep-alive, pipelining and in-flight shutdown tests.
 */
export class RawConnection {
  private buffer = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private ended = false;
  /** Resolves when the server (or we) closed the connection. */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      socket.on("close", () => {
        this.ended = true;
        this.wake();
        resolve();
      }),
    );
    socket.on("error", () => undefined);
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) }, () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  get isClosed(): boolean {
    return this.ended;
  }

  write(bytes: Uint8Array | string): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  /** Writes a whole prepared request. */
  async send(prepared: PreparedRequest): Promise<void> {
    await this.write(Buffer.concat([requestHead(prepared), prepared.body]));
  }

  /** Reads the next response (Content-Length framed, as the edge answers). */
  async readResponse(): Promise<RawResponse> {
    for (;;) {
      const headEnd = this.buffer.indexOf("\r\n\r\n");
      if (headEnd >= 0) {
        const [statusLine = "", ...headerLines] = this.buffer.subarray(0, headEnd).toString("latin1").split("\r\n");
        const headers: IncomingHttpHeaders = {};
        for (const line of headerLines) {
          const colon = line.indexOf(":");
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const length = Number(headers["content-length"] ?? 0);
        if (this.buffer.length >= headEnd + 4 + length) {
          const body = this.buffer.subarray(headEnd + 4, headEnd + 4 + length).toString("utf8");
          this.buffer = this.buffer.subarray(headEnd + 4 + length);
          return readResponse(Number(statusLine.split(" ")[1]), headers, body);
        }
      }
      if (this.ended) throw new Error(`connection closed before a whole response arrived (${this.buffer.length} bytes buffered)`);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
