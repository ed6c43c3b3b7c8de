import { AppError } from "../errors";
import { assertStateMatrix, rawCutoff, type StateMatrix, type Transform } from "./matrix";

/**
 * The Select view's rule (matching.md): the cells on at every t in [b0, b1) and off at every t in
 * [b0 − padL, b0) and [b1, b1 + padR); positions outside the window are ignored, so pass a window
 * that includes the padding steps when the brush is near its edge. `window` holds raw values
 * of a source with `transform` (default `none`: the window already holds V). Returns the cells
 * in ascending order.
 */
export function selectCells(
  window: StateMatrix,
  range: readonly [number, number],
  threshold = 0.3,
  padding: readonly [number, number] = [1, 0],
  transform: Transform = "none",
): number[] {
  assertStateMatrix(window, "window");
  const [b0, b1] = range;
  const { steps, cells, data } = window;
  if (!Number.isInteger(b0) || !Number.isInteger(b1) || b0 < 0 || b1 > steps || b0 >= b1) {
    throw new AppError("BAD_INPUT", `brushed range [${b0}, ${b1}) must be a non-empty range inside the window's ${steps} steps`);
  }
  if (typeof threshold !== "number" || !Number.isFinite(threshold)) {
    throw new AppError("BAD_INPUT", `threshold must be a finite number, got ${threshold}`);
  }
  const [padL, padR] = padding;
  if (!Number.isInteger(padL) || padL < 0 || !Number.isInteger(padR) || padR < 0) {
    throw new AppError("BAD_INPUT", `padding must be non-negative integers, got ${padL},${padR}`);
  }
  const cut = rawCutoff(threshold, transform);
  if (cut === null) return [];
  const off0 = Math.max(0, b0 - padL);
  const off1 = Math.min(steps, b1 + padR);
  const out: number[] = [];
  for (let c = 0; c < cells; c++) {
    let ok = true;
    for (let t = b0; ok && t < b1; t++) ok = data[t * cells + c]! >= cut;
    for (let t = off0; ok && t < b0; t++) ok = !(data[t * cells + c]! >= cut);
    for (let t = b1; ok && t < off1; t++) ok = !(data[t * cells + c]! >= cut);
    if (ok) out.push(c);
  }
  return out;
}
