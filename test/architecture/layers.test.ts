// The product tree keeps the layer rules of ARCHITECTURE.md: this fails, naming
// the file and the import, when a layer imports one it must not.

import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { allowedImports, layerViolations, partOf, type SourceFile } from "./layers.js";

// Tests run from dist/test/architecture; the sources are at the project root.
const root = join(import.meta.dirname, "..", "..", "..");

function sources(dir: string): SourceFile[] {
  const out: SourceFile[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const path = `${dir}/${name}`;
    if (statSync(join(root, path)).isDirectory()) out.push(...sources(path));
    else if (name.endsWith(".ts")) out.push({ path, text: readFileSync(join(root, path), "utf8") });
  }
  return out;
}

describe("layers", () => {
  it("no product module imports a layer it must not (ARCHITECTURE.md)", () => {
    const found = layerViolations(sources("src").filter((f) => !f.path.startsWith("src/model/generated/")));
    assert.deepEqual(found.map((v) => `${v.file} → ${v.imports} (${v.rule})`), []);
  });

  it("every part of src/ has a rule", () => {
    const parts = new Set(sources("src").map((f) => partOf(f.path)));
    assert.deepEqual([...parts].filter((p) => p !== undefined && !(p in allowedImports)).sort(), []);
  });

  it("finds an import that goes up a layer, and one across from the agent to the control plane", () => {
    const found = layerViolations([
      { path: "src/store/store.ts", text: 'import { x } from "../api/ecs/tasks.js";\n' },
      { path: "src/agent/agent.ts", text: 'import type { Hub } from "../controllers/agent-hub.js";\nimport { y } from "../protocol/messages.js";\n' },
      { path: "src/api/ecs/tasks.ts", text: 'export { launch } from "../../ecs/launch.js";\n' },
      { path: "src/agent/agent.test.ts", text: 'import { z } from "../api/ecs/tasks.js";\n' },
    ]);
    assert.deepEqual(
      found.map((v) => [v.file, v.imports]),
      [
        ["src/store/store.ts", "src/api/ecs/tasks.ts"],
        ["src/agent/agent.ts", "src/controllers/agent-hub.ts"],
      ],
    );
  });
});
