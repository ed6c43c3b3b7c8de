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
  // the first row's cell at the match start (column `before` = 3 of the default context)
  const heat = page.getByTestId("heatmap-count").locator("canvas");
  const [cw, rh] = await heat.evaluate((c: HTMLCanvasElement) => [Number(c.dataset.cellW), Number(c.dataset.rowH)]);
  await heat.hover({ position: { x: 3 * cw! + cw! / 2, y: rh! / 2 } });
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
  // the link opened the whole view: the URL also asks for the match to run (the page keeps it
  // in the URL; a new page with this URL runs it)
  await expect(page).toHaveURL(/[?&]run=1(&|$)/);
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

test("the first window comes with the page, and the states route answers bytes or says what was wrong", async ({ page, browser }) => {
  await signInDemo(page);
  const source = "states::states1";
  const statesRequests: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("/states?") || r.url().includes("dataset.states")) statesRequests.push(r.url());
  });
  const response = await page.goto(`/w/demo/datasets/${datasetId}/explore?s0=${encodeURIComponent(source)}&pos=150&tr=pos`);
  const html = await response!.text();
  // the page preloads the first window's states from its <head> and streams the tokens and tracks with it
  const preload = /<link rel="preload" as="fetch" crossorigin="anonymous" href="([^"]+)"/.exec(html);
  expect(preload, "a preload link for the first window's states").not.toBeNull();
  const url = preload![1]!.replaceAll("&amp;", "&");
  expect(url).toContain(`/api/w/demo/datasets/${datasetId}/states?source=${encodeURIComponent(source)}`);
  await expect(page.locator("[data-testid=token][data-step='150']")).toBeVisible();
  await expect(page.getByTestId("track-pos")).toBeVisible();
  await page.waitForFunction(() => performance.getEntriesByName("statescope:first-window", "mark").length > 0);
  // one read of the states for the first window: the preloaded one (no tRPC dataset.states, no second fetch)
  expect(statesRequests.filter((u) => u.includes("dataset.states"))).toEqual([]);
  expect(statesRequests.filter((u) => u.includes("/states?")).length).toBe(1);

  // the route's bytes are the values tRPC dataset.states answers in base64
  const [from, to] = [Number(new URL(url, "http://x").searchParams.get("from")), Number(new URL(url, "http://x").searchParams.get("to"))];
  const bin = await page.request.get(url);
  expect(bin.status()).toBe(200);
  expect(bin.headers()["content-type"]).toBe("application/octet-stream");
  const cells = Number(bin.headers()["x-statescope-cells"]);
  const bytes = await bin.body();
  expect(bytes.byteLength).toBe((to - from) * cells * 4);
  const input = encodeURIComponent(JSON.stringify({ 0: { json: { workspace: "demo", datasetId, source, from, to } } }));
  const rpc = await page.request.get(`/api/trpc/dataset.states?batch=1&input=${input}`);
  const viaTrpc = Buffer.from(((await rpc.json()) as [{ result: { data: { json: { data: string } } } }])[0].result.data.json.data, "base64");
  expect(Buffer.compare(bytes, viaTrpc)).toBe(0);

  // bad windows are refused with a message naming the problem
  const base = `/api/w/demo/datasets/${datasetId}/states`;
  const refused = async (q: string, status: number, message: RegExp) => {
    const r = await page.request.get(`${base}?${q}`);
    expect(r.status(), q).toBe(status);
    expect(((await r.json()) as { error: { message: string } }).error.message, q).toMatch(message);
  };
  const src = `source=${encodeURIComponent(source)}`;
  await refused(`${src}&from=x&to=10`, 400, /"from" must be a whole number/);
  await refused(`${src}&from=10`, 400, /"to" must be a whole number/);
  await refused(`${src}&from=10&to=5`, 400, /from < to/);
  await refused(`${src}&from=0&to=5000`, 400, /at most 2000 steps/);
  await refused(`${src}&from=390&to=410`, 400, /out of range/);
  await refused(`source=nope&from=0&to=10`, 400, /has no source "nope"/);
  const other = await page.request.get(`/api/w/nope/datasets/${datasetId}/states?${src}&from=0&to=10`);
  expect(other.status()).toBe(404);
  expect(((await other.json()) as { error: { message: string } }).error.message).toMatch(/workspace "nope" does not exist/);
  const anonymous = await browser.newContext({ baseURL: new URL(page.url()).origin });
  const r = await anonymous.request.get(`${base}?${src}&from=0&to=10`);
  expect(r.status()).toBe(401);
  expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/not signed in/);
  await anonymous.close();
});
