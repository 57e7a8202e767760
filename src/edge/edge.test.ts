// The edge as HTTP: /health, keep-alive, the headers every response carries,
// content types, the body size limit, and a shutdown that finishes what it started.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { startTestServer, type TestServer } from "../../test/kit/harness.js";
import { maxJsonBody } from "./server.js";
import { RawConnection, rawClient, requestHead, type RawClient, type RawRequest, type RawResponse } from "../../test/kit/raw-client.js";

const maxBody = maxJsonBody;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One request of each kind the edge answers, and the status it answers with. */
const kinds: readonly { readonly name: string; readonly request: RawRequest; readonly status: number }[] = [
  { name: "success", request: { operation: "ListClusters", body: {} }, status: 200 },
  { name: "error from a handler", request: { operation: "DeleteCluster", body: { cluster: "edge-no-such" } }, status: 400 },
  { name: "validation error", request: { operation: "ListClusters", body: { maxResults: "x" } }, status: 400 },
  { name: "authentication error", request: { operation: "ListClusters", body: {}, sign: false }, status: 400 },
  { name: "unknown operation", request: { target: "AmazonEC2ContainerServiceV20141113.Nope", body: {} }, status: 400 },
  { name: "no route", request: { method: "GET", path: "/nowhere", target: null }, status: 400 },
  { name: "health", request: { method: "GET", path: "/health", target: null, sign: false }, status: 200 },
];

function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

/** What `promise` resolves to, or "timeout" when it takes longer than `ms`. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T | "timeout"> {
  // An unreferenced timer, so a promise that won the race leaves nothing keeping the process alive.
  return Promise.race([promise, sleep(ms, "timeout" as const, { ref: false })]);
}

describe("edge", () => {
  let server: TestServer;
  let client: RawClient;

  before(async () => {
    server = await startTestServer();
    client = rawClient(server);
  });

  after(async () => {
    await server?.stop();
  });

  it("GET /health answers 200 without a signature", async () => {
    const r = await client.send({ method: "GET", path: "/health", target: null, sign: false });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { status: "ok" });
    assert.match(String(r.headers["content-type"]), /^application\/json/);
  });

  it("every response carries its own x-amzn-RequestId and a Date", async () => {
    const seen = new Set<string>();
    for (const kind of kinds) {
      const r = await client.send(kind.request);
      assert.equal(r.status, kind.status, `${kind.name}: ${r.text}`);
      const id = String(r.headers["x-amzn-requestid"] ?? "");
      assert.match(id, uuid, `${kind.name} has a request id`);
      assert.ok(!seen.has(id), `${kind.name}: request ids are unique`);
      seen.add(id);
      // SDKs correct their clock skew from this header.
      assert.ok(!Number.isNaN(Date.parse(String(r.headers["date"]))), `${kind.name} has a Date header`);
    }
  });

  it("errors name themselves in x-amzn-ErrorType as in __type; successes do not", async () => {
    for (const kind of kinds) {
      const r = await client.send(kind.request);
      const header = r.headers["x-amzn-errortype"];
      if (kind.status === 200) {
        assert.equal(header, undefined, kind.name);
        continue;
      }
      assert.ok(r.errorType, `${kind.name}: ${r.text}`);
      // AWS may append ":<namespace URL>"; clients read the part before the colon.
      assert.equal(String(header).split(":")[0], r.errorType, kind.name);
      assert.ok(typeof r.message === "string" && r.message.length > 0, `${kind.name} has a message`);
    }
  });

  it("JSON 1.1 answers are application/x-amz-json-1.1 with a true Content-Length", async () => {
    for (const kind of kinds.filter((k) => k.name !== "health")) {
      const r = await client.send(kind.request);
      assert.equal(r.headers["content-type"], "application/x-amz-json-1.1", kind.name);
      assert.equal(Number(r.headers["content-length"]), Buffer.byteLength(r.text), kind.name);
      assert.ok(r.body !== undefined, `${kind.name} is JSON: ${r.text}`);
    }
  });

  it("keeps the connection alive across requests, errors included, and answers pipelined requests in order", async () => {
    const conn = await RawConnection.open(server.url);
    try {
      for (const kind of kinds) {
        await conn.send(client.prepare(kind.request));
        const r = await conn.readResponse();
        assert.equal(r.status, kind.status, `${kind.name}: ${r.text}`);
        assert.notEqual(String(r.headers["connection"]).toLowerCase(), "close", kind.name);
      }
      // Two requests written back to back, answered in order on the same connection.
      const first = client.prepare({ operation: "DescribeClusters", body: { clusters: ["first"] } });
      const second = client.prepare({ operation: "DescribeClusters", body: { clusters: ["second"] } });
      await conn.write(Buffer.concat([requestHead(first), first.body, requestHead(second), second.body]));
      const a = await conn.readResponse();
      const b = await conn.readResponse();
      assert.match(a.text, /cluster\/first/);
      assert.match(b.text, /cluster\/second/);
      assert.equal(conn.isClosed, false);
    } finally {
      conn.close();
    }
  });

  it("a body over the limit (32 MiB) gets 413 RequestEntityTooLargeException, and the server keeps serving", async () => {
    const big = `{"clusterName":"${"x".repeat(maxBody)}"}`;
    let r: RawResponse | undefined;
    let failure: unknown;
    try {
      r = await client.send({ operation: "CreateCluster", body: big });
    } catch (err) {
      failure = err;
    }
    assert.ok(r, `the client must get a response, not a broken connection: ${String(failure)}`);
    assert.equal(r.status, 413, r.text);
    assert.equal(r.errorType, "RequestEntityTooLargeException", r.text);
    assert.equal(r.headers["x-amzn-errortype"], "RequestEntityTooLargeException");
    assert.equal(r.headers["content-type"], "application/x-amz-json-1.1");
    assert.match(String(r.message), new RegExp(`${maxBody} bytes`));
    assert.match(String(r.headers["x-amzn-requestid"]), uuid);

    const after = await client.send({ operation: "ListClusters", body: {} });
    assert.equal(after.status, 200, after.text);
    assert.ok(!after.text.includes("xxxx"), "the oversized request created nothing");
  });

  it("a Content-Length over the limit is refused without waiting for the body", async () => {
    const conn = await RawConnection.open(server.url);
    try {
      const prepared = client.prepare({ operation: "ListClusters", body: {} });
      await conn.write(requestHead({ ...prepared, headers: { ...prepared.headers, "content-length": String(maxBody + 1) } }));
      await conn.write("{}");
      const r = await within(2000, conn.readResponse());
      assert.notEqual(r, "timeout", "the edge answered before the declared body arrived");
      if (r === "timeout") return;
      assert.equal(r.status, 413, r.text);
      assert.equal(r.errorType, "RequestEntityTooLargeException");
    } finally {
      conn.close();
    }
  });
});

describe("edge shutdown", () => {
  it("stop() finishes a request in flight, then refuses new connections", async () => {
    const server = await startTestServer();
    let stopped: Promise<void> | undefined;
    let conn: RawConnection | undefined;
    try {
      const client = rawClient(server);
      const prepared = client.prepare({ operation: "CreateCluster", body: { clusterName: "in-flight" } });
      conn = await RawConnection.open(server.url);
      const half = Math.floor(prepared.body.length / 2);
      await conn.write(Buffer.concat([requestHead(prepared), prepared.body.subarray(0, half)]));
      await sleep(50);

      let done = false;
      stopped = server.stop().then(() => {
        done = true;
      });
      await sleep(200);
      assert.equal(done, false, "stop() waits for the request in flight");

      await conn.write(prepared.body.subarray(half));
      const r = await conn.readResponse();
      assert.equal(r.status, 200, r.text);
      assert.match(r.text, /cluster\/in-flight/);

      assert.notEqual(await within(5000, stopped), "timeout", "stop() resolves once the request is answered");
      assert.equal(await refused(server.url), true, "no new connections after stop()");
    } finally {
      conn?.close();
      await (stopped ?? server.stop());
    }
  });

  it("stop() does not wait for idle kept-alive connections", async () => {
    const server = await startTestServer();
    let stopped: Promise<void> | undefined;
    let conn: RawConnection | undefined;
    try {
      const client = rawClient(server);
      conn = await RawConnection.open(server.url);
      await conn.send(client.prepare({ operation: "ListClusters", body: {} }));
      assert.equal((await conn.readResponse()).status, 200);
      stopped = server.stop();
      assert.notEqual(await within(5000, stopped), "timeout", "stop() resolves with an idle connection open");
      assert.notEqual(await within(1000, conn.closed), "timeout", "the idle connection is closed");
    } finally {
      conn?.close();
      await (stopped ?? server.stop());
    }
  });
});
