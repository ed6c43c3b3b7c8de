import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { loadRnnModel, type Tensor } from "./model";
import { describeRnnSources, runRnn, runRnnChunks } from "./run";

const t = (shape: number[], fill: (i: number) => number = () => 0): Tensor => {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = fill(i);
  return { data, shape };
};

/** Deterministic pseudo-random weights in [-s, s). */
const rand = (shape: number[], s = 0.5, seed = 1): Tensor => {
  let x = seed;
  return t(shape, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return (x / 2147483648 - 0.5) * 2 * s;
  });
};

function lstmDict(opts: { V?: number; E?: number; H?: number; layers?: number; rnn?: string; emb?: string; head?: string; bias?: boolean } = {}): Record<string, Tensor> {
  const { V = 5, E = 3, H = 4, layers = 1, rnn = "lstm", emb = "emb", head = "head", bias = true } = opts;
  const d: Record<string, Tensor> = { [`${emb}.weight`]: rand([V, E], 1, 7) };
  for (let l = 0; l < layers; l++) {
    d[`${rnn}.weight_ih_l${l}`] = rand([4 * H, l === 0 ? E : H], 0.5, 11 + l);
    d[`${rnn}.weight_hh_l${l}`] = rand([4 * H, H], 0.5, 23 + l);
    if (bias) {
      d[`${rnn}.bias_ih_l${l}`] = rand([4 * H], 0.5, 31 + l);
      d[`${rnn}.bias_hh_l${l}`] = rand([4 * H], 0.5, 41 + l);
    }
  }
  d[`${head}.weight`] = rand([V, H], 1, 53);
  d[`${head}.bias`] = rand([V], 1, 59);
  return d;
}

describe("loadRnnModel", () => {
  it("detects module names, arch and layers", () => {
    const m = loadRnnModel(lstmDict({ rnn: "rnn", emb: "encoder", head: "decoder", layers: 3 }));
    expect(m).toMatchObject({ arch: "lstm", numLayers: 3, hiddenSize: 4, inputSize: 3, vocabSize: 5, bidirectional: false, hasBias: true });
    expect(m.prefixes).toEqual({ embedding: "encoder", rnn: "rnn", head: "decoder" });
  });

  it("follows a prefix mapping for nested or unusual names", () => {
    const d = lstmDict({ rnn: "model.core", emb: "model.tok", head: "model.lm" });
    expect(loadRnnModel(d).prefixes).toEqual({ embedding: null, rnn: "model.core", head: null });
    const m = loadRnnModel(d, { prefixes: { embedding: "model.tok", head: "model.lm" } });
    expect(m.prefixes).toEqual({ embedding: "model.tok", rnn: "model.core", head: "model.lm" });
    expect(() => loadRnnModel(d, { prefixes: { head: "model.nope" } })).toThrow(/head tensor model\.nope\.weight not found/);
  });

  it("accepts a matching arch override and rejects a wrong one", () => {
    expect(loadRnnModel(lstmDict(), { arch: "lstm" }).arch).toBe("lstm");
    expect(() => loadRnnModel(lstmDict(), { arch: "gru" })).toThrow(/arch gru needs 12 gate rows in lstm\.weight_hh_l0 \(hidden 4\), found 16/);
  });

  it("names the missing or misshapen tensor", () => {
    const d = lstmDict({ layers: 2 });
    delete d["lstm.bias_hh_l1"];
    expect(() => loadRnnModel(d)).toThrow(/missing tensor lstm\.bias_hh_l1/);
    const e = lstmDict();
    e["lstm.weight_hh_l0"] = t([16, 5]);
    expect(() => loadRnnModel(e)).toThrow(AppError);
    expect(() => loadRnnModel({ "emb.weight": t([2, 2]) })).toThrow(/no recurrent layer found/);
    expect(() => loadRnnModel({ "a.weight_ih_l0": t([8, 2]), "a.weight_hh_l0": t([8, 8]) })).toThrow(/plain RNNs are not supported/);
  });
});

describe("runRnn", () => {
  it("matches a hand-computed one-unit LSTM", () => {
    // one-hot input of size 1, W = 0, biases i = f = o = 0 (σ = ½), g = 1:  c_t = ½c_{t−1} + ½tanh(1), h_t = ½tanh(c_t)
    const d = {
      "lstm.weight_ih_l0": t([4, 1]),
      "lstm.weight_hh_l0": t([4, 1]),
      "lstm.bias_ih_l0": t([4], (i) => (i === 2 ? 1 : 0)),
      "lstm.bias_hh_l0": t([4]),
    };
    const m = loadRnnModel(d);
    expect(m.embedding).toBeNull();
    const r = runRnn(m, [0, 0, 0], { gates: true });
    const g = Math.tanh(1);
    const c = [g / 2, g / 2 / 2 + g / 2, (g / 4 + g / 2) / 2 + g / 2];
    expect(r.sources.map((s) => s.name)).toEqual(["states1", "output1", "gate_i1", "gate_f1", "gate_g1", "gate_o1"]);
    const get = (n: string) => Array.from(r.sources.find((s) => s.name === n)!.data);
    get("states1").forEach((v, i) => expect(v).toBeCloseTo(c[i]!, 6));
    get("output1").forEach((v, i) => expect(v).toBeCloseTo(Math.tanh(c[i]!) / 2, 6));
    expect(get("gate_g1")[0]).toBeCloseTo(g, 6);
    expect(r.tracks).toEqual([]);
  });

  it("gives the same numbers for every kernel, table mode and block size", () => {
    const m = loadRnnModel(lstmDict({ layers: 2, H: 6, V: 7 }));
    const ids = Array.from({ length: 50 }, (_, i) => (i * 3) % 7);
    const ref = runRnn(m, ids, { kernel: "js", inputTable: "never", chunkSteps: 50 });
    expect(ref.sources.map((s) => s.name)).toEqual(["states1", "output1", "states2", "output2"]);
    for (const opts of [{ kernel: "simd" as const, inputTable: "always" as const, chunkSteps: 7 }, { kernel: "js" as const, inputTable: "always" as const, chunkSteps: 1 }]) {
      const r = runRnn(m, ids, opts);
      expect(r.sources.map((s) => s.name)).toEqual(ref.sources.map((s) => s.name));
      r.sources.forEach((s, i) => {
        expect(s.data).toHaveLength(ref.sources[i]!.data.length);
        const want = ref.sources[i]!.data;
        s.data.forEach((v, j) => expect(Math.abs(v - want[j]!)).toBeLessThan(1e-6));
      });
    }
  });

  it("reports progress up to the total and head tracks with top-k sorted", () => {
    const m = loadRnnModel(lstmDict());
    const seen: [number, number][] = [];
    const r = runRnn(m, [1, 2, 3, 4, 0, 1], { chunkSteps: 4, topK: 3, onProgress: (d, n) => seen.push([d, n]) });
    expect(seen.at(-1)).toEqual([6, 6]);
    expect(seen.every(([d], i) => i === 0 || d >= seen[i - 1]![0])).toBe(true);
    const top = r.tracks.find((x) => x.kind === "wordvec");
    if (top?.kind !== "wordvec") throw new Error("no top-k");
    expect(top.name).toBe("top3");
    for (let s = 0; s < 6; s++) expect(top.probs[s * 3]! >= top.probs[s * 3 + 1]! && top.probs[s * 3 + 1]! >= top.probs[s * 3 + 2]!).toBe(true);
  });

  it("rejects ids outside the vocabulary and empty texts", () => {
    const m = loadRnnModel(lstmDict());
    expect(() => runRnn(m, [0, 5])).toThrow(/token 1 has id 5, the model accepts ids 0\.\.4/);
    expect(() => runRnn(m, [])).toThrow(/no tokens/);
    expect(() => [...runRnnChunks(m, [1.5])]).toThrow(AppError);
  });

  it("names sources like LSTMVis", () => {
    const d = lstmDict();
    d["lstm.weight_ih_l0_reverse"] = d["lstm.weight_ih_l0"]!;
    d["lstm.weight_hh_l0_reverse"] = d["lstm.weight_hh_l0"]!;
    d["lstm.bias_ih_l0_reverse"] = d["lstm.bias_ih_l0"]!;
    d["lstm.bias_hh_l0_reverse"] = d["lstm.bias_hh_l0"]!;
    delete d["head.weight"];
    const m = loadRnnModel(d);
    expect(describeRnnSources(m, { gates: true }).map((s) => `${s.name}:${s.transform}`)).toEqual([
      "states1:tanh", "states1_reverse:tanh", "output1:none", "output1_reverse:none",
      "gate_i1:none", "gate_i1_reverse:none", "gate_f1:none", "gate_f1_reverse:none",
      "gate_g1:none", "gate_g1_reverse:none", "gate_o1:none", "gate_o1_reverse:none",
    ]);
  });
});
