/** Steps the e2e tests share: signing in as the demo user, importing a project, brushing tokens, counting canvas calls. */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, type Page } from "@playwright/test";
import { makeLstmVisProject } from "../fixtures/formats/projects";

const serverEnv = {
  ...process.env,
  STATESCOPE_DATA_DIR: process.env.E2E_DATA_DIR ?? ".test-data/e2e",
  EMBEDDED_PG_PORT: process.env.E2E_PG_PORT ?? "54500",
};

/**
 * Generate the LSTMVis fixture project and import it into the demo workspace with the CLI, against
 * the e2e server's database.
 * Import a generated project of `steps` steps (named `name` when given); returns the dataset id. */
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

/** Sign in as the seeded demo user and land on `landing` (the workspace list, or the demo workspace). */
export async function signInDemo(page: Page, landing: "/w" | "/w/demo" = "/w"): Promise<void> {
  await page.goto(landing === "/w" ? "/signin" : `/signin?callbackUrl=${landing}`);
  await page.getByLabel("Email").fill("demo@statescope.dev");
  await page.getByLabel("Password").fill("statescope-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  // the path itself: "/signin?callbackUrl=/w/demo" also ends in "/w/demo"
  await expect(page).toHaveURL((u) => u.pathname === landing);
}

/** Brush tokens [from, to) of the first Select view by dragging across the token strip. */
export async function brush(page: Page, from: number, to: number): Promise<void> {
  const a = (await page.locator(`[data-testid=token][data-step="${from}"]`).boundingBox())!;
  const b = (await page.locator(`[data-testid=token][data-step="${to - 1}"]`).boundingBox())!;
  await page.mouse.move(a.x + 4, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width - 4, b.y + b.height / 2, { steps: 6 });
  await page.mouse.up();
}

/**
 * Counts the page's calls of a canvas 2D method per results canvas (from before the page loads):
 * each call on a canvas inside an element matching `inside` adds one under that element's
 * data-testid. Returns a reader of the counts so far.
 */
export async function countCanvasCalls(page: Page, method: "clearRect" | "rect", inside: string): Promise<() => Promise<Record<string, number>>> {
  await page.addInitScript(
    ([m, sel]) => {
      const w = window as unknown as { __canvasCalls: Record<string, number> };
      w.__canvasCalls = {};
      const proto = CanvasRenderingContext2D.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
      const original = proto[m]!;
      proto[m] = function (this: CanvasRenderingContext2D, ...a: unknown[]) {
        const at = this.canvas.closest(sel)?.getAttribute("data-testid");
        if (at) w.__canvasCalls[at] = (w.__canvasCalls[at] ?? 0) + 1;
        return original.apply(this, a);
      };
    },
    [method, inside] as const,
  );
  return () => page.evaluate(() => ({ ...(window as unknown as { __canvasCalls: Record<string, number> }).__canvasCalls }));
}
