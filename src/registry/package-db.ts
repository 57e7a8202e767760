// What is installed in an image: the dpkg and apk package databases and
// os-release, read from the layers in order with whiteouts applied, as the
// container would see them.
//
//   layers (gzip or plain tar) → readTar → wanted files, later layers win,
//   .wh. entries delete → parse dpkg status / apk installed / os-release

import { createGunzip } from "node:zlib";
import { Readable } from "node:stream";
import { readTar } from "./tar-reader.js";

export interface InstalledPackage {
  readonly name: string;
  /** The source package (dpkg Source:, apk origin); OSV's Debian and Alpine records name these. */
  readonly source: string;
  readonly version: string;
  readonly manager: "dpkg" | "apk";
}

export interface OsRelease {
  readonly id?: string;
  readonly versionId?: string;
}

export interface Inventory {
  readonly packages: readonly InstalledPackage[];
  readonly os: OsRelease;
  /** OSV's ecosystem for the image: "Debian:12", "Alpine:v3.19", or the family alone. */
  readonly ecosystem?: string;
  readonly layersSkipped: number;
}

const dpkgStatus = "var/lib/dpkg/status";
const dpkgStatusDir = "var/lib/dpkg/status.d/";
const apkInstalled = "lib/apk/db/installed";
const osReleasePaths = ["etc/os-release", "usr/lib/os-release"];

function wanted(path: string): boolean {
  return path === dpkgStatus || path === apkInstalled || osReleasePaths.includes(path) || (path.startsWith(dpkgStatusDir) && !path.slice(dpkgStatusDir.length).includes("/"));
}

function paragraphs(text: string): string[][] {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.split("\n").filter((l) => l !== ""))
    .filter((p) => p.length > 0);
}

/** Packages from a dpkg status file (only those in state "installed"). */
export function parseDpkgStatus(text: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  for (const para of paragraphs(text)) {
    const fields = new Map<string, string>();
    let last = "";
    for (const line of para) {
      if (line.startsWith(" ") || line.startsWith("\t")) continue; // continuation lines (Description)
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      last = line.slice(0, colon);
      fields.set(last, line.slice(colon + 1).trim());
    }
    const name = fields.get("Package");
    const version = fields.get("Version");
    const status = fields.get("Status");
    if (!name || !version) continue;
    if (status !== undefined && !/\binstalled$/.test(status)) continue;
    // "Source: openssl (3.0.11-1)" names the source package and, when it differs, its version.
    const source = /^(\S+)/.exec(fields.get("Source") ?? "")?.[1] ?? name;
    out.push({ name, source, version, manager: "dpkg" });
  }
  return out;
}

/** Packages from apk's installed database. */
export function parseApkInstalled(text: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  for (const para of paragraphs(text)) {
    const fields = new Map<string, string>();
    for (const line of para) if (line.length > 2 && line[1] === ":") fields.set(line.charAt(0), line.slice(2));
    const name = fields.get("P");
    const version = fields.get("V");
    if (!name || !version) continue;
    out.push({ name, source: fields.get("o") ?? name, version, manager: "apk" });
  }
  return out;
}

export function parseOsRelease(text: string): OsRelease {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const [, key, value] = /^([A-Z_]+)=(.*)$/.exec(line.trim()) ?? [];
    if (key !== undefined && value !== undefined) fields.set(key, value.replace(/^["']|["']$/g, ""));
  }
  const id = fields.get("ID");
  const versionId = fields.get("VERSION_ID");
  return { ...(id ? { id } : {}), ...(versionId ? { versionId } : {}) };
}

/** OSV's ecosystem name for what the image runs. */
export function ecosystemOf(os: OsRelease, managers: ReadonlySet<string>): string | undefined {
  if (os.id === "alpine" || (os.id === undefined && managers.has("apk"))) {
    const minor = /^(\d+)\.(\d+)/.exec(os.versionId ?? "");
    return minor ? `Alpine:v${minor[1]}.${minor[2]}` : "Alpine";
  }
  if (os.id === "ubuntu") return os.versionId ? `Ubuntu:${os.versionId}` : "Ubuntu";
  if (os.id === "debian" || (os.id === undefined && managers.has("dpkg"))) {
    const major = /^(\d+)/.exec(os.versionId ?? "");
    return major ? `Debian:${major[1]}` : "Debian";
  }
  return undefined;
}

/** Opens a layer as tar bytes: gzip is unpacked, plain tar passes, anything else (zstd) is undefined. */
async function* tarBytes(open: () => Readable): AsyncGenerator<Buffer> {
  const raw = open();
  const iterator = (raw as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const head = first.value;
  const rest = (async function* () {
    yield head;
    for (;;) {
      const n = await iterator.next();
      if (n.done) return;
      yield n.value;
    }
  })();
  if (head[0] === 0x1f && head[1] === 0x8b) {
    yield* Readable.from(rest).pipe(createGunzip()) as AsyncIterable<Buffer>;
  } else if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) {
    raw.destroy();
    throw new UnsupportedLayer("zstd-compressed layers are not read by the basic scanner");
  } else {
    yield* rest;
  }
}

export class UnsupportedLayer extends Error {}

/** Reads the package databases out of the layers, bottom layer first. */
export async function readInventory(layers: readonly (() => Readable)[]): Promise<Inventory> {
  const files = new Map<string, Buffer>();
  let layersSkipped = 0;
  for (const open of layers) {
    const deleted: string[] = [];
    const opaque: string[] = [];
    const found = new Map<string, Buffer>();
    try {
      await readTar(tarBytes(open), {
        want: (e) => wanted(e.path),
        onEntry: (e) => {
          const slash = e.path.lastIndexOf("/");
          const dir = slash >= 0 ? e.path.slice(0, slash + 1) : "";
          const base = e.path.slice(slash + 1);
          if (base === ".wh..wh..opq") opaque.push(dir);
          else if (base.startsWith(".wh.")) deleted.push(dir + base.slice(4));
          else if (e.type === "symlink" || e.type === "directory") {
            if (wanted(e.path)) deleted.push(e.path);
          }
        },
        onFile: (e, data) => found.set(e.path, data),
      });
    } catch (err) {
      if (err instanceof UnsupportedLayer) {
        layersSkipped++;
        continue;
      }
      throw err;
    }
    // Whiteouts in a layer hide what lower layers had, then the layer's own files land.
    for (const path of [...files.keys()]) {
      if (deleted.includes(path) || deleted.some((d) => path.startsWith(`${d}/`)) || opaque.some((dir) => path.startsWith(dir))) files.delete(path);
    }
    for (const [path, data] of found) files.set(path, data);
  }
  const packages: InstalledPackage[] = [];
  const status = files.get(dpkgStatus);
  if (status) packages.push(...parseDpkgStatus(status.toString("utf8")));
  for (const [path, data] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    if (path.startsWith(dpkgStatusDir)) packages.push(...parseDpkgStatus(data.toString("utf8")));
  }
  const apk = files.get(apkInstalled);
  if (apk) packages.push(...parseApkInstalled(apk.toString("utf8")));
  const osFile = osReleasePaths.map((p) => files.get(p)).find((d) => d !== undefined);
  const os = osFile ? parseOsRelease(osFile.toString("utf8")) : {};
  const ecosystem = ecosystemOf(os, new Set(packages.map((p) => p.manager)));
  return { packages, os, ...(ecosystem ? { ecosystem } : {}), layersSkipped };
}
