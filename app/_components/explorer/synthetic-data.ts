import { match, type StateMatrix } from "@statescope/core";
import type { DatasetInfo, ExplorerData, MatchInput, MatchOutput, SearchHit, TrackWindow } from "./data-source";
import { mulberry32 } from "@statescope/core";

/**
 * A generated dataset in the spirit of LSTMVis's parenthesis example: tokens of nested
 * brackets, cells that track nesting depth, cells that fire inside a bracket, and noise. Used by
 * the benchmark page; everything is computed in the browser (matching with packages/core).
 */

const WORDS = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "it", "was"];

export function createSyntheticData(opts: { steps?: number; cells?: number; seed?: number } = {}): ExplorerData {
  const T = opts.steps ?? 4000;
  const D = opts.cells ?? 650;
  const rnd = mulberry32(opts.seed ?? 7);
  const tokens: string[] = new Array(T);
  const depth = new Int32Array(T);
  let d = 0;
  for (let t = 0; t < T; t++) {
    const r = rnd();
    let tok: string;
    if (r < 0.12 && d < 4) {
      tok = "(";
      d++;
    } else if (r < 0.24 && d > 0) {
      tok = ")";
      d--;
    } else tok = WORDS[Math.floor(rnd() * WORDS.length)]!;
    tokens[t] = tok;
    depth[t] = d;
  }
  // cell roles: depth ≥ k detectors, word detectors, and noise
  const role = new Int32Array(D);
  const gain = new Float32Array(D);
  for (let c = 0; c < D; c++) {
    role[c] = Math.floor(rnd() * 10);
    gain[c] = 0.6 + rnd() * 1.6;
  }
  const data = new Float32Array(T * D);
  const prev = new Float32Array(D);
  for (let t = 0; t < T; t++) {
    const tok = tokens[t]!;
    const dep = depth[t]!;
    for (let c = 0; c < D; c++) {
      const r = role[c]!;
      let target: number;
      if (r < 4) target = dep > r ? gain[c]! : -0.4 * gain[c]!; // depth detectors at levels 1–4
      else if (r === 4) target = tok === "(" || tok === ")" ? 1.5 : -0.6;
      else if (r === 5) target = dep > 0 && tok !== ")" ? 0.3 + 0.25 * dep : -0.8;
      else target = (rnd() - 0.5) * 1.4;
      const v = 0.55 * prev[c]! + 0.45 * target + (rnd() - 0.5) * 0.25;
      prev[c] = v;
      data[t * D + c] = v;
    }
  }
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const labels = new Map<number, string>([[0, "top"], [1, "depth 1"], [2, "depth 2"], [3, "depth 3"], [4, "depth 4"]]);
  const wordIds = new Map<number, string>(WORDS.map((w, i) => [i, w] as const));
  wordIds.set(WORDS.length, "(");
  wordIds.set(WORDS.length + 1, ")");
  const info: DatasetInfo = {
    id: "synthetic",
    name: `Synthetic brackets (${T} steps × ${D} cells)`,
    steps: T,
    regexSearch: false,
    separator: " ",
    sources: [
      { name: "states::states1", type: "states", layer: 1, transform: "tanh", steps: T, cells: D, min, max },
      { name: "output::output1", type: "output", layer: 1, transform: "tanh", steps: T, cells: D, min, max },
    ],
    tracks: [
      { name: "depth", kind: "discrete", width: 1, labels, range: null },
      { name: "surprise", kind: "scalar", width: 1, labels: null, range: [0, 1] },
      { name: "top-k", kind: "wordvec", width: 3, labels: wordIds, range: null },
    ],
  };
  const shift = (src: string) => (src.startsWith("output") ? 0.15 : 0);
  const slice = (source: string, from: number, to: number, cells?: number[]): StateMatrix => {
    const a = Math.max(0, from);
    const b = Math.min(T, to);
    const s = shift(source);
    if (!cells) {
      const out = data.slice(a * D, b * D);
      if (s) for (let i = 0; i < out.length; i++) out[i] = out[i]! - s;
      return { data: out, steps: b - a, cells: D };
    }
    const out = new Float32Array((b - a) * cells.length);
    for (let t = a; t < b; t++) for (let i = 0; i < cells.length; i++) out[(t - a) * cells.length + i] = data[t * D + cells[i]!]! - s;
    return { data: out, steps: b - a, cells: cells.length };
  };
  const wait = () => new Promise<void>((r) => setTimeout(r, 0));
  return {
    key: `synthetic-${T}-${D}-${opts.seed ?? 7}`,
    async info() {
      return info;
    },
    async tokens(from, to) {
      return tokens.slice(Math.max(0, from), Math.min(T, to));
    },
    async states(source, from, to, cells) {
      await wait();
      return slice(source, from, to, cells);
    },
    async track(name, from, to): Promise<TrackWindow> {
      const a = Math.max(0, from);
      const b = Math.min(T, to);
      if (name === "depth") return { from: a, to: b, width: 1, values: depth.slice(a, b), weights: null, words: null };
      if (name === "surprise") {
        const v = new Float32Array(b - a);
        for (let t = a; t < b; t++) v[t - a] = tokens[t] === "(" || tokens[t] === ")" ? 0.9 : 0.1 + 0.5 * Math.abs(Math.sin(t * 0.7));
        return { from: a, to: b, width: 1, values: v, weights: null, words: null };
      }
      const v = new Int32Array((b - a) * 3);
      const w = new Float32Array((b - a) * 3);
      for (let t = a; t < b; t++) {
        const next = tokens[t + 1] ?? "the";
        const id = next === "(" ? WORDS.length : next === ")" ? WORDS.length + 1 : WORDS.indexOf(next);
        v[(t - a) * 3] = id;
        v[(t - a) * 3 + 1] = (id + 3) % WORDS.length;
        v[(t - a) * 3 + 2] = (id + 7) % WORDS.length;
        w[(t - a) * 3] = 0.6;
        w[(t - a) * 3 + 1] = 0.25;
        w[(t - a) * 3 + 2] = 0.1;
      }
      return { from: a, to: b, width: 3, values: v, weights: w, words: null };
    },
    async search(query, _regex, limit): Promise<SearchHit[]> {
      const words = query.trim().split(/\s+/).filter(Boolean);
      const out: SearchHit[] = [];
      if (words.length === 0) return out;
      for (let t = 0; t + words.length <= T && out.length < limit; t++) {
        if (words.every((w, i) => tokens[t + i] === w)) out.push({ pos: t, length: words.length });
      }
      return out;
    },
    async match(input: MatchInput): Promise<MatchOutput> {
      await wait();
      const m = slice(input.source, 0, T);
      return match({ matrix: m, transform: "tanh" }, input);
    },
  };
}
