#!/usr/bin/env node
// The berth command: up (everything on one machine), server (control plane only),
// env (the exports for the running instance).

import { Command } from "commander";
import { startControlPlane } from "../control-plane.js";
import { exportLines, readInstanceInfo, removeInstanceInfo, writeInstanceInfo, type InstanceInfo } from "./instance-file.js";
import { readCommonSettings, withCommonOptions, type CommonSettings } from "./settings.js";

async function serve(settings: CommonSettings, what: string): Promise<void> {
  const cp = await startControlPlane({
    ...settings,
    ...(process.env["BERTH_ROOT_ACCESS_KEY_ID"] ? { rootAccessKeyId: process.env["BERTH_ROOT_ACCESS_KEY_ID"] } : {}),
    ...(process.env["BERTH_ROOT_SECRET_ACCESS_KEY"] ? { rootSecretAccessKey: process.env["BERTH_ROOT_SECRET_ACCESS_KEY"] } : {}),
  });
  const info: InstanceInfo = {
    endpoint: cp.edge.url,
    region: settings.region,
    accountId: settings.accountId,
    accessKeyId: cp.root.accessKeyId,
    secretAccessKey: cp.root.secretAccessKey,
    pid: process.pid,
  };
  writeInstanceInfo(settings.dataDir, info);
  process.stdout.write(
    [
      `Berth ${what} is running.`,
      `  endpoint   ${info.endpoint}`,
      `  region     ${info.region}    account ${info.accountId}`,
      `  state      ${cp.store.kind === "postgres" ? "PostgreSQL" : `SQLite in ${settings.dataDir}`}`,
      "",
      "Credentials (also printed by `berth env`):",
      exportLines(info),
      "",
      "Press Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    removeInstanceInfo(settings.dataDir);
    cp.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

const program = new Command("berth").description("Amazon ECS without AWS.").showHelpAfterError();

withCommonOptions(program.command("up").description("run everything on this machine: control plane, registry, logs, console")).action(
  (opts: Record<string, unknown>) => serve(readCommonSettings(opts), "(all in one)"),
);

withCommonOptions(program.command("server").description("run the control plane only; agents join it with `berth agent`")).action(
  (opts: Record<string, unknown>) => serve(readCommonSettings(opts), "control plane"),
);

withCommonOptions(program.command("env").description("print the exports that point AWS tools at the running instance")).action(
  (opts: Record<string, unknown>) => {
    const { dataDir } = readCommonSettings(opts);
    const info = readInstanceInfo(dataDir);
    if (!info) {
      process.stderr.write(`berth: no running instance uses ${dataDir}. Start one with \`berth up\`.\n`);
      process.exit(1);
    }
    process.stdout.write(exportLines(info) + "\n");
  },
);

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`berth: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
