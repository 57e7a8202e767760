// Runs every compiled test file under dist/ with Node's test runner.
// Usage: node scripts/run-tests.mjs [substring …] to run only matching files.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const filters = process.argv.slice(2);
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".test.js") && (filters.length === 0 || filters.some((f) => path.includes(f)))) files.push(path);
  }
};
walk("dist");
files.sort();
if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}
const concurrency = process.env.BERTH_TEST_CONCURRENCY ?? "2";
// No single test may run for more than 10 minutes. (Node 20's --test-force-exit is
// not used: it ends a file before suites registered late have run.)
const r = spawnSync(
  process.execPath,
  ["--test", "--test-timeout=600000", `--test-concurrency=${concurrency}`, ...files],
  { stdio: "inherit" },
);
process.exit(r.status ?? 1);
