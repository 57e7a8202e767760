// Resource documents are JSON; Dates survive the round trip as {"$date": ms}.

export function encodeDoc(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { $date: raw.getTime() } : v;
  });
}

export function decodeDoc<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === "object" && "$date" in v && typeof v.$date === "number") return new Date(v.$date);
    return v;
  }) as T;
}
