// A streaming tar reader (ustar, GNU long names, PAX path/size records), enough
// to pull a few small files out of image layers without unpacking them. Entries
// the caller does not want are skipped without being held in memory.
// (A small, self-contained reader; `tar-stream` would do the same if it
// became a declared dependency.)

export type TarEntryType = "file" | "directory" | "symlink" | "hardlink" | "other";

export interface TarEntry {
  /** Normalised: no leading "./" or "/". */
  readonly path: string;
  readonly type: TarEntryType;
  readonly size: number;
  readonly linkPath?: string;
}

class ByteReader {
  private chunks: Buffer[] = [];
  private length = 0;
  private done = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(n: number): Promise<void> {
    while (this.length < n && !this.done) {
      const next = await this.source.next();
      if (next.done) {
        this.done = true;
        break;
      }
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      if (chunk.length === 0) continue;
      this.chunks.push(chunk);
      this.length += chunk.length;
    }
  }

  /** Exactly n bytes, or undefined at the end of the stream. */
  async read(n: number): Promise<Buffer | undefined> {
    await this.fill(n);
    if (this.length < n) return undefined;
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    return out;
  }

  /** Drops n bytes without keeping them; false if the stream ended first. */
  async skip(n: number): Promise<boolean> {
    let left = n;
    while (left > 0) {
      if (this.length === 0) {
        await this.fill(1);
        if (this.length === 0) return false;
      }
      const head = this.chunks[0];
      if (head.length <= left) {
        this.chunks.shift();
        this.length -= head.length;
        left -= head.length;
      } else {
        this.chunks[0] = head.subarray(left);
        this.length -= left;
        left = 0;
      }
    }
    return true;
  }
}

function cString(buf: Buffer, start: number, end: number): string {
  const slice = buf.subarray(start, end);
  const nul = slice.indexOf(0);
  return (nul >= 0 ? slice.subarray(0, nul) : slice).toString("utf8");
}

function octal(buf: Buffer, start: number, end: number): number {
  // GNU base-256 for values that do not fit in octal.
  if (buf[start] & 0x80) {
    let value = 0;
    for (let i = start + 1; i < end; i++) value = value * 256 + buf[i];
    return value;
  }
  const text = cString(buf, start, end).trim();
  return text === "" ? 0 : parseInt(text, 8);
}

function normalise(path: string): string {
  let p = path;
  while (p.startsWith("./")) p = p.slice(2);
  while (p.startsWith("/")) p = p.slice(1);
  if (p.endsWith("/")) p = p.slice(0, -1);
  return p;
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = parseInt(data.subarray(i, space).toString("utf8"), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = data.subarray(space + 1, i + len - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    i += len;
  }
  return out;
}

const typeOf = (flag: string): TarEntryType => {
  switch (flag) {
    case "0":
    case "\0":
    case "":
    case "7":
      return "file";
    case "5":
      return "directory";
    case "2":
      return "symlink";
    case "1":
      return "hardlink";
    default:
      return "other";
  }
};

/**
 * Walks a tar stream. `want` decides, per entry, whether its bytes are read
 * (up to `maxFileBytes`) and handed to `onFile`; every entry is reported to `onEntry`.
 */
export async function readTar(
  source: AsyncIterable<Buffer>,
  handlers: {
    readonly want?: (entry: TarEntry) => boolean;
    readonly onEntry?: (entry: TarEntry) => void;
    readonly onFile?: (entry: TarEntry, data: Buffer) => void;
    readonly maxFileBytes?: number;
  },
): Promise<void> {
  const reader = new ByteReader(source[Symbol.asyncIterator]());
  const maxFileBytes = handlers.maxFileBytes ?? 64 * 1024 * 1024;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax = new Map<string, string>();
  for (;;) {
    const header = await reader.read(512);
    if (!header) return;
    if (header.every((b) => b === 0)) return;
    const flag = String.fromCharCode(header[156]);
    let size = octal(header, 124, 136);
    const magic = cString(header, 257, 263);
    let name = cString(header, 0, 100);
    if (magic.startsWith("ustar")) {
      const prefix = cString(header, 345, 500);
      if (prefix !== "") name = `${prefix}/${name}`;
    }
    const padded = Math.ceil(size / 512) * 512;
    if (flag === "L" || flag === "K" || flag === "x" || flag === "g") {
      const data = await reader.read(padded);
      if (!data) return;
      const body = data.subarray(0, size);
      if (flag === "L") longName = cString(body, 0, body.length);
      else if (flag === "K") longLink = cString(body, 0, body.length);
      else if (flag === "x") pax = parsePax(body);
      continue;
    }
    const paxSize = pax.get("size");
    if (paxSize !== undefined) size = Number(paxSize);
    const entry: TarEntry = {
      path: normalise(pax.get("path") ?? longName ?? name),
      type: typeOf(flag),
      size,
      ...((pax.get("linkpath") ?? longLink ?? cString(header, 157, 257)) !== ""
        ? { linkPath: pax.get("linkpath") ?? longLink ?? cString(header, 157, 257) }
        : {}),
    };
    longName = undefined;
    longLink = undefined;
    pax = new Map();
    handlers.onEntry?.(entry);
    const dataBytes = Math.ceil(size / 512) * 512;
    if (entry.type === "file" && size <= maxFileBytes && handlers.want?.(entry)) {
      const data = await reader.read(dataBytes);
      if (!data) return;
      handlers.onFile?.(entry, data.subarray(0, size));
    } else if (!(await reader.skip(dataBytes))) {
      return;
    }
  }
}
