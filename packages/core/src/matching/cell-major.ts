/**
 * Kernels for state chunks stored CELL-MAJOR (issue 15): within a chunk of `rows` steps × `cells`
 * cells, value(step r, cell c) sits at float index c·rows + r, so a fast match reads only its k
 * cells. Each kernel has a JavaScript version (the reference and the fallback) and a factory that
 * returns a hand-assembled WebAssembly SIMD version when the runtime has SIMD (else the JS one).
 *
 * - `encodeOnRowsFromCells`: the on/off row bits of a cell-major block (what `encodeOnRows` gives
 *   for the row-major equivalent) — the precise path at a never-asked threshold.
 * - `encodeOnColumn`: one cell's consecutive steps → its column bits (the `OnIndex.cols` format).
 * - `cellsToRows` / `rowsToCells`: float32 transposes between the two layouts (explorer reads,
 *   import writes).
 */

/** Words of row bits per row: ceil(cells / 32). */
const rowWords = (cells: number): number => Math.ceil(cells / 32);

function checkBlock(what: string, block: Float32Array, rows: number, cells: number): void {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cells) || cells < 1) {
    throw new RangeError(`${what}: ${rows} rows × ${cells} cells is not a block shape`);
  }
  if (block.length !== rows * cells) throw new RangeError(`${what}: ${block.length} values for ${rows} rows × ${cells} cells`);
}

function checkTranspose(what: string, block: Float32Array, rows: number, cells: number, out: Float32Array): void {
  checkBlock(what, block, rows, cells);
  if (out.length < rows * cells) throw new RangeError(`${what}: out holds ${out.length} values, ${rows * cells} needed`);
  if (out.buffer === block.buffer) {
    const a = block.byteOffset;
    const b = out.byteOffset;
    if (a < b + rows * cells * 4 && b < a + rows * cells * 4) throw new RangeError(`${what}: out overlaps the block (no in-place transpose)`);
  }
}

/**
 * The on/off row bits of a cell-major block of `rows` steps × `cells` cells: `out` gets
 * ceil(cells/32) words per row, bit c&31 of word c>>5 set iff block[c·rows + r] ≥ `cut` (the raw
 * cutoff of `rawCutoff`; NaN is never on) — exactly `encodeOnRows` of the row-major block.
 */
export function encodeOnRowsFromCells(block: Float32Array, rows: number, cells: number, cut: number, out: Uint32Array): void {
  checkBlock("row bits from cells", block, rows, cells);
  const W = rowWords(cells);
  if (out.length < rows * W) throw new RangeError(`row bits from cells: ${out.length} words for ${rows} rows of ${W}`);
  out.fill(0, 0, rows * W);
  for (let c = 0; c < cells; c++) {
    const w = c >>> 5;
    const b = c & 31;
    const src = c * rows;
    // NaN >= cut is false: NaN is never on
    for (let r = 0, at = w; r < rows; r++, at += W) out[at]! |= +(block[src + r]! >= cut) << b;
  }
}

/**
 * The column bits of one cell's consecutive values: bit r&31 of out[r>>5] set iff values[r] ≥
 * `cut` (NaN never on); exactly ceil(n/32) words are written, bits past n are 0 — the layout of
 * one cell in `OnIndex.cols`. A source chunked by a multiple of 32 steps puts chunk i's words at
 * word i·(chunk rows)/32 of the cell's column.
 */
export function encodeOnColumn(values: Float32Array, cut: number, out: Uint32Array): void {
  const n = values.length;
  const words = Math.ceil(n / 32);
  if (out.length < words) throw new RangeError(`column bits: ${out.length} words for ${n} values`);
  for (let w = 0; w < words; w++) {
    const r0 = w << 5;
    const r1 = Math.min(r0 + 32, n);
    let word = 0;
    for (let r = r0; r < r1; r++) word |= +(values[r]! >= cut) << (r - r0);
    out[w] = word;
  }
}

/** Cells per tile of the JS transposes: a tile's rows of one layout stay in cache while the other is walked. */
const TILE = 16;

/** Cell-major → row-major: out[r·cells + c] = block[c·rows + r]. `out` must not overlap `block`. */
export function cellsToRows(block: Float32Array, rows: number, cells: number, out: Float32Array): void {
  checkTranspose("cells to rows", block, rows, cells, out);
  for (let c0 = 0; c0 < cells; c0 += TILE) {
    const c1 = Math.min(c0 + TILE, cells);
    for (let r = 0; r < rows; r++) {
      const o = r * cells;
      for (let c = c0; c < c1; c++) out[o + c] = block[c * rows + r]!;
    }
  }
}

/** Row-major → cell-major: out[c·rows + r] = block[r·cells + c]. `out` must not overlap `block`. */
export function rowsToCells(block: Float32Array, rows: number, cells: number, out: Float32Array): void {
  checkTranspose("rows to cells", block, rows, cells, out);
  for (let c0 = 0; c0 < cells; c0 += TILE) {
    const c1 = Math.min(c0 + TILE, cells);
    for (let r = 0; r < rows; r++) {
      const s = r * cells;
      for (let c = c0; c < c1; c++) out[c * rows + r] = block[s + c]!;
    }
  }
}

/** `encodeOnRowsFromCells(block, rows, cells, cut, out)`. */
export type OnRowsFromCellsEncoder = (block: Float32Array, rows: number, cells: number, cut: number, out: Uint32Array) => void;
/** `encodeOnColumn(values, cut, out)`. */
export type OnColumnEncoder = (values: Float32Array, cut: number, out: Uint32Array) => void;
/** `cellsToRows` / `rowsToCells(block, rows, cells, out)`. */
export type Transposer = (block: Float32Array, rows: number, cells: number, out: Float32Array) => void;

/** The SIMD `encodeOnRowsFromCells` with its own WebAssembly memory, or the JS one without SIMD. */
export function createOnRowsFromCellsEncoder(): OnRowsFromCellsEncoder {
  return encodeOnRowsFromCells;
}

/** The SIMD `encodeOnColumn` with its own WebAssembly memory, or the JS one without SIMD. */
export function createOnColumnEncoder(): OnColumnEncoder {
  return encodeOnColumn;
}

/** The SIMD `cellsToRows` with its own WebAssembly memory, or the JS one without SIMD. */
export function createCellsToRows(): Transposer {
  return cellsToRows;
}

/** The SIMD `rowsToCells` with its own WebAssembly memory, or the JS one without SIMD. */
export function createRowsToCells(): Transposer {
  return rowsToCells;
}
