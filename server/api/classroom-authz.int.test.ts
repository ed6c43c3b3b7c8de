/**
 * Classroom sessions' authorization, through every procedure and the states route: a guest's
 * session credential reaches the session's dataset (CLASSROOM_DATA) and its own session's
 * procedures, nothing else of the workspace; session roles (SESSION_ACCESS) hold; removing a
 * guest or ending the session revokes the credential at once; joins are limited per session and
 * wrong codes per address, never joins per address.
 */
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collabFixture, STEPS, type CollabFixture } from "../../tests/fixtures/collab";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { setTestEnv } from "../../tests/setup/test-env";
import { verifyClassCredential, type ClassCredential } from "../services/classroom/credential";
import { JOIN_ALPHABET, normalizeJoinCode } from "../services/classroom/codes";
import { CLASS_ROLE_RANK, type ClassRole } from "../services/classroom/schemas";
import { syncRoleOf } from "../services/classroom/sessions";
import { participantSyncRoles } from "../services/classroom/sync";
import { ARCHIVE_FRAME_STEPS, answersCsv, frameRange } from "../services/classroom/archive";
import { CLASS_SYNC_ROLES, CLASSROOM_DATA, PROCEDURE_ACCESS, SESSION_ACCESS, type ProcedurePath } from "./access";
import { createCaller } from "./root";

const SECRET = "classroom-secret-classroom-secret-cls";
const SOURCE = "states::states1";
let t: TestDatabase;
let a: CollabFixture;
let b: CollabFixture;
let session: { sessionId: string; code: string };
let restoreEnv: (() => void) | undefined;

beforeAll(async () => {
  t = await freshDatabase();
  restoreEnv = setTestEnv({ DATABASE_URL: t.url, AUTH_SECRET: SECRET });
  a = await collabFixture(t.db, "class-a");
  b = await collabFixture(t.db, "class-b");
  session = await member(a.users.owner).classroom.start({ workspace: a.ws, datasetId: a.datasetId, title: "RNNs 101" });
}, 180_000);

afterAll(async () => {
  await t?.drop();
  await a?.cleanup();
  await b?.cleanup();
  restoreEnv?.();
});

let address = 0;
const caller = (o: { userId?: string; credential?: ClassCredential | null; from?: string } = {}) =>
  createCaller({ db: t.db, pubsub: t.pubsub, actor: o.userId ? { userId: o.userId } : null, publicUrl: "http://app.test", clientAddress: o.from ?? "10.0.0.1", classroom: o.credential ?? null });
const member = (userId: string) => caller({ userId });

async function guest(name: string, code = session.code) {
  const j = await caller().classroom.join({ code, name });
  return { ...j, c: verifyClassCredential(SECRET, j.credential)!, as: caller({ credential: verifyClassCredential(SECRET, j.credential) }) };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    return e instanceof TRPCError ? e.code : `threw ${String(e)}`;
  }
}

type Caller = ReturnType<typeof createCaller>;
const call = (c: Caller, path: string, input: unknown) =>
  (path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], c) as (i: unknown) => Promise<unknown>)(input);

/** Valid inputs of the procedures a guest may call, on dataset `ds`. */
const dataInputs = (ds: string): Partial<Record<ProcedurePath, Record<string, unknown>>> => ({
  "dataset.get": { datasetId: ds },
  "dataset.tokens": { datasetId: ds, from: 0, to: 10 },
  "dataset.search": { datasetId: ds, query: "the" },
  "dataset.states": { datasetId: ds, source: SOURCE, from: 0, to: 10 },
  "dataset.meta": { datasetId: ds, track: "pos", from: 0, to: 5 },
  "dataset.windows": { datasetId: ds, source: SOURCE, cells: [0, 1], ranges: [[0, 4]], tracks: ["pos"] },
  "match.run": { datasetId: ds, source: SOURCE, cells: [0, 2], threshold: 0.3 },
});

describe("classroom sessions", () => {
  it("join codes: 7 characters without look-alikes; typed codes are normalised", () => {
    expect(session.code).toMatch(new RegExp(`^[${JOIN_ALPHABET}]{7}$`));
    for (const ch of "0O1IL5S2Z8B") expect(JOIN_ALPHABET).not.toContain(ch);
    expect(normalizeJoinCode(` ${session.code.slice(0, 3).toLowerCase()}-${session.code.slice(3)} `)).toBe(session.code);
    expect(normalizeJoinCode("ABC")).toBeNull();
  });

  it("a guest joins by code with a name and gets a signed credential for that session only", async () => {
    const g = await guest("Ada Guest");
    expect(g.role).toBe("STUDENT");
    expect(g.c.s).toBe(session.sessionId);
    const st = await g.as.classroom.state({ sessionId: session.sessionId });
    expect(st.me).toMatchObject({ name: "Ada Guest", role: "STUDENT", guest: true });
    expect(st.participants).toEqual([]); // students do not see the list
    // a forged or tampered credential is nothing
    expect(verifyClassCredential(SECRET, g.credential.replace(/.$/, (c) => (c === "A" ? "B" : "A")))).toBeNull();
    expect(verifyClassCredential("another-secret-another-secret-xx", g.credential)).toBeNull();
    expect(await code(caller().classroom.join({ code: session.code }))).toBe("BAD_REQUEST"); // a guest needs a name
  });

  it("a guest's credential reaches the session's dataset and nothing else: every procedure called as a guest", async () => {
    const g = await guest("Grace Guest");
    const wrong: string[] = [];
    const mine = await g.as.match.run({ workspace: a.ws, ...dataInputs(a.datasetId)["match.run"] } as never);
    const inputs = { ...dataInputs(a.datasetId), "match.result": { key: mine.key } };
    for (const path of Object.keys(PROCEDURE_ACCESS) as ProcedurePath[]) {
      const access = PROCEDURE_ACCESS[path];
      if (access === "public") continue;
      let want: string;
      let input: Record<string, unknown>;
      if (access === "session") {
        // their own session: students' procedures only
        const min = SESSION_ACCESS[path as keyof typeof SESSION_ACCESS] as ClassRole;
        // past the session check: answering a task that does not exist is NOT_FOUND
        want = CLASS_ROLE_RANK[min] > CLASS_ROLE_RANK.STUDENT ? "FORBIDDEN" : path === "classroom.answer" ? "NOT_FOUND" : path === "classroom.step" ? "FORBIDDEN" : "ok";
        input = { sessionId: session.sessionId, participantId: g.participantId, locked: true, taskId: "no-such-task", choice: 0, kind: "POLL", prompt: "x", options: ["a", "b"], view: { source: SOURCE, position: 0, window: 10, brush: null, padding: [0, 0], threshold: 0.3, cells: [] } };
      } else if (CLASSROOM_DATA.has(path) && inputs[path]) {
        want = "ok";
        input = { workspace: a.ws, ...inputs[path] };
      } else {
        want = "UNAUTHORIZED";
        input = { workspace: a.ws, datasetId: a.datasetId, id: "x", key: "x".repeat(64) };
      }
      const got = path === "events.onDataset" || path === "events.onInbox" ? await code(Promise.resolve(call(g.as, path, input)).then((it) => (it as AsyncIterable<unknown>)[Symbol.asyncIterator]().next())) : await code(call(g.as, path, input));
      if (got !== want) wrong.push(`${path}: ${got}, want ${want}`);
    }
    expect(wrong).toEqual([]);
    // the same procedures on another dataset of the workspace, or in another workspace, refuse it
    for (const [path, input] of Object.entries(dataInputs(a.otherDatasetId))) {
      expect(`${path}: ${await code(call(g.as, path, { workspace: a.ws, ...input }))}`).toBe(`${path}: UNAUTHORIZED`);
    }
    for (const [path, input] of Object.entries(dataInputs(b.datasetId))) {
      expect(`${path}: ${await code(call(g.as, path, { workspace: b.ws, ...input }))}`).toBe(`${path}: UNAUTHORIZED`);
    }
    // a match result of another dataset of the same workspace, by key: NOT_FOUND
    const other = await member(a.users.owner).match.run({ workspace: a.ws, ...dataInputs(a.otherDatasetId)["match.run"] } as never);
    expect(await code(g.as.match.result({ workspace: a.ws, key: other.key }))).toBe("NOT_FOUND");
    // the states route (a route handler: next-auth needs the Next runtime) is proven in tests/e2e/classroom.e2e.ts
  });

  it("a guest sees the dataset as imported: the members' annotations, hypotheses and comments reach them through no procedure", async () => {
    const owner = member(a.users.owner);
    const w = { workspace: a.ws, datasetId: a.datasetId };
    // the members' records of the session's dataset, each carrying a word no guest may read
    const cat = await owner.annotation.createCategory({ ...w, name: "secret-label-kappa", color: "#aa3300" });
    await owner.annotation.create({ ...w, categoryId: cat.id, start: 2, end: 6, note: "secret-note-kappa" });
    await owner.hypothesis.create({ ...w, name: "secret-hypothesis-kappa", source: SOURCE, start: 1, end: 4, padLeft: 0, padRight: 0, cells: [0], threshold: 0.3 });
    await owner.comment.createThread({ ...w, anchor: { kind: "range", source: SOURCE, start: 0, end: 4 }, body: "secret-comment-kappa", idempotencyKey: "class-secret-thread" });
    const mine = await owner.dataset.get(w);
    const track = mine.metaTracks.find((x) => x.labels?.some((l) => l.label === "secret-label-kappa"));
    expect(track?.name).toBe("annotations"); // members see their track
    expect((await owner.dataset.meta({ ...w, track: track!.name, from: 0, to: 8 })).data).toBeTruthy();

    const g = await guest("Nosy Guest");
    const ga = { ...w };
    const seen: string[] = [];
    const read = async (path: string, input: Record<string, unknown>) => {
      const out = await code(Promise.resolve(call(g.as, path, { ...ga, ...input })).then((o) => seen.push(`${path}: ${JSON.stringify(o)}`)));
      return out;
    };
    // every read a guest's credential reaches, with the members' track named where a read takes one
    const detail = await g.as.dataset.get(ga);
    expect(detail.metaTracks.map((x) => x.name)).toEqual(mine.metaTracks.filter((x) => x !== track).map((x) => x.name));
    expect(detail.metaTracks.length).toBeGreaterThan(0); // the imported tracks stay
    seen.push(JSON.stringify(detail));
    for (const [path, input] of Object.entries(dataInputs(a.datasetId))) expect(`${path}: ${await read(path, input)}`).toBe(`${path}: ok`);
    expect(await read("dataset.meta", { track: "annotations", from: 0, to: 8 })).toBe("BAD_REQUEST");
    expect(await read("dataset.windows", { source: SOURCE, cells: [0], ranges: [[0, 8]], tracks: ["annotations"] })).toBe("BAD_REQUEST");
    // a match's result rows read along with it (one request per click) leave the members' track out too
    const withRows = { ...w, ...dataInputs(a.datasetId)["match.run"], rows: { before: 3, after: 20, align: "start", tracks: ["annotations"] } };
    const ownerRun = await owner.match.run(withRows as never);
    expect(ownerRun).toMatchObject({ status: "done" });
    expect((ownerRun as { rows?: { windows: { tracks: unknown[] } } }).rows?.windows.tracks).toHaveLength(1); // members get it
    const guestRun = await g.as.match.run(withRows as never);
    expect(guestRun).toMatchObject({ status: "done" });
    expect(guestRun).not.toHaveProperty("rows");
    seen.push(JSON.stringify(guestRun));
    for (const path of ["hypothesis.list", "comment.threads", "annotation.list", "annotation.categories", "annotation.exportCsv"]) {
      expect(`${path}: ${await read(path, {})}`).toBe(`${path}: UNAUTHORIZED`);
    }
    // the session's own procedures and its archive carry none of it either
    seen.push(JSON.stringify(await g.as.classroom.state({ sessionId: session.sessionId })));
    seen.push(JSON.stringify(await g.as.classroom.tasks({ sessionId: session.sessionId })));
    const token = (await g.as.classroom.state({ sessionId: session.sessionId })).archivePath.split("/").pop()!;
    seen.push(JSON.stringify(await caller().classroom.archive({ token })));
    const all = seen.join("\n");
    expect(all.length).toBeGreaterThan(1000);
    expect(all).not.toMatch(/kappa/);
  });

  it("session roles: students read, TAs moderate, the instructor ends; other workspaces' members are not participants", async () => {
    const g = await guest("Student S");
    expect(await code(g.as.classroom.lock({ sessionId: session.sessionId, locked: true }))).toBe("FORBIDDEN");
    expect(await code(g.as.classroom.present({ sessionId: session.sessionId, participantId: g.participantId }))).toBe("FORBIDDEN");
    // a workspace EDITOR joins as TA; a member of another workspace as a student
    const ta = await member(a.users.editor).classroom.join({ code: session.code });
    expect(ta.role).toBe("TA");
    expect((await member(b.users.owner).classroom.join({ code: session.code })).role).toBe("STUDENT");
    expect(await code(member(a.users.viewer).classroom.state({ sessionId: session.sessionId }))).toBe("FORBIDDEN"); // not joined
    expect(await code(member(a.users.editor).classroom.end({ sessionId: session.sessionId }))).toBe("FORBIDDEN"); // TA
    expect(await code(member(a.users.editor).classroom.present({ sessionId: session.sessionId, participantId: g.participantId }))).toBe("ok");
    // the presenter (a student now) writes the shared view on the sync server; students read
    expect(await participantSyncRoles(t.db, [{ workspaceId: `class:${session.sessionId}`, userId: g.participantId }])).toEqual(["EDITOR"]);
    const staff = await member(a.users.editor).classroom.state({ sessionId: session.sessionId });
    expect(staff.presenter?.id).toBe(g.participantId);
    expect(staff.participants.map((p) => p.role)).toContain("INSTRUCTOR");
    await member(a.users.owner).classroom.present({ sessionId: session.sessionId, participantId: null });
    expect(await participantSyncRoles(t.db, [{ workspaceId: `class:${session.sessionId}`, userId: g.participantId }, { workspaceId: "class:other", userId: g.participantId }])).toEqual(["VIEWER", null]);
    for (const r of ["INSTRUCTOR", "TA", "STUDENT"] as const) expect(syncRoleOf({ id: "x", role: r }, null)).toBe(CLASS_SYNC_ROLES[r]);
    expect(syncRoleOf({ id: "x", role: "STUDENT" }, "x")).toBe(CLASS_SYNC_ROLES.presenter);
  });

  it("promote and demote: a promoted guest presents and moderates (not more), a demoted TA is a student again", async () => {
    const sid = session.sessionId;
    const owner = member(a.users.owner);
    const g = await guest("Pat Promoted");
    const other = await guest("Oli Other");
    const poll = { sessionId: sid, kind: "POLL" as const, prompt: "which?", options: ["a", "b"] };
    const syncRole = async () => (await participantSyncRoles(t.db, [{ workspaceId: `class:${sid}`, userId: g.participantId }]))[0];
    expect(await code(g.as.classroom.pose(poll))).toBe("FORBIDDEN");
    expect(await code(member(a.users.editor).classroom.promote({ sessionId: sid, participantId: g.participantId }))).toBe("FORBIDDEN"); // a TA
    await owner.classroom.promote({ sessionId: sid, participantId: g.participantId });
    const st = await g.as.classroom.state({ sessionId: sid });
    expect(st.me.role).toBe("TA");
    expect(st.participants.map((p) => p.name)).toContain("Oli Other"); // staff see who is here
    expect(await syncRole()).toBe("EDITOR"); // writes the shared view
    // a TA presents and moderates
    expect(await code(g.as.classroom.present({ sessionId: sid, participantId: g.participantId }))).toBe("ok");
    const task = await g.as.classroom.pose(poll);
    expect(await code(g.as.classroom.reveal({ sessionId: sid, taskId: task.taskId }))).toBe("ok");
    expect(await code(g.as.classroom.lock({ sessionId: sid, locked: false }))).toBe("ok");
    expect(await code(g.as.classroom.remove({ sessionId: sid, participantId: other.participantId }))).toBe("ok");
    // not the instructor's controls, and still a guest: nothing of the workspace beyond the dataset
    expect(await code(g.as.classroom.end({ sessionId: sid }))).toBe("FORBIDDEN");
    expect(await code(g.as.classroom.demote({ sessionId: sid, participantId: g.participantId }))).toBe("FORBIDDEN");
    expect(await code(g.as.dataset.list({ workspace: a.ws }))).toBe("UNAUTHORIZED");
    expect(await code(owner.classroom.promote({ sessionId: sid, participantId: g.participantId }))).toBe("CONFLICT");
    await owner.classroom.present({ sessionId: sid, participantId: null });
    await owner.classroom.demote({ sessionId: sid, participantId: g.participantId });
    expect((await g.as.classroom.state({ sessionId: sid })).me.role).toBe("STUDENT");
    expect(await syncRole()).toBe("VIEWER");
    expect(await code(g.as.classroom.pose(poll))).toBe("FORBIDDEN");
    expect(await code(owner.classroom.demote({ sessionId: sid, participantId: g.participantId }))).toBe("CONFLICT");
    const instructor = (await owner.classroom.state({ sessionId: sid })).me.id;
    expect(await code(owner.classroom.demote({ sessionId: sid, participantId: instructor }))).toBe("CONFLICT");
  });

  it("tasks: posed by staff, answered once per student (again replaces), aggregate live for staff, revealed to students; polls", async () => {
    const staff = member(a.users.owner);
    const sid = session.sessionId;
    const ann = await guest("Ann Answer");
    const bob = await guest("Bob Answer");
    expect(await code(ann.as.classroom.pose({ sessionId: sid, kind: "VIEW", prompt: "x" }))).toBe("FORBIDDEN");
    const { taskId } = await staff.classroom.pose({ sessionId: sid, kind: "VIEW", prompt: "Brush a range where a cell tracks nesting depth" });
    const answer = { sessionId: sid, taskId, source: SOURCE, range: [10, 20] as [number, number], cells: [3, 1, 3], threshold: 0.3, text: "cell 3!" };
    await ann.as.classroom.answer(answer);
    await ann.as.classroom.answer(answer); // a retried request
    await ann.as.classroom.answer({ ...answer, range: [12, 22] }); // a changed mind replaces it
    await bob.as.classroom.answer({ ...answer, range: [300, 310], cells: [1, 3], text: "" });
    expect(await code(bob.as.classroom.answer({ ...answer, range: [390, 401] }))).toBe("BAD_REQUEST");
    expect(await t.db.classAnswer.count({ where: { taskId } })).toBe(2);
    // students: their own answer, no aggregate, nobody else's answers
    let mine = (await ann.as.classroom.tasks({ sessionId: sid })).find((x) => x.id === taskId)!;
    expect(mine.mine).toMatchObject({ range: [12, 22], cells: [1, 3], text: "cell 3!" });
    expect(mine.aggregate).toBeNull();
    expect(mine.answers).toEqual([]);
    // staff: the aggregate and the list, live
    const seen = (await staff.classroom.tasks({ sessionId: sid })).find((x) => x.id === taskId)!;
    expect(seen.aggregate).toMatchObject({ answers: 2, agreement: { cells: [1, 3], count: 2 } });
    expect(seen.aggregate!.cells).toEqual([{ cell: 1, count: 2 }, { cell: 3, count: 2 }]);
    expect(seen.answers.map((x) => x.name).sort()).toEqual(["Ann Answer", "Bob Answer"]);
    expect(await code(ann.as.classroom.reveal({ sessionId: sid, taskId }))).toBe("FORBIDDEN");
    await staff.classroom.reveal({ sessionId: sid, taskId });
    mine = (await ann.as.classroom.tasks({ sessionId: sid })).find((x) => x.id === taskId)!;
    expect(mine.aggregate?.answers).toBe(2);
    expect(mine.answers).toEqual([]); // revealed as an aggregate, not as names
    // a poll
    const poll = await staff.classroom.pose({ sessionId: sid, kind: "POLL", prompt: "Which gate saturates first?", options: ["input", "forget", "output"] });
    await ann.as.classroom.answer({ sessionId: sid, taskId: poll.taskId, choice: 1 });
    await bob.as.classroom.answer({ sessionId: sid, taskId: poll.taskId, choice: 1 });
    expect(await code(bob.as.classroom.answer({ sessionId: sid, taskId: poll.taskId, choice: 3 }))).toBe("BAD_REQUEST");
    expect((await staff.classroom.tasks({ sessionId: sid })).find((x) => x.id === poll.taskId)!.aggregate!.votes).toEqual([0, 2, 0]);
    // a timed question stops taking answers when its time is up
    const timed = await staff.classroom.pose({ sessionId: sid, kind: "POLL", prompt: "quick!", options: ["a", "b"], seconds: 10 });
    expect(await code(ann.as.classroom.answer({ sessionId: sid, taskId: timed.taskId, choice: 0 }))).toBe("ok");
    await t.db.classTask.update({ where: { id: timed.taskId }, data: { closesAt: new Date(Date.now() - 1) } });
    expect(await code(bob.as.classroom.answer({ sessionId: sid, taskId: timed.taskId, choice: 0 }))).toBe("CONFLICT");
    // another session's task is not answerable from here
    const other = await staff.classroom.start({ workspace: a.ws, datasetId: a.datasetId });
    const foreign = await staff.classroom.pose({ sessionId: other.sessionId, kind: "POLL", prompt: "x", options: ["a", "b"] });
    expect(await code(ann.as.classroom.answer({ sessionId: sid, taskId: foreign.taskId, choice: 0 }))).toBe("NOT_FOUND");
    expect(await code(ann.as.classroom.answer({ sessionId: other.sessionId, taskId: foreign.taskId, choice: 0 }))).toBe("FORBIDDEN");
  });

  it("the archive: the presenter's timeline and the results behind an unguessable link; CSV once ended; a student cannot write the timeline", async () => {
    const staff = member(a.users.owner);
    const s = await staff.classroom.start({ workspace: a.ws, datasetId: a.datasetId, title: "Archive class" });
    const j = await caller().classroom.join({ code: s.code, name: "=HYPERLINK(\"x\")" });
    const g = caller({ credential: verifyClassCredential(SECRET, j.credential) });
    const v = (position: number) => ({ source: SOURCE, position, window: 60, brush: [position, position + 4] as [number, number], padding: [0, 0] as [number, number], threshold: 0.3, cells: [1, 2] });
    await staff.classroom.step({ sessionId: s.sessionId, view: v(10) });
    await t.db.classStep.updateMany({ where: { sessionId: s.sessionId }, data: { at: new Date(Date.now() - 5000) } }); // settled a while ago
    await staff.classroom.step({ sessionId: s.sessionId, view: v(20) });
    await staff.classroom.step({ sessionId: s.sessionId, view: v(25) }); // still moving: replaces the step
    expect(await code(g.classroom.step({ sessionId: s.sessionId, view: v(99) }))).toBe("FORBIDDEN");
    const hidden = await staff.classroom.pose({ sessionId: s.sessionId, kind: "POLL", prompt: "secret?", options: ["a", "b"] });
    await g.classroom.answer({ sessionId: s.sessionId, taskId: hidden.taskId, choice: 1, text: "+cmd" });
    const st = await g.classroom.state({ sessionId: s.sessionId });
    const token = st.archivePath.split("/").pop()!;
    let arch = await caller().classroom.archive({ token });
    expect(arch.steps.map((x) => x.view.position)).toEqual([10, 25]);
    expect(arch.tasks).toEqual([]); // not revealed yet, class still running
    await expect(answersCsv(t.db, token)).rejects.toThrow(/once the class has ended/);
    await staff.classroom.end({ sessionId: s.sessionId });
    arch = await caller().classroom.archive({ token });
    expect(arch.tasks.map((x) => x.aggregate.votes)).toEqual([[0, 1]]);
    const { csv } = await answersCsv(t.db, token);
    expect(csv.split("\n")[1]).toContain(`,"'=HYPERLINK(""x"")",`);
    expect(csv.split("\n")[1]).toContain(",'+cmd,");
    expect(await code(caller().classroom.archive({ token: "x".repeat(22) }))).toBe("NOT_FOUND");
    // each step is drawn from the window it showed, read by the link alone (no credential, class over)
    const frame = await caller().classroom.archiveFrame({ token, step: 1 });
    expect([frame.states.from, frame.states.to, frame.tokens.length]).toEqual([25, 85, 60]);
    const theirs = await staff.dataset.states({ workspace: a.ws, datasetId: a.datasetId, source: SOURCE, from: 25, to: 85 });
    expect(frame.states.data).toBe(theirs.data);
    expect(frame.states.cellCount).toBe(theirs.cellCount);
    expect(frame.tokens).toEqual((await staff.dataset.tokens({ workspace: a.ws, datasetId: a.datasetId, from: 25, to: 85 })).tokens);
    expect((await caller().classroom.archiveFrame({ token, step: 0 })).states.from).toBe(10);
    expect(await code(caller().classroom.archiveFrame({ token, step: 2 }))).toBe("NOT_FOUND");
    expect(await code(caller().classroom.archiveFrame({ token: "x".repeat(22), step: 0 }))).toBe("NOT_FOUND");
    // bounded: a zoomed-out view is drawn around its brush, within the source
    expect(frameRange({ position: 0, window: 100_000, brush: [5000, 5010] }, 1_000_000)).toEqual([5000 - 123, 5000 - 123 + ARCHIVE_FRAME_STEPS]);
    expect(frameRange({ position: 390, window: 60, brush: null }, STEPS)).toEqual([STEPS - 60, STEPS]);
    expect(frameRange({ position: 0, window: 900, brush: null }, STEPS)).toEqual([0, ARCHIVE_FRAME_STEPS]);
  });

  it("removing a guest, locking and ending revoke at once", async () => {
    const g = await guest("Removed R");
    await member(a.users.owner).classroom.remove({ sessionId: session.sessionId, participantId: g.participantId });
    expect(await code(g.as.classroom.state({ sessionId: session.sessionId }))).toBe("FORBIDDEN");
    expect(await code(g.as.dataset.get({ workspace: a.ws, datasetId: a.datasetId }))).toBe("UNAUTHORIZED");
    expect(await participantSyncRoles(t.db, [{ workspaceId: `class:${session.sessionId}`, userId: g.participantId }])).toEqual([null]);
    await member(a.users.owner).classroom.lock({ sessionId: session.sessionId, locked: true });
    expect(await code(caller().classroom.join({ code: session.code, name: "Late L" }))).toBe("FORBIDDEN");
    await member(a.users.owner).classroom.lock({ sessionId: session.sessionId, locked: false });
    const h = await guest("Ended E");
    const s2 = await member(a.users.owner).classroom.start({ workspace: a.ws, datasetId: a.datasetId });
    await member(a.users.owner).classroom.end({ sessionId: session.sessionId });
    expect(await code(h.as.classroom.state({ sessionId: session.sessionId }))).toBe("FORBIDDEN");
    expect(await code(h.as.dataset.get({ workspace: a.ws, datasetId: a.datasetId }))).toBe("UNAUTHORIZED");
    expect(await code(caller().classroom.join({ code: session.code, name: "After A" }))).toBe("CONFLICT");
    // a credential of one session is nothing in another
    expect(await code(h.as.classroom.state({ sessionId: s2.sessionId }))).toBe("FORBIDDEN");
    session = s2;
  });

  it("a whole class joins from one address; wrong codes from one address are limited", { timeout: 120_000 }, async () => {
    const school = "192.0.2.7";
    const joined = await Promise.all(Array.from({ length: 150 }, (_, i) => caller({ from: school }).classroom.join({ code: session.code, name: `Student ${i}` })));
    expect(new Set(joined.map((j) => j.participantId)).size).toBe(150);
    const attacker = `198.51.100.${++address}`;
    const tries: string[] = [];
    for (let i = 0; i < 105; i++) tries.push(await code(caller({ from: attacker }).classroom.join({ code: "QQQQQQQ", name: "x" })));
    expect(tries.slice(0, 100).every((c) => c === "NOT_FOUND")).toBe(true);
    expect(tries.slice(100)).toEqual(Array(5).fill("TOO_MANY_REQUESTS"));
    // once over, even the right code is refused from that address (no oracle), while the school still joins
    expect(await code(caller({ from: attacker }).classroom.join({ code: session.code, name: "x" }))).toBe("TOO_MANY_REQUESTS");
    expect(await code(caller({ from: school }).classroom.join({ code: session.code, name: "One more" }))).toBe("ok");
  });
});
