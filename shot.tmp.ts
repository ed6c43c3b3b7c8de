import { chromium } from "@playwright/test";
import { CHROMIUM_ARGS } from "./tests/chromium-args";
const BASE = "http://localhost:3061";
async function main() {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(BASE + "/signin");
  await page.getByLabel("Email").fill("demo@statescope.dev");
  await page.getByLabel("Password").fill("statescope-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/w/);
  await page.goto(BASE + "/w/demo");
  await page.waitForTimeout(3000);
  const links = await page.locator('a[href*="/datasets/"]').evaluateAll((els) => els.map((e) => [e.textContent, (e as HTMLAnchorElement).href]));
  const pick = (re: RegExp) => String(links.find((l) => re.test(String(l[0])))![1]).match(/datasets\/([^/?]+)/)![1];
  const which = process.argv[2] ?? "guide";
  if (which === "guide") {
    const id = pick(/parens/);
    await page.goto(`${BASE}/w/demo/datasets/${id}/explore?s0=states1&tr=depth&b=55-70`);
    await page.waitForTimeout(3000);
    await page.getByTestId("analysis-tab-threshold").click();
    await page.getByTestId("guide-result").waitFor({ timeout: 120_000 });
    await page.getByTestId("threshold-guide").scrollIntoViewIfNeeded();
    await page.screenshot({ path: "/tmp/ana/shot-guide.png" });
  } else {
    const id = pick(/c-code/);
    await page.goto(`${BASE}/w/demo/datasets/${id}/explore?s0=states1`);
    await page.getByTestId("analysis-tab-compare").click();
    await page.getByLabel("Second source").selectOption("states2");
    await page.getByTestId("compare-run").click();
    await page.getByTestId("compare-results").waitFor({ timeout: 120_000 });
    await page.locator("[data-testid=compare-results] .chip-btn").first().click();
    await page.getByTestId("partners").locator("table").waitFor({ timeout: 60_000 });
    await page.getByTestId("compare-layers").scrollIntoViewIfNeeded();
    await page.screenshot({ path: "/tmp/ana/shot-compare.png", fullPage: true });
  }
  await browser.close();
}
main().catch((e) => { console.error(e); process.exit(1); });
