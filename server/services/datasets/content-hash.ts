/**
 * A dataset's content hash: SHA-256 over its stored content in a canonical order, so two imports
 * of the same project hash alike whatever they are called, and a finding can name exactly which
 * data it was computed on. Chunk sizes do not enter it (chunks are row slices: their bytes in
 * index order are the whole row-major array).
 *
 *   "statescope-dataset/v1" · steps · separator · token ids (int32 LE)
 *   · vocabulary (id, token) by id
 *   · per source by name: name, transform, steps, cells, values (float32 LE)
 *   · per meta track by name: name, kind, width, labels, values, weights
 */
import { createHash, type Hash } from "node:crypto";
import type { Queryable } from "@/server/storage/dataset-store";

/** Chunks read per query: bounded memory for sources of any size. */
const BATCH = 8;

/** Each value length-prefixed (so "ab","c" and "a","bc" hash apart). */
function fields(h: Hash, ...vs: (string | number | null)[]): void {
  for (const v of vs) {
    const b = Buffer.from(v === null ? "\u0000null" : String(v), "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    h.update(len).update(b);
  }
}

async function chunks(q: Queryable, h: Hash, table: "StateChunk" | "TokenChunk" | "MetaChunk", key: string, id: string, column: "data" | "weights" = "data"): Promise<void> {
  for (let first = 0; ; first += BATCH) {
    const r = await q.query<{ index: number; bytes: Buffer | null }>(
      `select "index", "${column}" as bytes from "${table}" where "${key}" = $1 and "index" >= $2 and "index" < $3 order by "index"`,
      [id, first, first + BATCH],
    );
    for (const row of r.rows) if (row.bytes) h.update(row.bytes);
    if (r.rows.length < BATCH) return;
  }
}

/** The content hash (hex) of a dataset as stored now. */
export async function datasetContentHash(q: Queryable, datasetId: string): Promise<string> {
  const h = createHash("sha256");
  const ds = await q.query<{ steps: number; separator: string }>('select "steps", "separator" from "Dataset" where "id" = $1', [datasetId]);
  const d = ds.rows[0];
  if (!d) throw new Error(`dataset ${datasetId} does not exist`);
  fields(h, "statescope-dataset/v1", d.steps, d.separator);
  await chunks(q, h, "TokenChunk", "datasetId", datasetId);
  const vocab = await q.query<{ tokenId: number; token: string }>('select "tokenId", "token" from "VocabEntry" where "datasetId" = $1 order by "tokenId"', [datasetId]);
  vocabulary(h, vocab.rows);
  const sources = await q.query<{ id: string; name: string; transform: string; steps: number; cells: number }>(
    'select "id", "name", "transform", "steps", "cells" from "DatasetSource" where "datasetId" = $1 order by "name"',
    [datasetId],
  );
  fields(h, sources.rows.length);
  for (const s of sources.rows) {
    fields(h, s.name, s.transform, s.steps, s.cells);
    await chunks(q, h, "StateChunk", "sourceId", s.id);
  }
  await tracks(q, h, datasetId);
  return h.digest("hex");
}

/** The dictionary's part, entries in id order. */
function vocabulary(h: Hash, entries: ReadonlyArray<{ tokenId: number; token: string }>): void {
  fields(h, entries.length);
  for (const v of entries) fields(h, v.tokenId, v.token);
}

/** The meta tracks' part (the hash's last), read back from storage. */
async function tracks(q: Queryable, h: Hash, datasetId: string): Promise<void> {
  const rows = await q.query<{ id: string; name: string; kind: string; width: number; labels: unknown; hasWeights: boolean }>(
    'select "id", "name", "kind", "width", "labels", "hasWeights" from "MetaTrack" where "datasetId" = $1 order by "name"',
    [datasetId],
  );
  fields(h, rows.rows.length);
  for (const t of rows.rows) {
    fields(h, t.name, t.kind, t.width, t.labels === null ? null : JSON.stringify(t.labels));
    await chunks(q, h, "MetaChunk", "trackId", t.id);
    if (t.hasWeights) await chunks(q, h, "MetaChunk", "trackId", t.id, "weights");
  }
}

/** Names in the order `order by "name"` lists them (the database's collation): the order sources enter the hash. */
export async function namesInHashOrder(q: Queryable, names: readonly string[]): Promise<string[]> {
  const r = await q.query<{ n: string }>("select n from unnest($1::text[]) as u(n) order by n", [names]);
  return r.rows.map((x) => x.n);
}

/**
 * {@link datasetContentHash} computed while a dataset is written, so an import does not read its
 * gigabytes back: the writer feeds each part in the hash's order (header, token ids, dictionary,
 * sources in {@link namesInHashOrder} with their float32 rows in step order) and `finish` reads the
 * meta tracks (small) back from storage. Same digest as reading everything back (tested).
 */
export class ContentHasher {
  private readonly h = createHash("sha256");

  constructor(steps: number, separator: string) {
    fields(this.h, "statescope-dataset/v1", steps, separator);
  }

  /** Token ids (int32 LE), then every stored value of a source, in step order. */
  bytes(a: Int32Array | Float32Array): void {
    this.h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }

  /** The dictionary, after all token ids. */
  vocabulary(entries: ReadonlyArray<{ id: number; token: string }>): void {
    vocabulary(
      this.h,
      [...entries].sort((a, b) => a.id - b.id).map((e) => ({ tokenId: e.id, token: e.token })),
    );
  }

  /** How many sources follow. */
  sources(count: number): void {
    fields(this.h, count);
  }

  /** A source's header; its values follow through `bytes`. */
  source(s: { name: string; transform: string; steps: number; cells: number }): void {
    fields(this.h, s.name, s.transform, s.steps, s.cells);
  }

  /** Adds the stored meta tracks of `datasetId` and returns the hex digest. */
  async finish(q: Queryable, datasetId: string): Promise<string> {
    await tracks(q, this.h, datasetId);
    return this.h.digest("hex");
  }
}
