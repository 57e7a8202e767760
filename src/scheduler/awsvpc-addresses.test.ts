import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allocateAddress } from "./awsvpc-addresses.js";

describe("allocateAddress", () => {
  it("skips the network address and the gateway", () => {
    assert.equal(allocateAddress("10.213.4.0/24", new Set()), "10.213.4.2");
  });
  it("takes the lowest free address", () => {
    assert.equal(allocateAddress("10.213.4.0/24", new Set(["10.213.4.2", "10.213.4.3", "10.213.4.5"])), "10.213.4.4");
  });
  it("normalises a host address to its network", () => {
    assert.equal(allocateAddress("10.213.4.77/24", new Set()), "10.213.4.2");
  });
  it("never hands out the broadcast address, and says when the subnet is full", () => {
    const used = new Set(["10.0.0.2"]);
    assert.equal(allocateAddress("10.0.0.0/30", used), undefined);
    assert.equal(allocateAddress("10.0.0.0/29", used), "10.0.0.3");
  });
  it("rejects malformed subnets", () => {
    for (const cidr of ["", "10.0.0.0", "10.0.0/24", "300.0.0.0/24", "10.0.0.0/31", "10.0.0.0/x"]) {
      assert.equal(allocateAddress(cidr, new Set()), undefined, cidr);
    }
  });
});
