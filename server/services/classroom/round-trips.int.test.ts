/**
 * A whole class joins and answers within seconds (issue 18: 1,000 joined ≤ 5 s, 1,000 answers ≤ 2 s),
 * so a guest's hot requests are counted in statements sent to PostgreSQL — each one is a round trip
 * through a shared pool, and Prisma's nested selects and upserts were several each — and they stay
 * exact under a whole class at once: one answer per student (a retry or a changed mind replaces it)
 * and an aggregate that counts each student's last answer.
 */
import pg from "pg";
import WebSocket from "ws";
import { COLLAB_SCHEMA_VERSION } from "@statescope/collab";
import { describe, expect, it } from "vitest";
import { classDatabase } from "../../../tests/setup/class-database";
import { createTestSyncServer } from "../../../tests/setup/sync-server";
import { createCaller } from "../../api/root";
import { aggregateAnswers } from "./aggregate";
import { ANSWER_BATCH, LISTED_ANSWERS } from "./tasks";
import { verifyClassCredential } from "./credential";

const SECRET = "classroom-round-trips-secret-round-trips";
const cls = classDatabase(SECRET, "round-trips");

const caller = (o: { userId?: string; credential?: string; from?: string } = {}) =>
  createCaller({
    db: cls.t.db,
    pubsub: cls.t.pubsub,
    actor: o.userId ? { userId: o.userId } : null,
    publicUrl: "http://app.test",
    clientAddress: o.from ?? "192.0.2.10",
    classroom: o.credential ? verifyClassCredential(SECRET, o.credential) : null,
  });

/**
 * Statements sent to PostgreSQL (by Prisma or node-postgres) while `run` runs; nothing else runs
 * meanwhile. Not the staff's signal after answers commit (one pg_notify per session at most every
 * SIGNAL_MS, sent after the answer is acknowledged: no answer waits for it).
 */
async function statements<T>(run: () => Promise<T>): Promise<{ result: T; count: number; sent: string[] }> {
  const original = pg.Client.prototype.query;
  const sent: string[] = [];
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string };
    if (typeof q === "object" && q?.text === "select pg_notify($1, $2)") return (original as (...a: unknown[]) => unknown).apply(this, args);
    sent.push((typeof q === "string" ? q : (q?.text ?? "?")).replace(/\s+/g, " ").slice(0, 80));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    const result = await run();
    return { result, count: sent.length, sent };
  } finally {
    pg.Client.prototype.query = original;
  }
}

describe("a class joining and answering at once", () => {
  it("a guest's join is one statement, a ticket one, an answer one (participant, task and upsert)", async () => {
    const s = await caller({ userId: cls.owner }).classroom.start(cls.dataset);
    const { taskId } = await caller({ userId: cls.owner }).classroom.pose({ sessionId: s.sessionId, kind: "VIEW", prompt: "Brush a range" });
    const join = await statements(() => caller().classroom.join({ code: s.code, name: "Ada" }));
    expect(join.sent).toHaveLength(1);
    const as = caller({ credential: join.result.credential });
    const ticket = await statements(() => as.classroom.ticket({ sessionId: s.sessionId }));
    expect(ticket.sent).toHaveLength(1);
    expect(ticket.result).toMatchObject({ room: `class:${s.sessionId}`, role: "VIEWER", user: { id: join.result.participantId, name: "Ada" } });
    const answer = { sessionId: s.sessionId, taskId, source: "states::states1", range: [10, 20] as [number, number], cells: [3, 1, 3], threshold: 0.3, text: "cell 3" };
    const first = await statements(() => as.classroom.answer(answer));
    expect(first.sent).toHaveLength(1);
    expect(first.result).toMatchObject({ participantId: join.result.participantId, name: "Ada", range: [10, 20], cells: [1, 3], threshold: 0.3, choice: null, text: "cell 3", source: "states::states1" });
    // a retried request and a changed mind: still one row, the same id, the last answer
    const again = await statements(() => as.classroom.answer({ ...answer, range: [12, 30] }));
    expect(again.sent).toHaveLength(1);
    expect(again.result.id).toBe(first.result.id);
    const rows = await cls.t.db.classAnswer.findMany({ where: { taskId }, select: { start: true, end: true, cells: true, text: true } });
    expect(rows).toEqual([{ start: 12, end: 30, cells: [1, 3], text: "cell 3" }]);
    // an unknown code is still refused (and counted against the network: a second statement)
    const miss = await statements(() => caller({ from: "198.51.100.77" }).classroom.join({ code: "QQQQQQQ", name: "x" }).catch((e: Error) => e.message));
    expect(miss.result).toMatch(/no class session has the code/);
    expect(miss.sent).toHaveLength(2);
  });

  it("a guest joins in one request: the join answers with the first sync ticket, and the sync server admits it", async () => {
    const s = await caller({ userId: cls.owner }).classroom.start(cls.dataset);
    const sync = createTestSyncServer(cls.t.url, SECRET);
    const port = await sync.listen(0, "127.0.0.1");
    try {
      // (its statements are counted above: one; the sync server's own queries run meanwhile here)
      const join = { result: await caller().classroom.join({ code: s.code, name: "Grace" }) };
      expect(join.result.ticket).toMatchObject({ room: `class:${s.sessionId}`, role: "VIEWER", user: { id: join.result.participantId, name: "Grace" } });
      // the socket opens with the join's answer alone: no `classroom.ticket` request in between
      const first = await new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/${encodeURIComponent(join.result.ticket.room)}?token=${encodeURIComponent(join.result.ticket.token)}&v=${COLLAB_SCHEMA_VERSION}`);
        ws.once("message", () => (resolve("admitted"), ws.close()));
        ws.once("close", (code, reason) => resolve(`closed ${code} ${reason.toString()}`));
      });
      expect(first).toBe("admitted");
    } finally {
      await sync.close();
    }
  });

  it("300 guests join and answer at once, each twice: one answer each, the last one, and the aggregate counts exactly those", { timeout: 120_000 }, async () => {
    const staff = caller({ userId: cls.owner });
    const s = await staff.classroom.start(cls.dataset);
    const poll = await staff.classroom.pose({ sessionId: s.sessionId, kind: "POLL", prompt: "Which gate?", options: ["input", "forget", "output"] });
    const view = await staff.classroom.pose({ sessionId: s.sessionId, kind: "VIEW", prompt: "Brush a range" });
    const n = 300;
    const guests = await Promise.all(Array.from({ length: n }, (_, i) => caller().classroom.join({ code: s.code, name: `Student ${i}` })));
    expect(new Set(guests.map((g) => g.participantId)).size).toBe(n);
    // one set of cells a fifth of the class agrees on, the others (at most 4 alike) around it
    const last = (i: number) => ({ start: (i * 7) % 900, end: ((i * 7) % 900) + 5 + (i % 40), cells: i % 5 === 0 ? [3, 1] : [i % 11, 20 + (i % 7)], choice: i % 3 });
    await Promise.all(
      guests.map(async (g, i) => {
        const as = caller({ credential: g.credential });
        // a first answer, then the changed mind (sent twice: a retry)
        await as.classroom.answer({ sessionId: s.sessionId, taskId: view.taskId, source: "states::states1", range: [0, 1], cells: [99], threshold: 0.5 });
        await as.classroom.answer({ sessionId: s.sessionId, taskId: poll.taskId, choice: (i + 1) % 3 });
        const l = last(i);
        const final = { sessionId: s.sessionId, taskId: view.taskId, source: "states::states1", range: [l.start, l.end] as [number, number], cells: l.cells, threshold: 0.3 };
        await Promise.all([as.classroom.answer(final), as.classroom.answer(final), as.classroom.answer({ sessionId: s.sessionId, taskId: poll.taskId, choice: l.choice })]);
      }),
    );
    expect(await cls.t.db.classAnswer.count({ where: { taskId: view.taskId } })).toBe(n);
    expect(await cls.t.db.classAnswer.count({ where: { taskId: poll.taskId } })).toBe(n);
    const tasks = await staff.classroom.tasks({ sessionId: s.sessionId });
    const expectedView = aggregateAnswers(
      guests.map((_, i) => ({ start: last(i).start, end: last(i).end, cells: last(i).cells, choice: null })),
      { steps: 1000 },
    );
    const expectedPoll = aggregateAnswers(
      guests.map((_, i) => ({ start: null, end: null, cells: [], choice: last(i).choice })),
      { steps: 1000, options: 3 },
    );
    expect(tasks.find((x) => x.id === view.taskId)!.aggregate).toEqual(expectedView);
    expect(tasks.find((x) => x.id === poll.taskId)!.aggregate).toEqual(expectedPoll);
    // the staff's list carries the first LISTED_ANSWERS (what their panel shows), in the order they came
    const listed = tasks.find((x) => x.id === view.taskId)!.answers;
    const firstIds = (await cls.t.db.classAnswer.findMany({ where: { taskId: view.taskId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], take: LISTED_ANSWERS, select: { id: true } })).map((a) => a.id);
    expect(listed.map((a) => a.id)).toEqual(firstIds);
  });
  it("a class's answers at once share statements (one per batch, committed before any is acknowledged), each exactly as if alone", { timeout: 120_000 }, async () => {
    const staff = caller({ userId: cls.owner });
    const s = await staff.classroom.start(cls.dataset);
    const { taskId } = await staff.classroom.pose({ sessionId: s.sessionId, kind: "VIEW", prompt: "Brush a range" });
    const n = 200;
    const guests = await Promise.all(Array.from({ length: n }, (_, i) => caller().classroom.join({ code: s.code, name: `Student ${i}` })));
    const sent = await statements(() =>
      Promise.all(guests.map((g, i) => caller({ credential: g.credential }).classroom.answer({ sessionId: s.sessionId, taskId, source: "states::states1", range: [i, i + 3], cells: [i % 5, 7, i % 5], threshold: 0.25 }))),
    );
    // one statement per answer was 200 round trips and 200 commits through a pool of 10
    expect(sent.count).toBeLessThanOrEqual(4);
    expect(n).toBeLessThanOrEqual(ANSWER_BATCH);
    sent.result.forEach((r, i) => expect(r).toMatchObject({ participantId: guests[i]!.participantId, name: `Student ${i}`, range: [i, i + 3], cells: [...new Set([i % 5, 7])].sort((a, b) => a - b), threshold: 0.25 }));
    // acknowledged = stored: every answer is in the table when its request resolves
    const rows = await cls.t.db.classAnswer.findMany({ where: { taskId }, select: { id: true, participantId: true, start: true } });
    expect(rows).toHaveLength(n);
    expect(new Map(rows.map((r) => [r.id, r.participantId]))).toEqual(new Map(sent.result.map((r) => [r.id, r.participantId])));
  });

  it("an answer its statement refuses fails alone: the others sent with it are stored", { timeout: 60_000 }, async () => {
    const staff = caller({ userId: cls.owner });
    const s = await staff.classroom.start(cls.dataset);
    const { taskId } = await staff.classroom.pose({ sessionId: s.sessionId, kind: "VIEW", prompt: "Brush a range" });
    const guests = await Promise.all(Array.from({ length: 20 }, (_, i) => caller().classroom.join({ code: s.code, name: `Student ${i}` })));
    // a cell beyond PostgreSQL's integer: the schema lets it through, the statement refuses it
    const results = await Promise.allSettled(
      guests.map((g, i) => caller({ credential: g.credential }).classroom.answer({ sessionId: s.sessionId, taskId, source: "states::states1", range: [1, 5], cells: i === 7 ? [2 ** 31] : [i], threshold: 0.5 })),
    );
    expect(results.map((r) => r.status)).toEqual(guests.map((_, i) => (i === 7 ? "rejected" : "fulfilled")));
    expect(await cls.t.db.classAnswer.count({ where: { taskId } })).toBe(19);
  });

  it("the staff's task list carries each task's times as stored (instants, whatever the server's time zone)", async () => {
    const staff = caller({ userId: cls.owner });
    const s = await staff.classroom.start(cls.dataset);
    const { taskId } = await staff.classroom.pose({ sessionId: s.sessionId, kind: "POLL", prompt: "Which gate?", options: ["input", "forget"], seconds: 90 });
    await staff.classroom.reveal({ sessionId: s.sessionId, taskId });
    const [listed] = await staff.classroom.tasks({ sessionId: s.sessionId });
    const stored = await cls.t.db.classTask.findUniqueOrThrow({ where: { id: taskId }, select: { closesAt: true, revealedAt: true, createdAt: true } });
    expect({ closesAt: listed!.closesAt, createdAt: listed!.createdAt, revealed: listed!.revealed, students: listed!.students }).toEqual({ closesAt: stored.closesAt, createdAt: stored.createdAt, revealed: true, students: 0 });
    expect(Math.abs(listed!.closesAt!.getTime() - Date.now() - 90_000)).toBeLessThan(10_000);
  });
});
