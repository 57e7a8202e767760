// Summarises a V8 .cpuprofile (from `node --cpu-prof`): where the time went, by
// function (self and total) and by package, so a benchmark that misses its
// target can say why. Usage: node dist/bench/lib/cpu-profile.js FILE [--top N]

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Self time by function, largest first. */
  readonly bySelf: readonly { readonly name: string; readonly ms: number }[];
  /** Total (self + callees) time by function, largest first; recursion counted once. */
  readonly byTotal: readonly { readonly name: string; readonly ms: number }[];
  /** Self time by package (node_modules/<pkg>), Node internals, the app, or V8 (GC, idle, program). */
  readonly byPackage: readonly { readonly name: string; readonly ms: number }[];
}

function where(url: string): string {
  if (url === "") return "(native)";
  if (url.startsWith("node:")) return "(node)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg !== undefined) return pkg;
  const app = /\/dist\/(.*)$/.exec(url)?.[1];
  return app !== undefined ? `app:${app.split("/").slice(0, -1).join("/")}` : url;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*\/(node_modules|dist)\//, "").replace(/^file:\/\//, "");
  return `${functionName || "(anonymous)"} ${file ? `${file}:${lineNumber + 1}` : ""}`.trim();
}

export function summarizeProfile(profile: Profile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfMs = new Map<number, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    selfMs.set(id, (selfMs.get(id) ?? 0) + ms);
    totalMs += ms;
  });
  const bySelf = new Map<string, number>();
  const byTotal = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const node = byId.get(id)!;
    const name = frameName(node);
    bySelf.set(name, (bySelf.get(name) ?? 0) + ms);
    const pkg = node.callFrame.functionName.startsWith("(") && node.callFrame.url === "" ? node.callFrame.functionName : where(node.callFrame.url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = frameName(byId.get(at)!);
      if (seen.has(n)) continue;
      seen.add(n);
      byTotal.set(n, (byTotal.get(n) ?? 0) + ms);
    }
  }
  const sorted = (m: Map<string, number>): { name: string; ms: number }[] =>
    [...m].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
  return { totalMs, bySelf: sorted(bySelf), byTotal: sorted(byTotal), byPackage: sorted(byPackage) };
}

export function formatProfileSummary(summary: ProfileSummary, top = 25): string {
  const pct = (ms: number): string => `${((100 * ms) / summary.totalMs).toFixed(1).padStart(5)}%`;
  const list = (title: string, rows: readonly { name: string; ms: number }[]): string[] => [
    title,
    ...rows.slice(0, top).map((r) => `  ${pct(r.ms)}  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`),
  ];
  return [
    `profile: ${summary.totalMs.toFixed(0)} ms sampled`,
    ...list("self time by package:", summary.byPackage),
    ...list("self time by function:", summary.bySelf),
    ...list("total time by function:", summary.byTotal),
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "25" } } });
  for (const file of positionals) {
    console.log(`== ${file}`);
    console.log(formatProfileSummary(summarizeProfile(JSON.parse(readFileSync(file, "utf8")) as Profile), Number(values.top)));
  }
}
