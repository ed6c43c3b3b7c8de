import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { makeZip } from "../fixtures/formats/archives";
import { makeLstmVisProject } from "../fixtures/formats/projects";
import { signInDemo } from "./helpers";

/** A small LSTMVis project (HDF5 + dict + meta tracks) zipped in memory. */
async function projectZip(steps: number): Promise<Buffer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-project-"));
  await makeLstmVisProject(dir, { n: steps });
  const entries = fs.readdirSync(dir).map((name) => ({ name: `tiny_books/${name}`, data: fs.readFileSync(path.join(dir, name)) }));
  fs.rmSync(dir, { recursive: true, force: true });
  return makeZip(entries);
}

test("upload an LSTMVis zip, follow its import, browse and search it", async ({ page }) => {
  await signInDemo(page, "/w/demo");

  const zip = await projectZip(300_000);
  await page.getByTestId("upload-input").setInputFiles({ name: "tiny_books.zip", mimeType: "application/zip", buffer: zip });

  // The import runs as a worker job with a progress bar …
  const row = page.getByTestId("dataset-tiny_books").first();
  await expect(row.getByRole("progressbar")).toBeVisible({ timeout: 30_000 });
  // … and ends in a browsable dataset.
  const link = page.getByRole("link", { name: /tiny_books/ }).first();
  await expect(link).toBeVisible({ timeout: 60_000 });
  await link.click();

  await expect(page.getByTestId("dataset-name")).toHaveText("tiny_books");
  await expect(page.getByTestId("dataset-summary")).toContainText("300,000");
  const sources = page.getByTestId("sources-table");
  await expect(sources).toContainText("states::states1");
  await expect(sources).toContainText("states::output1");
  await expect(sources).toContainText("other::states2");
  const tracks = page.getByTestId("tracks-table");
  await expect(tracks).toContainText("pos");
  await expect(tracks).toContainText("wordvec");

  // Phrase search jumps to a position, and the link is deep.
  await page.getByLabel("Phrase").fill("mat <space> .");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("search-summary")).toContainText("match");
  const hits = page.getByTestId("search-hit");
  await hits.nth(2).click();
  await expect(page).toHaveURL(/pos=\d+/);
  const url = page.url();
  await expect(page.locator(".token-stream .tok.hit").first()).toBeVisible();

  const again = await page.context().newPage();
  await again.goto(url);
  await expect(again.locator(".token-stream .tok.hit").first()).toBeVisible();
  await expect(again.getByLabel("Phrase")).toHaveValue("mat <space> .");
});

test("a bad upload is refused with a message naming the problem", async ({ page }) => {
  await signInDemo(page, "/w/demo");
  const evil = makeZip([{ name: "../outside.txt", data: "x" }]);
  // A name of its own: the e2e database outlives a run, and a retry must not meet the first try's row.
  const name = `evil-${Date.now().toString(36)}`;
  await page.getByTestId("upload-input").setInputFiles({ name: `${name}.zip`, mimeType: "application/zip", buffer: evil });
  await expect(page.getByTestId(`dataset-${name}`).locator(".error")).toContainText("outside.txt", { timeout: 30_000 });
});

test("a started import shows up even when the list refresh right after the upload fails", async ({ page }) => {
  await signInDemo(page, "/w/demo");
  await expect(page.getByTestId("datasets-list")).toBeVisible();
  // The next two list requests (the refresh after the upload and its one retry) fail as a dropped connection would.
  let dropped = 0;
  await page.route(/\/api\/trpc\/[^?]*dataset\.list/, async (route) => {
    if (dropped < 2) {
      dropped += 1;
      await route.abort("connectionreset");
    } else await route.continue();
  });
  const name = `evil-${Date.now().toString(36)}`;
  await page.getByTestId("upload-input").setInputFiles({ name: `${name}.zip`, mimeType: "application/zip", buffer: makeZip([{ name: "../outside.txt", data: "x" }]) });
  await expect(page.getByTestId(`dataset-${name}`).locator(".error")).toContainText("outside.txt", { timeout: 30_000 });
  expect(dropped).toBe(2);
  // dismissed, it is gone, and the list stops polling for it
  await page.getByTestId(`dataset-${name}`).getByRole("button", { name: "Dismiss" }).click();
  await expect(page.getByTestId(`dataset-${name}`)).toHaveCount(0);
  let polls = 0;
  page.on("request", (r) => void (/dataset\.list/.test(r.url()) && (polls += 1)));
  await page.waitForTimeout(2_500);
  expect(polls).toBe(0);
});
