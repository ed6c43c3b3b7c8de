import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "@statescope/formats";
import { readNpyFloat, readNpyInt, sharedModelsDir, worstError } from "../../../../tests/fixtures/rnn";
import { loadRnnModel } from "./model";
import { runRnn, runRnnChunks } from "./run";
import { parseVocab, tokenize } from "./tokenizer";

// null (skipped, with a message) when the models are missing outside CI; under CI a missing folder fails the run
const shared = sharedModelsDir();

describe.skipIf(shared === null)("shared PyTorch goldens (../shared/models)", () => {
  const models = shared ?? "";
  for (const [name, layers, kernel] of [["parens", 1, "simd"], ["c-code", 2, "simd"], ["parens", 1, "js"], ["c-code", 2, "js"]] as const) {
    it(`${name} (${kernel} kernel): every c_t and h_t within 1e-5 + 1e-5·|torch|`, async () => {
      const dir = path.join(models, name);
      const { tensors } = readSafetensors(new Uint8Array(readFileSync(path.join(dir, "model.safetensors"))));
      const model = loadRnnModel(tensors);
      expect(model).toMatchObject({ arch: "lstm", numLayers: layers, bidirectional: false, prefixes: { embedding: "emb", rnn: "lstm", head: "head" } });
      const ids = await readNpyInt(path.join(dir, "golden/ids.npy"));
      // small blocks so several block boundaries (carried state) are crossed
      const result = runRnn(model, ids, { chunkSteps: 37, gates: true, kernel });
      for (let l = 1; l <= layers; l++) {
        for (const src of [`states${l}`, `output${l}`]) {
          const ref = await readNpyFloat(path.join(dir, `golden/${src}.npy`));
          const ours = result.sources.find((s) => s.name === src)!;
          expect(ours.steps * ours.cells).toBe(ref.data.length);
          expect(worstError(ours.data, ref.data).excess, `${name} ${src}`).toBeLessThanOrEqual(0);
        }
      }
      const streamed = [...runRnnChunks(model, ids, { chunkSteps: 100, kernel })];
      expect(streamed.map((c) => c.start)).toEqual([0, 100, 200, 300]);
      const out = result.sources.find((s) => s.name === `output${layers}`)!.data;
      const chunkOut = streamed[2]!.sources.find((s) => s.name === `output${layers}`)!.data;
      expect(chunkOut).toEqual(out.subarray(200 * model.hiddenSize, 300 * model.hiddenSize));
    });
  }

  it("c-code: tokenizes C text with its vocab and gives finite surprisal", () => {
    const dir = path.join(models, "c-code");
    const vocab = parseVocab(JSON.parse(readFileSync(path.join(dir, "vocab.json"), "utf8")));
    const { ids, unknownCount } = tokenize("int main(void) {\r\n  return 0; /* ok */\n}\n", vocab, { level: "char", unknown: { token: " " } });
    expect(unknownCount).toBe(1);
    const { tensors } = readSafetensors(new Uint8Array(readFileSync(path.join(dir, "model.safetensors"))));
    const r = runRnn(loadRnnModel(tensors), ids);
    const surprisal = r.tracks.find((t) => t.kind === "scalar")!;
    expect(surprisal.kind === "scalar" && Number.isNaN(surprisal.data[ids.length - 1])).toBe(true);
    expect(surprisal.kind === "scalar" && surprisal.data.subarray(0, -1).every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
  });
});
