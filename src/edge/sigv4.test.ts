// Signature checks against requests signed by the SDKs' own signer: whichever
// headers and query a client chose to sign verify, and a change to any of them
// does not.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { StaticKeyRing, type Principal } from "./access-keys.js";
import { AwsError } from "../errors.js";
import { verifySigV4, type SignedRequest } from "./sigv4.js";

const principal: Principal = {
  accessKeyId: "AKIASIGV4TEST0000000",
  secretAccessKey: "sigv4-test-secret-access-key-00000000000",
  arn: "arn:aws:iam::000000000000:root",
  kind: "root",
};
const now = new Date("2026-06-01T12:00:00Z");
const opts = { keys: new StaticKeyRing([principal]), service: "ecs", now };

interface Signing {
  readonly headers: Record<string, string>;
  readonly query?: Record<string, string>;
  /** Headers to sign that the SDK's signer leaves out by default (user-agent, …). */
  readonly alsoSign?: readonly string[];
}

/** Signs as the SDKs do, and gives the request as the edge hands it over. */
async function signed(body: string, s: Signing, region = "us-east-1"): Promise<SignedRequest> {
  const signer = new SignatureV4({
    credentials: principal,
    region,
    service: "ecs",
    sha256: Hash.bind(null, "sha256"),
  });
  const headers = { host: "127.0.0.1:8844", ...s.headers };
  const out = await signer.sign(
    { method: "POST", protocol: "http:", hostname: "127.0.0.1", port: 8844, path: "/", query: s.query ?? {}, headers, body },
    { signingDate: now, ...(s.alsoSign ? { signableHeaders: new Set(s.alsoSign) } : {}) },
  );
  const search = new URLSearchParams(s.query ?? {}).toString().replace(/\+/g, "%20");
  return {
    method: "POST",
    target: search ? `/?${search}` : "/",
    headers: Object.fromEntries(Object.entries(out.headers).map(([k, v]) => [k.toLowerCase(), String(v)])),
    body: Buffer.from(body),
  };
}

const json = { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonEC2ContainerServiceV20141113.ListClusters" };

function rejected(req: SignedRequest): string {
  try {
    verifySigV4(req, opts);
  } catch (err) {
    assert.ok(err instanceof AwsError);
    return err.code;
  }
  return "accepted";
}

describe("SigV4 verification", () => {
  it("accepts what the SDK signs, and nothing changed after signing", async () => {
    const req = await signed("{}", { headers: json });
    assert.equal(verifySigV4(req, opts).principal, principal);
    assert.equal(rejected({ ...req, body: Buffer.from("{ }") }), "InvalidSignatureException");
    assert.equal(rejected({ ...req, headers: { ...req.headers, "x-amz-target": "AmazonEC2ContainerServiceV20141113.DeleteCluster" } }), "InvalidSignatureException");
    assert.equal(rejected({ ...req, target: "/?extra=1" }), "InvalidSignatureException");
  });

  it("checks exactly the headers the client signed: none added, none skipped", async () => {
    // No content-type or content-length signed, though the request has a body.
    const bare = await signed('{"maxResults":5}', { headers: { "x-amz-target": json["x-amz-target"] } });
    assert.ok(!/content-type|content-length/.test(bare.headers["authorization"]!));
    assert.equal(verifySigV4({ ...bare, headers: { ...bare.headers, "content-type": "text/plain" } }, opts).principal, principal);

    // user-agent, which signers leave out by default, signed here: it counts.
    const withAgent = await signed("{}", { headers: { ...json, "user-agent": "custom/1.0" }, alsoSign: ["user-agent"] });
    assert.match(withAgent.headers["authorization"]!, /SignedHeaders=[^,]*user-agent/);
    assert.equal(verifySigV4(withAgent, opts).principal, principal);
    assert.equal(rejected({ ...withAgent, headers: { ...withAgent.headers, "user-agent": "other/2.0" } }), "InvalidSignatureException");
  });

  it("serves every region of the commercial partition, and refuses a region AWS does not have as AWS does", async () => {
    for (const region of ["us-east-1", "eu-west-1", "ap-southeast-2"]) {
      assert.deepEqual(verifySigV4(await signed("{}", { headers: json }, region), opts), { principal, region });
    }
    for (const region of ["eu-nowhere-1", "cn-north-1", "US-EAST-1"]) {
      try {
        verifySigV4(await signed("{}", { headers: json }, region), opts);
        assert.fail(`${region} was accepted`);
      } catch (err) {
        assert.ok(err instanceof AwsError);
        assert.equal(err.code, "InvalidSignatureException");
        assert.equal(err.message, `Credential should be scoped to a valid region, not '${region}'. `);
      }
    }
  });

  it("signs the query string as sent", async () => {
    const req = await signed("{}", { headers: json, query: { b: "two words", a: "1" } });
    assert.equal(verifySigV4(req, opts).principal, principal);
    assert.equal(rejected({ ...req, target: "/?a=1&b=two%20wordz" }), "InvalidSignatureException");
  });
});
