/**
 * One-pass value histogram for float32 streams whose range is unknown until
 * the end (see server/storage/DESIGN.md). Values are counted by the top 17
 * bits of their float32 pattern (sign, exponent, 8 mantissa bits: each fine
 * bin spans 1/256 of its magnitude), then re-binned into equal-width bins
 * over [min, max] by each fine bin's midpoint.
 */
const SHIFT = 15;
const FINE_BINS = 1 << (32 - SHIFT);

export interface Histogram {
  /** bins + 1 ascending edges from min to max. */
  edges: number[];
  /** Values per bin (the last bin includes max). */
  counts: number[];
}

export class ValueHistogram {
  private readonly fine = new Uint32Array(FINE_BINS);
  private readonly bits = new Uint32Array(1);
  private readonly asFloat = new Float32Array(this.bits.buffer);

  /** Counts every finite value of `rows`. */
  add(rows: Float32Array): void {
    const u = new Uint32Array(rows.buffer, rows.byteOffset, rows.length);
    const fine = this.fine;
    for (let i = 0; i < u.length; i++) {
      const v = rows[i]!;
      if (v - v !== 0) continue; // NaN / ±Inf
      fine[u[i]! >>> SHIFT]!++;
    }
  }

  /** Re-bins into `bins` equal-width bins over [min, max]. */
  finish(min: number, max: number, bins = 64): Histogram {
    const counts = new Array<number>(bins).fill(0);
    const span = max - min;
    const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + (span * i) / bins));
    if (!(span > 0)) {
      let total = 0;
      for (const c of this.fine) total += c;
      return { edges: [min, max], counts: [total] };
    }
    for (let key = 0; key < FINE_BINS; key++) {
      const c = this.fine[key]!;
      if (c === 0) continue;
      this.bits[0] = ((key << SHIFT) | (1 << (SHIFT - 1))) >>> 0;
      let v = this.asFloat[0]!;
      if (v < min) v = min;
      else if (v > max) v = max;
      const b = Math.min(bins - 1, Math.floor(((v - min) / span) * bins));
      counts[b]! += c;
    }
    return { edges, counts };
  }
}
