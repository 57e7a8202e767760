// Real `berth up` / `berth server` / `berth agent` processes for end-to-end tests
// and benchmarks: free ports, temporary data directories, preset keys and join
// token, readiness from their banner, kill -9 and restart on the same data
// directory, and a cleanup that removes every Docker object their agents made.
//
//   BerthTestbed ─ up() | server() ─► BerthProcess (control plane: url, env for the aws CLI)
//                └ agent(server) ──► BerthProcess (agentId → label berth.agent=<id>)
//   cleanup(): kill every process, remove containers/networks/volumes per agent id, rm -rf data dirs

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { ECSClient } from "@aws-sdk/client-ecs";
import { labels } from "../../src/agent/container-config.js";
import type { PullBehavior } from "../../src/agent/image-pull.js";
import { awsJson } from "./aws-cli.js";
import type { TestServer } from "./harness.js";

const here = dirname(fileURLToPath(import.meta.url));
/** dist/src/cli/main.js, from this compiled file's folder (dist/test/kit). */
export const berthMain = resolve(here, "..", "..", "src", "cli", "main.js");

const region = "us-east-1";
const outputLimit = 256 * 1024;

/** A TCP port that was free a moment ago (the OS picks it; the race is small). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

export type BerthRole = "up" | "server" | "agent";

export interface BerthProcess {
  readonly role: BerthRole;
  readonly name: string;
  readonly dataDir: string;
  /** The running child's pid (changes on restart). */
  readonly pid: number;
  /** Control plane only: its endpoint. */
  readonly url: string | undefined;
  /** The container instance ARN the process printed (`up`, `agent`). */
  readonly containerInstanceArn: string | undefined;
  /** The agent's identity on the Docker Engine (`up`, `agent`): label `berth.agent=<id>`. */
  readonly agentId: string | undefined;
  /** Everything written since the first start, stdout and stderr interleaved (bounded). */
  output(): string;
  readonly running: boolean;
  /** SIGKILL, and wait for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM (SIGKILL after `graceMs`), and wait for the exit. */
  stop(graceMs?: number): Promise<void>;
  /** Starts the same command again on the same data directory and port; waits for readiness. */
  restart(): Promise<void>;
}

interface Spec {
  readonly role: BerthRole;
  readonly name: string;
  readonly dataDir: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly url?: string;
  readonly startTimeoutMs: number;
}

class ChildBerth implements BerthProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private alive = false;
  private log = "";
  private arn: string | undefined;

  constructor(private readonly spec: Spec) {}

  get role(): BerthRole {
    return this.spec.role;
  }
  get name(): string {
    return this.spec.name;
  }
  get dataDir(): string {
    return this.spec.dataDir;
  }
  get pid(): number {
    return this.child?.pid ?? -1;
  }
  get url(): string | undefined {
    return this.spec.url;
  }
  get containerInstanceArn(): string | undefined {
    return this.arn;
  }
  get running(): boolean {
    return this.alive;
  }
  get agentId(): string | undefined {
    if (this.spec.role === "server") return undefined;
    const file = this.spec.role === "up" ? join(this.spec.dataDir, "agent", "agent-id") : join(this.spec.dataDir, "agent-id");
    return existsSync(file) ? readFileSync(file, "utf8").trim() : undefined;
  }

  output(): string {
    return this.log;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [berthMain, ...this.spec.args], { env: this.spec.env, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    this.alive = true;
    this.exited = new Promise<void>((done) => {
      child.once("exit", () => {
        this.alive = false;
        done();
      });
      child.once("error", () => {
        this.alive = false;
        done();
      });
    });
    let stdout = "";
    const ready = new Promise<void>((resolveReady, reject) => {
      // The banner's last line says it is ready; `up` and `agent` name their container instance.
      const pattern = this.spec.role === "agent" ? /Berth agent is running: (\S+)/ : /is running\.[\s\S]*Press Ctrl-C/;
      child.stdout?.on("data", (chunk: Buffer) => {
        const text = chunk.toString("utf8");
        stdout += text;
        this.append(text);
        const m = pattern.exec(stdout);
        if (m) {
          if (this.spec.role === "agent") this.arn = m[1];
          if (this.spec.role === "up") this.arn = /\n {2}agent +(arn:\S+)/.exec(stdout)?.[1];
          resolveReady();
        }
      });
      child.stderr?.on("data", (chunk: Buffer) => this.append(chunk.toString("utf8")));
      child.once("error", reject);
      child.once("exit", (code, signal) => reject(new Error(`${this.spec.name} exited before it was ready (${signal ?? `code ${code}`}):\n${this.tail()}`)));
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.spec.name} was not ready after ${this.spec.startTimeoutMs} ms:\n${this.tail()}`)), this.spec.startTimeoutMs);
    });
    try {
      await Promise.race([ready, timeout]);
    } catch (err) {
      await this.kill9();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async kill9(): Promise<void> {
    if (!this.alive) return;
    this.child?.kill("SIGKILL");
    await this.exited;
  }

  async stop(graceMs = 10_000): Promise<void> {
    if (!this.alive) return;
    this.child?.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((done) => {
      timer = setTimeout(() => {
        if (this.alive) this.child?.kill("SIGKILL");
        done();
      }, graceMs);
    });
    await Promise.race([this.exited, late]);
    clearTimeout(timer);
    await this.exited;
  }

  async restart(): Promise<void> {
    await this.kill9();
    this.append(`\n----- ${this.spec.name} restarted -----\n`);
    await this.start();
  }

  private append(text: string): void {
    this.log = (this.log + text).slice(-outputLimit);
  }

  private tail(): string {
    return this.log.slice(-8_000);
  }
}

export interface AgentOptions {
  readonly attributes?: Readonly<Record<string, string>>;
  readonly launchTypes?: readonly ("EC2" | "FARGATE" | "EXTERNAL")[];
  readonly instanceType?: string;
  readonly availabilityZone?: string;
  readonly cluster?: string;
  readonly memoryReserveMiB?: number;
  readonly imagePullBehavior?: PullBehavior;
  readonly name?: string;
}

/**
 * Everything one test file starts. `cleanup()` is idempotent and never throws:
 * call it from `after()` (and it reports what it could not remove through the log).
 */
export class BerthTestbed {
  readonly accessKeyId = `AKIA${randomBytes(8).toString("hex").toUpperCase()}`;
  readonly secretAccessKey = randomBytes(20).toString("base64url");
  readonly token = `berth-test-${randomBytes(12).toString("hex")}`;
  private readonly processes: ChildBerth[] = [];
  private readonly dirs: string[] = [];
  private readonly agentIds = new Set<string>();
  private readonly clients: ECSClient[] = [];
  readonly docker = new Docker();

  /** Environment for the aws CLI and boto3 against a control plane at `url`. */
  cliEnv(url: string): NodeJS.ProcessEnv {
    const home = this.tempDir("berth-cli-");
    return {
      PATH: process.env["PATH"],
      HOME: home,
      AWS_ENDPOINT_URL: url,
      AWS_ACCESS_KEY_ID: this.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.secretAccessKey,
      AWS_DEFAULT_REGION: region,
      AWS_REGION: region,
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_PAGER: "",
    };
  }

  /**
   * What `aws()`/`awsJson()` from aws-cli.ts need: they read only `env`, but are
   * typed on the in-process TestServer, so this is the one cast between the two.
   */
  cliTarget(control: BerthProcess): TestServer {
    return { env: this.cliEnv(control.url!), url: control.url! } as unknown as TestServer;
  }

  /** An SDK client with the root keys (destroyed at cleanup). */
  ecs(control: BerthProcess): ECSClient {
    const client = new ECSClient({ endpoint: control.url!, region, credentials: { accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey }, maxAttempts: 1 });
    this.clients.push(client);
    return client;
  }

  /**
   * `berth up`: control plane and one local agent (EC2, FARGATE, EXTERNAL). Note
   * its agent's metadata endpoint is always 0.0.0.0:51679 (the CLI has no flag),
   * so two `berth up` at once on one machine collide; use server() + agent() then.
   */
  up(opts: { startTimeoutMs?: number } = {}): Promise<BerthProcess> {
    return this.control("up", opts.startTimeoutMs ?? 60_000);
  }

  /**
   * `berth server`: the control plane only; in a temporary data directory unless
   * `dataDir` names one (which the caller removes), on `store` when given (--store).
   */
  server(opts: { startTimeoutMs?: number; dataDir?: string; store?: string } = {}): Promise<BerthProcess> {
    return this.control("server", opts.startTimeoutMs ?? 30_000, opts.dataDir, opts.store);
  }

  private async control(role: "up" | "server", startTimeoutMs: number, dir?: string, store?: string): Promise<BerthProcess> {
    const dataDir = dir ?? this.tempDir(`berth-${role}-`);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const p = new ChildBerth({
      role,
      name: `berth ${role} :${port}`,
      dataDir,
      // Each `berth up` gets its own metadata port, so several can share the machine.
      args: [
        role,
        "--port",
        String(port),
        "--host",
        "127.0.0.1",
        "--data-dir",
        dataDir,
        ...(store ? ["--store", store] : []),
        ...(role === "up" ? ["--metadata-port", String(await freePort())] : []),
      ],
      env: this.processEnv(),
      url,
      startTimeoutMs,
    });
    this.processes.push(p);
    await p.start();
    const id = p.agentId;
    if (id) this.agentIds.add(id);
    return p;
  }

  /** `berth agent` joining `control`, with its own data dir, metadata port and awsvpc subnet. */
  async agent(control: BerthProcess, opts: AgentOptions = {}): Promise<BerthProcess> {
    const dataDir = this.tempDir("berth-agent-");
    const metadataPort = await freePort();
    const subnet = await this.freeSubnet();
    const args = [
      "agent",
      "--server",
      control.url!,
      "--token",
      this.token,
      "--data-dir",
      dataDir,
      "--metadata-port",
      String(metadataPort),
      "--awsvpc-subnet",
      subnet,
      "--launch-types",
      (opts.launchTypes ?? ["EC2"]).join(","),
    ];
    if (opts.cluster) args.push("--cluster", opts.cluster);
    if (opts.instanceType) args.push("--instance-type", opts.instanceType);
    if (opts.availabilityZone) args.push("--availability-zone", opts.availabilityZone);
    if (opts.memoryReserveMiB !== undefined) args.push("--memory-reserve", String(opts.memoryReserveMiB));
    if (opts.imagePullBehavior) args.push("--image-pull-behavior", opts.imagePullBehavior);
    for (const [k, v] of Object.entries(opts.attributes ?? {})) args.push("--attribute", `${k}=${v}`);
    const p = new ChildBerth({
      role: "agent",
      name: opts.name ?? `berth agent ${this.processes.filter((x) => x.role === "agent").length + 1}`,
      dataDir,
      args,
      env: this.processEnv(),
      startTimeoutMs: 60_000,
    });
    this.processes.push(p);
    try {
      await p.start();
    } finally {
      const id = p.agentId;
      if (id) this.agentIds.add(id);
    }
    return p;
  }

  /** Every process's output, for a failing test's message. */
  outputs(): string {
    return this.processes.map((p) => `===== ${p.name} (${p.dataDir}) =====\n${p.output().slice(-6_000)}`).join("\n");
  }

  /** Kills every process, removes every Docker object of their agents and every temporary directory. */
  async cleanup(): Promise<void> {
    for (const c of this.clients.splice(0)) c.destroy();
    await Promise.allSettled(this.processes.map((p) => p.kill9()));
    for (const p of this.processes) {
      const id = p.agentId;
      if (id) this.agentIds.add(id);
    }
    for (const id of this.agentIds) await removeAgentDockerObjects(this.docker, id);
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }

  private processEnv(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      BERTH_ROOT_ACCESS_KEY_ID: this.accessKeyId,
      BERTH_ROOT_SECRET_ACCESS_KEY: this.secretAccessKey,
      BERTH_AGENT_TOKEN: this.token,
      BERTH_LOG_LEVEL: process.env["BERTH_LOG_LEVEL"] ?? "warn",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
  }

  private tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  private async subnetsInUse(): Promise<Set<string>> {
    const used = new Set<string>();
    for (const n of await this.docker.listNetworks()) {
      const full = (await this.docker.getNetwork(n.Id).inspect().catch(() => undefined)) as { IPAM?: { Config?: { Subnet?: string }[] } } | undefined;
      for (const c of full?.IPAM?.Config ?? []) if (c.Subnet) used.add(c.Subnet);
    }
    return used;
  }

  /**
   * A /24 in 10.214.0.0/16 that no Docker network uses now. Not 10.213.0.0/16:
   * agents started without --awsvpc-subnet (`berth up`'s, other tests') hash their
   * id into that range, and Docker refuses overlapping networks.
   */
  private async freeSubnet(): Promise<string> {
    const used = await this.subnetsInUse();
    const start = Math.floor(Math.random() * 250);
    for (let i = 0; i < 250; i++) {
      const subnet = `10.214.${((start + i) % 250) + 1}.0/24`;
      if (!used.has(subnet)) return subnet;
    }
    throw new Error("no free /24 left in 10.214.0.0/16");
  }
}

/** Removes every container (with its anonymous volumes), network and volume labelled `berth.agent=<agentId>`. */
export async function removeAgentDockerObjects(docker: Docker, agentId: string): Promise<void> {
  const filters = { label: [`${labels.agent}=${agentId}`] };
  const containers = await docker.listContainers({ all: true, filters }).catch(() => []);
  await Promise.allSettled(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  for (const n of await docker.listNetworks({ filters }).catch(() => [])) await docker.getNetwork(n.Id).remove().catch(() => {});
  const volumes = await docker.listVolumes({ filters }).catch(() => ({ Volumes: [] }));
  for (const v of volumes.Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => {});
}

/** Containers labelled with this task ARN (any agent), running or not. */
export async function containersOfTask(docker: Docker, taskArn: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${labels.taskArn}=${taskArn}`] } });
}

// ---- The ECS calls end-to-end tests make, through the real aws CLI ----

/** A task as `aws ecs describe-tasks` prints it (the fields the tests read). */
export interface CliTask {
  readonly taskArn: string;
  readonly lastStatus: string;
  readonly desiredStatus: string;
  readonly containerInstanceArn?: string;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly group?: string;
  readonly availabilityZone?: string;
  readonly healthStatus?: string;
  readonly attachments?: { details?: { name: string; value: string }[] }[];
  readonly containers: {
    readonly name: string;
    readonly lastStatus: string;
    readonly exitCode?: number;
    readonly runtimeId?: string;
    readonly reason?: string;
    readonly healthStatus?: string;
    readonly networkBindings?: { hostPort?: number; containerPort?: number }[];
    readonly networkInterfaces?: { privateIpv4Address?: string }[];
  }[];
}

export interface EcsCli {
  /** `aws ecs <args>`, parsed; throws with stderr (and the processes' output) on failure. */
  call<T = Record<string, unknown>>(...args: string[]): Promise<T>;
  register(def: Record<string, unknown>): Promise<string>;
  run(args: Record<string, unknown>): Promise<{ tasks: CliTask[]; failures: { arn?: string; reason: string }[] }>;
  describe(cluster: string, arns: readonly string[]): Promise<CliTask[]>;
  /** Polls until every task passes `test`; fails with their last state after `timeoutMs`. */
  waitFor(cluster: string, arns: readonly string[], test: (t: CliTask) => boolean, what: string, timeoutMs?: number): Promise<CliTask[]>;
}

/** An EcsCli for the control plane `control` of `bed` (root keys). */
export function ecsCli(bed: BerthTestbed, control: BerthProcess): EcsCli {
  const target = bed.cliTarget(control);
  const call = async <T>(...args: string[]): Promise<T> => {
    try {
      return await awsJson<T>(target, "ecs", ...args);
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${bed.outputs()}`);
    }
  };
  const describe = async (cluster: string, arns: readonly string[]): Promise<CliTask[]> => {
    const out: CliTask[] = [];
    for (let i = 0; i < arns.length; i += 100) {
      const r = await call<{ tasks: CliTask[] }>("describe-tasks", "--cluster", cluster, "--tasks", ...arns.slice(i, i + 100));
      out.push(...r.tasks);
    }
    return out;
  };
  return {
    call,
    async register(def) {
      const r = await call<{ taskDefinition: { taskDefinitionArn: string } }>("register-task-definition", "--cli-input-json", JSON.stringify(def));
      return r.taskDefinition.taskDefinitionArn;
    },
    run: (args) => call("run-task", "--cli-input-json", JSON.stringify(args)),
    describe,
    async waitFor(cluster, arns, test, what, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const tasks = await describe(cluster, arns);
        if (tasks.length === arns.length && tasks.every(test)) return tasks;
        if (Date.now() > deadline) {
          const states = tasks.map((t) => `${t.taskArn.split("/").pop()}: ${t.lastStatus} ${t.stoppedReason ?? ""} ${t.containers.map((c) => `${c.name}=${c.lastStatus}/${c.exitCode ?? ""}/${c.reason ?? ""}`).join(",")}`);
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${states.join("\n")}\n${bed.outputs()}`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    },
  };
}

/** GET `url` until it answers 200 (or `timeoutMs` passes); resolves with the body. */
export async function fetchUntilOk(url: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (r.ok) return await r.text();
      last = new Error(`HTTP ${r.status}`);
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`GET ${url} did not answer: ${last instanceof Error ? last.message : String(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
