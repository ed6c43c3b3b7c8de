/**
 * Playwright's web server: a clean data dir, then the same launcher as
 * `npm start` (production build, web + worker + sync, embedded Postgres).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const dataDir = path.resolve(process.env.STATESCOPE_DATA_DIR ?? ".test-data/e2e");
fs.rmSync(dataDir, { recursive: true, force: true });
const child = spawn(process.execPath, ["--import", "tsx", "server/cli/launch.ts", "start"], { stdio: "inherit", env: process.env });
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
