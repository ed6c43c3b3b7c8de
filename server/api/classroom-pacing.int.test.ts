/**
 * A class joining at once through `classroom.join` is let in at the session's pace (CLASS_JOIN_RATE
 * after CLASS_JOIN_BURST; server/services/classroom/join-pacer.ts): every join is answered, the
 * first burst at once and the rest spread over time rather than in one statement.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { collabFixture, type CollabFixture } from "../../tests/fixtures/collab";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { setTestEnv } from "../../tests/setup/test-env";
import { createCaller } from "./root";

let t: TestDatabase;
let a: CollabFixture;
let restoreEnv: (() => void) | undefined;

beforeAll(async () => {
  t = await freshDatabase();
  restoreEnv = setTestEnv({ DATABASE_URL: t.url, AUTH_SECRET: "pacing-secret-pacing-secret-pacing", CLASS_JOIN_RATE: "20", CLASS_JOIN_BURST: "5" });
  a = await collabFixture(t.db, "class-pace");
}, 180_000);

afterAll(async () => {
  await t?.drop();
  await a?.cleanup();
  restoreEnv?.();
});

const caller = (userId?: string) => createCaller({ db: t.db, pubsub: t.pubsub, actor: userId ? { userId } : null, publicUrl: "http://app.test", clientAddress: "192.0.2.9", classroom: null });

it("joins beyond the burst are let in at the rate, each answered", { timeout: 60_000 }, async () => {
  const s = await caller(a.users.owner).classroom.start({ workspace: a.ws, datasetId: a.datasetId, title: "Paced" });
  const t0 = performance.now();
  const joined = await Promise.all(Array.from({ length: 15 }, (_, i) => caller().classroom.join({ code: s.code, name: `Student ${i}` })));
  const took = performance.now() - t0;
  expect(new Set(joined.map((j) => j.participantId)).size).toBe(15);
  // 5 at once, then 10 at 20 per second: the last ≈ 500 ms after the first (a 50 ms tick's worth at a time)
  expect(took).toBeGreaterThanOrEqual(400);
  const rows = await t.db.classParticipant.findMany({ where: { sessionId: s.sessionId, role: "STUDENT" }, select: { joinedAt: true } });
  const at = rows.map((r) => r.joinedAt.getTime()).sort((x, y) => x - y);
  // unpaced, the 15 share one or two statements (one joinedAt each); paced, the joins after the burst come a few at a time
  expect(new Set(at).size).toBeGreaterThanOrEqual(5);
  expect(at.at(-1)! - at[0]!).toBeGreaterThanOrEqual(350);
});
