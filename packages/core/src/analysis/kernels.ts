/**
 * WebAssembly SIMD kernels for cell search's sums, and the shared memories they read.
 *
 * A prepared source's values (float32) and doubled mid-ranks (uint32) each live row-major in one
 * shared WebAssembly memory ({@link kernelMatrix}), followed by a row of zeros and the scratch a
 * cell search writes (its rows in groups of four, per-row weights, per-cell accumulators). The
 * kernels add, for every cell in [c0, c1), the values of a list of rows:
 *
 *   sumU32  acc32[c] += r(o0,c) + r(o1,c) + r(o2,c) + r(o3,c)              (i32x4: 4 cells a step)
 *   ranksU32  sumU32 in chunks short enough not to overflow uint32, each flushed into acc64 (exact)
 *   sumF32  acc64[c] += ((x(o0,c) + x(o1,c)) + x(o2,c)) + x(o3,c)           (f64x2: 2 cells a step)
 *   dotU32  acc64[c] += ((r(o0,c)·w0 + r(o1,c)·w1) + r(o2,c)·w2) + r(o3,c)·w3
 *   dotF32  the same with x
 *
 * per group of four row byte-offsets o0…o3 (a label's rows, or consecutive rows). Each group's
 * terms are added in the order the JavaScript loop of `CellSearch` adds them, so both give the
 * same doubles bit for bit; a shorter group (the last 1–3 rows) is one row and three zero rows
 * with weight 0, which adds exactly that row's term. Threads split the cells, never the rows, so
 * every cell's sum is added in one order whatever the thread count.
 *
 * The memories are shared (`SharedArrayBuffer`), so worker threads can run the same kernels on
 * other cells without copying gigabytes: a thread instantiates {@link kernelModule} with the
 * memory and calls the export a {@link KernelCall} names.
 */
import { F64, HEADER, I32, OP, section, sleb, SIMD, str, uleb, V, V128, vec } from "../wasm-asm";

/** The kernels' exports, in function-index order. */
export const KERNELS = ["sumU32", "flushU32", "sumF32", "dotU32", "dotF32", "ranksU32"] as const;
export type KernelName = (typeof KERNELS)[number];

/** One kernel call: run `fn(...args)` on the instance of the module over `memory`. */
export interface KernelCall {
  memory: WebAssembly.Memory;
  fn: KernelName;
  args: number[];
}

class Body {
  readonly c: number[] = [];
  op(...bytes: number[]): this {
    this.c.push(...bytes);
    return this;
  }
  get(...locals: number[]): this {
    for (const l of locals) this.c.push(OP.local_get, l);
    return this;
  }
  set(l: number): this {
    return this.op(OP.local_set, l);
  }
  tee(l: number): this {
    return this.op(OP.local_tee, l);
  }
  i32(n: number): this {
    return this.op(OP.i32_const, ...sleb(n));
  }
  simd(op: number, ...imm: number[]): this {
    return this.op(SIMD, ...uleb(op), ...imm);
  }
  /** A memory access with its alignment hint (log2 bytes) and static offset. */
  mem(op: number, align: number, offset = 0): this {
    return this.op(op, align, ...uleb(offset));
  }
  vmem(op: number, align: number, offset = 0): this {
    return this.simd(op, align, ...uleb(offset));
  }
  /** local += n */
  bump(l: number, n: number): this {
    return this.get(l).i32(n).op(OP.i32_add).set(l);
  }
  /** `block { loop { if (a >=u b) break; …body; continue } }` */
  whileLess(a: number, b: number, body: () => void): this {
    this.op(OP.block, 0x40, OP.loop, 0x40).get(a, b).op(OP.i32_ge_u, OP.br_if, 1);
    body();
    return this.op(OP.br, 0, OP.end, OP.end);
  }
}

type GroupKernel = "sumU32" | "sumF32" | "dotU32" | "dotF32";

/**
 * (groups, g0, g1, c0, c1, acc[, weights]): for each group g in [g0, g1) (16 bytes each at
 * `groups`: four row byte offsets; with weights, four f64 at weights + 32 g) and each cell c in
 * [c0, c1): acc[c] += the group's terms. Vector steps over the lanes, then single cells.
 */
function groupKernel(kind: GroupKernel): { params: number; locals: number[][]; code: number[] } {
  const dot = kind.startsWith("dot");
  const ranks = kind.endsWith("U32");
  const intAcc = kind === "sumU32";
  const lanes = intAcc ? 4 : 2;
  const accShift = intAcc ? 2 : 3;
  const [GROUPS, G0, G1, C0, C1, ACC, WTS] = [0, 1, 2, 3, 4, 5, 6] as const;
  const params = dot ? 7 : 6;
  let n = params;
  const G = n++;
  const GE = n++;
  const O = [n++, n++, n++, n++];
  const P = n++;
  const PE = n++;
  const PEND = n++;
  const A = n++;
  const WP = n++;
  const i32s = n - params;
  const WS = dot ? [n++, n++, n++, n++] : [];
  const WV = dot ? [n++, n++, n++, n++] : [];
  const b = new Body();
  b.get(GROUPS, G0).i32(4).op(OP.i32_shl, OP.i32_add).set(G);
  b.get(GROUPS, G1).i32(4).op(OP.i32_shl, OP.i32_add).set(GE);
  if (dot) b.get(WTS, G0).i32(5).op(OP.i32_shl, OP.i32_add).set(WP);
  // PE: the byte offset where the whole vector steps end; PEND: of c1
  b.get(C0, C1, C0).op(OP.i32_sub).i32(-lanes).op(OP.i32_and, OP.i32_add).i32(2).op(OP.i32_shl).set(PE);
  b.get(C1).i32(2).op(OP.i32_shl).set(PEND);
  b.whileLess(G, GE, () => {
    for (let j = 0; j < 4; j++) b.get(G).mem(OP.i32_load, 2, 4 * j).set(O[j]!);
    if (dot) for (let j = 0; j < 4; j++) b.get(WP).mem(OP.f64_load, 3, 8 * j).tee(WS[j]!).simd(V.f64x2_splat).set(WV[j]!);
    b.get(C0).i32(2).op(OP.i32_shl).set(P);
    b.get(ACC, C0).i32(accShift).op(OP.i32_shl, OP.i32_add).set(A);
    b.whileLess(P, PE, () => {
      b.get(A).get(A).vmem(V.load, 4);
      for (let j = 0; j < 4; j++) {
        b.get(O[j]!, P).op(OP.i32_add);
        if (intAcc) b.vmem(V.load, 2);
        else {
          b.vmem(V.load64_zero, 2).simd(ranks ? V.f64x2_convert_low_i32x4_u : V.f64x2_promote_low_f32x4);
          if (dot) b.get(WV[j]!).simd(V.f64x2_mul);
        }
        if (j > 0) b.simd(intAcc ? V.i32x4_add : V.f64x2_add);
      }
      b.simd(intAcc ? V.i32x4_add : V.f64x2_add).vmem(V.store, 4);
      b.bump(P, 4 * lanes).bump(A, 16);
    });
    b.whileLess(P, PEND, () => {
      b.get(A).get(A).mem(intAcc ? OP.i32_load : OP.f64_load, accShift);
      for (let j = 0; j < 4; j++) {
        b.get(O[j]!, P).op(OP.i32_add);
        if (intAcc) b.mem(OP.i32_load, 2);
        else {
          if (ranks) b.mem(OP.i32_load, 2).op(OP.f64_convert_i32_u);
          else b.mem(OP.f32_load, 2).op(OP.f64_promote_f32);
          if (dot) b.get(WS[j]!).op(OP.f64_mul);
        }
        if (j > 0) b.op(intAcc ? OP.i32_add : OP.f64_add);
      }
      b.op(intAcc ? OP.i32_add : OP.f64_add).mem(intAcc ? OP.i32_store : OP.f64_store, accShift);
      b.bump(P, 4).bump(A, 1 << accShift);
    });
    b.bump(G, 16);
    if (dot) b.bump(WP, 32);
  });
  const locals = [[i32s, I32], ...(dot ? [[4, F64], [4, V128]] : [])];
  return { params, locals, code: b.c };
}

/** (acc32, acc64, c0, c1): acc64[c] += acc32[c] (as unsigned); acc32[c] = 0. */
function flushKernel(): { params: number; locals: number[][]; code: number[] } {
  const [A32, A64, C0, C1, E] = [0, 1, 2, 3, 4];
  const b = new Body();
  b.get(A32, C1).i32(2).op(OP.i32_shl, OP.i32_add).set(E);
  b.get(A64, C0).i32(3).op(OP.i32_shl, OP.i32_add).set(A64);
  b.get(A32, C0).i32(2).op(OP.i32_shl, OP.i32_add).set(A32);
  b.whileLess(A32, E, () => {
    b.get(A64).get(A64).mem(OP.f64_load, 3).get(A32).mem(OP.i32_load, 2).op(OP.f64_convert_i32_u, OP.f64_add).mem(OP.f64_store, 3);
    b.get(A32).i32(0).mem(OP.i32_store, 2);
    b.bump(A32, 4).bump(A64, 8);
  });
  return { params: 4, locals: [[1, I32]], code: b.c };
}

/** (groups, g0, g1, c0, c1, acc32, acc64, chunk): sumU32 over `chunk` groups at a time, each flushed into acc64. */
function ranksKernel(sumU32: number, flush: number): { params: number; locals: number[][]; code: number[] } {
  const [GROUPS, G0, G1, C0, C1, A32, A64, CHUNK, E] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const b = new Body();
  b.whileLess(G0, G1, () => {
    // E = min(g0 + chunk, g1)
    b.get(G0, CHUNK).op(OP.i32_add).tee(E).get(G1).get(E, G1).op(OP.i32_lt_u, OP.select).set(E);
    b.get(GROUPS, G0, E, C0, C1, A32).op(OP.call, ...uleb(sumU32));
    b.get(A32, A64, C0, C1).op(OP.call, ...uleb(flush));
    b.get(E).set(G0);
  });
  return { params: 8, locals: [[1, I32]], code: b.c };
}

function buildModule(): Uint8Array<ArrayBuffer> {
  const fns = [groupKernel("sumU32"), flushKernel(), groupKernel("sumF32"), groupKernel("dotU32"), groupKernel("dotF32"), ranksKernel(0, 1)];
  // one type per parameter count (all i32, no results)
  const arities = [...new Set(fns.map((f) => f.params))];
  const types = arities.map((k) => [0x60, ...vec(Array.from({ length: k }, () => [I32])), 0x00]);
  const bodies = fns.map((f) => {
    const body = [...vec(f.locals), ...f.code, OP.end];
    return [...uleb(body.length), ...body];
  });
  const bytes = [
    ...HEADER,
    ...section(1, vec(types)),
    // import env.memory: shared, 0 … 65536 pages (4 GiB)
    ...section(2, vec([[...str("env"), ...str("memory"), 0x02, 0x03, 0x00, ...uleb(65536)]])),
    ...section(3, vec(fns.map((f) => uleb(arities.indexOf(f.params))))),
    ...section(7, vec(KERNELS.map((name, i) => [...str(name), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies)),
  ];
  return new Uint8Array(bytes);
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled kernels, or null when this runtime lacks WebAssembly SIMD or shared memories. */
export function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      const bytes = buildModule();
      compiled = typeof WebAssembly === "object" && typeof SharedArrayBuffer === "function" && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** A matrix of 4-byte values in a shared memory (the data at byte 0), with a zero row and a cell search's scratch. */
export interface KernelMatrix {
  readonly memory: WebAssembly.Memory;
  readonly steps: number;
  readonly cells: number;
  /** Byte offsets: a row of zeros; groups (16 B each, up to `maxGroups`); weights (32 B per group); per-cell f64 and u32 accumulators. */
  readonly zeroRow: number;
  readonly groups: number;
  readonly maxGroups: number;
  readonly weights: number;
  readonly acc64: number;
  readonly acc32: number;
  readonly bytes: number;
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;
const PAGE = 65536;
const MAX_PAGES = 65536;

/** The memory layout of a steps × cells kernel matrix (its size in bytes is `bytes`). */
export function kernelLayout(steps: number, cells: number): Omit<KernelMatrix, "memory"> {
  const zeroRow = align16(steps * cells * 4);
  const groups = zeroRow + align16(cells * 4);
  // every row in a group of four, except up to three last rows alone
  const maxGroups = Math.floor(steps / 4) + 3;
  const weights = groups + maxGroups * 16;
  const acc64 = weights + maxGroups * 32;
  const acc32 = acc64 + align16(cells * 8);
  return { steps, cells, zeroRow, groups, maxGroups, weights, acc64, acc32, bytes: acc32 + align16(cells * 4) };
}

const matrices = new WeakMap<ArrayBufferLike, KernelMatrix>();

/**
 * A steps × cells matrix in a new shared WebAssembly memory, as a zeroed Float32Array or
 * Uint32Array view of its data; null when the kernels are unavailable here, the matrix and its
 * scratch exceed the 4 GiB a memory can hold, or the runtime refuses the memory. Callers then use
 * an ordinary array (and cell search its JavaScript loop).
 */
export function kernelArray<A extends Float32ArrayConstructor | Uint32ArrayConstructor>(type: A, steps: number, cells: number): InstanceType<A> | null {
  if (kernelModule() === null || steps < 1 || cells < 1) return null;
  const layout = kernelLayout(steps, cells);
  const pages = Math.ceil(layout.bytes / PAGE);
  if (pages > MAX_PAGES) return null;
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  } catch {
    return null;
  }
  matrices.set(memory.buffer, { memory, ...layout });
  return new type(memory.buffer, 0, steps * cells) as InstanceType<A>;
}

/** The kernel matrix whose data `a` is (all of it, from byte 0), else null. */
export function kernelMatrixOf(a: Float32Array | Uint32Array, steps: number, cells: number): KernelMatrix | null {
  const m = matrices.get(a.buffer);
  return m && a.byteOffset === 0 && a.length === steps * cells && m.steps === steps && m.cells === cells ? m : null;
}

const instances = new WeakMap<WebAssembly.Memory, Record<KernelName, (...args: number[]) => void>>();

/** Runs one kernel call on this thread. */
export function callKernel(call: KernelCall): void {
  let ex = instances.get(call.memory);
  if (!ex) {
    ex = new WebAssembly.Instance(kernelModule()!, { env: { memory: call.memory } }).exports as Record<KernelName, (...args: number[]) => void>;
    instances.set(call.memory, ex);
  }
  ex[call.fn](...call.args);
}

/** [c0, c1) ranges splitting `cells` into `parts` blocks of whole vector steps (4 cells). */
export function cellBlocks(cells: number, parts: number): [number, number][] {
  const size = Math.max(4, Math.ceil(cells / Math.max(1, parts) / 4) * 4);
  const out: [number, number][] = [];
  for (let c0 = 0; c0 < cells; c0 += size) out.push([c0, Math.min(cells, c0 + size)]);
  return out;
}
