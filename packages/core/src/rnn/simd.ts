/**
 * A WebAssembly SIMD kernel for the recurrent runtime, assembled here from
 * bytes (see ../wasm-asm; ~300 bytes, so synchronous compilation is allowed
 * even on a browser's main thread).
 *
 *   mv(w, x, y, groups, kbytes):  y[r] += Σ_k w[r·K + k] · x[k]   for r < 4·groups
 *
 * w: f32 rows padded to K floats (kbytes = 4K, a multiple of 64), x: f32[K]
 * zero-padded, y: f64. Per 16 k, each row multiplies four f32x4 pairs and sums
 * them in f32 (4 terms per lane), then adds the lanes into an f64x2
 * accumulator: rounding stays at float32-product level instead of growing with
 * the row length, which keeps us well inside the 1e-5 tolerance.
 */
import { HEADER, I32, lazyModule, OP, section, sleb, SIMD, str, uleb, V, V128, vec } from "../wasm-asm";

function buildModule(): Uint8Array<ArrayBuffer> {
  // params: w 0, x 1, y 2, groups 3, kbytes 4; locals: i32 r1 5, r2 6, r3 7, k 8, addr 9; v128 a0-a3 10-13, x0-x3 14-17, p 18
  const [W, X, Y, GROUPS, KB, R1, R2, R3, K, ADDR] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const A = [10, 11, 12, 13];
  const XV = [14, 15, 16, 17];
  const P = 18;
  const c: number[] = [];
  const get = (i: number) => c.push(OP.local_get, i);
  const set = (i: number) => c.push(OP.local_set, i);
  const simd = (op: number, ...imm: number[]) => c.push(SIMD, ...uleb(op), ...imm);
  const vload = (offset: number) => simd(V.load, 4, ...uleb(offset)); // align 2^4
  const zero = () => simd(V.const, ...new Array<number>(16).fill(0));
  const rowPtr = [W, R1, R2, R3];

  c.push(OP.block, 0x40);
  get(GROUPS);
  c.push(OP.i32_eqz, OP.br_if, 0);
  c.push(OP.loop, 0x40); // rows
  get(W); get(KB); c.push(OP.i32_add); set(R1);
  get(R1); get(KB); c.push(OP.i32_add); set(R2);
  get(R2); get(KB); c.push(OP.i32_add); set(R3);
  for (const a of A) { zero(); set(a); }
  c.push(OP.i32_const, 0); set(K);
  c.push(OP.loop, 0x40); // k
  for (let v = 0; v < 4; v++) { get(X); get(K); c.push(OP.i32_add); vload(16 * v); set(XV[v]!); }
  for (let j = 0; j < 4; j++) {
    get(rowPtr[j]!); get(K); c.push(OP.i32_add); set(ADDR);
    for (let v = 0; v < 4; v++) {
      get(ADDR); vload(16 * v); get(XV[v]!); simd(V.f32x4_mul);
      if (v > 0) simd(V.f32x4_add);
    }
    c.push(OP.local_tee, P);
    simd(V.f64x2_promote_low_f32x4);
    get(A[j]!); simd(V.f64x2_add);
    get(P); get(P); simd(V.shuffle, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    simd(V.f64x2_promote_low_f32x4);
    simd(V.f64x2_add);
    set(A[j]!);
  }
  get(K); c.push(OP.i32_const, ...sleb(64), OP.i32_add); c.push(OP.local_tee, K);
  get(KB); c.push(OP.i32_lt_u, OP.br_if, 0);
  c.push(OP.end); // k loop
  for (let j = 0; j < 4; j++) {
    get(Y);
    get(Y); c.push(OP.f64_load, 3, ...uleb(8 * j));
    get(A[j]!); simd(V.f64x2_extract_lane, 0);
    get(A[j]!); simd(V.f64x2_extract_lane, 1);
    c.push(OP.f64_add, OP.f64_add);
    c.push(OP.f64_store, 3, ...uleb(8 * j));
  }
  get(R3); get(KB); c.push(OP.i32_add); set(W);
  get(Y); c.push(OP.i32_const, ...sleb(32), OP.i32_add); set(Y);
  get(GROUPS); c.push(OP.i32_const, 1, OP.i32_sub); c.push(OP.local_tee, GROUPS);
  c.push(OP.br_if, 0);
  c.push(OP.end); // rows loop
  c.push(OP.end); // block
  c.push(OP.end); // function

  const locals = vec([[5, I32], [9, V128]]);
  const body = [...locals, ...c];
  const bytes = [
    ...HEADER,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0x00]])), // type 0: (i32×5) -> ()
    ...section(2, vec([[...str("env"), ...str("memory"), 0x02, 0x00, 0x01]])), // import env.memory, min 1 page
    ...section(3, vec([[0]])),
    ...section(7, vec([[...str("mv"), 0x00, 0x00]])), // export func 0 as "mv"
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ];
  return new Uint8Array(bytes);
}

export type MatVecKernel = (w: number, x: number, y: number, groups: number, kbytes: number) => void;

/** The compiled module, or null when this runtime lacks WebAssembly SIMD. */
const simdModule = lazyModule(buildModule);

export function simdAvailable(): boolean {
  return simdModule() !== null;
}

/** Bump allocator over one WebAssembly memory; views are made after all allocations. */
export class SimdArena {
  private size = 0;
  memory: WebAssembly.Memory | null = null;
  mv: MatVecKernel | null = null;

  /** Reserves `bytes` (16-byte aligned) and returns the offset. */
  reserve(bytes: number): number {
    const at = this.size;
    this.size += Math.ceil(bytes / 16) * 16;
    return at;
  }

  /** Creates the memory and the kernel; returns false when SIMD or the memory is unavailable. */
  finish(): boolean {
    const mod = simdModule();
    if (mod === null) return false;
    const pages = Math.max(1, Math.ceil(this.size / 65536));
    if (pages > 65536) return false; // beyond 4 GB: the JavaScript kernels take over
    try {
      this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    } catch {
      return false; // RangeError: the runtime refused that much memory
    }
    const instance = new WebAssembly.Instance(mod, { env: { memory: this.memory } });
    this.mv = instance.exports.mv as MatVecKernel;
    return true;
  }

  f32(offset: number, length: number): Float32Array {
    return new Float32Array(this.memory!.buffer, offset, length);
  }

  f64(offset: number, length: number): Float64Array {
    return new Float64Array(this.memory!.buffer, offset, length);
  }
}
