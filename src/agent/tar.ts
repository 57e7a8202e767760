// A minimal ustar writer: enough to hand Docker a build context (a Dockerfile
// and a few small files) without a tar dependency.

export interface TarEntry {
  readonly name: string;
  readonly content: Buffer | string;
  /** Unix permission bits; 0644 unless given. */
  readonly mode?: number;
}

const BLOCK = 512;

function field(header: Buffer, offset: number, length: number, value: string): void {
  header.write(value.slice(0, length), offset, length, "ascii");
}

function octal(value: number, length: number): string {
  // length - 1 octal digits, then NUL.
  return value.toString(8).padStart(length - 1, "0") + "\0";
}

export function tar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const body = typeof entry.content === "string" ? Buffer.from(entry.content, "utf8") : entry.content;
    if (Buffer.byteLength(entry.name) > 100) throw new Error(`tar: name too long: ${entry.name}`);
    const header = Buffer.alloc(BLOCK, 0);
    field(header, 0, 100, entry.name);
    field(header, 100, 8, octal(entry.mode ?? 0o644, 8));
    field(header, 108, 8, octal(0, 8));
    field(header, 116, 8, octal(0, 8));
    field(header, 124, 12, octal(body.length, 12));
    field(header, 136, 12, octal(0, 12));
    // The checksum is computed with its own field read as spaces.
    header.fill(" ", 148, 156);
    header.write("0", 156, 1, "ascii");
    field(header, 257, 6, "ustar\0");
    field(header, 263, 2, "00");
    let sum = 0;
    for (const byte of header) sum += byte;
    field(header, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
    parts.push(header, body);
    const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad, 0));
  }
  // Two empty blocks end the archive.
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}
