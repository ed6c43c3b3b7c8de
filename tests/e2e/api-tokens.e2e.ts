/**
 * Personal API tokens as a person uses them: created on Settings → API tokens (shown once), used
 * by a script against /api/v1, its last use listed, revoked (refused at once); and the API's
 * interactive docs (/api/docs) served from this server, rendering the generated document under
 * their own strict policy.
 */
import { expect, test } from "@playwright/test";
import { signInDemo } from "./helpers";

test("create a token, use it from a script, see its last use, revoke it", async ({ page, request, baseURL }) => {
  await signInDemo(page);
  await page.getByRole("link", { name: "API tokens" }).click();
  await expect(page).toHaveURL(/\/settings\/tokens$/);
  await page.getByLabel("Name").fill("e2e training server");
  await page.getByLabel("Scope").selectOption("write");
  await page.getByLabel("Workspace").selectOption("demo");
  await page.getByRole("button", { name: "Create token" }).click();
  const shown = page.getByTestId("new-token");
  await expect(shown).toContainText("shown only once");
  const token = (await shown.locator("code").innerText()).trim();
  expect(token).toMatch(/^ssc_[A-Za-z0-9_-]{43}$/);
  await page.screenshot({ path: "test-results/api-tokens.png", fullPage: true });

  const list = await request.get(`${baseURL}/api/v1/workspaces/demo/datasets`, { headers: { authorization: `Bearer ${token}` } });
  expect(list.status()).toBe(200);
  expect(((await list.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);

  // shown once: after a reload only the hint is left, with the last use
  await page.reload();
  await expect(page.getByTestId("new-token")).toHaveCount(0);
  const row = page.getByRole("row", { name: /e2e training server/ });
  await expect(row).toContainText(token.slice(0, 10));
  await expect(page.locator("body")).not.toContainText(token);
  await expect(row).toContainText(/from (127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)/);

  await row.getByRole("button", { name: "Revoke e2e training server" }).click();
  await expect(row).toContainText("revoked");
  const refused = await request.get(`${baseURL}/api/v1/workspaces/demo/datasets`, { headers: { authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);
  expect(await refused.text()).not.toContain(token);
});

test("the API docs render the generated document offline, under their own policy", async ({ page }) => {
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(e.message));
  const external: string[] = [];
  page.on("request", (r) => {
    if (!r.url().startsWith(new URL(page.url() === "about:blank" ? "http://127.0.0.1" : page.url()).origin) && !r.url().startsWith("data:")) external.push(r.url());
  });
  const res = await page.goto("/api/docs");
  expect(res!.headers()["content-security-policy"]).toContain("script-src 'self'");
  await expect(page.getByText("Statescope API").first()).toBeVisible();
  await expect(page.getByText("/workspaces/{slug}/datasets", { exact: true }).first()).toBeVisible();
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.screenshot({ path: "test-results/api-docs.png" });
  expect(problems).toEqual([]);
  expect(external.filter((u) => !u.includes("127.0.0.1") && !u.includes("localhost"))).toEqual([]);
});
