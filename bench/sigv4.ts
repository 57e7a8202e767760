// SigV4 per request, Berth's signer (aws4, src/aws-client/sigv4.ts) beside the
// SDKs' (@smithy/signature-v4) in the same run: signing a call as the clients do,
// and verifying one as the edge does (the smithy row recomputes the signature as
// a verifier built on it would). Each row also gives the garbage collection's
// pause time per request: every signature creates Node Hash and Hmac objects,
// whose handles the young-generation collections have to walk.

import { parseArgs } from "node:util";
import { PerformanceObserver, performance } from "node:perf_hooks";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { amzDate, sigV4Authorization } from "../src/aws-client/sigv4.js";
import { StaticKeyRing, type Principal } from "../src/edge/access-keys.js";
import { verifySigV4 } from "../src/edge/sigv4.js";
import { ecsApi } from "../src/model/generated/ecs.js";
import { fixed, formatTable } from "./lib/table.js";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, requests: { type: "string" } } });
const requests = Number(values.requests ?? (values.quick ? 20_000 : 100_000));

const principal: Principal = {
  accessKeyId: "AKIABERTHBENCHMARK00",
  secretAccessKey: "berth-benchmark-secret-access-key-0000000",
  arn: "arn:aws:iam::000000000000:root",
  kind: "root",
};
const region = "us-east-1";
const host = "127.0.0.1:8844";
const body = Buffer.from(JSON.stringify({ cluster: "default", tasks: ["arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef"] }));
const unsigned = { host, "content-type": "application/x-amz-json-1.1", "x-amz-target": `${ecsApi.targetPrefix}.DescribeTasks` };
const smithy = new SignatureV4({ credentials: principal, region, service: ecsApi.signingName, sha256: Hash.bind(null, "sha256"), applyChecksum: false });

function berthSign(date: Date): Record<string, string> {
  const datetime = amzDate(date);
  const headers = { ...unsigned, "x-amz-date": datetime };
  const authorization = sigV4Authorization({ method: "POST", target: "/", headers, body, region, service: ecsApi.signingName, datetime }, principal);
  return { ...headers, authorization };
}

async function smithySign(date: Date): Promise<Record<string, string>> {
  const out = await smithy.sign(
    { method: "POST", protocol: "http:", hostname: "127.0.0.1", port: 8844, path: "/", query: {}, headers: { ...unsigned }, body },
    { signingDate: date },
  );
  return Object.fromEntries(Object.entries(out.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
}

const now = new Date();
const signed = berthSign(now);
const keys = new StaticKeyRing([principal]);
const berthVerify = (): void => void verifySigV4({ method: "POST", target: "/", headers: signed, body }, { keys, service: ecsApi.signingName, now });
const smithyVerify = async (): Promise<void> => {
  if ((await smithySign(now))["authorization"] !== signed["authorization"]) throw new Error("smithy's signature differs from aws4's");
};

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ["gc"] });

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

async function measure(run: () => unknown): Promise<{ usPerOp: number; gcUsPerOp: number }> {
  for (let i = 0; i < requests / 5; i++) await run();
  await settle();
  gcMs = 0;
  const t0 = performance.now();
  for (let i = 0; i < requests; i++) await run();
  const ms = performance.now() - t0;
  await settle();
  return { usPerOp: (ms * 1000) / requests, gcUsPerOp: (gcMs * 1000) / requests };
}

const rows: string[][] = [];
for (const [what, run] of [
  ["sign, aws4 (Berth)", () => berthSign(new Date())],
  ["sign, @smithy/signature-v4", () => smithySign(new Date())],
  ["verify, aws4 (Berth's edge)", berthVerify],
  ["verify, @smithy/signature-v4", smithyVerify],
] as const) {
  const r = await measure(run);
  rows.push([what, fixed(r.usPerOp, 1), fixed(r.gcUsPerOp, 2)]);
}
console.log(`SigV4 per request, ${requests.toLocaleString("en-US")} requests each (one thread, µs)\n`);
console.log(formatTable(["", "µs/request", "of it in GC pauses"], rows));
