// The vulnerability feed the basic scanner matches against: OSV records
// (https://ossf.github.io/osv-schema/) the operator imports from files
// (`berth vulndb import FILE…` calls importVulnDb), and the matching of an
// image's installed packages against them.

import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Attribute, ImageScanFinding } from "../model/generated/ecr.js";
import type { VulnerabilityRow } from "../store/registry-store.js";
import type { Store } from "../store/store.js";
import { cvss3BaseScore, severityOfScore, severityOfWord, type Severity } from "./cvss.js";
import type { InstalledPackage } from "./package-db.js";
import { compareApk, compareDpkg } from "./versions.js";

interface OsvEvent {
  readonly introduced?: string;
  readonly fixed?: string;
  readonly last_affected?: string;
  readonly limit?: string;
}

interface OsvAffected {
  readonly package?: { readonly ecosystem?: string; readonly name?: string };
  readonly ranges?: readonly { readonly type?: string; readonly events?: readonly OsvEvent[] }[];
  readonly versions?: readonly string[];
  readonly database_specific?: { readonly severity?: string };
  readonly ecosystem_specific?: { readonly severity?: string; readonly urgency?: string };
}

export interface OsvRecord {
  readonly id: string;
  readonly modified: string;
  readonly aliases?: readonly string[];
  readonly summary?: string;
  readonly details?: string;
  readonly severity?: readonly { readonly type?: string; readonly score?: string }[];
  readonly affected?: readonly OsvAffected[];
  readonly references?: readonly { readonly type?: string; readonly url?: string }[];
  readonly database_specific?: { readonly severity?: string };
}

export interface ImportReport {
  readonly files: number;
  readonly records: number;
  readonly rows: number;
}

async function expand(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const s = await stat(p);
    if (s.isDirectory()) {
      const names = (await readdir(p)).filter((n) => n.endsWith(".json") || n.endsWith(".jsonl")).sort();
      out.push(...(await expand(names.map((n) => join(p, n)))));
    } else {
      out.push(p);
    }
  }
  return out;
}

/** OSV records in a file: one record, a list of records, or one record per line. */
export function parseOsvFile(text: string, file: string): OsvRecord[] {
  let values: unknown[];
  try {
    const doc: unknown = JSON.parse(text);
    values = Array.isArray(doc) ? doc : [doc];
  } catch {
    try {
      values = text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as unknown);
    } catch {
      throw new Error(`${file}: not JSON, a JSON list or JSON lines of OSV records`);
    }
  }
  return values.map((v, i) => {
    const r = v as Partial<OsvRecord> | null;
    if (typeof r !== "object" || r === null || typeof r.id !== "string" || r.id === "") {
      throw new Error(`${file}: record ${i + 1} has no "id"; is this an OSV file?`);
    }
    if (typeof r.modified !== "string" || Number.isNaN(Date.parse(r.modified))) {
      throw new Error(`${file}: record ${r.id} has no valid "modified" timestamp`);
    }
    return r as OsvRecord;
  });
}

/** The store rows for one record: one per affected (ecosystem, package). */
export function osvRows(record: OsvRecord): VulnerabilityRow[] {
  const doc = JSON.stringify(record);
  const modified = new Date(record.modified);
  const rows = new Map<string, VulnerabilityRow>();
  for (const a of record.affected ?? []) {
    const ecosystem = a.package?.ecosystem;
    const name = a.package?.name;
    if (!ecosystem || !name) continue;
    rows.set(`${ecosystem}\u0000${name}`, { id: record.id, ecosystem, package: name, modified, doc });
  }
  return [...rows.values()];
}

/**
 * Loads OSV files (or directories of them) into the store, replacing earlier
 * copies of the same records. Nothing is written if any file is malformed.
 */
export async function importVulnDb(store: Store, paths: readonly string[]): Promise<ImportReport> {
  const files = await expand(paths);
  const rows: VulnerabilityRow[] = [];
  let records = 0;
  for (const file of files) {
    const parsed = parseOsvFile(await readFile(file, "utf8"), file);
    records += parsed.length;
    for (const r of parsed) rows.push(...osvRows(r));
  }
  await store.registry.tx((tx) => tx.putVulnerabilities(rows));
  return { files: files.length, records, rows: rows.length };
}

function familyOf(ecosystem: string): string {
  return ecosystem.replace(/:.*/s, "");
}

/** Whether a feed ecosystem ("Debian:12", "Debian") covers the image's ("Debian:12"). */
function ecosystemCovers(feed: string, image: string): boolean {
  if (familyOf(feed) !== familyOf(image)) return false;
  const release = feed.split(":")[1];
  const imageRelease = image.split(":")[1];
  return release === undefined || imageRelease === undefined || release === imageRelease;
}

function affects(a: OsvAffected, version: string, compare: (x: string, y: string) => number): boolean {
  if (a.versions?.includes(version)) return true;
  for (const range of a.ranges ?? []) {
    if (range.type !== "ECOSYSTEM") continue;
    const events = [...(range.events ?? [])].sort((x, y) => {
      const vx = x.introduced ?? x.fixed ?? x.last_affected ?? x.limit ?? "";
      const vy = y.introduced ?? y.fixed ?? y.last_affected ?? y.limit ?? "";
      if (vx === "0") return -1;
      if (vy === "0") return 1;
      return compare(vx, vy);
    });
    let affected = false;
    for (const e of events) {
      if (e.introduced !== undefined && (e.introduced === "0" || compare(version, e.introduced) >= 0)) affected = true;
      if (e.fixed !== undefined && compare(version, e.fixed) >= 0) affected = false;
      if (e.last_affected !== undefined && compare(version, e.last_affected) > 0) affected = false;
      if (e.limit !== undefined && compare(version, e.limit) >= 0) affected = false;
    }
    if (affected) return true;
  }
  return false;
}

function severityOf(record: OsvRecord, affected: OsvAffected): { severity: Severity; score?: number; vector?: string } {
  const v3 = record.severity?.find((s) => s.type === "CVSS_V3" && s.score);
  const score = v3?.score ? cvss3BaseScore(v3.score) : undefined;
  const word =
    affected.ecosystem_specific?.severity ?? affected.database_specific?.severity ?? affected.ecosystem_specific?.urgency ?? record.database_specific?.severity;
  const fromWord = word ? severityOfWord(word) : undefined;
  const severity = fromWord ?? (score !== undefined ? severityOfScore(score) : "UNDEFINED");
  return { severity, ...(score !== undefined ? { score } : {}), ...(v3?.score ? { vector: v3.score } : {}) };
}

/** The CVE name ECR reports: the id if it is a CVE, else the first CVE alias, else the id. */
function findingName(record: OsvRecord): string {
  if (record.id.startsWith("CVE-")) return record.id;
  return record.aliases?.find((a) => a.startsWith("CVE-")) ?? record.id;
}

/** Findings for the packages, one per (vulnerability, package), in ECR's basic-scan shape. */
export function matchVulnerabilities(packages: readonly InstalledPackage[], ecosystem: string | undefined, rows: readonly VulnerabilityRow[]): ImageScanFinding[] {
  if (!ecosystem) return [];
  const byName = new Map<string, VulnerabilityRow[]>();
  for (const r of rows) byName.set(r.package, [...(byName.get(r.package) ?? []), r]);
  const findings = new Map<string, ImageScanFinding>();
  for (const pkg of packages) {
    const compare = pkg.manager === "apk" ? compareApk : compareDpkg;
    const candidates = [...(byName.get(pkg.source) ?? []), ...(pkg.source !== pkg.name ? (byName.get(pkg.name) ?? []) : [])];
    for (const row of candidates) {
      if (!ecosystemCovers(row.ecosystem, ecosystem)) continue;
      const record = JSON.parse(row.doc) as OsvRecord;
      const affected = (record.affected ?? []).find(
        (a) => a.package?.name === row.package && a.package.ecosystem === row.ecosystem && affects(a, pkg.version, compare),
      );
      if (!affected) continue;
      const name = findingName(record);
      const key = `${name}\u0000${pkg.name}`;
      if (findings.has(key)) continue;
      const sev = severityOf(record, affected);
      const attributes: Attribute[] = [
        { key: "package_version", value: pkg.version },
        { key: "package_name", value: pkg.name },
        ...(sev.vector ? [{ key: "CVSS3_VECTOR", value: sev.vector }] : []),
        ...(sev.score !== undefined ? [{ key: "CVSS3_SCORE", value: sev.score.toFixed(1) }] : []),
      ];
      const uri = record.references?.find((r) => r.url)?.url ?? `https://osv.dev/vulnerability/${record.id}`;
      const description = record.summary ?? record.details;
      findings.set(key, { name, ...(description ? { description } : {}), uri, severity: sev.severity, attributes });
    }
  }
  const rank: Readonly<Record<string, number>> = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3, INFORMATIONAL: 4, UNDEFINED: 5 };
  return [...findings.values()].sort((a, b) => (rank[a.severity!] ?? 9) - (rank[b.severity!] ?? 9) || a.name!.localeCompare(b.name!));
}
