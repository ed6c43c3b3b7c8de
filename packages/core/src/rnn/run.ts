import { AppError } from "../errors";
import { gemmNT, matvecAdd, sigmoid } from "./kernels";
import { type MatVecKernel, SimdArena, simdAvailable } from "./simd";
import type { RnnDirectionWeights, RnnModel } from "./model";

/** How a viewer maps raw values to the display range: cell states are unbounded, so `tanh`. */
export type SourceTransform = "tanh" | "none";

/** One state matrix, LSTMVis-style: `steps` rows of `cells` values, row-major. */
export interface RnnSource {
  name: string;
  transform: SourceTransform;
  steps: number;
  cells: number;
  data: Float32Array;
}

/** Next-token surprisal in bits (−log₂ p(token t+1 | tokens ≤ t)); the last step has no next token and is NaN. */
export interface RnnScalarTrack {
  name: string;
  kind: "scalar";
  steps: number;
  data: Float32Array;
}

/** Top-k next-token predictions per step, best first: `ids[t·k + j]`, `probs[t·k + j]`. */
export interface RnnTopKTrack {
  name: string;
  kind: "wordvec";
  steps: number;
  k: number;
  ids: Int32Array;
  probs: Float32Array;
}

export type RnnTrack = RnnScalarTrack | RnnTopKTrack;

export interface RnnResult {
  sources: RnnSource[];
  tracks: RnnTrack[];
}

/** Rows [start, start + steps) of every source and track. */
export interface RnnChunk extends RnnResult {
  start: number;
  steps: number;
}

export interface RunRnnOptions {
  /** Also emit the gate activations (`gate_i1`, …). Default false. */
  gates?: boolean;
  /** Emit surprisal and top-k tracks when the model has a head. Default true. */
  head?: boolean;
  /** Predictions per step in the top-k track. Default 5. */
  topK?: number;
  /** Steps per block: bounds the scratch memory (block × gates doubles) and the chunk size of {@link runRnnChunks}. Default 256. */
  chunkSteps?: number;
  /**
   * Precompute the first layer's input projection for every vocabulary entry
   * (embedding · W_ihᵀ + b: one matrix product, then a lookup per token).
   * "auto" does it when the vocabulary is smaller than the text and the table
   * stays under 128 MB. One-hot input always uses W_ihᵀ as the table.
   */
  inputTable?: "auto" | "always" | "never";
  /**
   * "auto" (default): the WebAssembly SIMD kernel when the runtime has it, else
   * plain JavaScript; "js" / "simd" force one (tests run both).
   */
  kernel?: "auto" | "js" | "simd";
  /** Called after each block with the steps done so far (of all layers and directions, scaled to steps). */
  onProgress?: (doneSteps: number, totalSteps: number) => void;
}

export interface RnnSourceSpec {
  name: string;
  transform: SourceTransform;
  cells: number;
  layer: number;
  reverse: boolean;
  kind: "states" | "output" | "gate";
}

const LSTM_GATES = ["i", "f", "g", "o"] as const;
const GRU_GATES = ["r", "z", "n"] as const;
const TABLE_MAX_ENTRIES = 32 * 1024 * 1024;
const HEAD_BLOCK = 32;

/**
 * The sources a run produces, in order: per layer `states{l}` (LSTM c_t),
 * `output{l}` (h_t), then gates when asked; a bidirectional layer adds the
 * `_reverse` variant right after each forward source.
 */
export function describeRnnSources(model: RnnModel, options: { gates?: boolean } = {}): RnnSourceSpec[] {
  const specs: RnnSourceSpec[] = [];
  const dirs = model.bidirectional ? [false, true] : [false];
  const H = model.hiddenSize;
  for (let l = 0; l < model.numLayers; l++) {
    const n = l + 1;
    const add = (base: string, kind: RnnSourceSpec["kind"], transform: SourceTransform): void => {
      for (const reverse of dirs) specs.push({ name: `${base}${n}${reverse ? "_reverse" : ""}`, transform, cells: H, layer: l, reverse, kind });
    };
    if (model.arch === "lstm") add("states", "states", "tanh");
    add("output", "output", "none");
    if (options.gates) for (const g of model.arch === "lstm" ? LSTM_GATES : GRU_GATES) add(`gate_${g}`, "gate", "none");
  }
  return specs;
}

/** Output buffers of one direction of one layer; row 0 is time step `base`. */
interface DirSinks {
  base: number;
  c: Float32Array | null;
  h: Float32Array;
  gates: Float32Array[] | null;
}

interface TrackSinks {
  base: number;
  surprisal: Float32Array;
  topIds: Int32Array;
  topProbs: Float32Array;
}

function splitColumns(w: Float32Array, rows: number, cols: number, parts: number): Float32Array[] {
  const width = cols / parts;
  const out: Float32Array[] = [];
  for (let p = 0; p < parts; p++) {
    const m = new Float32Array(rows * width);
    for (let r = 0; r < rows; r++) m.set(w.subarray(r * cols + p * width, r * cols + (p + 1) * width), r * width);
    out.push(m);
  }
  return out;
}

/** SIMD-path buffers: offsets into the arena (bytes) and f32 views of the recurrent inputs. */
interface SimdLayout {
  arena: SimdArena;
  mv: MatVecKernel;
  /** Gate rows padded to a multiple of 4; inputs padded to a multiple of 16 floats. */
  Gp: number;
  Kh: number;
  Kin: number;
  whh: number[][];
  /** f32 copy of h_{t−1} per layer/direction (the recurrent matvec's input). */
  hx: Float32Array[][];
  hxPtr: number[][];
  wih: number[][][];
  aPtr: number;
  a: Float32Array;
  prePtr: number;
  recPtr: number;
}

const GEMM_ROWS = 64; // weight rows per pass of the blocked product: 64 × 2.6 KB stays in L2

/** Runs one text through a model; holds the recurrent state and scratch buffers between blocks. */
class RnnEngine {
  readonly G: number;
  /** Row stride of `pre` (G, or G padded to 4 on the SIMD path). */
  readonly GS: number;
  readonly H: number;
  readonly dirs: number;
  readonly block: number;
  readonly gates: boolean;
  readonly useHead: boolean;
  readonly topK: number;
  private readonly pre: Float64Array;
  private readonly rec: Float64Array;
  private readonly h: Float64Array[][];
  private readonly c: Float64Array[][];
  /** Input weights per layer/direction, split per input part (the directions of the layer below). */
  private readonly wihParts: Float32Array[][][];
  private readonly headParts: Float32Array[];
  private readonly logits: Float64Array;
  private readonly simd: SimdLayout | null;
  private table: Float32Array | null = null;

  constructor(
    readonly model: RnnModel,
    readonly ids: Int32Array,
    options: RunRnnOptions,
  ) {
    const { hiddenSize: H, arch } = model;
    this.H = H;
    this.G = (arch === "lstm" ? 4 : 3) * H;
    this.dirs = model.bidirectional ? 2 : 1;
    this.block = Math.max(1, Math.floor(options.chunkSteps ?? 256));
    this.gates = options.gates ?? false;
    this.useHead = (options.head ?? true) && model.head !== null;
    this.topK = Math.max(1, Math.min(options.topK ?? 5, model.head?.outFeatures ?? 1));
    this.h = model.layers.map((ds) => ds.map(() => new Float64Array(H)));
    this.c = model.layers.map((ds) => ds.map(() => new Float64Array(arch === "lstm" ? H : 0)));
    this.wihParts = model.layers.map((ds, l) =>
      ds.map((w) => (l === 0 ? [w.wih] : splitColumns(w.wih, this.G, H * this.dirs, this.dirs))),
    );
    this.headParts = model.head ? splitColumns(model.head.weight, model.head.outFeatures, model.head.inFeatures, this.dirs) : [];
    this.logits = new Float64Array(this.useHead ? HEAD_BLOCK * model.head!.outFeatures : 0);
    this.simd = (options.kernel ?? "auto") === "js" ? null : this.layoutSimd();
    if (options.kernel === "simd" && this.simd === null) {
      throw new AppError("UNSUPPORTED", "rnn: this JavaScript runtime has no WebAssembly SIMD");
    }
    this.GS = this.simd ? this.simd.Gp : this.G;
    this.pre = this.simd ? this.simd.arena.f64(this.simd.prePtr, this.block * this.GS) : new Float64Array(this.block * this.G);
    this.rec = this.simd ? this.simd.arena.f64(this.simd.recPtr, this.GS) : new Float64Array(this.G);

    const T = ids.length;
    const V = model.vocabSize;
    const mode = options.inputTable ?? "auto";
    const oneHot = model.embedding === null;
    const wantTable =
      oneHot || mode === "always" || (mode === "auto" && V < T && V * this.G * this.dirs <= TABLE_MAX_ENTRIES);
    if (wantTable) this.table = this.buildTable();
  }

  /** Copies the weights into one WebAssembly memory, rows padded for the SIMD kernel; null without SIMD. */
  private layoutSimd(): SimdLayout | null {
    if (!simdAvailable()) return null;
    const { model, G, H } = this;
    const pad16 = (n: number): number => Math.ceil(n / 16) * 16;
    const Gp = Math.ceil(G / 4) * 4;
    const Kh = pad16(H);
    const Kin = pad16(model.inputSize);
    const arena = new SimdArena();
    const embeds = model.embedding !== null;
    const whh = model.layers.map((ds) => ds.map(() => arena.reserve(Gp * Kh * 4)));
    const hxPtr = model.layers.map((ds) => ds.map(() => arena.reserve(Kh * 4)));
    const wih = model.layers.map((ds, l) =>
      ds.map(() => (l === 0 ? (embeds ? [arena.reserve(Gp * Kin * 4)] : []) : ds.map(() => arena.reserve(Gp * Kh * 4)))),
    );
    const aRows = Math.max(this.block, 1);
    const aPtr = arena.reserve(aRows * Math.max(Kh, embeds ? Kin : 0) * 4);
    const prePtr = arena.reserve(this.block * Gp * 8);
    const recPtr = arena.reserve(Gp * 8);
    if (!arena.finish()) return null;
    const copy = (src: Float32Array, rows: number, cols: number, at: number, K: number): void => {
      const dst = arena.f32(at, Gp * K);
      for (let r = 0; r < rows; r++) dst.set(src.subarray(r * cols, (r + 1) * cols), r * K);
    };
    model.layers.forEach((ds, l) =>
      ds.forEach((w, d) => {
        copy(w.whh, G, H, whh[l]![d]!, Kh);
        if (l === 0) {
          if (embeds) copy(w.wih, G, model.inputSize, wih[l]![d]![0]!, Kin);
        } else this.wihParts[l]![d]!.forEach((part, p) => copy(part, G, H, wih[l]![d]![p]!, Kh));
      }),
    );
    return {
      arena,
      mv: arena.mv!,
      Gp,
      Kh,
      Kin,
      whh,
      hx: hxPtr.map((ds) => ds.map((ptr) => arena.f32(ptr, Kh))),
      hxPtr,
      wih,
      aPtr,
      a: arena.f32(aPtr, aRows * Math.max(Kh, embeds ? Kin : 0)),
      prePtr,
      recPtr,
    };
  }

  /**
   * pre[i, :] = bias + rows[i] · Wᵀ for the n rows in the arena's A buffer
   * (stride K floats), blocked so 64 weight rows stay in cache across all n rows.
   */
  private simdProject(n: number, wPtr: number, K: number, bias: Float64Array | null): void {
    const { mv, Gp, aPtr, prePtr } = this.simd!;
    const { pre, G } = this;
    if (bias !== null) {
      for (let i = 0; i < n; i++) {
        pre.set(bias, i * Gp);
        pre.fill(0, i * Gp + G, (i + 1) * Gp);
      }
    }
    const kb = K * 4;
    for (let jb = 0; jb < Gp; jb += GEMM_ROWS) {
      const groups = Math.min(GEMM_ROWS, Gp - jb) / 4;
      for (let i = 0; i < n; i++) mv(wPtr + jb * kb, aPtr + i * kb, prePtr + (i * Gp + jb) * 8, groups, kb);
    }
  }

  /** Copies n rows of `cols` floats (stride `stride`, from `off`) into the A buffer with stride K, zero padding. */
  private fillA(src: Float32Array, off: number, stride: number, n: number, cols: number, K: number): void {
    const a = this.simd!.a;
    for (let i = 0; i < n; i++) {
      a.set(src.subarray(off + i * stride, off + i * stride + cols), i * K);
      a.fill(0, i * K + cols, (i + 1) * K);
    }
  }

  /** table[v·(G·dirs) + d·G + r] = (x_v · W_ih + b)[r] for every vocabulary entry v. */
  private buildTable(): Float32Array {
    const { model, G, pre, GS } = this;
    const V = model.vocabSize;
    const E = model.inputSize;
    const width = G * this.dirs;
    const table = new Float32Array(V * width);
    const tmp = this.simd ? null : new Float64Array(Math.min(V, 256) * G);
    for (let d = 0; d < this.dirs; d++) {
      const w = model.layers[0]![d]!;
      if (model.embedding === null) {
        // one-hot input: the projection of token v is column v of W_ih
        for (let v = 0; v < V; v++) {
          const o = v * width + d * G;
          for (let r = 0; r < G; r++) table[o + r] = w.wih[r * E + v]! + w.inBias[r]!;
        }
        continue;
      }
      const emb = model.embedding.data;
      const step = this.simd ? this.block : 256;
      for (let v0 = 0; v0 < V; v0 += step) {
        const n = Math.min(step, V - v0);
        if (this.simd) {
          this.fillA(emb, v0 * E, E, n, E, this.simd.Kin);
          this.simdProject(n, this.simd.wih[0]![d]![0]!, this.simd.Kin, w.inBias);
          for (let i = 0; i < n; i++) table.set(pre.subarray(i * GS, i * GS + G), (v0 + i) * width + d * G);
        } else {
          gemmNT(n, G, E, emb, v0 * E, E, w.wih, w.inBias, tmp!, false);
          for (let i = 0; i < n; i++) table.set(tmp!.subarray(i * G, (i + 1) * G), (v0 + i) * width + d * G);
        }
      }
    }
    return table;
  }

  allocDirSinks(base: number, steps: number): DirSinks[][] {
    const H = this.H;
    const nGates = this.model.arch === "lstm" ? 4 : 3;
    return this.model.layers.map((ds) =>
      ds.map(() => ({
        base,
        c: this.model.arch === "lstm" ? new Float32Array(steps * H) : null,
        h: new Float32Array(steps * H),
        gates: this.gates ? Array.from({ length: nGates }, () => new Float32Array(steps * H)) : null,
      })),
    );
  }

  allocTrackSinks(base: number, steps: number): TrackSinks | null {
    if (!this.useHead) return null;
    return {
      base,
      surprisal: new Float32Array(steps),
      topIds: new Int32Array(steps * this.topK),
      topProbs: new Float32Array(steps * this.topK),
    };
  }

  /** Input projection of steps [t0, t0+n) of layer l, direction d, into `pre` (row stride GS). */
  private project(l: number, d: number, t0: number, n: number, sinks: DirSinks[][]): void {
    const { G, GS, H, pre, model, simd } = this;
    const w = model.layers[l]![d]!;
    if (l === 0) {
      const table = this.table;
      if (table !== null) {
        const width = G * this.dirs;
        for (let i = 0; i < n; i++) {
          const src = this.ids[t0 + i]! * width + d * G;
          const dst = i * GS;
          for (let r = 0; r < G; r++) pre[dst + r] = table[src + r]!;
        }
        return;
      }
      // gather the embedding rows, then one matrix product for the block
      const E = model.inputSize;
      const emb = model.embedding!.data;
      const K = simd ? simd.Kin : E;
      const x = simd ? simd.a : new Float32Array(n * E);
      for (let i = 0; i < n; i++) {
        const id = this.ids[t0 + i]!;
        x.set(emb.subarray(id * E, (id + 1) * E), i * K);
        if (simd) x.fill(0, i * K + E, (i + 1) * K);
      }
      if (simd) this.simdProject(n, simd.wih[0]![d]![0]!, K, w.inBias);
      else gemmNT(n, G, E, x, 0, E, w.wih, w.inBias, pre, false);
      return;
    }
    const parts = this.wihParts[l]![d]!;
    for (let p = 0; p < this.dirs; p++) {
      const below = sinks[l - 1]![p]!;
      const off = (t0 - below.base) * H;
      if (simd) {
        this.fillA(below.h, off, H, n, H, simd.Kh);
        this.simdProject(n, simd.wih[l]![d]![p]!, simd.Kh, p === 0 ? w.inBias : null);
      } else gemmNT(n, G, H, below.h, off, H, parts[p]!, p === 0 ? w.inBias : null, pre, p > 0);
    }
  }

  /** The sequential part: steps [t0, t0+n) of layer l, direction d (reverse runs them backwards). */
  processBlock(l: number, d: number, t0: number, n: number, sinks: DirSinks[][]): void {
    this.project(l, d, t0, n, sinks);
    const { G, GS, H, pre, rec, simd } = this;
    const w: RnnDirectionWeights = this.model.layers[l]![d]!;
    const whh = w.whh;
    const h = this.h[l]![d]!;
    const c = this.c[l]![d]!;
    const sink = sinks[l]![d]!;
    const outH = sink.h;
    const outC = sink.c;
    const gates = sink.gates;
    const reverse = d === 1;
    // SIMD path: W_hh · h reads the f32 copy hx of h in the arena
    const mv = simd ? simd.mv : null;
    const whhPtr = simd ? simd.whh[l]![d]! : 0;
    const hx = simd ? simd.hx[l]![d]! : null;
    const hxPtr = simd ? simd.hxPtr[l]![d]! : 0;
    const groups = simd ? simd.Gp / 4 : 0;
    const kb = simd ? simd.Kh * 4 : 0;
    const H2 = 2 * H;
    const H3 = 3 * H;
    for (let s = 0; s < n; s++) {
      const i = reverse ? n - 1 - s : s;
      const po = i * GS;
      const ro = (t0 + i - sink.base) * H;
      if (this.model.arch === "lstm") {
        // gates = W_ih x + b_ih + b_hh (in pre) + W_hh h;  c = f⊙c + i⊙g;  h = o⊙tanh(c)
        if (mv !== null) mv(whhPtr, hxPtr, simd!.prePtr + po * 8, groups, kb);
        else matvecAdd(G, H, whh, h, pre, po);
        for (let j = 0; j < H; j++) {
          const ig = sigmoid(pre[po + j]!);
          const fg = sigmoid(pre[po + H + j]!);
          const gg = Math.tanh(pre[po + H2 + j]!);
          const og = sigmoid(pre[po + H3 + j]!);
          const cj = fg * c[j]! + ig * gg;
          const hj = og * Math.tanh(cj);
          c[j] = cj;
          h[j] = hj;
          if (hx !== null) hx[j] = hj;
          outC![ro + j] = cj;
          outH[ro + j] = hj;
          if (gates !== null) {
            gates[0]![ro + j] = ig;
            gates[1]![ro + j] = fg;
            gates[2]![ro + j] = gg;
            gates[3]![ro + j] = og;
          }
        }
      } else {
        // r = σ(·), z = σ(·), n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)), h = (1−z)⊙n + z⊙h
        rec.fill(0);
        if (mv !== null) mv(whhPtr, hxPtr, simd!.recPtr, groups, kb);
        else matvecAdd(G, H, whh, h, rec, 0);
        const bhn = w.recBias;
        for (let j = 0; j < H; j++) {
          const rg = sigmoid(pre[po + j]! + rec[j]!);
          const zg = sigmoid(pre[po + H + j]! + rec[H + j]!);
          const ng = Math.tanh(pre[po + H2 + j]! + rg * (rec[H2 + j]! + (bhn === null ? 0 : bhn[j]!)));
          const hj = (1 - zg) * ng + zg * h[j]!;
          h[j] = hj;
          if (hx !== null) hx[j] = hj;
          outH[ro + j] = hj;
          if (gates !== null) {
            gates[0]![ro + j] = rg;
            gates[1]![ro + j] = zg;
            gates[2]![ro + j] = ng;
          }
        }
      }
    }
  }

  /** Surprisal and top-k of steps [t0, t0+n) from the last layer's outputs. */
  headBlock(t0: number, n: number, sinks: DirSinks[][], tracks: TrackSinks): void {
    const head = this.model.head!;
    const { H, logits, topK: k, ids } = this;
    const V = head.outFeatures;
    const last = sinks[sinks.length - 1]!;
    const T = ids.length;
    const topIds = new Int32Array(k);
    const topVals = new Float64Array(k);
    for (let b0 = 0; b0 < n; b0 += HEAD_BLOCK) {
      const m = Math.min(HEAD_BLOCK, n - b0);
      for (let p = 0; p < this.dirs; p++) {
        const s = last[p]!;
        gemmNT(m, V, H, s.h, (t0 + b0 - s.base) * H, H, this.headParts[p]!, p === 0 ? head.bias : null, logits, p > 0);
      }
      for (let i = 0; i < m; i++) {
        const t = t0 + b0 + i;
        const o = i * V;
        let max = -Infinity;
        for (let v = 0; v < V; v++) if (logits[o + v]! > max) max = logits[o + v]!;
        let sum = 0;
        for (let v = 0; v < V; v++) sum += Math.exp(logits[o + v]! - max);
        const lse = max + Math.log(sum); // log Σ exp(logit)
        const row = t - tracks.base;
        tracks.surprisal[row] = t + 1 < T ? (lse - logits[o + ids[t + 1]!]!) / Math.LN2 : NaN;
        // partial insertion sort: k is tiny
        topVals.fill(-Infinity);
        topIds.fill(-1);
        for (let v = 0; v < V; v++) {
          const x = logits[o + v]!;
          if (x <= topVals[k - 1]!) continue;
          let j = k - 1;
          while (j > 0 && topVals[j - 1]! < x) {
            topVals[j] = topVals[j - 1]!;
            topIds[j] = topIds[j - 1]!;
            j--;
          }
          topVals[j] = x;
          topIds[j] = v;
        }
        for (let j = 0; j < k; j++) {
          tracks.topIds[row * k + j] = topIds[j]!;
          tracks.topProbs[row * k + j] = Math.exp(topVals[j]! - lse);
        }
      }
    }
  }

  toResult(sinks: DirSinks[][], tracks: TrackSinks | null, steps: number, offset = 0): RnnResult {
    const H = this.H;
    const sources: RnnSource[] = [];
    const slice = (a: Float32Array): Float32Array => (offset === 0 && a.length === steps * H ? a : a.subarray(offset * H, (offset + steps) * H));
    for (const spec of describeRnnSources(this.model, { gates: this.gates })) {
      const s = sinks[spec.layer]![spec.reverse ? 1 : 0]!;
      let data: Float32Array;
      if (spec.kind === "states") data = s.c!;
      else if (spec.kind === "output") data = s.h;
      else {
        const names: readonly string[] = this.model.arch === "lstm" ? LSTM_GATES : GRU_GATES;
        const g = spec.name.slice(5, 6);
        data = s.gates![names.indexOf(g)]!;
      }
      sources.push({ name: spec.name, transform: spec.transform, steps, cells: spec.cells, data: slice(data) });
    }
    const out: RnnTrack[] = [];
    if (tracks) {
      const k = this.topK;
      out.push({ name: "surprisal", kind: "scalar", steps, data: tracks.surprisal.subarray(offset, offset + steps) });
      out.push({
        name: `top${k}`,
        kind: "wordvec",
        steps,
        k,
        ids: tracks.topIds.subarray(offset * k, (offset + steps) * k),
        probs: tracks.topProbs.subarray(offset * k, (offset + steps) * k),
      });
    }
    return { sources, tracks: out };
  }
}

function toIds(model: RnnModel, ids: ArrayLike<number>): Int32Array {
  const out = ids instanceof Int32Array ? ids : Int32Array.from(ids);
  const V = model.vocabSize;
  for (let t = 0; t < out.length; t++) {
    const id = out[t]!;
    if (id < 0 || id >= V || id !== ids[t]) {
      throw new AppError("BAD_INPUT", `rnn: token ${t} has id ${ids[t]}, the model accepts ids 0..${V - 1}`);
    }
  }
  if (out.length === 0) throw new AppError("BAD_INPUT", "rnn: the text has no tokens");
  return out;
}

/**
 * Runs one token sequence through the model from a zero initial state and
 * returns every source (and the head's tracks) for all steps. The input
 * projection of each block of steps is one matrix product; only the
 * recurrence is sequential. Memory: all sources for all steps — use
 * {@link runRnnChunks} for very long unidirectional texts.
 */
export function runRnn(model: RnnModel, ids: ArrayLike<number>, options: RunRnnOptions = {}): RnnResult {
  const seq = toIds(model, ids);
  const engine = new RnnEngine(model, seq, options);
  const T = seq.length;
  const sinks = engine.allocDirSinks(0, T);
  const tracks = engine.allocTrackSinks(0, T);
  const block = engine.block;
  const passes = model.numLayers * engine.dirs + (tracks ? 1 : 0);
  let done = 0;
  const report = (n: number): void => {
    done += n;
    options.onProgress?.(Math.floor(done / passes), T);
  };
  for (let l = 0; l < model.numLayers; l++) {
    for (let d = 0; d < engine.dirs; d++) {
      if (d === 0) {
        for (let t0 = 0; t0 < T; t0 += block) {
          const n = Math.min(block, T - t0);
          engine.processBlock(l, d, t0, n, sinks);
          report(n);
        }
      } else {
        for (let t1 = T; t1 > 0; t1 -= block) {
          const n = Math.min(block, t1);
          engine.processBlock(l, d, t1 - n, n, sinks);
          report(n);
        }
      }
    }
  }
  if (tracks) {
    for (let t0 = 0; t0 < T; t0 += block) {
      const n = Math.min(block, T - t0);
      engine.headBlock(t0, n, sinks, tracks);
      report(n);
    }
  }
  return engine.toResult(sinks, tracks, T);
}

/**
 * Yields the result block by block (`chunkSteps` steps each), carrying the
 * state between blocks, so a 1M-token text never holds more than one block of
 * states and gates. Each chunk owns fresh arrays. A bidirectional model needs
 * the whole text before its reverse direction can start, so it is computed in
 * full first and then yielded in chunks (memory as {@link runRnn}).
 */
export function* runRnnChunks(model: RnnModel, ids: ArrayLike<number>, options: RunRnnOptions = {}): Generator<RnnChunk> {
  if (model.bidirectional) {
    const seq = toIds(model, ids);
    const full = runRnn(model, seq, options);
    const block = Math.max(1, Math.floor(options.chunkSteps ?? 256));
    for (let t0 = 0; t0 < seq.length; t0 += block) {
      const n = Math.min(block, seq.length - t0);
      yield {
        start: t0,
        steps: n,
        sources: full.sources.map((s) => ({ ...s, steps: n, data: s.data.subarray(t0 * s.cells, (t0 + n) * s.cells) })),
        tracks: full.tracks.map((tr) =>
          tr.kind === "scalar"
            ? { ...tr, steps: n, data: tr.data.subarray(t0, t0 + n) }
            : { ...tr, steps: n, ids: tr.ids.subarray(t0 * tr.k, (t0 + n) * tr.k), probs: tr.probs.subarray(t0 * tr.k, (t0 + n) * tr.k) },
        ),
      };
    }
    return;
  }
  const seq = toIds(model, ids);
  const engine = new RnnEngine(model, seq, options);
  const T = seq.length;
  for (let t0 = 0; t0 < T; t0 += engine.block) {
    const n = Math.min(engine.block, T - t0);
    const sinks = engine.allocDirSinks(t0, n);
    const tracks = engine.allocTrackSinks(t0, n);
    for (let l = 0; l < model.numLayers; l++) engine.processBlock(l, 0, t0, n, sinks);
    if (tracks) engine.headBlock(t0, n, sinks, tracks);
    options.onProgress?.(t0 + n, T);
    yield { start: t0, steps: n, ...engine.toResult(sinks, tracks, n) };
  }
}
