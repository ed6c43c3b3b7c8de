/**
 * The on/off test of a block of float rows (matching.md: on iff V ≥ fround(ℓ), as one comparison
 * with the raw cutoff of `rawCutoff`), in JavaScript and as a hand-assembled WebAssembly SIMD
 * kernel (issue 15): it is the inner loop of every index built from floats (650M comparisons at
 * 1M × 650: ~2.4 s in JavaScript, more than Postgres needs to stream those floats; 0.5 s in SIMD).
 */
import { assembler, F32, I32, kernelModule, lazyModule, OP, sleb, uleb, V, V128 } from "../wasm-asm";

/**
 * The on/off row bits of a block of rows: `out` gets ceil(cells/32) words per row, bit c&31 of
 * word c>>5 set iff value ≥ `cut` (the raw cutoff of `rawCutoff`; NaN is never on).
 */
export function encodeOnRows(block: Float32Array, cells: number, cut: number, out: Uint32Array): void {
  const W = Math.ceil(cells / 32);
  const n = block.length / cells;
  if (out.length < n * W) throw new RangeError(`row bits: ${out.length} words for ${n} rows of ${W}`);
  for (let r = 0; r < n; r++) {
    const src = r * cells;
    const rowBase = r * W;
    for (let w = 0; w < W; w++) {
      const c0 = w << 5;
      const c1 = Math.min(c0 + 32, cells);
      let word = 0;
      // NaN >= cut is false: NaN is never on
      for (let c = c0; c < c1; c++) word |= +(block[src + c]! >= cut) << (c - c0);
      out[rowBase + w] = word;
    }
  }
}

/**
 * The kernel `enc(src, rows, cells, cut, out)`: four values per `f32x4.ge`, their four bits per
 * `i32x4.bitmask`, eight of those per 32-cell word; the same bits as `encodeOnRows` (NaN is never on).
 */
function buildModule(): Uint8Array<ArrayBuffer> {
  // params: src 0, rows 1, cells 2, cut 3 (f32), out 4; locals i32: p 5, left 6, word 7; v128: vc 8
  const [SRC, ROWS, CELLS, CUT, OUT, P, LEFT, WORD, VC] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const { c, get, set, simd } = assembler();
  get(CUT);
  simd(V.f32x4_splat);
  set(VC);
  c.push(OP.block, 0x40);
  get(ROWS);
  c.push(OP.i32_eqz, OP.br_if, 0);
  c.push(OP.loop, 0x40); // rows
  get(SRC); set(P);
  get(CELLS); set(LEFT);
  c.push(OP.loop, 0x40); // words of the row
  for (let g = 0; g < 8; g++) {
    get(P);
    simd(V.load, 0, ...uleb(16 * g)); // v128.load (unaligned: align 2^0), offset 16g
    get(VC);
    simd(V.f32x4_ge);
    simd(V.i32x4_bitmask);
    if (g > 0) c.push(OP.i32_const, ...sleb(4 * g), OP.i32_shl, OP.i32_or);
  }
  set(WORD);
  // the last word of a row: keep only its `left` cells (the loads ran into the next row)
  get(OUT);
  get(WORD);
  c.push(OP.i32_const, ...sleb(-1));
  c.push(OP.i32_const, 1); get(LEFT); c.push(OP.i32_shl, OP.i32_const, 1, OP.i32_sub);
  get(LEFT); c.push(OP.i32_const, ...sleb(32), OP.i32_ge_s);
  c.push(OP.select);
  c.push(OP.i32_and);
  c.push(OP.i32_store, 2, 0);
  get(OUT); c.push(OP.i32_const, 4, OP.i32_add); set(OUT);
  get(P); c.push(OP.i32_const, ...sleb(128), OP.i32_add); set(P);
  get(LEFT); c.push(OP.i32_const, ...sleb(32), OP.i32_sub); c.push(OP.local_tee, LEFT);
  c.push(OP.i32_const, 0, OP.i32_gt_s, OP.br_if, 0);
  c.push(OP.end); // words
  get(SRC); get(CELLS); c.push(OP.i32_const, 4, OP.i32_mul, OP.i32_add); set(SRC);
  get(ROWS); c.push(OP.i32_const, 1, OP.i32_sub); c.push(OP.local_tee, ROWS);
  c.push(OP.br_if, 0);
  c.push(OP.end); // rows
  c.push(OP.end); // block
  c.push(OP.end); // function

  return kernelModule("enc", [I32, I32, I32, F32, I32], [[3, I32], [1, V128]], c);
}

/**
 * The compiled kernel (null without SIMD); its export `enc(src, rows, cells, cut, out)` takes byte
 * offsets into its `env.memory` and reads up to 128 bytes past the last row. One row of n values is
 * one cell's column bits (`createOnColumnEncoder`).
 */
export const onRowsModule = lazyModule(buildModule);
/** The export of `onRowsModule`. */
export type OnRowsKernel = (src: number, rows: number, cells: number, cut: number, out: number) => void;

/** Bytes of floats the SIMD encoder takes into its memory at a time (a state chunk of 650 cells: 2.6 MB). */
const SLICE_BYTES = 4 * 1024 * 1024;

/** `encodeOnRows(block, cells, cut, out)`: writes ceil(cells/32) words per row of `block` into `out`. */
export type OnRowsEncoder = (block: Float32Array, cells: number, cut: number, out: Uint32Array) => void;

/**
 * An encoder with its own WebAssembly memory (~4 MB: blocks go through it in slices), or the JavaScript
 * `encodeOnRows` when this runtime has no WebAssembly SIMD. One per index build or writer, or the
 * thread's shared one ({@link sharedOnRowsEncoder}).
 */
export function createOnRowsEncoder(): OnRowsEncoder {
  const mod = onRowsModule();
  if (mod === null) return encodeOnRows;
  const memory = new WebAssembly.Memory({ initial: 1 });
  const enc = (new WebAssembly.Instance(mod, { env: { memory } }).exports as { enc: OnRowsKernel }).enc;
  return (block, cells, cut, out) => {
    const W = Math.ceil(cells / 32);
    const n = block.length / cells;
    if (!Number.isInteger(n)) throw new RangeError(`row bits: ${block.length} values is not a whole number of ${cells}-cell rows`);
    if (out.length < n * W) throw new RangeError(`row bits: ${out.length} words for ${n} rows of ${W}`);
    // at most SLICE_BYTES of floats at a time (the memory grows to the largest slice seen, ≤ ~4 MB)
    const per = Math.max(1, Math.min(n, Math.floor(SLICE_BYTES / (cells * 4))));
    const outAt = Math.ceil((per * cells * 4 + 128) / 16) * 16; // the floats, 128 bytes of slack (the last word's loads run past them), the words
    const need = outAt + per * W * 4;
    if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    for (let r0 = 0; r0 < n; r0 += per) {
      const m = Math.min(per, n - r0);
      new Float32Array(memory.buffer, 0, m * cells).set(block.subarray(r0 * cells, (r0 + m) * cells));
      enc(0, m, cells, cut, outAt);
      out.set(new Uint32Array(memory.buffer, outAt, m * W), r0 * W);
    }
  };
}

let shared: OnRowsEncoder | null = null;

/**
 * This thread's one encoder, made on first use and kept (its memory stays at the largest slice
 * encoded, ≤ ~4 MB). A call copies its block in, encodes and copies the words out without
 * yielding, so builders that interleave their blocks can share it. Making an encoder — a
 * WebAssembly instance and a memory grown to the block — cost 1.4 ms of a 1.5 ms encode of
 * 20,000 × 32 values: each index build at a new threshold of a small source (a click in the
 * Match view, issue 15) paid it.
 */
export function sharedOnRowsEncoder(): OnRowsEncoder {
  return (shared ??= createOnRowsEncoder());
}
