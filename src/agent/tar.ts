// Packs a few in-memory files into a tar archive with tar-stream: enough to hand
// Docker a build context (a Dockerfile and a few small files).

import { buffer } from "node:stream/consumers";

export interface TarEntry {
  readonly name: string;
  readonly content: Buffer | string;
  /** Unix permission bits; 0644 unless given. */
  readonly mode?: number;
}

export async function tar(entries: readonly TarEntry[]): Promise<Buffer> {
  // Loaded on first use: the agent builds its one image rarely, and holds no tar code while idle.
  const { pack } = await import("tar-stream");
  const archive = pack();
  const done = buffer(archive);
  for (const entry of entries) archive.entry({ name: entry.name, mode: entry.mode ?? 0o644 }, entry.content);
  archive.finalize();
  return done;
}
