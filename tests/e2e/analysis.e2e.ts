import fs from "node:fs";
import { expect, test } from "@playwright/test";
import { importDemoProject, signInDemo } from "./helpers";

/**
 * Issue 16 end to end: cell search against a label → add the top cells to the selection → match →
 * the evidence for the match is shown → the exported CSV contains it. On the LSTMVis fixture
 * project (400 steps; its `pos` track labels every step DET, NOUN or VERB).
 */
let datasetId = "";

test.beforeAll(async () => {
  datasetId = await importDemoProject(400, "analysis e2e");
});

test("cell search → add the top cells → match → evidence → CSV export", async ({ page }) => {
  test.setTimeout(180_000);
  const crashes: string[] = [];
  page.on("pageerror", (e) => crashes.push(e.message));
  await signInDemo(page);
  await page.setViewportSize({ width: 1440, height: 1100 });
  await page.goto(`/w/demo/datasets/${datasetId}/explore?s0=${encodeURIComponent("states::states1")}`);
  await expect(page.getByTestId("line-plot").first()).toBeVisible();
  await expect(page.getByTestId("selected-count").first()).toHaveText("0 cells");

  // cell search: pos = NOUN against the rest, on the layer's source
  await page.getByTestId("analysis-tab-cells").click();
  await page.getByLabel("Track to search against").selectOption("pos");
  await page.getByLabel("Label against the rest").selectOption("NOUN");
  await page.getByTestId("cell-search-run").click();
  const results = page.getByTestId("cell-search-results");
  await expect(results).toBeVisible({ timeout: 60_000 });
  await expect(results).toContainText("cells by association with pos = NOUN vs the rest");
  // every cell of the source is ranked (4 in the fixture), strongest first
  await expect(page.locator("[data-testid^=cell-search-row-]")).toHaveCount(4);

  // add the two strongest cells that rise with NOUN: they become the selection
  await page.getByLabel("How many top cells to add").fill("2");
  await page.getByTestId("cell-search-add-top").click();
  const count = page.getByTestId("selected-count").first();
  await expect(count).not.toHaveText("0 cells");
  const n = Number((await count.innerText()).split(" ")[0]);
  expect(n).toBeGreaterThanOrEqual(1);
  expect(n).toBeLessThanOrEqual(2);
  await expect(page).toHaveURL(/add0=/);

  // match on them; the evidence on pos is shown beside the results
  await page.getByTestId("run-precise").click();
  await expect(page.getByTestId("match-results")).toBeVisible({ timeout: 60_000 });
  const evidence = page.getByTestId("match-evidence");
  await expect(evidence).toBeVisible();
  await evidence.getByLabel("Track for the evidence").selectOption("pos");
  const table = page.getByTestId("evidence-table");
  await expect(table).toBeVisible({ timeout: 30_000 });
  for (const label of ["DET", "NOUN", "VERB"]) await expect(page.getByTestId(`evidence-${label}`)).toBeVisible();
  const noun = await page.getByTestId("evidence-NOUN").locator("td").allInnerTexts();
  // base rate of NOUN: every third step of 400 → 133/400
  expect(noun[2]).toContain("0.333");
  const lift = noun[3]!;
  expect(lift).toMatch(/^\d+\.\d\d×$/);
  // the evidence stays in view at 1440 px: right of the results' horizontal scroller, not inside it beyond the heatmaps
  const box = (await evidence.boundingBox())!;
  const scroller = (await page.getByTestId("results-scroll").boundingBox())!;
  expect(box.x + box.width).toBeLessThanOrEqual(1440);
  expect(box.x).toBeGreaterThanOrEqual(scroller.x + scroller.width);

  // another track (a scalar), then back: the view follows without an error
  await evidence.getByLabel("Track for the evidence").selectOption("wordlen");
  await expect(page.getByTestId("evidence-scalar")).toContainText("inside the matches vs");
  await evidence.getByLabel("Track for the evidence").selectOption("pos");
  await expect(page.getByTestId("evidence-NOUN")).toBeVisible();

  // the exported CSV holds the results, then the evidence table
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-csv").click()]);
  const csv = fs.readFileSync((await download.path())!, "utf8");
  expect(csv).toMatch(/^rank,pos,length,I,U,jaccard,text,source,cells,threshold\r\n1,/);
  expect(csv).toContain("\r\n\r\nevidence_track,kind,matched_steps,label,share,base,lift,mean,base_mean\r\n");
  const row = csv.split("\r\n").find((l) => l.startsWith("pos,discrete,") && l.includes(",NOUN,"))!;
  expect(row).toBeDefined();
  expect(Number(row.split(",")[5])).toBeCloseTo(133 / 400, 6);
  expect(Number(row.split(",")[6]).toFixed(2)).toBe(lift.replace("×", ""));
  expect(crashes).toEqual([]);
});

test("threshold guidance follows the brush and selection; compare layers lists pairs and a cell's partners", async ({ page }) => {
  test.setTimeout(180_000);
  await signInDemo(page);
  await page.setViewportSize({ width: 1440, height: 1100 });
  // a brush of three steps with cells 0 and 1 added by hand: guidance is for that selection
  await page.goto(`/w/demo/datasets/${datasetId}/explore?s0=${encodeURIComponent("states::states1")}&b=40-43&add0=0,1`);
  await expect(page.getByTestId("selected-count").first()).not.toHaveText("0 cells");
  await page.getByTestId("analysis-tab-threshold").click();
  await expect(page.getByTestId("guide-result")).toBeVisible({ timeout: 60_000 });
  const readout = page.getByTestId("guide-readout");
  await expect(readout).toContainText("at ℓ = 0.300: the rule picks");
  const suggested = await page.getByTestId("guide-suggested").innerText();
  // "Use it" sets the layer's threshold; the readout follows without asking the server again
  await page.getByTestId("guide-use").click();
  await expect(page.getByTestId("threshold-input-0")).toHaveValue(suggested);
  await expect(readout).toContainText(`at ℓ = ${suggested}:`);
  // a click on the curves sets ℓ under the pointer: three quarters along [-1, 1] is 0.5
  const curves = page.getByTestId("guide-curves");
  await curves.click({ position: { x: 34 + 0.75 * (560 - 34 - 40), y: 50 } });
  await expect.poll(async () => Number(await page.getByTestId("threshold-input-0").inputValue())).toBeCloseTo(0.5, 1);
  const picked = Number(await page.getByTestId("threshold-input-0").inputValue());
  await expect(readout).toContainText(`at ℓ = ${picked.toFixed(3)}:`);

  await page.getByTestId("analysis-tab-compare").click();
  await page.getByLabel("First source").selectOption("states::states1");
  await page.getByLabel("Second source").selectOption("other::states2");
  await page.getByTestId("compare-run").click();
  const pairs = page.getByTestId("compare-results");
  await expect(pairs).toBeVisible({ timeout: 60_000 });
  await expect(pairs).toContainText("recomputed exactly over all steps");
  // 4 × 3 cells: all 12 pairs fit the list
  await expect(pairs.locator("tbody tr")).toHaveCount(12);
  await pairs.locator("tbody tr").first().locator(".chip-btn").first().click();
  const partners = page.getByTestId("partners");
  await expect(partners).toContainText("best partners of states::states1 cell");
  await expect(partners.locator("tbody tr")).toHaveCount(3);
});
