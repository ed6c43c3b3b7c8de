/**
 * `npm run bench:layout` — the per-chunk kernels of row-major vs cell-major state chunks.
 *
 *   tsx packages/core/bench/layout-bench.ts [--rows 1024] [--cells 650] [--chunks 16] [--passes 15] [--k 20]
 *
 * Generates `--chunks` distinct chunks of the matching benchmarks' source (AR(1) + softsign, so
 * on-densities are realistic at ℓ = 0.3), 16 × 2.6 MB by default — more than the L3 cache, as
 * chunks streamed from Postgres are — in both layouts, then times, in ms per chunk (median of
 * `--passes` passes over all chunks, the versions of a kernel taking turns pass by pass; p90 beside
 * it, and the p50 scaled to 1M steps):
 * - on/off row bits: today's row-major kernel (`createOnRowsEncoder`, SIMD and JS) vs the
 *   cell-major one (`createOnRowsFromCellsEncoder`, SIMD and JS);
 * - column bits of `--k` cells (a fast query) from the cell-major chunk (`createOnColumnEncoder`),
 *   and of all cells;
 * - float transposes both ways (`createCellsToRows`, `createRowsToCells`, SIMD and JS).
 * Every SIMD result is checked against the JS one first; the bench fails when one differs.
 */
import {
  cellsToRows,
  createCellsToRows,
  createOnColumnEncoder,
  createOnRowsEncoder,
  createOnRowsFromCellsEncoder,
  createRowsToCells,
  encodeOnColumn,
  encodeOnRows,
  encodeOnRowsFromCells,
  rawCutoff,
  rowsToCells,
} from "../src/index";
import { opt, pct, row } from "./bench-kit";
import { SourceGenerator } from "./source-generator";

const ROWS = opt("--rows", 1024);
const CELLS = opt("--cells", 650);
const CHUNKS = opt("--chunks", 16);
const PASSES = opt("--passes", 15);
const K = Math.min(opt("--k", 20), CELLS);
const CUT = rawCutoff(Math.fround(0.3), "none")!;
const W = Math.ceil(CELLS / 32);

const gen = new SourceGenerator(CELLS, 7);
const rowMajor: Float32Array[] = [];
const cellMajor: Float32Array[] = [];
for (let i = 0; i < CHUNKS; i++) {
  const r = new Float32Array(ROWS * CELLS);
  gen.next(r);
  const c = new Float32Array(ROWS * CELLS);
  rowsToCells(r, ROWS, CELLS, c);
  rowMajor.push(r);
  cellMajor.push(c);
}
const bits = new Uint32Array(ROWS * W);
const cols = new Uint32Array(CELLS * Math.ceil(ROWS / 32));
const floats = new Float32Array(ROWS * CELLS);
const sel = Array.from({ length: K }, (_, i) => Math.floor((i * CELLS) / K));

/**
 * [median, p90] ms per chunk of each `f(chunk index)`: the contenders of one kernel take turns
 * pass by pass (one warm-up pass first), so a change in the machine's load hits them alike.
 */
function perChunk(...fs: ((i: number) => void)[]): [number, number][] {
  const ms = fs.map((): number[] => []);
  for (let p = -1; p < PASSES; p++) {
    fs.forEach((f, k) => {
      const t = performance.now();
      for (let i = 0; i < CHUNKS; i++) f(i);
      if (p >= 0) ms[k]!.push((performance.now() - t) / CHUNKS);
    });
  }
  return ms.map((xs) => [pct(xs, 0.5), pct(xs, 0.9)]);
}

function same(what: string, a: Uint32Array | Float32Array, b: Uint32Array | Float32Array): void {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) throw new Error(`${what}: SIMD and JS differ at word ${i}`);
}

function check(): void {
  const a = new Uint32Array(bits.length);
  const b = new Uint32Array(bits.length);
  encodeOnRows(rowMajor[0]!, CELLS, CUT, a);
  createOnRowsFromCellsEncoder()(cellMajor[0]!, ROWS, CELLS, CUT, b);
  same("row bits from cells", b, a);
  encodeOnRowsFromCells(cellMajor[0]!, ROWS, CELLS, CUT, b);
  same("row bits from cells (JS)", b, a);
  createOnRowsEncoder()(rowMajor[0]!, CELLS, CUT, b);
  same("row bits", b, a);
  const ca = new Uint32Array(cols.length);
  const cb = new Uint32Array(cols.length);
  const CW = Math.ceil(ROWS / 32);
  const col = createOnColumnEncoder();
  for (let c = 0; c < CELLS; c++) {
    encodeOnColumn(cellMajor[0]!.subarray(c * ROWS, (c + 1) * ROWS), CUT, ca.subarray(c * CW));
    col(cellMajor[0]!.subarray(c * ROWS, (c + 1) * ROWS), CUT, cb.subarray(c * CW));
  }
  same("column bits", cb, ca);
  const f = new Float32Array(floats.length);
  createCellsToRows()(cellMajor[0]!, ROWS, CELLS, f);
  same("cells to rows", f, rowMajor[0]!);
  createRowsToCells()(rowMajor[0]!, ROWS, CELLS, f);
  same("rows to cells", f, cellMajor[0]!);
}

function main(): void {
  check();
  const simdRows = createOnRowsEncoder();
  const simdCells = createOnRowsFromCellsEncoder();
  const simdCol = createOnColumnEncoder();
  const simdC2R = createCellsToRows();
  const simdR2C = createRowsToCells();
  const CW = Math.ceil(ROWS / 32);
  const columns = (enc: typeof encodeOnColumn, which: readonly number[]) => (i: number) => {
    const chunk = cellMajor[i]!;
    for (const c of which) enc(chunk.subarray(c * ROWS, (c + 1) * ROWS), CUT, cols.subarray(c * CW));
  };
  const all = Array.from({ length: CELLS }, (_, c) => c);
  const [rowSimd, rowJs, cellSimd, cellJs] = perChunk(
    (i) => simdRows(rowMajor[i]!, CELLS, CUT, bits),
    (i) => encodeOnRows(rowMajor[i]!, CELLS, CUT, bits),
    (i) => simdCells(cellMajor[i]!, ROWS, CELLS, CUT, bits),
    (i) => encodeOnRowsFromCells(cellMajor[i]!, ROWS, CELLS, CUT, bits),
  );
  const [kSimd, kJs, allSimd, allJs] = perChunk(columns(simdCol, sel), columns(encodeOnColumn, sel), columns(simdCol, all), columns(encodeOnColumn, all));
  const [c2rSimd, c2rJs, r2cSimd, r2cJs] = perChunk(
    (i) => simdC2R(cellMajor[i]!, ROWS, CELLS, floats),
    (i) => cellsToRows(cellMajor[i]!, ROWS, CELLS, floats),
    (i) => simdR2C(rowMajor[i]!, ROWS, CELLS, floats),
    (i) => rowsToCells(rowMajor[i]!, ROWS, CELLS, floats),
  );
  const lines: [string, string, [number, number]][] = [
    ["on/off row bits", "row-major, SIMD (today)", rowSimd!],
    ["on/off row bits", "row-major, JS", rowJs!],
    ["on/off row bits", "cell-major, SIMD", cellSimd!],
    ["on/off row bits", "cell-major, JS", cellJs!],
    [`column bits of ${K} cells`, "cell-major, SIMD", kSimd!],
    [`column bits of ${K} cells`, "cell-major, JS", kJs!],
    [`column bits of all ${CELLS} cells`, "cell-major, SIMD", allSimd!],
    [`column bits of all ${CELLS} cells`, "cell-major, JS", allJs!],
    ["transpose cells → rows", "SIMD", c2rSimd!],
    ["transpose cells → rows", "JS", c2rJs!],
    ["transpose rows → cells", "SIMD", r2cSimd!],
    ["transpose rows → cells", "JS", r2cJs!],
  ];
  console.log(`\n${CHUNKS} chunks of ${ROWS} × ${CELLS} float32 (${((ROWS * CELLS * 4) / 2 ** 20).toFixed(2)} MB each), ${PASSES} passes, ℓ = 0.3`);
  console.log(`SIMD results equal JS on chunk 0 (row bits both layouts, column bits, both transposes).\n`);
  const perMillion = 1e6 / ROWS / 1000; // ms per chunk → s per 1M steps
  console.log(row(["kernel", "layout / version", "ms per chunk p50", "p90", "s per 1M steps (p50)"]));
  console.log(row(["---", "---", "---:", "---:", "---:"]));
  for (const [k, v, [p50, p90]] of lines) console.log(row([k, v, p50.toFixed(3), p90.toFixed(3), (p50 * perMillion).toFixed(2)]));
  const p50 = (i: number): number => lines[i]![2][0];
  const verdict = (ok: boolean): string => (ok ? "MET" : "NOT MET");
  console.log(`\ncell-major SIMD row bits ${p50(2).toFixed(3)} ms ≤ row-major SIMD ${p50(0).toFixed(3)} ms: ${verdict(p50(2) <= p50(0))}`);
  console.log(`transposes ≤ 1 ms per chunk (p50): cells → rows ${p50(8).toFixed(3)}, rows → cells ${p50(10).toFixed(3)}: ${verdict(p50(8) <= 1 && p50(10) <= 1)}`);
}

main();
