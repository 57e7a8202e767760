// Runs the real aws CLI and boto3 against a test server, as a user would.

import { execFile } from "node:child_process";
import type { TestServer } from "./harness.js";

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** `aws <args> --output json`; resolves with the exit code and output, never rejects. */
export function aws(server: TestServer, ...args: string[]): Promise<CliResult> {
  return run("aws", [...args, "--output", "json"], server.env);
}

/** Like `aws`, but parses stdout as JSON and throws with stderr on failure. */
export async function awsJson<T = Record<string, unknown>>(server: TestServer, ...args: string[]): Promise<T> {
  const r = await aws(server, ...args);
  if (r.code !== 0) throw new Error(`aws ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return (r.stdout.trim() === "" ? {} : JSON.parse(r.stdout)) as T;
}

/**
 * Runs a python3 snippet with boto3; `ecs` is a ready client for the server.
 * The snippet prints JSON on stdout, which is returned parsed.
 */
export async function boto3<T = unknown>(server: TestServer, snippet: string): Promise<T> {
  const program = `import boto3, json, sys, datetime
ecs = boto3.client("ecs")
def dump(v):
    print(json.dumps(v, default=lambda o: o.isoformat() if isinstance(o, datetime.datetime) else str(o)))
${snippet}
`;
  const r = await run("python3", ["-c", program], server.env);
  if (r.code !== 0) throw new Error(`boto3 snippet failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
