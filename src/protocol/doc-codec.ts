// Resource documents are JSON; Dates survive the round trip as {"$date": ms}.

/**
 * A document's stored text, typed by what it decodes to. The same content is
 * always the same text, so work derived from a document can be kept until its
 * text changes.
 */
export type EncodedDoc<T> = string & { readonly __decodesTo?: T };

// Encoding swaps Dates for {"$date": ms} on a copy of only the objects that hold
// one, then stringifies without a replacer: a replacer function is called back for
// every value of the document, which cost about as much as the stringify itself.
export function encodeDoc<T>(value: T): EncodedDoc<T> {
  return JSON.stringify(withDateMarks(value));
}

function withDateMarks(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date) return { $date: value.getTime() };
  // Anything else with its own JSON form (a Buffer, …) is left to it, as the replacer left it.
  if (!Array.isArray(value) && typeof (value as { toJSON?: unknown }).toJSON === "function") return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const marked = withDateMarks(item);
      if (marked !== item) (copy ??= value.slice())[i] = marked;
    }
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const member = record[key];
    if (member === null || typeof member !== "object") continue;
    const marked = withDateMarks(member);
    // Defined, not assigned: a "__proto__" key must stay a plain member.
    if (marked !== member) Object.defineProperty((copy ??= { ...record }), key, { value: marked, enumerable: true, writable: true, configurable: true });
  }
  return copy ?? value;
}

// Decoding parses first and then turns the {"$date": ms} objects back into Dates
// in place: a JSON.parse reviver would be called back for every value of the
// document, which cost several times the parse itself.
export function decodeDoc<T>(text: EncodedDoc<T>): T {
  const value: unknown = JSON.parse(text);
  return (value !== null && typeof value === "object" ? revive(value) : value) as T;
}

function revive(value: object): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item !== null && typeof item === "object") value[i] = revive(item);
    }
    return value;
  }
  const ms = (value as { $date?: unknown }).$date;
  if (typeof ms === "number") return new Date(ms);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const member = record[key];
    if (member === null || typeof member !== "object") continue;
    const revived = revive(member);
    // Defined, not assigned: a "__proto__" key must stay a plain member.
    if (revived !== member) Object.defineProperty(record, key, { value: revived, enumerable: true, writable: true, configurable: true });
  }
  return value;
}
