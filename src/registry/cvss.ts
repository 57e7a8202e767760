// CVSS v3 base scores from vector strings (FIRST's v3.1 formula), and ECR's
// severity bands, for OSV records that carry a vector but no severity word.

const weights: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
};

/** v3.1's Roundup: the smallest one-decimal number not below x, free of float noise. */
function roundUp(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

/** The base score of a "CVSS:3.x/AV:…" vector, or undefined when it is not one. */
export function cvss3BaseScore(vector: string): number | undefined {
  const parts = vector.split("/");
  if (!/^CVSS:3\.[01]$/.test(parts[0] ?? "")) return undefined;
  const m = new Map(parts.slice(1).map((p) => p.split(":") as [string, string]));
  const scope = m.get("S");
  const get = (k: string): number | undefined => weights[k]?.[m.get(k) ?? ""];
  const pr = m.get("PR");
  const prWeight = pr === "N" ? 0.85 : pr === "L" ? (scope === "C" ? 0.68 : 0.62) : pr === "H" ? (scope === "C" ? 0.5 : 0.27) : undefined;
  const [av, ac, ui, c, i, a] = ["AV", "AC", "UI", "C", "I", "A"].map(get);
  if (av === undefined || ac === undefined || ui === undefined || c === undefined || i === undefined || a === undefined || prWeight === undefined) return undefined;
  if (scope !== "U" && scope !== "C") return undefined;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === "U" ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15);
  const exploitability = 8.22 * av * ac * prWeight * ui;
  if (impact <= 0) return 0;
  return scope === "U" ? roundUp(Math.min(impact + exploitability, 10)) : roundUp(Math.min(1.08 * (impact + exploitability), 10));
}

export type Severity = "INFORMATIONAL" | "LOW" | "MEDIUM" | "HIGH" | "CRITICAL" | "UNDEFINED";

export function severityOfScore(score: number): Severity {
  if (score >= 9) return "CRITICAL";
  if (score >= 7) return "HIGH";
  if (score >= 4) return "MEDIUM";
  if (score > 0) return "LOW";
  return "INFORMATIONAL";
}

/** Distribution severity words (Debian, Ubuntu, Alpine, GHSA) in ECR's vocabulary. */
export function severityOfWord(word: string): Severity | undefined {
  switch (word.trim().toUpperCase()) {
    case "CRITICAL":
      return "CRITICAL";
    case "HIGH":
    case "IMPORTANT":
      return "HIGH";
    case "MEDIUM":
    case "MODERATE":
      return "MEDIUM";
    case "LOW":
      return "LOW";
    case "NEGLIGIBLE":
    case "UNIMPORTANT":
    case "INFORMATIONAL":
      return "INFORMATIONAL";
    default:
      return undefined;
  }
}
