import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { choosePorts, clearOfEphemeral, HostPortAllocator, parseProcNet, portKey, PortsExhaustedError, readHostPortsInUse } from "./ports.js";

const range = { first: 50000, last: 50004 };

test("dynamic ports skip taken ones; static ports are kept", () => {
  const { choices } = choosePorts(
    [
      { containerPort: 80, protocol: "tcp" },
      { containerPort: 81, hostPort: 8080, protocol: "tcp" },
      { containerPort: 82, hostPort: 0, protocol: "tcp" },
    ],
    range,
    new Set([portKey("tcp", 50000), portKey("tcp", 50002)]),
    50000,
  );
  assert.deepEqual(
    choices.map((c) => c.hostPort),
    [50001, 8080, 50003],
  );
});

test("tcp and udp are separate spaces", () => {
  const { choices } = choosePorts([{ containerPort: 53, protocol: "udp" }], range, new Set([portKey("tcp", 50000)]), 50000);
  assert.equal(choices[0]?.hostPort, 50000);
});

test("exhaustion is an error, not a duplicate", () => {
  const taken = new Set([50000, 50001, 50002, 50003].map((p) => portKey("tcp", p)));
  assert.throws(() => choosePorts([{ containerPort: 1, protocol: "tcp" }, { containerPort: 2, protocol: "tcp" }], range, taken, 50000), PortsExhaustedError);
});

test("round-robin: the cursor wraps and a just-released port is not reused at once", () => {
  const alloc = new HostPortAllocator(range, () => 0);
  const a = alloc.reserve("task-a", [{ containerPort: 80, protocol: "tcp" }], new Set());
  assert.equal(a[0]?.hostPort, 50000);
  alloc.release("task-a");
  const b = alloc.reserve("task-b", [{ containerPort: 80, protocol: "tcp" }], new Set());
  assert.equal(b[0]?.hostPort, 50001);
  const c = alloc.reserve("task-c", [1, 2, 3, 4].map((p) => ({ containerPort: p, protocol: "tcp" as const })), new Set());
  assert.deepEqual(
    c.map((x) => x.hostPort),
    [50002, 50003, 50004, 50000],
  );
  assert.throws(() => alloc.reserve("task-d", [{ containerPort: 80, protocol: "tcp" }], new Set()), PortsExhaustedError);
});

test("other owners' ports and adopted ports are avoided", () => {
  const alloc = new HostPortAllocator(range, () => 0);
  alloc.adopt("old", [{ containerPort: 80, hostPort: 50000, protocol: "tcp" }]);
  const got = alloc.reserve("new", [{ containerPort: 80, protocol: "tcp" }], new Set([portKey("tcp", 50001)]));
  assert.equal(got[0]?.hostPort, 50002);
});

test("/proc/net parsing: TCP ports held by listeners and by open connections (a connection's local port refuses a listener's bind), bound UDP sockets", () => {
  const tcp = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0",
    "   1: 0100007F:C350 0100007F:0016 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0",
    "   2: 0100007F:C351 0100007F:0016 06 00000000:00000000 03:00000000 00000000     0        0 0 3 0000000000000000",
  ].join("\n");
  assert.deepEqual(parseProcNet(tcp, "tcp"), [22, 50000]);
  const udp = ["  sl  local_address rem_address   st", "  1: 00000000:0035 00000000:0000 07 00000000:00000000"].join("\n");
  assert.deepEqual(parseProcNet(udp, "udp"), [53]);
});

test("readHostPortsInUse reads every table and tolerates missing ones", async () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-procnet-"));
  writeFileSync(join(dir, "tcp6"), "header\n 0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A x\n");
  const keys = await readHostPortsInUse(dir);
  assert.deepEqual([...keys], ["tcp/8080"]);
});

test("allocators start at a random place, so agents sharing a host reach for different ports", () => {
  const low = new HostPortAllocator(range, () => 0).reserve("t", [{ containerPort: 80, protocol: "tcp" }], new Set());
  const high = new HostPortAllocator(range, () => 0.99).reserve("t", [{ containerPort: 80, protocol: "tcp" }], new Set());
  assert.equal(low[0]?.hostPort, range.first);
  assert.equal(high[0]?.hostPort, range.last);
});

test("dynamic ports keep clear of the kernel's ephemeral range where they overlap it", () => {
  const range = { first: 49153, last: 65535 };
  assert.deepEqual(clearOfEphemeral(range, { first: 32768, last: 60999 }), { first: 61000, last: 65535 });
  assert.deepEqual(clearOfEphemeral(range, { first: 32768, last: 49000 }), range);
  assert.deepEqual(clearOfEphemeral(range, { first: 32768, last: 65535 }), range);
  assert.deepEqual(clearOfEphemeral(range, undefined), range);
});
