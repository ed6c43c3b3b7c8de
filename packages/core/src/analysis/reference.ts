/**
 * Test helper: the statistics of cell search written out by their definitions, to check the
 * rank-sum engine against. Quadratic where the definition is; not exported from the package.
 */

/** Mann–Whitney: share of (label step, other step) pairs where the label step's value is larger, ties ½. */
export function directAuc(x: ArrayLike<number>, pos: ArrayLike<number>): number {
  let u = 0;
  let pairs = 0;
  for (let i = 0; i < x.length; i++) {
    if (pos[i] !== 1) continue;
    for (let j = 0; j < x.length; j++) {
      if (pos[j] === 1) continue;
      pairs++;
      u += x[i]! > x[j]! ? 1 : x[i] === x[j] ? 0.5 : 0;
    }
  }
  return u / pairs;
}

/** Pearson's r (NaN when either side is constant). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Mid-ranks by counting: rank = #smaller + (#equal + 1) / 2. */
export function directRanks(x: ArrayLike<number>): number[] {
  return Array.from(x, (v) => {
    let less = 0;
    let eq = 0;
    for (let j = 0; j < x.length; j++) {
      if (x[j]! < v) less++;
      else if (x[j] === v) eq++;
    }
    return less + (eq + 1) / 2;
  });
}

/** Spearman's ρ: Pearson's r of the mid-ranks. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return pearson(directRanks(x), directRanks(y));
}

/** A row-major matrix (as sources are stored) from per-cell columns. */
export function rowMajor(cols: ArrayLike<number>[]): { data: Float32Array; steps: number; cells: number } {
  const steps = cols[0]!.length;
  const data = new Float32Array(steps * cols.length);
  cols.forEach((col, c) => {
    for (let t = 0; t < steps; t++) data[t * cols.length + c] = col[t]!;
  });
  return { data, steps, cells: cols.length };
}
