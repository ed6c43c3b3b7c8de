import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Runner } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyTransform, resultRows } from "@statescope/core";
import { referenceMatch } from "../../packages/core/src/matching/reference";
import { makeLstmVisProject, stateValue } from "../../tests/fixtures/formats/projects";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { resetEnvCache } from "../env";
import { createCaller } from "./root";
import { importDataset } from "../services/datasets/import";
import { createUser } from "../services/users";
import { createWorkspace } from "../services/workspaces";
import { startTestWorker } from "../../tests/setup/worker";
import { MatchEngine } from "../services/matching/engine";
import { computeAndStore, runMatch, runMatchWithRows } from "../services/matching/matches";
import { defineRateLimit, LIMITS, type RateLimit } from "../services/rate-limits";
import pg from "pg";
import type { MatchNotifier } from "../services/matching/notifier";
import { canonicalQuery, matchKey, ZMatchInput } from "../services/matching/schemas";
import { trpcError } from "../../tests/fixtures/collab";

let t: TestDatabase;
let tmp: string;
let datasetId: string;
let userId: string;
let workspaceId: string;
let outsiderId: string;
let runner: Runner;
const STEPS = 400;

/** A notifier that fails the test: every query these serving options get runs in this process. */
const TRIPWIRE = { subscribe: () => Promise.reject(new Error("the query went to the queue")) } as unknown as MatchNotifier;

/**
 * Serving options that match in this process (a fresh engine without run tables), spending the
 * asker's budget on `limit` when one is given; `stores` collects each answer's result store.
 */
function inlineServing(limit?: RateLimit) {
  const stores: Promise<void>[] = [];
  const serving = {
    notifier: TRIPWIRE,
    waitMs: 1000,
    inline: { maxValues: STEPS * 4, engine: new MatchEngine(2 ** 20, { runTables: false }) },
    ...(limit ? { spendPerJob: [[limit, userId]] as const } : {}),
    afterAnswer: (p: Promise<void>) => stores.push(p),
  };
  return { serving, stores };
}
const savedUrl = process.env.DATABASE_URL;
const savedInline = process.env.MATCH_INLINE_VALUES;

beforeAll(async () => {
  t = await freshDatabase();
  process.env.DATABASE_URL = t.url;
  process.env.MATCH_WAIT_MS = "20000";
  process.env.MATCH_INLINE_VALUES = "0"; // the queue and worker path; the in-process path has its own test below
  resetEnvCache();
  tmp = await mkdtemp(join(tmpdir(), "match-int-"));
  const owner = await createUser(t.db, { email: "m@match.test", password: "password1" });
  const outsider = await createUser(t.db, { email: "o@match.test", password: "password1" });
  userId = owner.userId;
  outsiderId = outsider.userId;
  const ws = await createWorkspace(t.db, userId, { slug: "mlab" });
  const fx = await makeLstmVisProject(join(tmp, "p"), { n: STEPS });
  workspaceId = ws.workspaceId;
  datasetId = (await importDataset(t.db, { workspaceId: ws.workspaceId, userId, path: fx.dir })).datasetId;
  runner = await startTestWorker(t, { engine: new MatchEngine(64 * 2 ** 20), concurrency: 2, pollInterval: 60_000 });
});
afterAll(async () => {
  await runner?.stop();
  await t.drop();
  await rm(tmp, { recursive: true, force: true });
  if (savedUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = savedUrl;
  if (savedInline === undefined) delete process.env.MATCH_INLINE_VALUES;
  else process.env.MATCH_INLINE_VALUES = savedInline;
  resetEnvCache();
});

const as = (id: string) => createCaller({ db: t.db, pubsub: t.pubsub, actor: { userId: id }, publicUrl: "http://app.test" });
const base = { workspace: "mlab", source: "states::states1" } as const;

/** states1 of the fixture (4 cells), tanh-transformed as the source says. */
function states1() {
  const data = new Float32Array(STEPS * 4);
  for (let s = 0; s < STEPS; s++) for (let c = 0; c < 4; c++) data[s * 4 + c] = stateValue(s, c);
  return applyTransform({ data, steps: STEPS, cells: 4 }, "tanh");
}


describe("match serving", () => {
  it("runs through tRPC, the queue and a worker, equals the spec reference, and is answered from the store the second time", async () => {
    for (const mode of ["fast", "precise"] as const) {
      const q = { ...base, datasetId, cells: [0, 2], threshold: 0.3, padLeft: 1, padRight: 0, mode, k: 20 };
      const first = await as(userId).match.run(q);
      expect(first.status).toBe("done");
      if (first.status !== "done") return;
      expect(first.cached).toBe(false);
      const ref = referenceMatch(states1(), { cells: [0, 2], threshold: 0.3, padLeft: 1, padRight: 0, mode, length: 0, k: 20 });
      expect(first.result).toEqual(ref);
      expect(first.result.results.length).toBeGreaterThan(0);

      const again = await as(userId).match.run({ ...q, cells: [2, 0] }); // same set of cells, same key
      expect(again).toMatchObject({ status: "done", cached: true, key: first.key });
      expect(again.status === "done" && again.result).toEqual(first.result);
    }
    expect(await t.db.matchResult.count()).toBe(2);
  });

  it("shares one job and one stored row among concurrent identical queries", async () => {
    const q = { ...base, datasetId, cells: [1, 3], threshold: 0.5, mode: "precise" as const, length: 3 };
    const outcomes = await Promise.all([as(userId).match.run(q), as(userId).match.run(q), as(userId).match.run(q)]);
    expect(outcomes.every((o) => o.status === "done")).toBe(true);
    expect(new Set(outcomes.map((o) => o.key)).size).toBe(1);
    expect(await t.db.matchResult.count({ where: { key: outcomes[0]!.key } })).toBe(1);
  });

  it("keeps exactly one result row when a job is retried or runs twice", async () => {
    const input = ZMatchInput.parse({ datasetId, source: "states::states1", cells: [0, 1, 2], threshold: 0.1, mode: "precise" });
    const q = canonicalQuery(input);
    const key = matchKey(q);
    const engine = new MatchEngine(2 ** 20);
    const outcomes = await Promise.all([computeAndStore(t.db, engine, workspaceId, key, q), computeAndStore(t.db, engine, workspaceId, key, q)]);
    expect(outcomes.filter((o) => o === "stored")).toHaveLength(1);
    expect(await computeAndStore(t.db, engine, workspaceId, key, q)).toBe("existed");
    expect(await t.db.matchResult.count({ where: { key } })).toBe(1);
  });

  it("a match job looks its source up in the workspace it names: another workspace's dataset is NOT_FOUND, nothing is stored", async () => {
    const other = await createWorkspace(t.db, outsiderId, { slug: "mother" });
    const q = canonicalQuery(ZMatchInput.parse({ datasetId, source: "states::states1", cells: [0, 2], threshold: 0.35, mode: "precise" }));
    const key = matchKey(q);
    await expect(computeAndStore(t.db, new MatchEngine(2 ** 20), other.workspaceId, key, q)).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await t.db.matchResult.count({ where: { key } })).toBe(0);
  });

  it("refuses bad queries with messages that name the problem", async () => {
    const q = { ...base, datasetId, cells: [0] };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ cells: [7] }, /4 cells.*cell 7|cell 7/],
      [{ cells: [1, 1] }, /duplicate|twice|more than once/i],
      [{ cells: [] }, /at least one cell/],
      [{ threshold: Number.NaN }, /threshold/],
      [{ padLeft: -1 }, /padding must be ≥ 0/],
      [{ k: 501 }, /at most 500/],
      [{ source: "states::nope" }, /has no source "states::nope"/],
      [{ datasetId: "missing" }, /missing/],
    ];
    for (const [patch, message] of cases) {
      const e = await trpcError(as(userId).match.run({ ...q, ...patch } as never));
      expect(["BAD_REQUEST", "NOT_FOUND", "PAYLOAD_TOO_LARGE"]).toContain(e.code);
      expect(e.message).toMatch(message);
    }
    const outsider = await trpcError(as(outsiderId).match.run(q));
    expect(outsider.code).toBe("FORBIDDEN");
  });

  it("brings the result rows' windows along when asked: the same as dataset.windows over the view's ranges, left out when unreadable", async () => {
    const caller = as(userId);
    const tracks = (await caller.dataset.get({ workspace: "mlab", datasetId })).metaTracks.filter((m) => m.kind !== "wordvec").map((m) => m.name);
    expect(tracks.length).toBeGreaterThan(0);
    const query = { ...base, datasetId, cells: [2, 0], threshold: 0.3, mode: "fast" as const, k: 15 };
    for (const view of [{ before: 3, after: 20, align: "start" as const }, { before: 5, after: 8, align: "end" as const }]) {
      const out = await caller.match.run({ ...query, rows: { ...view, tracks } });
      if (out.status !== "done") throw new Error(`expected a result, got ${out.status}`);
      expect(out.result.results.length).toBeGreaterThan(0);
      const ranges = resultRows(out.result.results, view, STEPS).map((r) => r.range);
      expect(out.rows?.ranges).toEqual(ranges);
      // cells in the order asked (the view's order), not the canonical one
      expect(out.rows?.windows).toEqual(await caller.dataset.windows({ workspace: "mlab", datasetId, source: base.source, cells: [2, 0], ranges, tracks }));
    }
    // without `rows`, or with rows that cannot be read, the match answers alone
    const plain = await caller.match.run(query);
    expect(plain).toMatchObject({ status: "done", cached: true });
    expect(plain).not.toHaveProperty("rows");
    const unknown = await caller.match.run({ ...query, rows: { before: 3, after: 20, align: "start", tracks: ["no-such-track"] } });
    expect(unknown).toMatchObject({ status: "done" });
    expect(unknown).not.toHaveProperty("rows");
  });

  it("answers a query over a small source in the web process, without the queue, and stores it", async () => {
    const input = ZMatchInput.parse({ datasetId, source: "states::states1", cells: [0, 3], threshold: 0.45, mode: "precise", k: 20 });
    const serving = { notifier: TRIPWIRE, waitMs: 1000, inline: { maxValues: STEPS * 4, engine: new MatchEngine(2 ** 20) } };
    const ws = await t.db.workspace.findUniqueOrThrow({ where: { slug: "mlab" }, select: { id: true } });
    const out = await runMatch(t.db, ws.id, input, serving);
    expect(out.status).toBe("done");
    if (out.status !== "done") return;
    expect(out.cached).toBe(false);
    expect(out.result).toEqual(referenceMatch(states1(), { cells: [0, 3], threshold: 0.45, padLeft: 1, padRight: 0, mode: "precise", length: 0, k: 20 }));
    expect(await t.db.matchResult.count({ where: { key: out.key } })).toBe(1);
    expect(await runMatch(t.db, ws.id, input, serving)).toMatchObject({ status: "done", cached: true });
    // a source larger than the limit still goes to the queue
    await expect(runMatch(t.db, ws.id, { ...input, threshold: 0.46 }, { ...serving, inline: { ...serving.inline, maxValues: STEPS * 4 - 1 } })).rejects.toThrow(/went to the queue/);
  });

  it("a click's match.run is one lookup statement when stored, and a new one writes without waiting for the disk", async () => {
    const ws = await t.db.workspace.findUniqueOrThrow({ where: { slug: "mlab" }, select: { id: true } });
    // as the web process's inline engine (serving.ts): no run tables
    const engine = new MatchEngine(2 ** 20, { runTables: false });
    const serving = { notifier: TRIPWIRE, waitMs: 1000, inline: { maxValues: STEPS * 4, engine }, spendPerJob: [[LIMITS.matchJobsUser, userId]] as const };
    const query = { datasetId, source: "states::states1", cells: [1, 2], mode: "fast" as const, k: 10 };
    // the engine holds the decoded source already (as after the first click on it)
    await runMatch(t.db, ws.id, { ...query, threshold: 0.2 }, serving);
    const rows = { before: 3, after: 20, align: "start" as const, tracks: [] };

    // the answer does not wait for the store: the statements until it has landed
    const stores: Promise<void>[] = [];
    const fresh = await statements(async () => {
      const out = await runMatchWithRows(t.db, ws.id, { ...query, threshold: 0.25, rows }, { ...serving, afterAnswer: (p) => stores.push(p) });
      await Promise.all(stores);
      return out;
    });
    expect(stores).toHaveLength(1);
    expect(fresh.result).toMatchObject({ status: "done", cached: false });
    expect(fresh.result.status === "done" && fresh.result.result).toEqual(referenceMatch(states1(), { cells: [1, 2], threshold: 0.25, padLeft: 1, padRight: 0, mode: "fast", length: 0, k: 10 }));
    for (const mode of ["fast", "precise"] as const) {
      for (const threshold of [0.05, 0.4]) {
        const out = await runMatch(t.db, ws.id, { ...query, cells: [0, 1, 3], mode, threshold, padLeft: 2, padRight: 1 }, serving);
        expect(out.status === "done" && out.result).toEqual(referenceMatch(states1(), { cells: [0, 1, 3], threshold, padLeft: 2, padRight: 1, mode, length: 0, k: 10 }));
      }
    }
    const writes = fresh.sent.filter((q) => /\b(insert|update)\b/i.test(q));
    // the rate-limit spend and the result store: neither waits for a WAL flush (a cache and a counter)
    expect(writes).toHaveLength(2);
    for (const w of writes) expect(w).toMatch(/set_config\('synchronous_commit', 'off', true\)/);
    // source, dataset and store in one statement before the computation
    expect(fresh.sent[0]).toMatch(/FROM "Dataset" d LEFT JOIN "DatasetSource"/);
    expect(fresh.sent.filter((q) => /"DatasetSource"|"MatchResult"/.test(q) && !/insert/i.test(q))).toHaveLength(1);

    const again = await statements(() => runMatch(t.db, ws.id, { ...query, threshold: 0.25 }, serving));
    expect(again.result).toMatchObject({ status: "done", cached: true, key: fresh.result.status === "done" ? fresh.result.key : "" });
    expect(again.sent).toHaveLength(1);
    expect(await t.db.matchResult.count({ where: { key: again.result.status === "done" ? again.result.key : "" } })).toBe(1);
  });
});

describe("a click's answer and the result store", () => {
  it("match.run with rows answers before its computed result is stored, which lands after", async () => {
    const { serving, stores } = inlineServing();
    const input = { datasetId, source: "states::states1", cells: [0, 2], threshold: 0.33, mode: "precise" as const, k: 10, rows: { before: 3, after: 20, align: "start" as const, tracks: [] } };
    // another transaction holds the result table against writes (reads go on): the store waits for it
    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    try {
      await blocker.query(`BEGIN; LOCK TABLE "MatchResult" IN SHARE ROW EXCLUSIVE MODE`);
      const answered = runMatchWithRows(t.db, workspaceId, input, serving);
      const out = await Promise.race([answered, new Promise<null>((ok) => setTimeout(() => ok(null), 5000))]);
      expect(out, "answered while the store is blocked").not.toBeNull();
      if (out?.status !== "done") throw new Error("not done");
      expect(out.cached).toBe(false);
      expect(out.result).toEqual(referenceMatch(states1(), { cells: [0, 2], threshold: 0.33, padLeft: 1, padRight: 0, mode: "precise", length: 0, k: 10 }));
      expect(out.rows?.windows.tokens).toHaveLength(out.result.results.length);
      expect(stores).toHaveLength(1);
      expect(await t.db.matchResult.count({ where: { key: out.key } })).toBe(0);
      await blocker.query("COMMIT");
      await stores[0];
      expect(await t.db.matchResult.count({ where: { key: out.key } })).toBe(1);
      // and the next asker finds it stored
      expect(await runMatchWithRows(t.db, workspaceId, input, serving)).toMatchObject({ status: "done", cached: true, key: out.key });
    } finally {
      await blocker.query("ROLLBACK").catch(() => undefined);
      await blocker.end();
    }
  });
});

describe("a click's store and its rows", () => {
  it("the store of a result computed in the web process waits for the rows' read: no insert beside the answer's last statement", async () => {
    const limit = defineRateLimit({ name: "test:inline-store-after-rows", points: 100, windowSeconds: 600, what: "new match queries" });
    const { serving, stores } = inlineServing(limit);
    const input = { datasetId, source: "states::states1", cells: [1, 2], threshold: 0.29, mode: "fast" as const, k: 10, rows: { before: 3, after: 20, align: "start" as const, tracks: [] } };
    const key = matchKey(canonicalQuery(ZMatchInput.parse({ ...input, rows: undefined })));
    // another transaction holds the tokens (which only the rows' read reads) against reads: the read waits for it
    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    try {
      await blocker.query(`BEGIN; LOCK TABLE "TokenChunk" IN ACCESS EXCLUSIVE MODE`);
      const answered = runMatchWithRows(t.db, workspaceId, input, serving);
      void answered.catch(() => undefined);
      // the spend has landed (before this change the store followed it at once)…
      const spent = async () => (await t.db.$queryRawUnsafe<{ n: number }[]>(`select count(*)::int as n from "RateLimitBucket" where key like 'test:inline-store-after-rows%'`))[0]!.n;
      for (let i = 0; i < 200 && (await spent()) === 0; i++) await new Promise((ok) => setTimeout(ok, 25));
      expect(await spent()).toBe(1);
      // …and the rows' read is still waiting: nothing stored (a started store lands within this)
      await new Promise((ok) => setTimeout(ok, 300));
      expect(await t.db.matchResult.count({ where: { key } })).toBe(0);
      await blocker.query("COMMIT");
      const out = await answered;
      expect(out).toMatchObject({ status: "done", cached: false, key });
      expect(out.status === "done" && out.rows?.windows.tokens.length).toBe(out.status === "done" ? out.result.results.length : -1);
      expect(stores).toHaveLength(1);
      await stores[0];
      expect(await t.db.matchResult.count({ where: { key } })).toBe(1);
    } finally {
      await blocker.query("ROLLBACK").catch(() => undefined);
      await blocker.end();
    }
  });
});

describe("a click's rows from the engine's floats", () => {
  it("an inline match.run cuts its rows' states from the floats its engine holds: no state chunk is read, the rows are dataset.windows'", async () => {
    const engine = new MatchEngine(2 ** 20, { runTables: false });
    const serving = { notifier: TRIPWIRE, waitMs: 1000, inline: { maxValues: STEPS * 4, engine } };
    const tracks = (await as(userId).dataset.get({ workspace: "mlab", datasetId })).metaTracks.filter((m) => m.kind !== "wordvec").map((m) => m.name);
    const view = { before: 3, after: 20, align: "start" as const, tracks };
    const input = { datasetId, source: "states::states1", cells: [3, 1], mode: "fast" as const, k: 10, rows: view };
    // the first query on the source decodes it (as the first click does)
    await runMatchWithRows(t.db, workspaceId, { ...input, threshold: 0.31 }, serving);
    // another transaction holds the state chunks against reads: a read of them waits for it
    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    try {
      await blocker.query(`BEGIN; LOCK TABLE "StateChunk" IN ACCESS EXCLUSIVE MODE`);
      const answered = runMatchWithRows(t.db, workspaceId, { ...input, threshold: 0.32 }, serving);
      void answered.catch(() => undefined);
      const out = await Promise.race([answered, new Promise<null>((ok) => setTimeout(() => ok(null), 5000))]);
      expect(out, "answered with its rows while the state chunks are locked").not.toBeNull();
      if (out?.status !== "done" || !out.rows) throw new Error("no rows");
      await blocker.query("COMMIT");
      const ranges = resultRows(out.result.results, view, STEPS).map((r) => r.range);
      expect(out.rows.ranges).toEqual(ranges);
      expect(out.rows.windows).toEqual(await as(userId).dataset.windows({ workspace: "mlab", datasetId, source: input.source, cells: input.cells, ranges, tracks }));
    } finally {
      await blocker.query("ROLLBACK").catch(() => undefined);
      await blocker.end();
    }
  });
});

describe("a click's spend", () => {
  it("over the asker's limit, an inline match.run with rows is refused and stores nothing (the rows are read while the budget is spent)", async () => {
    const limit = defineRateLimit({ name: "test:inline-match", points: 1, windowSeconds: 600, what: "new match queries" });
    const { serving, stores } = inlineServing(limit);
    const rows = { before: 3, after: 20, align: "start" as const, tracks: [] };
    const input = { datasetId, source: "states::states1", cells: [1, 3], mode: "fast" as const, k: 10, rows };
    const first = await runMatchWithRows(t.db, workspaceId, { ...input, threshold: 0.41 }, serving);
    expect(first).toMatchObject({ status: "done", cached: false });
    expect(first.status === "done" && first.key).toBe(matchKey(canonicalQuery(ZMatchInput.parse({ ...input, threshold: 0.41 }))));
    await Promise.all(stores);
    const over = { ...input, threshold: 0.42 };
    await expect(runMatchWithRows(t.db, workspaceId, over, serving)).rejects.toThrow(/too many new match queries/);
    expect(stores).toHaveLength(1);
    const key = matchKey(canonicalQuery(ZMatchInput.parse({ ...over, rows: undefined })));
    // (a store that was started would have landed by now)
    await new Promise((ok) => setTimeout(ok, 200));
    expect(await t.db.matchResult.count({ where: { key } })).toBe(0);
    // the first one is answered from the store, which spends nothing
    expect(await runMatchWithRows(t.db, workspaceId, { ...input, threshold: 0.41 }, serving)).toMatchObject({ status: "done", cached: true });
  });
});

describe("a click's rows and its spend", () => {
  it("the result rows are read while the asker's budget is still being spent", async () => {
    const { serving } = inlineServing(defineRateLimit({ name: "test:inline-overlap", points: 100, windowSeconds: 600, what: "new match queries" }));
    const input = { datasetId, source: "states::states1", cells: [0, 1], threshold: 0.37, mode: "fast" as const, k: 10, rows: { before: 3, after: 20, align: "start" as const, tracks: [] } };
    // another transaction holds the rate-limit counters against writes: the spend waits for it
    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    const original = pg.Client.prototype.query;
    let rowsRead = false;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const q = args[0] as string | { text?: string };
      if (/"TokenChunk"/.test(typeof q === "string" ? q : (q?.text ?? ""))) rowsRead = true;
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      await blocker.query(`BEGIN; LOCK TABLE "RateLimitBucket" IN SHARE ROW EXCLUSIVE MODE`);
      const answered = runMatchWithRows(t.db, workspaceId, input, serving);
      let settled = false;
      void answered.finally(() => (settled = true)).catch(() => undefined);
      for (let i = 0; i < 100 && !rowsRead; i++) await new Promise((ok) => setTimeout(ok, 50));
      expect(rowsRead, "the rows' tokens were read while the spend waits").toBe(true);
      expect(settled, "no answer before the spend").toBe(false);
      await blocker.query("COMMIT");
      const out = await answered;
      expect(out.status === "done" && out.rows?.windows.tokens.length).toBe(out.status === "done" ? out.result.results.length : -1);
    } finally {
      pg.Client.prototype.query = original;
      await blocker.query("ROLLBACK").catch(() => undefined);
      await blocker.end();
    }
  });
});

describe("a queued match's writes", () => {
  it("the job insert, the spend and the worker's result store commit without waiting for the disk", async () => {
    const q = { ...base, datasetId, cells: [0, 1, 3], threshold: 0.27, mode: "precise" as const };
    // the worker runs in this process: its statements are seen too
    const run = await statements(() => as(userId).match.run(q));
    expect(run.result).toMatchObject({ status: "done", cached: false });
    const writes = run.sent.filter((x) => /graphile_worker\.add_job|insert into "MatchResult"|"RateLimitBucket" as b/i.test(x));
    expect(writes).toHaveLength(3);
    for (const w of writes) expect(w).toMatch(/set_config\('synchronous_commit', 'off', true\)/);
  });
});

/** Statements sent to PostgreSQL (by Prisma or node-postgres) while `run` runs (whitespace collapsed). */
async function statements<T>(run: () => Promise<T>): Promise<{ result: T; sent: string[] }> {
  const original = pg.Client.prototype.query;
  const sent: string[] = [];
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string };
    sent.push((typeof q === "string" ? q : (q?.text ?? "?")).replace(/\s+/g, " "));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    return { result: await run(), sent };
  } finally {
    pg.Client.prototype.query = original;
  }
}
