#!/usr/bin/env node
// `statescope` command: runs server/cli/main.ts from its esbuild bundle (cli-bundle.cjs: built on
// first use, rebuilt when a source changes), in this process. When the bundle cannot be made (esbuild
// fails, the project folder is read-only), runs main.ts through tsx instead (Node 20 cannot run .ts).
"use strict";
const { spawn } = require("node:child_process");
const path = require("node:path");
const { pathToFileURL } = require("node:url");

const root = path.resolve(__dirname, "..", "..");

let bundle = null;
// STATESCOPE_BUNDLE=0 (as for `npm start`): always through tsx
if (!/^(0|false|no|off)$/i.test(process.env.STATESCOPE_BUNDLE ?? "")) {
  try {
    bundle = require("./cli-bundle.cjs").ensureBundle({ root, entry: "server/cli/main.ts" }).file;
  } catch (e) {
    if (process.env.STATESCOPE_DEBUG) process.stderr.write(`statescope: running through tsx (no bundle: ${e instanceof Error ? e.message : String(e)})\n`);
  }
}

if (bundle) {
  // as the tsx child below runs: in the project folder (relative settings such as
  // STATESCOPE_DATA_DIR=.data mean it); file arguments are resolved against STATESCOPE_CWD
  process.env.STATESCOPE_CWD = process.cwd();
  process.env.TSX_TSCONFIG_PATH = path.join(root, "tsconfig.json"); // for processes it starts through tsx
  process.chdir(root);
  process.setSourceMapsEnabled(true); // stack traces name the .ts files
  import(pathToFileURL(bundle).href).catch((e) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
} else {
  const loader = pathToFileURL(path.join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
  const child = spawn(process.execPath, ["--import", loader, path.join(root, "server", "cli", "main.ts"), ...process.argv.slice(2)], {
    stdio: "inherit",
    cwd: root,
    env: { ...process.env, TSX_TSCONFIG_PATH: path.join(root, "tsconfig.json"), STATESCOPE_CWD: process.cwd() },
  });
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
