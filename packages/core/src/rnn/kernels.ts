/**
 * Dense kernels of the recurrent runtime. Weights stay Float32Array (half the
 * memory traffic of doubles); every dot product accumulates in JS doubles, so
 * our rounding error is far below PyTorch's float32 error.
 */

/** Rows of `a` per cache block in {@link gemmNT}: 64 rows × 650 floats ≈ 166 KB stays in L2. */
const ROW_BLOCK = 64;

/**
 * C[i, j] = (accumulate ? C[i, j] : 0) + Σ_p A[aOff + i·lda + p] · B[j·k + p] + bias[j]   (C = A·Bᵀ + b)
 *
 * A holds m rows of k inputs (stride lda), B is n×k row-major (PyTorch's
 * `weight` layout, so both operands are read contiguously), C is m×n.
 * Register-blocked 4 rows of A × 2 rows of B: 6 loads per 8 multiply-adds.
 */
export function gemmNT(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  b: Float32Array,
  bias: Float64Array | null,
  c: Float64Array,
  accumulate: boolean,
): void {
  for (let i0 = 0; i0 < m; i0 += ROW_BLOCK) {
    const i1 = Math.min(m, i0 + ROW_BLOCK);
    let j = 0;
    for (; j + 2 <= n; j += 2) {
      const b0 = j * k;
      const b1 = b0 + k;
      const bj0 = bias === null ? 0 : bias[j]!;
      const bj1 = bias === null ? 0 : bias[j + 1]!;
      let i = i0;
      for (; i + 4 <= i1; i += 4) {
        const a0 = aOff + i * lda;
        const a1 = a0 + lda;
        const a2 = a1 + lda;
        const a3 = a2 + lda;
        let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
        for (let p = 0; p < k; p++) {
          const w0 = b[b0 + p]!;
          const w1 = b[b1 + p]!;
          const x0 = a[a0 + p]!;
          const x1 = a[a1 + p]!;
          const x2 = a[a2 + p]!;
          const x3 = a[a3 + p]!;
          s00 += x0 * w0; s01 += x0 * w1;
          s10 += x1 * w0; s11 += x1 * w1;
          s20 += x2 * w0; s21 += x2 * w1;
          s30 += x3 * w0; s31 += x3 * w1;
        }
        const c0 = i * n + j;
        c[c0] = (accumulate ? c[c0]! : 0) + s00 + bj0; c[c0 + 1] = (accumulate ? c[c0 + 1]! : 0) + s01 + bj1;
        c[c0 + n] = (accumulate ? c[c0 + n]! : 0) + s10 + bj0; c[c0 + n + 1] = (accumulate ? c[c0 + n + 1]! : 0) + s11 + bj1;
        c[c0 + 2 * n] = (accumulate ? c[c0 + 2 * n]! : 0) + s20 + bj0; c[c0 + 2 * n + 1] = (accumulate ? c[c0 + 2 * n + 1]! : 0) + s21 + bj1;
        c[c0 + 3 * n] = (accumulate ? c[c0 + 3 * n]! : 0) + s30 + bj0; c[c0 + 3 * n + 1] = (accumulate ? c[c0 + 3 * n + 1]! : 0) + s31 + bj1;
      }
      for (; i < i1; i++) {
        const a0 = aOff + i * lda;
        let s0 = 0, s1 = 0;
        for (let p = 0; p < k; p++) {
          const x = a[a0 + p]!;
          s0 += x * b[b0 + p]!;
          s1 += x * b[b1 + p]!;
        }
        c[i * n + j] = (accumulate ? c[i * n + j]! : 0) + s0 + bj0;
        c[i * n + j + 1] = (accumulate ? c[i * n + j + 1]! : 0) + s1 + bj1;
      }
    }
    if (j < n) {
      const b0 = j * k;
      const bj = bias === null ? 0 : bias[j]!;
      for (let i = i0; i < i1; i++) {
        const a0 = aOff + i * lda;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[a0 + p]! * b[b0 + p]!;
        c[i * n + j] = (accumulate ? c[i * n + j]! : 0) + s + bj;
      }
    }
  }
}

/**
 * y[yOff + r] += Σ_k W[r·cols + k] · x[k]   for r < rows   (y += W·x)
 *
 * The sequential part of the recurrence (W_hh · h). Four rows share each load
 * of x; two k per iteration halve the loop overhead.
 */
export function matvecAdd(
  rows: number,
  cols: number,
  w: Float32Array,
  x: Float64Array,
  y: Float64Array,
  yOff: number,
): void {
  const kEven = cols & ~1;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const o0 = r * cols;
    const o1 = o0 + cols;
    const o2 = o1 + cols;
    const o3 = o2 + cols;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let k = 0;
    for (; k < kEven; k += 2) {
      const xa = x[k]!;
      const xb = x[k + 1]!;
      s0 += w[o0 + k]! * xa + w[o0 + k + 1]! * xb;
      s1 += w[o1 + k]! * xa + w[o1 + k + 1]! * xb;
      s2 += w[o2 + k]! * xa + w[o2 + k + 1]! * xb;
      s3 += w[o3 + k]! * xa + w[o3 + k + 1]! * xb;
    }
    if (k < cols) {
      const xa = x[k]!;
      s0 += w[o0 + k]! * xa;
      s1 += w[o1 + k]! * xa;
      s2 += w[o2 + k]! * xa;
      s3 += w[o3 + k]! * xa;
    }
    const yo = yOff + r;
    y[yo] = y[yo]! + s0;
    y[yo + 1] = y[yo + 1]! + s1;
    y[yo + 2] = y[yo + 2]! + s2;
    y[yo + 3] = y[yo + 3]! + s3;
  }
  for (; r < rows; r++) {
    const o = r * cols;
    let s = 0;
    for (let k = 0; k < cols; k++) s += w[o + k]! * x[k]!;
    y[yOff + r] = y[yOff + r]! + s;
  }
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
