// The edge: one HTTP port for every API. Routes by protocol (JSON 1.1 by
// X-Amz-Target; the query protocol by a form body and its credential scope's
// service; /v2/ and others plug in as routes), authenticates with SigV4, and maps
// every error to AWS's wire shape in one place.
//
//   request → route → [SigV4] → decode + validate → handler → encode → response
//                ↘ error anywhere → toAwsError → {"__type","message"} (JSON) | <ErrorResponse> (query)

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import type { KeyRing } from "./access-keys.js";
import { errors, type AwsError } from "../errors.js";
import { toAwsError } from "./wire-error.js";
import { decodeJsonBody, EncodedOutput, invoke, resolveTarget, type Dispatch, type ServedApi } from "./json-protocol.js";
import { decodeQuery, encodeQueryError, encodeQueryResult } from "../model/query-codec.js";
import { scopedService, verifySigV4 } from "./sigv4.js";
import { RequestTurns } from "./request-turns.js";

/**
 * A protocol that is not AWS JSON 1.1 (the OCI registry under /v2/, the query
 * protocol, …): it claims the requests it serves and answers them itself.
 */
export interface HttpRoute {
  matches(req: IncomingMessage, url: URL): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

/** A WebSocket (or other) upgrade: the agent channel. */
export interface UpgradeRoute {
  matches(url: URL): boolean;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void;
}

export interface EdgeOptions {
  readonly host: string;
  readonly port: number;
  readonly accountId: string;
  readonly keys: KeyRing;
  readonly apis: readonly ServedApi[];
  readonly routes?: readonly HttpRoute[];
  readonly upgrades?: readonly UpgradeRoute[];
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface Edge {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Large enough for ECR's UploadLayerPart (20 MiB parts, base64 in JSON), the largest JSON body AWS takes. */
export const maxJsonBody = 32 * 1024 * 1024;

/** The query protocol's largest form (IAM policy documents are the largest values it carries). */
const maxQueryBody = 1024 * 1024;

/** Reads a whole request body; past the limit it stops reading and answers 413 (the connection is then closed). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => errors.requestEntityTooLarge(`Request body exceeds ${limit} bytes; send less than that.`);
  if (Number(req.headers["content-length"] ?? 0) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, requestId: string, payload: unknown, contentType = "application/x-amz-json-1.1"): void {
  // Encoded once: measuring a string's length and writing it would encode it twice.
  const text = typeof payload === "string" ? payload : payload instanceof EncodedOutput ? payload.json : JSON.stringify(payload);
  const body = Buffer.from(text, "utf8");
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": body.length,
    "x-amzn-requestid": requestId,
  });
  res.end(body);
}

/** `query`: the API whose query-protocol request failed, answered in XML; otherwise JSON. */
function sendError(res: ServerResponse, requestId: string, error: AwsError, query: ServedApi | undefined): void {
  res.setHeader("x-amzn-errortype", error.code);
  // The rest of an oversized body is never read, so the connection cannot carry another request.
  if (error.status === 413) res.setHeader("connection", "close");
  if (query) send(res, error.status, requestId, encodeQueryError(query.model, error, requestId), "text/xml");
  else send(res, error.status, requestId, { __type: error.code, message: error.message });
}

const isForm = (req: IncomingMessage): boolean => (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");

export async function startEdge(opts: EdgeOptions): Promise<Edge> {
  const log = opts.logger;
  // API calls are answered first come, first served (turns.ts).
  const turns = new RequestTurns();

  /** Verifies the signature for the dispatched API and runs the operation; the handler's answer, still to encode. */
  async function run(req: IncomingMessage, body: Buffer, dispatch: Dispatch, decode: () => unknown, requestId: string): Promise<unknown> {
    await turns.take();
    const now = opts.clock.now();
    const { principal, region } = verifySigV4(
      {
        method: req.method ?? "POST",
        target: req.url ?? "/",
        headers: req.headers as Record<string, string | undefined>,
        body,
      },
      { keys: opts.keys, service: dispatch.service.model.signingName, now },
    );
    return invoke(dispatch, decode(), { requestId, principal, accountId: opts.accountId, region, now });
  }

  async function handleJson(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const dispatch = resolveTarget(opts.apis, header(req, "x-amz-target"));
    const body = await readBody(req, maxJsonBody);
    const output = await run(req, body, dispatch, () => decodeJsonBody(body), requestId);
    send(res, 200, requestId, output instanceof EncodedOutput ? output : dispatch.service.model.formatOutput(dispatch.operation, output));
  }

  async function handleQuery(req: IncomingMessage, res: ServerResponse, requestId: string, service: ServedApi): Promise<void> {
    const body = await readBody(req, maxQueryBody);
    const params = new URLSearchParams(body.toString("utf8"));
    const operation = params.get("Action");
    if (!operation) throw errors.unknownOperation("The request names no Action. Query protocol requests are forms with Action=<operation>&Version=<API version>.");
    const dispatch = { service, operation };
    const output = await run(req, body, dispatch, () => decodeQuery(service.model, operation, params), requestId);
    send(res, 200, requestId, encodeQueryResult(service.model, operation, output, requestId), "text/xml");
  }

  /** The query-protocol API a form request is for: the one its credential scope names. */
  function queryApi(req: IncomingMessage): ServedApi | undefined {
    if (req.method !== "POST" || header(req, "x-amz-target") !== undefined || !isForm(req)) return undefined;
    const service = scopedService(header(req, "authorization"));
    return opts.apis.find((a) => a.model.protocol === "query" && a.model.signingName === service);
  }

  let closing = false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    // While shutting down, no connection is kept for another request, including
    // the ones whose request was already in flight when the shutdown began.
    if (closing) res.setHeader("connection", "close");
    res.once("finish", () => {
      if (closing) req.socket.end();
    });
    const query = queryApi(req);
    try {
      if (query) {
        await handleQuery(req, res, requestId, query);
        return;
      }
      if (req.method === "POST" && header(req, "x-amz-target") !== undefined) {
        await handleJson(req, res, requestId);
        return;
      }
      const url = new URL(req.url ?? "/", "http://edge");
      if (req.method === "GET" && url.pathname === "/health") {
        send(res, 200, requestId, { status: "ok" }, "application/json");
        return;
      }
      const route = opts.routes?.find((r) => r.matches(req, url));
      if (route) {
        await route.handle(req, res, url);
        return;
      }
      throw errors.unknownOperation(
        `No API is served at ${req.method ?? ""} ${url.pathname}. AWS API calls are POST requests with an X-Amz-Target header naming the operation.`,
      );
    } catch (err) {
      const { error, unexpected } = toAwsError(err);
      if (unexpected) log.error({ err, requestId }, "request failed");
      if (!res.headersSent) sendError(res, requestId, error, query);
      else res.destroy();
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://edge");
    const route = opts.upgrades?.find((u) => u.matches(url));
    if (route) route.upgrade(req, socket, head, url);
    else socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = opts.host === "0.0.0.0" || opts.host === "::" ? "localhost" : opts.host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
