/**
 * The generated state source of the matching benchmarks (in-process and end to end): a
 * per-cell AR(1) process (φ ∈ [0.80, 0.995]) squashed to (−1, 1) by softsign, so cells are
 * smooth and on-densities at ℓ = 0.3 range over ~5–60 %. Deterministic for a seed.
 */
import { closeSync, existsSync, openSync, readSync, renameSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mulberry32 as rng } from "../src/random";

/** Deterministic per-cell AR(1) generator, emitting consecutive row blocks of V. */
export class SourceGenerator {
  private readonly phi: Float64Array;
  private readonly sig: Float64Array;
  private readonly bias: Float64Array;
  private readonly x: Float64Array;
  private s: number;
  constructor(readonly cells: number, seed: number) {
    const r = rng(seed);
    this.phi = new Float64Array(cells);
    this.sig = new Float64Array(cells);
    this.bias = new Float64Array(cells);
    this.x = new Float64Array(cells);
    for (let c = 0; c < cells; c++) {
      const phi = 0.8 + 0.195 * r();
      this.phi[c] = phi;
      // uniform noise of unit variance scaled so x has unit variance: sqrt(3(1−φ²))
      this.sig[c] = Math.sqrt(3 * (1 - phi * phi));
      this.bias[c] = -1.2 + 1.4 * r();
    }
    this.s = (seed * 2654435761) >>> 0 || 1;
  }
  /** Fills `out` (rows × cells) with the next rows. */
  next(out: Float32Array): void {
    const { cells, phi, sig, bias, x } = this;
    let s = this.s;
    for (let i = 0; i < out.length; i += cells) {
      for (let c = 0; c < cells; c++) {
        // xorshift32 → uniform in [−1, 1)
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        const u = (s | 0) / 2147483648;
        const v = phi[c]! * x[c]! + sig[c]! * u;
        x[c] = v;
        const z = 1.6 * v + bias[c]!;
        out[i + c] = z / (1 + Math.abs(z));
      }
    }
    this.s = s;
  }
}

/**
 * The generated T × D source as raw little-endian float32 in the temp dir (2.6 GB for 1M × 650),
 * written once block by block and reused by re-runs and by the NumPy side of the benchmarks
 * (`--clean` options delete it).
 */
export function cachedSourceFile(T: number, D: number, seed: number): { file: string; cached: boolean } {
  const file = join(tmpdir(), `statescope-bench-${T}x${D}-s${seed}.f32`);
  if (existsSync(file) && statSync(file).size === T * D * 4) return { file, cached: true };
  const gen = new SourceGenerator(D, seed);
  const rows = 1 << 14;
  const block = new Float32Array(rows * D);
  const fd = openSync(file + ".part", "w");
  for (let t = 0; t < T; t += rows) {
    const part = block.subarray(0, Math.min(rows, T - t) * D);
    gen.next(part);
    writeSync(fd, new Uint8Array(part.buffer, 0, part.byteLength));
  }
  closeSync(fd);
  renameSync(file + ".part", file);
  return { file, cached: false };
}

/** Visits the rows of a raw float32 file (D values per row) in blocks of `rows` rows, in order. */
export function forEachRowBlock(file: string, D: number, rows: number, visit: (from: number, block: Float32Array) => void): void {
  const block = new Float32Array(rows * D);
  const bytes = new Uint8Array(block.buffer);
  const fd = openSync(file, "r");
  try {
    for (let t = 0, off = 0; ; t += rows) {
      const n = readSync(fd, bytes, 0, bytes.length, off);
      if (n === 0) break;
      if (n % (4 * D) !== 0) throw new Error(`${file}: a partial row at byte ${off + n}`);
      off += n;
      visit(t, block.subarray(0, n / 4));
    }
  } finally {
    closeSync(fd);
  }
}
