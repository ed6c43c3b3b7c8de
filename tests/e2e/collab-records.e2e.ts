import fs from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { signInDemo, brush, importDemoProject } from "./helpers";

/**
 * Team records with two people in two browser contexts: A (the demo user, OWNER of "demo") and
 * B (a VIEWER who joins by invite link). A saves a hypothesis → B's list shows it without a
 * reload; A comments on a range and @mentions B → B sees the marker above the tokens, opens the
 * thread, replies, starts and resolves a thread of their own, and finds the mention in the inbox
 * (which opens exactly the thread's own view); B cannot change hypotheses or labels (controls
 * disabled, and the server refuses a direct call); opening a hypothesis restores its view.
 */
const stamp = Date.now().toString(36);
const viewer = { email: `bea-${stamp}@e2e.test`, password: "viewer-password" };
const handle = `bea-${stamp}`;
let datasetId = "";

test.beforeAll(async () => {
  datasetId = await importDemoProject(400, "records_books");
});

const chips = (page: Page) => page.locator("[data-testid=cell-list] .chip:not(.excluded)").evaluateAll((els) => els.map((e) => e.getAttribute("data-testid")));

test("two members: hypotheses, comments with markers and mentions, labels; the viewer comments but cannot change the records", async ({ page: a, browser }) => {
  test.setTimeout(300_000);
  // A signs in and invites B as a VIEWER
  await signInDemo(a);
  await a.goto("/w/demo/members");
  await a.getByLabel("Role", { exact: true }).selectOption("VIEWER");
  await a.getByRole("button", { name: "Create invite link" }).click();
  const inviteUrl = await a.getByTestId("invite-url").inputValue();

  const ctxB = await browser.newContext({ viewport: { width: 1600, height: 1100 } });
  const b = await ctxB.newPage();
  await b.goto(new URL(inviteUrl).pathname);
  await b.getByRole("link", { name: "create an account" }).click();
  await b.getByLabel("Email").fill(viewer.email);
  await b.getByLabel(/^Password/).fill(viewer.password);
  await b.getByRole("button", { name: "Create account" }).click();
  await expect(b).toHaveURL(/\/invite\//);
  await b.getByRole("button", { name: /Join/ }).click();
  await expect(b).toHaveURL(/\/w\/demo$/);

  // both open the explorer on the same dataset
  const url = `/w/demo/datasets/${datasetId}/explore?s0=${encodeURIComponent("states::states1")}`;
  await a.setViewportSize({ width: 1600, height: 1100 });
  await a.goto(url);
  await b.goto(url);
  for (const p of [a, b]) {
    await expect(p.getByTestId("line-plot").first()).toBeVisible();
    await expect(p.getByTestId("collab-panel")).toBeVisible();
    await expect(p.getByTestId("hypotheses-empty")).toBeVisible();
    await expect(p.getByTestId("comment-lane")).toBeVisible();
  }
  await expect(b.getByTestId("readonly-banner")).toBeVisible();
  await expect(b.getByTestId("save-hypothesis")).toBeDisabled();

  // A brushes a range with selected cells and saves it as a hypothesis
  let start = 0;
  for (const s of [10, 12, 14, 16, 18, 20, 5, 8]) {
    await brush(a, s, s + 3);
    await expect(a.getByTestId("brush")).toHaveAttribute("data-from", String(s));
    if ((await a.getByTestId("selected-count").first().innerText()) !== "0 cells") {
      start = s;
      break;
    }
  }
  expect(start).toBeGreaterThan(0);
  const savedCells = await chips(a);
  expect(savedCells.length).toBeGreaterThan(0);
  await a.getByTestId("save-hypothesis").click();
  await expect(a.getByLabel("Hypothesis name")).toHaveValue(new RegExp(`${start}–${start + 2}`));
  await a.getByLabel("Hypothesis name").fill("Cells that track nesting");
  await a.getByLabel("Description").fill("They switch on inside the bracket and off after it.");
  await a.getByLabel("Tags").fill("syntax, nesting");
  await a.getByTestId("hypothesis-submit").click();
  await expect(a.getByTestId("hypothesis-item")).toHaveCount(1);

  // …and it appears in B's list without a reload
  const bItem = b.getByTestId("hypothesis-item").filter({ hasText: "Cells that track nesting" });
  await expect(bItem).toBeVisible({ timeout: 5_000 });
  await expect(bItem).toContainText("#nesting");
  await expect(bItem.getByTestId("hypothesis-edit")).toBeDisabled();
  await expect(bItem.getByRole("button", { name: "Delete" })).toBeDisabled();

  // the server refuses B's write even when called directly with B's session
  const refused = await b.request.post("/api/trpc/hypothesis.delete", { data: { json: { workspace: "demo", id: await bItem.getAttribute("data-id") } } });
  expect(refused.status()).toBe(403);

  // A comments on the brushed range and mentions B (autocomplete)
  await a.getByTestId("collab-tab-comments").click();
  await a.getByTestId("new-thread").click();
  await a.getByTestId("thread-body").fill("These cells look like a bracket counter — ");
  // all but the handle's last character: completed by the menu, and this run's B only (a retry in the
  // same database has an earlier run's B too, whose handle shares the first characters)
  await a.getByTestId("thread-body").pressSequentially(`@${handle.slice(0, -1)}`);
  await expect(a.getByTestId("mention-menu")).toContainText(handle);
  await a.getByTestId("thread-body").press("Enter");
  await expect(a.getByTestId("thread-body")).toHaveValue(new RegExp(`@${handle} $`));
  await a.getByTestId("thread-body").pressSequentially("what do you think?");
  await a.getByTestId("thread-submit").click();
  await expect(a.getByTestId("thread-view")).toContainText("bracket counter");
  await expect(a.locator(`[data-testid=comment-marker][data-from="${start}"]`)).toBeVisible();

  // B sees the marker above the tokens, live, and opens the thread from it
  const marker = b.locator(`[data-testid=comment-marker][data-from="${start}"]`);
  await expect(marker).toBeVisible({ timeout: 5_000 });
  await marker.click();
  await expect(b.getByTestId("thread-view")).toContainText("bracket counter");
  await expect(b.getByTestId("thread-view").locator(".mention")).toHaveText(`@${handle}`);
  // a viewer takes part in the discussion, but A's thread is not theirs to resolve
  await expect(b.getByTestId("thread-resolve")).toBeDisabled();
  await b.getByTestId("reply-body").fill("From the viewer: I see the same at the next bracket.");
  await b.getByTestId("reply-submit").click();
  await expect(a.getByTestId("thread-view").getByTestId("comment")).toHaveCount(2, { timeout: 5_000 });
  await expect(a.getByTestId("thread-view")).toContainText("From the viewer");
  await b.getByTestId("thread-view").getByTestId("comment").nth(1).getByRole("button", { name: "Edit" }).click();
  await b.getByLabel("Edit comment").fill("From the viewer: same at the next bracket (edited).");
  await b.getByRole("button", { name: "Save" }).click();
  await expect(a.getByTestId("thread-view")).toContainText("(edited)", { timeout: 5_000 });

  // B's inbox has the mention; opening it goes to the thread at its range and marks it read
  await expect(b.getByTestId("inbox-badge")).toHaveText("1", { timeout: 5_000 });
  await b.getByTestId("inbox-button").click();
  await expect(b.getByTestId("inbox-item")).toContainText("bracket counter");
  await b.screenshot({ path: "test-results/collab-viewer-inbox.png" });
  await b.keyboard.press("Escape");

  // a reply from A arrives in B's open thread live
  await a.getByTestId("reply-body").fill("Checked a second range: same pattern.");
  await a.getByTestId("reply-submit").click();
  await expect(b.getByTestId("thread-view").getByTestId("comment")).toHaveCount(3, { timeout: 5_000 });

  // B starts a thread of their own, and may resolve and reopen it
  await b.getByRole("button", { name: "Back to all threads" }).click();
  await brush(b, start + 20, start + 22);
  await b.getByTestId("new-thread").click();
  await b.getByTestId("thread-body").fill("A viewer's question: is this the same cell?");
  await b.getByTestId("thread-submit").click();
  await expect(b.getByTestId("thread-view")).toContainText("A viewer's question");
  await b.getByTestId("thread-resolve").click();
  await expect(b.getByTestId("thread-resolve")).toHaveText("Reopen");
  await b.getByTestId("thread-resolve").click();
  await expect(b.getByTestId("thread-resolve")).toHaveText("Resolve");
  await expect(a.locator(`[data-testid=comment-marker][data-from="${start + 20}"]`)).toBeVisible({ timeout: 5_000 });

  // B moves away, then opens the mention: exactly the view the thread's own "show in view" opens
  // (the range, its cells pinned, the padding)
  await b.goto(`/w/demo/datasets/${datasetId}/explore?s0=${encodeURIComponent("states::states1")}&pos=200&pad=2,1`);
  await b.getByTestId("inbox-button").click();
  await b.getByTestId("inbox-item").first().click();
  await expect(b.getByTestId("brush")).toHaveAttribute("data-from", String(start));
  await expect(b.getByTestId("thread-view")).toContainText("bracket counter");
  await expect(b.getByTestId("inbox-badge")).toHaveCount(0);
  const viewOf = (u: string) => {
    const q = new URL(u).searchParams;
    return { b: q.get("b"), c0: q.get("c0"), pad: q.get("pad"), s0: q.get("s0"), t0: q.get("t0") };
  };
  await expect.poll(() => viewOf(b.url()).c0).not.toBeNull();
  const fromInbox = viewOf(b.url());
  expect(fromInbox.b).toBe(`${start}-${start + 3}`);
  await b.getByTestId("thread-show").click();
  await expect.poll(() => viewOf(b.url())).toEqual(fromInbox);
  await expect.poll(async () => (await chips(b)).length).toBe(fromInbox.c0!.split(",").length);

  // A labels the range; the "annotations" track shows it, and B can turn it on and see it
  await a.getByTestId("collab-tab-annotations").click();
  await a.getByTestId("annotation-category").fill("bracket body");
  await a.getByTestId("annotation-submit").click();
  await expect(a.getByTestId("annotation-item")).toHaveCount(1);
  await expect(a.getByTestId("track-annotations")).toContainText(`annotations @ ${start}: bracket body`);
  await b.getByTestId("collab-tab-annotations").click();
  await expect(b.getByTestId("annotation-item")).toContainText("bracket body", { timeout: 5_000 });
  await expect(b.getByTestId("annotation-form")).toHaveCount(0);
  await b.getByTestId("toggle-annotation-track").check();
  await expect(b.getByTestId("track-annotations")).toBeVisible();
  // a new label of A's reaches B's track live
  await brush(a, start + 6, start + 8);
  await a.getByTestId("annotation-category").fill("second label");
  await a.getByTestId("annotation-submit").click();
  // stored (A's own list has it) before asking whether it reached B live: a failure names which
  await expect(a.getByTestId("annotation-item")).toHaveCount(2);
  await expect(b.getByTestId("track-annotations")).toContainText(`annotations @ ${start + 6}: second label`, { timeout: 5_000 });

  // opening the hypothesis restores its view: range, padding, threshold and the same cells
  await b.goto(`/w/demo/datasets/${datasetId}/explore?s0=${encodeURIComponent("states::states1")}&pos=250&t0=0.9`);
  // loaded, and without a brush (before the plot is there, "no brush" proves nothing)
  await expect(b.locator("[data-testid=token][data-step='250']")).toBeVisible();
  await expect(b.getByTestId("brush")).toHaveCount(0);
  await b.getByTestId("collab-tab-hypotheses").click();
  await b.getByTestId("hypothesis-item").filter({ hasText: "Cells that track nesting" }).getByRole("button", { name: "Open" }).click();
  await expect(b.getByTestId("brush")).toHaveAttribute("data-from", String(start));
  await expect(b.getByTestId("brush")).toHaveAttribute("data-to", String(start + 3));
  await expect(b.getByTestId("threshold-input-0")).toHaveValue("0.300");
  await expect.poll(() => chips(b)).toEqual(savedCells);
  // saved from a plain brush, it reopens as one (the rule gives the same cells), not pinned
  await expect(b.getByText("pinned · re-select from brush")).toHaveCount(0);
  await expect(b.getByTestId("hypothesis-item").first()).toHaveClass(/current/);
  await b.screenshot({ path: "test-results/collab-viewer.png", fullPage: true });
  await a.screenshot({ path: "test-results/collab-editor.png", fullPage: true });
  await ctxB.close();
});

test("an editor's records: edit with history, tag filter, a retried reply posts once, resolve, CSV import errors, delete", async ({ page }) => {
  test.setTimeout(150_000);
  await page.setViewportSize({ width: 1600, height: 1100 });
  await signInDemo(page);
  await page.goto(`/w/demo/datasets/${datasetId}/explore?s0=${encodeURIComponent("states::states1")}&pos=40`);
  await expect(page.getByTestId("line-plot").first()).toBeVisible();

  let start = 0;
  for (const s of [44, 46, 48, 50, 52, 54, 56, 58]) {
    await brush(page, s, s + 2);
    await expect(page.getByTestId("brush")).toHaveAttribute("data-from", String(s));
    if ((await page.getByTestId("selected-count").first().innerText()) !== "0 cells") {
      start = s;
      break;
    }
  }
  expect(start).toBeGreaterThan(0);

  // run a match, then save with its results frozen; edit: the list shows v2, the history keeps v1
  await page.getByTestId("run-fast").click();
  await expect(page.getByTestId("match-results")).toBeVisible();
  await page.getByTestId("save-hypothesis").click();
  await expect(page.getByTestId("freeze-results")).toBeChecked();
  await page.getByLabel("Hypothesis name").fill("Draft idea");
  await page.getByLabel("Tags").fill("draft");
  await page.getByLabel("Hypothesis name").press("Enter");
  const item = page.getByTestId("hypothesis-item").filter({ hasText: "Draft idea" });
  await expect(item).toBeVisible();
  await item.getByTestId("hypothesis-edit").click();
  await item.getByLabel("Hypothesis name").fill("Refined idea");
  await item.getByRole("button", { name: "Save changes" }).click();
  const refined = page.getByTestId("hypothesis-item").filter({ hasText: "Refined idea" });
  await expect(refined).toContainText("v2");
  await expect(refined.getByTestId("hypothesis-history")).toContainText("“Draft idea”");
  await expect(refined).toContainText("frozen results");
  await expect(refined.getByTestId("frozen-results")).toContainText("ranges");
  expect(await refined.getByTestId("frozen-results").locator(".hit").count()).toBeGreaterThan(0);
  await page.getByLabel("Filter by tag").selectOption("draft");
  await expect(page.getByTestId("hypothesis-item")).toHaveCount(1);
  await page.getByLabel("Filter by tag").selectOption("");

  // a thread on the hypothesis itself
  await refined.getByRole("button", { name: "Comment", exact: true }).click();
  await expect(page.getByTestId("thread-form")).toContainText("New thread on “Refined idea”");
  await page.getByTestId("thread-body").fill("Is this the same as the bracket counter?");
  await page.getByTestId("thread-submit").click();
  await expect(page.getByTestId("thread-view")).toContainText("on “Refined idea”");
  await page.getByTestId("collab-tab-hypotheses").click();
  await expect(refined.getByRole("button", { name: "1 thread" })).toBeVisible();

  // a reply whose response is lost is retried with the same idempotency key: it appears once
  await page.getByTestId("collab-tab-comments").click();
  await page.getByRole("button", { name: "Back to all threads" }).click();
  await page.getByTestId("new-thread").click();
  await page.getByTestId("thread-body").fill("First look at this range.");
  await page.getByTestId("thread-submit").click();
  await expect(page.getByTestId("thread-view")).toContainText("First look");
  let lost = 0;
  await page.route("**/api/trpc/comment.reply*", async (route) => {
    await route.fetch(); // the server commits the reply…
    lost++;
    await route.abort("connectionreset"); // …but the browser never hears back
  });
  await page.getByTestId("reply-body").fill("Posted exactly once.");
  await page.getByTestId("reply-submit").click();
  await expect(page.getByTestId("thread-view").locator(".error")).toContainText("Not posted");
  expect(lost).toBe(1);
  await page.unroute("**/api/trpc/comment.reply*");
  await page.getByTestId("reply-submit").click();
  await expect(page.getByTestId("reply-body")).toHaveValue("");
  await expect(page.getByTestId("thread-view").getByTestId("comment")).toHaveCount(2);
  await page.reload();
  await page.locator(`[data-testid=comment-marker][data-from="${start}"]`).click();
  await expect(page.getByTestId("thread-view").getByTestId("comment")).toHaveCount(2);
  await expect(page.getByTestId("thread-view").getByText("Posted exactly once.")).toHaveCount(1);

  // edit own comment; resolve and reopen
  const first = page.getByTestId("thread-view").getByTestId("comment").first();
  await first.getByRole("button", { name: "Edit" }).click();
  await first.getByLabel("Edit comment").fill("First look at this range (edited).");
  await first.getByRole("button", { name: "Save" }).click();
  await expect(first).toContainText("(edited)");
  await expect(first).toContainText("· edited");
  await page.getByTestId("thread-resolve").click();
  await expect(page.getByTestId("thread-resolve")).toHaveText("Reopen");
  await expect(page.locator(`[data-testid=comment-marker][data-from="${start}"]`)).toHaveClass(/resolved/);
  await page.getByTestId("thread-resolve").click();
  await expect(page.getByTestId("thread-resolve")).toHaveText("Resolve");

  // CSV import: a bad file names its lines and imports nothing; a good one imports; export downloads
  await page.getByTestId("collab-tab-annotations").click();
  const before = await page.getByTestId("annotation-item").count();
  await page.getByTestId("annotations-file").setInputFiles({ name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from("start,end,category\n1,5,noun\n9,3,verb\nx,2,foo\n") });
  await expect(page.getByTestId("import-errors")).toContainText("line 3, column end");
  await expect(page.getByTestId("import-errors")).toContainText("line 4, column start");
  await expect(page.getByTestId("annotation-item")).toHaveCount(before);
  const rows = Array.from({ length: 27 }, (_, i) => `${100 + i * 10},${104 + i * 10},${i % 2 ? "verb" : "noun phrase"},,`);
  // a new category with its own colour
  const good = ["start,end,category,color,note", "60,64,noun phrase,,from a csv", "70,72,verb,,", "80,83,idiom,#00aa55,", ...rows].join("\n");
  await page.getByTestId("annotations-file").setInputFiles({ name: "good.csv", mimeType: "text/csv", buffer: Buffer.from(good) });
  await expect(page.getByTestId("import-result")).toContainText("Imported 30 labels");
  await expect(page.getByTestId("annotation-item")).toHaveCount(before + 30);
  // the track draws it in that colour
  await page.getByTestId("toggle-annotation-track").check();
  await page.getByLabel("Jump to position").fill("80");
  await page.getByLabel("Jump to position").press("Enter");
  const idiom = page.getByTestId("track-annotations").locator("g", { has: page.locator("title", { hasText: "annotations @ 80: idiom" }) });
  await expect(idiom.locator("rect")).toHaveAttribute("fill", "#00aa55");
  const download = page.waitForEvent("download");
  await page.getByTestId("annotations-export").click();
  const file = await (await download).path();
  expect(fs.readFileSync(file, "utf8")).toContain("noun phrase");
  // a long list scrolls inside the panel and leaves the explorer's layout alone
  // (the canvas, then the analysis tools, then the Match view, each right below the one before)
  const canvas = (await page.locator(".explorer-canvas").boundingBox())!;
  const tools = (await page.getByTestId("analysis-tools").boundingBox())!;
  const match = (await page.getByTestId("match-view").boundingBox())!;
  expect(tools.y - (canvas.y + canvas.height)).toBeLessThan(20);
  expect(match.y - (tools.y + tools.height)).toBeLessThan(20);
  await page.screenshot({ path: "test-results/collab-labels.png", fullPage: true });

  // delete the hypothesis (after a confirmation)
  await page.getByTestId("collab-tab-hypotheses").click();
  await refined.getByTestId("hypothesis-delete").click();
  await refined.getByTestId("hypothesis-delete-confirm").click();
  await expect(page.getByTestId("hypothesis-item").filter({ hasText: "Refined idea" })).toHaveCount(0);
});
