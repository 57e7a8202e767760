// Plain-text tables for benchmark output: the first column (the row's name)
// left-aligned, every other column right-aligned.

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((row) => (row[col] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    widths
      .map((w, col) => (col === 0 ? (cells[col] ?? "").padEnd(w) : (cells[col] ?? "").padStart(w)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** A number with a fixed count of decimals, or "—" when it is not a finite number. */
export function fixed(value: number, decimals: number): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : "—";
}
