import { readFileSync } from "node:fs";
import path from "node:path";
import { AppError, loadRnnModel, parseVocab, runRnn, tokenize } from "@statescope/core";
import { encodeSafetensors, readSafetensors } from "@statescope/formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "../../../tests/setup/db";
import { pgPool } from "../../db/client";
import { readMetaWindow } from "../../storage/dataset-store";
import { cancelImport, getDataset, readStates, readTokens } from "../datasets/datasets";
import { createPendingDataset } from "../datasets/writer";
import { createUser } from "../users";
import { createWorkspace } from "../workspaces";
import { generateParens, parensDepth } from "./corpora";
import { extractDataset, readDatasetModel, type ExtractInput } from "./extract";

const MODELS = path.resolve(__dirname, "demo-models");
const weights = readFileSync(path.join(MODELS, "parens", "model.safetensors"));
const vocabText = readFileSync(path.join(MODELS, "parens", "vocab.json"), "utf8");

let t: TestDatabase;
let workspaceId: string;
let userId: string;
beforeAll(async () => {
  t = await freshDatabase();
  userId = (await createUser(t.db, { email: "x@extract.test", password: "password1" })).userId;
  workspaceId = (await createWorkspace(t.db, userId, { slug: "extract" })).workspaceId;
});
afterAll(async () => {
  await t.drop();
});

const base = (): ExtractInput => ({ workspaceId, userId, name: "parens", weights, vocab: vocabText, text: generateParens(1500, 7), tokenizer: "char" });

async function counts() {
  const [datasets, sources, chunks, tracks, tokens, vocab, models] = await Promise.all([
    t.db.dataset.count({ where: { status: { not: "FAILED" } } }),
    t.db.datasetSource.count(),
    t.db.stateChunk.count(),
    t.db.metaTrack.count(),
    t.db.tokenChunk.count(),
    t.db.vocabEntry.count(),
    t.db.datasetModel.count(),
  ]);
  return { datasets, sources, chunks, tracks, tokens, vocab, models };
}

describe("extractDataset", () => {
  it("stores exactly runRnn's states, the tokens, surprisal/top5, extra tracks and the model", async () => {
    const input = { ...base(), tracks: (tokens: readonly string[]) => [{ name: "depth", kind: "scalar" as const, values: parensDepth(tokens) }] };
    const phases: string[] = [];
    const out = await extractDataset(t.db, input, { chunkSteps: 100, onProgress: (p) => phases.push(p) });
    expect(out).toMatchObject({
      name: "parens",
      steps: 1500,
      vocabularySize: 11,
      sources: [
        { name: "states1", steps: 1500, cells: 32, transform: "tanh" },
        { name: "output1", steps: 1500, cells: 32, transform: "none" },
      ],
      metaTracks: [
        { name: "surprisal", kind: "scalar" },
        { name: "top5", kind: "wordvec" },
        { name: "depth", kind: "scalar" },
      ],
      warnings: [],
    });
    expect(phases).toContain("model");
    expect(phases.at(-1)).toBe("finishing");

    const model = loadRnnModel(readSafetensors(weights).tensors);
    const tok = tokenize(input.text, parseVocab(JSON.parse(vocabText)), { level: "char" });
    const ref = runRnn(model, tok.ids);
    expect(ref.sources.map((s) => s.name)).toEqual(["states1", "output1"]);
    for (const src of ref.sources) {
      const stored = await readStates(t.db, workspaceId, { datasetId: out.datasetId, source: src.name, from: 0, to: 1500 }, 10_000);
      expect(stored.values).toEqual(src.data);
      const s = out.sources.find((x) => x.name === src.name)!;
      let min = Infinity;
      let max = -Infinity;
      for (const v of src.data) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      expect([s.min, s.max]).toEqual([min, max]);
    }

    const ds = await t.db.dataset.findUniqueOrThrow({ where: { id: out.datasetId }, include: { metaTracks: { orderBy: { ordinal: "asc" } } } });
    expect(ds).toMatchObject({ status: "READY", format: "model", regexSearch: true, separator: "", percent: 100 });
    const tokens = await readTokens(t.db, workspaceId, { datasetId: out.datasetId, from: 0, to: 20 });
    expect(tokens.tokens.join("")).toBe(input.text.slice(0, 20));

    const q = pgPool(t.db);
    const [surprisal, top5, depth] = ds.metaTracks.map((m) => ({ ...m, kind: m.kind as "scalar" | "wordvec" }));
    const sv = await readMetaWindow(q, surprisal!, 1500, 0, 1500);
    if (sv.kind !== "scalar") throw new Error("surprisal is not scalar");
    expect(Array.from(sv.values.subarray(0, 1499)).every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    expect(sv.values[1499]).toBeNaN();
    expect(sv.values).toEqual(ref.tracks[0]!.kind === "scalar" ? ref.tracks[0]!.data : null);
    const tv = await readMetaWindow(q, top5!, 1500, 0, 10);
    if (tv.kind !== "wordvec") throw new Error("top5 is not wordvec");
    expect(tv.width).toBe(5);
    expect(tv.weights![0]! >= tv.weights![1]!).toBe(true);
    const dv = await readMetaWindow(q, depth!, 1500, 0, 1500);
    const depthValues = Array.from(parensDepth(Array.from(input.text)));
    expect(Array.from(dv.kind === "scalar" ? dv.values : [])).toEqual(depthValues);
    // scalar tracks carry their extent, which the explorer colours them by: depth 0…deepest,
    // surprisal over its finite values (the last step has none); other kinds have none
    expect([depth!.min, depth!.max]).toEqual([Math.min(...depthValues), Math.max(...depthValues)]);
    expect(depth!.max).toBeGreaterThan(2);
    const finite = Array.from(sv.values).filter(Number.isFinite);
    expect([surprisal!.min, surprisal!.max]).toEqual([Math.min(...finite), Math.max(...finite)]);
    expect([top5!.min, top5!.max]).toEqual([null, null]);
    const detail = await getDataset(t.db, workspaceId, out.datasetId);
    expect(detail.metaTracks.find((m) => m.name === "depth")!.range).toEqual([depth!.min, depth!.max]);

    const stored = await readDatasetModel(q, out.datasetId);
    expect(stored).toMatchObject({ arch: "lstm", tokenizer: "char", weightsName: "model.safetensors", text: input.text, demo: null, unknown: "auto" });
    expect(Buffer.compare(Buffer.from(stored!.weights), weights)).toBe(0);
    expect(stored!.vocab).toEqual(JSON.parse(vocabText));
  });

  it("rejects bad inputs with BAD_INPUT and leaves nothing behind", async () => {
    const before = await counts();
    const tensors = readSafetensors(weights).tensors;
    const badBias = new Map(tensors);
    badBias.set("lstm.bias_ih_l0", { data: new Float32Array(100), shape: [100] });
    const cases: Array<[Partial<ExtractInput>, RegExp]> = [
      [{ weights: new Uint8Array([1, 2, 3]) }, /model\.safetensors: .*/],
      [{ weights: weights.subarray(0, weights.length - 100) }, /model\.safetensors:/],
      [{ vocab: "[not json" }, /vocab: not valid JSON/],
      [{ vocab: JSON.stringify({ a: "x" }) }, /vocab: token "a" has id "x"/],
      [{ vocab: JSON.stringify(Array.from({ length: 40 }, (_, i) => `t${i}`)) }, /vocab: 40 tokens, but .* accepts ids 0\.\.10/],
      [{ text: "" }, /text: the text is empty/],
      [{ text: "(ab)xyz" }, /not in the vocabulary .*"x"/],
      [{ tokenizer: "word", text: "(ab) cd" }, /not in the vocabulary/],
      [{ arch: "gru" }, /arch gru needs 96 gate rows/],
      [{ weights: encodeSafetensors(badBias) }, /model\.safetensors: model: tensor lstm\.bias_ih_l0 has shape \[100\], expected \[128\]/],
    ];
    for (const [patch, message] of cases) {
      const err = await extractDataset(t.db, { ...base(), ...patch }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, String(message)).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("BAD_INPUT");
      expect((err as AppError).message).toMatch(message);
    }
    expect(await counts()).toEqual(before);
    // The unknown-token rule makes the same text acceptable.
    const ok = await extractDataset(t.db, { ...base(), text: "(ab)xyz", unknown: { token: " " } });
    expect(ok.warnings.join()).toMatch(/3 of 7 char tokens are not in the vocabulary and were read as " "/);
    await t.db.dataset.delete({ where: { id: ok.datasetId } });
  });

  it("a cancel (flag on a pending row) leaves the row FAILED with no data", async () => {
    const before = await counts();
    const datasetId = await createPendingDataset(t.db, { workspaceId, userId, name: "to cancel" });
    let flagged = false;
    const err = await extractDataset(
      t.db,
      { ...base(), text: generateParens(20_000, 3), datasetId },
      {
        chunkSteps: 64,
        progressIntervalMs: 0,
        onProgress: (phase) => {
          if (phase === "model" && !flagged) {
            flagged = true;
            void cancelImport(t.db, workspaceId, datasetId);
          }
        },
      },
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as AppError).code).toBe("CONFLICT");
    expect((err as AppError).message).toMatch(/extraction was cancelled/);
    const row = await t.db.dataset.findUniqueOrThrow({ where: { id: datasetId } });
    expect(row).toMatchObject({ status: "FAILED", error: expect.stringMatching(/cancelled/) });
    expect(await counts()).toEqual(before);
    await t.db.dataset.delete({ where: { id: datasetId } });
  });

  it("a cancel through the signal deletes the row it created", async () => {
    const before = await counts();
    const ctl = new AbortController();
    await expect(
      extractDataset(t.db, { ...base(), text: generateParens(5000, 5) }, { chunkSteps: 64, onProgress: (p) => p === "model" && ctl.abort(), signal: ctl.signal }),
    ).rejects.toThrow(/cancelled/);
    expect(await counts()).toEqual(before);
    expect(await t.db.dataset.count({ where: { name: "parens", status: "FAILED" } })).toBe(0);
  });
});
