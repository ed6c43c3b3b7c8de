import { expect, test, type Page } from "@playwright/test";
import { countCanvasCalls, signInDemo } from "./helpers";

/**
 * The Select and Match views as a researcher reads them, at 1440 px on the demo datasets: the
 * parens `depth` track (0–6) spreads over its own colour scale with a legend, the result rows
 * show the whole 3/20 context's text with the heatmaps beside it (and a cue that more is to the
 * right), token text stays readable on the dark end of `map=count`, track names are whole, and
 * the fifty result links fetch nothing in the background, and the fifty rows' tokens, states and
 * tracks arrive with the match, in its one request (not in a second one, nor one per row and kind).
 */
async function demoDataset(page: Page, name: RegExp): Promise<string> {
  await page.goto("/w/demo");
  const link = page.getByRole("link", { name });
  await expect(link).toContainText("steps", { timeout: 90_000 });
  const href = (await link.getAttribute("href"))!;
  return href.replace(/\/$/, "");
}

const distinctFills = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((els) => new Set(els.map((e) => getComputedStyle(e).fill)).size);

/** Distinct colours among a Match heatmap's cells: the centre pixel of each cell on its canvas. */
const heatmapColors = (page: Page, name: string) =>
  page
    .getByTestId(`heatmap-${name}`)
    .locator("canvas")
    .evaluate((c: HTMLCanvasElement) => {
      const [cw, rh] = [Number(c.dataset.cellW), Number(c.dataset.rowH)];
      // (canvas pixels per CSS pixel: across and down differ, see HeatmapCanvas)
      const [sx, sy] = [c.width / c.clientWidth, c.height / c.clientHeight];
      const px = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set<string>();
      for (let y = rh / 2; y < c.clientHeight; y += rh) {
        for (let x = cw / 2; x < c.clientWidth; x += cw) {
          const i = (Math.floor(y * sy) * c.width + Math.floor(x * sx)) * 4;
          if (px[i + 3]! > 0) seen.add(`${px[i]},${px[i + 1]},${px[i + 2]}`);
        }
      }
      return seen.size;
    });

test("parens depth on its own scale, the whole result text at 1440 px, readable map=count, no prefetch", async ({ page }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await signInDemo(page);
  const parens = await demoDataset(page, /parens \(demo\)/);
  const prefetches: string[] = [];
  // tRPC procedure calls by name (a batched request names each call: /api/trpc/a,b,c?batch=1)
  const calls = new Map<string, number>();
  page.on("request", (r) => {
    if (r.headers()["next-router-prefetch"]) prefetches.push(r.url());
    const m = /\/api\/trpc\/([^?]+)/.exec(r.url());
    for (const p of m ? decodeURIComponent(m[1]!).split(",") : []) calls.set(p, (calls.get(p) ?? 0) + 1);
  });

  // a brush where cells are on throughout (padding 0): the match runs on them, mapped by depth
  await page.goto(`${parens}/explore?s0=states1&tr=depth&tr=surprisal&b=22-26&pad=0,0&run=1&map=depth`);
  await expect(page.getByTestId("line-plot").first()).toBeVisible();

  // Select view: the depth track uses more than two colours, and its legend shows 0…6
  await expect.poll(() => distinctFills(page, "[data-testid=track-depth] rect")).toBeGreaterThan(2);
  const legend = page.getByTestId("track-legends").getByTestId("legend-depth");
  await expect(legend.getByTestId("legend-min")).toHaveText("0");
  await expect(legend.getByTestId("legend-max")).toHaveText("6");
  // track names whole, inside the plot's left edge
  const name = page.locator("[data-testid=track-surprisal] text.track-name");
  // (the <title> tooltip inside adds "surprisal (scalar)")
  await expect(name).toHaveText(/^surprisal(?!…)/);
  const svgBox = (await page.getByTestId("meta-tracks").boundingBox())!;
  expect((await name.boundingBox())!.x).toBeGreaterThanOrEqual(svgBox.x);

  // Match view: the depth heatmap has more than two fills
  await expect(page.getByTestId("match-count")).toHaveText("50", { timeout: 60_000 });
  await expect.poll(() => heatmapColors(page, "depth")).toBeGreaterThan(2);
  await expect(page.getByTestId("heatmap-depth").getByTestId("legend-max")).toHaveText("6");

  // the rows' windows come with the match: one match.run, no dataset.windows for the fifty rows
  // (that was a second request); the few per-window reads are the Select view's (the rows once
  // took 50 × (2 + tracks) calls, one per row and kind)
  expect(calls.get("match.run")).toBe(1);
  expect(calls.get("dataset.windows") ?? 0).toBe(0);
  const perWindow = ["dataset.tokens", "dataset.states", "dataset.meta"].reduce((n, p) => n + (calls.get(p) ?? 0), 0);
  expect(perWindow).toBeLessThan(20);

  // the first row's 23 tokens (3 before, 20 after) are all drawn inside the visible results, and
  // its text (the matched tokens in brackets) is there for assistive technology
  const scroll = (await page.getByTestId("results-scroll").boundingBox())!;
  const row = page.getByTestId("result-row-0");
  await expect(row).toHaveAttribute("data-tokens", "23");
  await expect(row).toHaveText(/^#1, step \d+, length \d+: (\S+ ){0,3}\[\S/);
  await expect(page.getByTestId("result-tokens").locator("canvas")).toHaveAttribute("data-drawn", "50");
  // each row is a list item that takes focus: the arrow keys move the highlighted token, with its tooltip
  await row.focus();
  await expect(page.getByTestId("match-tooltip")).toContainText(/^#1 · step \d+/);
  const first = await page.getByTestId("match-tooltip").innerText();
  await page.keyboard.press("ArrowRight");
  await expect(page.getByTestId("match-tooltip")).not.toHaveText(first);
  await page.keyboard.press("ArrowDown");
  await expect(page.getByTestId("result-row-1")).toBeFocused();
  // the length histogram draws the bars its 900 px show, not hundreds outside its clip
  expect(Number(await page.getByTestId("hist-bars").getAttribute("data-bars"))).toBeLessThanOrEqual(40);
  const rowBox = (await row.boundingBox())!;
  expect(rowBox.x).toBeGreaterThanOrEqual(scroll.x);
  expect(rowBox.x + rowBox.width).toBeLessThanOrEqual(scroll.x + scroll.width);
  // the heatmaps beside it go on to the right: a visible cue that scrolls there
  await expect(page.getByTestId("results-more")).toBeVisible();
  // below the columns' titles and legends, not over the end of one (it hid a legend's "12 of 12")
  const cue = (await page.getByTestId("results-more").boundingBox())!;
  for (const legend of await page.getByTestId("results-scroll").locator(".hm-legend").all()) {
    const box = await legend.boundingBox();
    if (box && box.x + box.width > cue.x) expect(cue.y).toBeGreaterThanOrEqual(box.y + box.height - 0.5);
  }
  await page.getByTestId("match-view").screenshot({ path: "test-results/match-parens-1440.png" });

  // map=count: text on the darkest blue is white (by the background's luminance)
  await page.getByLabel("Map a heatmap onto the tokens").selectOption("count");
  // (read from the token canvas: per cell, the box colour left of the text and the lightest pixel of the text)
  const darkest = await page.getByTestId("result-tokens").locator("canvas").evaluate((c: HTMLCanvasElement) => {
    const xs = c.dataset.colX!.split(",").map(Number);
    const rh = Number(c.dataset.rowH);
    const scale = c.width / c.clientWidth;
    const px = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    const lum = (x: number, y: number) => {
      const i = (Math.floor(y * scale) * c.width + Math.floor(x * scale)) * 4;
      return px[i + 3]! > 0 ? (px[i]! + px[i + 1]! + px[i + 2]!) / 3 : 255;
    };
    let best: { bg: number; text: number } | null = null;
    for (let y = 0; y + rh <= c.clientHeight; y += rh) {
      for (let j = 0; j + 1 < xs.length; j++) {
        const bg = lum(xs[j]! + 1.5, y + rh / 2);
        if (best && bg >= best.bg) continue;
        let text = 0;
        for (let yy = y + 4; yy < y + rh - 4; yy += 1 / scale) for (let xx = xs[j]! + 3; xx < xs[j + 1]! - 3; xx += 1 / scale) text = Math.max(text, lum(xx, yy));
        best = { bg, text };
      }
    }
    return best;
  });
  expect(darkest).not.toBeNull();
  expect(darkest!.bg).toBeLessThan(120);
  expect(darkest!.text).toBeGreaterThan(180);

  // fifty result links in view, none of them prefetched: Next.js starts the prefetch of a link
  // that enters the viewport from an idle callback, so two idle periods later it would have begun
  for (const i of [0, 25, 49]) {
    await page.getByTestId(`result-link-${i}`).scrollIntoViewIfNeeded();
    await page.evaluate(() => new Promise<void>((r) => requestIdleCallback(() => requestIdleCallback(() => r()))));
  }
  expect(prefetches.filter((u) => u.includes("/explore"))).toEqual([]);
});

/**
 * A click's order of work (issue 15, click → drawn): the match request leaves before the Match
 * view re-renders for the click, carries its Server-Timing, and the evidence panel beside the
 * results (which starts a request of its own) mounts after the rows' first frame, not in it; so
 * do the rows' list items for assistive technology (their text, drawn on the canvas in that frame).
 */
test("a click sends its request before re-rendering; the evidence panel and the rows' list come after the rows", async ({ page }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1440, height: 1000 });
  // whether the view had already re-rendered for the click when the match request was handed to fetch()
  await page.addInitScript(() => {
    const w = window as unknown as { __runningAtFetch?: boolean };
    const original = window.fetch;
    window.fetch = function (input: RequestInfo | URL, init?: RequestInit) {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      if (url.includes("/api/trpc/match.run") && w.__runningAtFetch === undefined) w.__runningAtFetch = document.querySelector("[data-testid=match-running]") !== null;
      return original.call(this, input, init);
    };
  });
  await signInDemo(page);
  const parens = await demoDataset(page, /parens \(demo\)/);
  await page.goto(`${parens}/explore?s0=states1&tr=depth&b=22-26&pad=0,0`);
  const run = page.getByTestId("run-fast");
  await expect(run).toBeEnabled({ timeout: 60_000 });
  await page.evaluate(() => {
    const w = window as unknown as { __seen: { running?: number; rows?: number; evidenceWithRows?: boolean; listWithRows?: boolean } };
    w.__seen = {};
    const mo = new MutationObserver(() => {
      if (w.__seen.running === undefined && document.querySelector("[data-testid=match-running]")) w.__seen.running = performance.now();
      const n = document.querySelector("[data-testid=match-count]")?.textContent;
      if (w.__seen.rows === undefined && n && document.querySelector(`[data-testid=result-link-${Number(n) - 1}]`)) {
        w.__seen.rows = performance.now();
        w.__seen.evidenceWithRows = document.querySelector("[data-testid=match-evidence]") !== null;
        w.__seen.listWithRows = document.querySelector("[data-testid=result-row-0]") !== null;
      }
    });
    mo.observe(document.body, { subtree: true, childList: true });
  });
  await run.click();
  await expect(page.getByTestId("match-count")).toHaveText("50", { timeout: 60_000 });
  // the evidence panel is there, after the rows, and so is each row's text for assistive technology
  await expect(page.getByTestId("match-evidence")).toBeVisible();
  await expect(page.getByTestId("result-row-49")).toHaveAttribute("data-tokens", /^\d+$/);
  await expect(page.getByRole("listitem").filter({ has: page.locator(".sr-only") })).toHaveCount(50);
  const seen = await page.evaluate(() => {
    const w = window as unknown as { __seen: { running?: number; rows?: number; evidenceWithRows?: boolean; listWithRows?: boolean }; __runningAtFetch?: boolean };
    const req = (performance.getEntriesByType("resource") as PerformanceResourceTiming[]).find((e) => e.name.includes("/api/trpc/match.run"));
    return { ...w.__seen, runningAtFetch: w.__runningAtFetch, serverTiming: req?.serverTiming.map((t) => t.name) ?? [] };
  });
  // the view showed the run (after the request left)
  expect(seen.running).toBeDefined();
  expect(seen.runningAtFetch).toBe(false);
  expect(seen.evidenceWithRows).toBe(false);
  expect(seen.listWithRows).toBe(false);
  // where the server's time went, for the browser's resource timing (bench:click prints it)
  expect(seen.serverTiming).toEqual(expect.arrayContaining(["authz", "procedure", "resolve", "lookup", "encode", "total"]));
});

/**
 * The result rows as drawn (issue 15, click → drawn): the parens demo's single-character tokens
 * go onto the token canvas in runs (one fillText for a stretch of a row, not one per token: ~1,150
 * calls took 20–30 ms of a click), and the fifty result links are plain links — a plain click
 * opens the Select view in this page without loading a document, a modified click is the
 * browser's (a new tab), and each has its href for "open in new tab" and assistive technology.
 */
test("result tokens drawn in runs; result links open in the page, or in a new tab", async ({ page }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.addInitScript(() => {
    const w = window as unknown as { __fillText: number };
    w.__fillText = 0;
    const original = CanvasRenderingContext2D.prototype.fillText;
    CanvasRenderingContext2D.prototype.fillText = function (this: CanvasRenderingContext2D, ...a: Parameters<CanvasRenderingContext2D["fillText"]>) {
      if (this.canvas.closest("[data-testid=result-tokens]")) w.__fillText++;
      return original.apply(this, a);
    };
  });
  await signInDemo(page);
  const parens = await demoDataset(page, /parens \(demo\)/);
  await page.goto(`${parens}/explore?s0=states1&tr=depth&b=22-26&pad=0,0&run=1`);
  await expect(page.getByTestId("match-count")).toHaveText("50", { timeout: 60_000 });
  await expect(page.getByTestId("result-tokens").locator("canvas")).toHaveAttribute("data-drawn", "50");
  // 50 rows × 23 tokens: a few runs a row (before, in and after the match), not a call per token
  const calls = await page.evaluate(() => (window as unknown as { __fillText: number }).__fillText);
  expect(calls).toBeGreaterThan(0);
  expect(calls).toBeLessThan(400);
  // the row's text for assistive technology is unchanged
  await expect(page.getByTestId("result-row-0")).toHaveAttribute("data-tokens", "23");

  const link = page.getByTestId("result-link-1");
  const href = (await link.getAttribute("href"))!;
  const pos = Number(await link.innerText());
  expect(href).toContain(`b=${pos}-`);
  // a modified click: the browser opens the link in a new tab, this page stays
  const before = page.url();
  const [tab] = await Promise.all([page.context().waitForEvent("page"), link.click({ modifiers: ["ControlOrMeta"] })]);
  await tab.waitForLoadState("domcontentloaded");
  expect(tab.url()).toContain(`b=${pos}-`);
  await tab.close();
  expect(page.url()).toBe(before);
  // a plain click: the Select view at that match, in this page (no document request)
  const documents: string[] = [];
  page.on("request", (r) => r.resourceType() === "document" && documents.push(r.url()));
  await link.click();
  await expect(page).toHaveURL(new RegExp(`[?&]b=${pos}-`));
  await expect(page.getByTestId("brush")).toHaveAttribute("data-from", String(pos));
  expect(documents).toEqual([]);
});

/**
 * A fresh page's first click draws its result tokens and heatmaps with warm code (issue 15, click
 * → drawn): while the page is idle after its first window, the grid's fonts are resolved and its
 * and the heatmaps' drawing code runs once on result-sized made-up data, on canvases that are
 * never shown (the first run of that code in a page, compiled on the call and without type
 * feedback, was the slowest part of the first click's draw).
 */
test("the token grid's and heatmaps' drawing code has run once on hidden canvases before the first click", async ({ page }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.addInitScript(() => {
    const w = window as unknown as { __hiddenFillText: number; __hiddenRect: number };
    w.__hiddenFillText = 0;
    w.__hiddenRect = 0;
    const original = CanvasRenderingContext2D.prototype.fillText;
    CanvasRenderingContext2D.prototype.fillText = function (this: CanvasRenderingContext2D, ...a: Parameters<CanvasRenderingContext2D["fillText"]>) {
      if (!this.canvas.isConnected) w.__hiddenFillText++;
      return original.apply(this, a);
    };
    const rect = CanvasRenderingContext2D.prototype.rect;
    CanvasRenderingContext2D.prototype.rect = function (this: CanvasRenderingContext2D, ...a: Parameters<CanvasRenderingContext2D["rect"]>) {
      if (!this.canvas.isConnected) w.__hiddenRect++;
      return rect.apply(this, a);
    };
  });
  await signInDemo(page);
  const parens = await demoDataset(page, /parens \(demo\)/);
  await page.goto(`${parens}/explore?s0=states1&b=22-26&pad=0,0`);
  await expect(page.getByTestId("run-fast")).toBeEnabled({ timeout: 60_000 });
  // fifty rows of text runs (the fonts alone were two calls), nothing of it on the page
  await expect.poll(() => page.evaluate(() => (window as unknown as { __hiddenFillText: number }).__hiddenFillText), { timeout: 10_000 }).toBeGreaterThan(50);
  // and two heatmaps' cells (runs of a row's cells in one colour: hundreds of rects)
  expect(await page.evaluate(() => (window as unknown as { __hiddenRect: number }).__hiddenRect)).toBeGreaterThan(300);
  await expect(page.getByTestId("match-results")).toHaveCount(0);
});

/**
 * The results' canvases are drawn once per run (issue 15, click → drawn): the render for the
 * pointer over the rows, the tooltip, the keyboard's highlight or the evidence panel mounting
 * beside them leaves their pixels alone (each canvas was redrawn on every one of them: ~1,150
 * cells each); what they show changing (the token map) redraws them.
 */
test("result canvases are drawn once per run, again only when what they show changes", async ({ page }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1440, height: 1000 });
  // every draw of a results canvas starts with setupCanvas's clearRect
  const draws = await countCanvasCalls(page, "clearRect", "[data-testid=result-tokens],[data-testid^=heatmap-]");
  await signInDemo(page);
  const parens = await demoDataset(page, /parens \(demo\)/);
  await page.goto(`${parens}/explore?s0=states1&tr=depth&tr=surprisal&b=22-26&pad=0,0&run=1`);
  await expect(page.getByTestId("match-count")).toHaveText("50", { timeout: 60_000 });
  await expect(page.getByTestId("result-tokens").locator("canvas")).toHaveAttribute("data-drawn", "50");
  // the evidence panel mounts after the rows' first frame
  await expect(page.getByTestId("match-evidence")).toBeVisible();
  const heatmaps = await page.locator("[data-testid=match-results] [data-testid^=heatmap-]").evaluateAll((els) => els.map((e) => e.getAttribute("data-testid")!));
  expect(heatmaps).toEqual(expect.arrayContaining(["heatmap-count", "heatmap-depth", "heatmap-surprisal"]));
  // a heatmap's canvas holds a pixel per cell across and 10 per row (the 2 px gaps between rows
  // and the cell), shown at the cells' size: a 7 × 20 px cell × the pixel ratio² drew nothing more
  const geometry = await page.locator("[data-testid^=heatmap-] canvas").evaluateAll((cs) =>
    (cs as HTMLCanvasElement[]).map((c) => {
      const [cells, rows] = [c.clientWidth / Number(c.dataset.cellW), c.clientHeight / Number(c.dataset.rowH)];
      const px = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      // the gaps above and below the first column's cells of the first two rows are empty
      const alpha = (y: number) => px[y * c.width * 4 + 3];
      return { across: c.width === cells, down: c.height === rows * 10, rows, gaps: [0, 9, 10, 19].map(alpha) };
    }),
  );
  for (const g of geometry) expect(g).toMatchObject({ across: true, down: true, rows: 50, gaps: [0, 0, 0, 0] });
  const once = Object.fromEntries(["result-tokens", ...heatmaps].map((n) => [n, 1]));
  expect(await draws()).toEqual(once);
  // the pointer over the tokens and a heatmap (the tooltip follows), a row's focus and arrow keys
  await page.getByTestId("result-tokens").scrollIntoViewIfNeeded();
  const grid = (await page.getByTestId("result-tokens").boundingBox())!;
  for (const [x, y] of [[20, 10], [60, 30], [100, 50]] as const) await page.mouse.move(grid.x + x, grid.y + y);
  await expect(page.getByTestId("match-tooltip")).toBeVisible();
  const hm = (await page.getByTestId("heatmap-count").locator("canvas").boundingBox())!;
  await page.mouse.move(hm.x + 10, hm.y + 15);
  await page.mouse.move(hm.x + 24, hm.y + 35);
  await page.getByTestId("result-row-2").focus();
  await page.keyboard.press("ArrowRight");
  await expect(page.getByTestId("match-tooltip")).toContainText(/^#3 · step/);
  expect(await draws()).toEqual(once);
  // a change of what is drawn: the tokens mapped by the match count
  await page.getByLabel("Map a heatmap onto the tokens").selectOption("count");
  await expect.poll(async () => (await draws())["result-tokens"]).toBe(2);
});

/**
 * The length histogram is one canvas (its SVG was ~8 nodes a bar, about 40 % of a result's nodes):
 * a bar clicked re-runs the query with that exact length, and the keyboard does the same — the
 * histogram is a slider over the lengths whose value text says the chosen bar's counts.
 */
test("the length histogram re-runs with a bar's length, by pointer and by keyboard", async ({ page }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await signInDemo(page);
  const parens = await demoDataset(page, /parens \(demo\)/);
  await page.goto(`${parens}/explore?s0=states1&b=22-26&pad=0,0&run=1`);
  await expect(page.getByTestId("match-count")).toHaveText("50", { timeout: 60_000 });
  const bars = page.getByTestId("hist-bars");
  expect(await page.locator("[data-testid=length-histogram] svg *").count()).toBe(0);
  const n = Number(await bars.getAttribute("data-bars"));
  expect(n).toBeGreaterThan(2);
  // the keyboard: focus, the first length, the next one, Enter
  await bars.focus();
  await page.keyboard.press("Home");
  const first = Number(await bars.getAttribute("aria-valuenow"));
  await page.keyboard.press("ArrowRight");
  const chosen = Number(await bars.getAttribute("aria-valuenow"));
  expect(chosen).toBeGreaterThan(first);
  await expect(bars).toHaveAttribute("aria-valuetext", new RegExp(`^length ${chosen}: \\d+ candidates, \\d+ with every selected cell on$`));
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("match-results")).toContainText(new RegExp(`· length ${chosen}(?!\\d)`), { timeout: 60_000 });
  // back to any length (the histogram of every length again), then the pointer: the third bar
  // (22 px a bar, 4 px in), its tooltip, a click
  await page.getByRole("button", { name: "any length" }).click();
  await expect(page.getByTestId("match-results")).not.toContainText("· length", { timeout: 60_000 });
  await expect(bars).toHaveAttribute("data-bars", String(n));
  await bars.scrollIntoViewIfNeeded();
  const box = (await bars.boundingBox())!;
  await page.mouse.move(box.x + 4 + 2 * 22 + 10, box.y + 30);
  await expect(bars).toHaveAttribute("title", /^length \d+: \d+ candidates, \d+ with every selected cell on$/);
  const third = Number(/^length (\d+)/.exec((await bars.getAttribute("title"))!)![1]);
  await page.mouse.down();
  await page.mouse.up();
  await expect(page.getByTestId("match-results")).toContainText(new RegExp(`· length ${third}(?!\\d)`), { timeout: 60_000 });
});

/**
 * At 1440 × 1000 a click's results start below the fold (under the Match view's head): the click
 * brings them into view in the frame that draws them (not by a scroll animation that reaches them
 * 130–180 ms later), without moving the focus into them; results opened from a link (run=1) leave
 * the page's scroll alone.
 */
test("a click on Fast brings its results into view as they are drawn; a link's results leave the scroll alone", async ({ page }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await signInDemo(page);
  const parens = await demoDataset(page, /parens \(demo\)/);
  const inView = () =>
    page.getByTestId("match-count").evaluate((e) => {
      const r = e.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= window.innerHeight;
    });
  await page.goto(`${parens}/explore?s0=states1&b=22-26&pad=0,0&run=1`);
  await expect(page.getByTestId("match-count")).toHaveText("50", { timeout: 60_000 });
  await expect(page.getByTestId("result-tokens").locator("canvas")).toHaveAttribute("data-drawn", "50");
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  expect(await page.evaluate(() => window.scrollY)).toBe(0);
  expect(await inView()).toBe(false);

  await page.goto(`${parens}/explore?s0=states1&b=22-26&pad=0,0`);
  const run = page.getByTestId("run-fast");
  await expect(run).toBeEnabled({ timeout: 60_000 });
  // the Match view's head at the bottom edge (as the bench's 1440 × 1000 page opens): its results will start below the fold
  await run.evaluate((b) => window.scrollTo(0, Math.max(0, window.scrollY + b.getBoundingClientRect().bottom + 6 - window.innerHeight)));
  expect((await run.boundingBox())!.y + 40).toBeGreaterThan(1000 - 120);
  // where the results are in the frame that paints their rows: the token canvas is drawn (data-drawn,
  // in React's commit), then that frame's animation-frame callbacks run, then (a task later) the check
  await page.evaluate(() => {
    const w = window as unknown as { atDraw?: boolean };
    const mo = new MutationObserver(() => {
      if (!document.querySelector("[data-testid=result-tokens] canvas[data-drawn]")) return;
      mo.disconnect();
      requestAnimationFrame(() =>
        setTimeout(() => {
          const r = document.querySelector("[data-testid=match-count]")!.getBoundingClientRect();
          w.atDraw = r.top >= 0 && r.bottom <= window.innerHeight;
        }, 0),
      );
    });
    mo.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-drawn"] });
  });
  await run.click();
  await expect(page.getByTestId("match-count")).toHaveText("50", { timeout: 60_000 });
  await expect.poll(() => page.evaluate(() => (window as unknown as { atDraw?: boolean }).atDraw)).toBeDefined();
  expect(await page.evaluate(() => (window as unknown as { atDraw?: boolean }).atDraw), "the results are in view in the frame that draws them").toBe(true);
  expect(await inView()).toBe(true);
  expect(await page.evaluate(() => document.activeElement?.closest("[data-testid=match-results]") ?? null)).toBeNull();
});

/**
 * A heatmap's cells go onto its canvas as runs (issue 15, click → drawn): a row's neighbouring
 * cells of one colour are one rect (a row of equal counts or depth labels one call, not one per
 * cell: three heatmaps × ~1,150 cells a run), and every cell is still drawn, in its colour.
 */
test("result heatmaps draw a row's cells of one colour with one rect", async ({ page }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1440, height: 1000 });
  const rectCalls = await countCanvasCalls(page, "rect", "[data-testid^=heatmap-]");
  await signInDemo(page);
  const parens = await demoDataset(page, /parens \(demo\)/);
  await page.goto(`${parens}/explore?s0=states1&tr=depth&b=22-26&pad=0,0&run=1`);
  await expect(page.getByTestId("match-count")).toHaveText("50", { timeout: 60_000 });
  await expect(page.getByTestId("result-tokens").locator("canvas")).toHaveAttribute("data-drawn", "50");
  const rects = await rectCalls();
  for (const name of ["count", "depth"]) {
    // the cells drawn: the centre pixel of each cell that is not transparent
    const cells = await page
      .getByTestId(`heatmap-${name}`)
      .locator("canvas")
      .evaluate((c: HTMLCanvasElement) => {
        const px = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let y = 5; y < c.height; y += 10) for (let x = 0; x < c.width; x++) if (px[(y * c.width + x) * 4 + 3]! > 0) n++;
        return n;
      });
    expect(cells).toBeGreaterThan(500);
    // a call per run of one colour: far fewer than the cells (one per cell before)
    expect(rects[`heatmap-${name}`]).toBeGreaterThan(0);
    expect(rects[`heatmap-${name}`]!).toBeLessThan(cells * 0.75);
  }
});
