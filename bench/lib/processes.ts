// Starting and stopping the servers a benchmark measures, each as its own
// process, so every target is loaded the same way from the same load generator.

import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { createServer, type AddressInfo } from "node:net";

/** A TCP port that was free a moment ago (the OS picks it; the race is small). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ServerSpec {
  /** A short name for messages ("berth", "moto"). */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Ready when stdout or stderr matches this… */
  readonly readyOutput?: RegExp;
  /** …or when this URL answers any HTTP status. */
  readonly readyUrl?: string;
  readonly startTimeoutMs?: number;
}

export interface RunningServer {
  readonly pid: number;
  /** Everything the process wrote so far, stdout and stderr interleaved (for error messages). */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const outputLimit = 64 * 1024;

export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const child = spawn(spec.command, spec.args, { env: spec.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let exited = false;
  // A process that could not be spawned (ENOENT) reports "error" and never "exit".
  const exitedPromise = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  void exitedPromise.then(() => (exited = true));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString("utf8")).slice(-outputLimit);
      if (spec.readyOutput?.test(output)) resolve();
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      reject(new Error(`${spec.name} exited before it was ready (${signal ?? `code ${code}`}):\n${output}`)),
    );
    if (spec.readyUrl) {
      const url = spec.readyUrl;
      const poll = (): void => {
        if (exited) return;
        answers(url).then(
          (ok) => (ok ? resolve() : void setTimeout(poll, 100)),
          () => void setTimeout(poll, 100),
        );
      };
      poll();
    }
  });
  const timeoutMs = spec.startTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${spec.name} was not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
  });
  const server: RunningServer = {
    pid: child.pid!,
    output: () => output,
    stop: (graceMs = 10_000) => stopChild(child, exitedPromise, () => exited, graceMs),
  };
  try {
    await Promise.race([ready, timeout]);
  } catch (err) {
    await server.stop(2_000);
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return server;
}

async function stopChild(child: ChildProcess, exitedPromise: Promise<void>, hasExited: () => boolean, graceMs: number): Promise<void> {
  if (hasExited()) return;
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      if (!hasExited()) child.kill("SIGKILL");
      resolve();
    }, graceMs);
  });
  await Promise.race([exitedPromise, killed]);
  clearTimeout(timer);
  await exitedPromise;
}

/** Whether `url` answers HTTP at all (any status). */
function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { method: "GET", timeout: 1_000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.once("error", () => resolve(false));
    req.once("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/**
 * CPU time (user + system, all threads) a process has used so far, in
 * milliseconds; undefined where /proc is not there (not Linux) or the process is gone.
 * Benchmarks diff two readings to get a server's CPU cost per request.
 */
export function processCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Fields after the command name, which is in parentheses and may hold spaces:
  // state is field 3, utime 14 and stime 15, in clock ticks (USER_HZ, 100 on Linux).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks * 10 : undefined;
}

/** A process's resident memory (VmRSS in /proc/<pid>/status), in bytes; undefined off Linux or once it is gone. */
export function processRssBytes(pid: number): number | undefined {
  try {
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

/** The pid of the first process whose command name (/proc/<pid>/comm) is `name`; undefined if none or off Linux. */
export function pidOf(name: string): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() === name) return Number(entry);
    } catch {
      // Gone since the listing.
    }
  }
  return undefined;
}

/**
 * CPU time the whole machine has spent so far (all cores, /proc/stat), in
 * milliseconds: busy on its own work, and stolen (time the hypervisor gave its
 * cores to other guests, which slows whatever runs here); undefined off Linux.
 */
export function machineCpuMs(): { readonly busy: number; readonly stolen: number } | undefined {
  const t = machineTicks();
  return t === undefined ? undefined : { busy: t.busy * 10, stolen: t.stolen * 10 };
}

/** The machine's busy, stolen and total CPU time so far (all cores, /proc/stat), in clock ticks; undefined off Linux. */
function machineTicks(): { busy: number; stolen: number; total: number } | undefined {
  try {
    const [cpuLine = ""] = readFileSync("/proc/stat", "utf8").split("\n", 1);
    const fields = cpuLine.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user and nice.
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const [, , , idle = 0, iowait = 0, , , stolen = 0] = fields;
    return { busy: total - idle - iowait - stolen, stolen, total };
  } catch {
    return undefined;
  }
}

/**
 * Waits until the machine is quiet — at most `busyShare` of its CPU busy over a
 * 500 ms window — or `maxMs` has passed. Run between benchmark phases, so work one
 * phase left behind (Docker removing containers, the kernel tearing down network
 * namespaces) does not land on the next. Returns how long it waited.
 */
export async function settle(busyShare = 0.15, maxMs = 20_000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < maxMs) {
    const a = machineTicks();
    await new Promise((r) => setTimeout(r, 500));
    const b = machineTicks();
    if (!a || !b || b.total === a.total || (b.busy - a.busy) / (b.total - a.total) <= busyShare) break;
  }
  return performance.now() - t0;
}
