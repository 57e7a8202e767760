// AWS Signature Version 4, computed in one place for both ends: the clients that
// sign and the edge that recomputes a caller's signature to check it. aws4 does
// the work: it signs with Node's own crypto, synchronously, in about a third of
// the time of the SDKs' signer (bench/sigv4.ts measures both).

import aws4 from "aws4";

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A request as it is signed. */
export interface SigningInput {
  readonly method: string;
  /** The request line's target: path and query, percent-encoded as sent. */
  readonly target: string;
  /** Exactly the headers to sign (names in lower case), x-amz-date among them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | string;
  readonly region: string;
  /** The signing name (ecs, ecr, logs, …). */
  readonly service: string;
  /** The signing time as X-Amz-Date carries it ("20240101T000000Z"). */
  readonly datetime: string;
}

/** "20240101T000000Z": the form X-Amz-Date and the credential scope take a time in. */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]|\.\d{3}/g, "");
}

function signerFor(input: SigningInput, credentials: Credentials): aws4.RequestSigner {
  // Exactly the given headers: aws4 adds none (content-type, content-length,
  // x-amz-date; host, which it adds even so, it is told to ignore unless given)
  // and leaves none out (it skips user-agent and a few others by default).
  const include: Record<string, true> = {};
  for (const name of Object.keys(input.headers)) include[name] = true;
  const request: aws4.Request & { readonly extraHeadersToInclude: Readonly<Record<string, true>>; readonly extraHeadersToIgnore: Readonly<Record<string, true>> } = {
    method: input.method,
    path: input.target,
    headers: { ...input.headers },
    body: input.body,
    service: input.service,
    region: input.region,
    doNotModifyHeaders: true,
    extraHeadersToInclude: include,
    extraHeadersToIgnore: { host: true },
  };
  const signer = new aws4.RequestSigner(request, credentials);
  signer.datetime = input.datetime;
  return signer;
}

/** The signature (hex) of a request under a secret key. */
export function sigV4Signature(input: SigningInput, credentials: Credentials): string {
  return signerFor(input, credentials).signature();
}

/** The Authorization header value that signs a request. */
export function sigV4Authorization(input: SigningInput, credentials: Credentials): string {
  return signerFor(input, credentials).authHeader();
}
