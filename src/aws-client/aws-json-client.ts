// One AWS JSON client for every caller Berth has: the agent's calls to its control
// plane (ECS, ECR, CloudWatch Logs), the tests', and the benchmarks' load. It
// does what an SDK client does for these calls — SigV4, retries, clock skew,
// errors named by their AWS code — without an SDK client's module graph.
//
//   call(operation, input) → JSON (Dates as epoch seconds) → sign → POST → 200: output
//                                                                     → else: AwsCallError(code)
//   retried as the SDK's standard mode retries: throttling and transient failures, up to maxAttempts
//
// A load generator signs its calls ahead (`sign`; a signature stays valid for
// 15 minutes) and sends them later (`send`) through an undici pool, so it
// spends its CPU on sending and treats every target alike.

import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { post, type Dispatcher, type HttpAnswer } from "./http-transport.js";
import { amzDate, sigV4Authorization, type Credentials } from "./sigv4.js";

/** How an AWS JSON API is addressed: the model's metadata (`ecsApi` and the others in model/generated/). */
export interface JsonApi {
  readonly targetPrefix: string;
  readonly jsonVersion: string;
  readonly signingName: string;
}

/** The Content-Type of an API's requests (application/x-amz-json-1.1). */
export function jsonContentType(api: JsonApi): string {
  return `application/x-amz-json-${api.jsonVersion}`;
}

export interface ClientOptions {
  /** The server's URL (http or https). */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: Credentials;
  /** Attempts per call, as the SDK's `maxAttempts` (default 3); 1 leaves retrying to the caller. */
  readonly maxAttempts?: number;
  /** The local clock (ms since the epoch); requests are signed at this plus the learned skew. */
  readonly now?: () => number;
  /** Send through this undici dispatcher (a Pool) instead of node:http's keep-alive agent. */
  readonly dispatcher?: Dispatcher;
}

/** A call signed ahead, ready to send. */
export interface SignedCall {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
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

export interface OperationShapes {
  readonly input: unknown;
  readonly output: unknown;
}

/** Any operation, untyped: for callers without a generated `Operations` (a load generator's mix). */
export type AnyOperations = Readonly<Record<string, OperationShapes>>;

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

function errorFrom({ status, headers, body: bytes }: HttpAnswer, clockSkewCorrected: boolean): AwsCallError {
  const body = bytes.toString("utf8");
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
  const code = type.replace(/:.*/s, "").split("#").pop() || `Http${status}Error`;
  return new AwsCallError(code, message, status, clockSkewCorrected);
}

export class AwsJsonClient<Ops extends { readonly [K in keyof Ops]: OperationShapes } = AnyOperations> {
  private readonly url: URL;
  private readonly agent: HttpAgent | undefined;
  private readonly dispatcher: Dispatcher | undefined;
  private readonly contentType: string;
  private readonly maxAttempts: number;
  private readonly now: () => number;
  /** Server time minus local time, learned from each response's Date header (as the SDKs do). */
  private clockOffsetMs = 0;

  constructor(
    private readonly api: JsonApi,
    private readonly opts: ClientOptions,
  ) {
    this.url = new URL(opts.endpoint);
    this.dispatcher = opts.dispatcher;
    this.agent = opts.dispatcher ? undefined : this.url.protocol === "https:" ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.contentType = jsonContentType(api);
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
    this.now = opts.now ?? Date.now;
  }

  /** Sends one call, retrying throttling and transient failures; throws AwsCallError for an error response. */
  async call<K extends keyof Ops & string>(operation: K, input: Ops[K]["input"], signal?: AbortSignal): Promise<Wire<Ops[K]["output"]>> {
    const body = encodeBody(input);
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await this.send(this.signBody(operation, body), signal);
        const text = answer.body.toString("utf8");
        return (text.trim() === "" ? {} : JSON.parse(text)) as Wire<Ops[K]["output"]>;
      } catch (err) {
        const throttled = isThrottling(err);
        if (attempt >= this.maxAttempts || signal?.aborted || !(throttled || isTransient(err))) throw err;
        const base = throttled ? throttlingDelayBaseMs : retryDelayBaseMs;
        await sleep(Math.floor(Math.random() * Math.min(base * 2 ** (attempt - 1), maxRetryDelayMs)), signal);
      }
    }
  }

  /** Signs one call now, to `send` within 15 minutes. */
  sign<K extends keyof Ops & string>(operation: K, input: Ops[K]["input"]): SignedCall {
    return this.signBody(operation, encodeBody(input));
  }

  /** Sends a signed call once; resolves with a 200 answer, else rejects with AwsCallError (or the transport's error). */
  async send(call: SignedCall, signal?: AbortSignal): Promise<HttpAnswer> {
    const offsetBefore = this.clockOffsetMs;
    const answer = await post(this.url, call.headers, call.body, { agent: this.agent, dispatcher: this.dispatcher, signal });
    const serverTime = Date.parse(String(answer.headers.date ?? ""));
    if (!Number.isNaN(serverTime)) this.clockOffsetMs = serverTime - this.now();
    if (answer.status === 200) return answer;
    const corrected = Math.abs(this.clockOffsetMs) >= skewThresholdMs && this.clockOffsetMs !== offsetBefore;
    throw errorFrom(answer, corrected);
  }

  /** Closes the idle keep-alive sockets (a dispatcher passed in is its owner's to close). */
  close(): void {
    this.agent?.destroy();
  }

  private signBody(operation: string, body: Buffer): SignedCall {
    const datetime = amzDate(new Date(this.now() + this.clockOffsetMs));
    const headers = { host: this.url.host, "content-type": this.contentType, "x-amz-date": datetime, "x-amz-target": `${this.api.targetPrefix}.${operation}` };
    const target = this.url.pathname + this.url.search;
    const authorization = sigV4Authorization(
      { method: "POST", target, headers, body, region: this.opts.region, service: this.api.signingName, datetime },
      this.opts.credentials,
    );
    return { headers: { ...headers, authorization }, body };
  }
}
