// Runs every benchmark in bench/ in sequence (`npm run bench`), each as its own
// process, so one benchmark's servers and heap never colour the next one's figures.
// Arguments are passed to every benchmark (e.g. `npm run bench -- --quick`).

import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const benchmarks = readdirSync(here)
  .filter((name) => name.endsWith(".js") && name !== "run.js")
  .sort();

if (benchmarks.length === 0) {
  console.error(`no benchmarks found in ${here}; run \`npm run build\` first.`);
  process.exit(1);
}

const failed: string[] = [];
for (const name of benchmarks) {
  console.log(`\n=== ${name.replace(/\.js$/, "")} ===\n`);
  const r = spawnSync(process.execPath, [join(here, name), ...process.argv.slice(2)], { stdio: "inherit" });
  if (r.status !== 0) failed.push(`${name} (${r.signal ?? `exit ${r.status}`})`);
}
if (failed.length > 0) {
  console.error(`\nbenchmarks that did not finish cleanly: ${failed.join(", ")}`);
  process.exit(1);
}
