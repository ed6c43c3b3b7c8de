/**
 * The generated state source of the matching benchmarks (in-process and end to end): a
 * per-cell AR(1) process (φ ∈ [0.80, 0.995]) squashed to (−1, 1) by softsign, so cells are
 * smooth and on-densities at ℓ = 0.3 range over ~5–60 %. Deterministic for a seed.
 */
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
