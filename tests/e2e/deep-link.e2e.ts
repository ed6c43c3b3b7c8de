import { expect, test, type Page } from "@playwright/test";
import { importDemoProject } from "./helpers";

/** The query of an explore view as the explorer writes it: source, threshold, pinned cells, brush, a precise run. */
const VIEW = new URLSearchParams({ s0: "states::states1", t0: "0.2", c0: "1,2", b: "5-9", mm: "precise", run: "1" }).toString();

const sameQuery = (url: string, query: string) => {
  const a = [...new URL(url).searchParams].sort().join("&");
  const b = [...new URLSearchParams(query)].sort().join("&");
  return a === b;
};

async function fillSignIn(page: Page) {
  await page.getByLabel("Email").fill("demo@statescope.dev");
  await page.getByLabel("Password").fill("statescope-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("a deep link opened signed out comes back to the exact view after sign-in", async ({ page, baseURL }) => {
  const datasetId = await importDemoProject(40);
  const deep = `/w/demo/datasets/${datasetId}/explore?${VIEW}`;
  await page.goto(deep);
  await expect(page).toHaveURL(/\/signin\?callbackUrl=/);
  expect(new URL(page.url()).searchParams.get("callbackUrl")).toBe(deep);

  await fillSignIn(page);
  await expect(page).toHaveURL((u) => u.pathname === `/w/demo/datasets/${datasetId}/explore` && sameQuery(u.toString(), VIEW));
  expect(new URL(page.url()).origin).toBe(baseURL);
  // the view itself: the brush, the pinned cells and the run
  await expect(page.getByTestId("brush")).toHaveAttribute("data-from", "5");
  await expect(page.getByText("pinned · re-select from brush")).toBeVisible();
  await expect(page.getByTestId("match-results")).toBeVisible();
});

test("the deep link survives going on to sign-up, and back to sign-in", async ({ page }) => {
  const deep = `/w/demo/datasets/some-dataset/explore?${VIEW}`;
  await page.goto(deep);
  await expect(page).toHaveURL(/\/signin\?callbackUrl=/);
  await page.getByRole("link", { name: "Create an account" }).click();
  await expect(page).toHaveURL(/\/signup\?callbackUrl=/);
  expect(new URL(page.url()).searchParams.get("callbackUrl")).toBe(deep);
  await page.getByRole("main").getByRole("link", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/signin\?callbackUrl=/);
  expect(new URL(page.url()).searchParams.get("callbackUrl")).toBe(deep);

  // a new account lands on the link it came from (here: a workspace it is not a member of)
  await page.getByRole("main").getByRole("link", { name: "Create an account" }).click();
  await expect(page).toHaveURL(/\/signup\?callbackUrl=/);
  const email = `deep-${Date.now()}@example.org`;
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password (at least 8 characters)").fill("deep-link-pw");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL((u) => u.pathname === "/w/demo/datasets/some-dataset/explore" && sameQuery(u.toString(), VIEW));
});

const HOSTILE = ["//evil.example/x", "/\\evil.example", "/\\/evil.example", "https://evil.example/", "/\t/evil.example", "%2F%2Fevil.example"];

test("sign-in and sign-up never send a signed-in user to another site", async ({ page, baseURL }) => {
  await page.goto("/signin");
  await fillSignIn(page);
  await expect(page).toHaveURL(/\/w$/);
  for (const target of HOSTILE) {
    for (const form of ["/signin", "/signup"]) {
      await page.goto(`${form}?callbackUrl=${encodeURIComponent(target)}`);
      expect(new URL(page.url()).origin, `${form} ${target}`).toBe(baseURL);
      expect(new URL(page.url()).pathname, `${form} ${target}`).toBe("/w");
    }
  }
});

test("a hostile callbackUrl given at sign-in lands on the workspace list", async ({ page, baseURL }) => {
  await page.goto(`/signin?callbackUrl=${encodeURIComponent("//evil.example/x")}`);
  await fillSignIn(page);
  await expect(page).toHaveURL(/\/w$/);
  expect(new URL(page.url()).origin).toBe(baseURL);
});
