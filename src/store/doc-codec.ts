// Resource documents are JSON; Dates survive the round trip as {"$date": ms}.

export function encodeDoc(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { $date: raw.getTime() } : v;
  });
}

// Decoding parses first and then turns the {"$date": ms} objects back into Dates
// in place: a JSON.parse reviver would be called back for every value of the
// document, which cost several times the parse itself.
export function decodeDoc<T>(text: string): T {
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
