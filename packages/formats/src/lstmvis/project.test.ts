import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "@statescope/core";
import { DEFAULT_YML, makeLstmVisProject, stateValue } from "../../../../tests/fixtures/formats/projects";
import { scanSource } from "./dataset-reader";
import { openDataset } from "./open-dataset";
import { openLstmVisProject, parseLstmYml } from "./project";

let base: string;
let n = 0;
const fresh = () => join(base, `p${n++}`);
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "lstmvis-test-"));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function message(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return (e as AppError).message;
  }
  throw new Error("expected a rejection");
}

describe("LSTMVis project", () => {
  it("plans sources, tracks and vocabulary, and streams rows", async () => {
    const fx = await makeLstmVisProject(fresh());
    const r = await openDataset(fx.dir);
    const { plan } = r;
    expect(plan).toMatchObject({ format: "lstmvis", name: "tiny_books", description: "<b>tiny</b>", steps: 20, wordSequenceLength: 20, regexSearch: false, warnings: [] });
    expect(plan.sources.map((s) => [s.name, s.type, s.layer, s.transform, s.unsigned, s.rows, s.cells, s.dtype])).toEqual([
      ["states::states1", "state", 1, "tanh", false, 20, 4, "float32"],
      ["states::output1", "output", 1, "none", true, 20, 4, "float32"],
      ["other::states2", "state", 2, "tanh", false, 20, 3, "float64"],
    ]);
    expect(plan.vocabulary.entries.length).toBe(7);
    expect(Array.from(await r.readTokenIds(0, 3))).toEqual([1, 2, 3]);
    expect(r.tokenText(6)).toBe("<space>");
    const rows = await r.readSourceRows("other::states2", 5, 7);
    expect(rows.length).toBe(6);
    expect(rows[3]).toBeCloseTo(stateValue(206, 0), 6);
    const pos = plan.metaTracks.find((t) => t.name === "pos")!;
    expect(pos).toMatchObject({ kind: "discrete", index: "self", range: "dict", labels: [{ id: 1, label: "DET" }, { id: 2, label: "NOUN" }, { id: 3, label: "VERB" }] });
    expect(await r.readMetaRows("pos", 0, 4)).toEqual({ kind: "discrete", values: Int32Array.from([1, 2, 3, 1]) });
    const wl = plan.metaTracks.find((t) => t.name === "wordlen")!;
    expect(wl).toMatchObject({ kind: "scalar", index: "word_sequence", range: [0, 5] });
    // indirect: value = word_len[id at t]; ids 1,2 -> "the", "cat"
    expect(await r.readMetaRows("wordlen", 0, 2)).toEqual({ kind: "scalar", values: Float32Array.from([3, 3]) });
    const topk = await r.readMetaRows("topk", 1, 2);
    expect(topk).toEqual({ kind: "wordvec", width: 2, ids: Int32Array.from([3, 4]), weights: Float32Array.from([1, 0.5]) });
    const stats = await scanSource(r, "states::states1", { chunkRows: 7 });
    expect(stats.count).toBe(80);
    expect(stats.max).toBeLessThanOrEqual(1.3);
    await expect(r.readSourceRows("states::nope", 0, 1)).rejects.toThrow(/no source named "states::nope"/);
    await expect(r.readSourceRows("states::states1", 0, 21)).rejects.toThrow(/step range \[0, 21\) is outside 0..20/);
    await r.close();
  });

  it("truncates to the shortest source with a warning, and warns about unknown ids", async () => {
    const fx = await makeLstmVisProject(fresh(), { n: 20, rows: 15, unknownAt: [2, 4, 30 - 20] });
    const r = await openLstmVisProject(fx.dir);
    expect(r.plan.steps).toBe(15);
    expect(r.plan.unknownIds).toEqual({ count: 3, distinct: 1, examples: [8] });
    expect(r.plan.warnings).toContain("source states::states1 has 15 rows, fewer than the 20 word ids: the dataset is truncated to 15 steps");
    expect(r.plan.warnings.some((w) => w.includes("3 word ids (1 distinct) are not in the dictionary and are shown as <unk:ID>, e.g. 8"))).toBe(true);
    expect(r.tokenText(8)).toBe("<unk:8>");
    await r.close();
  });

  it("rejects NaN/Inf with count and first positions while streaming", async () => {
    const fx = await makeLstmVisProject(fresh(), { nonFinite: [[3, 1], [9, 2], [9, 3]] });
    const r = await openLstmVisProject(fx.dir);
    const msg = await message(scanSource(r, "states::states1", { chunkRows: 4 }));
    expect(msg).toBe("states.h5::states1 (source states::states1): 3 NaN/Inf values, first at (t=3, cell=1), (t=9, cell=2), (t=9, cell=3)");
    await r.close();
  });

  it("rejects a source longer than the word sequence", async () => {
    const fx = await makeLstmVisProject(fresh(), { n: 10, rows: 12 });
    expect(await message(openLstmVisProject(fx.dir))).toBe(
      "lstm.yml: states.types[0] (states::states1): states.h5::states1 has 12 rows, more than the 10 word ids of word_sequence",
    );
  });

  it.each([
    ["name: x\n", "lstm.yml: files is required"],
    [DEFAULT_YML.replace("name: tiny_books\n", ""), "lstm.yml: name is required"],
    [DEFAULT_YML.replace("file: other}", "file: nowhere}"), 'lstm.yml: states.types[2].file refers to "nowhere", which is not declared under files:'],
    [DEFAULT_YML.replace("dict_file: words", "dict_file: wordz"), 'lstm.yml: word_sequence.dict_file refers to "wordz"'],
    [DEFAULT_YML.replace("transform: none", "transform: sigmoid"), "lstm.yml: states.types[1].transform must be tanh or none"],
    [DEFAULT_YML.replace("index: word_sequence", "index: nowhere"), 'lstm.yml: meta.wordlen.index refers to "nowhere"'],
    [DEFAULT_YML.replace('range: "0...5"', 'range: "a...b"'), "lstm.yml: meta.wordlen.vis.range must be dict, [min, max]"],
    ["name: [unclosed\n", "lstm.yml line 2: invalid YAML"],
    ["- just\n- a list\n", "lstm.yml: (top level) must be a mapping"],
  ])("rejects malformed lstm.yml %#", (yml, msg) => {
    let err: unknown;
    try {
      parseLstmYml(yml);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toContain(msg);
  });

  it.each([
    [(y: string) => y.replace("path: states1", "path: nostates"), "lstm.yml: states.types[0] (states::nostates): states.h5: dataset nostates not found"],
    [(y: string) => y.replace("path: states1}", "path: pos, file: pos}"), "lstm.yml: states.types[0] (pos::pos): states must be 2-D float (steps x cells), pos.h5::pos is int32 with shape (20)"],
    [(y: string) => y.replace("states: states.h5", "states: missing.h5"), 'lstm.yml: states.types[0] (states::states1) (files.states): file "missing.h5" not found'],
    [(y: string) => y.replace("states: states.h5", "states: ../../etc/passwd"), "points outside the project folder"],
    [(y: string) => y.replace("states: states.h5", "states: /etc/passwd"), "must be a path relative to the project folder"],
    [(y: string) => y.replace("states: states.h5", "states: words.dict"), "words.dict: not an HDF5 file"],
    [(y: string) => y.replace("path: word_ids", "path: states1").replace("train: train.h5", "train: states.h5"), "word_sequence: states.h5::states1 must be 1-D"],
  ])("rejects bad references %#", async (edit, msg) => {
    const dir = fresh();
    await makeLstmVisProject(dir, { yml: edit(DEFAULT_YML) });
    expect(await message(openLstmVisProject(dir))).toContain(msg);
  });

  it("reports malformed dictionary lines with file and line", async () => {
    const fx = await makeLstmVisProject(fresh());
    await writeFile(join(fx.dir, "pos.dict"), "DET 1\nNOUN\n");
    expect(await message(openLstmVisProject(fx.dir))).toBe('pos.dict line 2: expected <token> <id>: "NOUN"');
  });
});
