import { expect, test } from "@playwright/test";
import { signInDemo } from "./helpers";

test("signed out, the home page says what Statescope is, shows the explorer and offers sign-up and sign-in", async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto("/");
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("hidden state");
  await expect(page.getByText(/collaborative successor of LSTMVis/)).toBeVisible();
  const shot = page.getByRole("img", { name: /Statescope explorer on the parens demo/ });
  await expect(shot).toBeVisible();
  await expect.poll(() => shot.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(500);
  await page.screenshot({ path: "test-results/landing.png" });
  await page.getByRole("main").getByRole("link", { name: "Create an account" }).click();
  await expect(page).toHaveURL(/\/signup/);
  await page.goto("/");
  await page.getByRole("main").getByRole("link", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/signin/);
});

test("every page has an icon: /favicon.ico answers an image", async ({ request, page }) => {
  const r = await request.get("/favicon.ico");
  expect(r.status()).toBe(200);
  expect(r.headers()["content-type"]).toMatch(/image\//);
  const bytes = await r.body();
  expect(bytes.readUInt16LE(2)).toBe(1); // an ICO file
  await page.goto("/signin");
  await expect(page.locator("link[rel~=icon]").first()).toHaveAttribute("href", /icon|favicon/);
});

test("a new workspace opens at once with the demo datasets as its first offer", async ({ page }) => {
  await signInDemo(page);
  const slug = `fm-${Date.now().toString(36)}`;
  await page.getByLabel("Name", { exact: true }).fill(slug);
  // the new workspace's (empty) dataset list comes with its creation: no extra round trip
  const listRequests: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("dataset.list")) listRequests.push(r.url());
  });
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${slug}$`));
  await expect(page.getByTestId("datasets-empty")).toBeVisible();
  expect(listRequests).toEqual([]);

  const demo = page.getByTestId("datasets-empty").getByRole("button", { name: "Add the parens demo dataset" });
  await expect(demo).toBeVisible();
  await page.screenshot({ path: "test-results/empty-workspace.png" });
  await demo.click();
  await expect(page.locator("[data-testid^='dataset-parens']")).toBeVisible();
  // with a dataset there, the demos are still one click away (smaller)
  await expect(page.getByTestId("add-demo").getByRole("button", { name: "Add the c-code demo dataset" })).toBeVisible();
});

test("a made-up dataset says so at once, without opening the explorer or connecting", async ({ page }) => {
  await signInDemo(page);
  const sockets: string[] = [];
  page.on("websocket", (ws) => sockets.push(ws.url()));
  const res = await page.goto("/w/demo/datasets/no-such-dataset/explore?b=1-3");
  // the error is in the page the server sends: nothing to wait for
  expect(await res!.text()).toContain("no-such-dataset");
  // in the page's main: while the page streams in, React's hidden copy of the streamed part (outside
  // main, before its script moves it in) may be in the DOM too — seen once in CI as a strict-mode
  // violation (two matches, one of them outside main)
  await expect(page.getByRole("main").getByTestId("explorer-error")).toContainText(/does not exist|not found/i);
  await expect(page.getByText("Opening the dataset…")).toHaveCount(0);
  await expect(page.getByText(/Connecting/)).toHaveCount(0);
  expect(sockets).toEqual([]);
});

test("a made-up workspace shows its error once", async ({ page }) => {
  await signInDemo(page);
  await page.goto("/w/no-such-workspace-x");
  await expect(page.getByTestId("workspace-error")).toBeVisible();
  await page.waitForLoadState("networkidle");
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(1);
  await expect(page.getByRole("link", { name: "Back to your workspaces" })).toBeVisible();
});
