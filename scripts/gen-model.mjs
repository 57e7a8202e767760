// Generates TypeScript types from the vendored AWS service models, so request
// and response shapes are never written by hand. Runs before every build.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";

const services = ["ecs", "ecr", "logs", "elbv2", "sts"];
const reserved = new Set(["Error", "Record", "Date", "Map", "Set", "Object", "Array", "Function", "Promise", "Symbol", "Number", "String", "Boolean"]);
const typeName = (name) => (reserved.has(name) ? `${name}Shape` : name);

function render(service, model) {
  const shapes = model.shapes;
  const ref = (name) => {
    const s = shapes[name];
    switch (s.type) {
      case "string":
        return s.enum ? typeName(name) : "string";
      case "integer": case "long": case "double": case "float":
        return "number";
      case "boolean":
        return "boolean";
      case "timestamp":
        return "Date";
      case "blob":
        return "Uint8Array";
      case "list":
        return `readonly ${wrap(ref(s.member.shape))}[]`;
      case "map":
        return `Readonly<Record<string, ${ref(s.value.shape)}>>`;
      case "structure": case "union":
        return s.document ? "unknown" : typeName(name);
      default:
        throw new Error(`${service}: unknown shape type ${s.type} for ${name}`);
    }
  };
  const wrap = (t) => (/[ |]/.test(t) ? `(${t})` : t);
  const out = [`// Generated from models/${service}.json by scripts/gen-model.mjs. Do not edit.`, ""];
  for (const [name, s] of Object.entries(shapes)) {
    if (s.type === "string" && s.enum) {
      out.push(`export type ${typeName(name)} = ${s.enum.map((v) => JSON.stringify(v)).join(" | ")};`);
    } else if ((s.type === "structure" || s.type === "union") && !s.document) {
      const required = new Set(s.required ?? []);
      const members = Object.entries(s.members ?? {}).map(
        ([m, spec]) => `  readonly ${m}${required.has(m) ? "" : "?"}: ${ref(spec.shape)};`,
      );
      out.push(`export interface ${typeName(name)} {`, ...members, "}");
    }
  }
  out.push("", `export interface Operations {`);
  for (const [name, op] of Object.entries(model.operations)) {
    const input = op.input ? ref(op.input.shape) : "Record<string, never>";
    const output = op.output ? ref(op.output.shape) : "Record<string, never>";
    out.push(`  readonly ${name}: { readonly input: ${input}; readonly output: ${output} };`);
  }
  out.push("}", "");
  const meta = model.metadata;
  if (meta.protocol === "json") {
    // How callers address this API on the wire; the signing name falls back to the endpoint prefix, as in the SDKs.
    const api = { targetPrefix: meta.targetPrefix, jsonVersion: meta.jsonVersion, signingName: meta.signingName ?? meta.endpointPrefix };
    out.push(`export const ${service}Api = ${JSON.stringify(api)} as const;`, "");
  }
  return out.join("\n");
}

mkdirSync("src/model/generated", { recursive: true });
for (const service of services) {
  const model = JSON.parse(readFileSync(`models/${service}.json`, "utf8"));
  writeFileSync(`src/model/generated/${service}.ts`, render(service, model));
}
