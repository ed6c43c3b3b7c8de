/**
 * The cell-major copy of a source's floats (see ./DESIGN.md, "Session 5"): `StateColumnChunk` holds
 * the same chunks as `StateChunk` (same index, same rows), each stored cell by cell — value(step
 * index·chunkRows + r, cell c) at float c·rows + r — so the floats of k cells over the whole source
 * are k `substring`s per chunk (STORAGE EXTERNAL: Postgres fetches only those TOAST pieces, k × 4 KB
 * of a 2.6 MB chunk) instead of the whole source. Built once per source, all chunks in one
 * transaction (a source has all of them or none). Pure data access, like ./dataset-store.ts.
 */
import type pg from "pg";
import { createRowsToCells } from "@statescope/core";
import type { Queryable, SourceLayout } from "./dataset-store";
import { copyOut, CopyIn, int4, literal, type CopyTarget } from "./pg-copy";

/** Whether the source's cell-major copy exists (it is committed whole, so one chunk means all). */
export async function hasStateColumns(q: Queryable, sourceId: string): Promise<boolean> {
  const r = await q.query(`select 1 from "StateColumnChunk" where "sourceId" = $1 limit 1`, [sourceId]);
  return (r.rowCount ?? 0) > 0;
}

/**
 * Writes the cell-major copy of a source through one `COPY … FROM STDIN (FORMAT binary)` on `client`
 * (a connection of its own, inside the caller's transaction): `put` takes the row-major chunks as
 * `forEachStateChunk` visits them and transposes each (nothing of it is visible before the commit).
 */
export class StateColumnCopy {
  private readonly copy: CopyIn;
  private readonly transpose = createRowsToCells();
  private scratch = new Float32Array(0);
  private written = 0;
  constructor(
    client: pg.PoolClient,
    private readonly src: SourceLayout,
  ) {
    this.copy = new CopyIn(client, "StateColumnChunk", ["sourceId", "index", "rows", "data"], ["text", "int4", "int4", "bytea"]);
  }

  /** Queues chunk `index` (row-major, whole rows; transposed into a buffer of this writer's, copied when queued). */
  put(index: number, rows: Float32Array): Promise<void> {
    const { cells } = this.src;
    if (rows.length % cells !== 0) throw new RangeError(`state chunk ${index}: ${rows.length} values is not a multiple of ${cells} cells`);
    const n = rows.length / cells;
    if (this.scratch.length < rows.length) this.scratch = new Float32Array(rows.length);
    const out = this.scratch.subarray(0, rows.length);
    this.transpose(rows, n, cells, out);
    this.written++;
    return this.copy.row([this.src.id, index, n, Buffer.from(out.buffer, out.byteOffset, out.byteLength)]);
  }

  /** Ends the COPY; throws unless every chunk of the source was put. */
  async end(): Promise<void> {
    const want = Math.ceil(this.src.steps / this.src.chunkRows);
    if (this.written !== want) {
      await this.copy.abort("incomplete");
      throw new Error(`source ${this.src.id}: ${this.written} of ${want} chunks transposed`);
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
  let scratch = new Float32Array(0);
  let bytes = 0;
  const got = await copyOut(
    q,
    `select "index", c, substring("data" from c * "rows" * 4 + 1 for "rows" * 4)
       from "StateColumnChunk", unnest(array[${list.join(",")}]::int[]) as c where "sourceId" = ${literal(src.id)}`,
    ([index, cell, data]) => {
      const n = data!.length >> 2;
      bytes += n * 4;
      let values: Float32Array;
      if (data!.byteOffset % 4 === 0) values = new Float32Array(data!.buffer, data!.byteOffset, n);
      else {
        if (scratch.length < n) scratch = new Float32Array(n);
        values = scratch.subarray(0, n);
        new Uint8Array(values.buffer, 0, n * 4).set(data!.subarray(0, n * 4));
      }
      visit(int4(cell!), int4(index!) * src.chunkRows, values);
    },
  );
  const want = Math.ceil(src.steps / src.chunkRows) * list.length;
  if (got !== want) throw new Error(`source ${src.id}: ${got} of ${want} column pieces found (is its cell-major copy built?)`);
  return bytes;
}
