// Walks a tar stream with tar-stream (ustar, GNU long names, PAX records), enough
// to pull a few small files out of image layers without unpacking them. Entries
// the caller does not want are drained without being held in memory.

import { Readable } from "node:stream";
import { extract, type Header } from "tar-stream";

export type TarEntryType = "file" | "directory" | "symlink" | "hardlink" | "other";

export interface TarEntry {
  /** Normalised: no leading "./" or "/". */
  readonly path: string;
  readonly type: TarEntryType;
  readonly size: number;
  readonly linkPath?: string;
}

function normalise(path: string): string {
  let p = path;
  while (p.startsWith("./")) p = p.slice(2);
  while (p.startsWith("/")) p = p.slice(1);
  if (p.endsWith("/")) p = p.slice(0, -1);
  return p;
}

function typeOf(type: Header["type"]): TarEntryType {
  switch (type) {
    case "file":
    case "contiguous-file":
    case undefined:
    case null:
      return "file";
    case "directory":
      return "directory";
    case "symlink":
      return "symlink";
    case "link":
      return "hardlink";
    default:
      return "other";
  }
}

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
  const maxFileBytes = handlers.maxFileBytes ?? 64 * 1024 * 1024;
  const entries = extract();
  const input = Readable.from(source);
  input.on("error", (err) => entries.destroy(err));
  input.pipe(entries);
  for await (const body of entries) {
    const h = body.header;
    const entry: TarEntry = {
      path: normalise(h.name),
      type: typeOf(h.type),
      size: h.size ?? 0,
      ...(h.linkname ? { linkPath: h.linkname } : {}),
    };
    handlers.onEntry?.(entry);
    if (entry.type === "file" && entry.size <= maxFileBytes && handlers.want?.(entry)) {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      handlers.onFile?.(entry, Buffer.concat(chunks));
    } else {
      body.resume();
    }
  }
}
