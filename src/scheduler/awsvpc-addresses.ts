// Private IPs for awsvpc tasks: each instance offers a subnet (its agent's
// Berth-managed Docker network); the control plane picks a free address in it,
// as ECS provisions an ENI before the agent sees the task.

function toNumber(ip: string): number | undefined {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

const toIp = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");

/**
 * The lowest free host address of a CIDR, skipping the network address, the
 * gateway (the first host) and the broadcast address; undefined when full or
 * when the CIDR is malformed.
 */
export function allocateAddress(cidr: string, used: ReadonlySet<string>): string | undefined {
  const [base, bitsText] = cidr.split("/");
  const bits = Number(bitsText);
  const start = base === undefined ? undefined : toNumber(base);
  if (start === undefined || !Number.isInteger(bits) || bits < 8 || bits > 30) return undefined;
  const size = 2 ** (32 - bits);
  const network = start - (start % size);
  for (let n = network + 2; n < network + size - 1; n++) {
    const ip = toIp(n);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}
