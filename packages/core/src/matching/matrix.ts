import { AppError } from "../errors";

/** T time steps × D cells of float32 state values, row-major: value (t, c) is `data[t * cells + c]`. */
export interface StateMatrix {
  data: Float32Array;
  steps: number;
  cells: number;
}

/** How a source's raw values become the values V that matching compares (matching.md, Inputs). */
export type Transform = "none" | "tanh";

/** Checks that `data` holds exactly `steps × cells` values. */
export function assertStateMatrix(m: StateMatrix, what = "matrix"): void {
  if (!Number.isInteger(m.steps) || m.steps < 0 || !Number.isInteger(m.cells) || m.cells < 0) {
    throw new AppError("BAD_INPUT", `${what}: steps and cells must be non-negative integers, got ${m.steps} × ${m.cells}`);
  }
  if (m.data.length !== m.steps * m.cells) {
    throw new AppError(
      "BAD_INPUT",
      `${what}: ${m.steps} steps × ${m.cells} cells needs ${m.steps * m.cells} values, the buffer has ${m.data.length}`,
    );
  }
}

/** V = fround(tanh(raw)) (tanh in double precision) or V = raw, as matching.md prescribes. */
export function applyTransform(m: StateMatrix, transform: Transform): StateMatrix {
  if (transform === "none") return m;
  const src = m.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = Math.tanh(src[i]!);
  return { data: out, steps: m.steps, cells: m.cells };
}

// Float32 values in increasing numeric order ↔ unsigned 32-bit keys (−inf … −0, +0 … +inf).
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function keyOf(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  return (b & 0x80000000 ? ~b : b | 0x80000000) >>> 0;
}
function valueOfKey(k: number): number {
  u32[0] = (k & 0x80000000 ? k & 0x7fffffff : ~k) >>> 0;
  return f32[0]!;
}

/**
 * The on-test of matching.md reduced to one float32 comparison on the raw value.
 *
 * A cell is on iff `V ≥ fround(ℓ)`. For `none`, V = raw. For `tanh`, V = fround(tanh(raw)) is a
 * non-decreasing function of raw, so {raw : V ≥ fround(ℓ)} is an up-set of the float32 line and
 * equals {raw : raw ≥ cut} for the smallest float32 `cut` in it, found by bisection over the
 * float32 bit keys. This lets index builds skip 650M `Math.tanh` calls. NaN compares false
 * either way. Returns `Infinity`-style "never" as `null` when no float32 value is on.
 */
export function rawCutoff(threshold: number, transform: Transform): number | null {
  const thr = Math.fround(threshold);
  if (transform === "none") return thr;
  const on = (x: number) => Math.fround(Math.tanh(x)) >= thr;
  let lo = keyOf(-Infinity);
  let hi = keyOf(Infinity);
  if (!on(valueOfKey(hi))) return null;
  if (on(valueOfKey(lo))) return -Infinity;
  // invariant: lo is off, hi is on
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (on(valueOfKey(mid))) hi = mid;
    else lo = mid;
  }
  return valueOfKey(hi);
}
