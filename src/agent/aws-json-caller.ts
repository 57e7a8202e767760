// The agent's AWS JSON 1.1 calls to its control plane (ECS, ECR, CloudWatch Logs):
// SigV4-signed by the maintained signer the SDKs use, sent over a keep-alive
// socket, failures thrown as errors named by their AWS code — what an SDK client
// does for these calls, without an SDK client's module graph in the agent.
//
//   call(operation, input) → JSON (Dates as epoch seconds) → sign → POST → 200: output
//                                                                        → else: AwsCallError(code)
//   retried as the SDK's standard mode retries: throttling and transient failures, up to maxAttempts

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";

/** Which service a caller talks to: its X-Amz-Target prefix and SigV4 signing name. */
export interface JsonService {
  readonly targetPrefix: string;
  readonly signingName: string;
}

export const ecsService: JsonService = { targetPrefix: "AmazonEC2ContainerServiceV20141113", signingName: "ecs" };
export const ecrService: JsonService = { targetPrefix: "AmazonEC2ContainerRegistry_V20150921", signingName: "ecr" };
export const logsService: JsonService = { targetPrefix: "Logs_20140328", signingName: "logs" };

export interface CallerOptions {
  /** The control plane's URL (http or https). */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Attempts per call, as the SDK's `maxAttempts` (default 3); 1 leaves retrying to the caller. */
  readonly maxAttempts?: number;
  /** The local clock (ms since the epoch); requests are signed at this plus the learned skew. */
  readonly now?: () => number;
}

/** An error response: `name` and `code` are the AWS error code (`__type`), as on an SDK's errors. */
export class AwsCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    /** The clock skew was corrected from this response, so a retry can succeed. */
    readonly clockSkewCorrected = false,
  ) {
    super(message);
    this.name = code;
  }
}

/** What arrives for a model type: JSON 1.1 carries timestamps as epoch seconds. */
export type Wire<T> = T extends Date
  ? number
  : T extends readonly (infer E)[]
    ? readonly Wire<E>[]
    : T extends object
      ? { readonly [K in keyof T]: Wire<T[K]> }
      : T;

interface OperationShapes {
  readonly input: unknown;
  readonly output: unknown;
}

// The SDK's standard retry mode (@smithy/core's retry): which failures are worth another attempt, and its delays.
const throttlingCodes = new Set([
  "BandwidthLimitExceeded",
  "EC2ThrottledException",
  "LimitExceededException",
  "PriorRequestNotComplete",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "ThrottledException",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "TransactionInProgressException",
]);
const transientCodes = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException"]);
const transientStatuses = new Set([500, 502, 503, 504]);
const transientNetworkCodes = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);
const retryDelayBaseMs = 50;
const throttlingDelayBaseMs = 1000;
const maxRetryDelayMs = 20_000;
/** A clock this far from the server's is corrected, and the refused call retried (the SDK's threshold). */
const skewThresholdMs = 240_000;

function isThrottling(err: unknown): boolean {
  return err instanceof AwsCallError && (err.status === 429 || throttlingCodes.has(err.code));
}

function isTransient(err: unknown): boolean {
  if (err instanceof AwsCallError) return err.clockSkewCorrected || transientCodes.has(err.code) || transientStatuses.has(err.status);
  const code = (err as { code?: unknown } | undefined)?.code;
  return err instanceof Error && err.name !== "AbortError" && typeof code === "string" && transientNetworkCodes.has(code);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Dates as epoch seconds (with milliseconds), as the SDKs send JSON 1.1 timestamps. */
function encodeBody(input: unknown): Buffer {
  return Buffer.from(
    JSON.stringify(input ?? {}, function (this: Record<string, unknown>, key, value: unknown) {
      const raw = this[key];
      return raw instanceof Date ? raw.getTime() / 1000 : value;
    }),
    "utf8",
  );
}

function errorFrom(status: number, headers: IncomingMessage["headers"], body: string, clockSkewCorrected: boolean): AwsCallError {
  let type = String(headers["x-amzn-errortype"] ?? "");
  let message = body.slice(0, 300);
  try {
    const parsed = JSON.parse(body) as { __type?: unknown; message?: unknown; Message?: unknown };
    if (typeof parsed.__type === "string") type = parsed.__type;
    const text = parsed.message ?? parsed.Message;
    if (typeof text === "string") message = text;
  } catch {
    // Not JSON (a proxy's page, say): keep the raw text.
  }
  // "aws.protocoltests#FooError" and "FooError:http://…" both name FooError.
  const code = type.split(":")[0].split("#").pop() || `Http${status}Error`;
  return new AwsCallError(code, message, status, clockSkewCorrected);
}

export class AwsJsonCaller<Ops extends { readonly [K in keyof Ops]: OperationShapes }> {
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly signer: SignatureV4;
  private readonly maxAttempts: number;
  private readonly now: () => number;
  /** Server time minus local time, learned from each response's Date header (as the SDKs do). */
  private clockOffsetMs = 0;

  constructor(
    private readonly service: JsonService,
    opts: CallerOptions,
  ) {
    this.url = new URL(opts.endpoint);
    this.agent = this.url.protocol === "https:" ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.signer = new SignatureV4({
      credentials: { accessKeyId: opts.credentials.accessKeyId, secretAccessKey: opts.credentials.secretAccessKey },
      region: opts.region,
      service: service.signingName,
      sha256: Hash.bind(null, "sha256"),
      applyChecksum: false,
    });
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
    this.now = opts.now ?? Date.now;
  }

  /** Sends one call, retrying throttling and transient failures; throws AwsCallError for an error response. */
  async call<K extends keyof Ops & string>(operation: K, input: Ops[K]["input"], signal?: AbortSignal): Promise<Wire<Ops[K]["output"]>> {
    const body = encodeBody(input);
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.attempt(operation, body, signal)) as Wire<Ops[K]["output"]>;
      } catch (err) {
        const throttled = isThrottling(err);
        if (attempt >= this.maxAttempts || signal?.aborted || !(throttled || isTransient(err))) throw err;
        const base = throttled ? throttlingDelayBaseMs : retryDelayBaseMs;
        await sleep(Math.floor(Math.random() * Math.min(base * 2 ** (attempt - 1), maxRetryDelayMs)), signal);
      }
    }
  }

  /** Closes the idle keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }

  private async attempt(operation: string, body: Buffer, signal: AbortSignal | undefined): Promise<unknown> {
    const offsetBefore = this.clockOffsetMs;
    const signed = await this.signer.sign(
      {
        method: "POST",
        protocol: this.url.protocol,
        hostname: this.url.hostname,
        ...(this.url.port ? { port: Number(this.url.port) } : {}),
        path: this.url.pathname,
        query: {},
        headers: {
          host: this.url.host,
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": `${this.service.targetPrefix}.${operation}`,
        },
        body,
      },
      { signingDate: new Date(this.now() + offsetBefore) },
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) headers[name] = String(value);
    const res = await post(this.url, headers, body, { agent: this.agent, signal });
    const serverTime = Date.parse(String(res.headers.date ?? ""));
    if (!Number.isNaN(serverTime)) this.clockOffsetMs = serverTime - this.now();
    const text = res.body.toString("utf8");
    if (res.status === 200) return text.trim() === "" ? {} : JSON.parse(text);
    const corrected = Math.abs(this.clockOffsetMs) >= skewThresholdMs && this.clockOffsetMs !== offsetBefore;
    throw errorFrom(res.status, res.headers, text, corrected);
  }
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  readonly body: Buffer;
}

/**
 * One POST over node:http(s), read whole. The agent uses this rather than fetch:
 * fetch loads undici and compiles its WebAssembly HTTP parser, about 16 MiB of
 * the agent's memory for a handful of calls.
 */
export function post(
  url: URL,
  headers: Readonly<Record<string, string>>,
  body: Buffer,
  opts: { readonly agent?: HttpAgent; readonly signal?: AbortSignal | undefined } = {},
): Promise<HttpAnswer> {
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
