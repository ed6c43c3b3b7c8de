/**
 * The cell-major copy of a source's floats (see ./DESIGN.md, "Session 5"): `StateColumnChunk` holds
 * the source's rows in chunks of {@link columnChunkRows} steps, each stored cell by cell — value(step
 * index·rows₀ + r, cell c) at float c·rows + r, rows₀ the rows of chunk 0 — so the floats of k cells
 * over the whole source are k `substring`s per chunk (STORAGE EXTERNAL: Postgres fetches only those
 * TOAST pieces, k × 64 kB of a 42.6 MB chunk at 650 cells) instead of the whole source. Built once per source, all chunks in one
 * transaction (a source has all of them or none). Pure data access, like ./dataset-store.ts.
 */
import type pg from "pg";
import { createRowsToCells } from "@statescope/core";
import { floatViewer, type Queryable, type SourceLayout } from "./dataset-store";
import { copyOut, CopyIn, int4, literal, type CopyTarget } from "./pg-copy";

/** Whether the source's cell-major copy exists (it is committed whole, so one chunk means all). */
export async function hasStateColumns(q: Queryable, sourceId: string): Promise<boolean> {
  const r = await q.query(`select 1 from "StateColumnChunk" where "sourceId" = $1 limit 1`, [sourceId]);
  return (r.rowCount ?? 0) > 0;
}

/** Target bytes per chunk of the copy: its cells' segments get long, so a read of k cells is few substrings. */
export const COLUMN_CHUNK_BYTES = 48 * 1024 * 1024;

/**
 * Rows per chunk of a source's cell-major copy: a whole number of its row chunks (`chunkRows`, a
 * power of two ≥ 64, so a multiple of 32: column words of consecutive chunks concatenate) times a
 * power of two, at most {@link COLUMN_CHUNK_BYTES} and 65,536 rows. 16,384 rows (42.6 MB, a 64 kB segment per cell)
 * at 650 cells: a k-cell read is k substrings per 16,384 steps; with the row chunks' 1,024 rows it
 * was 16 times as many, and their per-substring cost (a TOAST index descent each, ~35 µs) made
 * the read of 16 cells over 1M steps 0.6–1.0 s instead of its bytes' ~0.1 s (measured).
 */
export function columnChunkRows(chunkRows: number, cells: number): number {
  const per = chunkRows * Math.max(1, cells) * 4;
  let rows = chunkRows;
  while (rows * 2 <= 65_536 && (rows * 2 * per) / chunkRows <= COLUMN_CHUNK_BYTES) rows *= 2;
  return rows;
}

/**
 * Writes the cell-major copy of a source through one `COPY … FROM STDIN (FORMAT binary)` on `client`
 * (a connection of its own, inside the caller's transaction): `put` takes the row-major chunks in
 * step order (as `forEachStateChunk` visits them), gathers {@link columnChunkRows} rows and
 * transposes them into one chunk of the copy (nothing of it is visible before the commit).
 */
export class StateColumnCopy {
  private readonly copy: CopyIn;
  private readonly transpose = createRowsToCells();
  private readonly rowsPerChunk: number;
  private readonly block: Float32Array;
  private readonly out: Float32Array;
  private fill = 0;
  private next = 0;
  private index = 0;
  constructor(
    client: pg.PoolClient,
    private readonly src: SourceLayout,
  ) {
    this.copy = new CopyIn(client, "StateColumnChunk", ["sourceId", "index", "rows", "data"], ["text", "int4", "int4", "bytea"]);
    this.rowsPerChunk = Math.min(columnChunkRows(src.chunkRows, src.cells), Math.max(1, src.steps));
    this.block = new Float32Array(this.rowsPerChunk * src.cells);
    this.out = new Float32Array(this.block.length);
  }

  /** Queues the rows of steps [from, +rows.length / cells): whole rows, in step order. */
  async put(from: number, rows: Float32Array): Promise<void> {
    const { cells } = this.src;
    if (rows.length % cells !== 0) throw new RangeError(`state rows at step ${from}: ${rows.length} values is not a multiple of ${cells} cells`);
    if (from !== this.next) throw new RangeError(`state rows at step ${from}: step ${this.next} was expected next`);
    this.next += rows.length / cells;
    for (let off = 0; off < rows.length; ) {
      const n = Math.min(rows.length - off, this.block.length - this.fill);
      this.block.set(rows.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      if (this.fill === this.block.length) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.fill === 0) return;
    const n = this.fill / this.src.cells;
    const out = this.out.subarray(0, this.fill);
    this.transpose(this.block.subarray(0, this.fill), n, this.src.cells, out);
    this.fill = 0;
    // copied when queued: the buffers are refilled at once
    await this.copy.row([this.src.id, this.index++, n, Buffer.from(out.buffer, out.byteOffset, out.byteLength)]);
  }

  /** Ends the COPY; throws unless every step of the source was put. */
  async end(): Promise<void> {
    await this.flush();
    if (this.next !== this.src.steps) {
      await this.copy.abort("incomplete");
      throw new Error(`source ${this.src.id}: ${this.next} of ${this.src.steps} steps transposed`);
    }
    await this.copy.end();
  }

  abort(reason: string): Promise<void> {
    return this.copy.abort(reason);
  }
}

/**
 * Streams the floats of `cells` over the whole source from its cell-major copy through ONE
 * `COPY … TO STDOUT`: one `substring` per chunk and cell, handed to `visit(cell, first step,
 * values)` as it arrives, in no particular order (`values` is valid only during the call). Returns
 * the bytes of floats received; throws when the copy is missing or incomplete.
 */
export async function scanStateColumns(
  q: CopyTarget,
  src: SourceLayout,
  cells: ArrayLike<number>,
  visit: (cell: number, from: number, values: Float32Array) => void,
): Promise<number> {
  const list = Array.from(cells);
  if (list.length === 0) return 0;
  for (const c of list) if (!Number.isInteger(c) || c < 0 || c >= src.cells) throw new RangeError(`source ${src.id} has ${src.cells} cells, cell ${c} was asked for`);
  const floats = floatViewer();
  let bytes = 0;
  const id = literal(src.id);
  const seen = new Map<number, number>(list.map((c) => [c, 0]));
  await copyOut(
    q,
    // every chunk but the last holds as many rows as chunk 0: the first step is index × that
    `select "index" * (select "rows" from "StateColumnChunk" where "sourceId" = ${id} and "index" = 0), c, substring("data" from c * "rows" * 4 + 1 for "rows" * 4)
       from "StateColumnChunk", unnest(array[${list.join(",")}]::int[]) as c where "sourceId" = ${id}`,
    ([from, cell, data]) => {
      const values = floats(data!);
      bytes += values.byteLength;
      seen.set(int4(cell!), seen.get(int4(cell!))! + values.length);
      visit(int4(cell!), int4(from!), values);
    },
  );
  for (const [c, n] of seen) if (n !== src.steps) throw new Error(`source ${src.id}: ${n} of ${src.steps} steps of cell ${c} found in its cell-major copy (is it written?)`);
  return bytes;
}
