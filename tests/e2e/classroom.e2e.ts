import { expect, test, type Browser, type Page } from "@playwright/test";
import { brush, importDemoProject, signInDemo } from "./helpers";

/**
 * A live class through the real app and sync server: the instructor (the demo owner) starts a
 * session from the dataset's room bar and gets a code, a link and a QR code; two guests join by
 * code (the form and the link) and one signed-in student who is not a member of the workspace;
 * students follow the presenter, one detaches and returns, the instructor brings everyone back;
 * the instructor promotes a guest to TA, who presents to the class, and makes her a student again
 * (her screen changes without a reload); guests reach the session's dataset and nothing else
 * (tRPC and the states route, directly), and none of the members' labels on it;
 * the instructor ends the session, the students are told, and the archive draws each step.
 */
const SOURCE = "states::states1";
let datasetId = "";
let otherDatasetId = "";

test.beforeAll(async () => {
  datasetId = await importDemoProject(400, "class_books");
  otherDatasetId = await importDemoProject(60, "class_other");
});

async function jumpTo(page: Page, step: number) {
  await page.getByLabel("Jump to position").fill(String(step));
  await page.getByLabel("Jump to position").press("Enter");
}

async function student(browser: Browser, width = 1440): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => {
    throw e;
  });
  return page;
}

test("instructor + three students: join by code, follow, detach/return, bring back, promote, guest scope, end, archive replay", async ({ browser, page: teacher }) => {
  test.setTimeout(420_000);
  await teacher.setViewportSize({ width: 1440, height: 1000 });
  await signInDemo(teacher);
  // the members label a range of the dataset: their label is the workspace's, not the class's
  const trpcPost = async (proc: string, input: unknown) => {
    const r = await teacher.request.post(`/api/trpc/${proc}`, { data: { json: input }, headers: { origin: new URL(teacher.url()).origin } });
    expect(r.status(), `${proc}: ${await r.text()}`).toBe(200);
    return ((await r.json()) as { result: { data: { json: { id: string } } } }).result.data.json;
  };
  const label = await trpcPost("annotation.createCategory", { workspace: "demo", datasetId, name: "tutor-label-zeta", color: "#aa3300" });
  await trpcPost("annotation.create", { workspace: "demo", datasetId, categoryId: label.id, start: 250, end: 260, note: "members only" });
  await teacher.goto(`/w/demo/datasets/${datasetId}/explore?s0=${encodeURIComponent(SOURCE)}`);
  // while the page streams in, React keeps a second, hidden copy of it (a `<div hidden>` segment)
  const start = teacher.locator("[data-testid=class-start]:visible");
  await expect(start).toBeEnabled({ timeout: 30_000 });
  await start.click();
  await expect(teacher.getByTestId("presenter-screen")).toBeVisible();
  const code = (await teacher.getByTestId("class-code-value").textContent())!.trim();
  expect(code).toMatch(/^[ACDEFGHJKMNPQRTUVWXY34679]{7}$/);
  await expect(teacher.getByTestId("class-qr").locator("svg")).toBeVisible();
  await expect(teacher.getByTestId("class-presenting")).toBeVisible();
  // the code, large for the projector, by keyboard: Enter opens it, Escape closes it, focus comes back
  await teacher.getByTestId("class-code-chip").focus();
  await teacher.keyboard.press("Enter");
  await expect(teacher.getByTestId("class-projector")).toBeVisible();
  await expect(teacher.getByTestId("class-projector-close")).toBeFocused();
  await teacher.keyboard.press("Escape");
  await expect(teacher.getByTestId("class-projector")).toHaveCount(0);
  await expect(teacher.getByTestId("class-code-chip")).toBeFocused();
  const sessionUrl = teacher.url();

  // guest 1 types the code (lower case, with a space) on /c
  const g1 = await student(browser);
  // joining is one request: the session page connects with the ticket the join answered with
  const g1Tickets: string[] = [];
  g1.on("request", (r) => {
    if (/\/api\/trpc\/[^?]*classroom\.ticket/.test(r.url())) g1Tickets.push(r.url());
  });
  await g1.goto("/c");
  await g1.getByTestId("class-code").fill(`${code.slice(0, 3).toLowerCase()} ${code.slice(3)}`);
  await g1.getByTestId("class-name").fill("Gina Guest");
  await g1.getByTestId("class-join-submit").click();
  await expect(g1.getByTestId("student-screen")).toBeVisible();
  // guest 2 opens the link (the QR code's target), on a phone
  const g2 = await student(browser, 390);
  await g2.goto(`/c/${code}`);
  await g2.getByTestId("class-name").fill("Gus Guest");
  // a join held for its turn (the server lets a crowd in at a bounded rate): the form says why it waits
  await g2.route(/\/api\/trpc\/[^?]*classroom\.join/, async (r) => {
    await new Promise((ok) => setTimeout(ok, 2500));
    await r.continue();
  });
  await g2.getByTestId("class-join-submit").click();
  await expect(g2.getByTestId("class-join-wait")).toHaveText(/Many people are joining at once/);
  await expect(g2.getByTestId("student-screen")).toBeVisible();
  await g2.unrouteAll();
  // a signed-in student with an account but no membership in the workspace
  const s3 = await student(browser);
  const email = `sam-${Date.now().toString(36)}@e2e.test`;
  await s3.goto("/signup");
  await s3.getByLabel("Name (optional)").fill("Sam Signed");
  await s3.getByLabel("Email").fill(email);
  await s3.getByLabel(/^Password/).fill("sam-password-1");
  await s3.getByRole("button", { name: "Create account" }).click();
  await expect(s3).toHaveURL(/\/w$/);
  await s3.goto(`/c/${code}`);
  await expect(s3.getByText("You join with your account.")).toBeVisible();
  await s3.getByTestId("class-join-submit").click();
  await expect(s3.getByTestId("student-screen")).toBeVisible();
  const students = [g1, g2, s3];

  // the instructor sees three students, all following; students see a count, no one else's presence
  await expect(teacher.getByTestId("class-students")).toContainText("3 students here");
  await expect(teacher.getByTestId("class-detached")).toHaveText("everyone follows");
  for (const s of students) await expect(s.getByTestId("class-audience")).toHaveText("3 in class");

  // students follow the presenter
  await jumpTo(teacher, 250);
  await expect(teacher.getByTestId("window-label")).toContainText("steps 247–");
  for (const s of students) {
    await expect(s.getByTestId("class-following")).toContainText("Following Demo researcher");
    await expect(s.getByTestId("window-label")).toContainText("steps 247–");
  }
  expect(g1Tickets).toEqual([]);
  // the presenter stays here: a view held for STEP_SETTLE_MS (800 ms) is a step of the archive's timeline
  await teacher.waitForTimeout(1_200);
  await teacher.screenshot({ path: "test-results/classroom-presenter-1440.png" });
  await g1.screenshot({ path: "test-results/classroom-student-1440.png" });
  await g2.screenshot({ path: "test-results/classroom-student-phone.png", fullPage: true });

  // Gina detaches (explores on her own), and returns in one click
  await jumpTo(g1, 40);
  await expect(g1.getByTestId("class-detached-me")).toBeVisible();
  await expect(g1.getByTestId("window-label")).toContainText("steps 37–");
  await expect(teacher.getByTestId("class-detached")).toContainText("1 exploring on their own: Gina Guest");
  await jumpTo(teacher, 300);
  await expect(g1.getByTestId("window-label")).toContainText("steps 37–"); // detached: stays
  await expect(g2.getByTestId("window-label")).toContainText("steps 297–");
  await g1.getByTestId("class-return").click();
  await expect(g1.getByTestId("window-label")).toContainText("steps 297–");
  await expect(teacher.getByTestId("class-detached")).toHaveText("everyone follows");

  // Gus and Sam detach; the instructor brings everyone back
  await jumpTo(g2, 100);
  await jumpTo(s3, 120);
  await expect(teacher.getByTestId("class-detached")).toContainText("2 exploring on their own");
  await teacher.screenshot({ path: "test-results/classroom-presenter-detached-1440.png" });
  await teacher.getByTestId("class-bring-back").click();
  for (const s of students) await expect(s.getByTestId("window-label")).toContainText("steps 297–");
  await expect(teacher.getByTestId("class-detached")).toHaveText("everyone follows");

  // the instructor makes Gina a TA from the roster: her page becomes a presenter screen, no reload
  await teacher.getByTestId("class-roster-toggle").click();
  await teacher.getByTestId("roster-Gina Guest").getByTestId("roster-promote").click();
  await expect(g1.getByTestId("presenter-screen")).toBeVisible({ timeout: 20_000 });
  await expect(g1.getByTestId("class-role-notice")).toContainText("The instructor made you a TA");
  await expect(teacher.getByTestId("roster-Gina Guest")).toContainText("ta · guest");
  // a TA presents: she takes over, the class follows her ("show us what you found")
  await expect(g1.getByTestId("class-status")).toHaveText("Live", { timeout: 20_000 });
  await g1.getByTestId("class-take-over").click();
  await expect(g1.getByTestId("class-presenting")).toBeVisible();
  await jumpTo(g1, 150);
  for (const s of [g2, s3]) {
    await expect(s.getByTestId("class-following")).toContainText("Following Gina Guest");
    await expect(s.getByTestId("window-label")).toContainText("steps 147–");
  }
  await g1.waitForTimeout(1_200); // a step of the timeline, by the TA
  await g1.screenshot({ path: "test-results/classroom-ta-1440.png" });
  // the instructor takes the presenter role back and makes Gina a student again: she follows
  await teacher.getByTestId("class-take-over").click();
  for (const s of [g2, s3]) await expect(s.getByTestId("class-following")).toContainText("Following Demo researcher");
  await teacher.getByTestId("roster-Gina Guest").getByTestId("roster-demote").click();
  await expect(g1.getByTestId("student-screen")).toBeVisible({ timeout: 20_000 });
  await expect(g1.getByTestId("class-role-notice")).toContainText("student in this class again");
  await expect(g1.getByTestId("class-following")).toContainText("Following Demo researcher");
  for (const s of students) await expect(s.getByTestId("window-label")).toContainText("steps 297–");
  await expect(teacher.getByTestId("class-detached")).toHaveText("everyone follows");

  // a task: posed by the instructor, answered by all three with their views, the aggregate appears live, then revealed
  await teacher.getByTestId("pose-prompt").fill("Brush a range where some cell switches on");
  await teacher.getByTestId("pose-submit").click();
  await expect(teacher.getByTestId("staff-answer-count")).toHaveText("0 of 3 answered");
  // the staff's page reads the tasks when the server signals stored answers (MESSAGE_SIGNAL on its
  // room's socket), not on a timer: nothing is read while nobody answers
  const staffReads: string[] = [];
  teacher.on("request", (r) => {
    if (/\/api\/trpc\/[^?]*classroom\.tasks/.test(r.url())) staffReads.push(r.url());
  });
  await teacher.waitForTimeout(2500);
  expect(staffReads, "the staff's page read the tasks with no answer stored").toEqual([]);
  const ranges: Array<[number, number]> = [[300, 304], [301, 305], [310, 313]];
  for (const [i, s] of students.entries()) {
    await expect(s.getByTestId("student-task")).toContainText("Brush a range where some cell switches on");
    await brush(s, ranges[i]![0], ranges[i]![1]);
    await expect(s.getByTestId("class-detached-me")).toBeVisible();
    // and picks cell 1 by hand (the brush's own cells depend on the data)
    await s.getByPlaceholder("add cell #").fill("1");
    await s.getByPlaceholder("add cell #").press("Enter");
    await s.getByTestId("answer-submit").click();
    await expect(s.getByTestId("my-answer")).toContainText(`tokens ${ranges[i]![0]}–${ranges[i]![1] - 1}`);
    await expect(s.getByTestId("revealed")).toHaveCount(0);
    // told, the staff's page shows each answer as it is stored
    await expect(teacher.getByTestId("staff-answer-count")).toHaveText(`${i + 1} of 3 answered`, { timeout: 3000 });
  }
  expect(staffReads.length, "the staff's page read the tasks when told").toBeGreaterThanOrEqual(3);
  await expect(teacher.getByTestId("staff-answer-count")).toHaveText("3 of 3 answered");
  await expect(teacher.getByTestId("class-aggregate")).toHaveAttribute("data-answers", "3");
  await expect(teacher.getByTestId("class-density")).toBeVisible();
  await expect(teacher.getByTestId("answer-Gina Guest")).toBeVisible();
  await expect(teacher.getByTestId("cell-bar-1")).toHaveAttribute("data-count", "3");
  await expect(teacher.getByTestId("class-agreement")).toContainText("of 3 chose the same cells");
  // an answer becomes a hypothesis of the workspace
  await teacher.getByTestId("answer-Gina Guest").getByTestId("answer-keep").click();
  await expect(teacher.getByTestId("answer-Gina Guest").getByTestId("answer-saved")).toHaveText("saved as a hypothesis");
  await teacher.screenshot({ path: "test-results/classroom-presenter-task-1440.png" });
  await teacher.getByTestId("task-reveal").click();
  for (const s of students) await expect(s.getByTestId("revealed")).toContainText("What the class answered (3)");
  await g1.screenshot({ path: "test-results/classroom-student-revealed-1440.png" });

  // spotlight one answer (anonymised) on everyone's screen: everyone back first
  await teacher.getByTestId("class-bring-back").click();
  await teacher.getByTestId("answer-Sam Signed").getByTestId("answer-spotlight").click();
  await expect(teacher.getByTestId("class-spotlighting")).toHaveText("● Everyone sees a student's answer");
  for (const s of students) {
    await expect(s.getByTestId("class-following")).toContainText("Everyone sees a student's answer");
    await expect(s.getByTestId("window-label")).toContainText("steps 302–");
  }
  await teacher.getByTestId("class-resume").click();
  for (const s of students) await expect(s.getByTestId("class-following")).toContainText("Following Demo researcher");

  // a quick poll
  await teacher.getByTestId("pose-kind").selectOption("POLL");
  await teacher.getByTestId("pose-prompt").fill("Which gate saturates first?");
  await teacher.getByTestId("pose-options").fill("input\nforget\noutput");
  await teacher.getByTestId("pose-submit").click();
  for (const [i, s] of students.entries()) {
    await expect(s.getByTestId("student-task")).toContainText("Which gate saturates first?");
    await s.getByTestId(`poll-option-${i === 2 ? 2 : 1}`).click();
    await expect(s.getByTestId("my-answer")).toBeVisible();
  }
  await expect(teacher.getByTestId("poll-bar-1")).toHaveAttribute("data-count", "2");
  await expect(teacher.getByTestId("poll-bar-2")).toHaveAttribute("data-count", "1");
  // an option nobody chose draws no bar (it drew a 2 px sliver, read as a vote)
  await expect(teacher.getByTestId("poll-bar-0")).toHaveAttribute("data-count", "0");
  expect((await teacher.getByTestId("poll-bar-0").locator(".agg-bar").boundingBox())?.width ?? 0).toBe(0);
  await teacher.getByTestId("task-reveal").click();
  await expect(g2.getByTestId("revealed").getByTestId("poll-bar-1")).toHaveAttribute("data-count", "2");
  await g2.screenshot({ path: "test-results/classroom-student-poll-phone.png", fullPage: true });

  // the members' label does not reach the class: not on a student's page, not through any read
  await expect(teacher.getByRole("checkbox", { name: /^annotations/ })).toHaveCount(1);
  for (const s of [g1, s3]) {
    await expect(s.getByRole("checkbox", { name: /^pos/ })).toHaveCount(1); // the dataset's own tracks stay
    await expect(s.getByRole("checkbox", { name: /^annotations/ })).toHaveCount(0);
  }
  const guestReads = [
    await g1.request.get(`/api/trpc/dataset.get?input=${encodeURIComponent(JSON.stringify({ json: { workspace: "demo", datasetId } }))}`),
    await g1.request.get(`/api/trpc/dataset.meta?input=${encodeURIComponent(JSON.stringify({ json: { workspace: "demo", datasetId, track: "annotations", from: 240, to: 270 } }))}`),
    await g1.request.get(`/api/trpc/dataset.windows?input=${encodeURIComponent(JSON.stringify({ json: { workspace: "demo", datasetId, source: SOURCE, cells: [0], ranges: [[240, 270]], tracks: ["annotations"] } }))}`),
    await g1.request.get(`/api/trpc/annotation.list?input=${encodeURIComponent(JSON.stringify({ json: { workspace: "demo", datasetId } }))}`),
  ];
  expect(guestReads.map((r) => r.status())).toEqual([200, 400, 400, 401]);
  for (const r of guestReads) expect(await r.text()).not.toContain("tutor-label-zeta");

  // a guest reaches the session's dataset and nothing else: tRPC and the states route, directly
  const states = (ds: string) => g1.request.get(`/api/w/demo/datasets/${ds}/states?source=${encodeURIComponent(SOURCE)}&from=0&to=4`);
  expect((await states(datasetId)).status()).toBe(200);
  expect((await states(otherDatasetId)).status()).toBe(401);
  const q = (proc: string, input: unknown) => g1.request.get(`/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`);
  expect((await q("dataset.get", { workspace: "demo", datasetId })).status()).toBe(200);
  expect((await q("dataset.get", { workspace: "demo", datasetId: otherDatasetId })).status()).toBe(401);
  expect((await q("dataset.list", { workspace: "demo" })).status()).toBe(401);
  expect((await q("hypothesis.list", { workspace: "demo", datasetId })).status()).toBe(401);
  expect((await q("comment.threads", { workspace: "demo", datasetId })).status()).toBe(401);
  expect((await q("workspace.members", { workspace: "demo" })).status()).toBe(401);
  const post = (proc: string, input: unknown) => g1.request.post(`/api/trpc/${proc}`, { data: { json: input }, headers: { origin: new URL(g1.url()).origin } });
  expect((await post("sync.token", { workspace: "demo", datasetId })).status()).toBe(401);
  expect((await post("classroom.end", { sessionId: new URL(sessionUrl).pathname.split("/").pop() })).status()).toBe(403);
  // the signed-in student is no member either: the workspace's pages refuse them
  await s3.goto(`/w/demo/datasets/${datasetId}/explore`);
  await expect(s3.getByText('you are not a member of workspace "demo"')).toBeVisible();
  await s3.goto(sessionUrl);
  await expect(s3.getByTestId("student-screen")).toBeVisible();

  // the instructor ends the session: the students are told
  teacher.once("dialog", (d) => void d.accept());
  await teacher.getByTestId("class-end").click();
  for (const s of [g1, g2, teacher]) await expect(s.getByTestId("class-ended")).toBeVisible({ timeout: 20_000 });
  expect((await states(datasetId)).status()).toBe(401);

  // the archive: a link the guests keep, which works without their (now useless) credential
  const archiveHref = (await g1.getByTestId("class-archive-link").getAttribute("href"))!;
  const reader = await student(browser);
  await reader.goto(archiveHref);
  await expect(reader.getByTestId("class-archive")).toBeVisible();
  await expect(reader.getByTestId("archive-task")).toHaveCount(2);
  // the presenter settled on token 247, then on 297: the replay walks to the last
  await expect(reader.getByTestId("archive-step")).toContainText("step 1 of");
  await expect(reader.getByTestId("archive-step-view")).toContainText("Demo researcher viewing token");
  const steps = Number(/of (\d+)/.exec((await reader.getByTestId("archive-step").textContent())!)![1]);
  expect(steps).toBeGreaterThanOrEqual(2);
  // each step is drawn as the class saw it: the window it showed (from its position), all cells' lines
  const frame = reader.getByTestId("archive-frame");
  const stepView = async () => (await reader.getByTestId("archive-step-view").textContent()) ?? "";
  const position = async () => /viewing token ([\d,]+)/.exec(await stepView())![1]!.replace(/,/g, "");
  const inked = () =>
    frame.locator("canvas").first().evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let k = 3; k < d.length; k += 4) if (d[k]! > 0) n++;
      return n;
    });
  await expect(frame).toHaveAttribute("data-step", "0");
  await expect(frame).toHaveAttribute("data-from", await position());
  await expect(frame.getByTestId("line-plot").locator("svg")).toHaveAttribute("aria-label", /^states::states1: \d+ cells over \d+ steps/);
  await expect(frame.locator(`[data-testid=token][data-step="${await position()}"]`)).toBeVisible();
  expect(await inked()).toBeGreaterThan(2000);
  // the keyboard steps through (→), to the step the TA presented, drawn from its own window
  let sawTa = false;
  for (let k = 1; k < steps && !sawTa; k++) {
    await reader.keyboard.press("ArrowRight");
    await expect(reader.getByTestId("archive-step")).toHaveText(`step ${k + 1} of ${steps}`);
    await expect(frame).toHaveAttribute("data-step", String(k));
    await expect(frame).toHaveAttribute("data-from", await position());
    sawTa = (await stepView()).startsWith("Gina Guest viewing token 147");
  }
  expect(sawTa).toBe(true);
  await expect(frame.locator('[data-testid=token][data-step="147"]')).toBeVisible();
  await reader.keyboard.press("Home");
  await expect(frame).toHaveAttribute("data-step", "0");
  await reader.getByTestId("archive-play").click();
  await expect(reader.getByTestId("archive-step")).toHaveText(`step ${steps} of ${steps}`, { timeout: 30_000 });
  await expect(reader.getByTestId("archive-step-view")).toContainText("viewing token 297 on states::states1");
  await expect(frame).toHaveAttribute("data-step", String(steps - 1));
  await expect(frame).toHaveAttribute("data-from", "297");
  expect(await inked()).toBeGreaterThan(2000);
  await reader.screenshot({ path: "test-results/classroom-archive-1440.png", fullPage: true });
  const phone = await student(browser, 390);
  await phone.goto(archiveHref);
  await expect(phone.getByTestId("archive-frame")).toHaveAttribute("data-step", "0");
  await phone.screenshot({ path: "test-results/classroom-archive-phone.png", fullPage: true });
  const csv = await reader.request.get(`${archiveHref}/answers.csv`);
  expect(csv.status()).toBe(200);
  const text = await csv.text();
  expect(text.split("\n")[0]).toBe("task,kind,question,participant,source,start,end,cells,threshold,choice,text,answered_at");
  expect(text).toContain("Gina Guest");
  expect(text).toContain("forget");
});
