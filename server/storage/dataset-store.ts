/**
 * Binary chunk storage of datasets (see ./DESIGN.md for the layout and why).
 *
 * States, token ids and meta values live in time chunks of little-endian
 * `bytea`, keyed (parent id, chunk index), so any step range [from, to) is one
 * primary-key range scan. Bulk I/O goes through node-postgres (`Queryable`):
 * Prisma converts `Bytes` through its query engine and is far too slow for
 * megabyte values. Pure data access: no authorization, no business rules.
 */
import { endianness } from "node:os";
import type pg from "pg";
import { copyOut, CopyIn, int4, literal, type CopyTarget } from "./pg-copy";

if (endianness() !== "LE") throw new Error("dataset storage assumes a little-endian host (chunks are stored as float32/int32 LE)");

/** A pool or one checked-out client. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, "query">;

/** Target bytes per state chunk. */
export const STATE_CHUNK_BYTES = 4 * 1024 * 1024;
/** Token ids per token chunk (256 KiB). */
export const TOKEN_CHUNK_ROWS = 65_536;

/** Rows per state chunk for a source of `cells` cells: a power of two with about 4 MiB per chunk, 64..16384 rows. */
export function stateChunkRows(cells: number): number {
  const ideal = STATE_CHUNK_BYTES / (Math.max(1, cells) * 4);
  let rows = 64;
  while (rows * 2 <= ideal && rows < 16_384) rows *= 2;
  return rows;
}

/** Rows per meta chunk: about 65 536 values. */
export function metaChunkRows(width: number): number {
  return Math.max(1, Math.floor(TOKEN_CHUNK_ROWS / Math.max(1, width)));
}

/** The manifest fields a reader needs to locate rows of a source. */
export interface SourceLayout {
  id: string;
  steps: number;
  cells: number;
  chunkRows: number;
}

export interface TrackLayout {
  id: string;
  kind: "discrete" | "scalar" | "wordvec";
  width: number;
  chunkRows: number;
  hasWeights: boolean;
}

/** A track's kind as MetaTrack.kind stores it (an enum's text): scalar, wordvec, else discrete. */
export function trackKind(stored: string): TrackLayout["kind"] {
  return stored === "scalar" || stored === "wordvec" ? stored : "discrete";
}

function asBuffer(a: Float32Array | Int32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Copies little-endian 4-byte values out of `bytes` (pg buffers may be unaligned). */
function float32Of(bytes: Buffer): Float32Array {
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function int32Of(bytes: Buffer): Int32Array {
  if (bytes.byteOffset % 4 === 0) return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
  return new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/**
 * Rows of a query on bulk bytea columns. (Binary result format would halve the bytes on the wire,
 * but node-postgres' protocol parser decodes every field as UTF-8 text, which corrupts binary
 * bytea: results stay in text format, bytea as hex.)
 */
export async function readRows<R extends object>(q: Queryable, text: string, values: unknown[]): Promise<R[]> {
  return (await q.query<R>(text, values)).rows;
}

// ---- writes (import only) ----------------------------------------------------

export async function writeStateChunk(q: Queryable, sourceId: string, index: number, cells: number, rows: Float32Array): Promise<void> {
  if (rows.length % cells !== 0) throw new RangeError(`state chunk ${index}: ${rows.length} values is not a multiple of ${cells} cells`);
  await q.query('insert into "StateChunk" ("sourceId", "index", "rows", "data") values ($1, $2, $3, $4)', [sourceId, index, rows.length / cells, asBuffer(rows)]);
}

/**
 * The state chunks of one source streamed through one `COPY … FROM STDIN (FORMAT binary)` on a
 * connection of their own (the import: see ./DESIGN.md, "Bulk writes and reads"). Nothing is
 * visible before `end()`; a failure or `abort()` stores none of them.
 */
export class StateChunkCopy {
  private readonly copy: CopyIn;
  constructor(
    client: pg.PoolClient,
    readonly sourceId: string,
    readonly cells: number,
  ) {
    this.copy = new CopyIn(client, "StateChunk", ["sourceId", "index", "rows", "data"], ["text", "int4", "int4", "bytea"]);
  }

  /** Queues chunk `index` (whole rows; copied, so `rows` may be reused at once). */
  put(index: number, rows: Float32Array): Promise<void> {
    if (rows.length % this.cells !== 0) throw new RangeError(`state chunk ${index}: ${rows.length} values is not a multiple of ${this.cells} cells`);
    return this.copy.row([this.sourceId, index, rows.length / this.cells, asBuffer(rows)]);
  }

  end(): Promise<number> {
    return this.copy.end();
  }

  abort(reason: string): Promise<void> {
    return this.copy.abort(reason);
  }
}

export async function writeTokenChunk(q: Queryable, datasetId: string, index: number, ids: Int32Array): Promise<void> {
  await q.query('insert into "TokenChunk" ("datasetId", "index", "rows", "data") values ($1, $2, $3, $4)', [datasetId, index, ids.length, asBuffer(ids)]);
}

export async function writeMetaChunk(
  q: Queryable,
  trackId: string,
  index: number,
  rows: number,
  values: Int32Array | Float32Array,
  weights: Float32Array | null,
): Promise<void> {
  await q.query('insert into "MetaChunk" ("trackId", "index", "rows", "data", "weights") values ($1, $2, $3, $4, $5)', [
    trackId,
    index,
    rows,
    asBuffer(values),
    weights ? asBuffer(weights) : null,
  ]);
}

/** Inserts dictionary entries in batches (one statement per 10 000 entries). */
export async function writeVocabulary(q: Queryable, datasetId: string, entries: ReadonlyArray<{ id: number; token: string }>): Promise<void> {
  const BATCH = 10_000;
  for (let i = 0; i < entries.length; i += BATCH) {
    const part = entries.slice(i, i + BATCH);
    await q.query('insert into "VocabEntry" ("datasetId", "tokenId", "token") select $1, * from unnest($2::int[], $3::text[])', [
      datasetId,
      part.map((e) => e.id),
      part.map((e) => e.token),
    ]);
  }
}

// ---- reads -------------------------------------------------------------------

/** Step ranges [from, to) read together (e.g. the Match view's result rows): one query per table. */
export type StepRange = readonly [from: number, to: number];

/** SQL for the bytes of `col` of chunk c (chunks of `rows` rows of `bytes` bytes each) that overlap range w ("from", "to"). */
function sliceOf(col: string, rows: string, bytes: string): string {
  const lo = `greatest(w."from", c."index" * ${rows})`;
  const hi = `least(w."to", (c."index" + 1) * ${rows})`;
  return `substring(c."${col}" from (${lo} - c."index" * ${rows}) * ${bytes} + 1 for (${hi} - ${lo}) * ${bytes})`;
}

/**
 * The rows [from, to) of every chunk overlapping each of several step ranges of a chunked table,
 * sliced in Postgres, in one query: with STORAGE EXTERNAL, `substring` on a bytea fetches only
 * the TOAST pieces it needs, so a 128-step window of a 1024-row, 2.6 MB state chunk reads and
 * sends 333 kB, not the whole chunk (whose hex-encoded transfer and parse took ~0.3–0.8 s).
 * Parameters: $1 parent id, $2/$3 the ranges' from/to arrays, $4 rows per chunk, $5 bytes per
 * row. Each row returned is range `r` (0-based) and rows [max(from, index·chunkRows), min(to,
 * end of chunk)) of chunk `index`, in no particular order.
 */
function sliceQuery(table: "StateChunk" | "TokenChunk" | "MetaChunk", parent: "sourceId" | "datasetId" | "trackId", columns: readonly string[]): string {
  return (
    `select (w."r" - 1)::int as "r", c."index", ${columns.map((col) => `${sliceOf(col, "$4::int", "$5::int")} as "${col}"`).join(", ")} ` +
    `from unnest($2::int[], $3::int[]) with ordinality as w("from", "to", "r") ` +
    // no order by: each piece says where it goes (sorting the sliced bytea spilled to disk past work_mem)
    `join "${table}" c on c."${parent}" = $1 and c."index" between w."from" / $4::int and (w."to" - 1) / $4::int`
  );
}
const STATE_SLICE = sliceQuery("StateChunk", "sourceId", ["data"]);
const TOKEN_SLICE = sliceQuery("TokenChunk", "datasetId", ["data"]);
const META_SLICE = sliceQuery("MetaChunk", "trackId", ["data", "weights"]);

function checkRange(label: string, steps: number, from: number, to: number): void {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to <= from || to > steps) {
    throw new RangeError(`${label}: step range [${from}, ${to}) is outside 0..${steps}`);
  }
}

/**
 * Runs a slice query for `ranges` and hands each returned piece to `put(range index, first step
 * of the piece, bytes)`; fails when a range's chunks are incomplete.
 */
async function readSlices<C extends string>(
  q: Queryable,
  query: string,
  label: string,
  parentId: string,
  steps: number,
  chunkRows: number,
  rowBytes: number,
  ranges: readonly StepRange[],
  put: (r: number, a: number, row: Record<C, Buffer | null>) => void,
): Promise<void> {
  for (const [from, to] of ranges) checkRange(label, steps, from, to);
  const rows = await readRows<{ r: number; index: number } & Record<C, Buffer | null>>(q, query, [
    parentId,
    ranges.map((w) => w[0]),
    ranges.map((w) => w[1]),
    chunkRows,
    rowBytes,
  ]);
  const found = new Int32Array(ranges.length);
  for (const row of rows) {
    found[row.r]!++;
    put(row.r, Math.max(ranges[row.r]![0], row.index * chunkRows), row);
  }
  checkComplete(label, chunkRows, ranges, found);
}

/** Fails unless every range found (`found[r]`) each chunk of `chunkRows` rows that overlaps it. */
function checkComplete(label: string, chunkRows: number, ranges: readonly StepRange[], found: Int32Array): void {
  ranges.forEach(([from, to], i) => {
    const want = Math.floor((to - 1) / chunkRows) - Math.floor(from / chunkRows) + 1;
    if (found[i] !== want) throw new Error(`${label}: chunks of steps [${from}, ${to}) are incomplete (${found[i]} of ${want} found)`);
  });
}

/**
 * Steps [from, to) of a source as row-major float32 ((to - from) × selected
 * cells). `cells` selects columns in the given order (all when omitted).
 */
export async function readStateWindow(q: Queryable, src: SourceLayout, from: number, to: number, cells?: ArrayLike<number>): Promise<Float32Array> {
  return (await readStateWindows(q, src, [[from, to]], cells))[0]!;
}

/** {@link readStateWindow} of several ranges in one query. */
export async function readStateWindows(q: Queryable, src: SourceLayout, ranges: readonly StepRange[], cells?: ArrayLike<number>): Promise<Float32Array[]> {
  const into = stateWindows(src, ranges, cells);
  await readSlices<"data">(q, STATE_SLICE, `source ${src.id}`, src.id, src.steps, src.chunkRows, src.cells * 4, ranges, into.put);
  return into.out;
}

/** Where the state slices of `ranges` go (`put`: range r, first step a of the piece, its row): `out`, (to − from) × selected cells per range. */
function stateWindows(src: SourceLayout, ranges: readonly StepRange[], cells?: ArrayLike<number>): { out: Float32Array[]; put: (r: number, a: number, row: { data: Buffer | null }) => void } {
  const all = src.cells;
  const sel = cells ? Uint32Array.from(cells) : null;
  if (sel) for (const c of sel) if (c >= all) throw new RangeError(`source ${src.id} has ${all} cells, cell ${c} was selected`);
  const width = sel ? sel.length : all;
  const out = ranges.map(([from, to]) => new Float32Array(Math.max(0, to - from) * width));
  const put = (r: number, a: number, row: { data: Buffer | null }) => {
    // the slice holds rows [a, b) of range r, a = max(from, first row of the chunk)
    const data = float32Of(row.data!);
    const from = ranges[r]![0];
    const b = Math.min(ranges[r]![1], a + data.length / all);
    const dst = out[r]!;
    if (!sel) {
      dst.set(data.subarray(0, (b - a) * all), (a - from) * all);
      return;
    }
    for (let t = a; t < b; t++) {
      const inRow = (t - a) * all;
      const outRow = (t - from) * width;
      for (let i = 0; i < width; i++) dst[outRow + i] = data[inRow + sel[i]!]!;
    }
  };
  return { out, put };
}

/**
 * Visits every chunk of a source in step order (`from` = first step of the
 * chunk, `rows` row-major float32), fetching `batch` chunks per query so
 * memory stays bounded. For column scans in workers. `from`/`to` limit the
 * visit to the chunks overlapping steps [from, to) (whole chunks are visited).
 * Read through `COPY … TO STDOUT (FORMAT binary)`: the floats arrive as bytes,
 * not as hex text twice their size.
 */
export async function forEachStateChunk(
  q: CopyTarget,
  src: SourceLayout,
  visit: (from: number, rows: Float32Array) => void | Promise<void>,
  opts: { batch?: number; signal?: AbortSignal; from?: number; to?: number } = {},
): Promise<void> {
  const from = opts.from ?? 0;
  const to = opts.to ?? src.steps;
  if (opts.from !== undefined || opts.to !== undefined) checkRange(`source ${src.id}`, src.steps, from, to);
  // only the chunks overlapping [from, to): a time-range shard reads its own rows
  const end = Math.floor((to - 1) / src.chunkRows) + 1;
  const batch = Math.max(1, opts.batch ?? 8);
  for (let first = Math.floor(from / src.chunkRows); first < end; first += batch) {
    opts.signal?.throwIfAborted();
    const last = Math.min(end, first + batch) - 1;
    const rows: { index: number; data: Float32Array }[] = [];
    // ordered here, not by Postgres, whose sort of `batch` whole chunks (21 MB at 650 cells) spills to disk past work_mem
    await copyOut(q, `select "index", "data" from "StateChunk" where "sourceId" = ${literal(src.id)} and "index" between ${first} and ${last}`, ([index, data]) => {
      // copied out of the receive buffer (and aligned for Float32Array)
      const values = new Float32Array(data!.length >> 2);
      new Uint8Array(values.buffer).set(data!.subarray(0, values.byteLength));
      rows.push({ index: int4(index!), data: values });
    });
    if (rows.length !== last - first + 1) throw new Error(`source ${src.id}: chunks ${first}..${last} are incomplete (${rows.length} found)`);
    rows.sort((a, b) => a.index - b.index);
    for (const row of rows) await visit(row.index * src.chunkRows, row.data);
  }
}

/**
 * Streams the chunks of a source overlapping steps [from, to) through ONE `COPY … TO STDOUT`,
 * handing each to `visit(first step, rows)` as it arrives, in no particular order: decoding a chunk
 * here overlaps Postgres reading the next (a whole-source scan is bound by the slower of the two,
 * not their sum). `rows` is valid only during the call (it may view the receive buffer).
 * `streams` > 1 (with a pool) splits the chunks into that many COPYs read at once.
 */
export async function scanStateChunks(
  q: CopyTarget,
  src: SourceLayout,
  visit: (from: number, rows: Float32Array) => void,
  opts: { from?: number; to?: number; streams?: number } = {},
): Promise<void> {
  const from = opts.from ?? 0;
  const to = opts.to ?? src.steps;
  checkRange(`source ${src.id}`, src.steps, from, to);
  const first = Math.floor(from / src.chunkRows);
  const last = Math.floor((to - 1) / src.chunkRows);
  const streams = "release" in q ? 1 : Math.max(1, Math.min(opts.streams ?? 1, last - first + 1));
  // Several streams (a pool only): one COPY per consecutive share of the chunks, each on its own
  // connection, so several backends read and detoast at once while this thread encodes.
  const per = Math.ceil((last - first + 1) / streams);
  await Promise.all(Array.from({ length: streams }, (_, i) => scanChunkRange(q, src, first + i * per, Math.min(last, first + (i + 1) * per - 1), visit)));
}

/**
 * The float32 values of a received field, valid only until the next call: a view of the receive
 * buffer when it is aligned, else copied into a scratch buffer kept by the returned function.
 */
export function floatViewer(): (bytes: Buffer) => Float32Array {
  let scratch = new Float32Array(0);
  return (bytes) => {
    const n = bytes.length >> 2;
    if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
    if (scratch.length < n) scratch = new Float32Array(n);
    const out = scratch.subarray(0, n);
    new Uint8Array(out.buffer, 0, n * 4).set(bytes.subarray(0, n * 4));
    return out;
  };
}

async function scanChunkRange(q: CopyTarget, src: SourceLayout, first: number, last: number, visit: (from: number, rows: Float32Array) => void): Promise<void> {
  if (last < first) return;
  const floats = floatViewer();
  const got = await copyOut(q, `select "index", "data" from "StateChunk" where "sourceId" = ${literal(src.id)} and "index" between ${first} and ${last}`, ([index, data]) => {
    visit(int4(index!) * src.chunkRows, floats(data!));
  });
  if (got !== last - first + 1) throw new Error(`source ${src.id}: chunks ${first}..${last} are incomplete (${got} found)`);
}

/** The whole source as one row-major Float32Array (steps × cells): for workers. */
export async function readWholeSource(q: CopyTarget, src: SourceLayout, signal?: AbortSignal): Promise<Float32Array> {
  const out = new Float32Array(src.steps * src.cells);
  await forEachStateChunk(q, src, (from, rows) => out.set(rows.subarray(0, Math.min(rows.length, out.length - from * src.cells)), from * src.cells), signal ? { signal } : {});
  return out;
}

/** Token ids of steps [from, to). */
export async function readTokenIds(q: Queryable, datasetId: string, steps: number, from: number, to: number): Promise<Int32Array> {
  return (await readTokenIdWindows(q, datasetId, steps, [[from, to]]))[0]!;
}

/** {@link readTokenIds} of several ranges in one query. */
export async function readTokenIdWindows(q: Queryable, datasetId: string, steps: number, ranges: readonly StepRange[]): Promise<Int32Array[]> {
  const into = tokenWindows(ranges);
  await readSlices<"data">(q, TOKEN_SLICE, `dataset ${datasetId} tokens`, datasetId, steps, TOKEN_CHUNK_ROWS, 4, ranges, into.put);
  return into.out;
}

function tokenWindows(ranges: readonly StepRange[]): { out: Int32Array[]; put: (r: number, a: number, row: { data: Buffer | null }) => void } {
  const out = ranges.map(([from, to]) => new Int32Array(Math.max(0, to - from)));
  const put = (r: number, a: number, row: { data: Buffer | null }) => {
    const data = int32Of(row.data!);
    out[r]!.set(data.subarray(0, Math.min(ranges[r]![1] - a, data.length)), a - ranges[r]![0]);
  };
  return { out, put };
}

/** Tokens for the given ids (ids missing from the dictionary are absent from the map). */
export async function readVocabulary(q: Queryable, datasetId: string, ids?: ArrayLike<number>): Promise<Map<number, string>> {
  const r = ids
    ? await q.query<{ tokenId: number; token: string }>('select "tokenId", "token" from "VocabEntry" where "datasetId" = $1 and "tokenId" = any($2::int[])', [
        datasetId,
        Array.from(new Set(Array.from(ids))),
      ])
    : await q.query<{ tokenId: number; token: string }>('select "tokenId", "token" from "VocabEntry" where "datasetId" = $1', [datasetId]);
  return new Map(r.rows.map((x) => [x.tokenId, x.token]));
}

export type StoredMetaRows =
  | { kind: "discrete"; values: Int32Array }
  | { kind: "scalar"; values: Float32Array }
  | { kind: "wordvec"; width: number; ids: Int32Array; weights: Float32Array | null };

/** Steps [from, to) of a meta track. */
export async function readMetaWindow(q: Queryable, track: TrackLayout, steps: number, from: number, to: number): Promise<StoredMetaRows> {
  return (await readMetaWindows(q, track, steps, [[from, to]]))[0]!;
}

/** {@link readMetaWindow} of several ranges in one query. */
export async function readMetaWindows(q: Queryable, track: TrackLayout, steps: number, ranges: readonly StepRange[]): Promise<StoredMetaRows[]> {
  const into = metaWindows(track, ranges);
  await readSlices<"data" | "weights">(q, META_SLICE, `track ${track.id}`, track.id, steps, track.chunkRows, track.width * 4, ranges, into.put);
  return into.out();
}

function metaWindows(track: TrackLayout, ranges: readonly StepRange[]): { out: () => StoredMetaRows[]; put: (r: number, a: number, row: { data: Buffer | null; weights: Buffer | null }) => void } {
  const w = track.width;
  const values = ranges.map(([from, to]) => (track.kind === "scalar" ? new Float32Array(Math.max(0, to - from) * w) : new Int32Array(Math.max(0, to - from) * w)));
  const weights = ranges.map(([from, to]) => (track.kind === "wordvec" && track.hasWeights ? new Float32Array(Math.max(0, to - from) * w) : null));
  const put = (r: number, a: number, row: { data: Buffer | null; weights: Buffer | null }) => {
    const data = track.kind === "scalar" ? float32Of(row.data!) : int32Of(row.data!);
    const from = ranges[r]![0];
    const n = Math.min((ranges[r]![1] - a) * w, data.length);
    values[r]!.set(data.subarray(0, n), (a - from) * w);
    if (weights[r] && row.weights) weights[r].set(float32Of(row.weights).subarray(0, n), (a - from) * w);
  };
  const out = () =>
    values.map((v, r): StoredMetaRows => {
      if (track.kind === "scalar") return { kind: "scalar", values: v as Float32Array };
      if (track.kind === "discrete") return { kind: "discrete", values: v as Int32Array };
      return { kind: "wordvec", width: w, ids: v as Int32Array, weights: weights[r]! };
    });
  return { out, put };
}

/** A meta track's stored layout as {@link readRowWindows} found it by name (`labels`: it has a dictionary of its own). */
export interface NamedTrack extends TrackLayout {
  name: string;
  labels: boolean;
}

/** What {@link readRowWindows} read: per range its token ids, its selected cells' states and per track found its rows; the words of those ids. */
export interface RowWindows {
  tokens: Int32Array[];
  states: Float32Array[];
  /** The tracks found, by name (a name that is no track of the dataset is absent). */
  tracks: Map<string, { layout: NamedTrack; rows: StoredMetaRows[] }>;
  /** The dictionary entries of the token ids read (tokens, and wordvec tracks without a dictionary of their own). */
  vocab: Map<number, string>;
}

/**
 * The Match view's result rows in ONE statement (issue 15: before, a token read then its
 * vocabulary, a state read, and per track its layout then its rows — two round trips on the
 * click's path and six statements competing for the pool): the slices of `ranges` from the
 * token, state and meta chunks as {@link sliceQuery} cuts them, the named tracks' layouts and the
 * dictionary entries of the token ids in those slices (and of wordvec tracks without labels),
 * their ids decoded from the bytes in Postgres. Every range must lie inside the dataset and source.
 *
 * `decoded`: the whole source's floats (steps × cells, as readWholeSource reads them), when the
 * caller holds them already (the web process's match engine, for a small source it matched on):
 * the states are cut from them and the statement reads no state chunk (those slices were ~95 %
 * of its bytes: every cell of every row, hex-encoded, for the few cells selected).
 */
export async function readRowWindows(
  q: Queryable,
  ds: { id: string; steps: number },
  src: SourceLayout,
  ranges: readonly StepRange[],
  cells: ArrayLike<number>,
  trackNames: readonly string[],
  decoded?: Float32Array | null,
): Promise<RowWindows> {
  for (const [from, to] of ranges) {
    checkRange(`dataset ${ds.id} tokens`, ds.steps, from, to);
    checkRange(`source ${src.id}`, src.steps, from, to);
  }
  if (decoded && decoded.length !== src.steps * src.cells) throw new RangeError(`source ${src.id}: ${decoded.length} decoded values for ${src.steps} × ${src.cells}`);
  const tokens = tokenWindows(ranges);
  const states = stateWindows(src, ranges, cells);
  const [name, text] = decoded ? ["row-windows-no-states", ROW_WINDOWS_NO_STATES_SQL] : ["row-windows", ROW_WINDOWS_SQL];
  const rows = (
    await q.query<RowPart>({
      name,
      text,
      values: [ds.id, src.id, ranges.map((w) => w[0]), ranges.map((w) => w[1]), trackNames, TOKEN_CHUNK_ROWS, src.chunkRows, src.cells * 4],
    })
  ).rows;
  if (decoded) {
    // (one "row" per range: all of it, from the floats in memory)
    ranges.forEach(([from, to], r) => {
      states.put(r, from, { data: Buffer.from(decoded.buffer, decoded.byteOffset + from * src.cells * 4, (to - from) * src.cells * 4) });
    });
  }
  const layouts = new Map<string, NamedTrack>();
  for (const x of rows) {
    if (x.part !== PART.track) continue;
    layouts.set(x.name!, { id: x.id!, name: x.name!, kind: trackKind(x.kind!), width: x.width!, chunkRows: x.chunkRows!, hasWeights: x.flag!, labels: x.labels! });
  }
  const meta = new Map([...layouts].map(([name, layout]) => [name, { layout, into: metaWindows(layout, ranges), found: new Int32Array(ranges.length) }]));
  const found = { tokens: new Int32Array(ranges.length), states: new Int32Array(ranges.length) };
  const vocab = new Map<number, string>();
  for (const x of rows) {
    if (x.part === PART.vocab) vocab.set(x.index!, x.name!);
    else if (x.part === PART.tokens) {
      found.tokens[x.r!]!++;
      tokens.put(x.r!, Math.max(ranges[x.r!]![0], x.index! * TOKEN_CHUNK_ROWS), x);
    } else if (x.part === PART.states) {
      found.states[x.r!]!++;
      states.put(x.r!, Math.max(ranges[x.r!]![0], x.index! * src.chunkRows), x);
    } else if (x.part === PART.meta) {
      const m = meta.get(x.name!)!;
      m.found[x.r!]!++;
      m.into.put(x.r!, Math.max(ranges[x.r!]![0], x.index! * m.layout.chunkRows), x);
    }
  }
  checkComplete(`dataset ${ds.id} tokens`, TOKEN_CHUNK_ROWS, ranges, found.tokens);
  if (!decoded) checkComplete(`source ${src.id}`, src.chunkRows, ranges, found.states);
  for (const m of meta.values()) checkComplete(`track ${m.layout.id}`, m.layout.chunkRows, ranges, m.found);
  return { tokens: tokens.out, states: states.out, tracks: new Map([...meta].map(([name, m]) => [name, { layout: m.layout, rows: m.into.out() }])), vocab };
}

const PART = { tokens: 0, states: 1, meta: 2, track: 3, vocab: 4 } as const;

/** One row of ROW_WINDOWS_SQL: a slice (tokens, states, meta: range r, chunk index, bytes), a track's layout, or a dictionary entry (index = token id, name = token). */
interface RowPart {
  part: number;
  r: number | null;
  index: number | null;
  data: Buffer | null;
  weights: Buffer | null;
  name: string | null;
  id: string | null;
  kind: string | null;
  width: number | null;
  chunkRows: number | null;
  flag: boolean | null;
  labels: boolean | null;
}

/**
 * $1 dataset id, $2 source id, $3/$4 the ranges' from/to, $5 track names, $6 rows per token
 * chunk, $7 rows per state chunk, $8 bytes per state row. The token slices are read once
 * (a CTE used twice is materialised) for both their rows and their ids' words.
 */
const rowWindowsSql = (states: boolean) => `with w as (
    select "from", "to", ("r" - 1)::int as "r" from unnest($3::int[], $4::int[]) with ordinality as w("from", "to", "r")
  ), t as (
    select id, name, kind::text as kind, width, "chunkRows", "hasWeights", (labels is not null and jsonb_typeof(labels) <> 'null') as labels
    from "MetaTrack" where "datasetId" = $1 and name = any($5::text[])
  ), tok as (
    select w."r", c."index", ${sliceOf("data", "$6::int", "4")} as data
    from w join "TokenChunk" c on c."datasetId" = $1 and c."index" between w."from" / $6::int and (w."to" - 1) / $6::int
  ), meta as (
    select t.name, t.kind, t.labels, w."r", c."index", ${sliceOf("data", 't."chunkRows"', "t.width * 4")} as data, ${sliceOf("weights", 't."chunkRows"', "t.width * 4")} as weights
    from w cross join t join "MetaChunk" c on c."trackId" = t.id and c."index" between w."from" / t."chunkRows" and (w."to" - 1) / t."chunkRows"
  ), ids as (
    select distinct (get_byte(x.d, 4 * i) | (get_byte(x.d, 4 * i + 1) << 8) | (get_byte(x.d, 4 * i + 2) << 16) | (get_byte(x.d, 4 * i + 3) << 24)) as id
    from (select data as d from tok union all select data from meta where kind = 'wordvec' and not labels) x, generate_series(0, length(x.d) / 4 - 1) i
  )
  select ${PART.tokens} as part, "r", "index", data, null::bytea as weights, null::text as name, null::text as id, null::text as kind, null::int as width, null::int as "chunkRows", null::bool as flag, null::bool as labels from tok
  union all${
    states
      ? `
  select ${PART.states}, w."r", c."index", ${sliceOf("data", "$7::int", "$8::int")}, null, null, null, null, null, null, null, null
  from w join "StateChunk" c on c."sourceId" = $2 and c."index" between w."from" / $7::int and (w."to" - 1) / $7::int
  union all`
      : `
  select null, null, null, null, null, null, $2::text, null, $7::int, $8::int, null, null where false
  union all`
  }
  select ${PART.meta}, "r", "index", data, weights, name, null, null, null, null, null, null from meta
  union all
  select ${PART.track}, null, null, null, null, name, id, kind, width, "chunkRows", "hasWeights", labels from t
  union all
  select ${PART.vocab}, null, v."tokenId", null, null, v.token, null, null, null, null, null, null from "VocabEntry" v where v."datasetId" = $1 and v."tokenId" in (select id from ids)`;
const ROW_WINDOWS_SQL = rowWindowsSql(true);
/** {@link ROW_WINDOWS_SQL} without the state chunks (the caller has the floats); $2, $7 and $8 are still typed (unused). */
const ROW_WINDOWS_NO_STATES_SQL = rowWindowsSql(false);
