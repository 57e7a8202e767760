// The layer rules of ARCHITECTURE.md as data, and the check that finds every
// import in the product tree that breaks them. Pure: it is given the files.

import { dirname, join, normalize, relative } from "node:path";

/**
 * What each part of `src/` may import, besides itself. A part is the first
 * folder under `src/` (or a file at its root, without `.ts`). Layers import
 * downward only; the agent and the control plane share nothing but `protocol`.
 */
export const allowedImports: Readonly<Record<string, readonly string[]>> = {
  // The lowest layers: the AWS models and the shared vocabulary of the wire.
  clock: [],
  errors: [],
  model: ["errors"],
  protocol: ["model", "errors"],
  "aws-client": ["model", "errors"],
  scheduler: ["model", "errors"],
  store: ["model", "errors", "protocol", "clock"],
  // The ECS domain: what API handlers and controllers both call.
  ecs: ["model", "errors", "protocol", "store", "scheduler", "clock"],
  controllers: ["model", "errors", "protocol", "store", "scheduler", "ecs", "clock", "subsystem", "edge"],
  registry: ["model", "errors", "store", "clock", "edge"],
  logs: ["model", "errors", "store", "clock"],
  edge: ["model", "errors", "store", "clock", "aws-client"],
  subsystem: ["edge", "store", "clock"],
  api: ["model", "errors", "protocol", "store", "scheduler", "ecs", "registry", "logs", "edge", "clock", "subsystem"],
  "control-plane": ["model", "errors", "protocol", "store", "ecs", "controllers", "registry", "logs", "edge", "api", "clock", "subsystem"],
  // The agent runs on every host: it reaches the control plane only through the protocol and the signed client.
  agent: ["model", "errors", "protocol", "aws-client", "clock"],
  cli: ["model", "errors", "protocol", "aws-client", "store", "agent", "edge", "control-plane", "clock", "logs", "registry"],
};

export interface SourceFile {
  /** Path from the project root, with forward slashes: `src/api/ecs/tasks.ts`. */
  readonly path: string;
  readonly text: string;
}

export interface Violation {
  readonly file: string;
  readonly imports: string;
  readonly rule: string;
}

/** The part of the product a path under `src/` belongs to, or undefined outside `src/`. */
export function partOf(path: string): string | undefined {
  const parts = path.split("/");
  if (parts[0] !== "src" || parts.length < 2) return undefined;
  const first = parts[1] ?? "";
  return parts.length === 2 ? first.replace(/\.ts$/, "") : first;
}

const importPattern = /^\s*(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)"|^\s*import\s+"(\.{1,2}\/[^"]+)"/gm;

/** The project-relative `.ts` paths a file imports, resolved from its relative specifiers. */
export function importsOf(file: SourceFile): string[] {
  const out: string[] = [];
  for (const m of file.text.matchAll(importPattern)) {
    const spec = m[1] ?? m[2];
    if (spec === undefined) continue;
    out.push(normalize(join(dirname(file.path), spec)).replace(/\\/g, "/").replace(/\.js$/, ".ts"));
  }
  return out;
}

/** Every import that leaves its part for one the rules do not allow; test code and test kits are not the product and are not checked. */
export function layerViolations(files: readonly SourceFile[], rules = allowedImports): Violation[] {
  const found: Violation[] = [];
  for (const file of files) {
    if (isTestCode(file.path)) continue;
    const from = partOf(file.path);
    if (from === undefined) continue;
    const allowed = rules[from];
    for (const target of importsOf(file)) {
      const to = partOf(target);
      if (to === undefined) {
        found.push({ file: file.path, imports: target, rule: `${from} may not import outside src/` });
      } else if (to !== from && (allowed === undefined || !allowed.includes(to))) {
        const may = allowed === undefined ? "no rule is written for it in ARCHITECTURE.md" : `it may import ${allowed.join(", ") || "nothing"}`;
        found.push({ file: file.path, imports: relative(".", target), rule: `${from} imports ${to}: ${may}` });
      }
    }
  }
  return found;
}

export const isTestCode = (path: string): boolean => /\.test\.ts$/.test(path);
