// What Docker tests share: whether Docker is there (in CI it must be), and
// removing everything a test agent created, found by its label.

import Docker from "dockerode";
import { labels } from "../../../src/agent/container-config.js";

/**
 * A Docker client when the engine answers. Without one: in CI (CI is set) this
 * throws, since CI always has Docker; locally it prints why and returns undefined.
 */
export async function dockerForTests(): Promise<Docker | undefined> {
  const docker = new Docker();
  try {
    await docker.ping();
    return docker;
  } catch (err) {
    const reason = `Docker Engine unreachable (${err instanceof Error ? err.message : String(err)})`;
    if (process.env["CI"]) throw new Error(`${reason}; CI must run the Docker tests`);
    console.log(`# skipping Docker tests: ${reason}`);
    return undefined;
  }
}

/** Removes every container, network and volume labelled with this agent id. */
export async function removeAgentObjects(docker: Docker, agentId: string): Promise<void> {
  const filters = { label: [`${labels.agent}=${agentId}`] };
  for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {});
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => {});
  const volumes = await docker.listVolumes({ filters });
  for (const v of volumes.Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => {});
}

/** Polls `check` until it returns a value, or fails after `timeoutMs`. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
