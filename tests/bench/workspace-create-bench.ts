/**
 * `npm run bench:workspace-create`: issue 12.10's "creating a workspace takes ~3 s", measured in
 * Chromium against a real `npm start` (production build, its own free ports and data dir).
 *
 *   tsx tests/bench/workspace-create-bench.ts [--cold 3] [--warm 5]
 *
 * Signs in as the demo user, then creates workspaces from /w and times, from the click on
 * "Create": the URL of the new workspace, and its empty state ("No datasets…") on screen.
 *   cold: a new browser context each time (empty HTTP cache: the workspace page's code is fetched);
 *   warm: one context, one creation after another.
 * The cause found: the form awaited a refetch of the workspace list before navigating, the page's
 * code and its two queries were only requested after that, one after the other.
 */
import { chromium, type Browser } from "@playwright/test";
import { DEMO_LOGIN } from "@/server/services/seed";
import { CHROMIUM_ARGS } from "../chromium-args";
import { startLauncher } from "../setup/launcher";
import { runBench } from "./run";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const COLD = opt("--cold", 3);
const WARM = opt("--warm", 5);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function signedInContext(browser: Browser, base: string, storageState?: Awaited<ReturnType<import("@playwright/test").BrowserContext["storageState"]>>) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, baseURL: base, ...(storageState ? { storageState } : {}) });
  if (!storageState) {
    const page = await ctx.newPage();
    await page.goto("/signin");
    await page.getByLabel("Email").fill(DEMO_LOGIN.email);
    await page.getByLabel("Password").fill(DEMO_LOGIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/w$/);
    await page.close();
  }
  return ctx;
}

async function createOnce(ctx: Awaited<ReturnType<typeof signedInContext>>): Promise<{ url: number; shown: number }> {
  const page = await ctx.newPage();
  await page.goto("/w");
  await page.getByLabel("Name", { exact: true }).waitFor();
  await page.waitForLoadState("networkidle");
  const slug = `bench-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  await page.getByLabel("Name", { exact: true }).fill(slug);
  const t0 = Date.now();
  await page.getByRole("button", { name: "Create" }).click();
  await page.waitForURL(new RegExp(`/w/${slug}$`));
  const url = Date.now() - t0;
  await page.getByTestId("datasets-empty").waitFor();
  const shown = Date.now() - t0;
  await page.close();
  return { url, shown };
}

async function main() {
  const l = await startLauncher({ env: { STATESCOPE_SEED_DEMO: "1" } });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
  try {
    const first = await signedInContext(browser, l.webUrl);
    const state = await first.storageState();
    const cold: Array<{ url: number; shown: number }> = [];
    for (let i = 0; i < COLD; i++) {
      const ctx = await signedInContext(browser, l.webUrl, state);
      cold.push(await createOnce(ctx));
      await ctx.close();
    }
    const warm: Array<{ url: number; shown: number }> = [];
    for (let i = 0; i < WARM; i++) warm.push(await createOnce(first));
    const row = (name: string, xs: Array<{ url: number; shown: number }>) =>
      `${name.padEnd(5)} n=${xs.length}  url median ${median(xs.map((x) => x.url))} ms  empty state median ${median(xs.map((x) => x.shown))} ms  (each: ${xs.map((x) => x.shown).join(", ")})`;
    console.log("workspace creation, click → new workspace's empty state (Chromium, production build)");
    console.log(row("cold", cold));
    console.log(row("warm", warm));
  } finally {
    await browser.close();
    await l.stop();
  }
}

runBench(main);
