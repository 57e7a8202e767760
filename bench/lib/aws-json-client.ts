// A lean AWS JSON 1.1 client for load generation: requests are signed with the
// maintained SigV4 signer ahead of time (signatures stay valid for 15 minutes),
// then sent over keep-alive sockets, so the load generator spends its CPU on
// sending, not on signing, and treats every target exactly alike.
//
// Sending goes through undici's lowest-level API (a connection pool and
// dispatch callbacks, no streams): on a machine whose cores the load generator
// shares with the target, node:http's client cost more than twice the CPU per
// request, and its own pauses (its garbage collection above all) showed up in
// every target's tail latency as if the target had been slow.

import { Pool, type Dispatcher } from "undici";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";

export interface AwsJsonTarget {
  /** http://host:port */
  readonly endpoint: string;
  readonly region: string;
  /** The SigV4 signing name ("ecs"). */
  readonly signingName: string;
  /** The X-Amz-Target prefix ("AmazonEC2ContainerServiceV20141113"). */
  readonly targetPrefix: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface SignedCall {
  readonly operation: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface CallResult {
  readonly status: number;
  readonly body: Buffer;
}

/** The error a target answered with (its `__type`), or a transport failure. */
export class CallError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(`${operation}: ${status} ${type}: ${message}`);
    this.name = "CallError";
  }
}

export class AwsJsonClient {
  private readonly url: URL;
  private readonly pool: Pool;
  private readonly signer: SignatureV4;

  constructor(
    private readonly target: AwsJsonTarget,
    opts: { readonly maxSockets?: number } = {},
  ) {
    this.url = new URL(target.endpoint);
    this.pool = new Pool(this.url.origin, { connections: opts.maxSockets ?? 16, pipelining: 1 });
    this.signer = new SignatureV4({
      credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
      region: target.region,
      service: target.signingName,
      sha256: Hash.bind(null, "sha256"),
      applyChecksum: false,
    });
  }

  /** Signs one call now; send it with `send` within 15 minutes. */
  async sign(operation: string, input: unknown): Promise<SignedCall> {
    const body = Buffer.from(JSON.stringify(input), "utf8");
    const signed = await this.signer.sign({
      method: "POST",
      protocol: "http:",
      hostname: this.url.hostname,
      port: Number(this.url.port),
      path: "/",
      query: {},
      headers: {
        host: this.url.host,
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": `${this.target.targetPrefix}.${operation}`,
      },
      body,
    });
    const headers: Record<string, string> = { "content-length": String(body.length) };
    for (const [name, value] of Object.entries(signed.headers)) headers[name] = String(value);
    return { operation, headers, body };
  }

  /** Sends a signed call; resolves with any status, rejects only when the transport fails. */
  send(call: SignedCall): Promise<CallResult> {
    return new Promise((resolve, reject) => {
      let status = 0;
      const chunks: Buffer[] = [];
      const handler: Dispatcher.DispatchHandler = {
        // undici calls each of these; a request is never aborted here.
        onConnect: () => undefined,
        onHeaders: (statusCode) => {
          status = statusCode;
          return true;
        },
        onData: (chunk) => {
          chunks.push(chunk);
          return true;
        },
        onComplete: () => resolve({ status, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) }),
        onError: reject,
      };
      this.pool.dispatch({ origin: this.url.origin, path: "/", method: "POST", headers: call.headers, body: call.body }, handler);
    });
  }

  /** Sends a signed call; resolves when the target answered 200, else rejects with a CallError. */
  async expectOk(call: SignedCall): Promise<CallResult> {
    const result = await this.send(call);
    if (result.status !== 200) throw callError(call.operation, result);
    return result;
  }

  /** Signs, sends and decodes one call (for seeding and checks, not for measuring). */
  async call<T = Record<string, unknown>>(operation: string, input: unknown): Promise<T> {
    const result = await this.expectOk(await this.sign(operation, input));
    return JSON.parse(result.body.toString("utf8")) as T;
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

function callError(operation: string, result: CallResult): CallError {
  let type = "";
  let message = result.body.toString("utf8").slice(0, 300);
  try {
    const parsed = JSON.parse(result.body.toString("utf8")) as { __type?: string; message?: string; Message?: string };
    type = (parsed.__type ?? "").split("#").pop() ?? "";
    message = parsed.message ?? parsed.Message ?? message;
  } catch {
    // Not JSON: keep the raw text.
  }
  return new CallError(operation, result.status, type, message);
}
