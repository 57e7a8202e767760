// One Berth per data directory: a second one refuses to start and says why; the
// lock passes on when the first stops, and when its process is killed outright.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import pino from "pino";
import { startControlPlane, type ControlPlaneOptions } from "../control-plane.js";
import { DataDirLocked, lockDataDir } from "./data-dir-lock.js";

const work = mkdtempSync(join(tmpdir(), "berth-lock-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** What a second Berth on `dir` is told. */
const heldMessage = (dir: string): RegExp => new RegExp(`another Berth holds the data directory ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`);

describe("the data directory lock", () => {
  it("refuses a second control plane on the same data directory, naming it, and lets one in once the first has stopped", async () => {
    const options: ControlPlaneOptions = {
      host: "127.0.0.1",
      port: 0,
      dataDir: join(work, "control-plane"),
      accountId: "000000000000",
      region: "us-east-1",
      logger: pino({ level: "silent" }),
    };
    const first = await startControlPlane(options);
    try {
      await assert.rejects(startControlPlane(options), (err) => err instanceof DataDirLocked && heldMessage(options.dataDir).test(err.message));
    } finally {
      await first.stop();
    }
    const next = await startControlPlane(options);
    await next.stop();
  });

  it("passes to the next Berth when the process holding it is killed with SIGKILL", async () => {
    const dir = join(work, "killed");
    const module = new URL("./data-dir-lock.js", import.meta.url).href;
    const holder = spawn(
      process.execPath,
      ["--input-type=module", "-e", `import { lockDataDir } from ${JSON.stringify(module)}; lockDataDir(process.argv[1]); console.log("held"); setInterval(() => {}, 1000);`, dir],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = once(holder, "exit");
    try {
      const [line] = (await once(holder.stdout, "data")) as [Buffer];
      assert.equal(line.toString().trim(), "held");
      assert.throws(() => lockDataDir(dir), (err) => err instanceof DataDirLocked && heldMessage(dir).test(err.message));
    } finally {
      holder.kill("SIGKILL");
      await exited;
    }
    lockDataDir(dir).release();
  });
});
