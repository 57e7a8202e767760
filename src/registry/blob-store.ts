// Blob bytes on disk, content-addressed. An upload is a file under uploads/
// that only grows; completing it fsyncs the file and renames it into
// blobs/<algorithm>/<2 hex>/<hex>, so a blob path either holds the verified
// bytes or nothing. Which blobs exist is recorded in the store, not here.
//
//   uploads/<id>  --append (hashing)-->  fsync  --rename-->  blobs/sha256/ab/ab12…

import { createReadStream, createWriteStream, type ReadStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Hash } from "node:crypto";
import { parseDigest } from "./digest.js";

export interface FileAge {
  readonly name: string;
  readonly mtime: Date;
}

export class BlobStore {
  readonly blobsDir: string;
  readonly uploadsDir: string;

  constructor(readonly root: string) {
    this.blobsDir = join(root, "blobs");
    this.uploadsDir = join(root, "uploads");
  }

  async init(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await mkdir(this.uploadsDir, { recursive: true });
  }

  blobPath(digest: string): string {
    const parsed = parseDigest(digest);
    if (!parsed) throw new Error(`not a digest: ${digest}`);
    return join(this.blobsDir, parsed.algorithm, parsed.hex.slice(0, 2), parsed.hex);
  }

  uploadPath(id: string): string {
    return join(this.uploadsDir, id);
  }

  async createUpload(id: string): Promise<void> {
    const fh = await open(this.uploadPath(id), "wx");
    await fh.close();
  }

  /** The upload's size, or undefined when its file is gone. */
  async uploadSize(id: string): Promise<number | undefined> {
    try {
      return (await stat(this.uploadPath(id))).size;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Appends `source` to the upload, feeding every byte to `hash` on the way.
   * Resolves with the bytes written; rejects if the source fails mid-way (the
   * bytes that reached the file stay there, and the caller's hash no longer matches them).
   */
  async append(id: string, source: Readable, hash: Hash): Promise<number> {
    let written = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        written += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(source, hashing, createWriteStream(this.uploadPath(id), { flags: "a", highWaterMark: 1 << 20 }));
    return written;
  }

  /** Feeds the upload's current bytes to `hash` (to resume after a restart or on another replica). */
  async rehash(id: string, hash: Hash): Promise<number> {
    let size = 0;
    for await (const chunk of createReadStream(this.uploadPath(id), { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    return size;
  }

  /** Makes the upload's bytes durable and moves them to the blob's path in one rename. */
  async commit(id: string, digest: string): Promise<void> {
    const from = this.uploadPath(id);
    const fh = await open(from, "r+");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    const to = this.blobPath(digest);
    await mkdir(join(to, ".."), { recursive: true });
    await rename(from, to);
  }

  async removeUpload(id: string): Promise<void> {
    await rm(this.uploadPath(id), { force: true });
  }

  async blobSize(digest: string): Promise<number | undefined> {
    try {
      return (await stat(this.blobPath(digest))).size;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Reads bytes [start, end] (inclusive) of a blob. */
  read(digest: string, start?: number, end?: number): ReadStream {
    return createReadStream(this.blobPath(digest), {
      ...(start !== undefined ? { start } : {}),
      ...(end !== undefined ? { end } : {}),
      highWaterMark: 1 << 20,
    });
  }

  async removeBlob(digest: string): Promise<void> {
    await rm(this.blobPath(digest), { force: true });
  }

  /** Every blob file on disk, as digests with their modification time. */
  async *blobFiles(): AsyncGenerator<{ readonly digest: string; readonly mtime: Date }> {
    for (const algorithm of await listDir(this.blobsDir)) {
      for (const prefix of await listDir(join(this.blobsDir, algorithm))) {
        for (const hex of await listDir(join(this.blobsDir, algorithm, prefix))) {
          const digest = `${algorithm}:${hex}`;
          if (!parseDigest(digest)) continue;
          try {
            const s = await stat(join(this.blobsDir, algorithm, prefix, hex));
            yield { digest, mtime: s.mtime };
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
        }
      }
    }
  }

  async uploadFiles(): Promise<FileAge[]> {
    const out: FileAge[] = [];
    for (const name of await listDir(this.uploadsDir)) {
      try {
        out.push({ name, mtime: (await stat(join(this.uploadsDir, name))).mtime });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return out;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof Error && "code" in err && err.code === "ENOENT";
}
