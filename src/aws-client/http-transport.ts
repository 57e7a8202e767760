// The two ways a client POSTs one request and reads the whole answer: node:http(s),
// the default; or an undici dispatcher (a Pool) the caller brings, for a load
// generator that shares its cores with the server it measures.
//
// node:http rather than fetch by default: fetch loads undici and compiles its
// WebAssembly HTTP parser, about 16 MiB of the agent's memory for a handful of
// calls. The undici path uses its lowest-level API (dispatch callbacks, no
// streams): under load, node:http's client cost more than twice the CPU per
// request, and its own pauses (its garbage collection above all) showed up in
// the server's tail latency as if the server had been slow. The dispatcher is
// typed by its shape here, so nothing in this folder loads undici.

import { request as httpRequest, type Agent as HttpAgent, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";

export interface HttpAnswer {
  readonly status: number;
  /** Names in lower case. */
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The part of undici's Dispatcher (Pool, Client, Agent) a request is sent through. */
export interface Dispatcher {
  dispatch(
    options: { readonly origin: string; readonly path: string; readonly method: "POST"; readonly headers: Record<string, string>; readonly body: Buffer },
    handler: DispatchCallbacks,
  ): boolean;
}

/** undici's dispatch callbacks, as far as a whole-answer POST uses them. */
export interface DispatchCallbacks {
  onConnect(abort: (err?: Error) => void): void;
  onHeaders(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: string[] | null): void;
  onError(err: Error): void;
}

export interface PostOptions {
  readonly agent?: HttpAgent | undefined;
  readonly dispatcher?: Dispatcher | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** One POST, read whole; resolves with any status, rejects only when the transport fails. */
export function post(url: URL, headers: Readonly<Record<string, string>>, body: Buffer, opts: PostOptions = {}): Promise<HttpAnswer> {
  return opts.dispatcher ? dispatchPost(opts.dispatcher, url, headers, body, opts.signal) : nodePost(url, headers, body, opts);
}

function nodePost(url: URL, headers: Readonly<Record<string, string>>, body: Buffer, opts: PostOptions): Promise<HttpAnswer> {
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        // URL keeps an IPv6 literal's brackets; the socket wants the bare address.
        hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: url.port,
        method: "POST",
        path: url.pathname + url.search,
        headers: { ...headers, "content-length": String(body.length) },
        ...(opts.agent ? { agent: opts.agent } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function dispatchPost(
  dispatcher: Dispatcher,
  url: URL,
  headers: Readonly<Record<string, string>>,
  body: Buffer,
  signal: AbortSignal | undefined,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let raw: Buffer[] = [];
    const chunks: Buffer[] = [];
    let abortOnSignal: (() => void) | undefined;
    const settled = (): void => {
      if (abortOnSignal) signal?.removeEventListener("abort", abortOnSignal);
    };
    dispatcher.dispatch(
      { origin: url.origin, path: url.pathname + url.search, method: "POST", headers: { ...headers, "content-length": String(body.length) }, body },
      {
        onConnect: (abort) => {
          if (!signal) return;
          if (signal.aborted) return abort(signal.reason as Error);
          abortOnSignal = () => abort(signal.reason as Error);
          signal.addEventListener("abort", abortOnSignal, { once: true });
        },
        onHeaders: (statusCode, rawHeaders) => {
          status = statusCode;
          raw = rawHeaders;
          return true;
        },
        onData: (chunk) => {
          chunks.push(chunk);
          return true;
        },
        onComplete: () => {
          settled();
          const [only] = chunks;
          resolve({ status, headers: decodeHeaders(raw), body: only && chunks.length === 1 ? only : Buffer.concat(chunks) });
        },
        onError: (err) => {
          settled();
          reject(err);
        },
      },
    );
  });
}

/** undici's raw [name, value, name, value, …] as node:http gives headers (a repeated name keeps its last value). */
function decodeHeaders(raw: readonly Buffer[]): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (let i = 0; i + 1 < raw.length; i += 2) headers[String(raw[i]).toLowerCase()] = String(raw[i + 1]);
  return headers;
}
