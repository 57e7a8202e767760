// Host ports for bridge-mode tasks: a dynamic port (hostPort 0 or absent) comes
// from a configurable range, skipping ports held on the host (listeners and open
// connections), published by any container, or already handed to another task;
// static ports are kept as given.

import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";

export type Protocol = "tcp" | "udp";

export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** ECS's default ephemeral range on Linux (ECS_DYNAMIC_HOST_PORT_RANGE). */
export const defaultPortRange: PortRange = { first: 49153, last: 65535 };

/**
 * Pure: the part of `range` above the kernel's ephemeral range when the two
 * overlap and room is left there (else `range`): a port the agent reads as free
 * can be taken by a new outgoing connection before Docker's proxy binds it.
 */
export function clearOfEphemeral(range: PortRange, ephemeral: PortRange | undefined): PortRange {
  if (!ephemeral || ephemeral.last < range.first || ephemeral.first > range.last || ephemeral.last >= range.last) return range;
  return { first: Math.max(range.first, ephemeral.last + 1), last: range.last };
}

/** The kernel's ephemeral port range (Linux), or undefined. */
export function readEphemeralRange(file = "/proc/sys/net/ipv4/ip_local_port_range"): PortRange | undefined {
  try {
    const [first, last] = readFileSync(file, "utf8").trim().split(/\s+/).map(Number);
    return first !== undefined && last !== undefined && Number.isInteger(first) && Number.isInteger(last) ? { first, last } : undefined;
  } catch {
    return undefined;
  }
}

export interface PortRequest {
  readonly containerPort: number;
  /** Absent or 0: choose one. */
  readonly hostPort?: number;
  readonly protocol: Protocol;
}

export interface PortChoice {
  readonly containerPort: number;
  readonly hostPort: number;
  readonly protocol: Protocol;
}

export function portKey(protocol: Protocol, port: number): string {
  return `${protocol}/${port}`;
}

export class PortsExhaustedError extends Error {
  override readonly name = "PortsExhaustedError";
}

/**
 * Pure: one host port per request. Dynamic ports are taken round-robin from
 * `cursor` so a port just released is not handed out again at once.
 * Invariant: no two choices share a protocol/port, and no dynamic choice is in `taken`.
 */
export function choosePorts(
  requests: readonly PortRequest[],
  range: PortRange,
  taken: ReadonlySet<string>,
  cursor: number,
): { readonly choices: PortChoice[]; readonly cursor: number } {
  const used = new Set(taken);
  const choices: PortChoice[] = [];
  const size = range.last - range.first + 1;
  let next = cursor < range.first || cursor > range.last ? range.first : cursor;
  for (const r of requests) {
    if (r.hostPort !== undefined && r.hostPort > 0) {
      choices.push({ containerPort: r.containerPort, hostPort: r.hostPort, protocol: r.protocol });
      used.add(portKey(r.protocol, r.hostPort));
      continue;
    }
    let found: number | undefined;
    for (let i = 0; i < size; i++) {
      const candidate = range.first + ((next - range.first + i) % size);
      if (!used.has(portKey(r.protocol, candidate))) {
        found = candidate;
        break;
      }
    }
    if (found === undefined) throw new PortsExhaustedError(`no free ${r.protocol} host port in ${range.first}-${range.last}`);
    choices.push({ containerPort: r.containerPort, hostPort: found, protocol: r.protocol });
    used.add(portKey(r.protocol, found));
    next = found === range.last ? range.first : found + 1;
  }
  return { choices, cursor: next };
}

/**
 * Pure: local ports in a /proc/net/{tcp,tcp6,udp,udp6} table. A TCP port is held
 * by a listener and by an open connection alike: an outgoing connection's local
 * port is taken from the kernel's ephemeral range, which overlaps the dynamic
 * host port range, and Docker's proxy cannot bind a port such a connection holds.
 * TIME_WAIT does not hold one: the proxy's listener reuses the address.
 */
export function parseProcNet(content: string, protocol: Protocol): number[] {
  const ports: number[] = [];
  for (const line of content.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    const state = fields[3];
    if (!local || !state) continue;
    // 06 is TCP_TIME_WAIT; a bound UDP socket holds its port in any state.
    if (protocol === "tcp" && state === "06") continue;
    const hex = local.split(":").pop();
    if (hex) ports.push(parseInt(hex, 16));
  }
  return ports;
}

/** Ports bound on this host right now, as protocol/port keys. Missing tables (not Linux) count as empty. */
export async function readHostPortsInUse(procNet = "/proc/net"): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const [file, protocol] of [["tcp", "tcp"], ["tcp6", "tcp"], ["udp", "udp"], ["udp6", "udp"]] as const) {
    const content = await readFile(`${procNet}/${file}`, "utf8").catch(() => "");
    for (const port of parseProcNet(content, protocol)) keys.add(portKey(protocol, port));
  }
  return keys;
}

/** The engine's port book: which task holds which host ports. Synchronous, so task loops cannot race. */
export class HostPortAllocator {
  private readonly held = new Map<string, PortChoice[]>();
  private cursor: number;

  /**
   * The search starts at a random place in the range, as the kernel's does for
   * ephemeral ports, so agents sharing a host (or a restarted agent) do not all
   * reach for the same first port.
   */
  constructor(
    readonly range: PortRange = defaultPortRange,
    random: () => number = Math.random,
  ) {
    this.cursor = range.first + Math.floor(random() * (range.last - range.first + 1));
  }

  /** Chooses and records ports for `owner`, avoiding `inUse` and every other owner's ports. */
  reserve(owner: string, requests: readonly PortRequest[], inUse: ReadonlySet<string>): PortChoice[] {
    const taken = new Set(inUse);
    for (const [o, choices] of this.held) if (o !== owner) for (const c of choices) taken.add(portKey(c.protocol, c.hostPort));
    const { choices, cursor } = choosePorts(requests, this.range, taken, this.cursor);
    this.cursor = cursor;
    this.held.set(owner, [...(this.held.get(owner) ?? []), ...choices]);
    return choices;
  }

  /** Records ports found on adopted containers. */
  adopt(owner: string, choices: readonly PortChoice[]): void {
    this.held.set(owner, [...(this.held.get(owner) ?? []), ...choices]);
  }

  release(owner: string): void {
    this.held.delete(owner);
  }

  holding(owner: string): readonly PortChoice[] {
    return this.held.get(owner) ?? [];
  }
}
