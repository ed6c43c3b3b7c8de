/**
 * Evidence for a match (from cells to a track): how the steps the match returned differ from the
 * whole source on one track.
 *
 * Definitions (the UI's help repeats them):
 * - matched steps: the union of the returned results' ranges [pos, pos + length), each step once;
 * - a label's share: matched steps carrying it / matched steps where the track is defined;
 * - its base rate: steps carrying it / steps where the track is defined, over the whole source;
 * - lift = share / base (above 1: the label is over-represented in the matches);
 * - scalar tracks: the mean over the matched defined steps vs over all defined steps, and both
 *   distributions on shared bins.
 */

/** A discrete label as the analysis names it: the UI's name; "" (the annotations track's unlabelled steps) is "(none)". */
export function labelName(label: string): string {
  return label === "" ? "(none)" : label;
}

export interface MatchedRange {
  pos: number;
  length: number;
}

/** The union of ranges clipped to [0, steps), as sorted disjoint [start, end) pairs (flattened). */
export function unionRanges(ranges: readonly MatchedRange[], steps: number): Uint32Array {
  const iv: [number, number][] = [];
  for (const r of ranges) {
    const a = Math.max(0, Math.floor(r.pos));
    const b = Math.min(steps, Math.floor(r.pos) + Math.floor(r.length));
    if (b > a) iv.push([a, b]);
  }
  iv.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out: number[] = [];
  for (const [a, b] of iv) {
    const n = out.length;
    if (n > 0 && a <= out[n - 1]!) out[n - 1] = Math.max(out[n - 1]!, b);
    else out.push(a, b);
  }
  return Uint32Array.from(out);
}

function unionSize(u: Uint32Array): number {
  let s = 0;
  for (let i = 0; i < u.length; i += 2) s += u[i + 1]! - u[i]!;
  return s;
}

export interface LabelEvidence {
  /** The label's id in the track. */
  id: number;
  /** Matched steps carrying it. */
  matched: number;
  /** Steps of the source carrying it. */
  total: number;
  /** matched / matched defined steps (null when no matched step is defined). */
  share: number | null;
  /** total / defined steps (null when no step is defined). */
  base: number | null;
  /** share / base (null when either is null or the base is 0). */
  lift: number | null;
}

export interface DiscreteEvidence {
  kind: "discrete";
  matchedSteps: number;
  /** Matched steps where the track is defined (the shares' denominator). */
  matchedDefined: number;
  /** Steps of the source where the track is defined (the base rates' denominator). */
  definedSteps: number;
  labels: LabelEvidence[];
}

/**
 * Per label: share among the matched steps, base rate over the source, lift. `labelIds` are the
 * track's labels in display order; a step whose value is not one of them is missing (not defined).
 */
export function discreteEvidence(values: Int32Array, labelIds: readonly number[], ranges: readonly MatchedRange[]): DiscreteEvidence {
  const k = labelIds.length;
  const slot = labelSlots(labelIds);
  const total = new Float64Array(k);
  for (let t = 0; t < values.length; t++) {
    const s = slot(values[t]!);
    if (s >= 0) total[s]!++;
  }
  const u = unionRanges(ranges, values.length);
  const matched = new Float64Array(k);
  for (let i = 0; i < u.length; i += 2) {
    for (let t = u[i]!; t < u[i + 1]!; t++) {
      const s = slot(values[t]!);
      if (s >= 0) matched[s]!++;
    }
  }
  const definedSteps = total.reduce((a, b) => a + b, 0);
  const matchedDefined = matched.reduce((a, b) => a + b, 0);
  const labels = labelIds.map((id, s): LabelEvidence => {
    const share = matchedDefined > 0 ? matched[s]! / matchedDefined : null;
    const base = definedSteps > 0 ? total[s]! / definedSteps : null;
    return { id, matched: matched[s]!, total: total[s]!, share, base, lift: share !== null && base !== null && base > 0 ? share / base : null };
  });
  return { kind: "discrete", matchedSteps: unionSize(u), matchedDefined, definedSteps, labels };
}

/** id → position in `labelIds` (−1: not a label): a table for small ids, a map otherwise. */
function labelSlots(labelIds: readonly number[]): (id: number) => number {
  const max = labelIds.reduce((a, b) => Math.max(a, b), -1);
  if (labelIds.every((id) => Number.isInteger(id) && id >= 0) && max < 1 << 16) {
    const table = new Int32Array(max + 1).fill(-1);
    labelIds.forEach((id, s) => (table[id] = s));
    return (id) => (id >= 0 && id <= max ? table[id]! : -1);
  }
  const map = new Map(labelIds.map((id, s) => [id, s] as const));
  return (id) => map.get(id) ?? -1;
}

export interface ScalarEvidence {
  kind: "scalar";
  matchedSteps: number;
  matchedDefined: number;
  definedSteps: number;
  /** Mean over the matched defined steps (null when there are none). */
  mean: number | null;
  /** Mean over all defined steps (null when there are none). */
  baseMean: number | null;
  /** Both distributions on the same bins: `edges` has one more entry than the count arrays. */
  histogram: { edges: number[]; matched: number[]; overall: number[] };
}

/** At most this many bins; integer-valued tracks with a small range get one bin per integer. */
const SCALAR_BINS = 20;
const MAX_INTEGER_BINS = 40;

/** Mean inside the matches vs overall, and both distributions, for a scalar track (NaN = missing). */
export function scalarEvidence(values: Float32Array, ranges: readonly MatchedRange[]): ScalarEvidence {
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  let n = 0;
  let integers = true;
  for (let t = 0; t < values.length; t++) {
    const v = values[t]!;
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    sum += v;
    n++;
    if (integers && v !== Math.round(v)) integers = false;
  }
  const edges: number[] = [];
  if (n > 0) {
    if (integers && hi - lo < MAX_INTEGER_BINS) for (let e = lo - 0.5; e <= hi + 0.5; e++) edges.push(e);
    else if (hi === lo) edges.push(lo - 0.5, hi + 0.5);
    else for (let i = 0; i <= SCALAR_BINS; i++) edges.push(lo + ((hi - lo) * i) / SCALAR_BINS);
  }
  const bins = Math.max(0, edges.length - 1);
  const width = bins > 0 ? (edges[bins]! - edges[0]!) / bins : 1;
  const binOf = (v: number) => Math.min(bins - 1, Math.max(0, Math.floor((v - edges[0]!) / width)));
  const overall = new Array<number>(bins).fill(0);
  for (let t = 0; t < values.length; t++) {
    const v = values[t]!;
    if (Number.isFinite(v)) overall[binOf(v)]!++;
  }
  const u = unionRanges(ranges, values.length);
  const matched = new Array<number>(bins).fill(0);
  let mSum = 0;
  let mN = 0;
  for (let i = 0; i < u.length; i += 2) {
    for (let t = u[i]!; t < u[i + 1]!; t++) {
      const v = values[t]!;
      if (!Number.isFinite(v)) continue;
      mSum += v;
      mN++;
      matched[binOf(v)]!++;
    }
  }
  return {
    kind: "scalar",
    matchedSteps: unionSize(u),
    matchedDefined: mN,
    definedSteps: n,
    mean: mN > 0 ? mSum / mN : null,
    baseMean: n > 0 ? sum / n : null,
    histogram: { edges, matched, overall },
  };
}
