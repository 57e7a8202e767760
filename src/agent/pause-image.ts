// The image of awsvpc's namespace holder, made on the host: nothing can be pulled,
// so, like ECS's agent loading its bundled pause tarball, Berth builds `FROM scratch`
// around a static executable written here byte by byte. It only waits for signals.

import type { DockerRuntime } from "./docker-runtime.js";
import { tar } from "./tar.js";

/** Bump the tag whenever the binary changes. */
export const pauseImageTag = "berth/pause:1";

const base = 0x400000n;
const headerSize = 64 + 56;

/** Machine code that blocks forever in a syscall that only a signal ends, then blocks again. */
const code: Readonly<Record<"x86_64" | "aarch64", { machine: number; bytes: number[] }>> = {
  // loop: mov eax, 34 (pause); syscall; jmp loop
  x86_64: { machine: 0x3e, bytes: [0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7] },
  // loop: mov x0..x3, #0; mov x8, #73 (ppoll with no fds and no timeout); svc #0; b loop
  aarch64: {
    machine: 0xb7,
    bytes: [0xd2800000, 0xd2800001, 0xd2800002, 0xd2800003, 0xd2800928, 0xd4000001, 0x17fffffa].flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, (w >>> 24) & 0xff]),
  },
};

/** Docker's architecture names for the two machines Berth builds a pause binary for. */
export function pauseArch(dockerArch: string): "x86_64" | "aarch64" {
  if (dockerArch === "x86_64" || dockerArch === "amd64") return "x86_64";
  if (dockerArch === "aarch64" || dockerArch === "arm64") return "aarch64";
  throw new Error(`awsvpc needs a namespace holder, which Berth builds only for x86_64 and aarch64, not ${dockerArch}`);
}

/** A static ELF64 executable: one header, one loadable segment, the code. */
export function pauseBinary(arch: "x86_64" | "aarch64"): Buffer {
  const { machine, bytes } = code[arch];
  const total = BigInt(headerSize + bytes.length);
  const h = Buffer.alloc(headerSize);
  h.set([0x7f, 0x45, 0x4c, 0x46, 2 /* 64-bit */, 1 /* little-endian */, 1 /* version */, 0 /* System V */], 0);
  h.writeUInt16LE(2, 16); // executable
  h.writeUInt16LE(machine, 18);
  h.writeUInt32LE(1, 20);
  h.writeBigUInt64LE(base + BigInt(headerSize), 24); // entry: right after the headers
  h.writeBigUInt64LE(64n, 32); // program headers follow the ELF header
  h.writeBigUInt64LE(0n, 40); // no section headers
  h.writeUInt32LE(0, 48);
  h.writeUInt16LE(64, 52);
  h.writeUInt16LE(56, 54);
  h.writeUInt16LE(1, 56);
  h.writeUInt16LE(64, 58);
  h.writeUInt16LE(0, 60);
  h.writeUInt16LE(0, 62);
  // PT_LOAD, read + execute, the whole file at `base`; 64 KiB alignment suits 4 KiB and 64 KiB pages.
  h.writeUInt32LE(1, 64);
  h.writeUInt32LE(5, 68);
  h.writeBigUInt64LE(0n, 72);
  h.writeBigUInt64LE(base, 80);
  h.writeBigUInt64LE(base, 88);
  h.writeBigUInt64LE(total, 96);
  h.writeBigUInt64LE(total, 104);
  h.writeBigUInt64LE(0x10000n, 112);
  return Buffer.concat([h, Buffer.from(bytes)]);
}

export function pauseBuildContext(arch: "x86_64" | "aarch64"): Promise<Buffer> {
  return tar([
    { name: "Dockerfile", content: 'FROM scratch\nCOPY pause /pause\nLABEL berth.role="pause-image"\nENTRYPOINT ["/pause"]\n' },
    { name: "pause", content: pauseBinary(arch), mode: 0o755 },
  ]);
}

/** Builds the pause image unless it is already present; returns its tag. */
export async function ensurePauseImage(runtime: DockerRuntime, dockerArch: string, signal: AbortSignal): Promise<string> {
  if (await runtime.inspectImage(pauseImageTag, signal)) return pauseImageTag;
  await runtime.buildImage(pauseImageTag, await pauseBuildContext(pauseArch(dockerArch)), signal);
  return pauseImageTag;
}
