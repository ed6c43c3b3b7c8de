import { expect, test, type Page } from "@playwright/test";
import { signInDemo, brush, importDemoProject } from "./helpers";

/**
 * The explorer on a real imported dataset (the LSTMVis fixture project, 400 steps, imported
 * with the CLI into the demo workspace): brush → cells selected → drag the threshold → the
 * selection changes → run precise → results and heatmaps → open a result → the Select view is
 * there with the same cells → the URL reproduces it in a new page.
 */
let datasetId = "";

test.beforeAll(async () => {
  datasetId = await importDemoProject(400);
});

const selectedCount = (page: Page) => page.getByTestId("selected-count").first();

test("brush, threshold, precise match, open a result, reproduce by URL", async ({ page, browser }) => {
  // a long flow (two pages, a match, a few hundred row reads): on a shared, loaded machine it needs more than the default 90 s
  test.setTimeout(180_000);
  await signInDemo(page);
  await page.setViewportSize({ width: 1600, height: 1200 });
  await page.goto(`/w/demo/datasets/${datasetId}/explore?s0=${encodeURIComponent("states::states1")}&tr=pos&tr=wordlen&tr=topk`);
  await expect(page.getByTestId("line-plot").first()).toBeVisible();
  await expect(page.locator("[data-testid=token][data-step='5']")).toBeVisible();
  await expect(page.getByTestId("track-pos")).toBeVisible();
  await expect(selectedCount(page)).toHaveText("0 cells");
  // the top-k track holds token ids without a dictionary of its own: shown as vocabulary words
  await expect(page.getByTestId("track-topk")).toContainText("cat");

  // a jump opens the window 3 tokens before the step asked for (LSTMVis), and back
  const jumpTo = async (step: number) => {
    await page.getByLabel("Jump to position").fill(String(step));
    await page.getByLabel("Jump to position").press("Enter");
  };
  await jumpTo(200);
  await expect(page.getByTestId("window-label")).toContainText("steps 197–");
  await expect(page.locator("[data-testid=token][data-step='200']")).toBeVisible();
  await jumpTo(3);
  await expect(page.getByTestId("window-label")).toContainText("steps 0–");

  // Brush a range where some cells are selected, then drag the threshold line until the
  // selected set changes (and stays non-empty). The fixture's cells are phase-shifted sine
  // waves, so try a few brush positions.
  const chips = () => page.locator("[data-testid=cell-list] .chip:not(.excluded)").evaluateAll((els) => els.map((e) => e.getAttribute("data-testid")).join(","));
  let changed = false;
  for (const start of [3, 5, 8, 10, 12, 14, 16, 18]) {
    await page.getByTestId("threshold-input-0").fill("0.300");
    await brush(page, start, start + 2);
    await expect(page.getByTestId("brush")).toHaveAttribute("data-from", String(start));
    if ((await selectedCount(page).innerText()) === "0 cells") continue;
    const before = await chips();
    const line = page.getByTestId("threshold-line").first();
    const box = (await line.boundingBox())!;
    const x = box.x + box.width * 0.3;
    for (const dir of [1, -1]) {
      let y = box.y + box.height / 2;
      await page.mouse.move(x, y);
      await page.mouse.down();
      for (let i = 0; i < 40 && !changed; i++) {
        y += 3 * dir;
        await page.mouse.move(x, y);
        const now = await chips();
        changed = now !== before && now !== "";
      }
      await page.mouse.up();
      if (changed) break;
      await page.getByTestId("threshold-input-0").fill("0.300");
    }
    if (changed) break;
  }
  expect(changed).toBe(true);
  await expect(page.getByTestId("brush")).toBeVisible();
  await expect(page).toHaveURL(/t0=/);
  const cells = await page.locator("[data-testid=cell-list] .chip:not(.excluded)").evaluateAll((els) => els.map((e) => e.getAttribute("data-testid")));

  // precise match: results, the match count heatmap and one per discrete/scalar track
  await page.getByTestId("run-precise").click();
  await expect(page.getByTestId("match-results")).toBeVisible();
  await expect(page.getByTestId("heatmap-count")).toBeVisible();
  await expect(page.getByTestId("heatmap-pos")).toBeVisible();
  await expect(page.getByTestId("heatmap-wordlen")).toBeVisible();
  await expect(page.getByTestId("length-histogram")).toBeVisible();
  // the rows' own reads (tokens, states, tracks: a few hundred small requests) all arrive
  await expect(page.getByTestId("result-tokens")).toContainText("cat");
  const n = Number(await page.getByTestId("match-count").innerText());
  expect(n).toBeGreaterThan(0);
  await page.getByTestId("heatmap-count").locator("rect").nth(5).hover();
  await expect(page.getByTestId("match-tooltip")).toContainText("cells on");
  await page.screenshot({ path: "test-results/explorer.png", fullPage: true });

  // open the second result: the Select view is at that match with the same cells
  const link = page.getByTestId("result-link-1");
  const pos = Number(await link.innerText());
  await link.click();
  await expect(page).toHaveURL(new RegExp(`[?&]b=${pos}-`));
  await expect(page).toHaveURL(/c0=/);
  await expect(page.getByTestId("brush")).toHaveAttribute("data-from", String(pos));
  await expect(page.getByText("pinned · re-select from brush")).toBeVisible();
  const cellsThere = await page.locator("[data-testid=cell-list] .chip:not(.excluded)").evaluateAll((els) => els.map((e) => e.getAttribute("data-testid")));
  expect(cellsThere).toEqual(cells);
  await expect(page.getByTestId("match-results")).toBeVisible();
  await page.waitForTimeout(400); // the URL is written 150 ms after the last change
  const url = page.url();

  // the link reproduces the view in a new page
  const p2 = await page.context().newPage();
  await p2.setViewportSize({ width: 1600, height: 1200 });
  await p2.goto(url);
  await expect(p2.getByTestId("brush")).toHaveAttribute("data-from", String(pos));
  const cells2 = await p2.locator("[data-testid=cell-list] .chip:not(.excluded)").evaluateAll((els) => els.map((e) => e.getAttribute("data-testid")));
  expect(cells2).toEqual(cells);
  await expect(p2.getByTestId("match-results")).toBeVisible();
  expect(Number(await p2.getByTestId("match-count").innerText())).toBe(n);
  await p2.screenshot({ path: "test-results/explorer-reopened.png", fullPage: true });
  await p2.close();
  void browser;
});
