import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "@statescope/core";
import { makeLstmVisProject } from "../../tests/fixtures/formats/projects";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { createDb, type Db } from "../db/client";
import { importDataset } from "../services/datasets/import";
import { MatchEngine } from "../services/matching/engine";
import { computeAndStore, runMatch } from "../services/matching/matches";
import { matchNotifier } from "../services/matching/notifier";
import { canonicalQuery, matchKey, ZMatchInput } from "../services/matching/schemas";
import { defineRateLimit, LIMITS, limitFailures, signInSpends, spend, type Spend } from "../services/rate-limits";
import { createUser, verifyCredentials } from "../services/users";
import { createWorkspace } from "../services/workspaces";
import { createCaller } from "./root";

let t: TestDatabase;
/** A second client with its own pool: another web process. */
let other: Db;
let tmp: string;
beforeAll(async () => {
  t = await freshDatabase();
  other = createDb(t.url);
  tmp = await mkdtemp(join(tmpdir(), "rl-int-"));
});
afterAll(async () => {
  await other.$disconnect();
  await t.drop();
  await rm(tmp, { recursive: true, force: true });
});

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  const app = e instanceof TRPCError ? e.cause : e;
  expect(app).toBeInstanceOf(AppError);
  expect((app as AppError).code).toBe("TOO_MANY_REQUESTS");
  return app as AppError;
}

describe("the rate-limit store", () => {
  it("cuts concurrent spends from two processes off exactly at the limit, and tells when to retry", async () => {
    const limit = defineRateLimit({ name: "test:concurrent", points: 25, windowSeconds: 600, what: "test attempts" });
    const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => spend(i % 2 ? t.db : other, [[limit, "one subject"]])));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(25);
    const e = (results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason as AppError;
    expect(e.code).toBe("TOO_MANY_REQUESTS");
    expect(e.message).toMatch(/too many test attempts \(at most 25 in 10 min\): try again in (10|9) min/);
    expect(e.options.retryAfterSeconds).toBeGreaterThan(500);
    // another subject is counted apart
    await spend(t.db, [[limit, "another subject"]]);
  });

  it("starts a new window when the old one has ended", async () => {
    const limit = defineRateLimit({ name: "test:window", points: 2, windowSeconds: 1, what: "test attempts" });
    await spend(t.db, [[limit, "s"]]);
    await spend(t.db, [[limit, "s"]]);
    await refusal(spend(t.db, [[limit, "s"]]));
    await new Promise((r) => setTimeout(r, 1100));
    await spend(t.db, [[limit, "s"]]);
  });

  it("a counter already over its limit refuses without spending the others", async () => {
    const perAddress = defineRateLimit({ name: "test:address", points: 1, windowSeconds: 600, what: "x" });
    const perAccount = defineRateLimit({ name: "test:account", points: 3, windowSeconds: 600, what: "y" });
    await spend(t.db, [[perAddress, "10.0.0.1"]]);
    for (let i = 0; i < 5; i++) await refusal(spend(t.db, [[perAddress, "10.0.0.1"], [perAccount, "victim"]]));
    // the victim's account was not charged for the refused attempts
    for (let i = 0; i < 3; i++) await spend(t.db, [[perAccount, "victim"]]);
  });

  it("can count per classroom session and per credential: 1,000 guests from one address join within the limits", async () => {
    // the classroom issue's shape: per session and per credential, never per address alone
    const perSession = defineRateLimit({ name: "test:guest-session", points: 2000, windowSeconds: 60, what: "guest joins to this session" });
    const perCredential = defineRateLimit({ name: "test:guest-credential", points: 5, windowSeconds: 60, what: "joins with this guest link" });
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < 1000) {
        const i = next++;
        const spends: Spend[] = [
          [perSession, "session-1"],
          [perCredential, `guest-${i}`],
        ];
        await spend(i % 2 ? t.db : other, spends);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const ms = performance.now() - t0;
    test_log(`1,000 guest joins from one address: ${ms.toFixed(0)} ms`);
    expect(next).toBe(1000);
  });
});

const test_log = (l: string) => process.stderr.write(`[rate-limits] ${l}\n`);

describe("sign-in", () => {
  it("200 wrong passwords: at most 10 are checked, the rest and then the right password are refused", async () => {
    const u = await createUser(t.db, { email: "flood@rl.test", password: "the right one" });
    const signIn = (password: string) => limitFailures(t.db, signInSpends("Flood@RL.test", "192.0.2.1"), () => verifyCredentials(t.db, "flood@rl.test", password));
    const codes: string[] = [];
    for (let i = 0; i < 200; i++) codes.push(await signIn(`wrong ${i}`).then(() => "ok", (e: AppError) => e.code));
    expect(codes.filter((c) => c === "UNAUTHENTICATED")).toHaveLength(LIMITS.signInAccountAddress.points);
    expect(codes.filter((c) => c === "TOO_MANY_REQUESTS")).toHaveLength(200 - LIMITS.signInAccountAddress.points);
    const e = await refusal(signIn("the right one"));
    expect(e.message).toMatch(/too many failed sign-ins for this account from your network/);
    // the same account from another network still gets its guesses (the per-account limit is higher)
    expect((await limitFailures(t.db, signInSpends("flood@rl.test", "198.51.100.2"), () => verifyCredentials(t.db, "flood@rl.test", "the right one"))).userId).toBe(u.userId);
  });

  it("a correct password gives its points back: signing in often is never limited", async () => {
    await createUser(t.db, { email: "often@rl.test", password: "password1" });
    for (let i = 0; i < 3 * LIMITS.signInAccountAddress.points; i++) {
      await limitFailures(t.db, signInSpends("often@rl.test", "192.0.2.9"), () => verifyCredentials(t.db, "often@rl.test", "password1"));
    }
  });
});

describe("procedures with rate limits", () => {
  const anon = (address: string) => createCaller({ db: t.db, pubsub: t.pubsub, actor: null, publicUrl: "http://app.test", clientAddress: address });

  it("sign-up: refused per address past the limit, another address is unaffected", async () => {
    for (let i = 0; i < LIMITS.signUpAddress.points; i++) await anon("203.0.113.5").auth.signUp({ email: `s${i}@rl.test`, password: "password1" });
    const e = await refusal(anon("203.0.113.5").auth.signUp({ email: "one-more@rl.test", password: "password1" }));
    expect(e.options.retryAfterSeconds).toBeGreaterThan(0);
    await anon("203.0.113.6").auth.signUp({ email: "elsewhere@rl.test", password: "password1" });
  });

  it("invite redemption: wrong tokens are counted, redeemed ones are not", async () => {
    const owner = await createUser(t.db, { email: "inv-owner@rl.test", password: "password1" });
    const guesser = await createUser(t.db, { email: "guesser@rl.test", password: "password1" });
    await createWorkspace(t.db, owner.userId, { slug: "rl-inv" });
    const as = (userId: string, address = "198.51.100.7") => createCaller({ db: t.db, pubsub: t.pubsub, actor: { userId }, publicUrl: "http://app.test", clientAddress: address });
    // a member redeeming many good links is never limited
    for (let i = 0; i < LIMITS.inviteRedeemUser.points + 5; i++) {
      const inv = await as(owner.userId).invite.create({ workspace: "rl-inv", role: "VIEWER" });
      await as(guesser.userId).invite.accept({ token: inv.token });
    }
    const wrong = () => as(guesser.userId).invite.accept({ token: "A".repeat(32) });
    for (let i = 0; i < LIMITS.inviteRedeemUser.points; i++) await expect(wrong()).rejects.toThrow(TRPCError);
    const e = await refusal(wrong());
    expect(e.message).toMatch(/too many failed invite redemptions for your account/);
  });

  it("match queries: each queued job is spent, an answer from the store is not", async () => {
    const u = await createUser(t.db, { email: "matcher@rl.test", password: "password1" });
    const ws = await createWorkspace(t.db, u.userId, { slug: "rl-match" });
    const fx = await makeLstmVisProject(join(tmp, "m"), { n: 100 });
    const datasetId = (await importDataset(t.db, { workspaceId: ws.workspaceId, userId: u.userId, path: fx.dir })).datasetId;
    const notifier = matchNotifier(t.pubsub);
    const jobs = defineRateLimit({ name: "test:match-jobs", points: 2, windowSeconds: 600, what: "new match queries" });
    const serving = { notifier, waitMs: 100, spendPerJob: [[jobs, u.userId]] as Spend[] };
    const q = (threshold: number) => ({ datasetId, source: "states::states1", cells: [0, 1], threshold });
    // one query answered from the store (computed here, as a worker would)
    const stored = canonicalQuery(ZMatchInput.parse(q(0.2)));
    await computeAndStore(t.db, new MatchEngine(2 ** 20), ws.workspaceId, matchKey(stored), stored);
    for (let i = 0; i < 5; i++) expect((await runMatch(t.db, ws.workspaceId, q(0.2), serving)).status).toBe("done");
    // two new ones are queued (no worker runs here: they stay pending), the third is refused
    expect((await runMatch(t.db, ws.workspaceId, q(0.3), serving)).status).toBe("pending");
    expect((await runMatch(t.db, ws.workspaceId, q(0.4), serving)).status).toBe("pending");
    const e = await refusal(runMatch(t.db, ws.workspaceId, q(0.5), serving));
    expect(e.message).toMatch(/too many new match queries/);
    expect(await t.db.$queryRaw<{ n: bigint }[]>`select count(*)::bigint as n from graphile_worker.jobs`).toEqual([{ n: 2n }]);
  });
});
