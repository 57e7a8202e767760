import assert from "node:assert/strict";
import { Agent } from "node:http";
import { createRequire } from "node:module";
import { it } from "node:test";
// First: dockerode must be loaded after it.
import { deferredPaths } from "./dockerode-deferred-deps.js";
import Docker from "dockerode";

const require = createRequire(import.meta.url);
const loaded = (pkg: string): boolean => Object.keys(require.cache).some((p) => p.includes(`/node_modules/${pkg}/`));

it("dockerode loads without ssh2 and gRPC; each loads, and works, when first used", async () => {
  const [sshPath, sessionPath] = deferredPaths();
  assert.ok(sshPath && sessionPath, "dockerode's layout still has docker-modem's ssh.js and its own session.js");
  assert.ok(new Docker().modem, "dockerode is loaded");
  assert.equal(loaded("ssh2"), false);
  assert.equal(loaded("@grpc/grpc-js"), false);

  const sshAgent = (require(sshPath) as (opt: object) => unknown)({ host: "127.0.0.1" });
  assert.ok(sshAgent instanceof Agent, "docker-modem's ssh transport is an http.Agent");
  assert.equal(loaded("ssh2"), true);

  const withSession = require(sessionPath) as (docker: object, auth: unknown, handler: (err: Error | null) => void) => void;
  const dialFailed = new Error("no engine");
  const handled = await new Promise<Error | null>((resolve) => withSession({ modem: { dial: (_: unknown, cb: (err: Error) => void) => cb(dialFailed) } }, undefined, resolve));
  assert.equal(handled, dialFailed, "dockerode's session ran and reported the dial error");
  assert.equal(loaded("@grpc/grpc-js"), true);
});
