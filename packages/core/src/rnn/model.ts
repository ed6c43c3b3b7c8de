import { AppError } from "../errors";

/** A dense float tensor, row-major (what the safetensors reader returns). */
export interface Tensor {
  data: Float32Array;
  shape: number[];
}

export type TensorMap = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;

export type RnnArch = "lstm" | "gru";

/** Module names (state_dict prefixes) when they are not the common ones. */
export interface RnnPrefixes {
  /** e.g. "encoder" for `encoder.weight`; `null` forces one-hot input. */
  embedding?: string | null;
  /** e.g. "rnn" for `rnn.weight_ih_l0`; "" when the tensors have no prefix. */
  rnn?: string;
  /** e.g. "decoder" for `decoder.weight`; `null` ignores any head. */
  head?: string | null;
}

export interface LoadRnnOptions {
  prefixes?: RnnPrefixes;
  /** Overrides the architecture detected from the shapes (LSTM: 4H gate rows, GRU: 3H). */
  arch?: RnnArch;
}

/** Weights of one direction of one layer, ready for the runtime. */
export interface RnnDirectionWeights {
  /** W_ih, gates×input row-major (PyTorch layout). */
  wih: Float32Array;
  /** W_hh, gates×hidden row-major. */
  whh: Float32Array;
  /**
   * Bias added to the input projection: b_ih + b_hh for LSTM; for GRU
   * b_ih + b_hh on the r and z rows and b_in alone on the n rows.
   */
  inBias: Float64Array;
  /** GRU only: b_hn, which sits inside r ⊙ (W_hn h + b_hn). */
  recBias: Float64Array | null;
}

export interface RnnModel {
  arch: RnnArch;
  /** Features entering layer 1 (embedding dim, or vocabulary size for one-hot input). */
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  hasBias: boolean;
  /** Number of token ids the model accepts. */
  vocabSize: number;
  /** V×E embedding table, or null for one-hot input. */
  embedding: Tensor | null;
  /** `layers[l][0]` forward, `layers[l][1]` reverse. */
  layers: RnnDirectionWeights[][];
  /** Output projection over the (concatenated) last-layer outputs, if the state_dict has one. */
  head: { weight: Float32Array; bias: Float64Array | null; outFeatures: number; inFeatures: number } | null;
  /** The prefixes actually used, so a UI can show what was detected. */
  prefixes: { embedding: string | null; rnn: string; head: string | null };
}

const EMBEDDING_NAMES = ["emb", "embedding", "embeddings", "encoder", "embed", "word_embeddings", "tok_emb", "wte"];
const RNN_NAMES = ["lstm", "rnn", "gru"];
const HEAD_NAMES = ["head", "decoder", "fc", "linear", "out", "output", "proj", "lm_head", "classifier"];

function bad(message: string): AppError {
  return new AppError("BAD_INPUT", `model: ${message}`);
}

function toMap(tensors: TensorMap): ReadonlyMap<string, Tensor> {
  return tensors instanceof Map ? tensors : new Map(Object.entries(tensors as Record<string, Tensor>));
}

function join(prefix: string, name: string): string {
  return prefix === "" ? name : `${prefix}.${name}`;
}

function expectShape(name: string, t: Tensor, shape: number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw bad(`tensor ${name} has shape [${t.shape.join(", ")}], expected [${shape.join(", ")}]`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) throw bad(`tensor ${name} has ${t.data.length} values for shape [${shape.join(", ")}]`);
}

function detectRnnPrefix(map: ReadonlyMap<string, Tensor>): string {
  const found: string[] = [];
  for (const name of map.keys()) {
    if (name === "weight_ih_l0") found.push("");
    else if (name.endsWith(".weight_ih_l0")) found.push(name.slice(0, -".weight_ih_l0".length));
  }
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    const names = [...map.keys()].slice(0, 12).join(", ");
    throw bad(`no recurrent layer found (expected a tensor like lstm.weight_ih_l0); tensors: ${names}`);
  }
  const preferred = found.filter((p) => RNN_NAMES.includes(p.split(".").pop() ?? ""));
  if (preferred.length === 1) return preferred[0]!;
  throw bad(`several recurrent modules found (${found.join(", ")}); choose one with prefixes.rnn`);
}

function parentOf(prefix: string): string {
  const dot = prefix.lastIndexOf(".");
  return dot < 0 ? "" : prefix.slice(0, dot);
}

/**
 * Builds an {@link RnnModel} from a PyTorch state_dict (e.g. read from
 * safetensors): `nn.Embedding` or one-hot input, `nn.LSTM` / `nn.GRU` with any
 * number of layers, with or without biases, uni- or bidirectional, and an
 * optional `nn.Linear` head. Module names are detected (emb/embedding/encoder,
 * lstm/rnn/gru, head/decoder/fc/linear) unless given in `options.prefixes`.
 * Throws `AppError("BAD_INPUT")` naming the offending tensor.
 */
export function loadRnnModel(tensors: TensorMap, options: LoadRnnOptions = {}): RnnModel {
  const map = toMap(tensors);
  const pre = options.prefixes ?? {};
  const rnn = pre.rnn ?? detectRnnPrefix(map);
  const get = (name: string): Tensor | undefined => map.get(join(rnn, name));

  const ih0 = get("weight_ih_l0");
  const hh0 = get("weight_hh_l0");
  if (!ih0 || !hh0) throw bad(`tensors ${join(rnn, "weight_ih_l0")} and ${join(rnn, "weight_hh_l0")} are required`);
  if (hh0.shape.length !== 2 || ih0.shape.length !== 2) throw bad(`${join(rnn, "weight_hh_l0")} and ${join(rnn, "weight_ih_l0")} must be 2-D`);
  if (get("weight_hr_l0")) throw new AppError("UNSUPPORTED", `model: LSTM projections (${join(rnn, "weight_hr_l0")}, proj_size > 0) are not supported`);
  const [gateRows, hiddenSize] = hh0.shape as [number, number];
  const inputSize = ih0.shape[1]!;
  let arch: RnnArch;
  if (options.arch) {
    arch = options.arch;
    const want = (arch === "lstm" ? 4 : 3) * hiddenSize;
    if (gateRows !== want) {
      throw bad(`arch ${arch} needs ${want} gate rows in ${join(rnn, "weight_hh_l0")} (hidden ${hiddenSize}), found ${gateRows}`);
    }
  } else if (gateRows === 4 * hiddenSize) arch = "lstm";
  else if (gateRows === 3 * hiddenSize) arch = "gru";
  else {
    throw bad(
      `${join(rnn, "weight_hh_l0")} has shape [${gateRows}, ${hiddenSize}]: neither LSTM (4×${hiddenSize} rows) nor GRU (3×${hiddenSize}); plain RNNs are not supported`,
    );
  }
  const G = gateRows;
  const H = hiddenSize;
  const bidirectional = get("weight_ih_l0_reverse") !== undefined;
  const dirs = bidirectional ? 2 : 1;
  let numLayers = 0;
  while (get(`weight_ih_l${numLayers}`)) numLayers++;
  const hasBias = get("bias_ih_l0") !== undefined || get("bias_hh_l0") !== undefined;

  const layers: RnnDirectionWeights[][] = [];
  for (let l = 0; l < numLayers; l++) {
    const dirWeights: RnnDirectionWeights[] = [];
    for (let d = 0; d < dirs; d++) {
      const sfx = `l${l}${d === 1 ? "_reverse" : ""}`;
      const inF = l === 0 ? inputSize : H * dirs;
      const wihName = join(rnn, `weight_ih_${sfx}`);
      const whhName = join(rnn, `weight_hh_${sfx}`);
      const wih = map.get(wihName);
      const whh = map.get(whhName);
      if (!wih) throw bad(`missing tensor ${wihName}`);
      if (!whh) throw bad(`missing tensor ${whhName}`);
      expectShape(wihName, wih, [G, inF]);
      expectShape(whhName, whh, [G, H]);
      const inBias = new Float64Array(G);
      let recBias: Float64Array | null = arch === "gru" ? new Float64Array(H) : null;
      if (hasBias) {
        const bihName = join(rnn, `bias_ih_${sfx}`);
        const bhhName = join(rnn, `bias_hh_${sfx}`);
        const bih = map.get(bihName);
        const bhh = map.get(bhhName);
        if (!bih) throw bad(`missing tensor ${bihName}`);
        if (!bhh) throw bad(`missing tensor ${bhhName}`);
        expectShape(bihName, bih, [G]);
        expectShape(bhhName, bhh, [G]);
        const nStart = arch === "gru" ? 2 * H : G; // GRU's b_hn stays in the recurrent term
        for (let r = 0; r < G; r++) inBias[r] = bih.data[r]! + (r < nStart ? bhh.data[r]! : 0);
        if (recBias) for (let j = 0; j < H; j++) recBias[j] = bhh.data[2 * H + j]!;
      } else recBias = null;
      dirWeights.push({ wih: wih.data, whh: whh.data, inBias, recBias });
    }
    layers.push(dirWeights);
  }
  if (get(`weight_ih_l${numLayers}_reverse`)) throw bad(`${join(rnn, `weight_ih_l${numLayers}_reverse`)} has no forward layer`);

  // embedding: explicit prefix, else a common name next to the rnn module
  const parent = parentOf(rnn);
  let embName: string | null = null;
  let embedding: Tensor | null = null;
  if (pre.embedding !== undefined) {
    if (pre.embedding !== null) {
      embName = pre.embedding;
      const t = map.get(join(embName, "weight"));
      if (!t) throw bad(`embedding tensor ${join(embName, "weight")} not found`);
      embedding = t;
    }
  } else {
    for (const n of EMBEDDING_NAMES) {
      const t = map.get(join(join(parent, n), "weight"));
      if (t && t.shape.length === 2 && t.shape[1] === inputSize) {
        embName = join(parent, n);
        embedding = t;
        break;
      }
    }
  }
  if (embedding) {
    if (embedding.shape.length !== 2 || embedding.shape[1] !== inputSize) {
      throw bad(`embedding ${join(embName!, "weight")} has shape [${embedding.shape.join(", ")}], expected [vocab, ${inputSize}]`);
    }
    expectShape(join(embName!, "weight"), embedding, [embedding.shape[0]!, inputSize]);
  }

  let headName: string | null = null;
  let head: RnnModel["head"] = null;
  const headIn = H * dirs;
  const candidates = pre.head === undefined ? HEAD_NAMES.map((n) => join(parent, n)) : pre.head === null ? [] : [pre.head];
  for (const cand of candidates) {
    const w = map.get(join(cand, "weight"));
    if (!w) {
      if (pre.head) throw bad(`head tensor ${join(cand, "weight")} not found`);
      continue;
    }
    if (w.shape.length !== 2 || w.shape[1] !== headIn) {
      if (pre.head) throw bad(`head ${join(cand, "weight")} has shape [${w.shape.join(", ")}], expected [out, ${headIn}]`);
      continue;
    }
    const outFeatures = w.shape[0]!;
    expectShape(join(cand, "weight"), w, [outFeatures, headIn]);
    const b = map.get(join(cand, "bias"));
    if (b) expectShape(join(cand, "bias"), b, [outFeatures]);
    headName = cand;
    head = { weight: w.data, bias: b ? Float64Array.from(b.data) : null, outFeatures, inFeatures: headIn };
    break;
  }

  return {
    arch,
    inputSize,
    hiddenSize: H,
    numLayers,
    bidirectional,
    hasBias,
    vocabSize: embedding ? embedding.shape[0]! : inputSize,
    embedding,
    layers,
    head,
    prefixes: { embedding: embName, rnn, head: headName },
  };
}
