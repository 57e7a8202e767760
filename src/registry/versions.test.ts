// dpkg and apk version ordering, and CVSS scores, against known answers.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cvss3BaseScore, severityOfScore } from "./cvss.js";
import { compareApk, compareDpkg } from "./versions.js";

describe("compareDpkg", () => {
  // Each pair is ordered a < b, as `dpkg --compare-versions a lt b` says.
  const ordered: [string, string][] = [
    ["1.0", "1.1"],
    ["1.0~rc1", "1.0"],
    ["1.0", "1.0-1"],
    ["1.0-1", "1.0-2"],
    ["1.0-9", "1.0-10"],
    ["1:0.1", "2:0.0"],
    ["9.9", "1:0.1"],
    ["3.0.11-1~deb12u1", "3.0.11-1~deb12u2"],
    ["3.0.11-1~deb12u2", "3.0.11-1"],
    ["1.2.3a", "1.2.3b"],
    ["1.2.3", "1.2.3+dfsg"],
    ["2.36-9", "2.36-9+deb12u4"],
  ];
  for (const [a, b] of ordered) {
    it(`${a} < ${b}`, () => {
      assert.ok(compareDpkg(a, b) < 0);
      assert.ok(compareDpkg(b, a) > 0);
    });
  }
  it("treats equal versions as equal", () => {
    assert.equal(compareDpkg("0:1.0-1", "1.0-1"), 0);
    assert.equal(compareDpkg("1.00", "1.0"), 0);
  });
});

describe("compareApk", () => {
  const ordered: [string, string][] = [
    ["1.2.3-r0", "1.2.3-r1"],
    ["1.2.3-r9", "1.2.4-r0"],
    ["1.2.3_rc1-r0", "1.2.3-r0"],
    ["1.2.3_alpha", "1.2.3_beta"],
    ["1.2.3-r0", "1.2.3_p1-r0"],
    ["1.2.3", "1.2.3a"],
    ["3.1.4-r5", "3.1.10-r0"],
    ["1.36.1-r5", "1.36.1-r15"],
  ];
  for (const [a, b] of ordered) {
    it(`${a} < ${b}`, () => {
      assert.ok(compareApk(a, b) < 0);
      assert.ok(compareApk(b, a) > 0);
    });
  }
});

describe("cvss3BaseScore", () => {
  const known: [string, number][] = [
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10],
    ["CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5],
    ["CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0],
  ];
  for (const [vector, score] of known) {
    it(`${vector} scores ${score}`, () => assert.equal(cvss3BaseScore(vector), score));
  }
  it("rejects what is not a v3 vector", () => {
    assert.equal(cvss3BaseScore("AV:N/AC:L/Au:N/C:P/I:P/A:P"), undefined);
    assert.equal(cvss3BaseScore("CVSS:3.1/AV:X"), undefined);
  });
  it("bands scores as ECR does", () => {
    assert.deepEqual([9.8, 7, 6.9, 0.1, 0].map(severityOfScore), ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"]);
  });
});
