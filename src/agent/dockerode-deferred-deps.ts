// dockerode loads, the moment it is imported, two things the agent never uses:
// ssh2 (docker-modem's ssh:// transport, which compiles a WebAssembly poly1305)
// and @grpc/grpc-js with protobufjs (dockerode's BuildKit session) — together
// about half of an idle agent's memory. Imported before dockerode, this module
// makes both load on first use instead: each is a module exporting one function,
// so a stand-in that loads the real module when called goes in the CommonJS
// module cache under its path. Nothing changes for a caller that does use them.

import { createRequire, Module } from "node:module";

const require = createRequire(import.meta.url);

/** The files dockerode's own `require`s resolve to; none if dockerode's layout changed (then nothing is deferred). */
export function deferredPaths(): string[] {
  try {
    const dockerode = createRequire(require.resolve("dockerode"));
    const modem = createRequire(dockerode.resolve("docker-modem"));
    return [modem.resolve("./ssh.js"), dockerode.resolve("./session.js")];
  } catch {
    return [];
  }
}

function defer(path: string): void {
  if (require.cache[path]) return;
  const standIn = new Module(path);
  standIn.filename = path;
  standIn.loaded = true;
  standIn.exports = function (this: unknown, ...args: unknown[]): unknown {
    if (require.cache[path] === standIn) delete require.cache[path];
    return (require(path) as (...a: unknown[]) => unknown).apply(this, args);
  };
  require.cache[path] = standIn;
}

for (const path of deferredPaths()) defer(path);
