// Registry benchmark: push and pull throughput and latency, with skopeo, of a
// ~200 MB image of 5 layers and of 100 small images, against Berth (SQLite,
// and PostgreSQL when one answers) and Debian's docker-registry (distribution
// 2.8, filesystem storage), each its own process with its data on the same
// disk, in the same run. It prints figures; it asserts nothing.
//
//   make layouts (OCI, gzip layers that skopeo passes through untouched)
//   for each big run: push to every target (order alternates) → pull from every target
//   then the small images: push 100 one by one to every target → pull them back
//   stop → print
//
// Usage: node dist/bench/registry.js [--quick] [--runs N] [--big-mb N] [--small N]
//          [--only berth-sqlite,berth-postgres,docker-registry] [--postgres-url URL]

import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { createScratchDatabase, type ScratchDatabase } from "../test/kit/postgres.js";
import { ecrApi, type Operations as EcrOperations } from "../src/model/generated/ecr.js";
import { PooledJsonClient } from "./lib/pooled-client.js";
import { freePort, startServer, type RunningServer } from "./lib/processes.js";
import { summarize } from "./lib/stats.js";
import { startPeer, Unavailable } from "./lib/targets.js";
import { fixed, formatTable } from "./lib/table.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const berthMain = join(repoRoot, "dist", "src", "cli", "main.js");
const accessKeyId = "AKIABERTHREGISTRYBEN";
const secretAccessKey = "berth-registry-benchmark-secret-key-00000";

interface Options {
  readonly runs: number;
  readonly bigMb: number;
  readonly small: number;
  readonly only?: ReadonlySet<string>;
  readonly postgresUrl: string;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      runs: { type: "string" },
      "big-mb": { type: "string" },
      small: { type: "string" },
      only: { type: "string" },
      "postgres-url": { type: "string" },
    },
  });
  const quick = values.quick ?? false;
  return {
    runs: Number(values.runs ?? (quick ? 1 : 3)),
    bigMb: Number(values["big-mb"] ?? (quick ? 100 : 200)),
    small: Number(values.small ?? (quick ? 20 : 100)),
    ...(values.only ? { only: new Set(values.only.split(",")) } : {}),
    postgresUrl:
      values["postgres-url"] ??
      process.env["BERTH_BENCH_POSTGRES_URL"] ??
      process.env["BERTH_TEST_POSTGRES_URL"] ??
      "postgres://berth@127.0.0.1:54329/berth",
  };
}

// ---------------------------------------------------------------------------
// Images on disk, as OCI layouts.

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

/** A one-file tar (ustar), enough for a layer nobody unpacks here. */
function tarOf(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, "utf8");
  header.write("0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(content.length.toString(8).padStart(11, "0") + "\0", 124);
  header.write("00000000000\0", 136);
  header.write("        ", 148);
  header.write("0", 156);
  header.write("ustar\0", 257);
  header.write("00", 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, pad, Buffer.alloc(1024)]);
}

interface LayoutImage {
  readonly tag: string;
  readonly bytes: number;
}

/**
 * Writes images into an OCI layout. Layers are random (incompressible), stored
 * as gzip level 0 so skopeo copies them as they are instead of compressing.
 */
function writeLayout(dir: string, images: readonly { tag: string; layerBytes: readonly number[] }[]): LayoutImage[] {
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  const put = (b: Buffer): string => {
    const hex = sha256(b);
    writeFileSync(join(dir, "blobs", "sha256", hex), b);
    return `sha256:${hex}`;
  };
  const index: unknown[] = [];
  const out: LayoutImage[] = [];
  for (const image of images) {
    const layers = image.layerBytes.map((n, i) => {
      const tar = tarOf(`layer-${i}.bin`, randomBytes(n));
      const gz = gzipSync(tar, { level: 0 });
      return { diffId: `sha256:${sha256(tar)}`, digest: put(gz), size: gz.length };
    });
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) } }));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: put(config), size: config.length },
        layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: l.digest, size: l.size })),
      }),
    );
    index.push({
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: put(manifest),
      size: manifest.length,
      annotations: { "org.opencontainers.image.ref.name": image.tag },
    });
    out.push({ tag: image.tag, bytes: layers.reduce((s, l) => s + l.size, 0) + config.length + manifest.length });
  }
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: index }));
  return out;
}

// ---------------------------------------------------------------------------
// Targets.

interface Target {
  readonly name: string;
  readonly host: string;
  readonly pid: number;
  /** skopeo's credential flag values ("" for none). */
  readonly creds: string;
  createRepository(name: string): Promise<void>;
  stop(): Promise<void>;
}

async function startBerth(name: string, base: string, postgres?: ScratchDatabase): Promise<Target> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(base, "berth-"));
  const server: RunningServer = await startServer({
    name,
    command: process.execPath,
    args: [berthMain, "server", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir, ...(postgres ? ["--store", postgres.url] : [])],
    env: { ...process.env, BERTH_ROOT_ACCESS_KEY_ID: accessKeyId, BERTH_ROOT_SECRET_ACCESS_KEY: secretAccessKey, BERTH_LOG_LEVEL: "warn" },
    readyUrl: `http://127.0.0.1:${port}/health`,
  });
  const client = new PooledJsonClient<EcrOperations>(ecrApi, {
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    accessKeyId,
    secretAccessKey,
  });
  const auth = await client.call("GetAuthorizationToken", {});
  const creds = Buffer.from(auth.authorizationData?.[0]?.authorizationToken ?? "", "base64").toString("utf8");
  return {
    name,
    host: `127.0.0.1:${port}`,
    pid: server.pid,
    creds,
    async createRepository(repositoryName) {
      await client.call("CreateRepository", { repositoryName });
    },
    async stop() {
      await client.shutdown();
      await server.stop();
      await postgres?.drop();
    },
  };
}

async function startDockerRegistry(base: string): Promise<Target> {
  const port = await freePort();
  const root = mkdtempSync(join(base, "docker-registry-"));
  const config = join(root, "config.yml");
  writeFileSync(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: error",
      "  accesslog:",
      "    disabled: true",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${join(root, "data")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: 127.0.0.1:${port}`,
      "",
    ].join("\n"),
  );
  const server = await startPeer(
    { name: "docker-registry", command: "docker-registry", args: ["serve", config], readyUrl: `http://127.0.0.1:${port}/v2/` },
    "apt-get install docker-registry",
  );
  return {
    name: "docker-registry",
    host: `127.0.0.1:${port}`,
    pid: server.pid,
    creds: "",
    // Repositories spring into being on first push.
    createRepository: () => Promise.resolve(),
    stop: () => server.stop(),
  };
}

/** CPU seconds the process has used so far (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  try {
    // Past the command name; a line without one reads as NaN.
    const [, afterName = ""] = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ");
    const fields = afterName.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function skopeo(args: readonly string[]): Promise<void> {
  return new Promise((res, rej) => {
    execFile("skopeo", ["--insecure-policy", ...args], { maxBuffer: 1 << 24 }, (err, _stdout, stderr) => {
      if (err) rej(new Error(`skopeo ${args.join(" ")} failed: ${stderr}`));
      else res();
    });
  });
}

const credArgs = (flag: string, t: Target): string[] => (t.creds === "" ? [] : [flag, t.creds]);

async function push(t: Target, layout: string, tag: string, repo: string): Promise<number> {
  const started = performance.now();
  await skopeo(["copy", "--dest-tls-verify=false", ...credArgs("--dest-creds", t), `oci:${layout}:${tag}`, `docker://${t.host}/${repo}:${tag}`]);
  return performance.now() - started;
}

async function pull(t: Target, repo: string, tag: string, into: string): Promise<number> {
  const started = performance.now();
  await skopeo(["copy", "--src-tls-verify=false", ...credArgs("--src-creds", t), `docker://${t.host}/${repo}:${tag}`, `dir:${into}`]);
  return performance.now() - started;
}

/** Copies the layout to a dir: without any registry: what skopeo alone costs. */
async function local(layout: string, tag: string, into: string): Promise<number> {
  const started = performance.now();
  await skopeo(["copy", `oci:${layout}:${tag}`, `dir:${into}`]);
  return performance.now() - started;
}

// ---------------------------------------------------------------------------

interface Phase {
  readonly target: string;
  readonly phase: string;
  readonly latenciesMs: number[];
  bytes: number;
  cpu: number;
}

async function main(): Promise<void> {
  const opts = readOptions();
  const [loadAtStart = 0] = loadavg();
  const base = mkdtempSync(join(tmpdir(), "berth-registry-bench-"));
  const want = (name: string): boolean => !opts.only || opts.only.has(name);
  const targets: Target[] = [];
  const notes: string[] = [];
  const phases = new Map<string, Phase>();
  const phase = (target: string, name: string): Phase => {
    const key = `${target}\u0000${name}`;
    let p = phases.get(key);
    if (!p) {
      p = { target, phase: name, latenciesMs: [], bytes: 0, cpu: 0 };
      phases.set(key, p);
    }
    return p;
  };

  try {
    if (want("berth-sqlite")) targets.push(await startBerth("berth (SQLite)", base));
    if (want("berth-postgres")) {
      try {
        targets.push(await startBerth("berth (PostgreSQL)", base, await createScratchDatabase(opts.postgresUrl)));
      } catch (err) {
        notes.push(`berth (PostgreSQL) skipped: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (want("docker-registry")) {
      try {
        targets.push(await startDockerRegistry(base));
      } catch (err) {
        if (!(err instanceof Unavailable)) throw err;
        notes.push(`docker-registry skipped: ${err.message}`);
      }
    }
    for (const t of targets) {
      await t.createRepository("bench/big");
      await t.createRepository("bench/small");
    }

    // The big image: every run pushes new random layers, so each push uploads everything.
    const layerBytes = Array.from({ length: 5 }, () => Math.floor((opts.bigMb * 1024 * 1024) / 5));
    for (let run = 0; run < opts.runs; run++) {
      const layout = join(base, `big-${run}`);
      const [image] = writeLayout(layout, [{ tag: `run-${run}`, layerBytes }]);
      if (image === undefined) throw new Error(`no image written to ${layout}`);
      const order = run % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) {
        const cpu = cpuSeconds(t.pid);
        const ms = await push(t, layout, image.tag, "bench/big");
        const p = phase(t.name, `push ${opts.bigMb} MB image (5 layers)`);
        p.latenciesMs.push(ms);
        p.bytes += image.bytes;
        p.cpu += cpuSeconds(t.pid) - cpu;
      }
      for (const t of order) {
        const into = join(base, `pulled-${run}`);
        const cpu = cpuSeconds(t.pid);
        const ms = await pull(t, "bench/big", image.tag, into);
        const p = phase(t.name, `pull ${opts.bigMb} MB image (5 layers)`);
        p.latenciesMs.push(ms);
        p.bytes += image.bytes;
        p.cpu += cpuSeconds(t.pid) - cpu;
        rmSync(into, { recursive: true, force: true });
      }
      rmSync(layout, { recursive: true, force: true });
    }

    // Small images: one layout holding them all, pushed and pulled one at a time.
    const smallLayout = join(base, "small");
    const smalls = writeLayout(
      smallLayout,
      Array.from({ length: opts.small }, (_, i) => ({ tag: `s${i}`, layerBytes: [16 * 1024] })),
    );
    for (const img of smalls) {
      const into = join(base, "local-small");
      const p = phase("skopeo alone (no registry)", `copy ${opts.small} small images`);
      p.latenciesMs.push(await local(smallLayout, img.tag, into));
      p.bytes += img.bytes;
      rmSync(into, { recursive: true, force: true });
    }
    for (const t of targets) {
      const cpu = cpuSeconds(t.pid);
      const p = phase(t.name, `push ${opts.small} small images`);
      for (const img of smalls) {
        p.latenciesMs.push(await push(t, smallLayout, img.tag, "bench/small"));
        p.bytes += img.bytes;
      }
      p.cpu = cpuSeconds(t.pid) - cpu;
    }
    for (const t of targets) {
      const cpu = cpuSeconds(t.pid);
      const p = phase(t.name, `pull ${opts.small} small images`);
      for (const img of smalls) {
        const into = join(base, "pulled-small");
        p.latenciesMs.push(await pull(t, "bench/small", img.tag, into));
        p.bytes += img.bytes;
        rmSync(into, { recursive: true, force: true });
      }
      p.cpu = cpuSeconds(t.pid) - cpu;
    }
  } finally {
    for (const t of targets) await t.stop().catch((err: unknown) => console.error(`stopping ${t.name}: ${String(err)}`));
    rmSync(base, { recursive: true, force: true });
  }

  // Print.
  const rows: string[][] = [];
  const peer = "docker-registry";
  const byPhase = new Map<string, Phase[]>();
  for (const p of phases.values()) byPhase.set(p.phase, [...(byPhase.get(p.phase) ?? []), p]);
  for (const [name, list] of byPhase) {
    const reference = list.find((p) => p.target === peer);
    for (const p of list) {
      const s = summarize(p.latenciesMs);
      const seconds = p.latenciesMs.reduce((a, b) => a + b, 0) / 1000;
      const mbps = p.bytes / (1024 * 1024) / seconds;
      const perSecond = p.latenciesMs.length / seconds;
      const refSeconds = reference ? reference.latenciesMs.reduce((a, b) => a + b, 0) / 1000 : Number.NaN;
      rows.push([
        name,
        p.target,
        String(p.latenciesMs.length),
        fixed(seconds, 2),
        fixed(mbps, 1),
        fixed(perSecond, 1),
        fixed(s.p50, 0),
        fixed(s.p99, 0),
        p.target === peer || !reference ? "" : `${fixed(refSeconds / seconds, 2)}×`,
        p.target.startsWith("skopeo") ? "" : fixed(p.cpu, 2),
      ]);
    }
  }
  console.log(`Registry push/pull with skopeo ${await skopeoVersion()} — ${opts.runs} run(s) of a ${opts.bigMb} MB 5-layer image, ${opts.small} small images (16 KiB layer each)`);
  console.log("Every figure includes skopeo's own start-up and work; 'skopeo alone' copies the same small images between two local directories.");
  console.log("Berth authenticates every request (Basic AWS:<token>); docker-registry runs without auth. Both keep blobs on the same disk.\n");
  console.log(formatTable(["phase", "target", "n", "total s", "MB/s", "images/s", "p50 ms", "p99 ms", "speed vs docker-registry", "server CPU s"], rows));
  for (const n of notes) console.log(`\n${n}`);
  const [loadAtEnd = 0] = loadavg();
  console.log(`\nLoad average (1 min): ${fixed(loadAtStart, 2)} at the start, ${fixed(loadAtEnd, 2)} at the end, on ${cpus().length} cores.`);
  if (Math.max(loadAtStart, loadAtEnd) > cpus().length) {
    console.log("The machine was busier than its core count: every figure here is pessimistic, and the comparison noisier.");
  }
}

async function skopeoVersion(): Promise<string> {
  return new Promise((res) => execFile("skopeo", ["--version"], (_e, out) => res(String(out).trim().split(" ").pop() ?? "?")));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
