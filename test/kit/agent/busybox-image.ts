// The test image every Docker test runs: a static busybox FROM scratch, built
// locally (nothing can be pulled here), tagged berth-test/busybox:1.

import { existsSync, readFileSync } from "node:fs";
import { Readable } from "node:stream";
import Docker from "dockerode";
import { tar } from "../../../src/agent/tar.js";

export const busyboxImage = "berth-test/busybox:1";

const candidates = ["/bin/busybox", "/usr/bin/busybox", "/usr/lib/busybox/busybox"];

/** True for an ELF executable without a PT_INTERP segment: it needs no dynamic loader, so it runs FROM scratch. */
export function isStaticElf(binary: Buffer): boolean {
  if (binary.length < 64 || binary.readUInt32BE(0) !== 0x7f454c46 || binary[4] !== 2) return false;
  const phoff = Number(binary.readBigUInt64LE(32));
  const phentsize = binary.readUInt16LE(54);
  const phnum = binary.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) if (binary.readUInt32LE(phoff + i * phentsize) === 3) return false;
  return true;
}

/** Where a static busybox is on this host (Debian's busybox-static installs /bin/busybox). */
export function findStaticBusybox(): string {
  for (const path of [process.env["BERTH_BUSYBOX"], ...candidates]) {
    if (path && existsSync(path) && isStaticElf(readFileSync(path))) return path;
  }
  throw new Error(`no static busybox found (looked at ${candidates.join(", ")}); apt-get install busybox-static, or set BERTH_BUSYBOX`);
}

let building: Promise<string> | undefined;

/** Builds berth-test/busybox:1 unless it is present; returns the tag. */
export function ensureBusyboxImage(docker: Docker = new Docker()): Promise<string> {
  building ??= (async () => {
    const present = await docker
      .getImage(busyboxImage)
      .inspect()
      .then(
        () => true,
        (err: unknown) => {
          if ((err as { statusCode?: number }).statusCode === 404) return false;
          throw err;
        },
      );
    if (present) return busyboxImage;
    const context = await tar([
      { name: "Dockerfile", content: 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n' },
      { name: "busybox", content: readFileSync(findStaticBusybox()), mode: 0o755 },
    ]);
    const progress = await docker.buildImage(Readable.from([context]), { t: busyboxImage, rm: true, forcerm: true, abortSignal: AbortSignal.timeout(120_000) });
    // Docker reports a failed build inside the progress stream, with HTTP 200.
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(progress, (err: Error | null, output: { error?: string }[]) => {
        const failed = err ?? output.find((line) => line.error)?.error;
        if (failed) reject(failed instanceof Error ? failed : new Error(`building ${busyboxImage}: ${failed}`));
        else resolve();
      }),
    );
    return busyboxImage;
  })();
  const attempt = building;
  // A failed build may be retried by the next caller.
  attempt.catch(() => {
    if (building === attempt) building = undefined;
  });
  return attempt;
}
