// Verifies AWS Signature Version 4 exactly as AWS does: the signature is
// recomputed with the caller's secret by the signer Berth's clients use
// (aws-client/sigv4.ts: it runs on every request) and compared in constant
// time; scope, date and skew are checked first with AWS's messages. One
// endpoint serves every region of the commercial partition: the region the
// caller signed for is the region its request acts in.

import { createHash, timingSafeEqual } from "node:crypto";
import { amzDate, sigV4Signature } from "../aws-client/sigv4.js";
import { errors } from "../errors.js";
import type { KeyRing, Principal } from "./access-keys.js";
import { awsRegions } from "./aws-regions.js";

export interface SignedRequest {
  readonly method: string;
  /** The request line's target as sent: path and query, still percent-encoded. */
  readonly target: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

export interface VerifyOptions {
  readonly keys: KeyRing;
  /** The signing name the request must be scoped to (ecs, ecr, logs, …). */
  readonly service: string;
  readonly now: Date;
}

const maxSkewMs = 15 * 60 * 1000;
const algorithm = "AWS4-HMAC-SHA256";

interface ParsedAuthorization {
  readonly accessKeyId: string;
  readonly scopeDate: string;
  readonly scopeRegion: string;
  readonly scopeService: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/**
 * The service an Authorization header's credential scope names, without checking
 * anything else: the query protocol has no X-Amz-Target, so a request finds its API by it.
 */
export function scopedService(authorization: string | undefined): string | undefined {
  return /Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/([^/,\s]+)\/aws4_request/.exec(authorization ?? "")?.[1];
}

function parseAuthorization(header: string): ParsedAuthorization {
  const space = header.indexOf(" ");
  const alg = space < 0 ? header : header.slice(0, space);
  if (alg !== algorithm) {
    throw errors.incompleteSignature(`Unsupported AWS 'algorithm': '${alg}'. Sign requests with ${algorithm}.`);
  }
  let credentialText: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  // Runs on every request: the three parameters are picked out directly, a later one of a name winning.
  for (const part of header.slice(space + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const value = part.slice(eq + 1).trim();
    switch (part.slice(0, eq).trim()) {
      case "Credential":
        credentialText = value;
        break;
      case "SignedHeaders":
        signedHeaders = value;
        break;
      case "Signature":
        signature = value;
        break;
    }
  }
  if (!credentialText || !signedHeaders || !signature) {
    const given = [["Credential", credentialText], ["SignedHeaders", signedHeaders], ["Signature", signature]] as const;
    const missing = given.filter(([, value]) => !value).map(([name]) => `Authorization header requires '${name}' parameter.`);
    throw errors.incompleteSignature(`${missing.join(" ")} Authorization=${header.slice(0, 120)}`);
  }
  const credential = credentialText.split("/");
  if (credential.length !== 5 || credential[4] !== "aws4_request") {
    throw errors.incompleteSignature(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/aws4_request, got '${credentialText}'.`,
    );
  }
  const [accessKeyId, scopeDate, scopeRegion, scopeService] = credential as [string, string, string, string];
  return { accessKeyId, scopeDate, scopeRegion, scopeService, signedHeaders: signedHeaders.split(";"), signature };
}

const amzDateForm = /^\d{8}T\d{6}Z$/;

/** "20240101T000000Z" → its time in ms, or undefined when malformed. */
function parseAmzDate(text: string): number | undefined {
  if (!amzDateForm.test(text)) return undefined;
  const field = (from: number, to: number): number => Number(text.slice(from, to));
  const ms = Date.UTC(field(0, 4), field(4, 6) - 1, field(6, 8), field(9, 11), field(11, 13), field(13, 15));
  return Number.isNaN(ms) ? undefined : ms;
}

/** Who signed a request, and the region it signed it for. */
export interface SignedCaller {
  readonly principal: Principal;
  readonly region: string;
}

/** Returns the caller, or throws the AWS error a real client expects. */
export function verifySigV4(req: SignedRequest, opts: VerifyOptions): SignedCaller {
  const authorization = req.headers["authorization"];
  if (!authorization) throw errors.missingAuthenticationToken("Request is missing Authentication Token");
  const auth = parseAuthorization(authorization);

  const dateHeader = req.headers["x-amz-date"];
  if (!dateHeader) {
    throw errors.incompleteSignature("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  const signedAt = parseAmzDate(dateHeader);
  if (signedAt === undefined) {
    throw errors.incompleteSignature(`Date must be in ISO-8601 'basic format'. Got '${dateHeader}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  if (!auth.signedHeaders.includes("host")) {
    throw errors.invalidSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const skew = signedAt - opts.now.getTime();
  if (skew < -maxSkewMs) {
    throw errors.invalidSignature(
      `Signature expired: ${dateHeader} is now earlier than ${amzDate(new Date(opts.now.getTime() - maxSkewMs))} (${amzDate(opts.now)} - 15 min.)`,
    );
  }
  if (skew > maxSkewMs) {
    throw errors.invalidSignature(
      `Signature not yet current: ${dateHeader} is still later than ${amzDate(new Date(opts.now.getTime() + maxSkewMs))} (${amzDate(opts.now)} + 15 min.)`,
    );
  }
  if (auth.scopeDate !== dateHeader.slice(0, 8)) {
    throw errors.invalidSignature(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${dateHeader.slice(0, 8)}', from '${dateHeader}'.`,
    );
  }
  if (!awsRegions.has(auth.scopeRegion)) {
    // AWS's own words, trailing space included.
    throw errors.invalidSignature(`Credential should be scoped to a valid region, not '${auth.scopeRegion}'. `);
  }
  if (auth.scopeService !== opts.service) {
    throw errors.invalidSignature(`Credential should be scoped to correct service: '${opts.service}'. `);
  }

  // The signer trusts x-amz-content-sha256 as the body's hash; hold it to the body actually sent.
  const claimed = req.headers["x-amz-content-sha256"];
  if (claimed !== undefined && claimed !== createHash("sha256").update(req.body).digest("hex")) {
    throw errors.invalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.");
  }

  const principal = opts.keys.lookup(auth.accessKeyId);
  if (!principal) throw errors.unrecognizedClient("The security token included in the request is invalid.");

  // Exactly the headers the caller signed; one it signed but did not send cannot match.
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const expected = sigV4Signature(
    { method: req.method, target: req.target, headers, body: req.body, region: auth.scopeRegion, service: auth.scopeService, datetime: dateHeader },
    principal,
  );
  const given = Buffer.from(auth.signature);
  if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
    throw errors.invalidSignature(
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  }
  return { principal, region: auth.scopeRegion };
}
