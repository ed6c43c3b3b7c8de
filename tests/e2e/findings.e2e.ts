import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type Page } from "@playwright/test";
import { WORDS } from "../fixtures/formats/projects";
import { brush, importDemoProject, signInDemo } from "./helpers";

/**
 * Findings (issue 17), as a researcher and as a reader of their paper: publish a saved hypothesis,
 * open the unlisted link signed out (both views, hover linking), edit the hypothesis and publish
 * v2 (v1 unchanged), embed it in another page, download the SVG, make a private finding (404 for
 * strangers) and withdraw the first one (410 tombstone).
 */
let datasetId = "";

test.beforeAll(async () => {
  datasetId = await importDemoProject(400, "findings_books");
});

/** The fixture's token at step t, as figures draw it (whitespace tokens get a visible mark). */
const tokenAt = (t: number) => (WORDS[t % WORDS.length] === "<space>" ? "␣" : WORDS[t % WORDS.length]!);

async function brushWithCells(page: Page, starts: number[]): Promise<number> {
  for (const s of starts) {
    await brush(page, s, s + 3);
    await expect(page.getByTestId("brush")).toHaveAttribute("data-from", String(s));
    if ((await page.getByTestId("selected-count").first().innerText()) !== "0 cells") return s;
  }
  throw new Error("no brushed range selected any cell");
}

async function publishFromDialog(page: Page, title: string, opts: { visibility?: string; version?: boolean } = {}): Promise<string> {
  const dialog = page.getByTestId("publish-dialog");
  await expect(dialog).toBeVisible();
  if (opts.version) await dialog.getByTestId("publish-target").selectOption({ index: 1 });
  await dialog.getByTestId("publish-title-input").fill(title);
  await dialog.getByTestId("publish-abstract").fill("These cells switch on **together** at the start of a phrase.");
  if (opts.visibility) await dialog.getByRole("radio", { name: new RegExp(`^${opts.visibility}`) }).check();
  await dialog.getByTestId("publish-submit").click();
  await expect(dialog.getByTestId("publish-done")).toBeVisible({ timeout: 90_000 });
  const url = await dialog.getByTestId("published-url").inputValue();
  await dialog.getByRole("button", { name: "Close" }).click();
  return new URL(url).pathname;
}

/** Fetches a URL in the page and parses it as SVG: the XML error (if any) and every <text>. */
async function svgTexts(page: Page, href: string): Promise<{ error: string | null; texts: string[]; status: number }> {
  return page.evaluate(async (u) => {
    const r = await fetch(u);
    const d = new DOMParser().parseFromString(await r.text(), "image/svg+xml");
    return { error: d.querySelector("parsererror")?.textContent ?? null, texts: [...d.querySelectorAll("text")].map((t) => t.textContent ?? ""), status: r.status };
  }, href);
}

test("publish → read signed out → v2 → embed → SVG download → private 404 → withdraw 410", async ({ page, browser }) => {
  test.setTimeout(600_000);
  await page.setViewportSize({ width: 1600, height: 1100 });
  await signInDemo(page);
  // the data's citation, entered on the dataset's page, is pinned by the findings published from it
  await page.goto(`/w/demo/datasets/${datasetId}`);
  await page.getByTestId("dataset-about-edit").click();
  await page.getByTestId("dataset-citation-input").fill("Books corpus, tokenised by the lab (2026).");
  await page.getByTestId("dataset-about-save").click();
  await expect(page.getByTestId("dataset-citation")).toHaveText("Books corpus, tokenised by the lab (2026).");
  await expect(page.getByTestId("dataset-about")).toContainText(/sha256:[0-9a-f]{64}/);
  await page.goto(`/w/demo/datasets/${datasetId}/explore?s0=${encodeURIComponent("states::states1")}`);
  await expect(page.getByTestId("line-plot").first()).toBeVisible();

  // a saved hypothesis, published as an unlisted finding
  const s1 = await brushWithCells(page, [10, 12, 14, 16, 18, 20, 5, 8]);
  await page.getByTestId("save-hypothesis").click();
  await page.getByLabel("Hypothesis name").fill("Phrase openers");
  await page.getByTestId("hypothesis-submit").click();
  const item = page.getByTestId("hypothesis-item").filter({ hasText: "Phrase openers" });
  await expect(item).toBeVisible();
  await item.getByTestId("hypothesis-publish").click();
  const v1 = await publishFromDialog(page, "Cells that open a phrase");
  expect(v1).toMatch(/^\/f\/[0-9a-z]{12}\/v1$/);
  const id = v1.split("/")[2]!;

  // a reader without an account
  const reader = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const r = await reader.newPage();
  // the pages' CSP (script-src 'self', no inline script) must not block anything they do
  const refused: string[] = [];
  r.on("console", (m) => void (/Content Security Policy/i.test(m.text()) && refused.push(m.text())));
  const res = await r.goto(v1);
  expect(res?.status()).toBe(200);
  await expect(r.getByTestId("finding-title")).toHaveText("Cells that open a phrase");
  await expect(r.getByTestId("finding-authors")).toHaveText("Demo researcher");
  await expect(r.getByTestId("finding-abstract").locator("strong")).toHaveText("together");
  await expect(r.getByTestId("dataset-citation")).toHaveText("Books corpus, tokenised by the lab (2026).");
  await expect(r.getByTestId("finding-select").locator("svg.finding-figure")).toBeVisible();
  await expect(r.getByTestId("finding-match").locator("svg.finding-figure")).toBeVisible();
  await expect(r.getByTestId("finding-select").locator(`g.tok[data-t="${s1}"] text`)).toHaveText(tokenAt(s1));
  // hover linking: a cell of the list lights its line; a heatmap cell shows its row and column
  await r.locator(".chip[data-c]").first().hover();
  await expect(r.locator(".select-view path.hl")).toHaveCount(1);
  await r.locator('.match-view .heatmap rect[data-r="0"]').nth(4).hover();
  await expect(r.getByTestId("finding-tooltip")).toContainText("cells on");
  // the result first, its cells-on count once, then the tracks
  expect(await r.getByTestId("finding-tooltip").innerText()).toMatch(/^#1 · step \d+ .*\d+\/\d+ cells on · pos: (?!.*cells on)/);
  await expect(r.locator(".match-view rect.hl").first()).toBeAttached();
  // snapshot format 2: the results' evidence, a table per track (the discrete pos track: label, share, base rate, lift)
  const pos = r.getByTestId("finding-evidence").locator('[data-testid="evidence-track"][data-track="pos"]');
  await expect(pos.locator("thead")).toHaveText(/label\s*share\s*base rate\s*lift/);
  await expect(pos.locator("tbody tr").first()).toContainText(/%.*%.*×/);
  await r.getByTestId("finding-evidence").screenshot({ path: "test-results/finding-evidence.png" });
  await r.screenshot({ path: "test-results/finding-page-1440.png", fullPage: true });
  await r.screenshot({ path: "test-results/finding-page-1440-top.png" });
  for (const [q, file] of [["figure.png?view=both&width=two&scale=2", "finding-figure-two@2x.png"], ["figure.png?view=select&width=one&scale=4", "finding-figure-select-one@4x.png"], ["figure.svg?view=both&width=two", "finding-figure-two.svg"]]) {
    const got = await r.request.get(`${v1}/${q}`);
    expect(got.status()).toBe(200);
    (await import("node:fs")).writeFileSync(`test-results/${file}`, await got.body());
  }
  // zoom in place (the viewer fetches the page at the next zoom and swaps the Select view)
  await r.getByRole("link", { name: "Zoom in" }).click();
  await expect(r.locator("#zoom-controls")).toContainText("45 px/step");
  await expect(r).toHaveURL(/zoom=45/);
  await expect(r.getByTestId("finding-select").locator(`g.tok[data-t="${s1}"] text`)).toHaveText(tokenAt(s1));
  const v1Figure = await r.evaluate(async (u) => (await fetch(u)).text(), `${v1}/figure.svg?view=both&width=two`);

  // the downloaded SVG parses as XML and holds the brushed tokens as text
  await r.locator("summary", { hasText: "Download" }).click();
  const [download] = await Promise.all([r.waitForEvent("download"), r.getByRole("link", { name: "SVG, two columns" }).first().click()]);
  const svg = await r.evaluate((text) => {
    const d = new DOMParser().parseFromString(text, "image/svg+xml");
    return { error: d.querySelector("parsererror")?.textContent ?? null, texts: [...d.querySelectorAll("text")].map((t) => t.textContent ?? "") };
  }, (await import("node:fs")).readFileSync((await download.path())!, "utf8"));
  expect(svg.error).toBeNull();
  for (let t = s1; t < s1 + 3; t++) expect(svg.texts).toContain(tokenAt(t));
  expect(svg.texts.join(" ")).toContain("states::states1");

  // the author edits the hypothesis (another range) and publishes it again: v2
  // (steps the explorer shows at 1600 px: 0 to about 30)
  const s2 = await brushWithCells(page, [4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24].filter((s) => Math.abs(s - s1) >= 3));
  await item.getByTestId("hypothesis-edit").click();
  await page.getByLabel("replace its view with the current one").check();
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(item).toContainText(`steps ${s2}–${s2 + 2}`);
  await item.getByTestId("hypothesis-publish").click();
  const v2 = await publishFromDialog(page, "Cells that open a phrase (revised)", { version: true });
  expect(v2).toBe(`/f/${id}/v2`);

  // for a member, "Open in workspace" restores the published view (brush, selection)
  await page.goto(v2);
  await page.getByTestId("open-in-workspace").click();
  await expect(page.getByTestId("brush")).toHaveAttribute("data-from", String(s2));
  await expect(page.getByTestId("brush")).toHaveAttribute("data-to", String(s2 + 3));
  await expect(page.getByTestId("selected-count").first()).not.toHaveText("0 cells");

  await r.goto(v1);
  await expect(r.getByTestId("not-latest")).toContainText("this is not the latest version");
  await expect(r.getByTestId("finding-select").locator(`g.tok[data-t="${s1}"]`)).toBeVisible();
  expect(await r.evaluate(async (u) => (await fetch(u)).text(), `${v1}/figure.svg?view=both&width=two`)).toBe(v1Figure);
  await r.goto(`/f/${id}`);
  await expect(r.getByTestId("finding-title")).toHaveText("Cells that open a phrase (revised)");
  await expect(r.getByTestId("not-latest")).toHaveCount(0);
  await expect(r.getByTestId("finding-select")).toContainText(`brushed steps ${s2}–${s2 + 2}`);
  await expect(r.getByTestId("versions").getByRole("link", { name: "v1" })).toBeVisible();

  // an iframe on another page shows the embed
  const snippet = await r.getByTestId("embed-snippet").inputValue();
  expect(snippet).toContain(`/f/${id}/v2/embed`);
  // another site (its own origin on this machine: Chromium keeps public pages from framing local ones)
  const blog = `<html><body><h1>My paper's blog</h1>${snippet}<iframe name="page" src="${new URL(`/f/${id}`, r.url()).href}"></iframe></body></html>`;
  const site = http.createServer((_q, res) => res.writeHead(200, { "content-type": "text/html" }).end(blog));
  await new Promise<void>((ok) => site.listen(0, "127.0.0.1", ok));
  const host = await reader.newPage();
  await host.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
  const frame = host.frameLocator("iframe[title]");
  await expect(frame.getByTestId("embed-figure").first()).toBeVisible();
  await expect(frame.locator(".select-view").first()).toBeAttached();
  await host.screenshot({ path: "test-results/finding-embed.png" });
  // only the embed may be framed: the page itself refuses (frame-ancestors 'none')
  await expect.poll(() => host.frame({ name: "page" })?.url()).toMatch(/^chrome-error:/);
  site.close();

  // a private finding is 404 for a stranger
  await page.getByTestId("publish-view").click();
  const priv = await publishFromDialog(page, "Not ready yet", { visibility: "Private" });
  const hidden = await r.goto(priv);
  expect(hidden?.status()).toBe(404);
  await expect(r.getByTestId("finding-not-found")).toBeVisible();
  expect(await r.content()).not.toContain("Not ready yet");
  expect((await svgTexts(r, `${priv}/figure.svg`)).status).toBe(404);

  // withdrawing leaves a tombstone (410)
  await page.goto("/w/demo/findings");
  const row = page.getByTestId(`finding-${id}`);
  await row.getByTestId("finding-withdraw").click();
  await row.getByTestId("finding-withdraw-confirm").click();
  await expect(row).toContainText("withdrawn");
  const gone = await r.goto(v1);
  expect(gone?.status()).toBe(410);
  await expect(r.getByTestId("tombstone")).toContainText("withdrawn by the authors on");
  await r.screenshot({ path: "test-results/finding-tombstone.png" });
  expect(refused).toEqual([]);
  await reader.close();
});
