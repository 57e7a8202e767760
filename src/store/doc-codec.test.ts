import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeDoc, encodeDoc } from "./doc-codec.js";

describe("doc codec", () => {
  it("brings Dates back wherever they sit: top level, nested, in lists", () => {
    const value = {
      at: new Date(1_700_000_000_123),
      nested: { list: [new Date(5), { when: new Date(0) }, [new Date(7)]], text: "x", n: 1, none: null },
      empty: [],
    };
    const decoded = decodeDoc<typeof value>(encodeDoc(value));
    assert.deepEqual(decoded, value);
    assert.ok(decoded.at instanceof Date);
    assert.ok((decoded.nested.list[2] as Date[])[0] instanceof Date);
  });

  it("keeps scalars, and a '__proto__' member as a plain member", () => {
    assert.equal(decodeDoc<string>(encodeDoc("text")), "text");
    assert.equal(decodeDoc<null>("null"), null);
    const decoded = decodeDoc<Record<string, unknown>>('{"__proto__":{"$date":5},"a":1}');
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(decoded, "__proto__")?.value, new Date(5));
  });
});
