import fs from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { generateParens } from "../../server/services/extract/corpora";
import { signInDemo } from "./helpers";

/**
 * Bring your model (issue 6): upload weights + vocab + text through the form
 * → the worker job's progress → the dataset opens, and in the explorer;
 * and a fresh start has seeded both demo datasets into the demo workspace.
 */
const MODEL = path.resolve("server/services/extract/demo-models/parens");

test("a fresh start shows both demo datasets in the demo workspace", async ({ page }) => {
  await signInDemo(page, "/w/demo");
  const parens = page.getByRole("link", { name: /parens \(demo\)/ });
  const cCode = page.getByRole("link", { name: /c-code \(demo\)/ });
  await expect(parens).toBeVisible({ timeout: 60_000 });
  await expect(cCode).toBeVisible({ timeout: 60_000 });
  await expect(parens).toContainText("20,000 steps");
  await cCode.click();
  await expect(page.getByTestId("sources-table")).toContainText("states2");
  const tracks = page.getByTestId("tracks-table");
  for (const name of ["surprisal", "top5", "in_comment", "in_string", "brace_depth", "paren_depth"]) await expect(tracks).toContainText(name);
});

test("upload weights + vocab + text → progress → the dataset opens in the explorer", async ({ page }) => {
  await signInDemo(page, "/w/demo");
  await page.getByTestId("extract-form").locator("summary").click();
  await page.getByTestId("extract-weights").setInputFiles({ name: "parens.safetensors", mimeType: "application/octet-stream", buffer: fs.readFileSync(path.join(MODEL, "model.safetensors")) });
  await page.getByTestId("extract-vocab").setInputFiles({ name: "vocab.json", mimeType: "application/json", buffer: fs.readFileSync(path.join(MODEL, "vocab.json")) });
  await page.getByTestId("extract-text").setInputFiles({ name: "brackets.txt", mimeType: "text/plain", buffer: Buffer.from(generateParens(300_000, 99)) });
  await page.getByLabel("Dataset name").fill("my brackets");
  await page.getByRole("button", { name: "Run the model" }).click();

  // The model runs as a worker job with a progress bar (and an ETA in the phase text) …
  const row = page.getByTestId("dataset-my brackets");
  await expect(row.getByRole("progressbar")).toBeVisible({ timeout: 30_000 });
  // … and ends in a dataset like any imported one.
  const link = page.getByRole("link", { name: /my brackets/ });
  await expect(link).toBeVisible({ timeout: 90_000 });
  await expect(link).toContainText("300,000 steps");
  await link.click();
  await expect(page).toHaveURL(/\/w\/demo\/datasets\/[^/]+$/);
  await expect(page.getByTestId("dataset-name")).toHaveText("my brackets");
  await expect(page.getByTestId("sources-table")).toContainText("states1");
  await expect(page.getByTestId("sources-table")).toContainText("output1");
  await expect(page.getByTestId("tracks-table")).toContainText("surprisal");

  await page.getByRole("link", { name: "Open in explorer" }).click();
  await expect(page).toHaveURL(/\/w\/demo\/datasets\/[^/]+\/explore/);
  await expect(page.getByTestId("explorer")).toBeVisible({ timeout: 30_000 });
});

test("a bad vocabulary is refused at once with a clear message", async ({ page }) => {
  await signInDemo(page, "/w/demo");
  await page.getByTestId("extract-form").locator("summary").click();
  await page.getByTestId("extract-weights").setInputFiles({ name: "parens.safetensors", mimeType: "application/octet-stream", buffer: fs.readFileSync(path.join(MODEL, "model.safetensors")) });
  await page.getByTestId("extract-vocab").setInputFiles({ name: "vocab.json", mimeType: "application/json", buffer: Buffer.from("{not json") });
  await page.getByLabel("…or paste the text").fill("(ab)");
  await page.getByRole("button", { name: "Run the model" }).click();
  await expect(page.getByTestId("extract-error")).toContainText("vocab: not valid JSON");
});
