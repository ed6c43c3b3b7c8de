import { expect, test, type Page } from "@playwright/test";

const stamp = Date.now().toString(36);
const owner = { email: `owner-${stamp}@e2e.test`, password: "owner-password" };
const viewer = { email: `viewer-${stamp}@e2e.test`, password: "viewer-password" };
const slug = `lab-${stamp}`;

async function signUp(page: Page, who: { email: string; password: string }) {
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel(/^Password/).fill(who.password);
  await page.getByRole("button", { name: "Create account" }).click();
}

test("sign up, create a workspace, invite a viewer who cannot rename it", async ({ browser, page }) => {
  // Owner signs up and lands on the (empty) workspace list.
  await page.goto("/signup");
  await signUp(page, owner);
  await expect(page).toHaveURL(/\/w$/);
  await expect(page.getByText("No workspaces yet")).toBeVisible();

  // Creates a workspace; its home explains how to add data.
  await page.getByLabel("Name", { exact: true }).fill("Syntax lab");
  await page.getByLabel("URL name").fill(slug);
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${slug}$`));
  await expect(page.getByTestId("datasets-empty")).toContainText("No datasets in this workspace yet");
  await expect(page.getByTestId("my-role")).toHaveText("OWNER");

  // Invites a viewer by link.
  await page.getByRole("link", { name: "Members" }).click();
  await page.getByLabel("Role", { exact: true }).selectOption("VIEWER");
  await page.getByRole("button", { name: "Create invite link" }).click();
  const inviteUrl = await page.getByTestId("invite-url").inputValue();
  expect(inviteUrl).toMatch(/\/invite\/[A-Za-z0-9_-]{20,}$/);

  // A second person opens the link in their own browser, signs up, joins.
  const other = await browser.newContext();
  const p2 = await other.newPage();
  await p2.goto(new URL(inviteUrl).pathname);
  await expect(p2.getByText(/invites you to/)).toContainText("Syntax lab");
  await p2.getByRole("link", { name: "create an account" }).click();
  await signUp(p2, viewer);
  await expect(p2).toHaveURL(/\/invite\//);
  await p2.getByRole("button", { name: /Join Syntax lab/ }).click();
  await expect(p2).toHaveURL(new RegExp(`/w/${slug}$`));
  await expect(p2.getByTestId("my-role")).toHaveText("VIEWER");

  // The viewer sees members but no owner controls…
  await p2.getByRole("link", { name: "Members" }).click();
  await expect(p2.getByTestId(`member-${owner.email}`)).toBeVisible();
  await expect(p2.getByRole("button", { name: "Rename" })).toHaveCount(0);

  // …and the server refuses the rename even when called directly with the viewer's session.
  const res = await p2.request.post("/api/trpc/workspace.rename", {
    data: { json: { workspace: slug, name: "Taken over" } },
  });
  expect(res.status()).toBe(403);
  expect(JSON.stringify(await res.json())).toContain("needs the OWNER role");

  // The same link cannot be used twice.
  const third = await browser.newContext();
  const p3 = await third.newPage();
  await p3.goto(new URL(inviteUrl).pathname);
  await expect(p3.locator(".error[role=alert]")).toContainText("already used");

  // The owner still sees the original name and now two members.
  await page.reload();
  await expect(page.getByTestId(`member-${viewer.email}`)).toContainText("VIEWER");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Syntax lab");
  await other.close();
  await third.close();
});

test("a wrong password is refused with a clear message, and sign-out works", async ({ page }) => {
  await page.goto("/signin");
  await page.getByLabel("Email").fill("demo@statescope.dev");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".error[role=alert]")).toHaveText("wrong email or password");

  await page.getByLabel("Password").fill("statescope-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/w$/);
  await expect(page.getByTestId("current-user")).toHaveText("demo@statescope.dev");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
});

test("a duplicate email at sign-up is refused with a clear message", async ({ page }) => {
  await page.goto("/signup");
  await signUp(page, { email: "demo@statescope.dev", password: "whatever-password" });
  await expect(page.locator(".error[role=alert]")).toContainText("already exists");
});
