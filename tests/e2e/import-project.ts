/**
 * e2e set-up shared by the explorer and collaboration tests: generate the LSTMVis fixture project
 * and import it into the demo workspace with the CLI, against the e2e server's database.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { makeLstmVisProject } from "../fixtures/formats/projects";

const serverEnv = {
  ...process.env,
  STATESCOPE_DATA_DIR: process.env.E2E_DATA_DIR ?? ".test-data/e2e",
  EMBEDDED_PG_PORT: process.env.E2E_PG_PORT ?? "54500",
};

/** Import a generated project of `steps` steps (named `name` when given); returns the dataset id. */
export async function importDemoProject(steps: number, name?: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "statescope-e2e-"));
  try {
    await makeLstmVisProject(dir, { n: steps });
    const args = ["server/cli/bin.cjs", "import", dir, "--workspace", "demo", ...(name ? ["--name", name] : []), "--json"];
    const out = execFileSync(process.execPath, args, { env: serverEnv, encoding: "utf8", timeout: 120_000 });
    return (JSON.parse(out.trim().split("\n").pop()!) as { datasetId: string }).datasetId;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
