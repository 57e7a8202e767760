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

  it("encodes without touching the value, sharing nothing a Date was swapped into", () => {
    const at = new Date(42);
    const untouched = { list: [1, "two"], inner: { n: 3 } };
    const value = { at, untouched, list: [{ when: at }, 5], blob: Buffer.from("hi") };
    const text = encodeDoc(value);
    assert.equal(
      text,
      '{"at":{"$date":42},"untouched":{"list":[1,"two"],"inner":{"n":3}},"list":[{"when":{"$date":42}},5],"blob":{"type":"Buffer","data":[104,105]}}',
    );
    assert.ok(value.at instanceof Date && value.list[0] !== undefined && (value.list[0] as { when: Date }).when instanceof Date);
    assert.deepEqual(decodeDoc<typeof value>(text).untouched, untouched);
  });

  it("encodes a '__proto__' member that holds a Date as a plain member", () => {
    const value = JSON.parse('{"__proto__":{"n":1},"a":2}') as Record<string, unknown>;
    Object.defineProperty(value, "__proto__", { value: new Date(9), enumerable: true, writable: true, configurable: true });
    assert.equal(encodeDoc(value), '{"__proto__":{"$date":9},"a":2}');
  });
});
