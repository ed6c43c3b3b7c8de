import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Runner } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directAuc, pearson, spearman } from "../../packages/core/src/analysis/reference";
import { writeNpy } from "../../packages/formats/src/npy/npy";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { startTestWorker } from "../../tests/setup/worker";
import { resetEnvCache } from "../env";
import { computeCellSearch } from "../services/analysis/cells";
import { evidenceOnAllTracks } from "../services/analysis/evidence";
import { canonicalAnalysis } from "../services/analysis/requests";
import { executeAnalysis, runAnalysis } from "../services/analysis/run";
import { analysisKey } from "../services/analysis/schemas";
import { ANALYSIS_JOB } from "../jobs/analysis";
import { enqueue } from "../jobs/enqueue";
import { AnalysisEngine } from "../services/analysis/engine";
import { findSource } from "../services/datasets/datasets";
import { importDataset } from "../services/datasets/import";
import { MatchEngine } from "../services/matching/engine";
import { createUser } from "../services/users";
import { createWorkspace } from "../services/workspaces";
import { createCaller } from "./root";
import { trpcError } from "../../tests/fixtures/collab";

/*
 * A hand-made dataset (NumPy folder): 12 steps, source `s` with 3 cells (transform none; cell 2
 * constant), source `u` with 2 cells (cell 1 = 2 × s cell 0 − 1, cell 0 = −s cell 1), a discrete
 * track `lab` (labels code/comment/string; id 7 at step 8 has no label: missing) and a scalar
 * track `depth` with a NaN at step 5.
 */
const S0 = [0.1, 0.9, 0.8, 0.2, 0.7, 0.1, 0.9, 0.3, 0.2, 0.8, 0.1, 0.6];
const S1 = [0.5, 0.4, 0.3, 0.6, 0.5, 0.4, 0.2, 0.6, 0.7, 0.1, 0.5, 0.3];
const S2 = Array<number>(12).fill(0.25);
const LAB = [0, 1, 1, 0, 1, 0, 1, 0, 7, 1, 0, 2];
const DEPTH = [0, 1, 2, 1, 0, NaN, 2, 3, 2, 1, 0, 1];
const T = 12;
const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));

let t: TestDatabase;
let tmp: string;
let datasetId: string;
let ownerId: string;
let outsiderId: string;
let runner: Runner;
const savedUrl = process.env.DATABASE_URL;

async function makeFolder(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "tokens.txt"), Array.from({ length: T }, (_, i) => `w${i % 4}`).join("\n") + "\n");
  const s = new Float32Array(T * 3);
  const u = new Float32Array(T * 2);
  for (let i = 0; i < T; i++) {
    s.set([S0[i]!, S1[i]!, S2[i]!], i * 3);
    u.set([-S1[i]!, 2 * S0[i]! - 1], i * 2);
  }
  await writeNpy(join(dir, "s.npy"), s, [T, 3]);
  await writeNpy(join(dir, "u.npy"), u, [T, 2]);
  await writeNpy(join(dir, "lab.meta.npy"), Int32Array.from(LAB), [T]);
  await writeFile(join(dir, "lab.labels.json"), JSON.stringify(["code", "comment", "string"]));
  await writeNpy(join(dir, "depth.meta.npy"), Float32Array.from(DEPTH), [T]);
}

beforeAll(async () => {
  t = await freshDatabase();
  process.env.DATABASE_URL = t.url;
  resetEnvCache();
  tmp = await mkdtemp(join(tmpdir(), "analysis-int-"));
  ownerId = (await createUser(t.db, { email: "a@analysis.test", password: "password1" })).userId;
  outsiderId = (await createUser(t.db, { email: "o@analysis.test", password: "password1" })).userId;
  const ws = await createWorkspace(t.db, ownerId, { slug: "alab" });
  await makeFolder(join(tmp, "p"));
  datasetId = (await importDataset(t.db, { workspaceId: ws.workspaceId, userId: ownerId, path: join(tmp, "p") })).datasetId;
  runner = await startTestWorker(t, { concurrency: 2, engine: new MatchEngine(64 * 2 ** 20), analysis: new AnalysisEngine(64 * 2 ** 20) });
});
afterAll(async () => {
  await runner?.stop();
  await t.drop();
  await rm(tmp, { recursive: true, force: true });
  if (savedUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = savedUrl;
  resetEnvCache();
});

const as = (id: string) => createCaller({ db: t.db, pubsub: t.pubsub, actor: { userId: id }, publicUrl: "http://app.test" });
const ws = { workspace: "alab" } as const;

type Status = Awaited<ReturnType<ReturnType<typeof as>["analysis"]["status"]>>;
/** Polls the status until the job leaves "running" (the test's timeout bounds the wait). */
async function settle(first: Status): Promise<Status> {
  let s = first;
  while (s.status === "running") {
    await new Promise((r) => setTimeout(r, 50));
    s = await as(ownerId).analysis.status({ ...ws, key: s.key });
  }
  return s;
}


describe("cell search", () => {
  it("a label against the rest: AUC and point-biserial equal the direct computation, the unlabelled step is excluded", async () => {
    const s = await settle(await as(ownerId).analysis.cells({ ...ws, datasetId, source: "s", track: "lab", label: "comment" }));
    expect(s).toMatchObject({ kind: "cells", status: "done", error: null });
    if (s.kind !== "cells" || !s.result) throw new Error("no result");
    const keep = LAB.map((_, i) => i).filter((i) => LAB[i] !== 7);
    const pos = keep.map((i) => (LAB[i] === 1 ? 1 : 0));
    expect(s.result).toMatchObject({ track: "lab", label: "comment", kind: "discrete", excluded: 1, steps: 11, positives: 5, negatives: 6, labels: ["code", "comment", "string"] });
    const by = new Map(s.result.cells.map((c) => [c.cell, c]));
    for (const [c, col] of [[0, S0], [1, S1]] as const) {
      const v = f32(keep.map((i) => col[i]!));
      expect(by.get(c)!.auc).toBeCloseTo(directAuc(v, pos), 9);
      expect(Math.abs(by.get(c)!.pointBiserial! - pearson(v, pos))).toBeLessThan(1e-6);
    }
    // the constant cell: AUC ½, no correlation
    expect(by.get(2)).toEqual({ cell: 2, auc: 0.5, pointBiserial: null });
    // strongest first: |AUC − ½|
    const strength = s.result.cells.map((c) => Math.abs(c.auc! - 0.5));
    expect([...strength].sort((a, b) => b - a)).toEqual(strength);
    // histograms per label for the top cells: the counts add up to the defined steps of each label
    const h = s.result.histograms.find((x) => x.cell === 0)!;
    expect(h.counts.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([5, 5, 1]);
  });

  it("a scalar track: Pearson r and Spearman ρ equal the direct computation over the defined steps", async () => {
    const s = await settle(await as(ownerId).analysis.cells({ ...ws, datasetId, source: "s", track: "depth" }));
    if (s.kind !== "cells" || !s.result) throw new Error(`no result: ${s.error}`);
    const keep = DEPTH.map((_, i) => i).filter((i) => !Number.isNaN(DEPTH[i]!));
    const y = keep.map((i) => DEPTH[i]!);
    expect(s.result).toMatchObject({ kind: "scalar", label: null, excluded: 1, steps: 11 });
    for (const [c, col] of [[0, S0], [1, S1]] as const) {
      const v = f32(keep.map((i) => col[i]!));
      const got = s.result.cells.find((x) => x.cell === c)!;
      expect(Math.abs(got.r! - pearson(v, y))).toBeLessThan(1e-6);
      expect(Math.abs(got.rho! - spearman(v, y))).toBeLessThan(1e-6);
    }
    expect(s.result.histograms[0]!.trackMean).toBeDefined();
  });

  it("is answered from the store the second time, with the same key", async () => {
    const first = await settle(await as(ownerId).analysis.cells({ ...ws, datasetId, source: "s", track: "lab", label: "code" }));
    const again = await as(ownerId).analysis.cells({ ...ws, datasetId, source: "s", track: "lab", label: "code" });
    expect(again.status).toBe("done");
    expect(again.key).toBe(first.key);
    expect(again.result).toEqual(first.result);
  });

  it("refuses at once a missing label, an unknown label, a label on a scalar track and an unknown track, naming what exists", async () => {
    const c = as(ownerId).analysis;
    expect((await trpcError(c.cells({ ...ws, datasetId, source: "s", track: "lab" }))).message).toContain('name the label to compare against the rest (labels: "code", "comment", "string")');
    expect((await trpcError(c.cells({ ...ws, datasetId, source: "s", track: "lab", label: "yes" }))).message).toContain('track "lab" has no label "yes"');
    expect((await trpcError(c.cells({ ...ws, datasetId, source: "s", track: "depth", label: "x" }))).message).toContain("is scalar: leave out the label");
    expect((await trpcError(c.cells({ ...ws, datasetId, source: "s", track: "nope" }))).message).toContain("discrete and scalar tracks: depth, lab");
  });

  it("the members' annotations track: unannotated steps are the rest, an edit makes a new key", async () => {
    const cat = await as(ownerId).annotation.createCategory({ ...ws, datasetId, name: "high" });
    await as(ownerId).annotation.create({ ...ws, datasetId, categoryId: cat.id, start: 1, end: 3 });
    const a = await settle(await as(ownerId).analysis.cells({ ...ws, datasetId, source: "s", track: "annotations", label: "high" }));
    if (a.kind !== "cells" || !a.result) throw new Error(`no result: ${a.error}`);
    expect(a.result).toMatchObject({ excluded: 0, positives: 2, negatives: 10, labels: ["(none)", "high"] });
    const pos = S0.map((_, i) => (i >= 1 && i < 3 ? 1 : 0));
    expect(a.result.cells.find((c) => c.cell === 0)!.auc).toBeCloseTo(directAuc(f32(S0), pos), 9);
    await as(ownerId).annotation.create({ ...ws, datasetId, categoryId: cat.id, start: 6, end: 7 });
    const b = await as(ownerId).analysis.cells({ ...ws, datasetId, source: "s", track: "annotations", label: "high" });
    expect(b.key).not.toBe(a.key);
    const bb = await settle(b);
    expect(bb.kind === "cells" && bb.result?.positives).toBe(3);
  });

  it("a label no step carries fails with the reason (status failed, no retry loop); asking again runs it again", async () => {
    await as(ownerId).annotation.createCategory({ ...ws, datasetId, name: "empty" });
    const s = await settle(await as(ownerId).analysis.cells({ ...ws, datasetId, source: "s", track: "annotations", label: "empty" }));
    expect(s).toMatchObject({ status: "failed", result: null });
    expect(s.error).toContain("no step carries the label");
    const again = await as(ownerId).analysis.cells({ ...ws, datasetId, source: "s", track: "annotations", label: "empty" });
    expect(again).toMatchObject({ key: s.key, status: "running", error: null });
    expect((await settle(again)).status).toBe("failed");
  });

  it("a source larger than the worker's memory budget is scored in blocks of cells, with the same numbers", async () => {
    const src = await findSource(t.db, null, datasetId, "s");
    const progress = async () => undefined;
    for (const q of [
      { datasetId, source: "s", track: "lab", label: "comment", trackVersion: null },
      { datasetId, source: "s", track: "depth", label: null, trackVersion: null },
    ]) {
      const whole = await computeCellSearch(t.db, new AnalysisEngine(2 ** 20), src, q, progress);
      const small = new AnalysisEngine(300); // 12 steps × 3 cells × 8 bytes prepared do not fit: one cell per block
      expect(small.fits(src, true)).toBe(false);
      const blocks = await computeCellSearch(t.db, small, src, q, progress);
      expect(blocks.result).toEqual(whole.result);
      expect(small.cache.size).toBe(0);
    }
  });

  it("is scoped to the workspace: an outsider cannot ask or read", async () => {
    const s = await settle(await as(ownerId).analysis.cells({ ...ws, datasetId, source: "s", track: "lab", label: "comment" }));
    expect((await trpcError(as(outsiderId).analysis.cells({ ...ws, datasetId, source: "s", track: "lab", label: "comment" }))).code).toBe("FORBIDDEN");
    expect((await trpcError(as(outsiderId).analysis.status({ ...ws, key: s.key }))).code).toBe("FORBIDDEN");
  });

  it("an analysis job looks its sources up in the workspace it names: another workspace's dataset is NOT_FOUND, nothing is stored, no retry", async () => {
    const other = await createWorkspace(t.db, outsiderId, { slug: "aother" });
    const a = await canonicalAnalysis(t.db, null, { kind: "cells", input: { datasetId, source: "u", track: "depth" } });
    const key = analysisKey(a);
    // the running worker gets a job naming workspace B and A's dataset: it ends at once (not retried) and stores nothing
    const jobKey = `analysis:${key}`;
    await enqueue(ANALYSIS_JOB, { key, analysis: a, workspaceId: other.workspaceId }, { db: t.db, jobKey, maxAttempts: 3 });
    const left = async () => (await t.db.$queryRaw<{ n: number }[]>`select count(*)::int as n from graphile_worker.jobs where key = ${jobKey}`)[0]!.n;
    await expect.poll(left, { timeout: 30_000 }).toBe(0);
    expect(await t.db.analysisResult.count({ where: { key } })).toBe(0);
    await expect(runAnalysis(t.db, new AnalysisEngine(2 ** 20), other.workspaceId, key, a)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(executeAnalysis(t.db, new AnalysisEngine(2 ** 20), other.workspaceId, a, async () => undefined)).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await t.db.analysisResult.count({ where: { key } })).toBe(0);
    // and the evidence frozen with a hypothesis or published in a finding
    await expect(evidenceOnAllTracks(t.db, other.workspaceId, datasetId, "s", [{ pos: 0, length: 2 }])).rejects.toMatchObject({ code: "NOT_FOUND" });
    // the same query in its own workspace is computed
    const own = await t.db.workspace.findUniqueOrThrow({ where: { slug: "alab" }, select: { id: true } });
    expect(await runAnalysis(t.db, new AnalysisEngine(2 ** 20), own.id, key, a)).toBe("done");
  });
});

describe("evidence for a match (hand-made answers)", () => {
  it("label shares over the matched defined steps, base rates over the defined steps, lift", async () => {
    // union [1,4) ∪ [3,5) ∪ [8,10) = steps 1,2,3,4,8,9; step 8 (id 7) is undefined
    const e = await as(ownerId).analysis.evidence({ ...ws, datasetId, source: "s", track: "lab", ranges: [{ pos: 1, length: 3 }, { pos: 3, length: 2 }, { pos: 8, length: 2 }] });
    expect(e).toMatchObject({ kind: "discrete", track: "lab", matchedSteps: 6, matchedDefined: 5, definedSteps: 11 });
    if (e.kind !== "discrete") throw new Error("kind");
    const by = Object.fromEntries(e.labels.map((l) => [l.label, l]));
    // comment: steps 1,2,4,9 of 5 matched → 4/5; base 5/11 (steps 1,2,4,6,9); lift 44/25
    expect(by.comment).toMatchObject({ matched: 4, total: 5 });
    expect(by.comment!.share).toBeCloseTo(4 / 5, 12);
    expect(by.comment!.base).toBeCloseTo(5 / 11, 12);
    expect(by.comment!.lift).toBeCloseTo(44 / 25, 12);
    // code: step 3 → 1/5 vs 5/11; string: none matched → share 0, lift 0
    expect(by.code!.lift).toBeCloseTo(11 / 25, 12);
    expect(by.string).toMatchObject({ matched: 0, total: 1, share: 0, lift: 0 });
  });

  it("a scalar track: the mean inside the matches vs overall, NaN left out", async () => {
    // steps 4,5,6: depth 0, NaN, 2 → mean 1; overall mean of the 11 defined values = 13/11
    const e = await as(ownerId).analysis.evidence({ ...ws, datasetId, source: "s", track: "depth", ranges: [{ pos: 4, length: 3 }] });
    expect(e).toMatchObject({ kind: "scalar", matchedSteps: 3, matchedDefined: 2, definedSteps: 11, mean: 1 });
    if (e.kind !== "scalar") throw new Error("kind");
    expect(e.baseMean).toBeCloseTo(13 / 11, 12);
  });

  it("is frozen with a hypothesis: the evidence of its results on every discrete and scalar track", async () => {
    const h = await as(ownerId).hypothesis.create({ ...ws, datasetId, name: "high s0", source: "s", start: 1, end: 3, padLeft: 1, padRight: 0, threshold: 0.5, cells: [0], addedCells: [], excludedCells: [], mode: "precise", length: null, tags: [], freezeResults: true });
    const frozen = h.frozen!;
    expect(frozen.result.results.length).toBeGreaterThan(0);
    expect(frozen.evidence.map((e) => e.track)).toEqual(["depth", "lab", "annotations"]);
    const ranges = frozen.result.results.map((r) => ({ pos: r.pos, length: r.length }));
    const lab = await as(ownerId).analysis.evidence({ ...ws, datasetId, source: "s", track: "lab", ranges });
    // stored as JSONB: numbers come back to within the last digit
    const rounded = (x: unknown) => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (typeof v === "number" ? Number(v.toPrecision(12)) : v))) as unknown;
    expect(rounded(frozen.evidence[1])).toEqual(rounded(lab));
    // and it is read back as it was stored
    expect((await as(ownerId).hypothesis.get({ ...ws, id: h.id })).frozen!.evidence).toEqual(frozen.evidence);
  });

  it("refuses ranges past the source's end", async () => {
    expect((await trpcError(as(ownerId).analysis.evidence({ ...ws, datasetId, source: "s", track: "lab", ranges: [{ pos: 10, length: 5 }] }))).message).toContain("[10, 15) is outside");
  });
});

describe("threshold guidance", () => {
  it("curves on the source's grid: candidate ranges and rule picks equal a direct count", async () => {
    const s = await settle(await as(ownerId).analysis.guide({ ...ws, datasetId, source: "s", cells: [0, 1], brush: [1, 3], pad: [1, 0] }));
    if (s.kind !== "guide" || !s.result) throw new Error(`no result: ${s.error}`);
    const g = s.result.grid;
    const at = (thr: number) => Math.round(thr / (g.mant * 10 ** g.exp)) - g.first;
    // ℓ = 0.3: both cells on at steps 1,2,4,7,11: of the runs only [1,3) has length ≥ 2
    expect(s.result.candidates[at(0.3)]).toBe(1);
    // ℓ = 0.3: cell 0 is on in [1,3) (.9 .8) and off at step 0 (.1); cell 1 is on there (.4 .3) but
    // also at step 0 (.5), which the padding forbids; cell 2 (.25) is never on
    expect(s.result.picked[at(0.3)]).toBe(1);
    expect(s.result.cells.map((c) => c.cell)).toEqual([0, 1]);
    expect(s.result.margin).toHaveLength(g.count);
  });

  it("keeps guidance results for a day: an older one is deleted when guidance is asked for again", async () => {
    const a = await settle(await as(ownerId).analysis.guide({ ...ws, datasetId, source: "s", cells: [0], brush: [1, 3] }));
    await t.db.analysisResult.update({ where: { key: a.key }, data: { updatedAt: new Date(Date.now() - 25 * 3600 * 1000) } });
    const cells = await t.db.analysisResult.count({ where: { datasetId, kind: "cells" } });
    await settle(await as(ownerId).analysis.guide({ ...ws, datasetId, source: "s", cells: [1], brush: [1, 3] }));
    expect(await t.db.analysisResult.findUnique({ where: { key: a.key } })).toBeNull();
    expect(await t.db.analysisResult.count({ where: { datasetId, kind: "cells" } })).toBe(cells);
  });

  it("refuses a brush past the end and cells the source does not have", async () => {
    expect((await trpcError(as(ownerId).analysis.guide({ ...ws, datasetId, source: "s", cells: [0], brush: [10, 20] }))).message).toContain("the brush [10, 20) is outside");
    expect((await trpcError(as(ownerId).analysis.guide({ ...ws, datasetId, source: "s", cells: [5], brush: [1, 3] }))).message).toContain("has 3 cells, the request selected cell 5");
  });
});

describe("layer comparison", () => {
  it("top pairs and a cell's partners: exact r of the transformed values", async () => {
    const s = await settle(await as(ownerId).analysis.compare({ ...ws, datasetId, sourceA: "s", sourceB: "u", top: 3 }));
    if (s.kind !== "compare" || !s.result) throw new Error(`no result: ${s.error}`);
    // u1 = 2·s0 − 1 and u0 = −s1: r = +1 and −1 (up to float32 rounding); the sample is every step
    expect(s.result.sampleSteps).toBe(T);
    expect(s.result.pairs.slice(0, 2).map((p) => [p.a, p.b]).sort()).toEqual([[0, 1], [1, 0]]);
    for (const p of s.result.pairs.slice(0, 2)) expect(Math.abs(Math.abs(p.r) - 1)).toBeLessThan(1e-6);
    const q = await settle(await as(ownerId).analysis.partners({ ...ws, datasetId, source: "s", cell: 0, other: "u" }));
    if (q.kind !== "partners" || !q.result) throw new Error(`no result: ${q.error}`);
    const U1 = f32(S0.map((v) => 2 * v - 1));
    expect(q.result.partners[0]!.cell).toBe(1);
    expect(Math.abs(q.result.partners[0]!.r! - pearson(f32(S0), U1))).toBeLessThan(1e-6);
    expect(Math.abs(q.result.partners[1]!.r! - pearson(f32(S0), f32(S1.map((v) => -v))))).toBeLessThan(1e-6);
  });
});
