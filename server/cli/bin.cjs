#!/usr/bin/env node
// `statescope` command: runs server/cli/main.ts through tsx (Node 20 cannot run .ts itself).
"use strict";
const { spawn } = require("node:child_process");
const path = require("node:path");
const { pathToFileURL } = require("node:url");

const root = path.resolve(__dirname, "..", "..");
const loader = pathToFileURL(path.join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
const child = spawn(process.execPath, ["--import", loader, path.join(root, "server", "cli", "main.ts"), ...process.argv.slice(2)], {
  stdio: "inherit",
  cwd: root, // relative settings such as STATESCOPE_DATA_DIR=.data mean the project folder; file arguments use STATESCOPE_CWD
  env: { ...process.env, TSX_TSCONFIG_PATH: path.join(root, "tsconfig.json"), STATESCOPE_CWD: process.cwd() },
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
