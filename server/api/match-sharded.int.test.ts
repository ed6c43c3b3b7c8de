/**
 * The sharded serving path on a real Postgres with two in-process graphile-worker runners (two
 * "workers", each with its own engine and cache) and a tiny shard size: a 4,400-step source in
 * 73-step shards (61 shards, runs crossing borders, level-1 runs up to 340 steps spanning 5-6 shards).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger, type Runner, type Task, type TaskList } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyTransform } from "@statescope/core";
import { referenceMatch } from "../../packages/core/src/matching/reference";
import { makeLstmVisProject, stateValue } from "../../tests/fixtures/formats/projects";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { resetEnvCache } from "../env";
import { createCaller } from "./root";
import { importDataset } from "../services/datasets/import";
import { findSource } from "../services/datasets/datasets";
import { createUser } from "../services/users";
import { createWorkspace } from "../services/workspaces";
import { startTestWorker } from "../../tests/setup/worker";
import { MATCH_SHARD_JOB, type ShardJobPayload } from "../jobs/match";
import { MatchEngine } from "../services/matching/engine";
import { runMatchShard } from "../services/matching/sharded";
import { canonicalQuery, matchKey, ZMatchInput } from "../services/matching/schemas";

const STEPS = 4400;
const SHARD_STEPS = 73;
const SHARDS = Math.ceil(STEPS / SHARD_STEPS);

let t: TestDatabase;
let tmp: string;
let datasetId: string;
let userId: string;
let workspaceId: string;
const runners: Runner[] = [];
const logs: string[] = [];
/** Shard jobs to fail on their first attempt: `${round}:${shard}` → before or after the real handler. */
const crash = new Map<string, "before" | "after">();
const savedUrl = process.env.DATABASE_URL;
const savedWait = process.env.MATCH_WAIT_MS;
const savedInline = process.env.MATCH_INLINE_VALUES;

/** The real task list, with shard jobs that can be made to die on their first attempt (a killed worker). */
function crashing(tasks: TaskList): TaskList {
  const real = tasks[MATCH_SHARD_JOB.name]!;
  const shard: Task = async (payload, helpers) => {
    const p = payload as ShardJobPayload;
    const when = helpers.job.attempts === 1 ? crash.get(`${p.round}:${p.shard}`) : undefined;
    if (when === "before") throw new Error(`worker killed before shard ${p.shard} stored anything`);
    await real(payload, helpers);
    if (when === "after") throw new Error(`worker killed after shard ${p.shard} committed`);
  };
  return { ...tasks, [MATCH_SHARD_JOB.name]: shard };
}

beforeAll(async () => {
  t = await freshDatabase();
  process.env.DATABASE_URL = t.url;
  process.env.MATCH_WAIT_MS = "90000";
  process.env.MATCH_INLINE_VALUES = "0"; // this suite is about the workers: no query runs in the web process
  resetEnvCache();
  tmp = await mkdtemp(join(tmpdir(), "match-shard-int-"));
  userId = (await createUser(t.db, { email: "s@shard.test", password: "password1" })).userId;
  const ws = await createWorkspace(t.db, userId, { slug: "slab" });
  const fx = await makeLstmVisProject(join(tmp, "p"), { n: STEPS });
  workspaceId = ws.workspaceId;
  datasetId = (await importDataset(t.db, { workspaceId: ws.workspaceId, userId, path: fx.dir })).datasetId;
  const logger = new Logger(() => (_level, message) => logs.push(message));
  for (let i = 0; i < 2; i++) {
    const engine = new MatchEngine(64 * 2 ** 20, { shardSteps: SHARD_STEPS });
    // new jobs arrive by LISTEN/NOTIFY; a failed job's retry comes due later and is found by polling
    runners.push(await startTestWorker(t, { engine, concurrency: 2, pollInterval: 500, logger, wrap: crashing }));
  }
}, 120_000);

afterAll(async () => {
  for (const r of runners) await r.stop();
  await t.drop();
  await rm(tmp, { recursive: true, force: true });
  if (savedUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = savedUrl;
  if (savedWait === undefined) delete process.env.MATCH_WAIT_MS;
  else process.env.MATCH_WAIT_MS = savedWait;
  if (savedInline === undefined) delete process.env.MATCH_INLINE_VALUES;
  else process.env.MATCH_INLINE_VALUES = savedInline;
  resetEnvCache();
});

const as = (id: string) => createCaller({ db: t.db, pubsub: t.pubsub, actor: { userId: id }, publicUrl: "http://app.test" });
const SOURCE = "states::states1";

function states1() {
  const data = new Float32Array(STEPS * 4);
  for (let s = 0; s < STEPS; s++) for (let c = 0; c < 4; c++) data[s * 4 + c] = stateValue(s, c);
  return applyTransform({ data, steps: STEPS, cells: 4 }, "tanh");
}

/** The same query on one unsharded engine in process (the whole source in one index). */
async function unsharded(input: Record<string, unknown>) {
  const q = canonicalQuery(ZMatchInput.parse({ datasetId, source: SOURCE, ...input }));
  const src = await findSource(t.db, null, datasetId, SOURCE);
  const engine = new MatchEngine(64 * 2 ** 20);
  expect(engine.shardStepsFor(src.cells)).toBeGreaterThan(STEPS);
  return (await engine.run(t.db, q)).result;
}

const shardLogs = (key: string, what: string) => logs.filter((l) => l.startsWith(`match ${key.slice(0, 12)} `) && l.includes(what));

async function leftovers() {
  return { runs: await t.db.matchShardRun.count(), partials: await t.db.matchShardPartial.count() };
}

describe("sharded match serving", () => {
  const queries: Array<{ name: string; input: Record<string, unknown>; spans?: boolean }> = [
    { name: "fast, any length (crosses the 1,000-candidate cutoff)", input: { cells: [0, 1, 2, 3], threshold: 0.3, mode: "fast", k: 200 } },
    { name: "fast, exact length 5", input: { cells: [0, 1, 2, 3], threshold: 0.3, mode: "fast", length: 5, k: 100 } },
    { name: "precise, any length", input: { cells: [0, 1, 2, 3], threshold: 0.3, mode: "precise", k: 300 } },
    { name: "precise, exact length 8, padding after", input: { cells: [0, 1, 2, 3], threshold: 0.3, padRight: 2, mode: "precise", length: 8, k: 50 } },
    { name: "precise, runs spanning several shards", input: { cells: [0, 1, 2], threshold: -0.5, mode: "precise", k: 500 }, spans: true },
    { name: "fast, runs spanning several shards", input: { cells: [0, 1, 2], threshold: -0.5, padLeft: 2, mode: "fast", k: 500 } },
  ];

  for (const { name, input, spans } of queries) {
    it(`equals the unsharded run and the spec reference: ${name}`, async () => {
      const out = await as(userId).match.run({ workspace: "slab", datasetId, source: SOURCE, ...input } as never);
      expect(out.status).toBe("done");
      if (out.status !== "done") return;
      expect(out.cached).toBe(false);
      expect(out.result).toEqual(await unsharded(input));
      const q = canonicalQuery(ZMatchInput.parse({ datasetId, source: SOURCE, ...input }));
      const ref = referenceMatch(states1(), q);
      expect(out.result).toEqual(ref);
      expect(out.result.results.length).toBeGreaterThan(0);
      // candidates longer than two shards: some run crosses at least two borders
      if (spans) expect(Math.max(...Object.keys(out.result.histograms.all).map(Number))).toBeGreaterThan(2 * SHARD_STEPS);

      // it really ran as 61 shards (two rounds in fast mode) and merged once
      const rounds = q.mode === "fast" ? ["levels", "collect"] : ["precise"];
      for (const round of rounds) {
        const shards = new Set(shardLogs(out.key, ` ${round} shard `).map((l) => l.split(" shard ")[1]!.split(" ")[0]));
        expect(shards.size).toBe(SHARDS);
      }
      expect(shardLogs(out.key, ": merged")).toHaveLength(1);
      expect(await leftovers()).toEqual({ runs: 0, partials: 0 });
      expect(await t.db.matchResult.count({ where: { key: out.key } })).toBe(1);

      const again = await as(userId).match.run({ workspace: "slab", datasetId, source: SOURCE, ...input } as never);
      expect(again).toMatchObject({ status: "done", cached: true, key: out.key });
    });
  }

  it("runs shard after shard in process (the CLI) with the same results", async () => {
    const engine = new MatchEngine(2 ** 20, { shardSteps: SHARD_STEPS });
    for (const { input } of queries) {
      const q = canonicalQuery(ZMatchInput.parse({ datasetId, source: SOURCE, ...input }));
      expect((await engine.run(t.db, q)).result).toEqual(await unsharded(input));
    }
    // the 1 MiB cache cannot hold the whole source: every shard index was built from its own rows
    expect(engine.cache.bytesUsed).toBeLessThanOrEqual(2 ** 20);
  });

  it("replaces an orphaned run (its shard jobs gone) when the query is asked again", async () => {
    const input = { cells: [1, 2], threshold: 0.4, mode: "precise" };
    const q = canonicalQuery(ZMatchInput.parse({ datasetId, source: SOURCE, ...input }));
    const key = matchKey(q);
    await t.db.matchShardRun.create({ data: { key, runId: "orphan", datasetId, query: q, shards: SHARDS, round: "precise" } });
    const out = await as(userId).match.run({ workspace: "slab", datasetId, source: SOURCE, ...input } as never);
    expect(out).toMatchObject({ status: "done", key });
    expect(out.status === "done" && out.result).toEqual(await unsharded(input));
    expect(await leftovers()).toEqual({ runs: 0, partials: 0 });
  });

  it("crosses the fast-mode cutoff (so round 2 keeps a strict subset of the candidates)", async () => {
    const r = await unsharded(queries[0]!.input);
    expect(Object.values(r.histograms.all).reduce((a, b) => a + b, 0)).toBe(1000);
  });

  it("yields exactly one result when shard jobs are killed before and after committing, and when one runs twice", async () => {
    const input = { cells: [0, 1, 3], threshold: 0.2, mode: "fast", k: 100 };
    crash.set("levels:3", "before");
    crash.set("levels:17", "after");
    crash.set("collect:5", "after");
    crash.set("collect:40", "before");
    // the last shard may complete the set: dying after its commit leaves only the retry to find the run gone
    crash.set(`collect:${SHARDS - 1}`, "after");
    try {
      const out = await as(userId).match.run({ workspace: "slab", datasetId, source: SOURCE, ...input } as never);
      expect(out.status).toBe("done");
      if (out.status !== "done") return;
      expect(out.result).toEqual(await unsharded(input));
      expect(await t.db.matchResult.count({ where: { key: out.key } })).toBe(1);
      expect(shardLogs(out.key, ": merged")).toHaveLength(1);
      // every injected death happened and was retried to completion; the queue drains
      await expect.poll(() => logs.filter((l) => l.includes("worker killed")).length, { timeout: 30_000 }).toBe(5);
      await expect.poll(async () => (await t.db.$queryRawUnsafe<{ n: number }[]>("select count(*)::int as n from graphile_worker.jobs"))[0]!.n, { timeout: 30_000 }).toBe(0);
      expect(await leftovers()).toEqual({ runs: 0, partials: 0 });

      // a duplicate of a finished shard job (a retry arriving after the merge) does nothing
      const q = canonicalQuery(ZMatchInput.parse({ datasetId, source: SOURCE, ...input }));
      const dup: ShardJobPayload = { key: out.key, runId: "gone", round: "collect", shard: 0, start: 0, end: SHARD_STEPS, minLevel: 1, query: q, workspaceId };
      expect(await runMatchShard(t.db, new MatchEngine(2 ** 20, { shardSteps: SHARD_STEPS }), dup)).toBe("stale");
      expect(await t.db.matchResult.count({ where: { key: out.key } })).toBe(1);
    } finally {
      crash.clear();
    }
  }, 120_000);
});
