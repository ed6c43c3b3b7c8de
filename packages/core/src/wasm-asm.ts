/**
 * The few pieces of the WebAssembly binary format our hand-assembled SIMD kernels need (the
 * recurrent runtime's matvec, the analysis's rank and value sums): LEB128 numbers, names,
 * sections, vectors and the opcodes used. No toolchain, no dependency; each module is a few
 * hundred bytes, so synchronous compilation is allowed even on a browser's main thread.
 */

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** Core opcodes (single byte). */
export const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  call: 0x10,
  select: 0x1b,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  i32_load: 0x28,
  f32_load: 0x2a,
  f64_load: 0x2b,
  i32_store: 0x36,
  f64_store: 0x39,
  i32_const: 0x41,
  i32_eqz: 0x45,
  i32_ne: 0x47,
  i32_gt_s: 0x4a,
  i32_lt_s: 0x48,
  i32_lt_u: 0x49,
  i32_ge_s: 0x4e,
  i32_ge_u: 0x4f,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_mul: 0x6c,
  i32_and: 0x71,
  i32_or: 0x72,
  i32_shl: 0x74,
  i32_shr_u: 0x76,
  f64_add: 0xa0,
  f64_mul: 0xa2,
  f64_convert_i32_u: 0xb8,
  f64_promote_f32: 0xbb,
} as const;

/** The SIMD prefix; the sub-opcodes below follow it LEB128-encoded. */
export const SIMD = 0xfd;
export const V = {
  load: 0x00,
  store: 0x0b,
  const: 0x0c,
  shuffle: 0x0d,
  f32x4_splat: 0x13,
  f64x2_splat: 0x14,
  f64x2_extract_lane: 0x21,
  f32x4_ge: 0x46,
  store32_lane: 0x5a,
  load64_zero: 0x5d,
  f64x2_promote_low_f32x4: 0x5f,
  i32x4_bitmask: 0xa4,
  i32x4_add: 0xae,
  i32x4_sub: 0xb1,
  f32x4_add: 0xe4,
  f32x4_mul: 0xe6,
  f64x2_add: 0xf0,
  f64x2_mul: 0xf2,
  f64x2_convert_low_i32x4_u: 0xff,
} as const;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

export function str(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
}

export function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

export function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** The module header (magic and version 1). */
export const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/**
 * A module of one exported function `name` (params → no results) over an imported `env.memory`:
 * `locals` as [count, type] runs, `code` the body's instructions up to and including its final `end`.
 */
export function kernelModule(name: string, params: readonly number[], locals: readonly [number, number][], code: readonly number[]): Uint8Array<ArrayBuffer> {
  const body = [...vec(locals.map(([n, t]) => [...uleb(n), t])), ...code];
  return new Uint8Array([
    ...HEADER,
    ...section(1, vec([[0x60, ...vec(params.map((p) => [p])), 0x00]])),
    ...section(2, vec([[...str("env"), ...str("memory"), 0x02, 0x00, 0x01]])), // import env.memory, min 1 page
    ...section(3, vec([[0]])),
    ...section(7, vec([[...str(name), 0x00, 0x00]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

/** An instruction buffer with the helpers every kernel builder uses. */
export function assembler() {
  const c: number[] = [];
  return {
    c,
    get: (i: number) => void c.push(OP.local_get, i),
    set: (i: number) => void c.push(OP.local_set, i),
    tee: (i: number) => void c.push(OP.local_tee, i),
    i32: (n: number) => void c.push(OP.i32_const, ...sleb(n)),
    op: (...ops: number[]) => void c.push(...ops),
    simd: (op: number, ...imm: number[]) => void c.push(SIMD, ...uleb(op), ...imm),
  };
}

/**
 * A module compiled on first use from `build()`, or null when this runtime cannot (no
 * WebAssembly, no SIMD, or a content policy that forbids compiling): callers then fall back to
 * their JavaScript loop.
 */
export function lazyModule(build: () => Uint8Array<ArrayBuffer>): () => WebAssembly.Module | null {
  let compiled: WebAssembly.Module | null | undefined;
  return () => {
    if (compiled === undefined) {
      try {
        const bytes = build();
        compiled = typeof WebAssembly === "object" && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
      } catch {
        compiled = null;
      }
    }
    return compiled;
  };
}
