/**
 * `dataset.windows` (the Match view's result rows in one request): every range's tokens, the
 * selected cells' stored values and the tracks' rows, equal to the fixture's values, across
 * state, token and meta chunk boundaries; the members' annotations track; bad ranges named.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { makeLstmVisProject, stateValue, WORDS } from "../../../tests/fixtures/formats/projects";
import { freshDatabase, type TestDatabase } from "../../../tests/setup/db";
import { createCaller } from "../../api/root";
import { readWholeSource, TOKEN_CHUNK_ROWS } from "../../storage/dataset-store";
import { createUser } from "../users";
import { createWorkspace } from "../workspaces";
import { pgPool } from "../../db/client";
import { findSource } from "./datasets";
import { importDataset } from "./import";
import { readSourceWindows } from "./windows";

// a state chunk of 4 cells holds 16 384 rows, a topk (width 2) meta chunk 32 768, a token chunk 65 536
const N = TOKEN_CHUNK_ROWS + 500;
let t: TestDatabase;
let tmp: string;
let userId: string;
let datasetId: string;
let source: string;
beforeAll(async () => {
  t = await freshDatabase();
  tmp = await mkdtemp(join(tmpdir(), "windows-int-"));
  userId = (await createUser(t.db, { email: "owner@windows.test", password: "password1" })).userId;
  const { workspaceId } = await createWorkspace(t.db, userId, { slug: "lab" });
  const fx = await makeLstmVisProject(join(tmp, "p"), { n: N });
  datasetId = (await importDataset(t.db, { workspaceId, userId, path: fx.dir })).datasetId;
  source = (await caller().dataset.get({ workspace: "lab", datasetId })).sources.find((s) => s.type === "state" && s.layer === 1)!.name;
}, 120_000);
afterAll(async () => {
  await t.drop();
  await rm(tmp, { recursive: true, force: true });
});

const caller = () => createCaller({ db: t.db, pubsub: t.pubsub, actor: { userId }, publicUrl: "http://app.test" });
const bytes = (b64: string) => Uint8Array.from(Buffer.from(b64, "base64")).buffer;

describe("dataset.windows", () => {
  it("reads every range's tokens, selected cells and track rows in one call, across chunk boundaries", async () => {
    const ranges: [number, number][] = [
      [0, 23],
      [16_380, 16_400], // state chunk boundary (16 384)
      [32_760, 32_790], // topk meta chunk boundary (32 768)
      [TOKEN_CHUNK_ROWS - 10, TOKEN_CHUNK_ROWS + 13], // token chunk boundary
      [N - 5, N],
      [0, 23], // the same range twice
    ];
    const cells = [3, 0];
    const r = await caller().dataset.windows({ workspace: "lab", datasetId, source, cells, ranges, tracks: ["pos", "topk"] });
    expect(r.tokens).toHaveLength(ranges.length);
    ranges.forEach(([from, to], i) => {
      expect(r.tokens[i]).toEqual(Array.from({ length: to - from }, (_, k) => WORDS[(from + k) % WORDS.length]));
      const states = new Float32Array(bytes(r.states[i]!));
      expect(Array.from(states)).toEqual(Array.from({ length: (to - from) * 2 }, (_, k) => Math.fround(stateValue(from + (k >> 1), cells[k & 1]!))));
      const pos = r.tracks[0]![i]!;
      expect([pos.track, pos.from, pos.to]).toEqual(["pos", from, to]);
      expect(Array.from(new Int32Array(bytes(pos.data)))).toEqual(Array.from({ length: to - from }, (_, k) => ((from + k) % 3) + 1));
      const topk = r.tracks[1]![i]!;
      expect(topk.width).toBe(2);
      const ids = new Int32Array(bytes(topk.data));
      expect(Array.from(ids)).toEqual(Array.from({ length: (to - from) * 2 }, (_, k) => ((2 * from + k) % WORDS.length) + 1));
      expect(Array.from(new Float32Array(bytes(topk.weights!)))).toEqual(Array.from({ length: (to - from) * 2 }, (_, k) => 1 / (1 + (k % 2))));
      // the words of exactly this window's ids
      expect(new Set(topk.words!.map((w) => w.id))).toEqual(new Set(ids));
    });
    // the same rows as the single-window reads
    const one = await caller().dataset.meta({ workspace: "lab", datasetId, track: "topk", from: 32_760, to: 32_790 });
    expect(one.data).toBe(r.tracks[1]![2]!.data);
  });

  it("reads the rows of a click in one statement: tokens and their words, states, and every track's layout, rows and words", async () => {
    // before (#15): tokens then their words, states, and per track its layout then its rows (and a
    // wordvec track's words) — eight statements, three after one another on the click's path
    const { workspaceId } = (await t.db.dataset.findUniqueOrThrow({ where: { id: datasetId }, select: { workspaceId: true } }));
    const src = await findSource(t.db, workspaceId, datasetId, source);
    const pool = pgPool(t.db);
    const spy = vi.spyOn(pool, "query");
    try {
      const r = await readSourceWindows(t.db, src, { cells: [1], ranges: [[32_760, 32_790], [5, 9]], tracks: ["pos", "topk"] });
      expect(spy).toHaveBeenCalledTimes(1);
      expect(r.tokens[1]).toEqual([5, 6, 7, 8].map((k) => WORDS[k % WORDS.length]));
      expect(r.tracks[1]![0]!.words!.length).toBeGreaterThan(0);
    } finally {
      spy.mockRestore();
    }
  });

  it("with the source's floats in memory (a match engine's), answers the same and reads no state chunk", async () => {
    const { workspaceId } = await t.db.dataset.findUniqueOrThrow({ where: { id: datasetId }, select: { workspaceId: true } });
    const src = await findSource(t.db, workspaceId, datasetId, source);
    const decoded = await readWholeSource(pgPool(t.db), src);
    const input = { cells: [3, 0, 2], ranges: [[0, 23], [16_380, 16_400], [N - 5, N], [0, 23]] as [number, number][], tracks: ["pos", "topk"] };
    const stored = await readSourceWindows(t.db, src, input);
    const pool = pgPool(t.db);
    const spy = vi.spyOn(pool, "query");
    try {
      expect(await readSourceWindows(t.db, src, input, "members", decoded)).toEqual(stored);
      expect(spy).toHaveBeenCalledTimes(1);
      const sql = spy.mock.calls.map((c) => JSON.stringify(c[0])).join(" ");
      expect(sql).not.toMatch(/StateChunk/);
      expect(sql).toMatch(/TokenChunk/);
    } finally {
      spy.mockRestore();
    }
    // floats of another shape are refused, not cut wrong
    await expect(readSourceWindows(t.db, src, input, "members", decoded.subarray(4))).rejects.toThrow(/decoded values/);
  });

  it("includes the members' annotations track, latest annotation winning", async () => {
    const c = caller();
    const cat = await c.annotation.createCategory({ workspace: "lab", datasetId, name: "quote" });
    await c.annotation.create({ workspace: "lab", datasetId, categoryId: cat.id, start: 5, end: 12 });
    const r = await c.dataset.windows({ workspace: "lab", datasetId, source, cells: [0], ranges: [[0, 10], [10, 20], [100, 110]], tracks: ["annotations"] });
    const rows = r.tracks[0]!.map((w) => Array.from(new Int32Array(bytes(w.data))));
    expect(rows[0]).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    expect(rows[1]).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(rows[2]).toEqual(new Array(10).fill(0));
  });

  it("rejects ranges past the end, too long or too many values, unknown tracks and cells, naming them", async () => {
    const ask = (o: { ranges?: [number, number][]; cells?: number[]; tracks?: string[] }) =>
      caller().dataset.windows({ workspace: "lab", datasetId, source, cells: o.cells ?? [0], ranges: o.ranges ?? [[0, 10]], tracks: o.tracks ?? [] });
    await expect(ask({ ranges: [[N - 5, N + 5]] })).rejects.toThrow(new RegExp(`has ${N} steps: \\[${N - 5}, ${N + 5}\\) is out of range`));
    await expect(ask({ ranges: [[0, 401]] })).rejects.toThrow(/at most 400 steps/);
    await expect(ask({ ranges: [[5, 5]] })).rejects.toThrow(/from < to/);
    await expect(ask({ ranges: Array.from({ length: 400 }, (_, i) => [i, i + 400] as [number, number]), cells: Array.from({ length: 40 }, (_, i) => i) })).rejects.toThrow(/at most 4194304 values/);
    await expect(ask({ tracks: ["nope"] })).rejects.toThrow(/no meta track "nope"/);
    await expect(ask({ cells: [4] })).rejects.toThrow(/has 4 cells, the request selected cell 4/);
  });
});
