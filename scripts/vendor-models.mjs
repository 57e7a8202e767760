// Copies the official AWS service models into models/, keeping only what the
// wire needs (shapes, operations, metadata) and dropping documentation text.
// Usage: node scripts/vendor-models.mjs <botocore data dir> [service …]  (default: every one below)
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

const services = { ecs: "ecs", ecr: "ecr", logs: "logs", elbv2: "elbv2", sts: "sts" };
const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: vendor-models.mjs <botocore data dir> [service …]");
const only = new Set(process.argv.slice(3));

const dropped = new Set(["documentation", "documentationUrl", "examples", "deprecatedMessage"]);
const strip = (value) => {
  if (Array.isArray(value)) return value.map(strip);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).filter(([k]) => !dropped.has(k)).map(([k, v]) => [k, strip(v)]),
    );
  }
  return value;
};

for (const [name, dir] of Object.entries(services)) {
  if (only.size > 0 && !only.has(name)) continue;
  const versions = readdirSync(join(dataDir, dir)).sort();
  const version = versions[versions.length - 1];
  const raw = readFileSync(join(dataDir, dir, version, "service-2.json.gz"));
  const model = JSON.parse(gunzipSync(raw).toString("utf8"));
  const out = strip({ version: model.version, metadata: model.metadata, operations: model.operations, shapes: model.shapes });
  writeFileSync(join("models", `${name}.json`), JSON.stringify(out) + "\n");
  console.log(`${name}: ${version}, ${Object.keys(out.operations).length} operations, ${Object.keys(out.shapes).length} shapes`);
}
