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

// The commercial partition's regions: the ones one endpoint answers for (an
// endpoint of another partition, aws-cn or aws-us-gov, refuses them as AWS does).
const endpoints = JSON.parse(readFileSync(join(dataDir, "endpoints.json"), "utf8"));
const partition = endpoints.partitions.find((p) => p.partition === "aws");
const regions = Object.keys(partition.regions).sort();
writeFileSync(
  join("src", "edge", "aws-regions.ts"),
  [
    "// The regions of AWS's commercial partition (`aws`), from botocore's endpoints.json;",
    "// written by scripts/vendor-models.mjs, not by hand.",
    "",
    "export const awsRegions: ReadonlySet<string> = new Set([",
    ...regions.map((r) => `  "${r}",`),
    "]);",
    "",
  ].join("\n"),
);
console.log(`regions: ${regions.length}`);
