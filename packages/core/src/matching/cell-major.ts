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

import { assembler, F32, I32, kernelModule, lazyModule, OP, uleb, V, V128 } from "../wasm-asm";
import { onRowsModule, type OnRowsKernel } from "./on-rows";

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
 * cutoff of `rawCutoff`, a float32 value; NaN is never on) — exactly `encodeOnRows` of the
 * row-major block.
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
 * `cut` (a float32 value, as `rawCutoff` gives; NaN never on). Exactly ceil(n/32) words are
 * written, bits past n are 0: the layout of one cell in `OnIndex.cols`. A source chunked by a
 * multiple of 32 steps puts chunk i's words at word i·(chunk rows)/32 of the cell's column.
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

/** Columns per tile of the JS transpose: a tile's output rows stay in cache while the input is walked. */
const TILE = 16;

/** out[j·n1 + i] = block[i·n2 + j]: the n2 × n1 transpose of the n1 × n2 row-major `block`. */
function transposeJs(block: Float32Array, n1: number, n2: number, out: Float32Array): void {
  for (let j0 = 0; j0 < n2; j0 += TILE) {
    const j1 = Math.min(j0 + TILE, n2);
    for (let i = 0; i < n1; i++) {
      const s = i * n2;
      for (let j = j0; j < j1; j++) out[j * n1 + i] = block[s + j]!;
    }
  }
}

/** Cell-major → row-major: out[r·cells + c] = block[c·rows + r]. `out` must not overlap `block`. */
export function cellsToRows(block: Float32Array, rows: number, cells: number, out: Float32Array): void {
  checkTranspose("cells to rows", block, rows, cells, out);
  transposeJs(block, cells, rows, out);
}

/** Row-major → cell-major: out[c·rows + r] = block[r·cells + c]. `out` must not overlap `block`. */
export function rowsToCells(block: Float32Array, rows: number, cells: number, out: Float32Array): void {
  checkTranspose("rows to cells", block, rows, cells, out);
  transposeJs(block, rows, cells, out);
}

/** `encodeOnRowsFromCells(block, rows, cells, cut, out)`. */
export type OnRowsFromCellsEncoder = (block: Float32Array, rows: number, cells: number, cut: number, out: Uint32Array) => void;
/** `encodeOnColumn(values, cut, out)`. */
export type OnColumnEncoder = (values: Float32Array, cut: number, out: Uint32Array) => void;
/** `cellsToRows` / `rowsToCells(block, rows, cells, out)`. */
export type Transposer = (block: Float32Array, rows: number, cells: number, out: Float32Array) => void;

/*
 * The SIMD kernels. Each factory instance owns a WebAssembly memory through which blocks are copied
 * in slices of ~128 KB (kernels take byte offsets into it): the encoders hold one slice and the row
 * bits of ≤ 1,024 rows (~0.2 MB at 650 cells), the transposes one slice and the whole output (~2.7 MB
 * for a 1,024 × 650 chunk). Reuse one instance per scan or writer.
 */

/** A WebAssembly memory with typed views that follow its growth. */
class Scratch {
  readonly memory = new WebAssembly.Memory({ initial: 1 });
  f32 = new Float32Array(this.memory.buffer);
  u32 = new Uint32Array(this.memory.buffer);
  /** Grows the memory to at least `bytes` (growing detaches the old views). */
  ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (have >= bytes) return;
    this.memory.grow(Math.ceil((bytes - have) / 65536));
    this.f32 = new Float32Array(this.memory.buffer);
    this.u32 = new Uint32Array(this.memory.buffer);
  }
}

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** Float lanes → the 16 byte indices of `i8x16.shuffle` (lanes 4–7 are the second operand's). */
const lanes = (f: readonly number[]): number[] => f.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);

/** Rows per block of the row-bits-from-cells kernel: 8 accumulators of 4 rows (two cache lines per cell). */
const CELLS_BLOCK_ROWS = 32;

/**
 * `cells(src, rows, cells, cut, out, W)`: the row bits of a cell-major block of `rows` × `cells`
 * (cells ≤ 32·words, a slice of a wider block whose rows have W words; `out` points at the slice's
 * first word of row 0). For 32 rows and a group of ≤ 32 cells: each cell's 32 consecutive values
 * are 8 v128 loads (two cache lines), compared with the cut; eight accumulators, one per 4 rows,
 * take acc = 2·acc − mask (mask = −1 where on) from the group's last cell down to its first, so
 * cell c ends at bit c&31 and a short group leaves the high bits 0. The 32 words are stored lane by
 * lane. Groups are the outer loop: 32 columns read front to back, a stream each (measured against
 * row blocks outer and 4–16 accumulators: a tie or better on 1,024 × 650).
 * The last row block reads past its column (into the next one, or slack after the block) and
 * writes words of up to 31 rows past `rows`: `out` must hold ceil(rows/32)·32 rows.
 */
function buildCellsModule(): Uint8Array<ArrayBuffer> {
  const [SRC, ROWS, CELLS, CUT, OUT, W, R0, WI, N, P, Q, STRIDE, WS, WB, VC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const A = Array.from({ length: CELLS_BLOCK_ROWS / 4 }, (_, i) => 15 + i);
  const RB = CELLS_BLOCK_ROWS;
  const a = assembler();
  const { get, set, tee, i32, op, simd } = a;
  get(CUT); simd(V.f32x4_splat); set(VC);
  get(ROWS); i32(4); op(OP.i32_mul); set(STRIDE);
  get(W); i32(4); op(OP.i32_mul); set(WB);
  get(CELLS); i32(31); op(OP.i32_add); i32(5); op(OP.i32_shr_u); set(WS);
  const group = (): void => {
    // N = min(cells − 32·WI, 32)
    get(CELLS); get(WI); i32(5); op(OP.i32_shl, OP.i32_sub); tee(N);
    i32(32); get(N); i32(32); op(OP.i32_lt_s, OP.select); set(N);
    // P = src + ((32·WI + N − 1)·rows + R0)·4: the group's last cell
    get(WI); i32(5); op(OP.i32_shl); get(N); op(OP.i32_add); i32(1); op(OP.i32_sub);
    get(ROWS); op(OP.i32_mul); get(R0); op(OP.i32_add); i32(2); op(OP.i32_shl); get(SRC); op(OP.i32_add); set(P);
    for (const acc of A) {
      simd(V.const, ...new Array<number>(16).fill(0));
      set(acc);
    }
    op(OP.loop, 0x40); // cells of the group, last first
    A.forEach((acc, j) => {
      get(acc); get(acc); simd(V.i32x4_add);
      get(P); simd(V.load, 0, ...uleb(16 * j)); get(VC); simd(V.f32x4_ge);
      simd(V.i32x4_sub); set(acc);
    });
    get(P); get(STRIDE); op(OP.i32_sub); set(P);
    get(N); i32(1); op(OP.i32_sub); tee(N); op(OP.br_if, 0);
    op(OP.end);
    // Q = out + (R0·W + WI)·4; the words, one row (W words) apart
    get(R0); get(W); op(OP.i32_mul); get(WI); op(OP.i32_add); i32(2); op(OP.i32_shl); get(OUT); op(OP.i32_add); set(Q);
    for (const acc of A) {
      for (let l = 0; l < 4; l++) {
        get(Q); get(acc); simd(V.store32_lane, 2, 0, l);
        get(Q); get(WB); op(OP.i32_add); set(Q);
      }
    }
  };
  const rowLoop = (inner: () => void): void => {
    i32(0); set(R0);
    op(OP.loop, 0x40);
    inner();
    get(R0); i32(RB); op(OP.i32_add); tee(R0); get(ROWS); op(OP.i32_lt_u, OP.br_if, 0);
    op(OP.end);
  };
  const wordLoop = (inner: () => void): void => {
    i32(0); set(WI);
    op(OP.loop, 0x40);
    inner();
    get(WI); i32(1); op(OP.i32_add); tee(WI); get(WS); op(OP.i32_lt_u, OP.br_if, 0);
    op(OP.end);
  };
  op(OP.block, 0x40);
  get(ROWS); op(OP.i32_eqz, OP.br_if, 0);
  wordLoop(() => rowLoop(group));
  op(OP.end); // block
  op(OP.end); // function
  return kernelModule("cells", [I32, I32, I32, F32, I32, I32], [[8, I32], [1 + A.length, V128]], a.c);
}

/**
 * `tr(src, dst, m1, m2, s1, s2, tile)`: dst[j·s2 + i] = src[i·s1 + j] for i < m1, j < m2 (both
 * multiples of 4), in 4 × 4 blocks: four v128 loads (rows i..i+3 at column j), two rounds of
 * shuffles (unpack pairs, then halves), four stores. Columns go in tiles of `tile`, within a tile
 * all rows, so a tile's output rows (a few cache lines each) stay in cache.
 */
function buildTransposeModule(): Uint8Array<ArrayBuffer> {
  const [SRC, DST, M1, M2, S1, S2, T, J0, JE, I, P, PP, PE, Q, QQ, S1B, S2B] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const X = [17, 18, 19, 20];
  const Y = [21, 22, 23, 24];
  const a = assembler();
  const { get, set, tee, i32, op, simd } = a;
  get(S1); i32(4); op(OP.i32_mul); set(S1B);
  get(S2); i32(4); op(OP.i32_mul); set(S2B);
  op(OP.block, 0x40);
  get(M1); op(OP.i32_eqz, OP.br_if, 0);
  get(M2); op(OP.i32_eqz, OP.br_if, 0);
  i32(0); set(J0);
  op(OP.loop, 0x40); // column tiles
  get(J0); get(T); op(OP.i32_add); tee(JE); get(M2); get(JE); get(M2); op(OP.i32_lt_u, OP.select); set(JE);
  i32(0); set(I);
  op(OP.loop, 0x40); // rows, 4 at a time
  get(I); get(S1); op(OP.i32_mul); tee(P); get(JE); op(OP.i32_add); i32(2); op(OP.i32_shl); get(SRC); op(OP.i32_add); set(PE);
  get(P); get(J0); op(OP.i32_add); i32(2); op(OP.i32_shl); get(SRC); op(OP.i32_add); set(P);
  get(J0); get(S2); op(OP.i32_mul); get(I); op(OP.i32_add); i32(2); op(OP.i32_shl); get(DST); op(OP.i32_add); set(Q);
  op(OP.loop, 0x40); // 4 × 4 blocks of the tile
  get(P); set(PP);
  X.forEach((x, k) => {
    if (k > 0) { get(PP); get(S1B); op(OP.i32_add); tee(PP); } else get(PP);
    simd(V.load, 0, 0); set(x);
  });
  // Y0 = x0₀ x1₀ x0₁ x1₁, Y1 = x0₂ x1₂ x0₃ x1₃, Y2/Y3 the same of x2, x3
  get(X[0]!); get(X[1]!); simd(V.shuffle, ...lanes([0, 4, 1, 5])); set(Y[0]!);
  get(X[0]!); get(X[1]!); simd(V.shuffle, ...lanes([2, 6, 3, 7])); set(Y[1]!);
  get(X[2]!); get(X[3]!); simd(V.shuffle, ...lanes([0, 4, 1, 5])); set(Y[2]!);
  get(X[2]!); get(X[3]!); simd(V.shuffle, ...lanes([2, 6, 3, 7])); set(Y[3]!);
  // column q of the block = lanes q of x0..x3
  get(Q); set(QQ);
  const halves: [number, number, number[]][] = [[Y[0]!, Y[2]!, [0, 1, 4, 5]], [Y[0]!, Y[2]!, [2, 3, 6, 7]], [Y[1]!, Y[3]!, [0, 1, 4, 5]], [Y[1]!, Y[3]!, [2, 3, 6, 7]]];
  halves.forEach(([u, v, f], q) => {
    if (q > 0) { get(QQ); get(S2B); op(OP.i32_add); tee(QQ); } else get(QQ);
    get(u); get(v); simd(V.shuffle, ...lanes(f));
    simd(V.store, 0, 0);
  });
  get(QQ); get(S2B); op(OP.i32_add); set(Q);
  get(P); i32(16); op(OP.i32_add); tee(P); get(PE); op(OP.i32_lt_u, OP.br_if, 0);
  op(OP.end); // blocks
  get(I); i32(4); op(OP.i32_add); tee(I); get(M1); op(OP.i32_lt_u, OP.br_if, 0);
  op(OP.end); // rows
  get(JE); tee(J0); get(M2); op(OP.i32_lt_u, OP.br_if, 0);
  op(OP.end); // tiles
  op(OP.end); // block
  op(OP.end); // function
  return kernelModule("tr", [I32, I32, I32, I32, I32, I32, I32], [[10, I32], [8, V128]], a.c);
}

const cellsModule = lazyModule(buildCellsModule);
const transposeModule = lazyModule(buildTransposeModule);

/**
 * Bytes of floats a kernel takes into its memory at a time (whole groups of 32 cells, whole
 * quads of rows): each slice is processed while the copy left it in cache (a 1,024-row group of 32
 * cells is 128 KB; measured faster than whole 2.6 MB chunks).
 */
const SLICE_BYTES = 128 * 1024;
/** Rows of a cell-major slice at most (a 1,024-row chunk's columns are whole). */
const SLICE_ROWS = 1024;
/** Blocks above this go through the JS transpose (the SIMD one holds the whole output). */
const MAX_TRANSPOSE_BYTES = 64 * 1024 * 1024;

/** The SIMD `encodeOnRowsFromCells` with its own WebAssembly memory, or the JS one without SIMD. */
export function createOnRowsFromCellsEncoder(): OnRowsFromCellsEncoder {
  const mod = cellsModule();
  const RB = CELLS_BLOCK_ROWS;
  if (mod === null) return encodeOnRowsFromCells;
  const mem = new Scratch();
  const enc = (new WebAssembly.Instance(mod, { env: { memory: mem.memory } }).exports as {
    cells: (src: number, rows: number, cells: number, cut: number, out: number, W: number) => void;
  }).cells;
  return (block, rows, cells, cut, out) => {
    checkBlock("row bits from cells", block, rows, cells);
    const W = rowWords(cells);
    if (out.length < rows * W) throw new RangeError(`row bits from cells: ${out.length} words for ${rows} rows of ${W}`);
    if (rows === 0) return;
    // a slice = whole groups of 32 cells × at most SLICE_ROWS rows (a multiple of the kernel's row block)
    const nr = Math.min(rows, SLICE_ROWS);
    const perSlice = 32 * Math.max(1, Math.floor(SLICE_BYTES / (nr * 4 * 32)));
    const outAt = align16(Math.min(perSlice, cells) * nr * 4 + RB * 4); // floats, slack for the last row block's loads, words
    mem.ensure(outAt + Math.ceil(nr / RB) * RB * W * 4);
    for (let r0 = 0; r0 < rows; r0 += nr) {
      const m = Math.min(nr, rows - r0);
      for (let c0 = 0; c0 < cells; c0 += perSlice) {
        const n = Math.min(perSlice, cells - c0);
        // whole columns are one contiguous run; parts of columns (a block over SLICE_ROWS rows) are copied one by one
        if (m === rows) mem.f32.set(block.subarray(c0 * rows, (c0 + n) * rows), 0);
        else for (let c = 0; c < n; c++) mem.f32.set(block.subarray((c0 + c) * rows + r0, (c0 + c) * rows + r0 + m), c * m);
        enc(0, m, n, cut, outAt + (c0 >>> 5) * 4, W);
      }
      out.set(mem.u32.subarray(outAt >>> 2, (outAt >>> 2) + m * W), r0 * W);
    }
  };
}

/**
 * The SIMD `encodeOnColumn` with its own WebAssembly memory, or the JS one without SIMD: one row of
 * n values through the row-bits kernel of `createOnRowsEncoder` is exactly one cell's column bits.
 */
export function createOnColumnEncoder(): OnColumnEncoder {
  const mod = onRowsModule();
  if (mod === null) return encodeOnColumn;
  const mem = new Scratch();
  const enc = (new WebAssembly.Instance(mod, { env: { memory: mem.memory } }).exports as { enc: OnRowsKernel }).enc;
  return (values, cut, out) => {
    const n = values.length;
    const words = Math.ceil(n / 32);
    if (out.length < words) throw new RangeError(`column bits: ${out.length} words for ${n} values`);
    if (n === 0) return;
    const per = Math.min(n, SLICE_BYTES / 4); // a multiple of 32 values: slices end on word boundaries
    const outAt = align16(per * 4 + 128); // the kernel's loads run up to 128 bytes past the values
    mem.ensure(outAt + Math.ceil(per / 32) * 4);
    for (let r0 = 0; r0 < n; r0 += per) {
      const m = Math.min(per, n - r0);
      mem.f32.set(values.subarray(r0, r0 + m), 0);
      enc(0, 1, m, cut, outAt);
      out.set(mem.u32.subarray(outAt >>> 2, (outAt >>> 2) + Math.ceil(m / 32)), r0 >>> 5);
    }
  };
}

/**
 * The SIMD n2 × n1 transpose of an n1 × n2 block (`transposeJs`), or null without SIMD. The block
 * goes through the memory in slices of whole quads of its rows (each a contiguous run of values),
 * each transposed into its place in the output area while in cache; the output is copied out once.
 */
function createTranspose(tile: number): ((block: Float32Array, n1: number, n2: number, out: Float32Array) => void) | null {
  const mod = transposeModule();
  if (mod === null) return null;
  const mem = new Scratch();
  const tr = (new WebAssembly.Instance(mod, { env: { memory: mem.memory } }).exports as {
    tr: (src: number, dst: number, m1: number, m2: number, s1: number, s2: number, tile: number) => void;
  }).tr;
  return (block, n1, n2, out) => {
    const n = n1 * n2;
    if (n * 4 > MAX_TRANSPOSE_BYTES) return transposeJs(block, n1, n2, out);
    // the kernel does the 4 × 4 blocks; the last n1 % 4 rows and n2 % 4 columns go here
    const m1 = n1 & ~3;
    const m2 = n2 & ~3;
    if (m1 > 0 && m2 > 0) {
      const per = Math.min(m1, Math.max(4, Math.floor(SLICE_BYTES / (n2 * 4)) & ~3));
      const dstAt = align16(per * n2 * 4);
      mem.ensure(dstAt + n * 4);
      for (let i0 = 0; i0 < m1; i0 += per) {
        const k = Math.min(per, m1 - i0);
        mem.f32.set(block.subarray(i0 * n2, (i0 + k) * n2), 0);
        tr(0, dstAt + i0 * 4, k, m2, n2, n1, tile);
      }
      out.set(mem.f32.subarray(dstAt >>> 2, (dstAt >>> 2) + n));
    }
    for (let i = m1; i < n1; i++) for (let j = 0; j < n2; j++) out[j * n1 + i] = block[i * n2 + j]!;
    for (let j = m2; j < n2; j++) for (let i = 0; i < m1; i++) out[j * n1 + i] = block[i * n2 + j]!;
  };
}

/** Tiles (multiples of 4) of the SIMD transposes: the best of 4–256 swept on 1,024 × 650 chunks (cells → rows: 32–256 tie). */
const TILE_CELLS_TO_ROWS = 128;
const TILE_ROWS_TO_CELLS = 4;

/** The SIMD `cellsToRows` with its own WebAssembly memory, or the JS one without SIMD. */
export function createCellsToRows(): Transposer {
  const t = createTranspose(TILE_CELLS_TO_ROWS);
  if (t === null) return cellsToRows;
  return (block, rows, cells, out) => {
    checkTranspose("cells to rows", block, rows, cells, out);
    t(block, cells, rows, out);
  };
}

/** The SIMD `rowsToCells` with its own WebAssembly memory, or the JS one without SIMD. */
export function createRowsToCells(): Transposer {
  const t = createTranspose(TILE_ROWS_TO_CELLS);
  if (t === null) return rowsToCells;
  return (block, rows, cells, out) => {
    checkTranspose("rows to cells", block, rows, cells, out);
    t(block, rows, cells, out);
  };
}
