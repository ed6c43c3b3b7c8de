/**
 * A whole class joins at once (issue 18: 1,000 joined ≤ 5 s): the joins that arrive together
 * share one statement and one commit (sessions.ts JOINS, server/db/batcher.ts), and what one join
 * by itself guaranteed still holds for each in the group: its own participant, committed before it
 * is answered; the per-session limit exact under the burst; locked and ended sessions and a
 * network over its unknown-code limit refused, each caller with its own answer; a statement that
 * fails fails its callers with an error and leaves none of their participants behind.
 */
import pg from "pg";
import { describe, expect, it } from "vitest";
import { classDatabase } from "../../../tests/setup/class-database";
import { createCaller } from "../../api/root";
import { LIMITS } from "../rate-limits";
import { verifyClassCredential } from "./credential";
import { findParticipant } from "./sessions";

const SECRET = "classroom-joins-secret-classroom-joins-secret";
// unpaced (join-pacer.ts admits every join at once): bursts as they reach the statement when joins do
// arrive together — a tick's worth of a paced class, several web processes, or CLASS_JOIN_RATE=0
const cls = classDatabase(SECRET, "joins", 1000, { CLASS_JOIN_RATE: "0" });

const caller = (from = "192.0.2.10") => createCaller({ db: cls.t.db, pubsub: cls.t.pubsub, actor: null, publicUrl: "http://app.test", clientAddress: from, classroom: null });
const staff = () => createCaller({ db: cls.t.db, pubsub: cls.t.pubsub, actor: { userId: cls.owner }, publicUrl: "http://app.test", clientAddress: "192.0.2.1", classroom: null });
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: { code?: string }) => e.code ?? String(e),
  );

/** Join statements sent to PostgreSQL while `run` runs (node-postgres' query, as every pool connection sends it). */
async function joinStatements<T>(run: () => Promise<T>): Promise<{ result: T; count: number }> {
  const original = pg.Client.prototype.query;
  let count = 0;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as { name?: string } | string;
    if (typeof q === "object" && q?.name?.startsWith("class-join")) count++;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    return { result: await run(), count };
  } finally {
    pg.Client.prototype.query = original;
  }
}

/**
 * Connections of their own (not the app's pool): what they see is committed. A pool, not one
 * client: each answered join is checked at once, not queued behind the others' checks on one
 * connection (which node-postgres deprecates, and which would check later than the answer).
 */
async function outside<T>(run: (c: pg.Pool) => Promise<T>): Promise<T> {
  const c = new pg.Pool({ connectionString: cls.t.url, max: 10 });
  try {
    return await run(c);
  } finally {
    await c.end();
  }
}

describe("a class joining at once", () => {
  it("400 guests at once share a few statements; each gets its own participant, committed before its answer", { timeout: 120_000 }, async () => {
    const s = await staff().classroom.start(cls.dataset);
    const n = 400;
    const seen = await outside(async (c) => {
      const visible: boolean[] = [];
      const { result, count } = await joinStatements(() =>
        Promise.all(
          Array.from({ length: n }, async (_, i) => {
            const j = await caller().classroom.join({ code: s.code, name: `Student ${i}` });
            // the moment it is answered, another connection sees it: committed, not just sent
            const r = await c.query<{ name: string }>(`select name from "ClassParticipant" where id = $1`, [j.participantId]);
            visible.push(r.rows[0]?.name === `Student ${i}`);
            return j;
          }),
        ),
      );
      // one statement per join was 400; grouped, the burst needs a handful
      expect(count).toBeLessThanOrEqual(20);
      expect(new Set(result.map((j) => j.participantId)).size).toBe(n);
      return { visible, joined: result };
    });
    expect(seen.visible.filter((v) => !v)).toEqual([]);
    // each credential names its own participant, with the name that caller gave
    const names = await Promise.all(seen.joined.map(async (j) => (await findParticipant(cls.t.db, { userId: null, credential: verifyClassCredential(SECRET, j.credential) }, s.sessionId))?.name));
    expect(names).toEqual(Array.from({ length: n }, (_, i) => `Student ${i}`));
    expect(seen.joined.every((j) => j.role === "STUDENT" && j.ticket.user.id === j.participantId)).toBe(true);
  });

  it("the per-session limit holds exactly under a burst: the first to arrive join, the rest are refused", { timeout: 120_000 }, async () => {
    const s = await staff().classroom.start(cls.dataset);
    const room = 40;
    // the session is `room` joins short of its limit (the instructor's own row counts too)
    await cls.t.db.$executeRawUnsafe(
      `insert into "ClassParticipant" (id, "sessionId", name, role) select 'pre' || g || $1::text, $1, 'Earlier ' || g, 'STUDENT' from generate_series(1, $2::int) g`,
      s.sessionId,
      LIMITS.classJoinSession.points - room - 1,
    );
    const results = await Promise.all(Array.from({ length: 150 }, (_, i) => outcome(caller().classroom.join({ code: s.code, name: `Late ${i}` }))));
    expect(results.filter((r) => r === "ok")).toHaveLength(room);
    expect(results.filter((r) => r === "TOO_MANY_REQUESTS")).toHaveLength(150 - room);
    expect(await cls.t.db.classParticipant.count({ where: { sessionId: s.sessionId } })).toBe(LIMITS.classJoinSession.points);
  });

  it("one burst to a locked, an ended and an open session, and from a network over its unknown-code limit: each caller gets its own answer", { timeout: 120_000 }, async () => {
    const [locked, ended, open] = [await staff().classroom.start(cls.dataset), await staff().classroom.start(cls.dataset), await staff().classroom.start(cls.dataset)];
    await staff().classroom.lock({ sessionId: locked.sessionId, locked: true });
    await staff().classroom.end({ sessionId: ended.sessionId });
    const guesser = "198.51.100.9";
    for (let i = 0; i < LIMITS.classJoinMissAddress.points; i++) expect(await outcome(caller(guesser).classroom.join({ code: "QQQQQQQ", name: "x" }))).toBe("NOT_FOUND");
    const burst = Array.from({ length: 200 }, (_, i) => {
      const kind = (["locked", "ended", "open", "unknown", "guesser"] as const)[i % 5]!;
      const code = { locked: locked.code, ended: ended.code, open: open.code, unknown: "ZZZZZZZ", guesser: open.code }[kind];
      return { kind, p: outcome(caller(kind === "guesser" ? guesser : `192.0.2.${i % 50}`).classroom.join({ code, name: `${kind} ${i}` })) };
    });
    const got = await Promise.all(burst.map(async (b) => `${b.kind}: ${await b.p}`));
    const want = { locked: "FORBIDDEN", ended: "CONFLICT", open: "ok", unknown: "NOT_FOUND", guesser: "TOO_MANY_REQUESTS" };
    expect(got).toEqual(burst.map((b) => `${b.kind}: ${want[b.kind]}`));
    const counts = await cls.t.db.classParticipant.groupBy({ by: ["sessionId"], where: { sessionId: { in: [locked.sessionId, ended.sessionId, open.sessionId] } }, _count: true });
    expect(Object.fromEntries(counts.map((c) => [c.sessionId, c._count]))).toEqual({ [locked.sessionId]: 1, [ended.sessionId]: 1, [open.sessionId]: 41 });
  });

  it("a join statement that fails fails only the callers whose own join fails, each with an error, and leaves none of their participants", { timeout: 120_000 }, async () => {
    const s = await staff().classroom.start(cls.dataset);
    // a row PostgreSQL refuses (as a constraint would): the grouped statement fails as a whole
    await cls.t.db.$executeRawUnsafe(`create function refuse_doomed() returns trigger language plpgsql as $$ begin if new.name like 'Doomed%' then raise exception 'refused %', new.name; end if; return new; end $$`);
    await cls.t.db.$executeRawUnsafe(`create trigger refuse_doomed before insert on "ClassParticipant" for each row execute function refuse_doomed()`);
    try {
      const names = Array.from({ length: 60 }, (_, i) => (i % 20 === 7 ? `Doomed ${i}` : `Fine ${i}`));
      const { result, count } = await joinStatements(() => Promise.all(names.map((name) => outcome(caller().classroom.join({ code: s.code, name })))));
      expect(result).toEqual(names.map((n) => (n.startsWith("Doomed") ? "INTERNAL_SERVER_ERROR" : "ok")));
      expect(count).toBeGreaterThan(1); // the group failed, and each join ran again on its own
      const rows = await cls.t.db.classParticipant.findMany({ where: { sessionId: s.sessionId, role: "STUDENT" }, select: { name: true } });
      expect(rows.map((r) => r.name).sort()).toEqual(names.filter((n) => n.startsWith("Fine")).sort());
      // a group where every join fails: every caller gets its error, nothing is left
      const doomed = await Promise.all(Array.from({ length: 20 }, (_, i) => outcome(caller().classroom.join({ code: s.code, name: `Doomed again ${i}` }))));
      expect(doomed).toEqual(Array(20).fill("INTERNAL_SERVER_ERROR"));
      expect(await cls.t.db.classParticipant.count({ where: { sessionId: s.sessionId, name: { startsWith: "Doomed" } } })).toBe(0);
    } finally {
      await cls.t.db.$executeRawUnsafe(`drop trigger refuse_doomed on "ClassParticipant"`);
      await cls.t.db.$executeRawUnsafe(`drop function refuse_doomed()`);
    }
  });
});
