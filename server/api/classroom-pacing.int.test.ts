/**
 * A class joining at once through `classroom.join` is let in at the session's pace (CLASS_JOIN_RATE
 * after CLASS_JOIN_BURST; server/services/classroom/join-pacer.ts): every join is answered, the
 * first burst at once and the rest spread over time rather than in one statement.
 */
import { expect, it } from "vitest";
import { classDatabase } from "../../tests/setup/class-database";
import { createCaller } from "./root";

const cls = classDatabase("pacing-secret-pacing-secret-pacing", "class-pace", 1000, { CLASS_JOIN_RATE: "20", CLASS_JOIN_BURST: "5" });

const caller = (userId?: string) => createCaller({ db: cls.t.db, pubsub: cls.t.pubsub, actor: userId ? { userId } : null, publicUrl: "http://app.test", clientAddress: "192.0.2.9", classroom: null });

it("joins beyond the burst are let in at the rate, each answered", { timeout: 60_000 }, async () => {
  const s = await caller(cls.owner).classroom.start({ ...cls.dataset, title: "Paced" });
  const t0 = performance.now();
  const joined = await Promise.all(Array.from({ length: 15 }, (_, i) => caller().classroom.join({ code: s.code, name: `Student ${i}` })));
  const took = performance.now() - t0;
  expect(new Set(joined.map((j) => j.participantId)).size).toBe(15);
  // 5 at once, then 10 at 20 per second: the last ≈ 500 ms after the first (a 50 ms tick's worth at a time)
  expect(took).toBeGreaterThanOrEqual(400);
  const rows = await cls.t.db.classParticipant.findMany({ where: { sessionId: s.sessionId, role: "STUDENT" }, select: { joinedAt: true } });
  const at = rows.map((r) => r.joinedAt.getTime()).sort((x, y) => x - y);
  // unpaced, the 15 share one or two statements (one joinedAt each); paced, the joins after the burst come a few at a time
  expect(new Set(at).size).toBeGreaterThanOrEqual(5);
  expect(at.at(-1)! - at[0]!).toBeGreaterThanOrEqual(350);
});
