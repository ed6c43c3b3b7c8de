import { AppError } from "@statescope/core";
import type { NumericDtype } from "./dtype";

/**
 * An N-d numeric array on disk (an HDF5 dataset or an .npy file) that is
 * read by ranges of its first axis. Rows are returned row-major, so a read of
 * rows [from, to) of an (N, D) array holds (to - from) * D values.
 */
export interface NumericArray {
  /** Names the array in messages, e.g. `states.h5::states1` or `ids.npy`. */
  readonly label: string;
  readonly shape: readonly number[];
  readonly dtype: NumericDtype;
  /** Rows [from, to) converted to float32 (float64/int values are rounded to float32). */
  readFloat32(from: number, to: number): Promise<Float32Array>;
  /** Rows [from, to) as int32; floats must be integral and every value must fit (else BAD_INPUT). */
  readInt32(from: number, to: number): Promise<Int32Array>;
}

/** Values per first-axis row (product of the other dimensions). */
export function rowSize(shape: readonly number[]): number {
  let n = 1;
  for (let i = 1; i < shape.length; i++) n *= shape[i]!;
  return n;
}

/** Largest single read the readers allow (elements), to keep memory bounded. */
export const MAX_READ_ELEMENTS = 256 * 1024 * 1024;

export function checkRowRange(label: string, shape: readonly number[], from: number, to: number): void {
  const rows = shape.length === 0 ? 1 : shape[0]!;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from || to > rows) {
    throw new AppError("BAD_INPUT", `${label}: row range [${from}, ${to}) is outside 0..${rows}`);
  }
  if ((to - from) * rowSize(shape) > MAX_READ_ELEMENTS) {
    throw new AppError(
      "TOO_LARGE",
      `${label}: reading rows [${from}, ${to}) would load more than ${MAX_READ_ELEMENTS} values; read smaller slices`,
    );
  }
}

/** A row-slice size that keeps one float32 slice near `targetBytes` (default 64 MiB). */
export function recommendedChunkRows(cells: number, targetBytes = 64 * 1024 * 1024): number {
  const rows = Math.floor(targetBytes / Math.max(1, cells * 4));
  return Math.max(256, Math.min(65536, rows));
}
