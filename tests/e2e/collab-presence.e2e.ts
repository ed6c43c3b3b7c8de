import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { signInDemo, brush, importDemoProject } from "./helpers";

/**
 * Two people on one dataset's explorer, each in their own browser context, through the real sync
 * server: A's brush shows in B's plot in A's colour within a second; B follows A (and Esc stops
 * it); the spotlight follows its presenter and leaves with them, team notes travel; B demoted to VIEWER cannot change shared state (the
 * UI is disabled, and a forced write never reaches A); B removed from the workspace is
 * disconnected and told why.
 */
const A_NAME = "Demo researcher";
const B = { name: "Bea Lin", email: `bea-${Date.now().toString(36)}@e2e.test`, password: "bea-password-1" };
const SOURCE = "states::states1";

let datasetId = "";

test.beforeAll(async () => {
  datasetId = await importDemoProject(400, "presence_books");
});

async function trpc<T>(request: APIRequestContext, proc: string, input: unknown): Promise<T> {
  const res = await request.post(`/api/trpc/${proc}`, { data: { json: input } });
  const body = (await res.json()) as { result?: { data: { json: T } }; error?: unknown };
  if (!res.ok() || !body.result) throw new Error(`${proc} failed (${res.status()}): ${JSON.stringify(body.error)}`);
  return body.result.data.json;
}

async function trpcQuery<T>(request: APIRequestContext, proc: string, input: unknown): Promise<T> {
  const res = await request.get(`/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`);
  const body = (await res.json()) as { result: { data: { json: T } } };
  return body.result.data.json;
}

async function jumpTo(page: Page, step: number) {
  await page.getByLabel("Jump to position").fill(String(step));
  await page.getByLabel("Jump to position").press("Enter");
}

test("presence in the plot, follow, spotlight, notes, viewer read-only, removal", async ({ browser, page: a }) => {
  test.setTimeout(240_000);
  // A: the demo owner
  await a.setViewportSize({ width: 1500, height: 1000 });
  await signInDemo(a);

  // B: a new account that joins the demo workspace as an EDITOR through an invite link
  const bCtx = await browser.newContext({ viewport: { width: 1500, height: 1000 } });
  const b = await bCtx.newPage();
  await b.goto("/signup");
  await b.getByLabel("Name (optional)").fill(B.name);
  await b.getByLabel("Email").fill(B.email);
  await b.getByLabel(/^Password/).fill(B.password);
  await b.getByRole("button", { name: "Create account" }).click();
  await expect(b).toHaveURL(/\/w$/);
  const invite = await trpc<{ url: string }>(a.request, "invite.create", { workspace: "demo", role: "EDITOR" });
  await trpc(b.request, "invite.accept", { token: new URL(invite.url).pathname.split("/").pop() });
  const members = await trpcQuery<{ userId: string; email: string }[]>(a.request, "workspace.members", { workspace: "demo" });
  const bId = members.find((m) => m.email === B.email)!.userId;

  const url = `/w/demo/datasets/${datasetId}/explore?s0=${encodeURIComponent(SOURCE)}`;
  await a.goto(url);
  await b.goto(url);
  for (const p of [a, b]) {
    await expect(p.getByTestId("line-plot").first()).toBeVisible();
    await expect(p.getByTestId("collab-status")).toHaveText("Live · 2 here");
  }
  await expect(b.getByTestId("avatar-me")).toHaveAttribute("data-role", "EDITOR");
  const aAvatar = b.getByTestId(`avatar-${A_NAME}`);
  await expect(aAvatar).toContainText("viewing token 0 on states::states1");

  // A brushes and raises the threshold: B sees A's brush, labelled, in A's colour, within 1 s
  await brush(a, 10, 14);
  await expect(a.getByTestId("brush")).toHaveAttribute("data-from", "10");
  const aBrushOnB = b.locator(`[data-name="${A_NAME}"] [data-testid=presence-brush]`);
  await expect(aBrushOnB).toHaveAttribute("data-from", "10", { timeout: 1000 });
  await expect(aBrushOnB).toHaveAttribute("data-to", "14");
  const aColor = await aAvatar.locator(".avatar").evaluate((el) => getComputedStyle(el).backgroundColor);
  const brushColor = await aBrushOnB.locator("rect").first().evaluate((el) => getComputedStyle(el).fill);
  expect(brushColor).toBe(aColor);
  await expect(aBrushOnB).toContainText(A_NAME);
  await a.getByTestId("threshold-input-0").fill("0.450");
  await expect(b.locator(`[data-name="${A_NAME}"] [data-testid=presence-threshold]`)).toHaveAttribute("data-value", "0.45");
  await expect(aAvatar).toContainText("brushed 10–13");
  // A picks two cells by hand: B's plot traces them (dashed, in A's colour)
  for (const cell of ["2", "0"]) {
    await a.getByLabel("Add cell").fill(cell);
    await a.getByLabel("Add cell").press("Enter");
  }
  await expect(b.locator(`[data-name="${A_NAME}"]`).first()).toHaveAttribute("data-cells", "0,2");
  // and A sees B in the bar; B brushes a range of its own, which A sees in B's colour
  await expect(a.getByTestId(`avatar-${B.name}`)).toContainText("viewing token 0");
  await brush(b, 27, 31);
  await expect(a.locator(`[data-name="${B.name}"] [data-testid=presence-brush]`)).toHaveAttribute("data-from", "27");
  // members' colours go by join order, so two members never share one (up to twelve)
  const bColor = await a.locator(`[data-name="${B.name}"] [data-testid=presence-brush] rect`).first().evaluate((el) => getComputedStyle(el).fill);
  expect(bColor).not.toBe(aColor);
  await b.screenshot({ path: "test-results/collab-presence.png" });

  // B follows A: A's moves carry B along
  await aAvatar.click();
  await b.getByTestId("peer-menu").getByRole("menuitem", { name: "Follow" }).click();
  await expect(b.getByTestId("follow-chip")).toHaveText(/Following Demo researcher — Esc to stop/);
  await expect(a.getByTestId("followers")).toHaveText(`${B.name} follows your view`);
  await expect(b.getByTestId("brush")).toHaveAttribute("data-from", "10");
  await jumpTo(a, 120);
  await expect(a.getByTestId("window-label")).toContainText("steps 117–");
  await expect(b.getByTestId("window-label")).toContainText("steps 117–");
  await brush(a, 125, 128);
  await expect(b.getByTestId("brush")).toHaveAttribute("data-from", "125");
  await expect(b.getByTestId("threshold-input-0")).toHaveValue("0.450");
  await b.screenshot({ path: "test-results/collab-follow.png" });

  // Esc stops following (and does not clear B's brush); A's next move stays with A
  await b.keyboard.press("Escape");
  await expect(b.getByTestId("follow-chip")).toHaveCount(0);
  await expect(b.getByTestId("brush")).toHaveAttribute("data-from", "125");
  await expect(a.getByTestId("followers")).toHaveCount(0);
  await jumpTo(a, 250);
  await expect(a.getByTestId("window-label")).toContainText("steps 247–");
  await expect(aAvatar).toContainText("viewing token 247");
  await expect(b.getByTestId("window-label")).toContainText("steps 117–");

  // jump (once) to A's view from the avatar menu
  await aAvatar.click();
  await b.getByTestId("peer-menu").getByRole("menuitem", { name: "Jump to their view" }).click();
  await expect(b.getByTestId("window-label")).toContainText("steps 247–");
  await jumpTo(b, 40);
  await expect(b.getByTestId("window-label")).toContainText("steps 37–");

  // spotlight: A shows everyone a view; B goes there
  await a.getByTestId("spotlight-show").click();
  await expect(a.getByTestId("spotlight-mine")).toBeVisible();
  await expect(b.getByTestId("spotlight-banner")).toContainText(`${A_NAME} is showing a view: token 247 on states::states1`);
  // B is an EDITOR: only the presenter or a workspace OWNER clears it
  await expect(b.getByTestId("spotlight-clear")).toHaveCount(0);
  await b.getByTestId("spotlight-go").click();
  await expect(b.getByTestId("window-label")).toContainText("steps 247–");
  // the banner follows the presenter's current view while they are here
  await jumpTo(a, 300);
  await expect(b.getByTestId("spotlight-banner")).toContainText("token 297 on states::states1");
  await b.getByTestId("spotlight-go").click();
  await expect(b.getByTestId("window-label")).toContainText("steps 297–");
  // following from the banner: no second "Follow" for someone already followed
  await b.getByTestId("spotlight-follow").click();
  await expect(b.getByTestId("follow-chip")).toBeVisible();
  await expect(b.getByTestId("spotlight-follow")).toHaveCount(0);
  await expect(b.getByTestId("spotlight-following")).toBeVisible();
  await b.keyboard.press("Escape");
  await expect(b.getByTestId("follow-chip")).toHaveCount(0);
  // the presenter leaves: the banner goes with them; back, they stop showing
  await a.goto("/w/demo");
  await expect(b.getByTestId("spotlight-banner")).toHaveCount(0, { timeout: 10_000 });
  await a.goto(url);
  await expect(a.getByTestId("spotlight-mine")).toBeVisible();
  await expect(b.getByTestId("spotlight-banner")).toBeVisible();
  await a.getByTestId("spotlight-stop").click();
  await expect(b.getByTestId("spotlight-banner")).toHaveCount(0);
  for (const p of [a, b]) {
    await jumpTo(p, 250);
    await expect(p.getByTestId("window-label")).toContainText("steps 247–");
  }

  // team notes travel both ways while B is an editor
  await a.getByTestId("notes-toggle").click();
  await b.getByTestId("notes-toggle").click();
  await a.getByTestId("notes-text").fill("Cell 2 tracks commas.");
  await expect(b.getByTestId("notes-text")).toHaveValue("Cell 2 tracks commas.");
  await b.getByTestId("notes-text").press("End");
  await b.getByTestId("notes-text").pressSequentially(" Agreed.");
  await expect(a.getByTestId("notes-text")).toHaveValue("Cell 2 tracks commas. Agreed.");

  // B becomes a VIEWER: the server closes B's socket, B rejoins read-only and is told
  await trpc(a.request, "workspace.changeRole", { workspace: "demo", userId: bId, role: "VIEWER" });
  await expect(b.getByTestId("avatar-me")).toHaveAttribute("data-role", "VIEWER", { timeout: 8000 });
  await expect(b.getByTestId("collab-notice")).toContainText("Your role in this workspace is now VIEWER");
  await expect(b.getByTestId("collab-status")).toHaveText("Live · 2 here");
  await expect(b.getByTestId("notes-text")).toHaveAttribute("readonly", "");
  await expect(b.getByTestId("notes-readonly")).toContainText("You are a viewer here");
  await expect(b.getByTestId("spotlight-show")).toBeDisabled();
  // a viewer's presence still travels
  await brush(b, 250, 252);
  await expect(a.locator(`[data-name="${B.name}"] [data-testid=presence-brush]`)).toHaveAttribute("data-from", "250");

  // a forced write: B's page edits the notes anyway (readonly removed), so B's copy of the
  // document changes and the update goes out on B's socket; the server drops it
  await b.getByTestId("notes-text").evaluate((el) => el.removeAttribute("readonly"));
  await b.getByTestId("notes-text").press("End");
  await b.getByTestId("notes-text").pressSequentially(" HACKED");
  await expect(b.getByTestId("notes-text")).toHaveValue("Cell 2 tracks commas. Agreed. HACKED"); // B's own copy changed…
  // a round trip proves the server has read that write: B's presence, sent on the same socket
  // after it, reaches A (the server handles one socket's frames in order)
  await brush(b, 253, 256);
  await expect(a.locator(`[data-name="${B.name}"] [data-testid=presence-brush]`)).toHaveAttribute("data-from", "253");
  await expect(a.getByTestId("notes-text")).toHaveValue("Cell 2 tracks commas. Agreed."); // …A's did not
  // and A's writes still reach B
  await a.getByTestId("notes-text").press("End");
  await a.getByTestId("notes-text").pressSequentially(" Next: cell 3.");
  await expect(a.getByTestId("notes-text")).toHaveValue("Cell 2 tracks commas. Agreed. Next: cell 3.");
  await expect(b.getByTestId("notes-text")).toHaveValue(/Next: cell 3\./);

  // B is removed: the socket closes within seconds and B is told why
  await trpc(a.request, "workspace.removeMember", { workspace: "demo", userId: bId });
  const closed = b.getByTestId("room-closed");
  await expect(closed).toContainText("You were removed from this workspace", { timeout: 8000 });
  await expect(closed).toContainText("revoked");
  await expect(b.getByTestId("collab-status")).toHaveText("Not connected");
  await expect(a.getByTestId(`avatar-${B.name}`)).toHaveCount(0, { timeout: 8000 });
  await expect(a.getByTestId("collab-status")).toHaveText("Live · only you here");
  await bCtx.close();
});
