import { AppError } from "../errors";

const DIGIT = 11;
const BUCKETS = 1 << DIGIT;
const MASK = BUCKETS - 1;

/** Reusable buffers for {@link midranks2} on columns of up to `capacity` values. */
export class RankScratch {
  readonly keys: Uint32Array;
  readonly keys2: Uint32Array;
  readonly idx: Uint32Array;
  readonly idx2: Uint32Array;
  readonly hist = new Uint32Array(3 * BUCKETS);
  constructor(readonly capacity: number) {
    this.keys = new Uint32Array(capacity);
    this.keys2 = new Uint32Array(capacity);
    this.idx = new Uint32Array(capacity);
    this.idx2 = new Uint32Array(capacity);
  }
}

/**
 * Twice the mid-rank of every value: with the values sorted ascending, a group of equal values at
 * 0-based positions [i, j) shares the average of the 1-based ranks i+1 … j, (i + 1 + j) / 2; doubled
 * it is the integer i + 1 + j. So `out` holds integers in [2, 2n] and Σ out = n(n + 1) exactly.
 * −0 and +0 are equal (one tie group). NaN has no rank: it is an error (callers exclude missing
 * values first). O(n): an LSD radix sort over the float32 bit keys (3 passes of 11 bits), carrying
 * the positions.
 */
export function midranks2(values: Float32Array, out: Uint32Array, scratch: RankScratch): void {
  const n = values.length;
  if (out.length < n) throw new RangeError(`midranks: out holds ${out.length} values, need ${n}`);
  if (scratch.capacity < n) throw new RangeError(`midranks: scratch holds ${scratch.capacity} values, need ${n}`);
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);
  const { keys, hist } = scratch;
  hist.fill(0);
  for (let i = 0; i < n; i++) {
    let u = bits[i]!;
    if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) throw new AppError("BAD_INPUT", `value ${i} is NaN: it cannot be ranked`);
    if (u === 0x80000000) u = 0; // −0 sorts and ties with +0
    // increasing float order ↔ increasing unsigned key: flip all bits of negatives, the sign bit of the rest
    const k = (u & 0x80000000 ? ~u : u | 0x80000000) >>> 0;
    keys[i] = k;
    hist[k & MASK]!++;
    hist[BUCKETS + ((k >>> DIGIT) & MASK)]!++;
    hist[2 * BUCKETS + (k >>> (2 * DIGIT))]!++;
  }
  // keys and positions ping-pong between the two buffer pairs; pass 0's positions are the identity
  const K = [keys, scratch.keys2] as const;
  const I = [scratch.idx, scratch.idx2] as const;
  let cur = 0;
  let identity = true;
  for (let pass = 0; pass < 3; pass++) {
    const base = pass * BUCKETS;
    const shift = pass * DIGIT;
    const srcK = K[cur]!;
    // a digit every key shares does not reorder anything
    if (hist[base + ((srcK[0]! >>> shift) & MASK)] === n) continue;
    let sum = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const c = hist[base + b]!;
      hist[base + b] = sum;
      sum += c;
    }
    const dstK = K[1 - cur]!;
    const dstI = I[1 - cur]!;
    if (identity) {
      for (let i = 0; i < n; i++) {
        const k = srcK[i]!;
        const p = hist[base + ((k >>> shift) & MASK)]!++;
        dstK[p] = k;
        dstI[p] = i;
      }
    } else {
      const srcI = I[cur]!;
      for (let i = 0; i < n; i++) {
        const k = srcK[i]!;
        const p = hist[base + ((k >>> shift) & MASK)]!++;
        dstK[p] = k;
        dstI[p] = srcI[i]!;
      }
    }
    identity = false;
    cur = 1 - cur;
  }
  const sk = K[cur]!;
  const si = I[cur]!;
  let i = 0;
  while (i < n) {
    const k = sk[i]!;
    let j = i + 1;
    while (j < n && sk[j] === k) j++;
    const r = i + 1 + j;
    if (identity) for (let m = i; m < j; m++) out[m] = r;
    else for (let m = i; m < j; m++) out[si[m]!] = r;
    i = j;
  }
}
