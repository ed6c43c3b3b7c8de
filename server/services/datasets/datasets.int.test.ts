import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppError } from "@statescope/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTar } from "../../../tests/fixtures/formats/archives";
import { DEFAULT_YML, makeLstmVisProject, makeNumpyFolder, WORDS } from "../../../tests/fixtures/formats/projects";
import { freshDatabase, type TestDatabase } from "../../../tests/setup/db";
import { createCaller } from "../../api/root";
import { createUser } from "../users";
import { createWorkspace } from "../workspaces";
import { readStates, searchTokens, startImportFromUpload } from "./datasets";
import { importDataset } from "./import";
import { datasetContentHash } from "./content-hash";
import { pgPool } from "../../db/client";
import { DATASET_JOB_ATTEMPTS } from "@/server/jobs/datasets";

let t: TestDatabase;
let tmp: string;
let workspaceId: string;
let ownerId: string;
let viewerId: string;
let editorId: string;
beforeAll(async () => {
  t = await freshDatabase();
  tmp = await mkdtemp(join(tmpdir(), "ds-int-"));
  const owner = await createUser(t.db, { email: "owner@ds.test", password: "password1" });
  const viewer = await createUser(t.db, { email: "viewer@ds.test", password: "password1" });
  const editor = await createUser(t.db, { email: "editor@ds.test", password: "password1" });
  ownerId = owner.userId;
  viewerId = viewer.userId;
  editorId = editor.userId;
  const ws = await createWorkspace(t.db, ownerId, { slug: "lab" });
  workspaceId = ws.workspaceId;
  await t.db.membership.createMany({
    data: [
      { workspaceId, userId: viewerId, role: "VIEWER" },
      { workspaceId, userId: editorId, role: "EDITOR" },
    ],
  });
});
afterAll(async () => {
  await t.drop();
  await rm(tmp, { recursive: true, force: true });
});

const as = (userId: string) => createCaller({ db: t.db, pubsub: t.pubsub, actor: { userId }, publicUrl: "http://app.test" });

/** Row counts of every dataset table. */
async function counts() {
  const [datasets, sources, stateChunks, tokenChunks, vocab, tracks, metaChunks] = await Promise.all([
    t.db.dataset.count(),
    t.db.datasetSource.count(),
    t.db.stateChunk.count(),
    t.db.tokenChunk.count(),
    t.db.vocabEntry.count(),
    t.db.metaTrack.count(),
    t.db.metaChunk.count(),
  ]);
  return { datasets, sources, stateChunks, tokenChunks, vocab, tracks, metaChunks };
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

function expectRows(values: Float32Array, expected: ArrayLike<number>, from: number, to: number, cells: number) {
  const want = Float32Array.from({ length: (to - from) * cells }, (_, i) => expected[from * cells + i]!);
  expect(Array.from(values)).toEqual(Array.from(want));
}

describe("importDataset", () => {
  it("imports an LSTMVis project (float32, float64 chunked+gzip, gzip word ids) with the exact stored values", async () => {
    const fx = await makeLstmVisProject(join(tmp, "p1"), { n: 20_000 });
    const phases = new Set<string>();
    const out = await importDataset(t.db, { workspaceId, userId: ownerId, path: fx.dir }, { onProgress: (p) => phases.add(p) });
    expect(out).toEqual({
      datasetId: expect.any(String),
      name: "tiny_books",
      steps: 20_000,
      vocabularySize: WORDS.length,
      sources: [
        { name: "states::states1", steps: 20_000, cells: 4, transform: "tanh", min: expect.any(Number), max: expect.any(Number) },
        { name: "states::output1", steps: 20_000, cells: 4, transform: "none", min: expect.any(Number), max: expect.any(Number) },
        { name: "other::states2", steps: 20_000, cells: 3, transform: "tanh", min: expect.any(Number), max: expect.any(Number) },
      ],
      metaTracks: [
        { name: "pos", kind: "discrete", labels: ["DET", "NOUN", "VERB"] },
        { name: "wordlen", kind: "scalar" },
        { name: "topk", kind: "wordvec" },
      ],
      warnings: [],
    });
    expect(phases).toContain("sources");
    const s1 = out.sources[0]!;
    expect(s1.min).toBe(Math.min(...Array.from(fx.states1)));
    expect(s1.max).toBe(Math.max(...Array.from(fx.states1)));

    // 16384-row chunks for 3-4 cells: whole sources and a window across the chunk boundary
    const all = await readStates(t.db, workspaceId, { datasetId: out.datasetId, source: "states::states1", from: 0, to: 20_000 }, 20_000);
    expectRows(all.values, fx.states1, 0, 20_000, 4);
    const all64 = await readStates(t.db, workspaceId, { datasetId: out.datasetId, source: "other::states2", from: 0, to: 20_000 }, 20_000);
    expectRows(all64.values, fx.states2, 0, 20_000, 3); // float64 source stored as float32 (Math.fround)
    const w64 = await readStates(t.db, workspaceId, { datasetId: out.datasetId, source: "other::states2", from: 15_000, to: 17_000 });
    expectRows(w64.values, fx.states2, 15_000, 17_000, 3);
    const sel = await readStates(t.db, workspaceId, { datasetId: out.datasetId, source: "states::output1", from: 10, to: 13, cells: [3, 0] });
    expect(Array.from(sel.values)).toEqual([10, 11, 12].flatMap((r) => [Math.fround(fx.output1[r * 4 + 3]!), Math.fround(fx.output1[r * 4]!)]));

    const detail = await as(viewerId).dataset.get({ workspace: "lab", datasetId: out.datasetId });
    expect(detail.status).toBe("READY");
    expect(detail.percent).toBe(100);
    expect(detail.sources[2]).toMatchObject({ name: "other::states2", type: "state", layer: 2, unsigned: false });
    const h = detail.sources[0]!.histogram;
    expect(h.counts).toHaveLength(64);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(20_000 * 4);
    expect(h.edges[0]).toBeCloseTo(s1.min, 12);
    expect(h.edges[64]).toBeCloseTo(s1.max, 12);
    expect(detail.metaTracks[2]).toMatchObject({ name: "topk", kind: "wordvec", width: 2, hasWeights: true });
    expect(detail.report).toMatchObject({ truncation: null, unknownIds: { count: 0 }, format: "lstmvis" });
    // hashed while written (sources in name order, not the project's), the same as reading it all back
    const { contentHash } = await t.db.dataset.findUniqueOrThrow({ where: { id: out.datasetId }, select: { contentHash: true } });
    expect(contentHash).toBe(await datasetContentHash(pgPool(t.db), out.datasetId));

    const tokens = await as(viewerId).dataset.tokens({ workspace: "lab", datasetId: out.datasetId, from: 5, to: 9 });
    expect(tokens.tokens).toEqual([5, 6, 7, 8].map((t) => WORDS[fx.ids[t]! - 1]));

    const states = await as(viewerId).dataset.states({ workspace: "lab", datasetId: out.datasetId, source: "states::states1", from: 16_380, to: 16_390, cells: [1] });
    const bytes = Buffer.from(states.data, "base64");
    const decoded = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    expect(Array.from(decoded)).toEqual(Array.from({ length: 10 }, (_, i) => fx.states1[(16_380 + i) * 4 + 1]!));
  });

  it("imports a NumPy folder and an archive of it", async () => {
    const fx = await makeNumpyFolder(join(tmp, "np"), { n: 40 });
    await rm(join(fx.dir, "g.npy")); // 2 rows of float16 would truncate the dataset to 2 steps
    const out = await importDataset(t.db, { workspaceId, userId: ownerId, path: fx.dir, name: "numpy one" });
    expect(out.name).toBe("numpy one");
    expect(out.sources.map((s) => [s.name, s.cells, s.transform])).toEqual(
      expect.arrayContaining([
        ["h", 5, "none"],
        ["c", 2, "tanh"],
      ]),
    );
    const h = await readStates(t.db, workspaceId, { datasetId: out.datasetId, source: "h", from: 0, to: 40 });
    expectRows(h.values, fx.h, 0, 40, 5);
    const c = await readStates(t.db, workspaceId, { datasetId: out.datasetId, source: "c", from: 3, to: 40 });
    expectRows(c.values, fx.c, 3, 40, 2);

    const entries = await readdir(fx.dir);
    const { readFile } = await import("node:fs/promises");
    const tar = makeTar(await Promise.all(entries.map(async (n) => ({ name: `proj/${n}`, data: await readFile(join(fx.dir, n)) }))));
    const archive = join(tmp, "np.tar.gz");
    await writeFile(archive, tar);
    const workDir = join(tmp, "work");
    const fromArchive = await importDataset(t.db, { workspaceId, userId: ownerId, path: archive }, { workDir });
    expect(fromArchive.steps).toBe(40);
    expect(await readdir(workDir)).toEqual([]); // extraction cleaned up
  });

  it("reports truncation and unknown ids as warnings", async () => {
    const fx = await makeLstmVisProject(join(tmp, "trunc"), { n: 30, rows: 25, unknownAt: [2, 4] });
    const out = await importDataset(t.db, { workspaceId, userId: ownerId, path: fx.dir });
    expect(out.steps).toBe(25);
    expect(out.warnings.join("\n")).toMatch(/fewer than the 30 word ids: the dataset is truncated to 25 steps/);
    expect(out.warnings.join("\n")).toMatch(/8/);
    const detail = await as(viewerId).dataset.get({ workspace: "lab", datasetId: out.datasetId });
    expect(detail.report?.truncation).toEqual({ wordSequenceLength: 30, steps: 25 });
    expect(detail.report?.unknownIds).toMatchObject({ count: 2, distinct: 1, examples: [8] });
    const tokens = await as(viewerId).dataset.tokens({ workspace: "lab", datasetId: out.datasetId, from: 0, to: 5 });
    expect(tokens.tokens[2]).toBe("<unk:8>");
  });

  it("re-importing the same folder creates a new dataset", async () => {
    const fx = await makeLstmVisProject(join(tmp, "again"), { n: 12 });
    const a = await importDataset(t.db, { workspaceId, userId: ownerId, path: fx.dir });
    const b = await importDataset(t.db, { workspaceId, userId: ownerId, path: fx.dir });
    expect(a.datasetId).not.toBe(b.datasetId);
  });

  it("leaves nothing behind when the input is bad (NaN in the last slice, missing file)", async () => {
    const fx = await makeLstmVisProject(join(tmp, "nan"), { n: 50, nonFinite: [[45, 1]] });
    const before = await counts();
    const e = await rejection(importDataset(t.db, { workspaceId, userId: ownerId, path: fx.dir }));
    expect(e.code).toBe("BAD_INPUT");
    expect(e.message).toMatch(/states\.h5::states1.*1 NaN\/Inf value, first at \(t=45, cell=1\)/);
    expect(await counts()).toEqual(before);

    const missing = await rejection(importDataset(t.db, { workspaceId, userId: ownerId, path: join(tmp, "nope") }));
    expect(missing.code).toBe("BAD_INPUT");
    expect(await counts()).toEqual(before);
  });

  it("leaves nothing behind when cancelled (signal) and a pending row FAILED without data when cancelled by flag", async () => {
    const fx = await makeLstmVisProject(join(tmp, "cancel"), { n: 40_000 });
    const before = await counts();
    const ctl = new AbortController();
    const e = await rejection(
      importDataset(t.db, { workspaceId, userId: ownerId, path: fx.dir }, { signal: ctl.signal, onProgress: (p) => p === "sources" && ctl.abort() }),
    );
    expect(e.code).toBe("CONFLICT");
    expect(e.message).toMatch(/cancelled/);
    expect(await counts()).toEqual(before);

    // the UI path: a pending row, cancelled through the API while the import runs
    const datasetId = (await t.db.dataset.create({ data: { workspaceId, name: "pending", createdById: editorId } })).id;
    let asked = false;
    const run = importDataset(
      t.db,
      { workspaceId, userId: editorId, path: fx.dir, datasetId },
      {
        progressIntervalMs: 0,
        onProgress: (p) => {
          if (p === "sources" && !asked) {
            asked = true;
            void as(editorId).dataset.cancelImport({ workspace: "lab", datasetId });
          }
        },
      },
    );
    expect((await rejection(run)).message).toMatch(/cancelled/);
    const after = await counts();
    expect(after).toEqual({ ...before, datasets: before.datasets + 1 });
    const progress = await as(viewerId).dataset.importProgress({ workspace: "lab", datasetId });
    expect(progress).toMatchObject({ status: "FAILED", error: expect.stringMatching(/cancelled/) });
    await as(editorId).dataset.delete({ workspace: "lab", datasetId });
    expect(await counts()).toEqual(before);
  });

  it("searches phrases on word-level data", async () => {
    const fx = await makeLstmVisProject(join(tmp, "search"), { n: 30 });
    const out = await importDataset(t.db, { workspaceId, userId: ownerId, path: fx.dir });
    // ids cycle the / cat / sat / on / mat / <space> / . (period 7)
    const r = await searchTokens(t.db, workspaceId, { datasetId: out.datasetId, query: "cat sat", mode: "phrase", ignoreCase: false, from: 0, limit: 10 });
    expect(r.matches).toEqual([
      { from: 1, to: 3 },
      { from: 8, to: 10 },
      { from: 15, to: 17 },
      { from: 22, to: 24 },
    ]);
    expect(r.total).toBe(4);
    const partial = await searchTokens(t.db, workspaceId, { datasetId: out.datasetId, query: "at", mode: "phrase", ignoreCase: false, from: 0, limit: 10 });
    expect(partial.total).toBe(0); // whole tokens only
    const next = await as(viewerId).dataset.search({ workspace: "lab", datasetId: out.datasetId, query: "THE", ignoreCase: true, from: 8 });
    expect(next.matches[0]).toEqual({ from: 14, to: 15 });
    await expect(as(viewerId).dataset.search({ workspace: "lab", datasetId: out.datasetId, query: "c.t", mode: "regex" })).rejects.toThrow(/regex search is for character-level/);
  });

  it("searches by regex on character-level data, and stops a pattern that backtracks for ever", async () => {
    const fx = await makeLstmVisProject(join(tmp, "regex"), { n: 400, yml: DEFAULT_YML.replace("regex_search: false", "regex_search: true") });
    const out = await importDataset(t.db, { workspaceId, userId: ownerId, path: fx.dir });
    const search = (query: string) => as(viewerId).dataset.search({ workspace: "lab", datasetId: out.datasetId, query, mode: "regex", limit: 3 });
    // tokens joined without a separator: "thecatsaton…"; "c.t" spans the token "cat" only
    const r = await search("c.t");
    expect(r.matches).toEqual([
      { from: 1, to: 2 },
      { from: 8, to: 9 },
      { from: 15, to: 16 },
    ]);
    expect(r.total).toBe(Math.ceil((400 - 1) / 7));
    // 2^(n/2)… ways to split ~1,200 characters, none ending in "#": stopped at the time limit with a message
    const t0 = performance.now();
    await expect(search("([\\s\\S]|[\\s\\S][\\s\\S])+#")).rejects.toThrow(/took longer than 2 s over [\d,]+ characters and was stopped: simplify the pattern/);
    expect(performance.now() - t0).toBeLessThan(10_000);
    // and the server goes on answering
    expect((await search("sat")).total).toBeGreaterThan(0);
  });
});

describe("dataset router", () => {
  it("lists, bounds inputs, checks roles and deletes", async () => {
    const fx = await makeLstmVisProject(join(tmp, "router"), { n: 20 });
    const out = await importDataset(t.db, { workspaceId, userId: ownerId, path: fx.dir, name: "router set" });
    const list = await as(viewerId).dataset.list({ workspace: "lab" });
    expect(list.map((d) => d.id)).toContain(out.datasetId);
    await expect(as(viewerId).dataset.tokens({ workspace: "lab", datasetId: out.datasetId, from: 0, to: 6000 })).rejects.toThrow(/at most 5000/);
    await expect(as(viewerId).dataset.states({ workspace: "lab", datasetId: out.datasetId, source: "states::states1", from: 0, to: 21 })).rejects.toThrow(/out of range/);
    await expect(as(viewerId).dataset.states({ workspace: "lab", datasetId: out.datasetId, source: "states::states1", from: 0, to: 2, cells: [9] })).rejects.toThrow(
      /source states::states1 has 4 cells, the request selected cell 9/,
    );
    await expect(as(viewerId).dataset.states({ workspace: "lab", datasetId: out.datasetId, source: "nope", from: 0, to: 2 })).rejects.toThrow(/no source "nope"/);
    await expect(as(viewerId).dataset.delete({ workspace: "lab", datasetId: out.datasetId })).rejects.toThrow(/EDITOR/);
    await expect(as(editorId).dataset.delete({ workspace: "lab", datasetId: out.datasetId })).rejects.toThrow(/only an OWNER/);
    await as(ownerId).dataset.delete({ workspace: "lab", datasetId: out.datasetId });
    await expect(as(viewerId).dataset.get({ workspace: "lab", datasetId: out.datasetId })).rejects.toThrow(/does not exist/);
  });

  it("queues an upload import as a pending dataset", async () => {
    const fx = await makeLstmVisProject(join(tmp, "upload"), { n: 20 });
    const { datasetId } = await startImportFromUpload(t.db, { workspaceId, userId: editorId, filePath: fx.dir, name: "uploaded" });
    const p = await as(viewerId).dataset.importProgress({ workspace: "lab", datasetId });
    expect(p).toMatchObject({ status: "IMPORTING", phase: "queued", percent: 0 });
    const { Client } = (await import("pg")).default;
    const c = new Client({ connectionString: t.url });
    await c.connect();
    const jobs = await c
      .query<{ task_identifier: string; max_attempts: number; payload: { datasetId: string } }>(
        "select t.identifier as task_identifier, j.max_attempts, j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id",
      )
      .finally(() => c.end());
    // a killed import runs again from nothing (server/jobs/datasets.ts); bad input fails at once without a retry
    expect(jobs.rows).toEqual([{ task_identifier: "dataset:import", max_attempts: DATASET_JOB_ATTEMPTS, payload: expect.objectContaining({ datasetId, deleteAfter: true }) }]);
  });
});
