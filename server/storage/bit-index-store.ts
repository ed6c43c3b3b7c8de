/**
 * Persisted on/off bit indices of sources (see ./DESIGN.md, "Bit indices"): for one
 * (source, threshold), the bits every match query at that threshold reads, in time chunks of
 * `BIT_CHUNK_STEPS` steps holding both layouts of `OnIndex`: row bits (time-major) for scoring
 * and column bits (cell-major) for counting the selected cells, of which a query reads only its
 * k columns (a substring per cell and chunk). Pure data access, like ./dataset-store.ts.
 */
import { randomUUID } from "node:crypto";
import type { PoolClient } from "pg";
import { columnsOfRows, createOnRowsEncoder, rawCutoff, type Transform } from "@statescope/core";
import { readRows, type Queryable } from "./dataset-store";
import { copyOut, CopyIn, int4, literal, type CopyTarget } from "./pg-copy";

/** Steps per bit chunk: a multiple of 32 (column words of consecutive chunks concatenate), 5.3 MB of row bits for 650 cells. */
export const BIT_CHUNK_STEPS = 65_536;

export interface BitIndexRef {
  id: string;
  chunkSteps: number;
}

/** The complete persisted index of a source at fround(threshold), or null. */
export async function findBitIndex(q: Queryable, sourceId: string, threshold: number): Promise<BitIndexRef | null> {
  const r = await q.query<BitIndexRef>(`select "id", "chunkSteps" from "SourceBitIndex" where "sourceId" = $1 and "threshold" = $2::real`, [sourceId, Math.fround(threshold)]);
  return r.rows[0] ?? null;
}

/** Thresholds with a persisted index, for a source. */
export async function bitIndexThresholds(q: Queryable, sourceId: string): Promise<number[]> {
  const r = await q.query<{ threshold: number }>(`select "threshold" from "SourceBitIndex" where "sourceId" = $1 order by "threshold"`, [sourceId]);
  // real arrives as its shortest decimal text ("0.3"): back to the float32 it stands for
  return r.rows.map((x) => Math.fround(x.threshold));
}

function u32(buf: Buffer): Uint32Array {
  if (buf.byteOffset % 4 === 0) return new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength >> 2);
  return new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

function bytesOf(a: Uint32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Encodes float32 rows pushed in step order into bit chunks and writes each chunk as it fills
 * (memory: one chunk of row bits). `parent: "last"` inserts the `SourceBitIndex` row after the
 * chunks (their foreign key is checked at commit): inside one transaction the index appears whole
 * or not at all, and the source row is only locked (FOR KEY SHARE) at the very end, so deleting
 * the dataset meanwhile is not held up. `parent: "first"` (the import, which writes outside one
 * transaction and deletes everything on failure) inserts it before the first chunk. `copy`: `q`
 * is a connection of this writer's own, and the chunks stream through one `COPY … FROM STDIN`
 * (encoding the next block overlaps Postgres storing this one).
 */
export class BitIndexWriter {
  readonly id = randomUUID();
  private readonly W: number;
  private readonly cut: number | null;
  private readonly chunk: Uint32Array;
  private fill = 0;
  private index = 0;
  private parentWritten = false;
  private written = 0;
  private stream: CopyIn | null = null;
  private readonly encode = createOnRowsEncoder();

  constructor(
    private readonly q: Queryable,
    readonly sourceId: string,
    readonly steps: number,
    readonly cells: number,
    readonly threshold: number,
    transform: Transform,
    private readonly opts: { parent: "first" | "last"; copy?: boolean },
  ) {
    if (opts.copy && !("release" in q)) throw new Error("BitIndexWriter: copy needs a connection of its own, not a pool");
    this.W = Math.ceil(cells / 32);
    this.cut = rawCutoff(threshold, transform);
    this.chunk = new Uint32Array(Math.min(BIT_CHUNK_STEPS, Math.max(1, steps)) * this.W);
  }

  /** Appends whole rows (a multiple of `cells` values). */
  async push(block: Float32Array): Promise<void> {
    const { cells, W } = this;
    const chunkRows = this.chunk.length / W;
    let off = 0;
    const n = block.length / cells;
    while (off < n) {
      const take = Math.min(n - off, chunkRows - this.fill);
      // cut null: no float32 value is on at this threshold, the bits stay 0
      if (this.cut !== null) this.encode(block.subarray(off * cells, (off + take) * cells), cells, this.cut, this.chunk.subarray(this.fill * W, (this.fill + take) * W));
      else this.chunk.fill(0, this.fill * W, (this.fill + take) * W);
      this.fill += take;
      off += take;
      if (this.fill === chunkRows) await this.flush();
    }
  }

  private async writeParent(): Promise<void> {
    if (this.parentWritten) return;
    this.parentWritten = true;
    await this.q.query(`insert into "SourceBitIndex" ("id", "sourceId", "threshold", "chunkSteps") values ($1, $2, $3::real, $4)`, [
      this.id,
      this.sourceId,
      Math.fround(this.threshold),
      BIT_CHUNK_STEPS,
    ]);
  }

  private async flush(): Promise<void> {
    if (this.fill === 0) return;
    if (this.opts.parent === "first") await this.writeParent();
    const rows = this.chunk.subarray(0, this.fill * this.W);
    const cols = columnsOfRows(rows, this.fill, this.cells);
    const values = [this.id, this.index++, this.fill, bytesOf(rows), bytesOf(cols)];
    if (this.opts.copy) {
      this.stream ??= new CopyIn(this.q as PoolClient, "BitIndexChunk", ["indexId", "index", "steps", "rows", "cols"], ["text", "int4", "int4", "bytea", "bytea"]);
      // copied when queued: this.chunk is refilled at once
      await this.stream.row(values);
    } else {
      await this.q.query('insert into "BitIndexChunk" ("indexId", "index", "steps", "rows", "cols") values ($1, $2, $3, $4, $5)', values);
    }
    this.written += this.fill;
    this.fill = 0;
  }

  /** Writes the last chunk (and the parent row); throws unless exactly `steps` rows came. */
  async end(): Promise<BitIndexRef> {
    await this.flush();
    if (this.written !== this.steps) throw new Error(`bit index of source ${this.sourceId}: got ${this.written} of ${this.steps} steps`);
    await this.stream?.end();
    await this.writeParent();
    return { id: this.id, chunkSteps: BIT_CHUNK_STEPS };
  }

  /** Cancels a `copy` writer's stream (nothing of it is stored); the connection can be used again. */
  async abort(reason: string): Promise<void> {
    await this.stream?.abort(reason);
  }
}

function checkChunks(ref: BitIndexRef, first: number, last: number, got: number): void {
  if (got !== last - first + 1) throw new Error(`bit index ${ref.id}: chunks ${first}..${last} are incomplete (${got} found)`);
}

/**
 * Row bits of steps [from, to) (W words per step), from the chunks that hold them. Read through
 * `COPY … TO STDOUT (FORMAT binary)`: a precise query reads all of them (84 MB at 1M × 650), which
 * a normal query result carries as hex text (168 MB, decoded again here). Written into `into` when given.
 */
export async function readBitRows(q: CopyTarget, ref: BitIndexRef, cells: number, from: number, to: number, into?: Uint32Array): Promise<Uint32Array> {
  const W = Math.ceil(cells / 32);
  const S = ref.chunkSteps;
  if (into && into.length !== (to - from) * W) throw new RangeError(`bit index ${ref.id}: ${into.length} words given for steps [${from}, ${to})`);
  const out = into ?? new Uint32Array((to - from) * W);
  if (to <= from) return out;
  for (const n of [from, to, S, W]) if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bit index ${ref.id}: bad step range [${from}, ${to})`);
  const first = Math.floor(from / S);
  const last = Math.floor((to - 1) / S);
  // only the rows wanted of each chunk (STORAGE EXTERNAL: substring reads just those TOAST pieces);
  // no order by: each piece says where it goes, and sorting 84 MB of sliced bits spilled to disk (+1 s)
  const lo = `greatest(${from}, "index" * ${S})`;
  const hi = `least(${to}, "index" * ${S} + "steps")`;
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  let got = 0;
  await copyOut(
    q,
    `select "index", substring("rows" from (${lo} - "index" * ${S}) * ${W * 4} + 1 for (${hi} - ${lo}) * ${W * 4})
       from "BitIndexChunk" where "indexId" = ${literal(ref.id)} and "index" between ${first} and ${last}`,
    ([index, bits]) => {
      const at = (Math.max(from, int4(index!) * S) - from) * W * 4;
      if (!bits || at + bits.length > bytes.length) throw new Error(`bit index ${ref.id}: chunk ${int4(index!)} does not fit steps [${from}, ${to})`);
      bytes.set(bits, at);
      got++;
    },
  );
  checkChunks(ref, first, last, got);
  return out;
}

/**
 * Column bits of `cells` over the whole source, written into `into` (cell-major, ceil(steps/32)
 * words per cell, as `OnIndex.cols`): per chunk, one substring per selected cell.
 */
export async function readBitColumns(q: Queryable, ref: BitIndexRef, steps: number, cells: ArrayLike<number>, into: Uint32Array): Promise<void> {
  if (cells.length === 0 || steps === 0) return;
  const CW = Math.ceil(steps / 32);
  const chunkWords = ref.chunkSteps / 32;
  const rows = await readRows<{ index: number; cell: number; bits: Buffer }>(
    q,
    `select "index", c as "cell", substring("cols" from c * (("steps" + 31) / 32) * 4 + 1 for (("steps" + 31) / 32) * 4) as "bits"
       from "BitIndexChunk", unnest($2::int[]) as c where "indexId" = $1`,
    [ref.id, Array.from(cells)],
  );
  const chunks = Math.ceil(steps / ref.chunkSteps);
  if (rows.length !== chunks * cells.length) throw new Error(`bit index ${ref.id}: ${rows.length} column pieces found, ${chunks * cells.length} expected`);
  for (const r of rows) into.set(u32(r.bits), r.cell * CW + r.index * chunkWords);
}

/**
 * Row bits of several step ranges (each [from, to), W words per step), written into `into` (the
 * whole source's row array) at their steps: one statement, one substring per range and chunk.
 */
export async function readBitRowRanges(q: Queryable, ref: BitIndexRef, cells: number, ranges: readonly [number, number][], into: Uint32Array): Promise<void> {
  const W = Math.ceil(cells / 32);
  const S = ref.chunkSteps;
  const chunk: number[] = [];
  const off: number[] = [];
  const len: number[] = [];
  const at: number[] = [];
  for (const [from, to] of ranges) {
    for (let a = from; a < to; ) {
      const idx = Math.floor(a / S);
      const b = Math.min(to, (idx + 1) * S);
      chunk.push(idx);
      off.push((a - idx * S) * W * 4);
      len.push((b - a) * W * 4);
      at.push(a);
      a = b;
    }
  }
  if (chunk.length === 0) return;
  const rows = await readRows<{ i: number; bits: Buffer }>(
    q,
    `select x.i, substring(c."rows" from x.off + 1 for x.len) as "bits"
       from unnest($2::int[], $3::int[], $4::int[]) with ordinality as x(idx, off, len, i)
       join "BitIndexChunk" c on c."indexId" = $1 and c."index" = x.idx`,
    [ref.id, chunk, off, len],
  );
  if (rows.length !== chunk.length) throw new Error(`bit index ${ref.id}: ${rows.length} of ${chunk.length} row ranges found`);
  for (const r of rows) {
    const i = Number(r.i) - 1;
    const bits = u32(r.bits);
    if (bits.length * 4 !== len[i]) throw new Error(`bit index ${ref.id}: row range at step ${at[i]} is cut short`);
    into.set(bits, at[i]! * W);
  }
}
